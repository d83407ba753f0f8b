//! What the WAFv2 types share: error codes, the scope of an ARN, building
//! nested values, and the "one of these empty blocks" attributes.

use cairn_core::{Attribute, Object, ProviderError, Schema, Type, Value};

/// The scopes a web ACL lives in. CLOUDFRONT is only answered in
/// us-east-1 on AWS.
pub const SCOPES: [&str; 2] = ["REGIONAL", "CLOUDFRONT"];

/// Whether WAF says the object does not exist (`WAFNonexistentItemException`).
pub fn is_gone(e: &ProviderError) -> bool {
    e.code == "WAFNonexistentItemException" || cairn_aws::is_not_found(e)
}

/// Whether a create found an object of the same name (AWS:
/// `WAFDuplicateItemException`; moto: `WafV2DuplicateItem`).
pub fn is_duplicate(e: &ProviderError) -> bool {
    e.code == "WAFDuplicateItemException" || e.code == "WafV2DuplicateItem"
}

/// The scope of a web ACL ARN: `arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID`
/// is REGIONAL, `.../global/webacl/...` is CLOUDFRONT.
pub fn scope_of_arn(arn: &str) -> Option<&'static str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    if resource.starts_with("regional/webacl/") {
        Some("REGIONAL")
    } else if resource.starts_with("global/webacl/") {
        Some("CLOUDFRONT")
    } else {
        None
    }
}

/// A map value from pairs.
pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// An attribute holding exactly one empty block, named by its key:
/// `{ allow = {} }`. A map (of empty objects), not an object with one
/// optional attribute per choice: the plan compares an empty block like an
/// unset one, so `{ allow = {} }` and `{ block = {} }` would compare equal
/// as objects, while as maps their keys differ.
pub fn choice(description: &'static str) -> Attribute {
    Attribute::new(Type::map(Type::object(Schema::new()))).describe(description)
}

/// A choice value: `{ name = {} }`.
pub fn choice_value(name: &str) -> Value {
    map([(name, Value::Map(Object::new()))])
}

/// The chosen key of a choice value, if it has exactly one.
pub fn chosen(v: Option<&Value>) -> Option<&str> {
    let m = v?.as_map()?;
    if m.len() != 1 {
        return None;
    }
    m.keys().next().map(String::as_str)
}

/// What is wrong with a known choice value: an unknown key, or not exactly
/// one. Null and unknown values pass (presence is checked elsewhere).
pub fn choice_problem(v: &Value, allowed: &[&str]) -> Option<String> {
    let m = v.as_map()?;
    let expected = allowed
        .iter()
        .map(|a| format!("`{a} = {{}}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(bad) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Some(format!("`{bad}` is not one of {expected}"));
    }
    (m.len() != 1).then(|| format!("set exactly one of {expected}"))
}

/// Whether an attribute inside a nested object is set (unknown counts as
/// set: it will be).
pub fn is_set(o: &Object, name: &str) -> bool {
    o.get(name).is_some_and(|v| !v.is_null())
}

/// An error for a request cairn could not even build.
pub fn invalid(operation: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(operation, "InvalidRequest", e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_comes_from_the_arn() {
        assert_eq!(
            scope_of_arn("arn:aws:wafv2:eu-west-2:123456789012:regional/webacl/a/1"),
            Some("REGIONAL")
        );
        assert_eq!(
            scope_of_arn("arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/1"),
            Some("CLOUDFRONT")
        );
        assert_eq!(scope_of_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(scope_of_arn("nonsense"), None);
    }

    #[test]
    fn a_choice_needs_exactly_one_known_key() {
        let allowed = &["allow", "block"];
        assert_eq!(choice_problem(&choice_value("allow"), allowed), None);
        assert!(choice_problem(&choice_value("count"), allowed)
            .unwrap()
            .contains("`count` is not one of"));
        let both = map([
            ("allow", Value::Map(Object::new())),
            ("block", Value::Map(Object::new())),
        ]);
        assert!(choice_problem(&both, allowed)
            .unwrap()
            .contains("exactly one"));
        assert!(choice_problem(&Value::Map(Object::new()), allowed).is_some());
        assert_eq!(choice_problem(&Value::Unknown, allowed), None);
        assert_eq!(chosen(Some(&choice_value("block"))), Some("block"));
        assert_eq!(chosen(Some(&both)), None);
    }
}
