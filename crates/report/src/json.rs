//! The report as JSON: [`crate::model::Report`] serialised as it is. The
//! structure is documented in docs/cli.md and versioned by
//! `format_version`; fields are only ever added within a version.

use crate::model::Report;

pub fn render(r: &Report) -> String {
    // A tree of plain strings, numbers and maps always serialises.
    let mut s = serde_json::to_string_pretty(r).unwrap_or_default();
    s.push('\n');
    s
}
