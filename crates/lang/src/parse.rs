//! The expression syntax inside TOML strings: a template of literal text and
//! `${ expr }` parts, where `expr` is HCL's expression language (literals,
//! references, indexing, attribute access, arithmetic, comparison, `&&`,
//! `||`, `!`, `cond ? a : b`, `for` expressions, splats, function calls).
//!
//! Scannerless recursive descent with precedence climbing. Offsets are
//! byte offsets into the string's decoded content; the caller's `map` turns
//! them into source spans, so every error points at the column inside the
//! TOML string where it happened.

use std::ops::Range;

use cairn_core::Value;

use crate::expr::{
    BinaryOp, Call, Expr, ExprKind, ForExpr, Reference, Step, Subject, TemplatePart, UnaryOp,
};
use crate::source::Span;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

/// Maps a byte range of the parsed text to a span in its source file.
pub type SpanMap<'a> = &'a dyn Fn(Range<usize>) -> Span;

/// Parses a string value: text without `${` is a literal string; a string
/// that is exactly one `${expr}` is that expression (keeping its type);
/// anything else is a template that evaluates to a string.
pub fn template(text: &str, map: SpanMap) -> Result<Expr, ParseError> {
    let mut p = Parser::new(text, map);
    let parts = p.template_parts(None)?;
    let whole = map(0..text.len());
    Ok(match parts.as_slice() {
        [] => Expr::literal(Value::String(String::new()), whole),
        [TemplatePart::Lit(s)] => Expr::literal(Value::String(s.clone()), whole),
        // The value spans the whole string; its parts keep their own spans.
        [TemplatePart::Interp(e)] if p.single_interp => Expr {
            span: whole,
            ..e.clone()
        },
        _ => Expr {
            kind: ExprKind::Template(parts),
            span: whole,
        },
    })
}

/// Parses text that is an expression by itself (no `${}` around it).
pub fn expression(text: &str, map: SpanMap) -> Result<Expr, ParseError> {
    let mut p = Parser::new(text, map);
    p.ws();
    let e = p.expr()?;
    p.ws();
    if p.pos < text.len() {
        return Err(p.error_at(p.pos, p.char_len(), "unexpected text after the expression"));
    }
    Ok(e)
}

