//! One module's blocks: variables, locals, resources and data sources,
//! module calls and outputs, with every expression parsed and its names
//! resolved. Values are not checked here (see `checks`): this phase needs
//! only what each module declares.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::value::PathStep;
use cairn_core::{Mode, Presence, Value};

use crate::diagnostic::Diagnostic;
use crate::didyoumean;
use crate::expr::{Expr, ExprKind, ResourceRef, Step, Subject};
use crate::model::{
    DependsOn, IgnoreChanges, Lifecycle, LocalValue, Module, ModuleCall, ModuleId, OutputBlock,
    Repetition, ResourceBlock, Timeouts, Validation, VariableDecl,
};
use crate::node::{Entry, Node};
use crate::parse;
use crate::source::Span;
use crate::types::VarType;

use super::names::{Allow, Declared, RepKind, Resolver};
use super::{Cx, RawModule, RawResource};

const VARIABLE_KEYS: &[&str] = &["type", "default", "description", "sensitive", "validation"];
const OUTPUT_KEYS: &[&str] = &["value", "description", "sensitive"];
const RESOURCE_META: &[&str] = &[
    "depends_on",
    "timeouts",
    "count",
    "for_each",
    "provider",
    "lifecycle",
];
const DATA_META: &[&str] = &["depends_on", "count", "for_each", "provider"];
const CALL_META: &[&str] = &["source", "count", "for_each", "providers", "depends_on"];
const LIFECYCLE_KEYS: &[&str] = &[
    "prevent_destroy",
    "create_before_destroy",
    "ignore_changes",
    "replace_triggered_by",
];

/// Parses a TOML value into an expression; names stay unresolved.
pub(crate) fn expr_of(cx: &mut Cx, n: &Node) -> Option<Expr> {
    let span = n.span();
    Some(match n {
        Node::Str {
            value,
            span,
            content,
        } => {
            let at = |r: std::ops::Range<usize>| content.span(*span, r);
            match parse::template(value, &at) {
                // The value as a whole is the string, quotes included; its
                // parts keep their spans inside it.
                Ok(e) => Expr { span: *span, ..e },
                Err(e) => {
                    let hint = e.hint.clone().unwrap_or_default();
                    cx.err(Diagnostic::at(e.message, e.span).hint(hint));
                    return None;
                }
            }
        }
        Node::Array(items, _) => Expr {
            kind: ExprKind::List(
                items
                    .iter()
                    .map(|i| expr_of(cx, i))
                    .collect::<Option<_>>()?,
            ),
            span,
        },
        Node::Table(entries, _) => Expr {
            kind: ExprKind::Map(
                entries
                    .iter()
                    .map(|e| Some((e.key.clone(), expr_of(cx, &e.node)?)))
                    .collect::<Option<_>>()?,
            ),
            span,
        },
        other => Expr::literal(literal(cx, other)?, span),
    })
}

/// A plain TOML (or JSON) value, no expressions: defaults and var files.
pub(crate) fn literal(cx: &mut Cx, n: &Node) -> Option<Value> {
    Some(match n {
        Node::Str { value, .. } => Value::String(value.clone()),
        Node::Int(i, _) => Value::Number(*i as f64),
        Node::Float(f, _) => Value::Number(*f),
        Node::Bool(b, _) => Value::Bool(*b),
        Node::Null(_) => Value::Null,
        Node::Array(items, _) => Value::List(
            items
                .iter()
                .map(|i| literal(cx, i))
                .collect::<Option<_>>()?,
        ),
        Node::Table(entries, _) => Value::Map(
            entries
                .iter()
                .map(|e| Some((e.key.clone(), literal(cx, &e.node)?)))
                .collect::<Option<_>>()?,
        ),
        Node::Datetime(span) => {
            cx.err(Diagnostic::at(
                "datetimes are not supported; write the value as a string",
                *span,
            ));
            return None;
        }
    })
}

pub(crate) fn bool_of(cx: &mut Cx, e: &Entry) -> Option<bool> {
    match e.node {
        Node::Bool(b, _) => Some(b),
        _ => {
            cx.err(Diagnostic::at(
                format!("`{}` must be true or false", e.key),
                e.node.span(),
            ));
            None
        }
    }
}

struct Builder<'a, 'r> {
    cx: &'a mut Cx<'r>,
    declared: &'a [Declared],
    id: ModuleId,
    children: &'a BTreeMap<String, ModuleId>,
}

