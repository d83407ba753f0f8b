//! The document as the formatter sees it: a flat list of statements (table headers and
//! key/value pairs) in source order, each with the trivia lines before it and its trailing
//! comment, and values as trees of lists whose gaps hold their comments.
//!
//! `toml_edit` gives the structure and the spans; everything between spans is read back from
//! the source with [`gap::scan`], and keys are re-read from the source text of each statement,
//! so that neither `toml_edit`'s grouping of dotted keys nor its sharing of one `Key` between
//! several headers changes the order or the spelling of what is printed.

use std::ops::Range;

use toml_edit::{Item, Table, Value};

use crate::gap::{self, Line};
use crate::FormatError;

/// The whole document.
#[derive(Debug)]
pub(crate) struct Doc {
    pub(crate) stmts: Vec<Stmt>,
    /// Trivia lines after the last statement.
    pub(crate) end_lines: Vec<Line>,
}

/// A table header or a key/value pair, on its own line(s).
#[derive(Debug)]
pub(crate) struct Stmt {
    pub(crate) before: Vec<Line>,
    pub(crate) kind: StmtKind,
    pub(crate) trailing: Option<String>,
}

#[derive(Debug)]
pub(crate) enum StmtKind {
    /// `[path]`, or `[[path]]` when `array` is set; `path` is already in canonical form.
    Header { path: String, array: bool },
    /// `key = value`; `key` is already in canonical form.
    KeyValue { key: String, value: Node },
}

/// A value.
#[derive(Debug)]
pub(crate) enum Node {
    /// A string, number, boolean or datetime, in its source text.
    Scalar(String),
    Array(List),
    InlineTable(List),
}

/// The inside of an array or an inline table.
#[derive(Debug)]
pub(crate) struct List {
    /// A comment on the line of the opening bracket.
    pub(crate) open: Option<String>,
    pub(crate) items: Vec<ListItem>,
    /// Trivia lines after the last item, before the closing bracket.
    pub(crate) close_lines: Vec<Line>,
    /// Whether the source had a line break between the brackets, outside of strings.
    pub(crate) newline: bool,
}

#[derive(Debug)]
pub(crate) struct ListItem {
    pub(crate) before: Vec<Line>,
    /// The key path of an inline-table entry, in canonical form.
    pub(crate) key: Option<String>,
    pub(crate) value: Node,
    pub(crate) trailing: Option<String>,
}

impl Node {
    /// Whether a comment stands anywhere inside this value.
    pub(crate) fn has_comments(&self) -> bool {
        match self {
            Node::Scalar(_) => false,
            Node::Array(list) | Node::InlineTable(list) => {
                list.has_own_comments() || list.items.iter().any(|item| item.value.has_comments())
            }
        }
    }

    /// Whether the source of this value had a line break outside of strings.
    pub(crate) fn spans_lines(&self) -> bool {
        match self {
            Node::Scalar(_) => false,
            Node::Array(list) | Node::InlineTable(list) => {
                list.newline || list.items.iter().any(|item| item.value.spans_lines())
            }
        }
    }
}

impl List {
    /// Whether a comment stands directly between this list's brackets (not inside an element).
    pub(crate) fn has_own_comments(&self) -> bool {
        self.open.is_some()
            || gap::has_comment(&self.close_lines)
            || self
                .items
                .iter()
                .any(|item| item.trailing.is_some() || gap::has_comment(&item.before))
    }
}

