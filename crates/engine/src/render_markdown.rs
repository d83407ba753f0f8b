//! A plan as Markdown for a pull-request comment: counts first, a table of
//! what changes, drift called out, and each resource's attribute diff
//! folded in a `<details>` block. Built from the same per-resource text as
//! the human output, so sensitive values are masked the same way.

use std::fmt::Write;

use crate::plan::{Action, Plan};
use crate::plan_json::reason_text;
use crate::render::{change_text, drift_text, scalar};

pub fn plan_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let title = match &plan.env {
        Some(env) => format!("{} ({env})", plan.stack),
        None => plan.stack.clone(),
    };
    let n = plan.counts();
    let _ = writeln!(out, "### cairn plan: `{title}`\n");
    if !plan.has_changes() && plan.drift.is_empty() {
        out.push_str("**No changes.** The infrastructure matches the configuration.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "**Plan:** {} to add, {} to change, {} to destroy.{}\n",
        n.add,
        n.change,
        n.destroy,
        if plan.drift.is_empty() {
            String::new()
        } else {
            format!(
                " **Drift:** {} object(s) changed outside cairn.",
                plan.drift.len()
            )
        }
    );

    if !plan.drift.is_empty() {
        out.push_str("> [!WARNING]\n> Objects changed outside cairn since the last apply:\n");
        for d in &plan.drift {
            let what = match &d.kind {
                crate::plan::DriftKind::Deleted => "deleted".to_string(),
                crate::plan::DriftKind::Changed(attrs) => format!("changed: {}", attrs.join(", ")),
            };
            let _ = writeln!(out, "> - `{}` {what}", d.address);
        }
        out.push('\n');
    }

    let changes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if !changes.is_empty() {
        out.push_str("| | resource | action | why |\n| --- | --- | --- | --- |\n");
        for c in &changes {
            let (icon, action) = match c.action {
                Action::Create => ("➕", "create"),
                Action::Update => ("🔧", "update in place"),
                Action::Replace => ("♻️", "**replace**"),
                Action::Delete => ("🗑️", "**destroy**"),
                Action::Read => ("📖", "read during apply"),
                Action::NoOp => ("", "no-op"),
            };
            let why = reason_text(c).unwrap_or_default().replace('|', "\\|");
            let _ = writeln!(out, "| {icon} | `{}` | {action} | {why} |", c.address);
        }
        out.push('\n');
        for c in &changes {
            let mut body = String::new();
            change_text(&mut body, c);
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code> ({})</summary>\n\n```diff\n{}```\n\n</details>\n",
                c.address,
                c.action.verb(),
                diff_markers(&body)
            );
        }
    }

    if !plan.drift.is_empty() {
        let mut body = String::new();
        for d in &plan.drift {
            drift_text(&mut body, d);
        }
        let _ = writeln!(
            out,
            "<details><summary>Drift details</summary>\n\n```diff\n{}```\n\n</details>\n",
            diff_markers(&body)
        );
    }

    let outputs: Vec<_> = plan.outputs.iter().filter(|o| o.is_change()).collect();
    if !outputs.is_empty() {
        out.push_str("**Outputs:**\n\n| output | before | after |\n| --- | --- | --- |\n");
        for o in outputs {
            let before = o.before.as_ref().map(scalar).unwrap_or_else(|| "—".into());
            let _ = writeln!(
                out,
                "| `{}` | `{}` | `{}` |",
                o.name,
                before.replace('|', "\\|"),
                scalar(&o.after).replace('|', "\\|")
            );
        }
    }
    out
}

/// GitHub colours a `diff` block by the first character of each line: move
/// the plan's `+`/`-`/`~` markers there.
fn diff_markers(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = match trimmed.chars().next() {
            Some('+') => '+',
            Some('-') if !trimmed.starts_with("-/+") => '-',
            Some('-') => '!',
            Some('~') => '!',
            _ => ' ',
        };
        let _ = writeln!(out, "{marker} {line}");
    }
    out
}