pub(crate) fn module(
    cx: &mut Cx,
    raw: &RawModule,
    id: ModuleId,
    declared: &[Declared],
    children: &[BTreeMap<String, ModuleId>],
) -> Module {
    let mut b = Builder {
        cx,
        declared,
        id,
        children: &children[id],
    };
    let mut m = Module {
        dir: raw.dir.clone(),
        ..Default::default()
    };
    for v in &raw.variables {
        if let Some(d) = b.variable(v) {
            m.variables.insert(v.key.clone(), d);
        }
    }
    let mut local_spans: BTreeMap<String, Span> = BTreeMap::new();
    for l in &raw.locals {
        if let Some(first) = local_spans.get(&l.key) {
            b.cx.err(
                Diagnostic::at(
                    format!("local value `{}` is declared twice", l.key),
                    l.key_span,
                )
                .note(*first, "first declared here"),
            );
            continue;
        }
        local_spans.insert(l.key.clone(), l.key_span);
        if let Some(expr) = b.expr(&l.node, Allow::everything(None)) {
            m.locals.insert(
                l.key.clone(),
                LocalValue {
                    expr,
                    span: l.key_span,
                },
            );
        }
    }
    for r in &raw.resources {
        if let Some(block) = b.resource(r) {
            m.index.insert(block.id(), m.resources.len());
            m.resources.push(block);
        }
    }
    for c in &raw.calls {
        if let Some(call) = b.call(c) {
            m.calls.push(call);
        }
    }
    for o in &raw.outputs {
        if let Some(out) = b.output(o) {
            m.outputs.push(out);
        }
    }
    m
}

impl Builder<'_, '_> {
    fn expr(&mut self, n: &Node, allow: Allow) -> Option<Expr> {
        let mut e = expr_of(self.cx, n)?;
        let ok = Resolver {
            cx: self.cx,
            declared: &self.declared[self.id],
            all: self.declared,
            children: self.children,
            allow,
        }
        .resolve(&mut e);
        ok.then_some(e)
    }

    fn unknown_key(&mut self, e: &Entry, what: String, known: &[&str]) {
        let hint = didyoumean::hint(&e.key, known.iter().copied()).unwrap_or_default();
        self.cx.err(
            Diagnostic::at(format!("unknown key `{}` in {what}", e.key), e.key_span).hint(hint),
        );
    }

    fn variable(&mut self, v: &Entry) -> Option<VariableDecl> {
        let mut decl = VariableDecl {
            name: v.key.clone(),
            ty: VarType::Any,
            default: None,
            default_span: None,
            sensitive: false,
            description: None,
            validations: Vec::new(),
            span: v.key_span,
        };
        let mut default: Option<&Node> = None;
        for f in v.node.entries().unwrap_or(&[]) {
            match f.key.as_str() {
                "type" => match &f.node {
                    Node::Str {
                        value,
                        span,
                        content,
                    } => {
                        let at = |r: std::ops::Range<usize>| content.span(*span, r);
                        match crate::types::parse(value, &at) {
                            Ok(t) => decl.ty = t,
                            Err(e) => self.cx.err(Diagnostic::at(e.message, e.span)),
                        }
                    }
                    other => self.cx.err(
                        Diagnostic::at("`type` must be a string", other.span())
                            .hint("e.g. type = \"map(object({ cpu = number, memory = number }))\""),
                    ),
                },
                "default" => default = Some(&f.node),
                "description" => match f.node.as_str() {
                    Some(d) => decl.description = Some(d.to_string()),
                    None => self.cx.err(Diagnostic::at(
                        "`description` must be a string",
                        f.node.span(),
                    )),
                },
                "sensitive" => decl.sensitive = bool_of(self.cx, f).unwrap_or(false),
                "validation" => self.validations(v, f, &mut decl),
                _ => self.unknown_key(f, format!("variable `{}`", v.key), VARIABLE_KEYS),
            }
        }
        if let Some(n) = default {
            decl.default_span = Some(n.span());
            // A default may be an expression of literals: `"${null}"` (no
            // value unless one is given; TOML has no null), `"${[for ...]}"`.
            let value = expr_of(self.cx, n).and_then(|e| {
                if !e.references().is_empty() {
                    self.cx.err(
                        Diagnostic::at("a default cannot refer to other values", e.span).hint(
                            "write a literal; use a local value to compute from other variables",
                        ),
                    );
                    return None;
                }
                e.eval(&crate::eval::NoNames)
                    .map_err(|err| self.cx.err(Diagnostic::at(err.message, err.span)))
                    .ok()
            });
            if let Some(value) = value {
                match decl.ty.convert(&value) {
                    Ok(c) => decl.default = Some(c),
                    Err(m) => {
                        self.cx.err(Diagnostic::at(
                            format!("wrong type for variable `{}`: {}", m.at(&v.key), m.message),
                            n.at(&m.steps).span(),
                        ));
                        self.cx.failed.insert((self.id, v.key.clone()));
                    }
                }
            }
        }
        Some(decl)
    }

