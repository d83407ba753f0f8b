//! Expressions: what an attribute value in a stack file is before the engine
//! knows every value. Strings may hold `${ ... }` references; a string that is
//! exactly one reference takes the referenced value with its type, a longer
//! one interpolates, and `$${` escapes.
//!
//! Evaluation is here; the engine supplies the values of references through a
//! [`Scope`].

use std::collections::BTreeMap;

use cairn_core::address::Address;
use cairn_core::value::{format_number, PathStep, Value};

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A TOML scalar, or a variable's value (already resolved at load time;
    /// it keeps its sensitive mark).
    Literal(LiteralValue),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    /// A string with interpolations; evaluates to a string.
    Template(Vec<TemplatePart>),
    /// A string that is exactly `${reference}`: takes the referenced type.
    Ref(Reference),
}

/// `Value` does not implement `PartialEq` (unknowns equal nothing); literals
/// never hold unknowns, so compare them by `same_as`.
#[derive(Debug, Clone)]
pub struct LiteralValue(pub Value);

impl PartialEq for LiteralValue {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_as(&other.0) && self.0.is_sensitive() == other.0.is_sensitive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    Lit(String),
    Interp(Expr),
}

/// A reference to another object's value, e.g. `aws_vpc.main.id` or
/// `data.aws_vpc.existing.cidr_block`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub subject: Subject,
    /// Attribute accesses and indexes after the subject: `.id`, `[0]`.
    pub path: Vec<PathStep>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A managed resource or data source, by its configuration address (no
    /// instance key).
    Object(Address),
}

impl Reference {
    pub fn address(&self) -> &Address {
        match &self.subject {
            Subject::Object(a) => a,
        }
    }
}

/// Supplies the value of a referenced object (all of its attributes, with
/// `Unknown` for what is not known yet).
pub trait Scope {
    fn object(&self, address: &Address) -> Option<Value>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl Expr {
    pub fn literal(v: Value, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Literal(LiteralValue(v)),
            span,
        }
    }

