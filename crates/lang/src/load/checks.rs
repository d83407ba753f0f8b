//! Checks of what is known before planning. Every expression is evaluated
//! with what `validate` knows (the root's variables, locals computed from
//! them, literals, functions; everything else unknown): errors in it,
//! attribute types and offline value checks, the resource type's own
//! cross-attribute checks, repetition values, and module inputs against
//! the called module's variable types and rules. The engine checks again
//! at plan time, when more is known.

use cairn_core::{Mode, Presence, Type, Value};

use crate::diagnostic::Diagnostic;
use crate::eval::Scope;
use crate::model::{ModuleId, Repetition, ResourceBlock, Stack};

use super::static_eval::StaticScope;
use super::Cx;

pub(crate) fn known_values(cx: &mut Cx, stack: &Stack) {
    let mut seen = std::collections::BTreeSet::new();
    for node in &stack.tree {
        if !seen.insert(node.module) {
            continue;
        }
        module(cx, stack, node.module);
    }
}

fn module(cx: &mut Cx, stack: &Stack, id: ModuleId) {
    let scope = StaticScope::of(stack, id);
    let m = &stack.modules[id];
    for local in m.locals.values() {
        if let Err(e) = local.expr.eval(&scope) {
            cx.err(Diagnostic::at(e.message, e.span));
        }
    }
    for block in &m.resources {
        if let Some(r) = &block.repetition {
            repetition(cx, r, &scope);
        }
        resource(cx, stack, block, &scope);
    }
    for call in &m.calls {
        if let Some(r) = &call.repetition {
            // A call known to have no instances has no inputs to check.
            if repetition(cx, r, &scope) == Some(0) {
                continue;
            }
        }
        let Some(child) = stack.modules.get(call.module) else {
            continue;
        };
        for (name, expr) in &call.inputs {
            let value = match expr.eval(&scope) {
                Ok(v) => v,
                Err(e) => {
                    cx.err(Diagnostic::at(e.message, e.span));
                    continue;
                }
            };
            let Some(decl) = child.variables.get(name) else {
                continue;
            };
            match decl.ty.convert(&value) {
                Err(mm) => cx.err(Diagnostic::at(
                    format!(
                        "wrong type for variable `{}` of module `{}`: {}",
                        mm.at(name),
                        call.name,
                        mm.message
                    ),
                    expr.at(&mm.steps).span,
                )),
                Ok(v) if v.is_wholly_known() => {
                    let vs = super::variables::ValidationScope {
                        name,
                        value: &v,
                        dir: &child.dir,
                        files: stack.files.clone(),
                    };
                    if let Err(d) = super::variables::check(decl, &vs, Some(expr.span), "") {
                        cx.err(d);
                    }
                }
                Ok(_) => {}
            }
        }
    }
    for o in &m.outputs {
        if let Err(e) = o.value.eval(&scope) {
            cx.err(Diagnostic::at(e.message, e.span));
        }
    }
}

/// A known `count` must be a whole number, a known `for_each` a map or a
/// set of strings. Returns how many instances, when known.
fn repetition(cx: &mut Cx, r: &Repetition, scope: &dyn Scope) -> Option<usize> {
    let e = r.expr();
    match e.eval(scope) {
        Err(err) => {
            cx.err(Diagnostic::at(err.message, err.span));
            None
        }
        Ok(v) => match crate::expand::keys(r, &v) {
            Ok(keys) => keys.map(|k| k.len()),
            Err(why) => {
                cx.err(Diagnostic::at(why, e.span));
                None
            }
        },
    }
}

fn resource(cx: &mut Cx, stack: &Stack, block: &ResourceBlock, scope: &dyn Scope) {
    let Some(schema) = cx
        .registry
        .schema(block.address.mode, &block.address.type_name)
    else {
        return;
    };
    let before = cx.diags.len();
    let mut known = cairn_core::Object::new();
    for (name, expr) in &block.attributes {
        let value = match expr.eval(scope) {
            Ok(v) => v,
            Err(e) => {
                cx.err(Diagnostic::at(e.message, e.span));
                continue;
            }
        };
        let Some(attr) = schema.get(name) else {
            continue;
        };
        if let Err(m) = attr.ty.check(&value) {
            cx.err(
                Diagnostic::at(m.message(name), expr.span)
                    .label(format!("expected {}", m.expected)),
            );
        } else {
            nested_required(cx, &attr.ty, &value, name, expr.span);
            for check in &attr.checks {
                if let Err(m) = check.run(&value) {
                    cx.err(Diagnostic::at(
                        format!("invalid value for `{name}`: {m}"),
                        expr.span,
                    ));
                }
            }
        }
        known.insert(name.clone(), value);
    }
    if cx.diags.len() != before || block.address.mode != Mode::Managed {
        return;
    }
    let _ = stack;
    let Some(resource) = cx.registry.resource(&block.address.type_name) else {
        return;
    };
    for issue in resource.validate(&known) {
        let span = block
            .attribute_spans
            .get(&issue.attribute)
            .copied()
            .unwrap_or(block.span);
        cx.err(Diagnostic::at(
            format!("invalid value for `{}`: {}", issue.attribute, issue.message),
            span,
        ));
    }
}

/// Required keys inside nested blocks (security group rules, ...).
fn nested_required(cx: &mut Cx, ty: &Type, v: &Value, name: &str, span: crate::source::Span) {
    match (ty, v.unmarked()) {
        (Type::List(t) | Type::Set(t), Value::List(items)) => {
            for (i, item) in items.iter().enumerate() {
                nested_required(cx, t, item, &format!("{name}[{i}]"), span);
            }
        }
        (Type::Object(schema), Value::Map(m)) => {
            for (k, a) in &schema.attributes {
                if a.presence == Presence::Required && !m.contains_key(*k) {
                    cx.err(
                        Diagnostic::at(
                            format!("`{name}` is missing the required attribute `{k}`"),
                            span,
                        )
                        .hint(format!("add `{k} = ...` ({})", a.ty)),
                    );
                }
            }
            for (k, item) in m {
                if let Some(a) = schema.get(k) {
                    nested_required(cx, &a.ty, item, &format!("{name}.{k}"), span);
                    for check in &a.checks {
                        if let Err(msg) = check.run(item) {
                            cx.err(Diagnostic::at(
                                format!("invalid value for `{name}.{k}`: {msg}"),
                                span,
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