const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    map: SpanMap<'a>,
    depth: usize,
    /// Set by `template_parts` at the top level: the whole string was one
    /// `${...}` with nothing around it.
    single_interp: bool,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str, map: SpanMap<'a>) -> Self {
        Parser {
            s,
            pos: 0,
            map,
            depth: 0,
            single_interp: false,
        }
    }

    fn span(&self, r: Range<usize>) -> Span {
        (self.map)(r)
    }

    fn error_at(&self, at: usize, len: usize, message: impl Into<String>) -> ParseError {
        let end = (at + len.max(1)).min(self.s.len()).max(at);
        ParseError {
            span: self.span(at..end),
            message: message.into(),
            hint: None,
        }
    }

    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn char_len(&self) -> usize {
        self.peek().map(char::len_utf8).unwrap_or(0)
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, token: &str, what: &str) -> Result<(), ParseError> {
        self.ws();
        if self.eat(token) {
            return Ok(());
        }
        let found = match self.peek() {
            Some(c) => format!("found `{c}`"),
            None => "found the end of the expression".into(),
        };
        Err(self.error_at(
            self.pos,
            self.char_len(),
            format!("expected `{token}` {what}, {found}"),
        ))
    }

    /// Literal text and `${}` parts up to the end of the text (top level,
    /// `close == None`) or up to the closing quote of a string inside an
    /// expression (`close == Some('"')`), decoding that string's escapes.
    fn template_parts(&mut self, close: Option<char>) -> Result<Vec<TemplatePart>, ParseError> {
        let start = self.pos;
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut interps = 0;
        loop {
            let Some(c) = self.peek() else {
                if close.is_some() {
                    return Err(self.error_at(
                        start.saturating_sub(1),
                        self.pos - start + 1,
                        "unterminated string: expected a closing `\"`",
                    ));
                }
                break;
            };
            if Some(c) == close {
                self.pos += 1;
                break;
            }
            if self.eat("$${") {
                lit.push_str("${");
            } else if self.eat("%%{") {
                lit.push_str("%{");
            } else if self.rest().starts_with("%{") {
                let mut e = self.error_at(
                    self.pos,
                    2,
                    "template directives (`%{ ... }`) are not supported",
                );
                e.hint = Some("use a `for` expression with join(), or a conditional; write `%%{` for a literal `%{`".into());
                return Err(e);
            } else if self.rest().starts_with("${") {
                let open = self.pos;
                self.pos += 2;
                if !lit.is_empty() {
                    parts.push(TemplatePart::Lit(std::mem::take(&mut lit)));
                }
                self.ws();
                if self.peek() == Some('}') {
                    return Err(self.error_at(
                        open,
                        self.pos + 1 - open,
                        "empty `${}`: expected an expression",
                    ));
                }
                let e = self.expr()?;
                self.ws();
                if !self.eat("}") {
                    let mut err = if self.peek().is_none() {
                        self.error_at(
                            open,
                            self.pos - open,
                            "unterminated `${`: expected a closing `}`",
                        )
                    } else {
                        self.error_at(
                            self.pos,
                            self.char_len(),
                            format!(
                                "unexpected `{}`: expected an operator or the closing `}}`",
                                self.peek().unwrap_or(' ')
                            ),
                        )
                    };
                    err.hint = Some("write `$${` for a literal `${`".into());
                    return Err(err);
                }
                interps += 1;
                parts.push(TemplatePart::Interp(e));
            } else if close.is_some() && c == '\\' {
                let at = self.pos;
                self.pos += 1;
                let decoded = match self.peek() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some(u @ ('u' | 'U')) => {
                        let n = if u == 'u' { 4 } else { 8 };
                        let hex = self.s.get(self.pos + 1..self.pos + 1 + n).unwrap_or("");
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                        match ch {
                            Some(ch) if hex.len() == n => {
                                self.pos += n;
                                ch
                            }
                            _ => {
                                return Err(self.error_at(
                                    at,
                                    n + 2,
                                    format!("invalid escape: expected \\{u} and {n} hex digits"),
                                ))
                            }
                        }
                    }
                    _ => {
                        return Err(self
                            .error_at(at, 2, "invalid escape in a string")
                            .with_hint("the escapes are \\n \\t \\r \\\" \\\\ \\uNNNN"))
                    }
                };
                self.pos += 1;
                lit.push(decoded);
            } else {
                lit.push(c);
                self.pos += c.len_utf8();
            }
        }
        if !lit.is_empty() {
            parts.push(TemplatePart::Lit(lit));
        }
        if close.is_none() {
            self.single_interp = interps == 1 && parts.len() == 1;
        }
        Ok(parts)
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(self.pos, 1, "the expression is nested too deeply"));
        }
        let r = self.conditional();
        self.depth -= 1;
        r
    }

    fn conditional(&mut self) -> Result<Expr, ParseError> {
        let cond = self.binary(0)?;
        // Whitespace is consumed only with what follows it: a newline may
        // separate the entries of an object.
        let save = self.pos;
        self.ws();
        if !self.eat("?") {
            self.pos = save;
            return Ok(cond);
        }
        self.ws();
        let then = self.expr()?;
        self.expect(":", "between the two results of a conditional")?;
        self.ws();
        let otherwise = self.expr()?;
        let span = join(cond.span, otherwise.span);
        Ok(Expr {
            kind: ExprKind::Conditional {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        })
    }

    /// The next binary operator, if any, without consuming it.
    fn peek_op(&self) -> Option<(BinaryOp, usize)> {
        let r = self.rest();
        let ops: [(&str, BinaryOp); 13] = [
            ("||", BinaryOp::Or),
            ("&&", BinaryOp::And),
            ("==", BinaryOp::Eq),
            ("!=", BinaryOp::Ne),
            ("<=", BinaryOp::Le),
            (">=", BinaryOp::Ge),
            ("<", BinaryOp::Lt),
            (">", BinaryOp::Gt),
            ("+", BinaryOp::Add),
            ("-", BinaryOp::Sub),
            ("*", BinaryOp::Mul),
            ("/", BinaryOp::Div),
            ("%", BinaryOp::Mod),
        ];
        for (tok, op) in ops {
            if r.starts_with(tok) {
                // `=>` belongs to a `for` expression, not to `=`.
                return Some((op, tok.len()));
            }
        }
        None
    }

    fn binary(&mut self, min_prec: u8) -> Result<Expr, ParseError> {
        let mut lhs = self.unary()?;
        loop {
            let save = self.pos;
            self.ws();
            let Some((op, len)) = self.peek_op() else {
                self.pos = save;
                break;
            };
            let prec = precedence(op);
            if prec < min_prec {
                self.pos = save;
                break;
            }
            self.pos += len;
            self.ws();
            let rhs = self.binary(prec + 1)?;
            let span = join(lhs.span, rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        let start = self.pos;
        let op = if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            UnaryOp::Not
        } else if self.rest().starts_with('-') {
            UnaryOp::Neg
        } else {
            return self.postfix();
        };
        self.pos += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(self.pos, 1, "the expression is nested too deeply"));
        }
        let operand = self.unary()?;
        self.depth -= 1;
        let span = join(self.span(start..start + 1), operand.span);
        // A negative number literal is a literal.
        if op == UnaryOp::Neg {
            if let ExprKind::Literal(l) = &operand.kind {
                if let Value::Number(n) = l.0 {
                    return Ok(Expr::literal(Value::Number(-n), span));
                }
            }
        }
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            span,
        })
    }

    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.primary()?;
        let mut splat: Option<Expr> = None;
        // `.*` (the legacy splat) takes only attribute steps per element;
        // an index after them applies to the resulting list.
        let mut legacy = false;
        loop {
            let before_ws = self.pos;
            self.ws();
            if self.rest().starts_with("..") {
                // `...` after the last call argument.
                self.pos = before_ws;
                break;
            }
            if self.eat(".") {
                self.ws();
                if self.eat("*") {
                    let target =
                        std::mem::replace(&mut e, splat_item(self.span(self.pos - 2..self.pos)));
                    splat = Some(close_splat(splat, target));
                    legacy = true;
                    continue;
                }
                let at = self.pos;
                if let Some(n) = self.digits() {
                    let idx: i64 = n
                        .parse()
                        .map_err(|_| self.error_at(at, n.len(), "index too large"))?;
                    e = step(e, Step::Index(idx), self.span(at..self.pos));
                    continue;
                }
                let Some(name) = self.ident() else {
                    return Err(self.error_at(
                        self.pos,
                        self.char_len(),
                        "expected an attribute name after `.`",
                    ));
                };
                let span = self.span(at..self.pos);
                e = step(e, Step::Attr(name.to_string()), span);
                continue;
            }
            if self.rest().starts_with('[') {
                if legacy {
                    if let Some(target) = splat.take() {
                        let span = join(target.span, e.span);
                        e = Expr {
                            kind: ExprKind::Splat {
                                target: Box::new(target),
                                each: Box::new(e),
                            },
                            span,
                        };
                    }
                    legacy = false;
                }
                let open = self.pos;
                self.pos += 1;
                self.ws();
                if self.eat("*") {
                    self.expect("]", "after `[*`")?;
                    let target = std::mem::replace(&mut e, splat_item(self.span(open..self.pos)));
                    splat = Some(close_splat(splat, target));
                    continue;
                }
                let key = self.expr()?;
                self.expect("]", "to close the index")?;
                let close = self.pos;
                e = index(e, key, self.span(open..close));
                continue;
            }
            self.pos = before_ws;
            break;
        }
        if let Some(target) = splat {
            let span = join(target.span, e.span);
            e = Expr {
                kind: ExprKind::Splat {
                    target: Box::new(target),
                    each: Box::new(e),
                },
                span,
            };
        }
        Ok(e)
    }

    fn digits(&mut self) -> Option<&'a str> {
        let r = self.rest();
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        self.pos += n;
        Some(&r[..n])
    }

    /// HCL identifiers: a letter or `_`, then letters, digits, `_` and `-`.
    fn ident(&mut self) -> Option<&'a str> {
        let r = self.rest();
        let mut chars = r.char_indices();
        match chars.next() {
            Some((_, c)) if c.is_alphabetic() || c == '_' => {}
            _ => return None,
        }
        let len = chars
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
            .map(|(i, _)| i)
            .unwrap_or(r.len());
        self.pos += len;
        Some(&r[..len])
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error_at(self.pos, 0, "expected an expression, found the end of it"));
        };
        match c {
            '0'..='9' => self.number(),
            '"' => {
                self.pos += 1;
                let parts = self.template_parts(Some('"'))?;
                let span = self.span(start..self.pos);
                Ok(match parts.as_slice() {
                    [] => Expr::literal(Value::String(String::new()), span),
                    [TemplatePart::Lit(s)] => Expr::literal(Value::String(s.clone()), span),
                    _ => Expr {
                        kind: ExprKind::Template(parts),
                        span,
                    },
                })
            }
            '(' => {
                self.pos += 1;
                self.ws();
                let inner = self.expr()?;
                self.expect(")", "to close the parenthesis")?;
                Ok(Expr {
                    span: self.span(start..self.pos),
                    ..inner
                })
            }
            '[' => self.list(),
            '{' => self.object(),
            c if c.is_alphabetic() || c == '_' => {
                let name = self.ident().unwrap_or_default();
                let name_span = self.span(start..self.pos);
                match name {
                    "true" => return Ok(Expr::literal(Value::Bool(true), name_span)),
                    "false" => return Ok(Expr::literal(Value::Bool(false), name_span)),
                    "null" => return Ok(Expr::literal(Value::Null, name_span)),
                    _ => {}
                }
                let after_name = self.pos;
                self.ws();
                if self.eat("(") {
                    return self.call(name.to_string(), name_span, start);
                }
                self.pos = after_name;
                Ok(Expr {
                    kind: ExprKind::Ref(Reference {
                        subject: Subject::Name(name.to_string()),
                        path: Vec::new(),
                        span: name_span,
                    }),
                    span: name_span,
                })
            }
            other => Err(self.error_at(
                self.pos,
                other.len_utf8(),
                format!("unexpected `{other}`: expected an expression"),
            )),
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.digits();
        if self.rest().starts_with('.')
            && self.rest()[1..].starts_with(|c: char| c.is_ascii_digit())
        {
            self.pos += 1;
            self.digits();
        }
        if self.rest().starts_with(['e', 'E']) {
            let save = self.pos;
            self.pos += 1;
            let _ = self.eat("+") || self.eat("-");
            if self.digits().is_none() {
                self.pos = save;
            }
        }
        let text = &self.s[start..self.pos];
        let n: f64 = text
            .parse()
            .map_err(|_| self.error_at(start, text.len(), format!("invalid number `{text}`")))?;
        Ok(Expr::literal(Value::Number(n), self.span(start..self.pos)))
    }

    fn call(&mut self, name: String, name_span: Span, start: usize) -> Result<Expr, ParseError> {
        let mut args = Vec::new();
        let mut expand_last = false;
        loop {
            self.ws();
            if self.eat(")") {
                break;
            }
            if expand_last {
                return Err(self.error_at(
                    self.pos,
                    self.char_len(),
                    "`...` must come after the last argument",
                ));
            }
            args.push(self.expr()?);
            self.ws();
            if self.eat("...") {
                expand_last = true;
                self.ws();
            }
            if self.eat(",") {
                continue;
            }
            self.ws();
            if self.eat(")") {
                break;
            }
            return Err(self.error_at(
                self.pos,
                self.char_len(),
                format!("expected `,` or `)` in the arguments of {name}()"),
            ));
        }
        Ok(Expr {
            kind: ExprKind::Call(Call {
                name,
                name_span,
                args,
                expand_last,
            }),
            span: self.span(start..self.pos),
        })
    }

    /// After `for`: `k, v in coll :`.
    fn for_head(&mut self) -> Result<(Option<String>, String, Expr), ParseError> {
        self.ws();
        let first = self
            .ident()
            .ok_or_else(|| {
                self.error_at(
                    self.pos,
                    self.char_len(),
                    "expected a variable name after `for`",
                )
            })?
            .to_string();
        self.ws();
        let (key_var, value_var) = if self.eat(",") {
            self.ws();
            let second = self
                .ident()
                .ok_or_else(|| {
                    self.error_at(
                        self.pos,
                        self.char_len(),
                        "expected a second variable name after `,`",
                    )
                })?
                .to_string();
            (Some(first), second)
        } else {
            (None, first)
        };
        self.ws();
        if !self.eat_keyword("in") {
            return Err(self.error_at(
                self.pos,
                self.char_len(),
                "expected `in` after the `for` variables",
            ));
        }
        self.ws();
        let collection = self.expr()?;
        self.expect(":", "after the collection of a `for` expression")?;
        Ok((key_var, value_var, collection))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        let r = self.rest();
        if r.starts_with(kw)
            && !r[kw.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
        {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn for_cond(&mut self) -> Result<Option<Expr>, ParseError> {
        self.ws();
        if self.eat_keyword("if") {
            self.ws();
            return Ok(Some(self.expr()?));
        }
        Ok(None)
    }

    fn list(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        self.ws();
        if self.eat_keyword("for") {
            let (key_var, value_var, collection) = self.for_head()?;
            self.ws();
            let value = self.expr()?;
            let cond = self.for_cond()?;
            self.expect("]", "to close the `for` expression")?;
            return Ok(Expr {
                kind: ExprKind::For(Box::new(ForExpr {
                    key_var,
                    value_var,
                    collection,
                    key: None,
                    value,
                    cond,
                    group: false,
                })),
                span: self.span(start..self.pos),
            });
        }
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.eat("]") {
                break;
            }
            items.push(self.expr()?);
            self.ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                break;
            }
            return Err(self.error_at(
                self.pos,
                self.char_len(),
                "expected `,` or `]` in the list",
            ));
        }
        Ok(Expr {
            kind: ExprKind::List(items),
            span: self.span(start..self.pos),
        })
    }

    fn object(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        self.ws();
        if self.eat_keyword("for") {
            let (key_var, value_var, collection) = self.for_head()?;
            self.ws();
            let key = self.expr()?;
            self.expect("=>", "between the key and the value of a `for` object")?;
            self.ws();
            let value = self.expr()?;
            self.ws();
            let group = self.eat("...");
            let cond = self.for_cond()?;
            self.expect("}", "to close the `for` expression")?;
            return Ok(Expr {
                kind: ExprKind::For(Box::new(ForExpr {
                    key_var,
                    value_var,
                    collection,
                    key: Some(key),
                    value,
                    cond,
                    group,
                })),
                span: self.span(start..self.pos),
            });
        }
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.eat("}") {
                break;
            }
            let key_start = self.pos;
            // A bare name is the key itself; `(expr)` computes it.
            let key = match self.peek() {
                Some(c) if c.is_alphabetic() || c == '_' => {
                    let name = self.ident().unwrap_or_default();
                    Expr::literal(
                        Value::String(name.to_string()),
                        self.span(key_start..self.pos),
                    )
                }
                _ => self.expr()?,
            };
            self.ws();
            if !(self.eat("=") || self.eat(":")) {
                return Err(self.error_at(
                    self.pos,
                    self.char_len(),
                    "expected `=` after the key in the object",
                ));
            }
            self.ws();
            let value = self.expr()?;
            items.push((key, value));
            let after_value = self.pos;
            self.ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                break;
            }
            // Newlines separate entries too.
            if self.s[after_value..self.pos].contains('\n') {
                continue;
            }
            return Err(self.error_at(
                self.pos,
                self.char_len(),
                "expected `,` or `}` in the object",
            ));
        }
        Ok(Expr {
            kind: ExprKind::Object(items),
            span: self.span(start..self.pos),
        })
    }
}

