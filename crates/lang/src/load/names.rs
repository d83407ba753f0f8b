//! Name resolution: every `${...}` name is looked up in the module it is
//! written in and rewritten into what it refers to ([`Subject`]), or
//! reported with a did-you-mean. Function names and argument counts are
//! checked here too, so a typo fails `validate`, not `apply`.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::{Mode, Registry};

use crate::diagnostic::Diagnostic;
use crate::didyoumean;
use crate::expr::{Expr, ExprKind, Reference, ResourceRef, Step, Subject};
use crate::model::ModuleId;

use super::{Cx, RawModule};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepKind {
    Count,
    ForEach,
}

/// What a module declares, by name: enough to resolve references before
/// any block is built.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub vars: BTreeSet<String>,
    pub locals: BTreeSet<String>,
    pub resources: BTreeMap<ResourceRef, Option<RepKind>>,
    pub calls: BTreeMap<String, Option<RepKind>>,
    pub outputs: BTreeSet<String>,
    /// Variables without a default: a module call must set them.
    pub required_vars: BTreeSet<String>,
}

fn repetition_of(entries: &[crate::node::Entry]) -> Option<RepKind> {
    if entries.iter().any(|e| e.key == "for_each") {
        Some(RepKind::ForEach)
    } else if entries.iter().any(|e| e.key == "count") {
        Some(RepKind::Count)
    } else {
        None
    }
}

impl Declared {
    pub fn of(_cx: &mut Cx, raw: &RawModule) -> Declared {
        Declared {
            vars: raw.variables.iter().map(|e| e.key.clone()).collect(),
            locals: raw.locals.iter().map(|e| e.key.clone()).collect(),
            resources: raw
                .resources
                .iter()
                .map(|r| {
                    (
                        ResourceRef {
                            mode: r.address.mode,
                            type_name: r.address.type_name.clone(),
                            name: r.address.name.clone(),
                        },
                        repetition_of(&r.entries),
                    )
                })
                .collect(),
            calls: raw
                .calls
                .iter()
                .map(|c| {
                    (
                        c.key.clone(),
                        repetition_of(c.node.entries().unwrap_or(&[])),
                    )
                })
                .collect(),
            outputs: raw.outputs.iter().map(|e| e.key.clone()).collect(),
            required_vars: raw
                .variables
                .iter()
                .filter(|v| {
                    !v.node
                        .entries()
                        .unwrap_or(&[])
                        .iter()
                        .any(|e| e.key == "default")
                })
                .map(|v| v.key.clone())
                .collect(),
        }
    }
}

/// What an expression may refer to, by where it is written.
#[derive(Clone, Copy)]
pub(crate) struct Allow<'a> {
    /// `count.index` / `each.*` of the enclosing block.
    pub repetition: Option<RepKind>,
    /// A validation condition: only this variable.
    pub only_var: Option<&'a str>,
    /// Settings known before planning: no resources, data or modules.
    pub no_objects: bool,
}

impl Allow<'_> {
    pub fn everything(repetition: Option<RepKind>) -> Allow<'static> {
        Allow {
            repetition,
            only_var: None,
            no_objects: false,
        }
    }
    pub fn settings() -> Allow<'static> {
        Allow {
            repetition: None,
            only_var: None,
            no_objects: true,
        }
    }
}

pub(crate) struct Resolver<'a, 'r> {
    pub cx: &'a mut Cx<'r>,
    pub declared: &'a Declared,
    /// Every module's declarations, for `module.NAME.OUTPUT`.
    pub all: &'a [Declared],
    /// The child module of each call, by name.
    pub children: &'a BTreeMap<String, ModuleId>,
    pub allow: Allow<'a>,
}

const ROOTS: &[&str] = &["var", "local", "module", "data", "count", "each", "path"];

impl Resolver<'_, '_> {
    fn registry(&self) -> &Registry {
        self.cx.registry
    }

    /// Resolves every name in `e`; false if any was reported.
    pub fn resolve(&mut self, e: &mut Expr) -> bool {
        let mut bound = Vec::new();
        self.walk(e, &mut bound)
    }

