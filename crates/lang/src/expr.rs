//! Expressions: what an attribute value in a stack file is before the engine
//! knows every value. A TOML string may hold `${ ... }` expressions (HCL's
//! syntax: references, operators, conditionals, `for`, splats, function
//! calls); a string that is exactly one `${...}` takes that expression's
//! value with its type, a longer one interpolates, and `$${` escapes.
//!
//! The parser ([`crate::parse`]) builds these trees with names unresolved
//! ([`Subject::Name`]); the loader resolves every name against the module it
//! is written in, so after loading each [`Reference`] says exactly what it
//! refers to. Evaluation is in [`crate::eval`].

use std::collections::BTreeMap;

use cairn_core::address::Mode;
use cairn_core::value::Value;

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A TOML scalar or a literal in an expression. It keeps its marks.
    Literal(LiteralValue),
    /// A TOML array or `[a, b]`.
    List(Vec<Expr>),
    /// A TOML table (static keys).
    Map(BTreeMap<String, Expr>),
    /// `{ key = value }` in an expression: keys may be expressions.
    Object(Vec<(Expr, Expr)>),
    /// A string with interpolations; evaluates to a string.
    Template(Vec<TemplatePart>),
    /// A name with static attribute accesses and indexes: `aws_vpc.main.id`.
    Ref(Reference),
    /// `target[key]` where the key is computed.
    Index(Box<Expr>, Box<Expr>),
    /// `target.name` on something that is not a reference (`f(x).name`).
    GetAttr(Box<Expr>, String),
    /// `target[*].rest`: `each` is evaluated for every element, with
    /// [`Subject::SplatItem`] standing for it.
    Splat {
        target: Box<Expr>,
        each: Box<Expr>,
    },
    Call(Call),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Conditional {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    For(Box<ForExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    /// The span of the function name, for errors about the call itself.
    pub name_span: Span,
    pub args: Vec<Expr>,
    /// `f(list...)`: the last argument's elements are the arguments.
    pub expand_last: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }
}

/// `[for k, v in coll : value if cond]` or `{for k, v in coll : key => value... if cond}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForExpr {
    /// The first name when two are given (index or key).
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    /// Present for the object form.
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    /// `value...`: values with the same key are grouped into lists.
    pub group: bool,
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

/// A name and the static steps after it: `aws_vpc.main.tags["Name"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub subject: Subject,
    /// Attribute accesses and literal indexes after the subject.
    pub path: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `.name`
    Attr(String),
    /// `[0]` or `.0`
    Index(i64),
    /// `["key"]`
    Key(String),
}

/// What a name refers to, within the module the expression is written in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// Not resolved yet: what the parser produces. None remain after loading.
    Name(String),
    Var(String),
    Local(String),
    /// A resource or data source of this module: all of its instances.
    Resource(ResourceRef),
    /// A module call of this module: its outputs (of all instances).
    Module(String),
    CountIndex,
    EachKey,
    EachValue,
    PathModule,
    PathRoot,
    PathCwd,
    /// A variable of an enclosing `for` expression (or of a template file).
    Iter(String),
    /// The element inside a splat.
    SplatItem,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceRef {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

impl std::fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Name(n) | Subject::Iter(n) => f.write_str(n),
            Subject::Var(n) => write!(f, "var.{n}"),
            Subject::Local(n) => write!(f, "local.{n}"),
            Subject::Resource(r) => write!(f, "{r}"),
            Subject::Module(n) => write!(f, "module.{n}"),
            Subject::CountIndex => f.write_str("count.index"),
            Subject::EachKey => f.write_str("each.key"),
            Subject::EachValue => f.write_str("each.value"),
            Subject::PathModule => f.write_str("path.module"),
            Subject::PathRoot => f.write_str("path.root"),
            Subject::PathCwd => f.write_str("path.cwd"),
            Subject::SplatItem => f.write_str("[*]"),
        }
    }
}

