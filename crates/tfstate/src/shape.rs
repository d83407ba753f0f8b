//! Terraform's values in the shape of cairn's schema: Terraform keeps a
//! nested block that appears at most once as a list of one object, cairn as
//! the object; attributes cairn does not have (Terraform's `timeouts`,
//! attributes of newer provider versions) are left out.

use cairn_core::{Schema, Type};
use serde_json::{Map, Value};

pub(crate) fn to_schema(schema: &Schema, attrs: &Map<String, Value>) -> Map<String, Value> {
    schema
        .attributes
        .iter()
        .filter_map(|(name, attr)| {
            let v = attrs.get(*name)?;
            Some((name.to_string(), reshape(&attr.ty, v)))
        })
        .collect()
}

fn reshape(ty: &Type, v: &Value) -> Value {
    match (ty, v) {
        (Type::Object(_), Value::Array(items)) => match items.as_slice() {
            [] => Value::Null,
            [one] => reshape(ty, one),
            _ => v.clone(),
        },
        (Type::Object(schema), Value::Object(m)) => Value::Object(to_schema(schema, m)),
        (Type::List(t) | Type::Set(t), Value::Array(items)) => {
            Value::Array(items.iter().map(|i| reshape(t, i)).collect())
        }
        _ => v.clone(),
    }
}
