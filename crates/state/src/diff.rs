//! What changed between two state documents, resource by resource and
//! attribute by attribute: for `state diff` and the counts of `state history`.

use cairn_core::value::{path_to_string, Object, Path, PathStep, Value};

use crate::document::{ResourceState, StateDocument};

#[derive(Debug, Default)]
pub struct StateDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ResourceDiff>,
}

#[derive(Debug)]
pub struct ResourceDiff {
    pub address: String,
    pub changes: Vec<AttributeChange>,
}

/// One leaf that differs; values keep their sensitive marks, so whoever
/// prints them masks them.
#[derive(Debug)]
pub struct AttributeChange {
    /// `tags.Env`, `ingress`, `id`.
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl StateDiff {
    pub fn between(old: &StateDocument, new: &StateDocument) -> StateDiff {
        let mut d = StateDiff::default();
        for (addr, rs) in &new.resources {
            match old.resources.get(addr) {
                None => d.added.push(addr.clone()),
                Some(prev) => {
                    let changes = resource_changes(prev, rs);
                    if !changes.is_empty() {
                        d.changed.push(ResourceDiff {
                            address: addr.clone(),
                            changes,
                        });
                    }
                }
            }
        }
        d.removed = old
            .resources
            .keys()
            .filter(|a| !new.resources.contains_key(*a))
            .cloned()
            .collect();
        d
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

fn resource_changes(old: &ResourceState, new: &ResourceState) -> Vec<AttributeChange> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    flatten(&mut Vec::new(), &envelope(old), &mut before);
    flatten(&mut Vec::new(), &envelope(new), &mut after);
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    // Both lists are sorted by path (maps iterate in key order).
    while i < before.len() || j < after.len() {
        let order = match (before.get(i), after.get(j)) {
            (Some(b), Some(a)) => b.0.cmp(&a.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                let (p, v) = before[i].clone();
                changes.push(change(&p, Some(v), None));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let (p, v) = after[j].clone();
                changes.push(change(&p, None, Some(v)));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                let (p, b) = before[i].clone();
                let a = after[j].1.clone();
                if !b.same_as(&a) {
                    changes.push(change(&p, Some(b), Some(a)));
                }
                i += 1;
                j += 1;
            }
        }
    }
    changes
}

/// The attributes plus what the record says besides them, so a new id or
/// a taint shows up as a change.
fn envelope(rs: &ResourceState) -> Value {
    let mut m: Object = rs.attributes();
    m.entry("id".into())
        .or_insert_with(|| rs.id.as_str().into());
    if rs.status != crate::ResourceStatus::Ready {
        m.insert(
            "(status)".into(),
            format!("{:?}", rs.status).to_lowercase().into(),
        );
    }
    Value::Map(m)
}

/// Maps are walked to their leaves; lists and scalars are leaves (a list's
/// order matters and its items rarely have names).
fn flatten(path: &mut Path, v: &Value, out: &mut Vec<(Path, Value)>) {
    match v {
        Value::Map(m) if !m.is_empty() => {
            for (k, item) in m {
                path.push(PathStep::Key(k.clone()));
                flatten(path, item, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), v.clone())),
    }
}

fn change(path: &[PathStep], before: Option<Value>, after: Option<Value>) -> AttributeChange {
    AttributeChange {
        path: path_to_string(path),
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(resources: &[(&str, &str, Object)]) -> StateDocument {
        let mut d = StateDocument::new("s", None);
        for (addr, id, attrs) in resources {
            d.resources.insert(
                addr.to_string(),
                ResourceState::new("aws_vpc", "aws", id, attrs, vec![]),
            );
        }
        d
    }

    fn attrs(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn names_added_removed_and_changed_leaves() {
        let tags = |env: &str| Value::Map(attrs(&[("Env", env.into()), ("Team", "p".into())]));
        let old = doc(&[
            (
                "aws_vpc.a",
                "vpc-1",
                attrs(&[("tags", tags("stg")), ("x", Value::Number(1.0))]),
            ),
            ("aws_vpc.gone", "vpc-2", attrs(&[])),
        ]);
        let new = doc(&[
            (
                "aws_vpc.a",
                "vpc-1",
                attrs(&[("tags", tags("prod")), ("y", "new".into())]),
            ),
            ("aws_vpc.new", "vpc-3", attrs(&[])),
        ]);
        let d = StateDiff::between(&old, &new);
        assert_eq!(d.added, ["aws_vpc.new"]);
        assert_eq!(d.removed, ["aws_vpc.gone"]);
        let paths: Vec<_> = d.changed[0]
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.before.is_some(), c.after.is_some()))
            .collect();
        assert_eq!(
            paths,
            [
                ("tags.Env", true, true),
                ("x", true, false),
                ("y", false, true)
            ]
        );
    }

    #[test]
    fn sensitive_values_keep_their_marks_and_equal_documents_have_no_diff() {
        let old = doc(&[(
            "aws_vpc.a",
            "vpc-1",
            attrs(&[("p", Value::sensitive("a".into()))]),
        )]);
        let new = doc(&[(
            "aws_vpc.a",
            "vpc-1",
            attrs(&[("p", Value::sensitive("b".into()))]),
        )]);
        let d = StateDiff::between(&old, &new);
        assert!(d.changed[0].changes[0]
            .after
            .as_ref()
            .unwrap()
            .is_sensitive());
        assert!(StateDiff::between(&new, &new).is_empty());
    }
}