impl Expr {
    pub fn literal(v: Value, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Literal(LiteralValue(v)),
            span,
        }
    }

    /// The literal value, if the expression is one.
    pub fn as_literal(&self) -> Option<&Value> {
        match &self.kind {
            ExprKind::Literal(v) => Some(&v.0),
            _ => None,
        }
    }

    /// The part of a literal list or map at a path (for pointing at the
    /// element that is wrong); the deepest part found on the way.
    pub fn at(&self, path: &[cairn_core::value::PathStep]) -> &Expr {
        use cairn_core::value::PathStep;
        let Some((step, rest)) = path.split_first() else {
            return self;
        };
        let next = match (&self.kind, step) {
            (ExprKind::Map(m), PathStep::Key(k)) => m.get(k),
            (ExprKind::Object(items), PathStep::Key(k)) => items
                .iter()
                .find(|(key, _)| key.as_literal().and_then(|v| v.as_str()) == Some(k.as_str()))
                .map(|(_, v)| v),
            (ExprKind::List(items), PathStep::Index(i)) => items.get(*i),
            _ => None,
        };
        next.map(|e| e.at(rest)).unwrap_or(self)
    }

    /// The reference an access chain starts from: `r` in `r`, `r[k]`,
    /// `r[k].attr`.
    pub fn root_ref(&self) -> Option<&Reference> {
        match &self.kind {
            ExprKind::Ref(r) => Some(r),
            ExprKind::Index(t, _) | ExprKind::GetAttr(t, _) => t.root_ref(),
            _ => None,
        }
    }

    /// Every reference in the expression, in source order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let ExprKind::Ref(r) = &e.kind {
                out.push(r);
            }
        });
        out
    }

    /// Calls `f` on this expression and every expression inside it.
    pub fn visit<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Ref(_) => {}
            ExprKind::List(items) => items.iter().for_each(|e| e.visit(f)),
            ExprKind::Map(m) => m.values().for_each(|e| e.visit(f)),
            ExprKind::Object(items) => {
                for (k, v) in items {
                    k.visit(f);
                    v.visit(f);
                }
            }
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Interp(e) = p {
                        e.visit(f);
                    }
                }
            }
            ExprKind::Index(t, k) => {
                t.visit(f);
                k.visit(f);
            }
            ExprKind::GetAttr(t, _) => t.visit(f),
            ExprKind::Splat { target, each } => {
                target.visit(f);
                each.visit(f);
            }
            ExprKind::Call(c) => c.args.iter().for_each(|e| e.visit(f)),
            ExprKind::Unary(_, e) => e.visit(f),
            ExprKind::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                cond.visit(f);
                then.visit(f);
                otherwise.visit(f);
            }
            ExprKind::For(fe) => {
                fe.collection.visit(f);
                if let Some(k) = &fe.key {
                    k.visit(f);
                }
                fe.value.visit(f);
                if let Some(c) = &fe.cond {
                    c.visit(f);
                }
            }
        }
    }

    /// The mutable counterpart of [`Expr::visit`], for the loader's name
    /// resolution. `f` returning false skips the children.
    pub fn visit_mut(&mut self, f: &mut dyn FnMut(&mut Expr) -> bool) {
        if !f(self) {
            return;
        }
        match &mut self.kind {
            ExprKind::Literal(_) | ExprKind::Ref(_) => {}
            ExprKind::List(items) => items.iter_mut().for_each(|e| e.visit_mut(f)),
            ExprKind::Map(m) => m.values_mut().for_each(|e| e.visit_mut(f)),
            ExprKind::Object(items) => {
                for (k, v) in items {
                    k.visit_mut(f);
                    v.visit_mut(f);
                }
            }
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Interp(e) = p {
                        e.visit_mut(f);
                    }
                }
            }
            ExprKind::Index(t, k) => {
                t.visit_mut(f);
                k.visit_mut(f);
            }
            ExprKind::GetAttr(t, _) => t.visit_mut(f),
            ExprKind::Splat { target, each } => {
                target.visit_mut(f);
                each.visit_mut(f);
            }
            ExprKind::Call(c) => c.args.iter_mut().for_each(|e| e.visit_mut(f)),
            ExprKind::Unary(_, e) => e.visit_mut(f),
            ExprKind::Binary(_, a, b) => {
                a.visit_mut(f);
                b.visit_mut(f);
            }
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => {
                cond.visit_mut(f);
                then.visit_mut(f);
                otherwise.visit_mut(f);
            }
            ExprKind::For(fe) => {
                fe.collection.visit_mut(f);
                if let Some(k) = &mut fe.key {
                    k.visit_mut(f);
                }
                fe.value.visit_mut(f);
                if let Some(c) = &mut fe.cond {
                    c.visit_mut(f);
                }
            }
        }
    }
}
