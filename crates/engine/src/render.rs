//! Human-readable plans in the notation Terraform users read daily:
//! `+` create, `~` update in place, `-/+` replace, `-` destroy,
//! `(known after apply)`, `(sensitive value)`. Returns text; the CLI prints.
//! Sensitive values are masked here, on every path: nothing below calls
//! `Display` on a raw value without going through `scalar`.

use std::fmt::Write;

use cairn_core::value::format_number;
use cairn_core::{Object, Value};

use crate::plan::{Action, Drift, DriftKind, Plan, Reason, ResourceChange};

pub fn plan_text(plan: &Plan) -> String {
    render_plan(plan, |out, c| {
        change_text(out, c);
        out.push('\n');
    })
}

/// The plan in one line per resource (for plans too long to read whole):
/// what happens to it and, for updates and replacements, which attributes.
pub fn plan_compact(plan: &Plan) -> String {
    render_plan(plan, |out, c| {
        let (marker, text) = header(c);
        let attrs = if matches!(c.action, Action::Update | Action::Replace) && !c.changed.is_empty()
        {
            format!(" ({})", c.changed.join(", "))
        } else {
            String::new()
        };
        let _ = writeln!(out, "{marker} {text}{attrs}");
    })
}

fn render_plan(plan: &Plan, change: impl Fn(&mut String, &ResourceChange)) -> String {
    let mut out = String::new();
    if !plan.drift.is_empty() {
        out.push_str("Note: objects have changed outside of cairn since the last apply:\n\n");
        for d in &plan.drift {
            drift_text(&mut out, d);
        }
        out.push('\n');
    }
    if plan.refresh_only {
        if plan.drift.is_empty() {
            out.push_str("No changes. The state matches the live infrastructure.\n");
        } else {
            let _ = writeln!(
                out,
                "This is a refresh-only plan: `cairn apply --refresh-only` records these {} change(s) in state; nothing in AWS changes.",
                plan.drift.len()
            );
        }
        return out;
    }
    if !plan.targets.is_empty() || !plan.excludes.is_empty() {
        let flags: Vec<String> = plan
            .targets
            .iter()
            .map(|t| format!("--target {t}"))
            .chain(plan.excludes.iter().map(|t| format!("--exclude {t}")))
            .collect();
        let _ = writeln!(
            out,
            "Note: this plan covers part of the configuration ({}): changes elsewhere are not shown. Use it for exceptional cases, not routinely.\n",
            flags.join(" ")
        );
    }
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.importing.is_some() || c.moved_from.is_some())
        .collect();
    let output_changes: Vec<_> = plan.outputs.iter().filter(|o| o.is_change()).collect();
    if changes.is_empty() && output_changes.is_empty() {
        out.push_str("No changes. The infrastructure matches the configuration.\n");
        return out;
    }
    if !changes.is_empty() {
        out.push_str("cairn will perform the following actions:\n\n");
        for c in &changes {
            change(&mut out, c);
        }
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        let n = plan.counts();
        let import = if n.import > 0 {
            format!("{} to import, ", n.import)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "Plan: {import}{} to add, {} to change, {} to destroy.",
            n.add, n.change, n.destroy
        );
    }
    if !output_changes.is_empty() {
        out.push_str("\nChanges to outputs:\n");
        let width = output_changes
            .iter()
            .map(|o| o.name.len())
            .max()
            .unwrap_or(0);
        for o in output_changes {
            match &o.before {
                None => {
                    let _ = writeln!(out, "  + {:width$} = {}", o.name, scalar(&o.after));
                }
                Some(b) => {
                    let _ = writeln!(
                        out,
                        "  ~ {:width$} = {} -> {}",
                        o.name,
                        scalar(b),
                        scalar(&o.after)
                    );
                }
            }
        }
    }
    out
}

fn header(c: &ResourceChange) -> (&'static str, String) {
    let a = &c.address;
    match c.action {
        Action::Create if c.reasons.iter().any(|r| matches!(r, Reason::Adopt(_))) => {
            ("  +", format!("{a} will be adopted"))
        }
        Action::Create => ("  +", format!("{a} will be created")),
        Action::Update => ("  ~", format!("{a} will be updated in-place")),
        Action::Replace if c.create_before_destroy => (
            "+/-",
            format!("{a} must be replaced (the new object is created first)"),
        ),
        Action::Replace => ("-/+", format!("{a} must be replaced")),
        Action::Delete => match &c.deposed {
            Some(id) => (
                "  -",
                format!("{a} (deposed object {id}) will be destroyed"),
            ),
            None => ("  -", format!("{a} will be destroyed")),
        },
        Action::NoOp if c.importing.is_some() => ("   ", format!("{a} will be imported")),
        Action::NoOp => match &c.moved_from {
            Some(from) => ("   ", format!("{from} has moved to {a}")),
            None => ("   ", format!("{a} is unchanged")),
        },
        Action::Read => (" <=", format!("{a} will be read during apply")),
    }
}

