//! A plan as Markdown for a pull-request comment: counts first, a table of
//! what changes, drift called out, and each resource's attribute diff
//! folded in a `<details>` block. Built from the same per-resource text as
//! the human output, so sensitive values are masked the same way.
//!
//! A comment has a size limit (GitHub refuses one over 65,536 characters),
//! so the text is built within a byte budget: the counts, the table (one
//! row per resource while that stays short, else counts per module and type
//! plus every destroy and replace by name), outputs, then per-resource
//! diffs while they fit, destroys and replaces first. What is left out is
//! said, with where the full plan is.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::plan::{Action, Plan, ResourceChange};
use crate::plan_json::reason_text;
use crate::render::{change_text, drift_text, scalar};

/// Under GitHub's 65,536-character comment limit whatever the text (a
/// character is at least a byte).
pub const DEFAULT_MAX_BYTES: usize = 65_000;

/// Above this many changes the table counts by module and type.
const ROWS: usize = 100;

/// Drift lines listed before "and N more".
const DRIFT_LINES: usize = 50;

/// The whole plan, however long.
pub fn plan_markdown(plan: &Plan) -> String {
    plan_markdown_within(plan, usize::MAX)
}

/// The plan in at most `max_bytes` (unless the destroys and replaces alone,
/// which are never left out, do not fit; the text then says so first).
pub fn plan_markdown_within(plan: &Plan, max_bytes: usize) -> String {
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
        for d in plan.drift.iter().take(DRIFT_LINES) {
            let what = match &d.kind {
                crate::plan::DriftKind::Deleted => "deleted".to_string(),
                crate::plan::DriftKind::Changed(attrs) => format!("changed: {}", attrs.join(", ")),
            };
            let _ = writeln!(out, "> - `{}` {what}", d.address);
        }
        if plan.drift.len() > DRIFT_LINES {
            let _ = writeln!(out, "> - and {} more", plan.drift.len() - DRIFT_LINES);
        }
        out.push('\n');
    }

    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .collect();
    if changes.len() <= ROWS {
        table(&mut out, &changes);
    } else {
        grouped_table(&mut out, &changes);
        let named: Vec<&ResourceChange> = changes
            .iter()
            .copied()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
            .collect();
        if !named.is_empty() {
            out.push_str("**Destroyed or replaced:**\n\n");
            table(&mut out, &named);
        }
    }
    let outputs = outputs_table(plan);

    let drift_details = drift_details(plan);
    let blocks: Vec<String> = changes.iter().map(|c| details(c)).collect();
    let all: usize = blocks.iter().map(String::len).sum::<usize>() + drift_details.len();
    let footer_reserve = 400;
    let fixed = out.len() + outputs.len() + footer_reserve;
    // In address order when everything fits; otherwise the ones that
    // destroy first, then updates, then creates.
    let mut order: Vec<usize> = (0..changes.len()).collect();
    if fixed + all > max_bytes {
        order.sort_by_key(|&i| match changes[i].action {
            Action::Delete | Action::Replace => 0,
            Action::Update => 1,
            Action::Create => 2,
            _ => 3,
        });
    }
    if fixed > max_bytes {
        let mut warned = format!(
            "> [!CAUTION]\n> This plan is longer than {max_bytes} bytes even without any resource's diff: every destroy and replace is listed all the same. The full plan: `cairn show PLANFILE`, or `--format json`.\n\n"
        );
        warned.push_str(&out);
        out = warned;
    }
    let mut budget = max_bytes.saturating_sub(fixed);
    let mut shown = 0;
    for &i in &order {
        let block = &blocks[i];
        if block.len() > budget {
            break;
        }
        budget -= block.len();
        out.push_str(block);
        shown += 1;
    }
    if drift_details.len() <= budget {
        out.push_str(&drift_details);
    }
    if shown < changes.len() {
        let _ = writeln!(
            out,
            "_{} of {} resource diffs are left out to keep this under {max_bytes} bytes (destroys and replaces come first). The full plan: `cairn show PLANFILE`, or `cairn plan --format json`._\n",
            changes.len() - shown,
            changes.len()
        );
    }
    out.push_str(&outputs);
    out
}

fn action_cell(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Create => ("➕", "create"),
        Action::Update => ("🔧", "update in place"),
        Action::Replace => ("♻️", "**replace**"),
        Action::Delete => ("🗑️", "**destroy**"),
        Action::Read => ("📖", "read during apply"),
        Action::NoOp => ("", "no-op"),
    }
}

/// One row per resource.
fn table(out: &mut String, changes: &[&ResourceChange]) {
    if changes.is_empty() {
        return;
    }
    out.push_str("| | resource | action | why |\n| --- | --- | --- | --- |\n");
    for c in changes {
        let (icon, action) = action_cell(c.action);
        let why = reason_text(c).unwrap_or_default().replace('|', "\\|");
        let _ = writeln!(out, "| {icon} | `{}` | {action} | {why} |", c.address);
    }
    out.push('\n');
}

/// Counts per module and type, for plans too long to list.
fn grouped_table(out: &mut String, changes: &[&ResourceChange]) {
    let mut groups: BTreeMap<(String, &str), [usize; 5]> = BTreeMap::new();
    for c in changes {
        // Modules by name, not instance: a module called for 1,000 keys is
        // one row per type.
        let module = c
            .address
            .module
            .iter()
            .map(|step| format!("module.{}", step.name))
            .collect::<Vec<_>>()
            .join(".");
        let slot = match c.action {
            Action::Create => 0,
            Action::Update => 1,
            Action::Replace => 2,
            Action::Delete => 3,
            _ => 4,
        };
        groups.entry((module, c.type_name.as_str())).or_default()[slot] += 1;
    }
    out.push_str("| module | type | ➕ create | 🔧 update | ♻️ replace | 🗑️ destroy | 📖 read |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    let cell = |n: usize| if n == 0 { String::new() } else { n.to_string() };
    for ((module, type_name), n) in &groups {
        let module = if module.is_empty() { "(root)" } else { module };
        let _ = writeln!(
            out,
            "| `{module}` | `{type_name}` | {} | {} | {} | {} | {} |",
            cell(n[0]),
            cell(n[1]),
            cell(n[2]),
            cell(n[3]),
            cell(n[4])
        );
    }
    out.push('\n');
}

fn details(c: &ResourceChange) -> String {
    let mut body = String::new();
    change_text(&mut body, c);
    format!(
        "<details><summary><code>{}</code> ({})</summary>\n\n```diff\n{}```\n\n</details>\n\n",
        c.address,
        c.action.verb(),
        diff_markers(&body)
    )
}

fn drift_details(plan: &Plan) -> String {
    if plan.drift.is_empty() {
        return String::new();
    }
    let mut body = String::new();
    for d in &plan.drift {
        drift_text(&mut body, d);
    }
    format!(
        "<details><summary>Drift details</summary>\n\n```diff\n{}```\n\n</details>\n\n",
        diff_markers(&body)
    )
}

fn outputs_table(plan: &Plan) -> String {
    let mut out = String::new();
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
