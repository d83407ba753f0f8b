//! Attribute comparison for planning, by schema type:
//!
//! * null and a type's empty value (`""`, `[]`, `{}`, `false`) are the same:
//!   an unset optional attribute and AWS's empty answer are not a change;
//! * sets compare without regard to order;
//! * JSON documents (policies) compare parsed, with one-element arrays and
//!   scalars treated alike and string arrays unordered, as IAM reads them;
//! * unknown values equal nothing: they are a change until proven otherwise.

use cairn_core::{Object, Presence, Schema, Type, Value};

pub fn same(ty: &Type, a: &Value, b: &Value) -> bool {
    let (a, b) = (a.unmarked(), b.unmarked());
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    if is_empty(a) && is_empty(b) {
        return true;
    }
    match (ty, a, b) {
        (Type::Set(t), Value::List(x), Value::List(y)) => same_set(t, x, y),
        (Type::List(t), Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(t, p, q))
        }
        (Type::Map(t), Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(t, v, w)))
        }
        (Type::Object(schema), Value::Map(x), Value::Map(y)) => same_object(schema, x, y),
        (Type::JsonString, Value::String(x), Value::String(y)) => same_json(x, y),
        _ => a.same_as(b),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Bool(b) => !b,
        _ => false,
    }
}

fn same_set(t: &Type, x: &[Value], y: &[Value]) -> bool {
    if x.len() != y.len() {
        return false;
    }
    let mut used = vec![false; y.len()];
    x.iter().all(|p| {
        match y
            .iter()
            .enumerate()
            .position(|(i, q)| !used[i] && same(t, p, q))
        {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn same_object(schema: &Schema, x: &Object, y: &Object) -> bool {
    let null = Value::Null;
    x.keys().chain(y.keys()).all(|k| {
        let ty = schema.get(k).map(|a| &a.ty).unwrap_or(&Type::Any);
        same(ty, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null))
    })
}

fn same_json(x: &str, y: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(x),
        serde_json::from_str::<serde_json::Value>(y),
    ) {
        (Ok(a), Ok(b)) => normalize_json(a) == normalize_json(b),
        _ => x == y,
    }
}

fn normalize_json(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Array(items) => {
            let mut items: Vec<J> = items.into_iter().map(normalize_json).collect();
            if items.iter().all(|i| i.is_string()) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
            }
            if items.len() == 1 {
                items.pop().unwrap_or(J::Null)
            } else {
                J::Array(items)
            }
        }
        J::Object(m) => J::Object(m.into_iter().map(|(k, v)| (k, normalize_json(v))).collect()),
        other => other,
    }
}

/// What differs between the desired and the live attributes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AttrDiff {
    /// Changed attributes, sorted.
    pub changed: Vec<String>,
    /// The changed attributes that force a replacement.
    pub force_new: Vec<String>,
}

impl AttrDiff {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }
}

/// Compares every configurable attribute. An optional+computed attribute the
/// configuration leaves unset keeps its live value, so it is never a change.
pub fn diff(
    schema: &Schema,
    desired: &Object,
    configured: &dyn Fn(&str) -> bool,
    live: &Object,
) -> AttrDiff {
    let null = Value::Null;
    let mut out = AttrDiff::default();
    for (name, attr) in &schema.attributes {
        if !attr.is_configurable()
            || (attr.presence == Presence::OptionalComputed && !configured(name))
        {
            continue;
        }
        let want = desired.get(*name).unwrap_or(&null);
        let have = live.get(*name).unwrap_or(&null);
        if !same(&attr.ty, want, have) {
            out.changed.push(name.to_string());
            if attr.force_new {
                out.force_new.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::Attribute;

    fn s(x: &str) -> Value {
        x.into()
    }

    #[test]
    fn empty_values_match_null_and_sets_ignore_order() {
        assert!(same(
            &Type::list(Type::String),
            &Value::Null,
            &Value::List(vec![])
        ));
        assert!(same(&Type::Bool, &Value::Null, &false.into()));
        assert!(!same(&Type::Number, &Value::Null, &0.into()));
        let a = Value::from(vec!["a", "b"]);
        let b = Value::from(vec!["b", "a"]);
        assert!(same(&Type::set(Type::String), &a, &b));
        assert!(!same(&Type::list(Type::String), &a, &b));
    }

    #[test]
    fn policies_compare_semantically() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
        let b = r#"{"Statement": {"Resource": "*", "Action": ["kms:*"], "Effect": "Allow"}, "Version": "2012-10-17"}"#;
        assert!(same(&Type::JsonString, &s(a), &s(b)));
        assert!(!same(
            &Type::JsonString,
            &s(a),
            &s(&a.replace("Allow", "Deny"))
        ));
    }

    #[test]
    fn diff_names_force_new_attributes_and_skips_unset_computed() {
        let schema = Schema::new()
            .attr("cidr_block", Attribute::string().required().force_new())
            .attr("enable_dns", Attribute::bool().default(true))
            .attr("name", Attribute::string().optional_computed())
            .attr("id", Attribute::string().computed());
        let desired: Object = [
            ("cidr_block".into(), s("10.1.0.0/16")),
            ("enable_dns".into(), false.into()),
        ]
        .into();
        let live: Object = [
            ("cidr_block".into(), s("10.0.0.0/16")),
            ("enable_dns".into(), true.into()),
            ("name".into(), s("auto")),
            ("id".into(), s("vpc-1")),
        ]
        .into();
        let d = diff(
            &schema,
            &desired,
            &|n| n == "cidr_block" || n == "enable_dns",
            &live,
        );
        assert_eq!(d.changed, ["cidr_block", "enable_dns"]);
        assert_eq!(d.force_new, ["cidr_block"]);
    }

    #[test]
    fn unknown_is_always_a_change() {
        assert!(!same(&Type::String, &Value::Unknown, &s("x")));
        assert!(!same(&Type::String, &Value::Unknown, &Value::Unknown));
    }
}