impl ParseError {
    fn with_hint(mut self, h: &str) -> Self {
        self.hint = Some(h.into());
        self
    }
}

fn precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Eq | BinaryOp::Ne => 3,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
        BinaryOp::Add | BinaryOp::Sub => 5,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
    }
}

fn join(a: Span, b: Span) -> Span {
    Span {
        file: a.file,
        start: a.start.min(b.start),
        end: a.end.max(b.end),
    }
}

fn splat_item(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Ref(Reference {
            subject: Subject::SplatItem,
            path: Vec::new(),
            span,
        }),
        span,
    }
}

/// A second `[*]` in one chain: the first splat's per-element expression
/// so far becomes the target of the next.
fn close_splat(open: Option<Expr>, current: Expr) -> Expr {
    match open {
        None => current,
        Some(target) => {
            let span = join(target.span, current.span);
            Expr {
                kind: ExprKind::Splat {
                    target: Box::new(target),
                    each: Box::new(current),
                },
                span,
            }
        }
    }
}

/// Adds a static step: onto a reference's path, or as a generic access.
fn step(e: Expr, s: Step, step_span: Span) -> Expr {
    let span = join(e.span, step_span);
    match e.kind {
        ExprKind::Ref(mut r) => {
            r.path.push(s);
            r.span = join(r.span, step_span);
            Expr {
                kind: ExprKind::Ref(r),
                span,
            }
        }
        kind => {
            let target = Box::new(Expr { kind, span: e.span });
            Expr {
                kind: match s {
                    Step::Attr(name) => ExprKind::GetAttr(target, name),
                    Step::Index(i) => ExprKind::Index(
                        target,
                        Box::new(Expr::literal(Value::Number(i as f64), step_span)),
                    ),
                    Step::Key(k) => ExprKind::Index(
                        target,
                        Box::new(Expr::literal(Value::String(k), step_span)),
                    ),
                },
                span,
            }
        }
    }
}

