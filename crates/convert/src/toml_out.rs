//! Writing TOML text: values, keys, string quoting and the sections of one
//! stack file. The text is passed through `cairn_fmt::format` afterwards, so
//! only correctness (round-tripping) matters here, not layout.

use std::fmt::Write;

/// A TOML value as cairn reads it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    /// Already TOML text: a number or a boolean.
    Raw(String),
    /// A string, by its content (what TOML decodes it to). For stack files
    /// that content is a cairn template (`${...}`, `$${`), for var files
    /// plain data.
    Str(String),
    Array(Vec<Val>),
    Table(Vec<(String, Val)>),
}

impl Val {
    /// A string that is exactly one expression: `"${expr}"`, keeping the
    /// expression's type.
    pub(crate) fn expr(text: &str) -> Val {
        Val::Str(format!("${{{text}}}"))
    }
}

/// One table of a file: `[a.b]`, `[[a.b]]`, or the keys before any header.
#[derive(Debug, Default)]
pub(crate) struct Section {
    /// Comment lines above the header (without `# `).
    pub comments: Vec<String>,
    pub header: Header,
    pub entries: Vec<(String, Val)>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Header {
    /// Keys at the top of the file, before any table.
    #[default]
    Root,
    Table(Vec<String>),
    ArrayTable(Vec<String>),
}

impl Section {
    pub(crate) fn table(path: &[&str]) -> Section {
        Section {
            header: Header::Table(path.iter().map(|s| s.to_string()).collect()),
            ..Section::default()
        }
    }
    pub(crate) fn array_table(path: &[&str]) -> Section {
        Section {
            header: Header::ArrayTable(path.iter().map(|s| s.to_string()).collect()),
            ..Section::default()
        }
    }
    pub(crate) fn comment(text: impl Into<String>) -> Section {
        Section {
            comments: vec![text.into()],
            header: Header::Root,
            entries: Vec::new(),
        }
    }
    pub(crate) fn set(&mut self, key: &str, v: Val) {
        self.entries.push((key.to_string(), v));
    }
}

/// The text of a file of sections. Sections without entries and header
/// (comments only) are written as comment lines where they stand.
pub(crate) fn document(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        if !out.is_empty() {
            out.push('\n');
        }
        for c in &s.comments {
            for line in c.lines() {
                let _ = writeln!(out, "# {line}");
            }
        }
        match &s.header {
            Header::Root => {}
            Header::Table(p) => {
                let _ = writeln!(out, "[{}]", dotted(p));
            }
            Header::ArrayTable(p) => {
                let _ = writeln!(out, "[[{}]]", dotted(p));
            }
        }
        for (k, v) in &s.entries {
            let _ = writeln!(out, "{} = {}", key(k), value(v, 0));
        }
    }
    out
}

fn dotted(path: &[String]) -> String {
    path.iter().map(|p| key(p)).collect::<Vec<_>>().join(".")
}

/// A key: bare when TOML allows it, else a basic string.
pub(crate) fn key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        basic(k)
    }
}

/// A value's TOML text. Arrays holding tables, or too long for one line,
/// are written one element per line (`cairn fmt` keeps such arrays so).
pub(crate) fn value(v: &Val, indent: usize) -> String {
    match v {
        Val::Raw(s) => s.clone(),
        Val::Str(s) => string(s),
        Val::Table(entries) if entries.is_empty() => "{}".into(),
        Val::Table(entries) => {
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), value(v, indent)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        Val::Array(items) if items.is_empty() => "[]".into(),
        Val::Array(items) => {
            let one_line: Vec<String> = items.iter().map(|i| value(i, indent)).collect();
            let flat = format!("[{}]", one_line.join(", "));
            let has_table = items
                .iter()
                .any(|i| matches!(i, Val::Table(t) if !t.is_empty()));
            if !has_table && !flat.contains('\n') && flat.len() <= 80 {
                return flat;
            }
            let pad = "  ".repeat(indent + 1);
            let mut s = String::from("[\n");
            for i in items {
                let _ = writeln!(s, "{pad}{},", value(i, indent + 1));
            }
            s.push_str(&"  ".repeat(indent));
            s.push(']');
            s
        }
    }
}

/// A string with the quoting that reads best and round-trips: a plain
/// basic string when nothing needs escaping, a literal string when the
/// content has quotes or backslashes (expressions: no escapes to read), a
/// multi-line literal string for several lines, else a basic string with
/// escapes.
pub(crate) fn string(s: &str) -> String {
    let controls = |allow_newline: bool| {
        s.chars()
            .any(|c| c.is_control() && c != '\t' && !(allow_newline && c == '\n'))
    };
    if !s.contains(['"', '\\']) && !controls(false) {
        return format!("\"{s}\"");
    }
    if !s.contains('\'') && !controls(false) {
        return format!("'{s}'");
    }
    // A multi-line literal string cannot hold `'''`, nor end in a quote
    // (it would run into the closing delimiter).
    if s.contains('\n') && !s.contains("'''") && !s.ends_with('\'') && !controls(true) {
        // A newline right after the opening delimiter is dropped by TOML,
        // so the content starts on the next line exactly when it starts
        // with a newline of its own.
        return if s.starts_with('\n') {
            format!("'''\n{s}'''")
        } else {
            format!("'''{s}'''")
        };
    }
    basic(s)
}

/// A basic (double-quoted) string with escapes.
pub(crate) fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_picks_the_plainest_form_that_round_trips() {
        assert_eq!(string("10.0.0.0/16"), "\"10.0.0.0/16\"");
        assert_eq!(string("${f(\"a\")}"), "'${f(\"a\")}'");
        assert_eq!(string("it's \"x\""), "\"it's \\\"x\\\"\"");
        assert_eq!(string("a\nb"), "'''a\nb'''");
        assert_eq!(string("it's\nx'"), "\"it's\\nx'\"");
        assert_eq!(string("a \"q\"\nb"), "'''a \"q\"\nb'''");
        assert_eq!(string("\n\"x\""), "'''\n\n\"x\"'''");
        assert_eq!(key("b c"), "\"b c\"");
        assert_eq!(key("aws_vpc"), "aws_vpc");
    }
}