    /// `[[variable.NAME.validation]]` with `condition` and `error_message`.
    fn validations(&mut self, v: &Entry, f: &Entry, decl: &mut VariableDecl) {
        let Node::Array(items, _) = &f.node else {
            return self.cx.err(
                Diagnostic::at("`validation` must be an array of tables", f.key_span).hint(
                    format!(
                        "write each rule under a `[[variable.{}.validation]]` header",
                        v.key
                    ),
                ),
            );
        };
        let allow = Allow {
            repetition: None,
            only_var: Some(&v.key),
            no_objects: true,
        };
        for item in items {
            let Some(entries) = item.entries() else {
                self.cx.err(Diagnostic::at(
                    "a validation rule must be a table",
                    item.span(),
                ));
                continue;
            };
            let (mut condition, mut message) = (None, None);
            for e in entries {
                match e.key.as_str() {
                    "condition" => condition = self.expr(&e.node, allow),
                    "error_message" => message = self.expr(&e.node, allow),
                    _ => self.unknown_key(
                        e,
                        "a validation rule".into(),
                        &["condition", "error_message"],
                    ),
                }
            }
            for (key, present) in [
                ("condition", condition.is_some()),
                ("error_message", message.is_some()),
            ] {
                if !present && !entries.iter().any(|e| e.key == key) {
                    self.cx.err(
                        Diagnostic::at(format!("the validation rule has no `{key}`"), item.span())
                            .hint(
                            "a rule needs `condition = \"${...}\"` and `error_message = \"...\"`",
                        ),
                    );
                }
            }
            if let (Some(condition), Some(error_message)) = (condition, message) {
                decl.validations.push(Validation {
                    condition,
                    error_message,
                    span: item.span(),
                });
            }
        }
    }

    fn repetition(&mut self, entries: &[Entry]) -> Option<Repetition> {
        let count = entries.iter().find(|e| e.key == "count");
        let for_each = entries.iter().find(|e| e.key == "for_each");
        if let (Some(c), Some(f)) = (count, for_each) {
            self.cx.err(
                Diagnostic::at("a block cannot set both `count` and `for_each`", f.key_span)
                    .note(c.key_span, "count is set here")
                    .hint(
                        "use for_each for instances with their own keys, count for numbered copies",
                    ),
            );
            return None;
        }
        // Neither may refer to the block's own instances.
        let allow = Allow::everything(None);
        if let Some(c) = count {
            return self.expr(&c.node, allow).map(Repetition::Count);
        }
        if let Some(f) = for_each {
            return self.expr(&f.node, allow).map(Repetition::ForEach);
        }
        None
    }