    /// Resolves every expression, reporting all problems (no short cut).
    fn each<'e>(
        &mut self,
        items: impl Iterator<Item = &'e mut Expr>,
        bound: &mut Vec<String>,
    ) -> bool {
        let mut ok = true;
        for e in items {
            ok &= self.walk(e, bound);
        }
        ok
    }

    fn walk(&mut self, e: &mut Expr, bound: &mut Vec<String>) -> bool {
        match &mut e.kind {
            ExprKind::Literal(_) => true,
            ExprKind::Ref(r) => self.reference(r, bound),
            ExprKind::List(items) => self.each(items.iter_mut(), bound),
            ExprKind::Map(m) => self.each(m.values_mut(), bound),
            ExprKind::Object(items) => self.each(items.iter_mut().flat_map(|(k, v)| [k, v]), bound),
            ExprKind::Template(parts) => self.each(
                parts.iter_mut().filter_map(|p| match p {
                    crate::expr::TemplatePart::Interp(e) => Some(e),
                    crate::expr::TemplatePart::Lit(_) => None,
                }),
                bound,
            ),
            ExprKind::Index(t, k) => self.walk(t, bound) & self.walk(k, bound),
            ExprKind::GetAttr(t, _) => self.walk(t, bound),
            ExprKind::Splat { target, each } => self.walk(target, bound) & self.walk(each, bound),
            ExprKind::Call(c) => {
                let ok = self.function(c);
                c.args
                    .iter_mut()
                    .fold(ok, |ok, a| self.walk(a, bound) && ok)
            }
            ExprKind::Unary(_, x) => self.walk(x, bound),
            ExprKind::Binary(_, a, b) => self.walk(a, bound) & self.walk(b, bound),
            ExprKind::Conditional {
                cond,
                then,
                otherwise,
            } => self.walk(cond, bound) & self.walk(then, bound) & self.walk(otherwise, bound),
            ExprKind::For(f) => {
                let mut ok = self.walk(&mut f.collection, bound);
                let before = bound.len();
                if let Some(k) = &f.key_var {
                    bound.push(k.clone());
                }
                bound.push(f.value_var.clone());
                if let Some(k) = &mut f.key {
                    ok &= self.walk(k, bound);
                }
                ok &= self.walk(&mut f.value, bound);
                if let Some(c) = &mut f.cond {
                    ok &= self.walk(c, bound);
                }
                bound.truncate(before);
                ok
            }
        }
    }

    fn function(&mut self, c: &crate::expr::Call) -> bool {
        let (min, max, signature) = match c.name.as_str() {
            "try" => (1, None, "try(expressions...)"),
            "can" => (1, Some(1), "can(expression)"),
            "templatefile" => (2, Some(2), "templatefile(path, vars)"),
            name => match cairn_functions::lookup(name) {
                Some(f) => (f.min_args, f.max_args, f.signature),
                None => {
                    let names: Vec<&str> = cairn_functions::names()
                        .chain(["try", "can", "templatefile"])
                        .collect();
                    let hint = didyoumean::suggest(name, names.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "see the list of functions in docs/language.md".into());
                    self.cx.err(
                        Diagnostic::at(format!("unknown function `{name}`"), c.name_span)
                            .hint(hint),
                    );
                    return false;
                }
            },
        };
        let n = c.args.len();
        // With `...` the count is known only when evaluating.
        if c.expand_last || (n >= min && max.is_none_or(|m| n <= m)) {
            return true;
        }
        let expected = match max {
            Some(m) if m == min => format!("{min}"),
            Some(m) => format!("{min} to {m}"),
            None => format!("at least {min}"),
        };
        self.cx.err(
            Diagnostic::at(
                format!(
                    "{}() expects {expected} argument{}, got {n}",
                    c.name,
                    if expected == "1" { "" } else { "s" }
                ),
                c.name_span,
            )
            .hint(format!("usage: {signature}")),
        );
        false
    }

    fn err(&mut self, d: Diagnostic) -> bool {
        self.cx.err(d);
        false
    }

    fn reference(&mut self, r: &mut Reference, bound: &[String]) -> bool {
        let Subject::Name(root) = &r.subject else {
            return true;
        };
        let root = root.clone();
        if bound.contains(&root) {
            r.subject = Subject::Iter(root);
            return true;
        }
        let span = r.span;
        let attr = |path: &[Step], i: usize| match path.get(i) {
            Some(Step::Attr(a)) => Some(a.clone()),
            _ => None,
        };
        match root.as_str() {
            "var" => {
                let Some(name) = attr(&r.path, 0) else {
                    return self.err(Diagnostic::at("expected a variable name: `var.NAME`", span));
                };
                if let Some(only) = self.allow.only_var {
                    if name != only {
                        return self.err(Diagnostic::at(
                            format!("a validation condition can refer only to the variable it validates (`var.{only}`)"),
                            span,
                        ));
                    }
                }
                if !self.declared.vars.contains(&name) {
                    if self.cx.parse_failed {
                        return false;
                    }
                    let hint =
                        didyoumean::hint(&name, self.declared.vars.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!("declare it with a [variable.{name}] table")
                            });
                    return self.err(
                        Diagnostic::at(format!("reference to undeclared variable `{name}`"), span)
                            .hint(hint),
                    );
                }
                r.path.remove(0);
                r.subject = Subject::Var(name);
                true
            }
            "local" => {
                let Some(name) = attr(&r.path, 0) else {
                    return self.err(Diagnostic::at(
                        "expected a local value's name: `local.NAME`",
                        span,
                    ));
                };
                if !self.declared.locals.contains(&name) {
                    if self.cx.parse_failed {
                        return false;
                    }
                    let hint =
                        didyoumean::hint(&name, self.declared.locals.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                format!("declare it in a [locals] table: `{name} = ...`")
                            });
                    return self.err(
                        Diagnostic::at(
                            format!("reference to undeclared local value `{name}`"),
                            span,
                        )
                        .hint(hint),
                    );
                }
                r.path.remove(0);
                r.subject = Subject::Local(name);
                true
            }
            "count" | "each" => self.repetition(r, &root),
            "path" => {
                let subject = match attr(&r.path, 0).as_deref() {
                    Some("module") => Subject::PathModule,
                    Some("root") => Subject::PathRoot,
                    Some("cwd") => Subject::PathCwd,
                    _ => {
                        return self.err(
                            Diagnostic::at(
                                "expected `path.module`, `path.root` or `path.cwd`",
                                span,
                            )
                            .hint("path.module is the directory of the module this is written in"),
                        )
                    }
                };
                r.path.remove(0);
                r.subject = subject;
                true
            }
            "self" | "terraform" => self.err(Diagnostic::at(
                format!("`{root}` references are not supported"),
                span,
            )),
            "module" => {
                if self.allow.no_objects {
                    return self.not_here(span);
                }
                let Some(name) = attr(&r.path, 0) else {
                    return self.err(Diagnostic::at(
                        "expected a module name: `module.NAME.OUTPUT`",
                        span,
                    ));
                };
                let Some(rep) = self.declared.calls.get(&name).copied() else {
                    let hint =
                        didyoumean::hint(&name, self.declared.calls.keys().map(String::as_str))
                            .unwrap_or_else(|| format!("declare it with a [module.{name}] table"));
                    return self.err(
                        Diagnostic::at(format!("reference to undeclared module `{name}`"), span)
                            .hint(hint),
                    );
                };
                r.path.remove(0);
                let output_at = usize::from(
                    rep.is_some() && matches!(r.path.first(), Some(Step::Index(_) | Step::Key(_))),
                );
                if let (Some(out), Some(child)) =
                    (attr(&r.path, output_at), self.children.get(&name))
                {
                    let outputs = &self.all[*child].outputs;
                    if !outputs.contains(&out) {
                        let hint = didyoumean::hint(&out, outputs.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                "declare it in the module with an [output.NAME] table".into()
                            });
                        return self.err(
                            Diagnostic::at(format!("module `{name}` has no output `{out}`"), span)
                                .hint(hint),
                        );
                    }
                }
                r.subject = Subject::Module(name);
                true
            }
            _ => self.resource(r, root),
        }
    }

    fn not_here(&mut self, span: crate::source::Span) -> bool {
        self.err(
            Diagnostic::at("this must be known before planning: only variables and locals may be referenced here", span)
                .hint("resources, data sources and modules have values only during plan"),
        )
    }

    fn repetition(&mut self, r: &mut Reference, root: &str) -> bool {
        let span = r.span;
        let (want, subject) = match (root, r.path.first()) {
            ("count", Some(Step::Attr(a))) if a == "index" => (RepKind::Count, Subject::CountIndex),
            ("each", Some(Step::Attr(a))) if a == "key" => (RepKind::ForEach, Subject::EachKey),
            ("each", Some(Step::Attr(a))) if a == "value" => (RepKind::ForEach, Subject::EachValue),
            ("count", Some(Step::Attr(a))) => {
                let hint = if a.starts_with("index") {
                    format!(
                        "HCL names may contain `-`: write `count.index - {}` with spaces",
                        a.trim_start_matches("index-")
                    )
                } else {
                    "the only attribute of `count` is `count.index`".into()
                };
                return self.err(
                    Diagnostic::at(format!("`count` has no attribute `{a}`"), span).hint(hint),
                );
            }
            ("count", _) => return self.err(Diagnostic::at("expected `count.index`", span)),
            _ => return self.err(Diagnostic::at("expected `each.key` or `each.value`", span)),
        };
        if self.allow.repetition != Some(want) {
            let (word, what) = match want {
                RepKind::Count => ("count", "`count.index`"),
                RepKind::ForEach => ("for_each", "`each.key` and `each.value`"),
            };
            return self.err(
                Diagnostic::at(
                    format!("{what} can only be used in a block that sets `{word}`"),
                    span,
                )
                .hint(if self.allow.repetition.is_some() {
                    "this block repeats with the other one of count and for_each".to_string()
                } else {
                    format!("add `{word} = ...` to the resource or module, or remove the reference")
                }),
            );
        }
        r.path.remove(0);
        r.subject = subject;
        true
    }

    fn resource(&mut self, r: &mut Reference, root: String) -> bool {
        let span = r.span;
        if self.allow.no_objects {
            return self.not_here(span);
        }
        let key = |path: &[Step], i: usize| match path.get(i) {
            Some(Step::Attr(a)) => Some(a.clone()),
            _ => None,
        };
        let (mode, type_name, consumed) = if root == "data" {
            let Some(ty) = key(&r.path, 0) else {
                return self.err(Diagnostic::at("expected `data.TYPE.NAME`", span));
            };
            (Mode::Data, ty, 1)
        } else {
            (Mode::Managed, root.clone(), 0)
        };
        let Some(name) = key(&r.path, consumed) else {
            if mode == Mode::Managed && self.registry().resource(&type_name).is_none() {
                let hint = didyoumean::suggest(&type_name, ROOTS.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        "a reference starts with var., local., module., data., a resource type, count., each. or path.".into()
                    });
                return self
                    .err(Diagnostic::at(format!("unknown name `{type_name}`"), span).hint(hint));
            }
            return self.err(Diagnostic::at(
                format!(
                    "expected `{}{type_name}.NAME`",
                    if mode == Mode::Data { "data." } else { "" }
                ),
                span,
            ));
        };
        let target = ResourceRef {
            mode,
            type_name: type_name.clone(),
            name,
        };
        let Some(rep) = self.declared.resources.get(&target).copied() else {
            if self.cx.parse_failed {
                return false;
            }
            let names: Vec<String> = self
                .declared
                .resources
                .keys()
                .map(|a| a.to_string())
                .collect();
            let hint = didyoumean::hint(&target.to_string(), names.iter().map(String::as_str))
                .unwrap_or_else(|| "declare it, or check the spelling".into());
            return self.err(
                Diagnostic::at(format!("reference to undeclared resource `{target}`"), span)
                    .hint(hint),
            );
        };
        r.path.drain(..=consumed);
        // Check the attribute where it is statically visible: right after
        // the name, or after the instance key of a repeated resource.
        let attr_at = match (rep, r.path.first()) {
            (None, _) => Some(0),
            (Some(_), Some(Step::Index(_) | Step::Key(_))) => Some(1),
            (Some(kind), Some(Step::Attr(a))) => {
                let (word, example) = match kind {
                    RepKind::Count => (
                        "count",
                        format!("{target}[0].{a}, or {target}[*].{a} for all"),
                    ),
                    RepKind::ForEach => (
                        "for_each",
                        format!("{target}[\"KEY\"].{a}, or values({target})[*].{a} for all"),
                    ),
                };
                return self.err(
                    Diagnostic::at(
                        format!("`{target}` has `{word}` set: name one of its instances"),
                        span,
                    )
                    .hint(format!("write {example}")),
                );
            }
            (Some(_), _) => None,
        };
        if let (Some(i), Some(schema)) = (attr_at, self.registry().schema(mode, &type_name)) {
            if let Some(Step::Attr(attr)) = r.path.get(i) {
                if schema.get(attr).is_none() {
                    let hint = didyoumean::hint(attr, schema.names()).unwrap_or_default();
                    return self.err(
                        Diagnostic::at(format!("`{type_name}` has no attribute `{attr}`"), span)
                            .hint(hint),
                    );
                }
            }
        }
        r.subject = Subject::Resource(target);
        true
    }
}
