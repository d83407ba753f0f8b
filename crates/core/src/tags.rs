//! Tag merging and ownership tags. Every resource cairn creates carries
//! `cairn:stack` and `cairn:address` from the create call on, so anything it
//! made can be traced to its stack even if the process dies before state is
//! written. Ownership tags are cairn's business: they are hidden from `tags`
//! and `tags_all` so they never show up as drift.

use std::collections::BTreeMap;

use crate::value::{Object, Value};

pub const STACK_TAG: &str = "cairn:stack";
pub const ADDRESS_TAG: &str = "cairn:address";

pub type Tags = BTreeMap<String, String>;

/// Reads a `map(string)` attribute into tags, ignoring non-string entries.
pub fn from_value(v: Option<&Value>) -> Tags {
    v.and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub fn to_value(t: &Tags) -> Value {
    Value::Map(
        t.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// `(address, id)` when `tags` mark the object as `stack`'s: for listing
/// what an interrupted apply left (`Resource::owned_by_stack`).
pub fn owned_entry(stack: &str, id: &str, tags: &Tags) -> Option<(String, String)> {
    (tags.get(STACK_TAG).map(String::as_str) == Some(stack))
        .then(|| Some((tags.get(ADDRESS_TAG)?.clone(), id.to_string())))
        .flatten()
}

/// What brings `live` tags to `desired`: the tags to set (new or changed)
/// and the keys to remove. Ownership tags are never removed.
pub fn changes(desired: &Tags, live: &Tags) -> (Tags, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| live.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let unset = live
        .keys()
        .filter(|k| !desired.contains_key(*k) && !k.starts_with("cairn:"))
        .cloned()
        .collect();
    (set, unset)
}

/// Splits the tags read from AWS into `tags` (what the configuration would
/// say: default tags with unchanged values left out) and `tags_all`.
pub fn split_live(live: &Tags, default_tags: &Tags) -> (Tags, Tags) {
    let all: Tags = live
        .iter()
        .filter(|(k, _)| !k.starts_with("cairn:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let own = all
        .iter()
        .filter(|(k, v)| default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (own, all)
}

/// Sets `tags` and `tags_all` on a resource object from the live tags.
pub fn set_live(obj: &mut Object, live: &Tags, default_tags: &Tags) {
    let (own, all) = split_live(live, default_tags);
    obj.insert("tags".into(), to_value(&own));
    obj.insert("tags_all".into(), to_value(&all));
}

/// Puts back into `obj`'s `tags` what `reference` (the planned or recorded
/// object) configured with the same value as a default tag. The live read
/// cannot tell such a tag from the default one and leaves it out of `tags`
/// (`split_live`), which would show as a change on every plan.
pub fn keep_configured(obj: &mut Object, reference: &Object) {
    let configured = from_value(reference.get("tags"));
    let all = from_value(obj.get("tags_all"));
    let Some(Value::Map(own)) = obj.get_mut("tags") else {
        return;
    };
    for (k, v) in configured {
        if all.get(&k) == Some(&v) && !own.contains_key(&k) {
            own.insert(k, Value::from(v.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_tag_equal_to_a_default_is_kept() {
        let tags = |pairs: &[(&str, &str)]| {
            to_value(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let mut live = Object::new();
        live.insert("tags".into(), tags(&[("Name", "x")]));
        live.insert(
            "tags_all".into(),
            tags(&[("Name", "x"), ("Env", "prod"), ("Team", "a")]),
        );
        let mut planned = Object::new();
        planned.insert(
            "tags".into(),
            tags(&[("Name", "x"), ("Env", "prod"), ("Team", "b")]),
        );
        keep_configured(&mut live, &planned);
        // Env is configured and live with that value; Team differs live, so
        // it stays out and the plan shows the change.
        assert_eq!(
            from_value(live.get("tags")),
            from_value(Some(&tags(&[("Env", "prod"), ("Name", "x")])))
        );
    }

    #[test]
    fn ownership_and_unchanged_defaults_are_not_own_tags() {
        let live: Tags = [
            ("cairn:stack", "s/e"),
            ("Env", "prod"),
            ("Name", "x"),
            ("Team", "a"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let defaults: Tags = [
            ("Env".to_string(), "prod".to_string()),
            ("Team".to_string(), "b".to_string()),
        ]
        .into();
        let (own, all) = split_live(&live, &defaults);
        assert_eq!(own.keys().collect::<Vec<_>>(), ["Name", "Team"]);
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn changes_set_what_differs_and_never_remove_ownership_tags() {
        let t = |pairs: &[(&str, &str)]| -> Tags {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let live = t(&[("Name", "a"), ("Old", "x"), (STACK_TAG, "s"), ("Same", "1")]);
        let desired = t(&[("Name", "b"), ("Same", "1"), ("New", "y")]);
        let (set, unset) = changes(&desired, &live);
        assert_eq!(set, t(&[("Name", "b"), ("New", "y")]));
        assert_eq!(unset, ["Old"]);
    }
}