/// Builds the formatter's view of a parsed document. `text` is the source `doc` was parsed from.
pub(crate) fn build(text: &str, doc: &toml_edit::Document<&str>) -> Result<Doc, FormatError> {
    let mut found = Vec::new();
    collect(doc.as_table(), &mut found)?;
    found.sort_by_key(|found| found.start());

    let mut stmts = Vec::with_capacity(found.len());
    let mut gap = gap::scan(text, 0, true);
    for found in found {
        let before = std::mem::take(&mut gap.lines);
        let (kind, end) = match found {
            Found::Header { span, array } => {
                expect_at(text, gap.end, span.start)?;
                let (open, close) = if array { ("[[", "]]") } else { ("[", "]") };
                let inner = text[span.clone()]
                    .strip_prefix(open)
                    .and_then(|s| s.strip_suffix(close))
                    .ok_or_else(|| internal(text, span.clone(), "malformed table header"))?;
                let path = key_path(text, inner, span.clone())?;
                (StmtKind::Header { path, array }, span.end)
            }
            Found::KeyValue { leaf, value } => {
                let key_span = gap.end..leaf.end;
                if key_span.start > leaf.start {
                    return Err(internal(text, key_span, "key out of order"));
                }
                let key = key_path(text, &text[key_span.clone()], key_span)?;
                let span = span_of(text, value.span())?;
                let node = node(text, value)?;
                (StmtKind::KeyValue { key, value: node }, span.end)
            }
        };
        gap = gap::scan(text, end, false);
        stmts.push(Stmt {
            before,
            kind,
            trailing: gap.trailing.take(),
        });
    }
    expect_at(text, gap.end, text.len())?;
    Ok(Doc {
        stmts,
        end_lines: gap.lines,
    })
}

/// A header or a key/value pair found in the table tree, before ordering.
enum Found<'d> {
    Header {
        span: Range<usize>,
        array: bool,
    },
    KeyValue {
        leaf: Range<usize>,
        value: &'d Value,
    },
}

impl Found<'_> {
    fn start(&self) -> usize {
        match self {
            Found::Header { span, .. } => span.start,
            Found::KeyValue { leaf, .. } => leaf.start,
        }
    }
}

/// Collects every header and every key/value pair under `table` (at any depth, through dotted
/// and implicit tables). A key/value pair is located by its last key: in `a.b = 1` and
/// `a.c = 2`, `toml_edit` keeps one `Key` for `a`, whose span is that of the first `a`.
fn collect<'d>(table: &'d Table, found: &mut Vec<Found<'d>>) -> Result<(), FormatError> {
    for (name, item) in table.iter() {
        let key = table
            .key(name)
            .ok_or_else(|| internal("", 0..0, "key without a key"))?;
        match item {
            Item::None => {}
            Item::Value(value) => {
                let leaf = key
                    .span()
                    .ok_or_else(|| internal("", 0..0, "key without a span"))?;
                found.push(Found::KeyValue { leaf, value });
            }
            Item::Table(child) => {
                // Implicit and dotted tables have no header; an explicit one's span is its header.
                if !child.is_dotted() && !child.is_implicit() {
                    let span = child
                        .span()
                        .ok_or_else(|| internal("", 0..0, "table without a span"))?;
                    found.push(Found::Header { span, array: false });
                }
                collect(child, found)?;
            }
            Item::ArrayOfTables(tables) => {
                for child in tables.iter() {
                    let span = child
                        .span()
                        .ok_or_else(|| internal("", 0..0, "table without a span"))?;
                    found.push(Found::Header { span, array: true });
                    collect(child, found)?;
                }
            }
        }
    }
    Ok(())
}

fn node(text: &str, value: &Value) -> Result<Node, FormatError> {
    let span = span_of(text, value.span())?;
    match value {
        Value::Array(array) => {
            let mut list = ListBuilder::open(text, span.clone())?;
            for element in array.iter() {
                let element_span = span_of(text, element.span())?;
                list.item(None, element_span, node(text, element)?)?;
            }
            Ok(Node::Array(list.close()?))
        }
        Value::InlineTable(table) => {
            let mut entries = Vec::new();
            inline_entries(table, &mut entries)?;
            entries.sort_by_key(|(leaf, _)| leaf.start);
            let mut list = ListBuilder::open(text, span.clone())?;
            for (leaf, value) in entries {
                let key_span = list.next_start()..leaf.end;
                if key_span.start > leaf.start {
                    return Err(internal(text, key_span, "key out of order"));
                }
                let key = key_path(text, &text[key_span.clone()], key_span)?;
                let value_span = span_of(text, value.span())?;
                list.item(Some(key), value_span, node(text, value)?)?;
            }
            Ok(Node::InlineTable(list.close()?))
        }
        _ => Ok(Node::Scalar(text[span].to_owned())),
    }
}

