//! Diagnostics about stack files, rendered in the style of rustc:
//!
//! ```text
//! error: unknown attribute `cidr_blok` for resource type `aws_vpc`
//!   --> stacks/quickstart/network.toml:3:1
//!    |
//!  3 | cidr_blok = "10.40.0.0/24"
//!    | ^^^^^^^^^
//!    = hint: did you mean `cidr_block`?
//! ```

use std::fmt::Write;

use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    /// The offending span. Every diagnostic about a stack file has one.
    pub span: Option<Span>,
    /// Short text printed after the carets.
    pub label: Option<String>,
    pub hint: Option<String>,
    /// Further locations (for example each edge of a cycle).
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: None,
            label: None,
            hint: None,
            notes: Vec::new(),
        }
    }
    pub fn at(message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            span: Some(span),
            ..Diagnostic::new(message)
        }
    }
    pub fn label(mut self, l: impl Into<String>) -> Self {
        self.label = Some(l.into());
        self
    }
    /// Sets the hint; an empty one is no hint.
    pub fn hint(mut self, h: impl Into<String>) -> Self {
        let h = h.into();
        self.hint = (!h.is_empty()).then_some(h);
        self
    }
    pub fn note(mut self, span: Span, text: impl Into<String>) -> Self {
        self.notes.push((span, text.into()));
        self
    }

    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = format!("error: {}\n", self.message);
        if let Some(span) = self.span {
            snippet(&mut out, sources, span, self.label.as_deref());
        }
        for (span, text) in &self.notes {
            let _ = writeln!(out, "   = note: {text}");
            snippet(&mut out, sources, *span, None);
        }
        if let Some(h) = &self.hint {
            let _ = writeln!(out, "   = hint: {h}");
        }
        out
    }
}

fn snippet(out: &mut String, sources: &SourceMap, span: Span, label: Option<&str>) {
    let Some(file) = sources.get(span.file) else {
        return;
    };
    let (line, col) = file.line_col(span.start);
    let text = file.line_text(line);
    let (end_line, end_col) = file.line_col(span.end.max(span.start));
    let width = if end_line == line {
        end_col.saturating_sub(col).max(1)
    } else {
        text.chars().count().saturating_sub(col - 1).max(1)
    };
    let (shown, col, width) = window(text, col, width);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}", sources.location(span));
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{line} | {shown}");
    let _ = write!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width));
    match label {
        Some(l) => {
            let _ = writeln!(out, " {l}");
        }
        None => out.push('\n'),
    }
}

/// The most characters of a source line a snippet shows.
const MAX_LINE: usize = 120;

/// The part of a long line around the caret (1-based `col`, `width`
/// characters), with `…` where text was cut, and the caret's column and
/// width within it. A line of a few kilobytes is never printed whole.
fn window(text: &str, col: usize, width: usize) -> (String, usize, usize) {
    let len = text.chars().count();
    if len <= MAX_LINE {
        return (text.to_string(), col, width);
    }
    let width = width.min(MAX_LINE / 2);
    let start = (col - 1)
        .saturating_sub(MAX_LINE / 4)
        .min(len.saturating_sub(MAX_LINE));
    let end = (start + MAX_LINE).min(len);
    let mut shown: String = text.chars().skip(start).take(end - start).collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < len {
        shown.push('…');
    }
    (shown, col, width)
}

/// All diagnostics of one run, with the sources they point into.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub sources: SourceMap,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&d.render(&self.sources));
            out.push('\n');
        }
        let n = self.items.len();
        let _ = writeln!(out, "{n} error{}", if n == 1 { "" } else { "s" });
        out
    }
}

impl std::fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn renders_location_line_and_caret() {
        let mut sources = SourceMap::default();
        let f = sources.add(
            "main.toml".into(),
            "[resource.aws_vpc.main]\ncidr_blok = \"x\"\n".into(),
        );
        assert_eq!(f, FileId(0));
        let start = 24;
        let d = Diagnostic::at(
            "unknown attribute `cidr_blok`",
            Span::new(f, start..start + 9),
        )
        .hint("did you mean `cidr_block`?");
        let shown = d.render(&sources);
        assert_eq!(
            shown,
            "error: unknown attribute `cidr_blok`\n --> main.toml:2:1\n  |\n2 | cidr_blok = \"x\"\n  | ^^^^^^^^^\n   = hint: did you mean `cidr_block`?\n"
        );
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let mut sources = SourceMap::default();
        let line = format!(
            "x = [{}\"bad\"{}]",
            "[1], ".repeat(4000),
            ", [2]".repeat(4000)
        );
        let f = sources.add("main.toml".into(), format!("{line}\n"));
        let at = line.find("\"bad\"").unwrap();
        let d = Diagnostic::at("a number is expected", Span::new(f, at..at + 5));
        let shown = d.render(&sources);
        let source_line = shown.lines().nth(3).unwrap();
        assert!(source_line.chars().count() < 140, "{source_line}");
        assert!(source_line.starts_with("1 | …") && source_line.ends_with('…'));
        assert!(source_line.contains("[1], \"bad\", [2]"), "{source_line}");
        let caret = shown.lines().nth(4).unwrap();
        let offset = source_line.find("\"bad\"").unwrap();
        let caret_col = caret.find('^').unwrap();
        assert_eq!(
            source_line[..offset].chars().count(),
            caret[..caret_col].chars().count()
        );
        assert!(caret.ends_with("^^^^^"));
    }
}
