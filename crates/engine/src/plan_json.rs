//! The machine-readable plan (`cairn plan --json`, `cairn show --json`):
//! versioned, documented in docs/plan-json.md, validated against
//! docs/plan-json.schema.json. Shaped like Terraform's `show -json` where it
//! can be, so tools reading `resource_changes[].change.actions` keep working.
//! Sensitive values never appear: they are `null` here and `true` in the
//! `*_sensitive` masks; unknown values are `null` and `true` in
//! `after_unknown`.

use cairn_core::{Object, Value};
use serde_json::{json, Map, Value as J};

use crate::plan::{Action, Drift, DriftKind, OutputChange, Plan, Reason, ResourceChange};

/// The version of this document's layout: minor for additions, major for
/// changes that can break a reader.
pub const FORMAT_VERSION: &str = "1.1";

pub fn plan_json(plan: &Plan) -> J {
    let counts = plan.counts();
    json!({
        "format_version": FORMAT_VERSION,
        "cairn_version": env!("CARGO_PKG_VERSION"),
        "stack": plan.stack,
        "env": plan.env,
        "destroy": plan.destroy,
        "refresh_only": plan.refresh_only,
        "prior_state": {
            "exists": plan.state_existed,
            "lineage": plan.state_existed.then_some(&plan.state.lineage),
            "serial": plan.state_existed.then_some(plan.state.serial),
        },
        "targets": plan.targets,
        "excludes": plan.excludes,
        "resource_changes": plan.changes.iter().map(resource_change).collect::<Vec<_>>(),
        "resource_drift": plan.drift.iter().map(drift).collect::<Vec<_>>(),
        "output_changes": plan
            .outputs
            .iter()
            .map(|o| (o.name.clone(), output_change(o)))
            .collect::<Map<_, _>>(),
        "summary": {
            "import": counts.import,
            "add": counts.add,
            "change": counts.change,
            "destroy": counts.destroy,
            "drift": plan.drift.len(),
            "has_changes": plan.has_changes(),
        },
    })
}

/// Terraform's action lists (a create-before-destroy replacement lists
/// the create first).
pub fn actions(c: &ResourceChange) -> &'static [&'static str] {
    match c.action {
        Action::NoOp => &["no-op"],
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::Replace if c.create_before_destroy => &["create", "delete"],
        Action::Replace => &["delete", "create"],
        Action::Delete => &["delete"],
        Action::Read => &["read"],
    }
}