    fn resource(&mut self, r: &RawResource) -> Option<ResourceBlock> {
        let mode = r.address.mode;
        let ty = &r.address.type_name;
        let registry = self.cx.registry;
        let schema = match (mode, registry.schema(mode, ty)) {
            (_, Some(s)) => s,
            (Mode::Managed, None) => {
                let hint = didyoumean::hint(ty, registry.resource_types()).unwrap_or_default();
                self.cx.err(
                    Diagnostic::at(format!("unknown resource type `{ty}`"), r.span).hint(hint),
                );
                return None;
            }
            (Mode::Data, None) => {
                let known: Vec<&str> = registry.data_source_types().collect();
                let hint = didyoumean::hint(ty, known.iter().copied()).unwrap_or_else(|| {
                    if known.is_empty() {
                        "no data sources are available yet".into()
                    } else {
                        String::new()
                    }
                });
                self.cx.err(
                    Diagnostic::at(format!("unknown data source type `{ty}`"), r.span).hint(hint),
                );
                return None;
            }
        };
        let meta = if mode == Mode::Data {
            DATA_META
        } else {
            RESOURCE_META
        };
        let repetition = self.repetition(&r.entries);
        let rep_kind = repetition.as_ref().map(|r| match r {
            Repetition::Count(_) => RepKind::Count,
            Repetition::ForEach(_) => RepKind::ForEach,
        });
        let mut block = ResourceBlock {
            address: r.address.clone(),
            span: r.span,
            attributes: BTreeMap::new(),
            attribute_spans: BTreeMap::new(),
            depends_on: Vec::new(),
            timeouts: Timeouts::default(),
            provider: "aws".into(),
            repetition,
            lifecycle: Lifecycle::default(),
        };
        // Required attributes an unknown key was probably meant to be: their
        // absence is the same mistake, reported once.
        let mut meant: BTreeSet<&str> = BTreeSet::new();
        for e in &r.entries {
            match e.key.as_str() {
                "count" | "for_each" => continue,
                "depends_on" => {
                    block.depends_on = self.depends_on(e);
                    continue;
                }
                "timeouts" if mode == Mode::Managed => {
                    block.timeouts = self.timeouts(e);
                    continue;
                }
                "provider" => {
                    if let Some(p) = self.provider_ref(e) {
                        block.provider = p;
                    }
                    continue;
                }
                "lifecycle" if mode == Mode::Managed => {
                    block.lifecycle = self.lifecycle(e, &block, schema, rep_kind);
                    continue;
                }
                _ => {}
            }
            let Some(attr) = schema.get(&e.key) else {
                if let Some(s) = didyoumean::suggest(&e.key, schema.names()) {
                    meant.insert(s);
                }
                let hint = didyoumean::hint(&e.key, schema.names().chain(meta.iter().copied()))
                    .unwrap_or_default();
                let kind = if mode == Mode::Data {
                    "data source"
                } else {
                    "resource type"
                };
                self.cx.err(
                    Diagnostic::at(
                        format!("unknown attribute `{}` for {kind} `{ty}`", e.key),
                        e.key_span,
                    )
                    .hint(hint),
                );
                continue;
            };
            if attr.presence == Presence::Computed {
                self.cx.err(
                    Diagnostic::at(
                        format!("`{}` is computed by AWS and cannot be set", e.key),
                        e.key_span,
                    )
                    .hint(format!(
                        "remove it; read it elsewhere as `${{{}.{}}}`",
                        r.address, e.key
                    )),
                );
                continue;
            }
            let Some(expr) = self.expr(&e.node, Allow::everything(rep_kind)) else {
                continue;
            };
            block.attribute_spans.insert(e.key.clone(), e.key_span);
            block.attributes.insert(e.key.clone(), expr);
        }
        for (name, attr) in &schema.attributes {
            if attr.presence == Presence::Required
                && !meant.contains(name)
                && !block.attributes.contains_key(*name)
                && !r.entries.iter().any(|e| e.key == *name)
            {
                self.cx.err(
                    Diagnostic::at(
                        format!("`{}` is missing the required attribute `{name}`", r.address),
                        r.span,
                    )
                    .hint(format!("add `{name} = ...` ({})", attr.ty)),
                );
            }
        }
        Some(block)
    }

