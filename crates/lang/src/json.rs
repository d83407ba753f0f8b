//! JSON documents (variable files such as an estate's `image-tags.json`) as
//! the same spanned tree TOML files become, so a wrong value in a JSON file
//! is reported at its line and column like one in a stack file.

use crate::diagnostic::Diagnostic;
use crate::node::{Entry, Node, StrMap};
use crate::source::{FileId, Span};

/// Parses a JSON document whose top level must be an object.
pub fn parse(file: FileId, text: &str) -> Result<Vec<Entry>, Diagnostic> {
    let mut p = P {
        file,
        s: text,
        pos: 0,
    };
    p.ws();
    let root = p.value(0)?;
    p.ws();
    if p.pos < text.len() {
        return Err(p.err("unexpected text after the JSON document"));
    }
    match root {
        Node::Table(entries, _) => Ok(entries),
        other => Err(Diagnostic::at(
            format!(
                "a variable file must hold a JSON object, found {}",
                other.kind()
            ),
            other.span(),
        )
        .hint("e.g. {\"image_tags\": {\"api\": \"sha-1234\"}}")),
    }
}

struct P<'a> {
    file: FileId,
    s: &'a str,
    pos: usize,
}

impl P<'_> {
    fn span(&self, start: usize) -> Span {
        Span::new(self.file, start..self.pos)
    }

    fn err(&self, message: &str) -> Diagnostic {
        let end = (self.pos + 1).min(self.s.len()).max(self.pos);
        Diagnostic::at(
            format!("invalid JSON: {message}"),
            Span::new(self.file, self.pos..end),
        )
    }

    fn ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
    }

    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    fn value(&mut self, depth: usize) -> Result<Node, Diagnostic> {
        if depth > 64 {
            return Err(self.err("nested too deeply"));
        }
        let start = self.pos;
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.peek() == Some('}') {
                    self.pos += 1;
                    return Ok(Node::Table(entries, self.span(start)));
                }
                loop {
                    self.ws();
                    let key_start = self.pos;
                    let Node::Str { value: key, .. } = self.string()? else {
                        return Err(self.err("expected a string key"));
                    };
                    let key_span = self.span(key_start);
                    self.ws();
                    if self.peek() != Some(':') {
                        return Err(self.err("expected `:` after the key"));
                    }
                    self.pos += 1;
                    self.ws();
                    let node = self.value(depth + 1)?;
                    entries.push(Entry {
                        key,
                        key_span,
                        node,
                    });
                    self.ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {
                            self.pos += 1;
                            return Ok(Node::Table(entries, self.span(start)));
                        }
                        _ => return Err(self.err("expected `,` or `}`")),
                    }
                }
            }
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(']') {
                    self.pos += 1;
                    return Ok(Node::Array(items, self.span(start)));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some(']') => {
                            self.pos += 1;
                            return Ok(Node::Array(items, self.span(start)));
                        }
                        _ => return Err(self.err("expected `,` or `]`")),
                    }
                }
            }
            Some('"') => self.string(),
            Some('t') if self.s[self.pos..].starts_with("true") => {
                self.pos += 4;
                Ok(Node::Bool(true, self.span(start)))
            }
            Some('f') if self.s[self.pos..].starts_with("false") => {
                self.pos += 5;
                Ok(Node::Bool(false, self.span(start)))
            }
            Some('n') if self.s[self.pos..].starts_with("null") => {
                self.pos += 4;
                Ok(Node::Null(self.span(start)))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let rest = &self.s[self.pos..];
                let len = rest
                    .find(|c: char| {
                        !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                    })
                    .unwrap_or(rest.len());
                let text = &rest[..len];
                self.pos += len;
                let span = self.span(start);
                if let Ok(i) = text.parse::<i64>() {
                    Ok(Node::Int(i, span))
                } else if let Ok(f) = text.parse::<f64>() {
                    Ok(Node::Float(f, span))
                } else {
                    self.pos = start;
                    Err(self.err(&format!("invalid number `{text}`")))
                }
            }
            Some(_) => {
                Err(self
                    .err("expected a value (object, array, string, number, true, false or null)"))
            }
            None => Err(self.err("unexpected end of the document")),
        }
    }

    fn string(&mut self) -> Result<Node, Diagnostic> {
        let start = self.pos;
        if self.peek() != Some('"') {
            return Err(self.err("expected a string"));
        }
        self.pos += 1;
        let mut value = String::new();
        let mut offsets = Vec::new();
        let mut escaped = false;
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.err("unterminated string"));
            };
            let at = self.pos;
            self.pos += c.len_utf8();
            let decoded = match c {
                '"' => break,
                '\\' => {
                    escaped = true;
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.pos += 1;
                    match e {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.unicode_escape()?,
                        _ => {
                            self.pos = at;
                            return Err(self.err("invalid escape"));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    self.pos = at;
                    return Err(self.err("control character in a string"));
                }
                c => c,
            };
            value.push(decoded);
            offsets.extend(std::iter::repeat_n((at) as u32, decoded.len_utf8()));
        }
        let span = self.span(start);
        let content = if escaped {
            offsets.push((self.pos - 1) as u32);
            StrMap::Mapped(offsets.into())
        } else {
            StrMap::Direct(start as u32 + 1)
        };
        Ok(Node::Str {
            value,
            span,
            content,
        })
    }

    fn unicode_escape(&mut self) -> Result<char, Diagnostic> {
        let hex4 = |p: &mut Self| -> Result<u32, Diagnostic> {
            let h =
                p.s.get(p.pos..p.pos + 4)
                    .ok_or_else(|| p.err("expected 4 hex digits"))?;
            let n = u32::from_str_radix(h, 16).map_err(|_| p.err("expected 4 hex digits"))?;
            p.pos += 4;
            Ok(n)
        };
        let hi = hex4(self)?;
        if (0xD800..0xDC00).contains(&hi) {
            if !self.s[self.pos..].starts_with("\\u") {
                return Err(self.err("unpaired surrogate"));
            }
            self.pos += 2;
            let lo = hex4(self)?;
            let c = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
            return char::from_u32(c).ok_or_else(|| self.err("invalid surrogate pair"));
        }
        char::from_u32(hi).ok_or_else(|| self.err("invalid unicode escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects_with_spans() {
        let text = r#"{ "image_tags": { "api": "sha-1", "n": 3, "ok": true, "x": null, "l": [1.5, "a\n"] } }"#;
        let entries = parse(FileId(0), text).unwrap();
        assert_eq!(entries[0].key, "image_tags");
        let Node::Table(inner, _) = &entries[0].node else {
            panic!()
        };
        assert_eq!(inner[0].key, "api");
        let span = inner[0].node.span();
        assert_eq!(&text[span.start as usize..span.end as usize], "\"sha-1\"");
        assert!(matches!(inner[1].node, Node::Int(3, _)));
        assert!(matches!(inner[3].node, Node::Null(_)));
        let Node::Array(items, _) = &inner[4].node else {
            panic!()
        };
        assert_eq!(items[1].as_str(), Some("a\n"));
    }

    #[test]
    fn errors_are_located() {
        let e = parse(FileId(0), "{\"a\": [1, 2,}").unwrap_err();
        assert_eq!(e.span.unwrap().start, 12);
        let e = parse(FileId(0), "[1]").unwrap_err();
        assert!(e.message.contains("JSON object"));
        assert!(parse(FileId(0), "{\"a\": \"\\ud83d\\ude00\"}").is_ok());
        assert!(parse(FileId(0), "{\"a\" 1}").is_err());
    }
}