fn resource_change(c: &ResourceChange) -> J {
    let (before, _, before_sensitive) = split_object(c.before.as_ref());
    let (after, after_unknown, after_sensitive) = split_object(c.after.as_ref());
    let replace_paths: Vec<J> = c
        .reasons
        .iter()
        .flat_map(|r| match r {
            Reason::ForceNew(attrs) => attrs.iter().map(|a| json!([a])).collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut change = json!({
        "actions": actions(c),
        "before": before,
        "after": after,
        "after_unknown": after_unknown,
        "before_sensitive": before_sensitive,
        "after_sensitive": after_sensitive,
    });
    if !replace_paths.is_empty() {
        change["replace_paths"] = J::Array(replace_paths);
    }
    if let Some(id) = &c.importing {
        change["importing"] = json!({ "id": id });
    }
    let mut out = address_fields(&c.address);
    if let Some(from) = &c.moved_from {
        out.insert("previous_address".into(), json!(from.to_string()));
    }
    if let Some(id) = &c.deposed {
        out.insert("deposed".into(), json!(id));
    }
    out.insert("provider_name".into(), json!(c.provider));
    out.insert("change".into(), change);
    if let Some(r) = action_reason(c) {
        out.insert("action_reason".into(), json!(r));
    }
    if let Some(r) = reason_text(c) {
        out.insert("reason".into(), json!(r));
    }
    J::Object(out)
}

fn address_fields(a: &cairn_core::Address) -> Map<String, J> {
    let module = a.module_path();
    let mut m = Map::new();
    m.insert("address".into(), json!(a.to_string()));
    m.insert(
        "module_address".into(),
        if module.is_empty() {
            J::Null
        } else {
            json!(module)
        },
    );
    m.insert(
        "mode".into(),
        json!(match a.mode {
            cairn_core::Mode::Managed => "managed",
            cairn_core::Mode::Data => "data",
        }),
    );
    m.insert("type".into(), json!(a.type_name));
    m.insert("name".into(), json!(a.name));
    m.insert(
        "index".into(),
        match &a.key {
            None => J::Null,
            Some(cairn_core::InstanceKey::Int(i)) => json!(i),
            Some(cairn_core::InstanceKey::Str(s)) => json!(s),
        },
    );
    m
}

/// Terraform's `action_reason` values where one applies.
fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    c.reasons.iter().find_map(|r| match r {
        Reason::Tainted => Some("replace_because_tainted"),
        Reason::ForceNew(_) => Some("replace_because_cannot_update"),
        Reason::NotInConfig => Some("delete_because_no_resource_config"),
        Reason::ReplaceTriggeredBy(_) => Some("replace_by_triggers"),
        Reason::NoInstance(_) => Some(match &c.address.key {
            Some(cairn_core::InstanceKey::Int(_)) => "delete_because_count_index",
            Some(cairn_core::InstanceKey::Str(_)) => "delete_because_each_key",
            None => "delete_because_no_module",
        }),
        Reason::Gone | Reason::Destroy | Reason::Adopt(_) | Reason::Deposed => None,
    })
}

/// Why, in words: `cidr_block forces replacement`.
pub fn reason_text(c: &ResourceChange) -> Option<String> {
    let parts: Vec<String> = c
        .reasons
        .iter()
        .map(|r| match r {
            Reason::ForceNew(attrs) => format!(
                "{} cannot be updated in place (forces replacement)",
                attrs.join(", ")
            ),
            Reason::Gone => "deleted outside cairn: it will be created again".into(),
            Reason::Tainted => "tainted: a previous apply created it but could not finish".into(),
            Reason::NotInConfig => "no longer in the configuration".into(),
            Reason::NoInstance(why) => format!("no longer configured: {why}"),
            Reason::ReplaceTriggeredBy(r) => format!("replace_triggered_by: {r} changes"),
            Reason::Deposed => "the previous object of a create-before-destroy replacement".into(),
            Reason::Destroy => "destroy requested".into(),
            Reason::Adopt(id) => format!(
                "adopt: {id} was created by an interrupted apply and carries this address's ownership tags"
            ),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn drift(d: &Drift) -> J {
    let (before, _, before_sensitive) = split_object(Some(&d.before));
    let (after, _, after_sensitive) = split_object(d.after.as_ref());
    let mut out = address_fields(&d.address);
    let (actions, changed): (&[&str], Vec<String>) = match &d.kind {
        DriftKind::Deleted => (&["delete"], Vec::new()),
        DriftKind::Changed(attrs) => (&["update"], attrs.clone()),
    };
    out.insert(
        "change".into(),
        json!({
            "actions": actions,
            "before": before,
            "after": after,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
            "changed_attributes": changed,
        }),
    );
    J::Object(out)
}

fn output_change(o: &OutputChange) -> J {
    let (before, _, before_sensitive) =
        o.before
            .as_ref()
            .map(split)
            .unwrap_or((J::Null, J::Bool(false), J::Bool(false)));
    let (after, after_unknown, after_sensitive) = split(&o.after);
    let actions: &[&str] = match (&o.before, o.is_change()) {
        (None, _) => &["create"],
        (Some(_), true) => &["update"],
        (Some(_), false) => &["no-op"],
    };
    json!({
        "actions": actions,
        "before": before,
        "after": after,
        "after_unknown": after_unknown,
        "before_sensitive": before_sensitive,
        "after_sensitive": after_sensitive,
    })
}

/// An object's JSON with unknown and sensitive values nulled, and its two
/// masks (objects, `{}` when nothing is marked; `false` for no object).
fn split_object(o: Option<&Object>) -> (J, J, J) {
    match o {
        None => (J::Null, J::Bool(false), J::Bool(false)),
        Some(o) => {
            let (v, u, s) = split(&Value::Map(o.clone()));
            let as_obj = |m: J| if m == J::Bool(false) { json!({}) } else { m };
            (v, as_obj(u), as_obj(s))
        }
    }
}

/// (value without secrets or unknowns, unknown mask, sensitive mask).
/// Masks are `true` at a marked node, objects/arrays of children masks
/// (objects keep only marked keys), `false` where nothing is marked.
pub fn split(v: &Value) -> (J, J, J) {
    match v {
        Value::Unknown => (J::Null, J::Bool(true), J::Bool(false)),
        Value::Sensitive(inner) => {
            let (_, u, _) = split(inner);
            (J::Null, u, J::Bool(true))
        }
        Value::List(items) => {
            let parts: Vec<_> = items.iter().map(split).collect();
            let any = |f: fn(&(J, J, J)) -> &J| parts.iter().any(|p| *f(p) != J::Bool(false));
            let unknown = if any(|p| &p.1) {
                J::Array(parts.iter().map(|p| p.1.clone()).collect())
            } else {
                J::Bool(false)
            };
            let sensitive = if any(|p| &p.2) {
                J::Array(parts.iter().map(|p| p.2.clone()).collect())
            } else {
                J::Bool(false)
            };
            (
                J::Array(parts.into_iter().map(|p| p.0).collect()),
                unknown,
                sensitive,
            )
        }
        Value::Map(m) => {
            let mut value = Map::new();
            let mut unknown = Map::new();
            let mut sensitive = Map::new();
            for (k, item) in m {
                let (v, u, s) = split(item);
                value.insert(k.clone(), v);
                if u != J::Bool(false) {
                    unknown.insert(k.clone(), u);
                }
                if s != J::Bool(false) {
                    sensitive.insert(k.clone(), s);
                }
            }
            let mask = |m: Map<String, J>| {
                if m.is_empty() {
                    J::Bool(false)
                } else {
                    J::Object(m)
                }
            };
            (J::Object(value), mask(unknown), mask(sensitive))
        }
        scalar => (scalar.to_json(), J::Bool(false), J::Bool(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_unknowns_become_masks() {
        let v = Value::Map(
            [
                ("id".to_string(), Value::Unknown),
                ("password".to_string(), Value::sensitive("hunter2".into())),
                ("name".to_string(), Value::from("db")),
                (
                    "list".to_string(),
                    Value::List(vec![Value::from("a"), Value::sensitive("b".into())]),
                ),
            ]
            .into(),
        );
        let (value, unknown, sensitive) = split(&v);
        assert!(!value.to_string().contains("hunter2"));
        assert_eq!(
            value,
            json!({"id": null, "password": null, "name": "db", "list": ["a", null]})
        );
        assert_eq!(unknown, json!({"id": true}));
        assert_eq!(sensitive, json!({"password": true, "list": [false, true]}));
    }
}
