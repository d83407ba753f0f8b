//! TOML documents as a small spanned tree, so the loader does not depend on
//! toml_edit's types beyond parsing.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

#[derive(Debug, Clone)]
pub enum Node {
    /// `content` maps offsets in `value` back to the source, so errors in
    /// an expression inside the string can point at their column.
    Str {
        value: String,
        span: Span,
        content: StrMap,
    },
    /// Only in JSON variable files.
    Null(Span),
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
            Node::Array(_, span)
            | Node::Table(_, span)
            | Node::Datetime(span)
            | Node::Null(span) => *span,
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
            Node::Null(..) => "null",
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match self {
            Node::Table(e, _) => Some(e),
            _ => None,
        }
    }

    /// The node at a path inside this one (for pointing at the part of a
    /// value that is wrong); the deepest node found on the way.
    pub fn at(&self, path: &[cairn_core::value::PathStep]) -> &Node {
        use cairn_core::value::PathStep;
        let Some((step, rest)) = path.split_first() else {
            return self;
        };
        let next = match (self, step) {
            (Node::Table(entries, _), PathStep::Key(k)) => {
                entries.iter().find(|e| e.key == *k).map(|e| &e.node)
            }
            (Node::Array(items, _), PathStep::Index(i)) => items.get(*i),
            _ => None,
        };
        next.map(|n| n.at(rest)).unwrap_or(self)
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
                let content = StrMap::of_toml(raw, &value, span);
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

/// How offsets inside a string's decoded value map onto its source text.
#[derive(Debug, Clone)]
pub enum StrMap {
    /// Unknown: point at the whole string.
    Whole,
    /// The value is the source text starting at this offset (no escapes).
    Direct(u32),
    /// Per byte of the value (and one past its end), its offset in the source.
    Mapped(std::sync::Arc<[u32]>),
}

impl StrMap {
    /// The source span of a byte range of the value; `whole` when unknown.
    pub fn span(&self, whole: Span, r: std::ops::Range<usize>) -> Span {
        match self {
            StrMap::Whole => whole,
            StrMap::Direct(start) => Span {
                file: whole.file,
                start: start + r.start as u32,
                end: start + r.end as u32,
            },
            StrMap::Mapped(offsets) => match (offsets.get(r.start), offsets.get(r.end)) {
                (Some(&a), Some(&b)) => Span {
                    file: whole.file,
                    start: a,
                    end: b.max(a),
                },
                _ => whole,
            },
        }
    }

    /// The map of a TOML string token (`raw`, quotes included) whose decoded
    /// value is `value`; `Whole` if decoding here does not reproduce it.
    fn of_toml(raw: &str, value: &str, span: Span) -> StrMap {
        let (quote, multi) = if raw.starts_with("\"\"\"") {
            ('"', true)
        } else if raw.starts_with("'''") {
            ('\'', true)
        } else if raw.starts_with('"') {
            ('"', false)
        } else {
            ('\'', false)
        };
        let q = if multi { 3 } else { 1 };
        if raw.len() < 2 * q {
            return StrMap::Whole;
        }
        let mut start = q;
        let mut content = &raw[q..raw.len() - q];
        // A newline right after the opening delimiter is not part of the value.
        if multi {
            for nl in ["\r\n", "\n"] {
                if let Some(rest) = content.strip_prefix(nl) {
                    content = rest;
                    start += nl.len();
                    break;
                }
            }
        }
        let base = span.start + start as u32;
        if content == value {
            return StrMap::Direct(base);
        }
        if quote == '\'' {
            return StrMap::Whole;
        }
        match decode_basic(content, multi) {
            Some((decoded, offsets)) if decoded == value => StrMap::Mapped(
                offsets
                    .into_iter()
                    .map(|o| base + o as u32)
                    .collect::<Vec<_>>()
                    .into(),
            ),
            _ => StrMap::Whole,
        }
    }
}

/// Decodes a TOML basic string's content, recording for every decoded byte
/// the offset of the source text it came from.
fn decode_basic(content: &str, multi: bool) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(content.len());
    let mut offsets = Vec::with_capacity(content.len() + 1);
    let mut chars = content.char_indices().peekable();
    let push = |out: &mut String, offsets: &mut Vec<usize>, c: char, at: usize| {
        out.push(c);
        offsets.extend(std::iter::repeat_n(at, c.len_utf8()));
    };
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            if multi && c == '\r' && matches!(chars.peek(), Some((_, '\n'))) {
                continue;
            }
            push(&mut out, &mut offsets, c, i);
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            '"' => '"',
            '\\' => '\\',
            'e' => '\u{1b}',
            'u' | 'U' => {
                let n = if e == 'u' { 4 } else { 8 };
                let mut hex = String::new();
                for _ in 0..n {
                    hex.push(chars.next()?.1);
                }
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            'x' => {
                let mut hex = String::new();
                for _ in 0..2 {
                    hex.push(chars.next()?.1);
                }
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            w if multi && w.is_whitespace() => {
                // A line-ending backslash: the newline and the whitespace after it vanish.
                while matches!(chars.peek(), Some((_, c)) if c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        push(&mut out, &mut offsets, decoded, i);
    }
    offsets.push(content.len());
    Some((out, offsets))
}
