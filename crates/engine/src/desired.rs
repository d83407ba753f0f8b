//! A resource instance's desired attributes: its block evaluated in the
//! instance's scope, defaults filled in, sensitive attributes marked, and
//! `lifecycle.ignore_changes` applied against the live object.

use std::collections::BTreeSet;

use cairn_core::value::PathStep;
use cairn_core::{Object, Presence, Resource, Schema, Value};
use cairn_lang::{Diagnostic, IgnoreChanges, ResourceBlock, Scope};

use crate::diff::{diff, AttrDiff};

/// The desired attributes of a resource: configured values evaluated,
/// defaults filled in, schema-sensitive attributes marked. Values that are
/// known now are checked again (a CIDR that came from another resource).
pub struct Desired {
    pub attrs: Object,
    pub configured: BTreeSet<String>,
}

pub fn evaluate(
    block: &ResourceBlock,
    schema: &Schema,
    scope: &dyn Scope,
) -> Result<Desired, Vec<Diagnostic>> {
    let mut attrs = Object::new();
    let mut configured = BTreeSet::new();
    let mut errors = Vec::new();
    for (name, expr) in &block.attributes {
        let span = block
            .attribute_spans
            .get(name)
            .copied()
            .unwrap_or(expr.span);
        match expr.eval(scope) {
            Ok(v) => {
                if let Some(attr) = schema.get(name) {
                    if let Err(m) = attr.ty.check(&v) {
                        errors.push(Diagnostic::at(m.message(name), span).hint(
                            "the referenced value does not have the type this attribute needs",
                        ));
                    }
                    for check in &attr.checks {
                        if let Err(m) = check.run(&v) {
                            errors.push(Diagnostic::at(
                                format!("invalid value for `{name}`: {m}"),
                                span,
                            ));
                        }
                    }
                }
                if !v.is_null() {
                    configured.insert(name.clone());
                }
                attrs.insert(name.clone(), v);
            }
            Err(e) => errors.push(Diagnostic::at(e.message, e.span)),
        }
    }
    for (name, attr) in &schema.attributes {
        if let Some(v) = attrs.get_mut(*name).filter(|v| !v.is_null()) {
            attr.prepare(v);
            continue;
        }
        if let Some(d) = &attr.default {
            attrs.insert(name.to_string(), d.clone());
        } else if attr.presence == Presence::Optional || attr.presence == Presence::Required {
            attrs.insert(name.to_string(), Value::Null);
        }
    }
    mark_sensitive(schema, &mut attrs);
    if errors.is_empty() {
        Ok(Desired { attrs, configured })
    } else {
        Err(errors)
    }
}

/// Marks the attributes the schema declares sensitive.
pub fn mark_sensitive(schema: &Schema, attrs: &mut Object) {
    for (name, attr) in &schema.attributes {
        if attr.sensitive {
            if let Some(v) = attrs.get_mut(*name) {
                if !v.is_null() {
                    *v = Value::sensitive(std::mem::take(v));
                }
            }
        }
    }
}

/// What differs between the desired and the live object, with the
/// replacements the resource type adds for this configuration
/// (`Resource::replaces_on`). Plan and apply both decide through this.
pub fn changes(resource: &dyn Resource, desired: &Desired, live: &Object) -> AttrDiff {
    let mut d = diff(
        resource.schema(),
        &desired.attrs,
        &|n| desired.configured.contains(n),
        live,
    );
    for extra in resource.replaces_on(&desired.attrs, &d.changed) {
        if !d.force_new.contains(&extra) {
            d.force_new.push(extra);
        }
    }
    d
}

/// The planned object of an in-place update and the attributes it changes:
/// the live object with the in-place changes taken from `desired`. A
/// force-new attribute is never among them: it is a replacement, and
/// `Resource::update` must never see it.
pub fn planned_update(
    schema: &Schema,
    live: &Object,
    desired: &Object,
    d: &AttrDiff,
) -> (Object, Vec<String>) {
    let changed: Vec<String> = d
        .changed
        .iter()
        .filter(|c| !d.force_new.contains(c))
        .cloned()
        .collect();
    let mut after = live.clone();
    for name in &changed {
        after.insert(name.clone(), desired.get(name).cloned().unwrap_or_default());
    }
    // tags_all is tags over default_tags: it changes with tags.
    if changed.iter().any(|c| c == "tags") && schema.get("tags_all").is_some() {
        after.insert("tags_all".into(), Value::Unknown);
    }
    (after, changed)
}

/// The planned object after a create or replace: desired values, and
/// everything computed (or left to the provider) unknown until apply.
pub fn planned_new(schema: &Schema, desired: &Desired) -> Object {
    let mut after = desired.attrs.clone();
    for (name, attr) in &schema.attributes {
        let unset = after.get(*name).is_none_or(Value::is_null);
        if unset
            && matches!(
                attr.presence,
                Presence::Computed | Presence::OptionalComputed
            )
        {
            after.insert(name.to_string(), Value::Unknown);
        }
    }
    after
}

/// `lifecycle.ignore_changes`: the ignored paths take the live object's
/// values, so configuration does not change them on an existing object
/// (a create still uses the configuration).
pub fn ignore_changes(
    desired: &mut Desired,
    live: &Object,
    schema: &Schema,
    ignore: &IgnoreChanges,
) {
    match ignore {
        IgnoreChanges::None => {}
        IgnoreChanges::All => {
            for (name, attr) in &schema.attributes {
                if attr.is_configurable() {
                    desired.attrs.insert(
                        name.to_string(),
                        live.get(*name).cloned().unwrap_or(Value::Null),
                    );
                }
            }
        }
        IgnoreChanges::Paths(paths) => {
            for path in paths {
                let Some((PathStep::Key(first), rest)) = path.split_first() else {
                    continue;
                };
                let live_value = live.get(first).and_then(|v| v.get_path(rest)).cloned();
                let slot = desired.attrs.entry(first.clone()).or_insert(Value::Null);
                set_path(slot, rest, live_value);
            }
        }
    }
}

/// Sets (or with `None`, removes) the value at `path` inside `v`.
fn set_path(v: &mut Value, path: &[PathStep], new: Option<Value>) {
    let Some((step, rest)) = path.split_first() else {
        *v = new.unwrap_or(Value::Null);
        return;
    };
    if let Value::Sensitive(inner) = v {
        set_path(inner, path, new);
        return;
    }
    match (v, step) {
        (Value::Map(m), PathStep::Key(k)) => {
            if rest.is_empty() {
                match new {
                    Some(n) => {
                        m.insert(k.clone(), n);
                    }
                    None => {
                        m.remove(k);
                    }
                }
            } else if let Some(child) = m.get_mut(k) {
                set_path(child, rest, new);
            }
        }
        (Value::List(l), PathStep::Index(i)) => {
            if let Some(child) = l.get_mut(*i) {
                set_path(child, rest, new);
            }
        }
        (slot @ Value::Null, PathStep::Key(k)) => {
            if let Some(n) = new {
                let mut m = Object::new();
                m.insert(k.clone(), Value::Null);
                *slot = Value::Map(m);
                set_path(slot, path, Some(n));
            }
        }
        _ => {}
    }
}
