//! The final snapshot of a deleted instance or cluster. Terraform finds
//! out only when the destroy runs that `skip_final_snapshot = false`
//! needs a `final_snapshot_identifier`; cairn says so at validate and
//! plan, before anything depends on the destroy working.

use cairn_core::{Attribute, Attrs, Object, ValidationIssue, Value};

use crate::names;

pub fn skip_attribute() -> Attribute {
    Attribute::bool().default(false).describe(
        "Delete without a final snapshot. When false (the default), `final_snapshot_identifier` is required (checked offline).",
    )
}

pub fn identifier_attribute() -> Attribute {
    Attribute::string().describe(
        "The name of the snapshot taken when the object is deleted (unless `skip_final_snapshot`).",
    )
}

pub fn validate(config: &Object) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    // An unknown value may turn out either way: only known values count.
    let skip = match config.get("skip_final_snapshot") {
        None => Some(false),
        Some(v) if v.is_null() => Some(false),
        Some(v) => v.as_bool(),
    };
    let identifier = config.get("final_snapshot_identifier");
    let missing = identifier.is_none_or(Value::is_null);
    if skip == Some(false) && missing {
        issues.push(ValidationIssue {
            attribute: "skip_final_snapshot".into(),
            message: "a final snapshot is taken on delete (skip_final_snapshot = false) but \
                      `final_snapshot_identifier` is not set: AWS would refuse the destroy; \
                      set final_snapshot_identifier, or skip_final_snapshot = true"
                .into(),
        });
    }
    if let Some(id) = config.str("final_snapshot_identifier") {
        if let Some(m) = names::problem(id, 255, false) {
            issues.push(ValidationIssue {
                attribute: "final_snapshot_identifier".into(),
                message: m,
            });
        }
    }
    issues
}

/// What a delete passes: whether to skip the final snapshot, and its
/// name. Recorded values decide (the configuration is gone by the time a
/// destroy runs); a state without them (an import) skips nothing, and AWS
/// refuses a delete with no snapshot name, which loses nothing.
pub fn on_delete(prior: &Object) -> (bool, Option<String>) {
    let skip = prior.bool("skip_final_snapshot") == Some(true);
    let name = (!skip)
        .then(|| prior.str("final_snapshot_identifier").map(str::to_string))
        .flatten();
    (skip, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_final_snapshot_without_a_name_is_refused_offline() {
        assert_eq!(validate(&Object::new()).len(), 1);
        assert_eq!(
            validate(&obj(&[("skip_final_snapshot", false.into())]))[0].attribute,
            "skip_final_snapshot"
        );
        assert!(validate(&obj(&[("skip_final_snapshot", true.into())])).is_empty());
        assert!(validate(&obj(&[("final_snapshot_identifier", "hub-final".into())])).is_empty());
        // Known later: not refused now.
        assert!(validate(&obj(&[("final_snapshot_identifier", Value::Unknown)])).is_empty());
        assert!(validate(&obj(&[("skip_final_snapshot", Value::Unknown)])).is_empty());
        assert_eq!(
            validate(&obj(&[
                ("skip_final_snapshot", false.into()),
                ("final_snapshot_identifier", "bad--name".into())
            ]))[0]
                .attribute,
            "final_snapshot_identifier"
        );
    }

    #[test]
    fn the_delete_follows_the_recorded_choice() {
        assert_eq!(
            on_delete(&obj(&[("skip_final_snapshot", true.into())])),
            (true, None)
        );
        assert_eq!(
            on_delete(&obj(&[
                ("skip_final_snapshot", false.into()),
                ("final_snapshot_identifier", "x-final".into())
            ])),
            (false, Some("x-final".into()))
        );
    }
}