/// `target[key]`: a literal key on a reference becomes a path step.
fn index(e: Expr, key: Expr, bracket_span: Span) -> Expr {
    if matches!(e.kind, ExprKind::Ref(_)) {
        match key.as_literal() {
            Some(Value::String(s)) => return step(e, Step::Key(s.clone()), bracket_span),
            Some(Value::Number(n)) if n.fract() == 0.0 && *n >= 0.0 => {
                return step(e, Step::Index(*n as i64), bracket_span)
            }
            _ => {}
        }
    }
    let span = join(e.span, bracket_span);
    Expr {
        kind: ExprKind::Index(Box::new(e), Box::new(key)),
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn map(r: Range<usize>) -> Span {
        Span::new(FileId(0), r)
    }

    fn parse(s: &str) -> Expr {
        template(s, &map).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> ParseError {
        template(s, &map).expect_err(s)
    }

    /// A compact rendering of the tree, to assert on structure.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(v) => match &v.0 {
                Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            },
            ExprKind::List(items) => format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Map(_) => "map".into(),
            ExprKind::Object(items) => format!(
                "{{{}}}",
                items
                    .iter()
                    .map(|(k, v)| format!("{}={}", show(k), show(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Template(parts) => format!(
                "tpl({})",
                parts
                    .iter()
                    .map(|p| match p {
                        TemplatePart::Lit(s) => format!("{s:?}"),
                        TemplatePart::Interp(e) => show(e),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            ExprKind::Ref(r) => {
                let mut s = r.subject.to_string();
                for st in &r.path {
                    match st {
                        Step::Attr(a) => s.push_str(&format!(".{a}")),
                        Step::Index(i) => s.push_str(&format!("[{i}]")),
                        Step::Key(k) => s.push_str(&format!("[{k:?}]")),
                    }
                }
                s
            }
            ExprKind::Index(t, k) => format!("{}[{}]", show(t), show(k)),
            ExprKind::GetAttr(t, n) => format!("{}.{n}", show(t)),
            ExprKind::Splat { target, each } => format!("splat({}, {})", show(target), show(each)),
            ExprKind::Call(c) => format!(
                "{}({}{})",
                c.name,
                c.args.iter().map(show).collect::<Vec<_>>().join(", "),
                if c.expand_last { "..." } else { "" }
            ),
            ExprKind::Unary(op, e) => format!("({op:?} {})", show(e)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                format!("({} ? {} : {})", show(cond), show(then), show(otherwise))
            }
            ExprKind::For(f) => format!(
                "for({:?},{} in {}: {}{}{}{})",
                f.key_var,
                f.value_var,
                show(&f.collection),
                f.key
                    .as_ref()
                    .map(|k| format!("{} => ", show(k)))
                    .unwrap_or_default(),
                show(&f.value),
                if f.group { "..." } else { "" },
                f.cond
                    .as_ref()
                    .map(|c| format!(" if {}", show(c)))
                    .unwrap_or_default()
            ),
        }
    }

    #[test]
    fn strings_are_literals_templates_or_single_expressions() {
        assert_eq!(show(&parse("plain")), "\"plain\"");
        assert_eq!(show(&parse("${var.a}")), "var.a");
        assert_eq!(show(&parse("x-${var.a}")), "tpl(\"x-\" var.a)");
        assert_eq!(show(&parse("${var.a}${var.b}")), "tpl(var.a var.b)");
        assert_eq!(show(&parse("$${not} %%{x}")), "\"${not} %{x}\"");
        assert_eq!(show(&parse("")), "\"\"");
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(show(&parse("${1 + 2 * 3}")), "(1 + (2 * 3))");
        assert_eq!(show(&parse("${(1 + 2) * 3}")), "((1 + 2) * 3)");
        assert_eq!(show(&parse("${1 - 2 - 3}")), "((1 - 2) - 3)");
        assert_eq!(
            show(&parse("${a || b && c == d < e + f * g}")),
            "(a || (b && (c == (d < (e + (f * g))))))"
        );
        assert_eq!(
            show(&parse("${!a && -b > -3}")),
            "((Not a) && ((Neg b) > -3))"
        );
        assert_eq!(
            show(&parse("${a ? b : c ? d : e}")),
            "(a ? b : (c ? d : e))"
        );
        assert_eq!(show(&parse("${a != b}")), "(a != b)");
        assert_eq!(show(&parse("${a % 2 >= 1}")), "((a % 2) >= 1)");
    }

    #[test]
    fn references_fold_static_steps() {
        assert_eq!(
            show(&parse(r#"${aws_vpc.main.tags["Name"]}"#)),
            "aws_vpc.main.tags[\"Name\"]"
        );
        assert_eq!(show(&parse("${a.list[0].x}")), "a.list[0].x");
        assert_eq!(show(&parse("${a.list.0}")), "a.list[0]");
        assert_eq!(show(&parse("${a.m[var.k]}")), "a.m[var.k]");
        assert_eq!(show(&parse("${f(x).name}")), "f(x).name");
        assert_eq!(show(&parse("${a[*].id}")), "splat(a, [*].id)");
        assert_eq!(show(&parse("${a.*.id}")), "splat(a, [*].id)");
        assert_eq!(show(&parse("${a[*]}")), "splat(a, [*])");
        assert_eq!(
            show(&parse("${a[*].b[*].c}")),
            "splat(splat(a, [*].b), [*].c)"
        );
        assert_eq!(show(&parse("${a.*.id[0]}")), "splat(a, [*].id)[0]");
        assert_eq!(show(&parse("${a[*].id[0]}")), "splat(a, [*].id[0])");
        // HCL identifiers may contain dashes.
        assert_eq!(show(&parse("${count.index-1}")), "count.index-1");
        assert_eq!(show(&parse("${count.index - 1}")), "(count.index - 1)");
    }

    #[test]
    fn calls_lists_objects_and_for() {
        assert_eq!(
            show(&parse(r#"${format("%s-%d", var.a, 3)}"#)),
            "format(\"%s-%d\", var.a, 3)"
        );
        assert_eq!(show(&parse("${concat(a, b...)}")), "concat(a, b...)");
        assert_eq!(show(&parse("${f()}")), "f()");
        assert_eq!(show(&parse("${[1, \"x\", true,]}")), "[1, \"x\", true]");
        assert_eq!(
            show(&parse("${{a = 1, \"b\" : 2, (var.k) = 3}}")),
            "{\"a\"=1, \"b\"=2, var.k=3}"
        );
        // Newlines separate entries, after any kind of value.
        assert_eq!(
            show(&parse("${{\n  a = x.y\n  b = 1 + 2\n  c = p ? q : r\n}}")),
            "{\"a\"=x.y, \"b\"=(1 + 2), \"c\"=(p ? q : r)}"
        );
        assert_eq!(
            show(&parse("${[for s in var.l : upper(s) if s != \"\"]}")),
            "for(None,s in var.l: upper(s) if (s != \"\"))"
        );
        assert_eq!(
            show(&parse("${{for k, v in var.m : v => k...}}")),
            "for(Some(\"k\"),v in var.m: v => k...)"
        );
        assert_eq!(show(&parse("${\"a-${b}\"}")), "tpl(\"a-\" b)");
        assert_eq!(show(&parse("${\"q\\\"\\n\"}")), "\"q\\\"\\n\"");
        assert_eq!(show(&parse("${1.5e3}")), "1500");
    }

    #[test]
    fn errors_point_inside_the_string() {
        let e = err("a ${var.x + }");
        assert_eq!((e.span.start, e.span.end), (12, 13));
        assert!(
            e.message.contains("expected an expression"),
            "{}",
            e.message
        );
        let e = err("a ${var.x");
        assert!(e.message.contains("unterminated"), "{}", e.message);
        assert_eq!(e.span.start, 2);
        let e = err("${var.x var.y}");
        assert_eq!((e.span.start, e.message.contains("closing `}`")), (8, true));
        let e = err("${}");
        assert!(e.message.contains("empty"));
        let e = err("${f(a b)}");
        assert_eq!(e.span.start, 6);
        let e = err("${\"abc}");
        assert!(e.message.contains("unterminated string"), "{}", e.message);
        let e = err("${[for x in y]}");
        assert!(e.message.contains("expected `:`"), "{}", e.message);
        let e = err("%{ if a }x%{ endif }");
        assert!(e.message.contains("directives"), "{}", e.message);
        let e = err("${a ? b}");
        assert!(e.message.contains("expected `:`"), "{}", e.message);
        let e = err("${a[}");
        assert_eq!(e.span.start, 4);
        let e = err("${\"\\q\"}");
        assert!(e.message.contains("escape"));
        let deep = format!("${{{}1{}}}", "(".repeat(300), ")".repeat(300));
        assert!(err(&deep).message.contains("nested too deeply"));
    }

    #[test]
    fn bare_expressions() {
        let e = expression("aws_instance.db.user_data", &map).unwrap();
        assert_eq!(show(&e), "aws_instance.db.user_data");
        assert!(expression("a b", &map).is_err());
    }
}
