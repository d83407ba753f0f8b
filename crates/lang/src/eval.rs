//! Evaluating expressions against a [`Scope`] that supplies the values of
//! names (variables, locals, resources, modules, `count`/`each`, `path`).
//!
//! Two marks travel with values and are never dropped here: an unknown
//! value (known only after apply) makes whatever is computed from it
//! unknown, and a sensitive value makes whatever is computed from it
//! sensitive. Errors carry the span of the sub-expression at fault, so
//! they point at the column inside the TOML string.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use cairn_core::value::format_number;
use cairn_core::Value;

use crate::expr::{
    BinaryOp, Call, Expr, ExprKind, ForExpr, Reference, Step, Subject, TemplatePart, UnaryOp,
};
use crate::source::Span;

/// Supplies the values of the names an expression refers to.
pub trait Scope {
    /// The value of a resolved subject: a variable, local, resource (all of
    /// its instances), module (its outputs), `count.index`, `each.*`, `path.*`.
    /// `Err` says why the name has no value here.
    fn get(&self, subject: &Subject) -> Result<Cow<'_, Value>, String>;
    /// The directory relative paths in file() and templatefile() start from.
    fn module_dir(&self) -> &Path;
    fn files(&self) -> &dyn cairn_functions::FileSource;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl EvalError {
    fn at(span: Span, message: impl Into<String>) -> Self {
        EvalError {
            span,
            message: message.into(),
        }
    }
}

impl Expr {
    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, EvalError> {
        Ev {
            scope,
            vars: Vec::new(),
            splat: Vec::new(),
            depth: 0,
        }
        .eval(self)
    }
}

/// A scope with no names: for expressions of literals and functions.
pub struct NoNames;

impl Scope for NoNames {
    fn get(&self, s: &Subject) -> Result<Cow<'_, Value>, String> {
        Err(format!(
            "`{s}` cannot be used here: only literals and functions"
        ))
    }
    fn module_dir(&self) -> &Path {
        Path::new(".")
    }
    fn files(&self) -> &dyn cairn_functions::FileSource {
        &cairn_functions::DiskFiles
    }
}

/// The value of an expression that refers to nothing (a literal, a list or
/// object of literals, arithmetic on them); `None` if it refers to anything.
pub fn literal_value(e: &Expr) -> Option<Value> {
    if !e.references().is_empty() {
        return None;
    }
    e.eval(&NoNames).ok()
}

const MAX_TEMPLATE_DEPTH: usize = 8;

struct Ev<'s> {
    scope: &'s dyn Scope,
    /// Variables bound by `for` expressions and template files, innermost last.
    vars: Vec<(String, Value)>,
    /// Elements of enclosing splats, innermost last.
    splat: Vec<Value>,
    /// templatefile() nesting.
    depth: usize,
}

fn mark(v: Value, sensitive: bool) -> Value {
    if sensitive {
        Value::sensitive(v)
    } else {
        v
    }
}

