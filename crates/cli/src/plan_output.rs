//! Printing a plan on stdout in the chosen format, with colour only where
//! it helps: a terminal, no `--no-color`, no `NO_COLOR`.

use std::io::IsTerminal;

use cairn_engine::{plan_json, render, render_markdown, Plan};

use crate::args::PlanFormat;

/// Whether stdout gets ANSI colours.
pub fn color_enabled(no_color_flag: bool) -> bool {
    !no_color_flag
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal()
}

/// How a plan is printed, from the command line.
pub struct PlanOutput {
    pub format: PlanFormat,
    pub color: bool,
    /// Markdown's size budget.
    pub max_bytes: usize,
    /// The human format, one line per resource.
    pub compact: bool,
}

impl PlanOutput {
    /// The whole plan for a person (what apply shows before it asks).
    pub fn human(color: bool) -> PlanOutput {
        PlanOutput {
            format: PlanFormat::Human,
            color,
            max_bytes: usize::MAX,
            compact: false,
        }
    }
}

pub fn print(plan: &Plan, output: &PlanOutput) {
    match output.format {
        PlanFormat::Human => {
            let text = if output.compact {
                render::plan_compact(plan)
            } else {
                render::plan_text(plan)
            };
            out!("{}", if output.color { paint(&text) } else { text });
        }
        PlanFormat::Markdown => out!(
            "{}",
            render_markdown::plan_markdown_within(plan, output.max_bytes)
        ),
        PlanFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&plan_json::plan_json(plan)).unwrap_or_default()
        ),
    }
}

/// Colours a rendered plan by each line's marker, as Terraform does.
pub fn paint(text: &str) -> String {
    const GREEN: &str = "\x1b[32m";
    const YELLOW: &str = "\x1b[33m";
    const RED: &str = "\x1b[31m";
    const BOLD: &str = "\x1b[1m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let style = if t.starts_with("-/+") || t.starts_with("+/-") {
            Some(YELLOW)
        } else if t.starts_with('+') {
            Some(GREEN)
        } else if t.starts_with('~') {
            Some(YELLOW)
        } else if t.starts_with('-') {
            Some(RED)
        } else if t.starts_with("# ") || t.starts_with("Plan:") {
            Some(BOLD)
        } else {
            None
        };
        match style {
            Some(s) => {
                let body = line.trim_end_matches('\n');
                out.push_str(s);
                out.push_str(body);
                out.push_str(RESET);
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paint_colours_by_marker_and_keeps_the_text() {
        let text = "  + resource \"a\" {\n  ~ x = 1 -> 2\n-/+ resource \"b\"\n  - y = 3\nplain\n";
        let painted = paint(text);
        assert!(painted.contains("\x1b[32m  + resource"));
        assert!(painted.contains("\x1b[33m  ~ x = 1 -> 2\x1b[0m\n"));
        assert!(painted.contains("\x1b[33m-/+ resource"));
        assert!(painted.contains("\x1b[31m  - y = 3"));
        assert!(painted.ends_with("plain\n"));
        let stripped = painted
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, text);
    }
}