    /// Every reference in the expression, in source order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Reference>) {
        match &self.kind {
            ExprKind::Literal(_) => {}
            ExprKind::List(items) => items.iter().for_each(|e| e.collect_refs(out)),
            ExprKind::Map(m) => m.values().for_each(|e| e.collect_refs(out)),
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Interp(e) = p {
                        e.collect_refs(out);
                    }
                }
            }
            ExprKind::Ref(r) => out.push(r),
        }
    }

    pub fn eval(&self, scope: &dyn Scope) -> Result<Value, EvalError> {
        match &self.kind {
            ExprKind::Literal(v) => Ok(v.0.clone()),
            ExprKind::List(items) => items
                .iter()
                .map(|e| e.eval(scope))
                .collect::<Result<_, _>>()
                .map(Value::List),
            ExprKind::Map(m) => m
                .iter()
                .map(|(k, e)| Ok((k.clone(), e.eval(scope)?)))
                .collect::<Result<_, _>>()
                .map(Value::Map),
            ExprKind::Ref(r) => eval_ref(r, scope),
            ExprKind::Template(parts) => {
                let mut out = String::new();
                let mut unknown = false;
                let mut sensitive = false;
                for p in parts {
                    match p {
                        TemplatePart::Lit(s) => out.push_str(s),
                        TemplatePart::Interp(e) => {
                            let v = e.eval(scope)?;
                            sensitive |= v.contains_sensitive();
                            match v.unmarked() {
                                Value::Unknown => unknown = true,
                                Value::String(s) => out.push_str(s),
                                Value::Number(n) => out.push_str(&format_number(*n)),
                                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                                Value::Null => {
                                    return Err(EvalError {
                                        span: e.span,
                                        message: "cannot interpolate a null value into a string"
                                            .into(),
                                    })
                                }
                                other => {
                                    if !other.is_wholly_known() {
                                        unknown = true;
                                    } else {
                                        return Err(EvalError {
                                            span: e.span,
                                            message: format!("cannot interpolate a {} into a string; reference it as the whole value instead", other.kind()),
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
                let v = if unknown {
                    Value::Unknown
                } else {
                    Value::String(out)
                };
                Ok(if sensitive { Value::sensitive(v) } else { v })
            }
        }
    }
}

fn eval_ref(r: &Reference, scope: &dyn Scope) -> Result<Value, EvalError> {
    let root = scope.object(r.address()).ok_or_else(|| EvalError {
        span: r.span,
        message: format!("`{}` has no value here", r.address()),
    })?;
    let mut cur = root;
    for step in &r.path {
        let sensitive = cur.is_sensitive();
        let next = match (cur.unmarked(), step) {
            (Value::Unknown, _) => return Ok(rewrap(Value::Unknown, sensitive)),
            (Value::Map(m), PathStep::Key(k)) => m.get(k).cloned().unwrap_or(Value::Null),
            (Value::List(l), PathStep::Index(i)) => match l.get(*i) {
                Some(v) => v.clone(),
                None => {
                    return Err(EvalError {
                        span: r.span,
                        message: format!(
                            "index {i} is out of range: the list has {} elements",
                            l.len()
                        ),
                    })
                }
            },
            (Value::Null, _) => Value::Null,
            (other, PathStep::Key(k)) => {
                return Err(EvalError {
                    span: r.span,
                    message: format!("cannot read `.{k}` of a {}", other.kind()),
                })
            }
            (other, PathStep::Index(i)) => {
                return Err(EvalError {
                    span: r.span,
                    message: format!("cannot index a {} with [{i}]", other.kind()),
                })
            }
        };
        cur = rewrap(next, sensitive);
    }
    Ok(cur)
}

fn rewrap(v: Value, sensitive: bool) -> Value {
    if sensitive {
        Value::sensitive(v)
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    struct OneVpc;
    impl Scope for OneVpc {
        fn object(&self, a: &Address) -> Option<Value> {
            (a.to_string() == "aws_vpc.main").then(|| {
                Value::Map(
                    [
                        ("id".to_string(), Value::Unknown),
                        ("cidr_block".to_string(), Value::from("10.0.0.0/16")),
                        ("secret".to_string(), Value::sensitive("s3cret".into())),
                    ]
                    .into(),
                )
            })
        }
    }

    fn r(attr: &str) -> Expr {
        Expr {
            kind: ExprKind::Ref(Reference {
                subject: Subject::Object(Address::managed("aws_vpc", "main")),
                path: vec![PathStep::Key(attr.into())],
                span: Span::default(),
            }),
            span: Span::new(FileId(0), 0..1),
        }
    }

    fn template(parts: Vec<TemplatePart>) -> Expr {
        Expr {
            kind: ExprKind::Template(parts),
            span: Span::default(),
        }
    }

    #[test]
    fn whole_reference_keeps_type_and_interpolation_makes_strings() {
        assert_eq!(
            r("cidr_block").eval(&OneVpc).unwrap().as_str(),
            Some("10.0.0.0/16")
        );
        let t = template(vec![
            TemplatePart::Lit("net-".into()),
            TemplatePart::Interp(r("cidr_block")),
        ]);
        assert_eq!(t.eval(&OneVpc).unwrap().as_str(), Some("net-10.0.0.0/16"));
    }

    #[test]
    fn unknown_and_sensitive_propagate_through_templates() {
        let t = template(vec![
            TemplatePart::Lit("x-".into()),
            TemplatePart::Interp(r("id")),
        ]);
        assert!(t.eval(&OneVpc).unwrap().is_unknown());
        let t = template(vec![
            TemplatePart::Lit("pw=".into()),
            TemplatePart::Interp(r("secret")),
        ]);
        let v = t.eval(&OneVpc).unwrap();
        assert!(v.is_sensitive());
        assert_eq!(v.unmarked().as_str(), Some("pw=s3cret"));
    }
}