    /// `provider = "aws.prod_db"`.
    fn provider_ref(&mut self, e: &Entry) -> Option<String> {
        let Some(name) = e.node.as_str() else {
            self.cx.err(
                Diagnostic::at(
                    "`provider` must be a string naming a provider configuration",
                    e.node.span(),
                )
                .hint("e.g. provider = \"aws.prod_db\""),
            );
            return None;
        };
        let valid = name == "aws"
            || name.strip_prefix("aws.").is_some_and(|alias| {
                !alias.is_empty()
                    && alias
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !valid {
            self.cx.err(
                Diagnostic::at(format!("invalid provider `{name}`"), e.node.span()).hint(
                    "write `aws` or `aws.ALIAS`, where [provider.aws.ALIAS] configures the alias",
                ),
            );
            return None;
        }
        Some(name.to_string())
    }

    /// `timeouts = { create = "10m", update = "5m", delete = "20m" }`.
    fn timeouts(&mut self, e: &Entry) -> Timeouts {
        let mut t = Timeouts::default();
        let Some(entries) = self
            .cx
            .table(e, Some("timeouts = { create = \"10m\", delete = \"20m\" }"))
        else {
            return t;
        };
        for f in entries {
            let slot = match f.key.as_str() {
                "create" => &mut t.create,
                "update" => &mut t.update,
                "delete" => &mut t.delete,
                other => {
                    let hint =
                        didyoumean::hint(other, ["create", "update", "delete"]).unwrap_or_default();
                    self.cx.err(
                        Diagnostic::at(format!("unknown timeout `{other}`"), f.key_span).hint(hint),
                    );
                    continue;
                }
            };
            match f.node.as_str().map(crate::model::parse_duration) {
                Some(Ok(d)) => *slot = Some(d),
                Some(Err(why)) => self.cx.err(Diagnostic::at(why, f.node.span())),
                None => self.cx.err(Diagnostic::at(
                    format!(
                        "a timeout must be a string like \"10m\", found {}",
                        f.node.kind()
                    ),
                    f.node.span(),
                )),
            }
        }
        t
    }

    fn depends_on(&mut self, e: &Entry) -> Vec<(DependsOn, Span)> {
        let mut out = Vec::new();
        let Node::Array(items, _) = &e.node else {
            self.cx.err(
                Diagnostic::at(
                    "`depends_on` must be a list of resource addresses",
                    e.node.span(),
                )
                .hint("e.g. depends_on = [\"aws_vpc.main\", \"module.network\"]"),
            );
            return out;
        };
        let declared = &self.declared[self.id];
        for item in items {
            let Node::Str { value, span, .. } = item else {
                self.cx.err(Diagnostic::at(
                    "expected a resource address as a string",
                    item.span(),
                ));
                continue;
            };
            if let Some(name) = value.strip_prefix("module.") {
                if declared.calls.contains_key(name) {
                    out.push((DependsOn::Module(name.to_string()), *span));
                } else {
                    let hint = didyoumean::hint(name, declared.calls.keys().map(String::as_str))
                        .unwrap_or_default();
                    self.cx.err(
                        Diagnostic::at(
                            format!("`depends_on` names undeclared module `{name}`"),
                            *span,
                        )
                        .hint(hint),
                    );
                }
                continue;
            }
            match value.parse::<cairn_core::Address>() {
                Ok(a) if a.module.is_empty() && a.key.is_none() => {
                    let r = ResourceRef {
                        mode: a.mode,
                        type_name: a.type_name.clone(),
                        name: a.name.clone(),
                    };
                    if declared.resources.contains_key(&r) {
                        out.push((DependsOn::Resource(r), *span));
                    } else {
                        let names: Vec<String> = declared.resources.keys().map(|d| d.to_string()).collect();
                        let hint = didyoumean::hint(&a.to_string(), names.iter().map(String::as_str)).unwrap_or_default();
                        self.cx.err(
                            Diagnostic::at(format!("`depends_on` names undeclared resource `{a}`"), *span).hint(hint),
                        );
                    }
                }
                Ok(_) => self.cx.err(
                    Diagnostic::at("`depends_on` names a whole resource or module of this module", *span)
                        .hint("leave out instance keys and module paths: e.g. \"aws_subnet.private\" or \"module.network\""),
                ),
                Err(err) => self.cx.err(
                    Diagnostic::at(format!("`depends_on`: {}", err.reason), *span)
                        .hint("write an address such as \"aws_vpc.main\""),
                ),
            }
        }
        out
    }

    fn lifecycle(
        &mut self,
        e: &Entry,
        block: &ResourceBlock,
        schema: &cairn_core::Schema,
        rep: Option<RepKind>,
    ) -> Lifecycle {
        let mut l = Lifecycle::default();
        let Some(entries) = self
            .cx
            .table(e, Some("lifecycle = { prevent_destroy = true }"))
        else {
            return l;
        };
        for f in entries {
            match f.key.as_str() {
                "prevent_destroy" => l.prevent_destroy = bool_of(self.cx, f).unwrap_or(false),
                "create_before_destroy" => {
                    l.create_before_destroy = bool_of(self.cx, f).unwrap_or(false)
                }
                "ignore_changes" => l.ignore_changes = self.ignore_changes(f, schema),
                "replace_triggered_by" => {
                    l.replace_triggered_by = self.replace_triggered_by(f, block, rep)
                }
                _ => self.unknown_key(f, "lifecycle".into(), LIFECYCLE_KEYS),
            }
        }
        l
    }

    /// `ignore_changes = ["ingress", "tags.Owner"]` or `"all"`.
    fn ignore_changes(&mut self, f: &Entry, schema: &cairn_core::Schema) -> IgnoreChanges {
        let items = match &f.node {
            Node::Str { value, .. } if value == "all" => return IgnoreChanges::All,
            Node::Array(items, _) => items,
            other => {
                self.cx.err(
                    Diagnostic::at(
                        "`ignore_changes` must be a list of attribute paths, or \"all\"",
                        other.span(),
                    )
                    .hint("e.g. ignore_changes = [\"ingress\", \"tags.Owner\"]"),
                );
                return IgnoreChanges::None;
            }
        };
        let mut paths = Vec::new();
        for item in items {
            let Node::Str {
                value,
                span,
                content,
            } = item
            else {
                self.cx.err(Diagnostic::at(
                    "an attribute path must be a string",
                    item.span(),
                ));
                continue;
            };
            let at = |r: std::ops::Range<usize>| content.span(*span, r);
            let parsed = parse::expression(value, &at)
                .ok()
                .and_then(|e| match e.kind {
                    ExprKind::Ref(r) => match r.subject {
                        Subject::Name(first) => Some(
                            std::iter::once(PathStep::Key(first))
                                .chain(r.path.into_iter().map(|s| match s {
                                    Step::Attr(a) | Step::Key(a) => PathStep::Key(a),
                                    Step::Index(i) => PathStep::Index(i.max(0) as usize),
                                }))
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    },
                    _ => None,
                });
            let Some(path) = parsed else {
                self.cx.err(
                    Diagnostic::at(format!("`{value}` is not an attribute path"), *span)
                        .hint("write an attribute name, optionally with keys: \"tags.Owner\", \"tags[\\\"Owner\\\"]\", \"ingress\""),
                );
                continue;
            };
            let Some(PathStep::Key(first)) = path.first() else {
                continue;
            };
            match schema.get(first) {
                Some(a) if a.is_configurable() => paths.push(path),
                Some(_) => self.cx.err(Diagnostic::at(
                    format!("`{first}` is computed: there is no configured value to ignore"),
                    *span,
                )),
                None => {
                    let hint = didyoumean::hint(first, schema.names()).unwrap_or_default();
                    self.cx.err(
                        Diagnostic::at(format!("`ignore_changes`: no attribute `{first}`"), *span)
                            .hint(hint),
                    );
                }
            }
        }
        IgnoreChanges::Paths(paths)
    }

    /// `replace_triggered_by = ["aws_instance.db.user_data", "aws_x.y[each.key]"]`.
    fn replace_triggered_by(
        &mut self,
        f: &Entry,
        block: &ResourceBlock,
        rep: Option<RepKind>,
    ) -> Vec<Expr> {
        let Node::Array(items, _) = &f.node else {
            self.cx.err(
                Diagnostic::at(
                    "`replace_triggered_by` must be a list of references",
                    f.node.span(),
                )
                .hint("e.g. replace_triggered_by = [\"aws_instance.db.user_data\"]"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Node::Str {
                value,
                span,
                content,
            } = item
            else {
                self.cx
                    .err(Diagnostic::at("a reference must be a string", item.span()));
                continue;
            };
            let at = |r: std::ops::Range<usize>| content.span(*span, r);
            // Bare, as in Terraform, or inside `${}`.
            let parsed = if value.trim_start().starts_with("${") {
                parse::template(value, &at)
            } else {
                parse::expression(value, &at)
            };
            let mut expr = match parsed {
                Ok(e) => e,
                Err(e) => {
                    self.cx.err(Diagnostic::at(e.message, e.span));
                    continue;
                }
            };
            let ok = Resolver {
                cx: self.cx,
                declared: &self.declared[self.id],
                all: self.declared,
                children: self.children,
                allow: Allow::everything(rep),
            }
            .resolve(&mut expr);
            if !ok {
                continue;
            }
            let target = expr.root_ref().and_then(|r| match &r.subject {
                Subject::Resource(t) if t.mode == Mode::Managed => Some(t.clone()),
                _ => None,
            });
            match target {
                Some(t) if t == block.id() => self.cx.err(Diagnostic::at(
                    "`replace_triggered_by` cannot refer to the resource itself",
                    *span,
                )),
                Some(_) => out.push(expr),
                None => self.cx.err(
                    Diagnostic::at("`replace_triggered_by` takes references to managed resources of this module", *span)
                        .hint("e.g. \"aws_instance.db\", \"aws_instance.db.user_data\", \"aws_subnet.x[each.key].id\""),
                ),
            }
        }
        out
    }

    fn call(&mut self, c: &Entry) -> Option<ModuleCall> {
        let entries = c.node.entries().unwrap_or(&[]);
        let child = self.children.get(&c.key).copied();
        let repetition = self.repetition(entries);
        let rep_kind = repetition.as_ref().map(|r| match r {
            Repetition::Count(_) => RepKind::Count,
            Repetition::ForEach(_) => RepKind::ForEach,
        });
        let mut call = ModuleCall {
            name: c.key.clone(),
            span: c.node.span(),
            source: String::new(),
            module: child.unwrap_or(usize::MAX),
            inputs: BTreeMap::new(),
            input_spans: BTreeMap::new(),
            repetition,
            providers: BTreeMap::new(),
            depends_on: Vec::new(),
        };
        let child_vars = child.map(|id| &self.declared[id]);
        for e in entries {
            match e.key.as_str() {
                "source" => call.source = e.node.as_str().unwrap_or_default().to_string(),
                "count" | "for_each" => {}
                "depends_on" => call.depends_on = self.depends_on(e),
                "providers" => call.providers = self.providers_map(e),
                name => {
                    if let Some(d) = child_vars {
                        if !d.vars.contains(name) {
                            let hint = didyoumean::hint(
                                name,
                                d.vars
                                    .iter()
                                    .map(String::as_str)
                                    .chain(CALL_META.iter().copied()),
                            )
                            .unwrap_or_else(|| "the module declares no such [variable]".into());
                            self.cx.err(
                                Diagnostic::at(
                                    format!("module `{}` has no variable `{name}`", c.key),
                                    e.key_span,
                                )
                                .hint(hint),
                            );
                            continue;
                        }
                    }
                    if let Some(expr) = self.expr(&e.node, Allow::everything(rep_kind)) {
                        call.input_spans.insert(name.to_string(), e.key_span);
                        call.inputs.insert(name.to_string(), expr);
                    }
                }
            }
        }
        let child = child?;
        for name in &self.declared[child].required_vars {
            if !entries.iter().any(|e| e.key == *name) {
                self.cx.err(
                    Diagnostic::at(
                        format!("module `{}` needs a value for its variable `{name}`", c.key),
                        call.span,
                    )
                    .hint(format!(
                        "add `{name} = ...` to [module.{}]: the variable has no default",
                        c.key
                    )),
                );
            }
        }
        Some(call)
    }

    /// `providers = { aws = "aws.prod_db", "aws.peer" = "aws" }`.
    fn providers_map(&mut self, e: &Entry) -> BTreeMap<String, (String, Span)> {
        let mut out = BTreeMap::new();
        let example = "providers = { aws = \"aws.prod_db\" }: the module's name for a provider = the caller's";
        let Some(entries) = self.cx.table(e, Some(example)) else {
            return out;
        };
        for p in entries {
            if let Some(target) = self.provider_ref(p) {
                let child = &p.key;
                let valid = child == "aws" || child.starts_with("aws.");
                if !valid {
                    self.cx.err(
                        Diagnostic::at(format!("`{child}` is not a provider name"), p.key_span)
                            .hint(
                            "the key is the name the module's blocks use: `aws` or `\"aws.ALIAS\"`",
                        ),
                    );
                    continue;
                }
                out.insert(child.clone(), (target, p.node.span()));
            }
        }
        out
    }

    fn output(&mut self, o: &Entry) -> Option<OutputBlock> {
        let mut value = None;
        let mut description = None;
        let mut sensitive = false;
        let entries = o.node.entries().unwrap_or(&[]);
        for e in entries {
            match e.key.as_str() {
                "value" => value = self.expr(&e.node, Allow::everything(None)),
                "description" => description = e.node.as_str().map(str::to_string),
                "sensitive" => sensitive = bool_of(self.cx, e).unwrap_or(false),
                _ => self.unknown_key(e, format!("output `{}`", o.key), OUTPUT_KEYS),
            }
        }
        if !entries.iter().any(|e| e.key == "value") {
            self.cx.err(Diagnostic::at(
                format!("output `{}` has no `value`", o.key),
                o.node.span(),
            ));
        }
        Some(OutputBlock {
            name: o.key.clone(),
            value: value?,
            description,
            sensitive,
            span: o.node.span(),
        })
    }
}
