//! The `${ ... }` references inside TOML strings. A small tokenizer and
//! recursive-descent parser: today it reads references with attribute
//! access and indexing; operators and function calls will grow here.

use cairn_core::value::PathStep;

/// A piece of a string: literal text or a reference, with byte offsets
/// relative to the string's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Lit(String),
    Ref(RawRef),
}

/// A reference as written: its dotted/indexed steps.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRef {
    /// The first name (`var`, `data`, a resource type, ...).
    pub root: String,
    pub steps: Vec<PathStep>,
    /// Byte range of the reference text (inside `${}`), in the string content.
    pub range: std::ops::Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InterpError {
    pub range: std::ops::Range<usize>,
    pub message: String,
}

/// Splits a string into literal text and references; `$${` is a literal `${`.
pub fn parse(s: &str) -> Result<Vec<Piece>, InterpError> {
    let bytes = s.as_bytes();
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if s[i..].starts_with("$${") {
            lit.push_str("${");
            i += 3;
        } else if s[i..].starts_with("${") {
            let start = i + 2;
            let end = find_close(s, start).ok_or(InterpError {
                range: i..s.len(),
                message: "unterminated `${`: expected a closing `}`".into(),
            })?;
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(Piece::Ref(parse_ref(&s[start..end], start)?));
            i = end + 1;
        } else {
            let c = s[i..].chars().next().unwrap_or(' ');
            lit.push(c);
            i += c.len_utf8();
        }
    }
    if !lit.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Lit(lit));
    }
    Ok(pieces)
}

/// The `}` closing an interpolation, skipping quoted strings inside it.
fn find_close(s: &str, from: usize) -> Option<usize> {
    let mut in_str = false;
    let mut escaped = false;
    for (i, c) in s[from..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '}' if !in_str => return Some(from + i),
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Dot,
    LBracket,
    RBracket,
    Int(usize),
    Str(String),
    Other(char),
}

fn tokenize(src: &str, base: usize) -> Result<Vec<(Tok, std::ops::Range<usize>)>, InterpError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        let at = base + i;
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '.' => {
                chars.next();
                out.push((Tok::Dot, at..at + 1));
            }
            '[' => {
                chars.next();
                out.push((Tok::LBracket, at..at + 1));
            }
            ']' => {
                chars.next();
                out.push((Tok::RBracket, at..at + 1));
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                let mut end = None;
                while let Some((j, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(j);
                            break;
                        }
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                text.push(e);
                            }
                        }
                        c => text.push(c),
                    }
                }
                let end = end.ok_or(InterpError {
                    range: at..base + src.len(),
                    message: "unterminated string".into(),
                })?;
                out.push((Tok::Str(text), at..base + end + 1));
            }
            c if c.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    n.push(d);
                    chars.next();
                }
                let v = n.parse().map_err(|_| InterpError {
                    range: at..at + n.len(),
                    message: "number too large".into(),
                })?;
                out.push((Tok::Int(v), at..at + n.len()));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut id = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !(d.is_alphanumeric() || d == '_' || d == '-') {
                        break;
                    }
                    id.push(d);
                    chars.next();
                }
                let len = id.len();
                out.push((Tok::Ident(id), at..at + len));
            }
            other => {
                chars.next();
                out.push((Tok::Other(other), at..at + other.len_utf8()));
            }
        }
    }
    Ok(out)
}

fn parse_ref(src: &str, base: usize) -> Result<RawRef, InterpError> {
    let toks = tokenize(src, base)?;
    let whole = base..base + src.len();
    let unsupported = |range: std::ops::Range<usize>| {
        InterpError {
        range,
        message: "expected a reference such as `aws_vpc.main.id` or `var.name` (expressions and functions are not supported yet)"
            .into(),
    }
    };
    let mut it = toks.into_iter().peekable();
    let root = match it.next() {
        Some((Tok::Ident(id), _)) => id,
        Some((_, r)) => return Err(unsupported(r)),
        None => {
            return Err(InterpError {
                range: whole,
                message: "empty `${}`: expected a reference".into(),
            })
        }
    };
    let mut steps = Vec::new();
    while let Some((tok, range)) = it.next() {
        match tok {
            Tok::Dot => match it.next() {
                Some((Tok::Ident(id), _)) => steps.push(PathStep::Key(id)),
                Some((Tok::Int(n), _)) => steps.push(PathStep::Index(n)),
                Some((_, r)) => {
                    return Err(InterpError {
                        range: r,
                        message: "expected a name after `.`".into(),
                    })
                }
                None => {
                    return Err(InterpError {
                        range,
                        message: "expected a name after `.`".into(),
                    })
                }
            },
            Tok::LBracket => {
                let step = match it.next() {
                    Some((Tok::Int(n), _)) => PathStep::Index(n),
                    Some((Tok::Str(s), _)) => PathStep::Key(s),
                    Some((_, r)) => {
                        return Err(InterpError {
                            range: r,
                            message: "expected a number or a quoted key inside `[]`".into(),
                        })
                    }
                    None => {
                        return Err(InterpError {
                            range,
                            message: "expected a number or a quoted key inside `[]`".into(),
                        })
                    }
                };
                match it.next() {
                    Some((Tok::RBracket, _)) => steps.push(step),
                    Some((_, r)) => {
                        return Err(InterpError {
                            range: r,
                            message: "expected `]`".into(),
                        })
                    }
                    None => {
                        return Err(InterpError {
                            range,
                            message: "expected `]`".into(),
                        })
                    }
                }
            }
            _ => return Err(unsupported(range)),
        }
    }
    Ok(RawRef {
        root,
        steps,
        range: whole,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_literals_and_references() {
        let p = parse("net-${aws_vpc.main.tags[\"Name\"]}-x").unwrap();
        assert_eq!(p.len(), 3);
        match &p[1] {
            Piece::Ref(r) => {
                assert_eq!(r.root, "aws_vpc");
                assert_eq!(
                    r.steps,
                    [
                        PathStep::Key("main".into()),
                        PathStep::Key("tags".into()),
                        PathStep::Key("Name".into())
                    ]
                );
                assert_eq!(r.range, 6..31);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn escapes_and_errors_point_inside_the_string() {
        assert_eq!(parse("$${x}").unwrap(), [Piece::Lit("${x}".into())]);
        let e = parse("a ${var.x + 1}").unwrap_err();
        assert_eq!(e.range, 10..11);
        let e = parse("a ${var.x").unwrap_err();
        assert!(e.message.contains("unterminated"));
        assert_eq!(parse("${x.list[0]}").unwrap().len(), 1);
    }
}
