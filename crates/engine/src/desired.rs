//! Values of resources as the engine knows them at one moment, and the
//! evaluation of a resource block against them.

use std::collections::{BTreeSet, HashMap};

use cairn_core::{Address, Object, Presence, Schema, Value};
use cairn_lang::{Diagnostic, ResourceBlock, Scope};

/// The known (or partly unknown) attributes of each resource, by
/// configuration address.
#[derive(Default)]
pub struct Objects {
    objects: HashMap<Address, Value>,
}

impl Objects {
    pub fn set(&mut self, a: Address, attrs: &Object) {
        self.objects.insert(a, Value::Map(attrs.clone()));
    }
    pub fn remove(&mut self, a: &Address) {
        self.objects.remove(a);
    }
}

impl Scope for Objects {
    fn object(&self, address: &Address) -> Option<Value> {
        self.objects.get(address).cloned()
    }
}

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
                        errors.push(
                            Diagnostic::at(
                                format!(
                                    "wrong type for `{name}{}`: expected {}, found {}",
                                    m.path, m.expected, m.found
                                ),
                                span,
                            )
                            .hint(
                                "the referenced value does not have the type this attribute needs",
                            ),
                        );
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
        if attrs.get(*name).is_some_and(|v| !v.is_null()) {
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
