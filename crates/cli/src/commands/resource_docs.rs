//! `cairn schema --markdown`: the tables of docs/resources.md, generated
//! from the registries so the documented list of types cannot drift (a test
//! compares the committed file with this output).

use std::fmt::Write;

use cairn_core::{Registry, Schema};

/// The resource and data source tables, each type with its crate, its
/// description, and which attributes force a replacement.
pub fn markdown(registries: &[(&'static str, Registry)]) -> String {
    let mut resources: Vec<(&str, &str, &Schema)> = Vec::new();
    let mut data: Vec<(&str, &str, &Schema)> = Vec::new();
    for (krate, r) in registries {
        for t in r.resource_types() {
            if let Some(res) = r.resource(t) {
                resources.push((t, krate, res.schema()));
            }
        }
        for t in r.data_source_types() {
            if let Some(d) = r.data_source(t) {
                data.push((t, krate, d.schema()));
            }
        }
    }
    resources.sort_by_key(|(t, k, _)| (*k, *t));
    data.sort_by_key(|(t, k, _)| (*k, *t));
    let mut out = String::new();
    let _ = writeln!(out, "### Resources ({})\n", resources.len());
    let _ = writeln!(
        out,
        "| type | crate | what it is | replaced when these change |"
    );
    let _ = writeln!(out, "| --- | --- | --- | --- |");
    for (t, k, s) in &resources {
        let forces: Vec<String> = s
            .attributes
            .iter()
            .filter(|(_, a)| a.force_new && a.is_configurable())
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        let forces = if forces.is_empty() {
            "nothing: all in place".to_string()
        } else {
            forces.join(", ")
        };
        let _ = writeln!(out, "| `{t}` | {k} | {} | {forces} |", s.description);
    }
    let _ = writeln!(out, "\n### Data sources ({})\n", data.len());
    let _ = writeln!(out, "| type | crate | what it answers |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for (t, k, s) in &data {
        let _ = writeln!(out, "| `{t}` | {k} | {} |", s.description);
    }
    out
}
