//! HCL expressions to cairn values. Expressions are copied as their source
//! text (cairn's expression language is HCL's), with the two things cairn's
//! parser does not read taken out: comments, and heredocs inside a larger
//! expression (written again as quoted strings). Literals become native
//! TOML; templates become TOML strings with the template's text.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::OnceLock;

use hcl_edit::expr::{Expression, FuncCall, ObjectKey, Traversal};
use hcl_edit::template::{Directive, Element, HeredocTemplate, Interpolation, Strip, Template};
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span;

use crate::problems::FileCx;
use crate::toml_out::Val;

/// cairn's functions: the pure ones, and the three the language evaluates
/// itself (they see expressions or files, not values).
fn function_names() -> &'static BTreeSet<&'static str> {
    static NAMES: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        cairn_functions::names()
            .chain(["try", "can", "templatefile"])
            .collect()
    })
}

/// Reports what inside an expression cairn cannot evaluate: functions it
/// does not have, template directives and strip markers, `terraform.*` and
/// `self`. Called once per top-level expression, so each is reported once.
pub(crate) fn check(cx: &mut FileCx, e: &Expression) {
    let mut c = Checker::default();
    c.visit_expr(e);
    for (span, construct, why) in c.found {
        cx.problem(span, construct, why);
    }
}

#[derive(Default)]
struct Checker {
    found: Vec<(Option<Range<usize>>, String, String)>,
}

impl Visit for Checker {
    fn visit_func_call(&mut self, node: &FuncCall) {
        let name = node.name.name.as_str();
        if node.name.is_namespaced() {
            let ns: Vec<&str> = node.name.namespace.iter().map(|n| n.as_str()).collect();
            self.found.push((
                node.span(),
                format!("function call {}::{name}", ns.join("::")),
                "provider-defined functions are not supported by cairn".into(),
            ));
        } else if !function_names().contains(name) {
            self.found.push((
                node.span(),
                format!("function call {name}"),
                format!("cairn has no function `{name}` (docs/language.md#functions lists them)"),
            ));
        }
        visit::visit_func_call(self, node);
    }

    fn visit_directive(&mut self, node: &Directive) {
        self.found.push((
            node.span(),
            "template directive `%{ ... }`".into(),
            "cairn templates have no directives: use a `for` expression with join(), or a conditional"
                .into(),
        ));
        visit::visit_directive(self, node);
    }

    fn visit_interpolation(&mut self, node: &Interpolation) {
        if node.strip != Strip::None {
            self.found.push((
                node.span(),
                "strip marker `~` in `${~ ... ~}`".into(),
                "cairn templates have no strip markers: trim the text itself (trimspace(), chomp())"
                    .into(),
            ));
        }
        visit::visit_interpolation(self, node);
    }

    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(root) = &node.expr {
            match root.as_str() {
                "terraform" => self.found.push((
                    node.span(),
                    "reference terraform.*".into(),
                    "cairn has no workspaces: an environment is an env file (--env NAME)".into(),
                )),
                "self" => self.found.push((
                    node.span(),
                    "reference self".into(),
                    "`self` exists only in provisioners, which cairn does not run".into(),
                )),
                _ => {}
            }
        }
        visit::visit_traversal(self, node);
    }
}

/// The expression's text for a `${...}`: its source, less comments, with
/// heredocs inside it written as quoted strings.
pub(crate) fn render(src: &str, e: &Expression) -> String {
    let Some(span) = e.span() else {
        return e.to_string();
    };
    let mut heredocs = Heredocs {
        src,
        found: Vec::new(),
    };
    heredocs.visit_expr(e);
    let mut text = src.get(span.clone()).unwrap_or("").to_string();
    // From the back, so earlier offsets stay valid.
    for (r, quoted) in heredocs.found.into_iter().rev() {
        if r.start >= span.start && r.end <= span.end {
            text.replace_range(r.start - span.start..r.end - span.start, &quoted);
        }
    }
    strip_comments(&text)
}

/// The outermost heredocs inside an expression, each with its replacement.
struct Heredocs<'s> {
    src: &'s str,
    found: Vec<(Range<usize>, String)>,
}

impl Visit for Heredocs<'_> {
    fn visit_heredoc_template(&mut self, node: &HeredocTemplate) {
        if let Some(span) = node.span() {
            let quoted = quoted_template(self.src, &node.template);
            self.found.push((span, quoted));
        }
    }
}