/// The entries of an inline table, through its dotted keys, each with the span of its last key.
fn inline_entries<'d>(
    table: &'d toml_edit::InlineTable,
    entries: &mut Vec<(Range<usize>, &'d Value)>,
) -> Result<(), FormatError> {
    for (name, value) in table.iter() {
        match value {
            Value::InlineTable(child) if child.is_dotted() => inline_entries(child, entries)?,
            _ => {
                let leaf = table
                    .key(name)
                    .and_then(|key| key.span())
                    .ok_or_else(|| internal("", 0..0, "key without a span"))?;
                entries.push((leaf, value));
            }
        }
    }
    Ok(())
}

/// Reads the inside of a bracketed list between the spans of its items.
struct ListBuilder<'t> {
    text: &'t str,
    span: Range<usize>,
    list: List,
    gap: gap::Gap,
}

impl<'t> ListBuilder<'t> {
    fn open(text: &'t str, span: Range<usize>) -> Result<Self, FormatError> {
        let mut gap = gap::scan(text, span.start + 1, false);
        let list = List {
            open: gap.trailing.take(),
            items: Vec::new(),
            close_lines: Vec::new(),
            newline: gap.newline,
        };
        Ok(ListBuilder {
            text,
            span,
            list,
            gap,
        })
    }

    /// Where the next item starts.
    fn next_start(&self) -> usize {
        self.gap.end
    }

    fn item(
        &mut self,
        key: Option<String>,
        value_span: Range<usize>,
        value: Node,
    ) -> Result<(), FormatError> {
        if key.is_none() {
            expect_at(self.text, self.gap.end, value_span.start)?;
        }
        let before = std::mem::take(&mut self.gap.lines);
        self.gap = gap::scan(self.text, value_span.end, false);
        self.list.newline |= self.gap.newline;
        self.list.items.push(ListItem {
            before,
            key,
            value,
            trailing: self.gap.trailing.take(),
        });
        Ok(())
    }

    fn close(mut self) -> Result<List, FormatError> {
        expect_at(self.text, self.gap.end, self.span.end - 1)?;
        self.list.close_lines = self.gap.lines;
        Ok(self.list)
    }
}

/// Formats a key path read from the source: parts that are valid bare keys are written bare,
/// the others keep their quotes as written; parts are joined by `.` without spaces.
fn key_path(text: &str, source: &str, span: Range<usize>) -> Result<String, FormatError> {
    let keys = toml_edit::Key::parse(source.trim())
        .map_err(|_| internal(text, span.clone(), "unreadable key"))?;
    let mut path = String::with_capacity(source.len());
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            path.push('.');
        }
        if is_bare_key(key.get()) {
            path.push_str(key.get());
        } else {
            match key.as_repr().and_then(|repr| repr.as_raw().as_str()) {
                Some(raw) => path.push_str(raw),
                None => path.push_str(&key.display_repr()),
            }
        }
    }
    Ok(path)
}

/// Whether `key` can be written without quotes: `A-Za-z0-9_-`, at least one character.
pub(crate) fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn span_of(text: &str, span: Option<Range<usize>>) -> Result<Range<usize>, FormatError> {
    span.filter(|span| span.start <= span.end && span.end <= text.len())
        .ok_or_else(|| internal(text, 0..0, "value without a span"))
}

/// Checks that the trivia read from the source ends where `toml_edit` says the next token is.
fn expect_at(text: &str, got: usize, want: usize) -> Result<(), FormatError> {
    if got == want {
        Ok(())
    } else {
        let (from, to) = (got.min(want), got.max(want));
        Err(internal(text, from..to, "unexpected text between tokens"))
    }
}

/// An error that means a bug in the formatter, never a problem with the input.
pub(crate) fn internal(text: &str, span: Range<usize>, what: &str) -> FormatError {
    let span = span.start.min(text.len())..span.end.min(text.len());
    FormatError {
        message: format!("internal formatter error ({what}); the file is left as it was"),
        span,
    }
}
