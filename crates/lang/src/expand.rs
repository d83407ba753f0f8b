//! What `count` and `for_each` values mean: the instance keys of a block
//! and, for `for_each`, each instance's `each.value`.

use cairn_core::value::format_number;
use cairn_core::{InstanceKey, Value};

use crate::model::Repetition;

/// The instances of a repeated block: `Ok(None)` while the keys depend on
/// values known only after apply. A `for_each` map's values may be
/// unknown; its keys may not.
pub fn keys(r: &Repetition, v: &Value) -> Result<Option<Vec<(InstanceKey, Value)>>, String> {
    if v.is_sensitive() {
        return Err(format!(
            "`{}` cannot be sensitive: its keys become the instances' addresses, which plans and state show",
            r.keyword()
        ));
    }
    match (r, v) {
        (_, Value::Unknown) => Ok(None),
        (Repetition::Count(_), Value::Number(n)) => {
            if n.fract() != 0.0 || *n < 0.0 {
                return Err(format!(
                    "`count` must be a whole number of zero or more, found {}",
                    format_number(*n)
                ));
            }
            if *n > 10_000.0 {
                return Err(format!(
                    "`count` of {} is more than the 10000 instances a block may have",
                    format_number(*n)
                ));
            }
            Ok(Some(
                (0..*n as u64)
                    .map(|i| (InstanceKey::Int(i), Value::Null))
                    .collect(),
            ))
        }
        (Repetition::Count(_), Value::String(s)) => match s.parse::<f64>() {
            Ok(n) => keys(r, &Value::Number(n)),
            Err(_) => Err(format!(
                "`count` must be a number, found the string \"{s}\""
            )),
        },
        (Repetition::Count(_), Value::Null) => Err("`count` must be a number, found null".into()),
        (Repetition::Count(_), other) => Err(format!(
            "`count` must be a number, found a {}",
            other.kind()
        )),
        (Repetition::ForEach(_), Value::Map(m)) => Ok(Some(
            m.iter()
                .map(|(k, v)| (InstanceKey::Str(k.clone()), v.clone()))
                .collect(),
        )),
        (Repetition::ForEach(_), Value::List(items)) => {
            let mut out: Vec<(InstanceKey, Value)> = Vec::with_capacity(items.len());
            for item in items {
                if item.is_sensitive() {
                    return Err(
                        "`for_each` cannot hold sensitive values: they would become instance keys"
                            .into(),
                    );
                }
                match item {
                    Value::Unknown => return Ok(None),
                    Value::String(s) => {
                        let key = InstanceKey::Str(s.clone());
                        if out.iter().any(|(k, _)| *k == key) {
                            return Err(format!(
                                "`for_each` lists \"{s}\" twice; a set of strings needs distinct values (use toset() or distinct())"
                            ));
                        }
                        out.push((key, item.clone()));
                    }
                    other => {
                        return Err(format!(
                            "`for_each` over a list needs strings (a set of keys), found a {}; use a map to give each instance a value",
                            other.kind()
                        ))
                    }
                }
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(Some(out))
        }
        (Repetition::ForEach(_), Value::Null) => {
            Err("`for_each` must be a map or a set of strings, found null".into())
        }
        (Repetition::ForEach(_), other) => Err(format!(
            "`for_each` must be a map or a set of strings, found a {}",
            other.kind()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    fn count() -> Repetition {
        Repetition::Count(Expr::literal(Value::Null, Default::default()))
    }
    fn for_each() -> Repetition {
        Repetition::ForEach(Expr::literal(Value::Null, Default::default()))
    }

    #[test]
    fn count_gives_numbered_instances() {
        let k = keys(&count(), &Value::Number(2.0)).unwrap().unwrap();
        assert_eq!(
            k.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>(),
            ["[0]", "[1]"]
        );
        assert!(keys(&count(), &Value::Number(1.5)).is_err());
        assert!(keys(&count(), &Value::Number(-1.0)).is_err());
        assert!(keys(&count(), &Value::Unknown).unwrap().is_none());
        assert!(keys(&count(), &Value::sensitive(Value::Number(1.0))).is_err());
    }

    #[test]
    fn for_each_takes_maps_and_sets_of_strings() {
        let m = Value::Map(
            [
                ("b".to_string(), Value::Unknown),
                ("a".to_string(), Value::Number(1.0)),
            ]
            .into(),
        );
        let k = keys(&for_each(), &m).unwrap().unwrap();
        assert_eq!(k[0].0, InstanceKey::Str("a".into()));
        assert!(k[1].1.is_unknown(), "values may be unknown, keys may not");
        let set = Value::from(vec!["z".to_string(), "y".to_string()]);
        let k = keys(&for_each(), &set).unwrap().unwrap();
        assert_eq!(k[0].0, InstanceKey::Str("y".into()));
        let dup = Value::from(vec!["z".to_string(), "z".to_string()]);
        assert!(keys(&for_each(), &dup).unwrap_err().contains("twice"));
        assert!(keys(&for_each(), &Value::List(vec![Value::Number(1.0)])).is_err());
        assert!(keys(&for_each(), &Value::List(vec![Value::Unknown]))
            .unwrap()
            .is_none());
        assert!(keys(&for_each(), &Value::String("x".into())).is_err());
    }
}
