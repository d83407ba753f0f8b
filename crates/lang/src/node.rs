//! TOML documents as a small spanned tree, so the loader does not depend on
//! toml_edit's types beyond parsing.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Debug, Clone)]
pub enum Node {
    /// `content`: the span of the string's characters when they map one to
    /// one onto the source (no escapes), so errors can point inside it.
    Str {
        value: String,
        span: Span,
        content: Option<Span>,
    },
    Int(i64, Span),
    Float(f64, Span),
    Bool(bool, Span),
    Array(Vec<Node>, Span),
    /// Entries with their key spans; `span` is the header for `[tables]`.
    Table(Vec<Entry>, Span),
    Datetime(Span),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub node: Node,
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Str { span, .. }
            | Node::Int(_, span)
            | Node::Float(_, span)
            | Node::Bool(_, span) => *span,
            Node::Array(_, span) | Node::Table(_, span) | Node::Datetime(span) => *span,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Node::Str { .. } => "a string",
            Node::Int(..) | Node::Float(..) => "a number",
            Node::Bool(..) => "a bool",
            Node::Array(..) => "an array",
            Node::Table(..) => "a table",
            Node::Datetime(..) => "a datetime",
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match self {
            Node::Table(e, _) => Some(e),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Parses one file into its root table.
pub fn parse(file: FileId, text: &str) -> Result<Vec<Entry>, Diagnostic> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let range = e.span().unwrap_or(0..0);
        let range = if range.is_empty() {
            range.start..(range.start + 1).min(text.len().max(range.start))
        } else {
            range
        };
        Diagnostic::at(
            format!("invalid TOML: {}", e.message().trim()),
            Span::new(file, range),
        )
        .hint("see https://toml.io for the syntax")
    })?;
    let conv = Conv { file, text };
    Ok(conv.table_entries(
        doc.as_table().iter().map(|(k, _)| k.to_string()).collect(),
        |k| doc.as_table().get_key_value(k),
    ))
}

struct Conv<'a> {
    file: FileId,
    text: &'a str,
}

impl<'a> Conv<'a> {
    fn span(&self, r: Option<std::ops::Range<usize>>) -> Span {
        Span::new(self.file, r.unwrap_or(0..0))
    }

    fn table_entries<'t>(
        &self,
        keys: Vec<String>,
        get: impl Fn(&str) -> Option<(&'t toml_edit::Key, &'t toml_edit::Item)>,
    ) -> Vec<Entry> {
        keys.into_iter()
            .filter_map(|k| {
                let (key, item) = get(&k)?;
                Some(Entry {
                    key: k,
                    key_span: self.span(key.span()),
                    node: self.item(item)?,
                })
            })
            .collect()
    }

    fn item(&self, item: &toml_edit::Item) -> Option<Node> {
        match item {
            toml_edit::Item::None => None,
            toml_edit::Item::Value(v) => Some(self.value(v)),
            toml_edit::Item::Table(t) => {
                let entries = self
                    .table_entries(t.iter().map(|(k, _)| k.to_string()).collect(), |k| {
                        t.get_key_value(k)
                    });
                Some(Node::Table(entries, self.header(t.span())))
            }
            toml_edit::Item::ArrayOfTables(a) => {
                let items = a
                    .iter()
                    .map(|t| {
                        let entries = self
                            .table_entries(t.iter().map(|(k, _)| k.to_string()).collect(), |k| {
                                t.get_key_value(k)
                            });
                        Node::Table(entries, self.header(t.span()))
                    })
                    .collect();
                Some(Node::Array(items, self.span(a.span())))
            }
        }
    }

    /// A `[table]`'s span is its header line, the part diagnostics show.
    fn header(&self, r: Option<std::ops::Range<usize>>) -> Span {
        let r = r.unwrap_or(0..0);
        let end = self
            .text
            .get(r.clone())
            .and_then(|s| s.find('\n'))
            .map(|n| r.start + n)
            .unwrap_or(r.end);
        Span::new(self.file, r.start..end)
    }

    fn value(&self, v: &toml_edit::Value) -> Node {
        use toml_edit::Value as V;
        let span = self.span(v.span());
        match v {
            V::String(s) => {
                let value = s.value().clone();
                let raw = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
                    3
                } else {
                    1
                };
                let content = (raw.len() >= 2 * quote && raw[quote..raw.len() - quote] == value)
                    .then(|| span.narrow(quote..raw.len() - quote));
                Node::Str {
                    value,
                    span,
                    content,
                }
            }
            V::Integer(i) => Node::Int(*i.value(), span),
            V::Float(f) => Node::Float(*f.value(), span),
            V::Boolean(b) => Node::Bool(*b.value(), span),
            V::Datetime(_) => Node::Datetime(span),
            V::Array(a) => Node::Array(a.iter().map(|x| self.value(x)).collect(), span),
            V::InlineTable(t) => {
                let entries = self
                    .table_entries(t.iter().map(|(k, _)| k.to_string()).collect(), |k| {
                        t.get_key_value(k)
                    });
                Node::Table(entries, span)
            }
        }
    }
}