impl<'s> Ev<'s> {
    fn eval(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Literal(v) => Ok(v.0.clone()),
            ExprKind::List(items) => items
                .iter()
                .map(|i| self.eval(i))
                .collect::<Result<_, _>>()
                .map(Value::List),
            ExprKind::Map(m) => m
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.eval(v)?)))
                .collect::<Result<_, _>>()
                .map(Value::Map),
            ExprKind::Object(items) => {
                let mut out = BTreeMap::new();
                for (k, v) in items {
                    let key = self.eval(k)?;
                    let value = self.eval(v)?;
                    match key_string(&key) {
                        Ok(Some(key)) => {
                            out.insert(key, value);
                        }
                        Ok(None) => return Ok(mark(Value::Unknown, key.contains_sensitive())),
                        Err(found) => {
                            return Err(EvalError::at(
                                k.span,
                                format!("an object key must be a string, found {found}"),
                            ))
                        }
                    }
                }
                Ok(Value::Map(out))
            }
            ExprKind::Template(parts) => self.template(parts),
            ExprKind::Ref(r) => self.reference(r),
            ExprKind::Index(target, key) => {
                let t = self.eval(target)?;
                let k = self.eval(key)?;
                index(&t, &k, key.span)
            }
            ExprKind::GetAttr(target, name) => {
                let t = self.eval(target)?;
                get_attr(&t, name, e.span, false)
            }
            ExprKind::Splat { target, each } => {
                let t = self.eval(target)?;
                let sensitive = t.is_sensitive();
                let items: Vec<Value> = match t.unmarked() {
                    Value::Unknown => return Ok(mark(Value::Unknown, sensitive)),
                    Value::Null => Vec::new(),
                    Value::List(items) => items.clone(),
                    other => vec![other.clone()],
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    self.splat.push(item);
                    let r = self.eval(each);
                    self.splat.pop();
                    out.push(r?);
                }
                Ok(mark(Value::List(out), sensitive))
            }
            ExprKind::Call(c) => self.call(c, e.span),
            ExprKind::Unary(op, operand) => {
                let v = self.eval(operand)?;
                unary(*op, &v, operand.span)
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                let c = self.eval(cond)?;
                let sensitive = c.is_sensitive();
                match c.unmarked() {
                    Value::Unknown => Ok(mark(Value::Unknown, sensitive)),
                    _ => match as_bool(&c) {
                        Some(true) => self.eval(then).map(|v| mark(v, sensitive)),
                        Some(false) => self.eval(otherwise).map(|v| mark(v, sensitive)),
                        None => Err(EvalError::at(
                            cond.span,
                            format!(
                                "the condition must be true or false, found {}",
                                describe(&c)
                            ),
                        )),
                    },
                }
            }
            ExprKind::For(f) => self.for_expr(f, e.span),
        }
    }

    fn template(&mut self, parts: &[TemplatePart]) -> Result<Value, EvalError> {
        let mut out = String::new();
        let mut unknown = false;
        let mut sensitive = false;
        for p in parts {
            match p {
                TemplatePart::Lit(s) => out.push_str(s),
                TemplatePart::Interp(e) => {
                    let v = self.eval(e)?;
                    sensitive |= v.contains_sensitive();
                    match interpolate(&v) {
                        Ok(Some(s)) => out.push_str(&s),
                        Ok(None) => unknown = true,
                        Err(m) => return Err(EvalError::at(e.span, m)),
                    }
                }
            }
        }
        let v = if unknown {
            Value::Unknown
        } else {
            Value::String(out)
        };
        Ok(mark(v, sensitive))
    }

    fn lookup_var(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    fn reference(&mut self, r: &Reference) -> Result<Value, EvalError> {
        let base: Cow<Value> = match &r.subject {
            Subject::Iter(n) | Subject::Name(n) => match self.lookup_var(n) {
                Some(v) => Cow::Owned(v.clone()),
                None => {
                    let known: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(EvalError::at(
                        r.span,
                        if known.is_empty() {
                            format!("unknown name `{n}`")
                        } else {
                            format!(
                                "unknown name `{n}`; the names here are: {}",
                                known.join(", ")
                            )
                        },
                    ));
                }
            },
            Subject::SplatItem => match self.splat.last() {
                Some(v) => Cow::Owned(v.clone()),
                None => return Err(EvalError::at(r.span, "`[*]` outside a splat")),
            },
            s => self.scope.get(s).map_err(|m| EvalError::at(r.span, m))?,
        };
        // Resources and modules are objects whose unset attributes read as
        // null; variables and locals are strict, so a typo is an error.
        let lenient = matches!(r.subject, Subject::Resource(_) | Subject::Module(_));
        walk(&base, &r.path, r.span, lenient, &r.subject)
    }

    fn call(&mut self, c: &Call, span: Span) -> Result<Value, EvalError> {
        match c.name.as_str() {
            "try" => {
                let mut last = None;
                for a in &c.args {
                    match self.eval(a) {
                        Ok(v) => return Ok(v),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(match last {
                    Some(e) => EvalError::at(
                        e.span,
                        format!(
                            "try(): no argument could be evaluated; the last one failed: {}",
                            e.message
                        ),
                    ),
                    None => EvalError::at(span, "try() needs at least one argument"),
                });
            }
            "can" => {
                let [a] = c.args.as_slice() else {
                    return Err(EvalError::at(
                        c.name_span,
                        format!("can() expects 1 argument, got {}", c.args.len()),
                    ));
                };
                return Ok(match self.eval(a) {
                    Ok(v) if !v.is_wholly_known() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(c.args.len());
        let mut spans = Vec::with_capacity(c.args.len());
        for (i, a) in c.args.iter().enumerate() {
            let v = self.eval(a)?;
            if c.expand_last && i + 1 == c.args.len() {
                let sensitive = v.is_sensitive();
                match v.unmarked() {
                    Value::List(items) => {
                        for item in items {
                            args.push(mark(item.clone(), sensitive));
                            spans.push(a.span);
                        }
                    }
                    Value::Unknown => return Ok(mark(Value::Unknown, sensitive)),
                    other => {
                        return Err(EvalError::at(
                            a.span,
                            format!("`...` expands a list, found {}", describe(other)),
                        ))
                    }
                }
            } else {
                args.push(v);
                spans.push(a.span);
            }
        }
        if c.name == "templatefile" {
            return self.templatefile(c, &args, &spans, span);
        }
        let Some(f) = cairn_functions::lookup(&c.name) else {
            return Err(EvalError::at(
                c.name_span,
                format!("unknown function `{}`", c.name),
            ));
        };
        let ctx = cairn_functions::Context {
            base_dir: self.scope.module_dir(),
            files: self.scope.files(),
        };
        cairn_functions::call(f, args, &ctx).map_err(|e| {
            let at = e.arg.and_then(|i| spans.get(i).copied()).unwrap_or(span);
            EvalError::at(at, format!("{}(): {}", c.name, e.message))
        })
    }

    /// `templatefile(path, vars)`: the file is a template whose names are
    /// the keys of `vars` (and for-expression variables inside it).
    fn templatefile(
        &mut self,
        c: &Call,
        args: &[Value],
        spans: &[Span],
        span: Span,
    ) -> Result<Value, EvalError> {
        let [path, vars] = args else {
            return Err(EvalError::at(
                c.name_span,
                format!(
                    "templatefile() expects 2 arguments (path, vars), got {}",
                    args.len()
                ),
            ));
        };
        if !path.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(mark(
                Value::Unknown,
                path.contains_sensitive() || vars.contains_sensitive(),
            ));
        }
        let Some(rel) = path.as_str() else {
            return Err(EvalError::at(
                spans[0],
                format!(
                    "templatefile(): the path must be a string, found {}",
                    describe(path)
                ),
            ));
        };
        let Some(bindings) = vars.as_map() else {
            return Err(EvalError::at(
                spans[1],
                format!(
                    "templatefile(): the variables must be an object, found {}",
                    describe(vars)
                ),
            ));
        };
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(EvalError::at(
                span,
                "templatefile(): templates are nested too deeply",
            ));
        }
        let full = self.scope.module_dir().join(rel);
        let text = self
            .scope
            .files()
            .read(&full)
            .map_err(|m| EvalError::at(spans[0], format!("templatefile(): {m}")))?;
        let at_line = |offset: u32| {
            let (line, col) = crate::source::line_col(&text, offset as usize);
            format!("{}:{line}:{col}", full.display())
        };
        let template =
            crate::parse::template(&text, &|r| Span::new(crate::source::FileId(u32::MAX), r))
                .map_err(|e| {
                    EvalError::at(
                        span,
                        format!("templatefile(): {}: {}", at_line(e.span.start), e.message),
                    )
                })?;
        let mut inner = Ev {
            scope: self.scope,
            vars: bindings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            splat: Vec::new(),
            depth: self.depth + 1,
        };
        let v = inner.eval(&template).map_err(|e| {
            EvalError::at(
                span,
                format!("templatefile(): {}: {}", at_line(e.span.start), e.message),
            )
        })?;
        let sensitive = v.contains_sensitive() || vars.contains_sensitive();
        match interpolate(&v) {
            Ok(Some(s)) => Ok(mark(Value::String(s), sensitive)),
            Ok(None) => Ok(mark(Value::Unknown, sensitive)),
            Err(m) => Err(EvalError::at(span, format!("templatefile(): {m}"))),
        }
    }

    fn binary(&mut self, op: BinaryOp, a: &Expr, b: &Expr) -> Result<Value, EvalError> {
        let l = self.eval(a)?;
        // `&&` and `||` decide on a known left side alone, so
        // `var.x != null && var.x.a` is safe.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let want = op == BinaryOp::Or;
            if !l.is_unknown() {
                match as_bool(&l) {
                    Some(v) if v == want => return Ok(mark(Value::Bool(v), l.is_sensitive())),
                    Some(_) => {}
                    None => return Err(operand_error(op, &l, a.span, "true or false")),
                }
            }
            let r = self.eval(b)?;
            let sensitive = l.is_sensitive() || r.is_sensitive();
            if r.is_unknown() {
                return Ok(mark(Value::Unknown, sensitive));
            }
            return match as_bool(&r) {
                Some(v) if v == want => Ok(mark(Value::Bool(v), sensitive)),
                Some(_) if l.is_unknown() => Ok(mark(Value::Unknown, sensitive)),
                Some(v) => Ok(mark(Value::Bool(v), sensitive)),
                None => Err(operand_error(op, &r, b.span, "true or false")),
            };
        }
        let r = self.eval(b)?;
        let sensitive = l.contains_sensitive() || r.contains_sensitive();
        if matches!(op, BinaryOp::Eq | BinaryOp::Ne) {
            if !l.is_wholly_known() || !r.is_wholly_known() {
                return Ok(mark(Value::Unknown, sensitive));
            }
            let same = l.same_as(&r);
            return Ok(mark(
                Value::Bool(if op == BinaryOp::Eq { same } else { !same }),
                sensitive,
            ));
        }
        if l.is_unknown() || r.is_unknown() {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let x = as_number(&l).ok_or_else(|| operand_error(op, &l, a.span, "a number"))?;
        let y = as_number(&r).ok_or_else(|| operand_error(op, &r, b.span, "a number"))?;
        let v = match op {
            BinaryOp::Lt => Value::Bool(x < y),
            BinaryOp::Le => Value::Bool(x <= y),
            BinaryOp::Gt => Value::Bool(x > y),
            BinaryOp::Ge => Value::Bool(x >= y),
            BinaryOp::Add => Value::Number(x + y),
            BinaryOp::Sub => Value::Number(x - y),
            BinaryOp::Mul => Value::Number(x * y),
            BinaryOp::Div | BinaryOp::Mod if y == 0.0 => {
                return Err(EvalError::at(
                    b.span,
                    format!("division by zero (`{}` with 0)", op.symbol()),
                ))
            }
            BinaryOp::Div => Value::Number(x / y),
            BinaryOp::Mod => Value::Number(x % y),
            BinaryOp::And | BinaryOp::Or | BinaryOp::Eq | BinaryOp::Ne => Value::Null,
        };
        Ok(mark(v, sensitive))
    }

    fn for_expr(&mut self, f: &ForExpr, span: Span) -> Result<Value, EvalError> {
        let coll = self.eval(&f.collection)?;
        let sensitive = coll.is_sensitive();
        let items: Vec<(Value, Value)> = match coll.unmarked() {
            Value::Unknown => return Ok(mark(Value::Unknown, sensitive)),
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v.clone()))
                .collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
            other => {
                return Err(EvalError::at(
                    f.collection.span,
                    format!(
                        "a `for` expression iterates over a list or a map, found {}",
                        describe(other)
                    ),
                ))
            }
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut unknown = false;
        for (k, v) in items {
            let bound = usize::from(f.key_var.is_some()) + 1;
            if let Some(kv) = &f.key_var {
                self.vars.push((kv.clone(), k));
            }
            self.vars.push((f.value_var.clone(), v));
            let r = self.for_item(f, &mut list, &mut map, &mut grouped, &mut unknown);
            self.vars.truncate(self.vars.len() - bound);
            r?;
        }
        if unknown {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let v = match &f.key {
            None => Value::List(list),
            Some(_) if f.group => Value::Map(
                grouped
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ),
            Some(_) => Value::Map(map),
        };
        let _ = span;
        Ok(mark(v, sensitive))
    }

    fn for_item(
        &mut self,
        f: &ForExpr,
        list: &mut Vec<Value>,
        map: &mut BTreeMap<String, Value>,
        grouped: &mut BTreeMap<String, Vec<Value>>,
        unknown: &mut bool,
    ) -> Result<(), EvalError> {
        if let Some(c) = &f.cond {
            let keep = self.eval(c)?;
            if keep.is_unknown() {
                *unknown = true;
                return Ok(());
            }
            match as_bool(&keep) {
                Some(true) => {}
                Some(false) => return Ok(()),
                None => {
                    return Err(EvalError::at(
                        c.span,
                        format!(
                            "the `if` condition must be true or false, found {}",
                            describe(&keep)
                        ),
                    ))
                }
            }
        }
        let value = self.eval(&f.value)?;
        let Some(key_expr) = &f.key else {
            list.push(value);
            return Ok(());
        };
        let key = self.eval(key_expr)?;
        match key_string(&key) {
            Ok(Some(k)) if f.group => grouped.entry(k).or_default().push(value),
            Ok(Some(k)) => {
                if map.contains_key(&k) {
                    return Err(EvalError::at(
                        key_expr.span,
                        format!("duplicate key \"{k}\" in the `for` expression's result; add `...` after the value to group values by key"),
                    ));
                }
                map.insert(k, value);
            }
            Ok(None) => *unknown = true,
            Err(found) => {
                return Err(EvalError::at(
                    key_expr.span,
                    format!("a key must be a string, found {found}"),
                ))
            }
        }
        Ok(())
    }
}

/// A value as the text of a template: `None` when unknown.
fn interpolate(v: &Value) -> Result<Option<String>, String> {
    match v.unmarked() {
        Value::Unknown => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(format_number(*n))),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Null => Err("cannot interpolate a null value into a string".into()),
        other if !other.is_wholly_known() => Ok(None),
        other => Err(format!(
            "cannot interpolate a {} into a string; reference it as the whole value (\"${{...}}\" alone), or use jsonencode() or join()",
            other.kind()
        )),
    }
}

/// A key for a map: strings, numbers and bools as text; `None` when unknown.
fn key_string(v: &Value) -> Result<Option<String>, String> {
    match v.unmarked() {
        Value::Unknown => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(format_number(*n))),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(describe(other)),
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v.unmarked() {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Numbers, and strings that are numbers (as Terraform converts them).
fn as_number(v: &Value) -> Option<f64> {
    match v.unmarked() {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
        _ => None,
    }
}

/// How a value is named in an error: its kind, and the value itself when it
/// is a short scalar that is not sensitive.
fn describe(v: &Value) -> String {
    if v.is_sensitive() {
        return format!("a sensitive {}", v.kind());
    }
    match v {
        Value::String(s) if s.chars().count() <= 40 => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {}", format_number(*n)),
        Value::Bool(b) => format!("`{b}`"),
        Value::Null => "null".into(),
        other => format!("a {}", other.kind()),
    }
}

fn operand_error(op: BinaryOp, v: &Value, span: Span, expected: &str) -> EvalError {
    EvalError::at(
        span,
        format!(
            "`{}` needs {expected} here, found {}",
            op.symbol(),
            describe(v)
        ),
    )
}

fn unary(op: UnaryOp, v: &Value, span: Span) -> Result<Value, EvalError> {
    let sensitive = v.is_sensitive();
    if v.is_unknown() {
        return Ok(mark(Value::Unknown, sensitive));
    }
    let r = match op {
        UnaryOp::Not => as_bool(v).map(|b| Value::Bool(!b)).ok_or_else(|| {
            EvalError::at(
                span,
                format!("`!` needs true or false, found {}", describe(v)),
            )
        })?,
        UnaryOp::Neg => as_number(v).map(|n| Value::Number(-n)).ok_or_else(|| {
            EvalError::at(span, format!("`-` needs a number, found {}", describe(v)))
        })?,
    };
    Ok(mark(r, sensitive))
}

/// Follows static steps from a borrowed value, cloning only the result.
fn walk(
    base: &Value,
    path: &[Step],
    span: Span,
    lenient: bool,
    subject: &Subject,
) -> Result<Value, EvalError> {
    let mut cur = base;
    let mut sensitive = false;
    let mut walked = subject.to_string();
    for step in path {
        sensitive |= cur.is_sensitive();
        let inner = cur.unmarked();
        if matches!(inner, Value::Unknown) {
            return Ok(mark(Value::Unknown, sensitive));
        }
        let next = match (inner, step) {
            (Value::Null, _) if lenient => return Ok(mark(Value::Null, sensitive)),
            (Value::Null, _) => {
                return Err(EvalError::at(span, format!("`{walked}` is null, so it has no {}", step_text(step))))
            }
            (Value::Map(m), Step::Attr(k) | Step::Key(k)) => match m.get(k) {
                Some(v) => v,
                None if lenient && matches!(step, Step::Attr(_)) => return Ok(mark(Value::Null, sensitive)),
                None => return Err(missing_key(&walked, m, k, span, matches!(step, Step::Attr(_)))),
            },
            (Value::Map(m), Step::Index(i)) => match m.get(&i.to_string()) {
                Some(v) => v,
                None => return Err(missing_key(&walked, m, &i.to_string(), span, false)),
            },
            (Value::List(l), Step::Index(i)) => list_item(l, *i, &walked, span)?,
            (Value::List(l), Step::Key(k)) => match k.parse::<i64>() {
                Ok(i) => list_item(l, i, &walked, span)?,
                Err(_) => return Err(EvalError::at(span, format!("`{walked}` is a list: index it with a number, not \"{k}\""))),
            },
            (Value::List(_), Step::Attr(a)) => {
                return Err(EvalError::at(
                    span,
                    format!("`{walked}` is a list, which has no attribute `{a}`; use `{walked}[*].{a}` for every element's, or an index"),
                ))
            }
            (other, step) => {
                return Err(EvalError::at(span, format!("`{walked}` is a {}, which has no {}", other.kind(), step_text(step))))
            }
        };
        walked.push_str(&match step {
            Step::Attr(a) => format!(".{a}"),
            Step::Index(i) => format!("[{i}]"),
            Step::Key(k) => format!("[\"{k}\"]"),
        });
        cur = next;
    }
    sensitive |= cur.is_sensitive();
    Ok(mark(cur.clone(), sensitive))
}

fn step_text(s: &Step) -> String {
    match s {
        Step::Attr(a) => format!("attribute `{a}`"),
        Step::Index(i) => format!("element [{i}]"),
        Step::Key(k) => format!("key \"{k}\""),
    }
}

fn list_item<'v>(l: &'v [Value], i: i64, walked: &str, span: Span) -> Result<&'v Value, EvalError> {
    usize::try_from(i)
        .ok()
        .and_then(|i| l.get(i))
        .ok_or_else(|| {
            EvalError::at(
                span,
                format!(
                    "index {i} is out of range: `{walked}` has {} element(s)",
                    l.len()
                ),
            )
        })
}

fn missing_key(
    walked: &str,
    m: &BTreeMap<String, Value>,
    k: &str,
    span: Span,
    attr: bool,
) -> EvalError {
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    let what = if attr {
        format!("no attribute `{k}`")
    } else {
        format!("no key \"{k}\"")
    };
    let listing = if keys.is_empty() {
        "it is empty".to_string()
    } else if keys.len() <= 12 {
        format!("it has: {}", keys.join(", "))
    } else {
        format!("it has {} keys, e.g. {}", keys.len(), keys[..6].join(", "))
    };
    let hint = crate::didyoumean::suggest(k, keys.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    EvalError::at(span, format!("`{walked}` has {what} ({listing}){hint}"))
}

/// `target[key]` with a computed key.
fn index(t: &Value, k: &Value, span: Span) -> Result<Value, EvalError> {
    let sensitive = t.is_sensitive() || k.is_sensitive();
    if t.is_unknown() || k.is_unknown() {
        return Ok(mark(Value::Unknown, sensitive));
    }
    let v = match (t.unmarked(), k.unmarked()) {
        (Value::List(l), key) => {
            let i = as_number(key).filter(|n| n.fract() == 0.0).ok_or_else(|| {
                EvalError::at(
                    span,
                    format!(
                        "a list index must be a whole number, found {}",
                        describe(key)
                    ),
                )
            })?;
            list_item(l, i as i64, "the list", span)?.clone()
        }
        (Value::Map(m), key) => {
            let Ok(Some(key)) = key_string(key) else {
                return Err(EvalError::at(
                    span,
                    format!("a map key must be a string, found {}", describe(key)),
                ));
            };
            match m.get(&key) {
                Some(v) => v.clone(),
                None => return Err(missing_key("the map", m, &key, span, false)),
            }
        }
        (Value::Null, _) => return Err(EvalError::at(span, "cannot index a null value")),
        (other, _) => {
            return Err(EvalError::at(
                span,
                format!("cannot index a {}", other.kind()),
            ))
        }
    };
    Ok(mark(v, sensitive))
}

fn get_attr(t: &Value, name: &str, span: Span, lenient: bool) -> Result<Value, EvalError> {
    walk(
        t,
        &[Step::Attr(name.to_string())],
        span,
        lenient,
        &Subject::Name("the value".into()),
    )
}

#[cfg(test)]
mod tests;