/// A template as an HCL quoted string: `"text ${expr}"`.
fn quoted_template(src: &str, t: &Template) -> String {
    let mut out = String::from("\"");
    for el in t.iter() {
        match el {
            Element::Literal(l) => {
                for c in escape_template_literal(l.as_str()).chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Element::Interpolation(i) => {
                out.push_str("${");
                out.push_str(&render(src, &i.expr));
                out.push('}');
            }
            // Reported by `check`; the directive's source keeps its place.
            Element::Directive(d) => out.push_str(d.span().and_then(|s| src.get(s)).unwrap_or("")),
        }
    }
    out.push('"');
    out
}

/// Literal template text as cairn template text: `${` and `%{` that HCL
/// decoded from `$${` and `%%{` are escaped again.
pub(crate) fn escape_template_literal(s: &str) -> String {
    s.replace("${", "$${").replace("%{", "%%{")
}

/// A template (quoted string with `${}`, or heredoc) as the content of a
/// cairn string.
fn template_text(src: &str, t: &Template) -> String {
    let mut out = String::new();
    for el in t.iter() {
        match el {
            Element::Literal(l) => out.push_str(&escape_template_literal(l.as_str())),
            Element::Interpolation(i) => {
                out.push_str("${");
                out.push_str(&render(src, &i.expr));
                out.push('}');
            }
            Element::Directive(d) => out.push_str(d.span().and_then(|s| src.get(s)).unwrap_or("")),
        }
    }
    out
}

/// An attribute's value as a cairn value, with its problems reported.
pub(crate) fn value(cx: &mut FileCx, e: &Expression) -> Val {
    check(cx, e);
    to_val(cx.src, e)
}

/// An expression's text for a `${...}`, with its problems reported.
pub(crate) fn text(cx: &mut FileCx, e: &Expression) -> String {
    check(cx, e);
    render(cx.src, e)
}

/// A literal key of an object: an identifier or a string without
/// interpolation. `None` for computed keys, which keep the object an
/// expression.
fn literal_key(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

fn to_val(src: &str, e: &Expression) -> Val {
    match e {
        Expression::Null(_) => Val::expr("null"),
        Expression::Bool(b) => Val::Raw(b.value().to_string()),
        Expression::Number(n) => number(n.value()).unwrap_or_else(|| Val::expr(&render(src, e))),
        Expression::String(s) => Val::Str(escape_template_literal(s.as_str())),
        Expression::Array(items) => Val::Array(items.iter().map(|i| to_val(src, i)).collect()),
        Expression::Object(obj) => {
            let mut entries = Vec::new();
            for (k, v) in obj.iter() {
                match literal_key(k) {
                    // A duplicate key is an HCL error too; TOML would refuse it.
                    Some(k) if !entries.iter().any(|(e, _)| *e == k) => {
                        entries.push((k, to_val(src, v.expr())))
                    }
                    _ => return Val::expr(&render(src, e)),
                }
            }
            Val::Table(entries)
        }
        Expression::StringTemplate(t) => Val::Str(template_text(src, t)),
        Expression::HeredocTemplate(h) => Val::Str(template_text(src, &h.template)),
        _ => Val::expr(&render(src, e)),
    }
}

/// A number as TOML: an integer when it is one, else a float with a point
/// or exponent.
fn number(n: &hcl_edit::Number) -> Option<Val> {
    if let Some(i) = n.as_i64() {
        return Some(Val::Raw(i.to_string()));
    }
    if let Some(u) = n.as_u64() {
        return Some(Val::Raw(u.to_string()));
    }
    let f = n.as_f64()?;
    f.is_finite().then(|| Val::Raw(format!("{f:?}")))
}

/// The source text of a traversal such as `aws_vpc.this` or `aws.west`,
/// for the meta-arguments that name things (`depends_on`, `provider`,
/// `ignore_changes`): `None` when it is something else.
pub(crate) fn reference(cx: &mut FileCx, e: &Expression) -> Option<String> {
    match e {
        Expression::Variable(_) | Expression::Traversal(_) => Some(text(cx, e)),
        _ => None,
    }
}

/// Removes `#`, `//` and `/* */` comments outside strings: cairn's
/// expression parser reads none. A line comment keeps its line break, which
/// may separate the entries of an object.
pub(crate) fn strip_comments(text: &str) -> String {
    #[derive(Clone, Copy)]
    enum Mode {
        /// In an expression; the depth of `{` opened in it.
        Expr(usize),
        Str,
    }
    let mut stack = vec![Mode::Expr(0)];
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        match stack.last().copied().unwrap_or(Mode::Expr(0)) {
            Mode::Str => {
                if c == '\\' {
                    let mut chars = rest.chars();
                    let esc: String = chars.by_ref().take(2).collect();
                    out.push_str(&esc);
                    i += esc.len();
                    continue;
                }
                if rest.starts_with("$${") || rest.starts_with("%%{") {
                    out.push_str(&rest[..3]);
                    i += 3;
                    continue;
                }
                if rest.starts_with("${") || rest.starts_with("%{") {
                    out.push_str(&rest[..2]);
                    i += 2;
                    stack.push(Mode::Expr(0));
                    continue;
                }
                if c == '"' {
                    stack.pop();
                }
            }
            Mode::Expr(depth) => {
                if c == '#' || rest.starts_with("//") {
                    let end = rest.find('\n').unwrap_or(rest.len());
                    // Trailing spaces before the comment go too.
                    while out.ends_with([' ', '\t']) {
                        out.pop();
                    }
                    i += end;
                    continue;
                }
                if let Some(body) = rest.strip_prefix("/*") {
                    let end = body.find("*/").map_or(rest.len(), |e| e + 4);
                    // A space keeps the tokens on either side apart, but
                    // no line is left ending in spaces.
                    while out.ends_with([' ', '\t']) {
                        out.pop();
                    }
                    if !rest[end..].starts_with(['\n', '\r']) && !out.ends_with('\n') {
                        out.push(' ');
                    }
                    i += end;
                    continue;
                }
                match c {
                    '"' => stack.push(Mode::Str),
                    '{' => {
                        if let Some(Mode::Expr(d)) = stack.last_mut() {
                            *d += 1;
                        }
                    }
                    '}' if depth == 0 && stack.len() > 1 => {
                        stack.pop();
                    }
                    '}' => {
                        if let Some(Mode::Expr(d)) = stack.last_mut() {
                            *d = d.saturating_sub(1);
                        }
                    }
                    _ => {}
                }
            }
        }
        out.push(c);
        i += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_go_strings_stay() {
        assert_eq!(
            strip_comments("merge(a, # why\n  b /* x */, \"#${c # d\n}\")"),
            "merge(a,\n  b , \"#${c\n}\")"
        );
        assert_eq!(strip_comments("\"a // b\" // c"), "\"a // b\"");
    }
}