/// One resource's block (`# aws_vpc.main will be created`, attributes).
pub fn change_text(out: &mut String, c: &ResourceChange) {
    let (sym, title) = header(c);
    let _ = writeln!(out, "  # {title}");
    for r in &c.reasons {
        let why = match r {
            Reason::Gone => "(because it was deleted outside cairn)".to_string(),
            Reason::Tainted => {
                "(because it is tainted: a previous apply created it but could not finish)"
                    .to_string()
            }
            Reason::NotInConfig => format!("(because {} is not in the configuration)", c.address),
            Reason::NoInstance(why) => format!("(because {why})"),
            Reason::ReplaceTriggeredBy(r) => format!("(because replace_triggered_by: {r} changes)"),
            Reason::Deposed => {
                "(the object a create-before-destroy replacement replaced: its deletion did not complete)".to_string()
            }
            Reason::Adopt(id) => format!(
                "(adopts {id}, which an interrupted apply created: found by its ownership tags)"
            ),
            Reason::ForceNew(_) | Reason::Destroy => continue,
        };
        let _ = writeln!(out, "  # {why}");
    }
    if let Some(id) = &c.importing {
        let _ = writeln!(out, "  # (imported from \"{id}\")");
    }
    if let (Some(from), true) = (
        &c.moved_from,
        c.action != Action::NoOp || c.importing.is_some(),
    ) {
        let _ = writeln!(out, "  # (moved from {from})");
    }
    let kind = if c.address.is_data() {
        "data"
    } else {
        "resource"
    };
    let _ = writeln!(
        out,
        "{sym} {kind} \"{}\" \"{}\" {{",
        c.type_name, c.address.name
    );
    let empty = Object::new();
    let before = c.before.as_ref().unwrap_or(&empty);
    let after = c.after.as_ref().unwrap_or(&empty);
    let force_new: Vec<&String> = c
        .reasons
        .iter()
        .flat_map(|r| match r {
            Reason::ForceNew(attrs) => attrs.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut lines: Vec<Line> = Vec::new();
    match c.action {
        Action::Create | Action::Read => {
            for (k, v) in after.iter().filter(|(_, v)| shown(v)) {
                lines.push(Line::new('+', k, v, None));
            }
        }
        Action::Delete => {
            for (k, v) in before.iter().filter(|(_, v)| shown(v)) {
                lines.push(Line::new('-', k, v, None));
            }
        }
        Action::Update | Action::Replace | Action::NoOp => {
            let mut hidden = 0;
            let keys: std::collections::BTreeSet<&String> =
                before.keys().chain(after.keys()).collect();
            for k in keys {
                let b = before.get(k).unwrap_or(&Value::Null);
                let a = after.get(k).unwrap_or(&Value::Null);
                let changed = c.changed.contains(k) || (c.action != Action::NoOp && a.is_unknown());
                if changed {
                    let mut l = if !shown(b) {
                        Line::new('+', k, a, None)
                    } else if !shown(a) && !a.is_unknown() {
                        Line::new('-', k, b, None)
                    } else {
                        Line::new('~', k, a, Some(b))
                    };
                    l.forces = force_new.contains(&k);
                    lines.push(l);
                } else if k == "id" && shown(b) {
                    lines.push(Line::new(' ', k, b, None));
                } else if shown(b) || shown(a) {
                    hidden += 1;
                }
            }
            if hidden > 0 {
                lines.push(Line::note(format!(
                    "# ({hidden} unchanged attribute{} hidden)",
                    if hidden == 1 { "" } else { "s" }
                )));
            }
        }
    }
    render_lines(out, &lines, 6);
    out.push_str("    }\n");
}

/// One drifted object's block.
pub fn drift_text(out: &mut String, d: &Drift) {
    match &d.kind {
        DriftKind::Deleted => {
            let _ = writeln!(out, "  # {} has been deleted", d.address);
            let _ = writeln!(
                out,
                "  - resource \"{}\" \"{}\" {{",
                d.type_name, d.address.name
            );
            if let Some(id) = d.before.get("id") {
                render_lines(out, &[Line::new('-', "id", id, None)], 6);
            }
            out.push_str("    }\n");
        }
        DriftKind::Changed(attrs) => {
            let _ = writeln!(out, "  # {} has changed", d.address);
            let _ = writeln!(
                out,
                "  ~ resource \"{}\" \"{}\" {{",
                d.type_name, d.address.name
            );
            let after = d.after.clone().unwrap_or_default();
            let lines: Vec<Line> = attrs
                .iter()
                .map(|k| {
                    Line::new(
                        '~',
                        k,
                        after.get(k).unwrap_or(&Value::Null),
                        Some(d.before.get(k).unwrap_or(&Value::Null)),
                    )
                })
                .collect();
            render_lines(out, &lines, 6);
            out.push_str("    }\n");
        }
    }
}

/// Null and empty values are left out of create and delete listings.
fn shown(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::List(l) => !l.is_empty(),
        Value::Map(m) => !m.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

struct Line<'a> {
    sym: char,
    key: String,
    value: Option<&'a Value>,
    old: Option<&'a Value>,
    forces: bool,
    note: Option<String>,
}

impl<'a> Line<'a> {
    fn new(sym: char, key: &str, value: &'a Value, old: Option<&'a Value>) -> Self {
        Line {
            sym,
            key: key.to_string(),
            value: Some(value),
            old,
            forces: false,
            note: None,
        }
    }
    fn note(text: String) -> Self {
        Line {
            sym: ' ',
            key: String::new(),
            value: None,
            old: None,
            forces: false,
            note: Some(text),
        }
    }
}

fn render_lines(out: &mut String, lines: &[Line], indent: usize) {
    let width = lines
        .iter()
        .filter(|l| l.note.is_none())
        .map(|l| l.key.len())
        .max()
        .unwrap_or(0);
    let pad = " ".repeat(indent);
    for l in lines {
        if let Some(n) = &l.note {
            let _ = writeln!(out, "{pad}  {n}");
            continue;
        }
        let Some(v) = l.value else { continue };
        let forces = if l.forces {
            " # forces replacement"
        } else {
            ""
        };
        let _ = write!(out, "{pad}{} {:width$} = ", l.sym, l.key);
        match l.old {
            Some(old) if is_scalar(old) && is_scalar(v) => {
                let _ = writeln!(out, "{} -> {}{forces}", scalar(old), scalar(v));
            }
            Some(old) => {
                // A collection changed: show it as a nested diff.
                nested_diff(out, old, v, indent + 4);
                if !forces.is_empty() {
                    out.pop();
                    let _ = writeln!(out, "{forces}");
                }
            }
            None => {
                nested(out, v, l.sym, indent + 4);
                if !forces.is_empty() {
                    out.pop();
                    let _ = writeln!(out, "{forces}");
                }
            }
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::List(_) | Value::Map(_))
}

/// One value on the rest of the current line (and following lines for
/// collections), each element prefixed with `sym`.
fn nested(out: &mut String, v: &Value, sym: char, indent: usize) {
    let pad = " ".repeat(indent);
    let close = " ".repeat(indent - 2);
    match v {
        Value::List(items) if !items.is_empty() => {
            out.push_str("[\n");
            for item in items {
                let _ = write!(out, "{pad}{sym} ");
                nested(out, item, sym, indent + 4);
                out.pop();
                out.push_str(",\n");
            }
            let _ = writeln!(out, "{close}]");
        }
        Value::Map(m) if !m.is_empty() => {
            out.push_str("{\n");
            let width = m.keys().map(|k| key_text(k).len()).max().unwrap_or(0);
            for (k, item) in m {
                let _ = write!(out, "{pad}{sym} {:width$} = ", key_text(k));
                nested(out, item, sym, indent + 4);
            }
            let _ = writeln!(out, "{close}}}");
        }
        other => {
            let _ = writeln!(out, "{}", scalar(other));
        }
    }
}

fn nested_diff(out: &mut String, old: &Value, new: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    let close = " ".repeat(indent - 2);
    match (old.unmarked(), new.unmarked()) {
        (Value::Map(a), Value::Map(b)) if !old.is_sensitive() && !new.is_sensitive() => {
            out.push_str("{\n");
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            let width = keys.iter().map(|k| key_text(k).len()).max().unwrap_or(0);
            for k in keys {
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) if x.same_as(y) && x.is_sensitive() == y.is_sensitive() => {}
                    (Some(x), Some(y)) => {
                        let _ = writeln!(
                            out,
                            "{pad}~ {:width$} = {} -> {}",
                            key_text(k),
                            scalar(x),
                            scalar(y)
                        );
                    }
                    (None, Some(y)) => {
                        let _ = write!(out, "{pad}+ {:width$} = ", key_text(k));
                        nested(out, y, '+', indent + 4);
                    }
                    (Some(x), None) => {
                        let _ = write!(out, "{pad}- {:width$} = ", key_text(k));
                        nested(out, x, '-', indent + 4);
                    }
                    (None, None) => {}
                }
            }
            let _ = writeln!(out, "{close}}}");
        }
        (Value::List(a), Value::List(b)) if !old.is_sensitive() && !new.is_sensitive() => {
            out.push_str("[\n");
            for x in a.iter().filter(|x| !b.iter().any(|y| y.same_as(x))) {
                let _ = write!(out, "{pad}- ");
                nested(out, x, '-', indent + 4);
                out.pop();
                out.push_str(",\n");
            }
            for y in b.iter().filter(|y| !a.iter().any(|x| x.same_as(y))) {
                let _ = write!(out, "{pad}+ ");
                nested(out, y, '+', indent + 4);
                out.pop();
                out.push_str(",\n");
            }
            let _ = writeln!(out, "{close}]");
        }
        _ => {
            let _ = writeln!(out, "{} -> {}", scalar(old), scalar(new));
        }
    }
}

fn key_text(k: &str) -> String {
    format!("{k:?}")
}

/// A value on one line. The only place values become text: sensitive
/// values are masked, unknown values are marked.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Sensitive(_) => "(sensitive value)".into(),
        Value::Unknown => "(known after apply)".into(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(*n),
        Value::String(s) => format!("{s:?}"),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(scalar).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k:?} = {}", scalar(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
