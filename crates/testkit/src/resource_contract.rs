//! The contract every resource type passes against a real endpoint (moto),
//! table-driven: each provider crate's `tests/contract.rs` lists one
//! [`Case`] per registered type and calls [`check`] for each, then
//! [`covered`] to fail on a type missing from its table. A new type is not
//! done until it is in the table.
//!
//! What each case proves, in order:
//! 1. create returns every schema attribute (no unknown left, no empty id);
//! 2. what an interrupted apply would leave is found again: listed by
//!    `owned_by_stack` under its address (the ownership tags were set in the
//!    create call), or, for types found by identity, adopted by a second
//!    create with the same configuration;
//! 3. a batched read of a missing id is `Gone` without failing the batch,
//!    mixed with the live id;
//! 4. the in-place change is made (checked by a fresh read), and every
//!    attribute in it is in place per the schema; the replacing change is
//!    force-new, so the engine never sends it to `update`;
//! 5. tags set and removed outside cairn show up in a read, and ownership
//!    tags never show in `tags` or `tags_all`;
//! 6. delete succeeds twice, and the object reads as `Gone`.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use cairn_core::provider::ReadContext;
use cairn_core::{Object, OpContext, Presence, ReadOutcome, ReadRequest, Resource, Type, Value};

/// How an object created by an apply that died before recording it is
/// found again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leftovers {
    /// `owned_by_stack` lists it by its ownership tags.
    Listed,
    /// Its identity (a name, a rule that can exist once) makes a second
    /// create with the same configuration adopt it.
    ByIdentity,
}

/// Sets tags (`set`) and removes tag keys (`unset`) on an object, through
/// the service's own SDK: a change made outside cairn.
pub type TagOutside = Box<
    dyn for<'a> Fn(
            &'a str,
            Vec<(String, String)>,
            Vec<String>,
        ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>
        + Send
        + Sync,
>;

pub struct Case {
    /// The address the object is created for (`aws_vpc.contract`).
    pub address: &'static str,
    /// The configuration to create (prerequisites' ids filled in).
    pub config: Object,
    /// One in-place change: the attributes it sets (empty for a type whose
    /// every attribute forces a replacement).
    pub update: Object,
    /// A force-new attribute: changing it replaces the object (`None` for
    /// a type whose every attribute changes in place).
    pub replace: Option<&'static str>,
    /// An id of the type's shape that names nothing.
    pub missing_id: String,
    pub leftovers: Leftovers,
    /// For types with tags: how to tag the object outside cairn.
    pub tag_outside: Option<TagOutside>,
    /// Destroying only forgets the object, which stays (the accepter side
    /// of a peering connection: the requester deletes it).
    pub delete_forgets: bool,
}

/// Runs the contract for one type; panics naming the type and the broken
/// clause. Deletes what it created.
pub async fn check(resource: &dyn Resource, case: Case, ctx: &OpContext) {
    let ty = resource.type_name();
    let schema = resource.schema();
    let read_ctx = ReadContext {
        default_tags: ctx.default_tags.clone(),
        stack: ctx.stack.clone(),
    };
    let ctx = &OpContext {
        address: case.address.parse().unwrap_or_else(|e| panic!("{ty}: {e}")),
        ..ctx.clone()
    };

    // As the engine plans a create: defaults filled in, computed unknown.
    let mut config = case.config.clone();
    for (name, attr) in &schema.attributes {
        if let Some(v) = config.get_mut(*name).filter(|v| !v.is_null()) {
            attr.prepare(v);
        } else if let Some(d) = &attr.default {
            config.insert(name.to_string(), d.clone());
        } else if matches!(
            attr.presence,
            Presence::Computed | Presence::OptionalComputed
        ) {
            config.insert(name.to_string(), Value::Unknown);
        }
    }

    // 1. Create returns every attribute.
    let created = resource
        .create(ctx, &config)
        .await
        .unwrap_or_else(|e| panic!("{ty}: create failed: {e}"));
    let id = created
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("{ty}: create returned no id"))
        .to_string();
    for name in schema.attributes.keys() {
        match created.get(*name) {
            None => panic!("{ty}: create did not return `{name}`"),
            Some(v) if !v.is_wholly_known() => panic!("{ty}: create left `{name}` unknown"),
            Some(_) => {}
        }
    }

    // 2. A leftover is found again.
    match case.leftovers {
        Leftovers::Listed => {
            let owned = resource
                .owned_by_stack(&ctx.stack)
                .await
                .unwrap_or_else(|e| panic!("{ty}: owned_by_stack failed: {e}"));
            assert!(
                owned.contains(&(case.address.to_string(), id.clone())),
                "{ty}: owned_by_stack does not list {id} under {}: {owned:?}",
                case.address
            );
        }
        Leftovers::ByIdentity => {
            let again = resource.create(ctx, &config).await.unwrap_or_else(|e| {
                panic!("{ty}: a second create (an apply retried after a crash) failed: {e}")
            });
            assert_eq!(
                again.get("id").and_then(Value::as_str),
                Some(id.as_str()),
                "{ty}: a second create made another object instead of adopting the first"
            );
        }
    }

    // 3. A missing id does not fail the batch.
    let outcomes = read(
        resource,
        &[(&id, &created), (&case.missing_id, &Object::new())],
        &read_ctx,
    )
    .await;
    assert!(
        matches!(outcomes.as_slice(), [Some(_), None]),
        "{ty}: reading [{id}, {}] gave {outcomes:?}",
        case.missing_id
    );

    // 4. The in-place change is made; the replacing one is force-new.
    let mut changed: Vec<String> = case.update.keys().cloned().collect();
    changed.sort();
    for name in &changed {
        let attr = schema
            .get(name)
            .unwrap_or_else(|| panic!("{ty}: the update sets `{name}`, which the schema lacks"));
        assert!(
            attr.is_configurable() && !attr.force_new,
            "{ty}: the fixture's in-place change sets `{name}`, which is not updatable in place"
        );
    }
    let mut planned = created.clone();
    for (name, v) in &case.update {
        let mut v = v.clone();
        if let Some(attr) = schema.get(name) {
            attr.prepare(&mut v);
        }
        planned.insert(name.clone(), v);
    }
    let updated = if changed.is_empty() {
        created.clone()
    } else {
        resource
            .update(ctx, &id, &created, &planned, &changed)
            .await
            .unwrap_or_else(|e| panic!("{ty}: update of {changed:?} failed: {e}"))
    };
    // Some updates give the object a new id (a route table association
    // moved to another table).
    let id = updated
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(&id)
        .to_string();
    let fresh = read_one(resource, &id, &updated, &read_ctx)
        .await
        .unwrap_or_else(|| panic!("{ty}: gone after the update"));
    for name in &changed {
        let ty_of = &schema.get(name).map(|a| a.ty.clone()).unwrap_or(Type::Any);
        let null = Value::Null;
        let (want, got) = (
            planned.get(name).unwrap_or(&null),
            fresh.get(name).unwrap_or(&null),
        );
        assert!(
            same(ty_of, want, got),
            "{ty}: the update did not change `{name}`: wanted {want:?}, a fresh read has {got:?}"
        );
    }
    if let Some(attr) = case.replace {
        let replaced = schema.get(attr).is_some_and(|a| a.force_new)
            || resource
                .replaces_on(&planned, &[attr.to_string()])
                .iter()
                .any(|r| r == attr);
        assert!(replaced, "{ty}: `{attr}` is not force-new");
    }

    // 5. Tags changed outside cairn are drift; ownership tags never show.
    if let Some(tag_outside) = &case.tag_outside {
        let own: Vec<String> = cairn_core::tags::from_value(fresh.get("tags"))
            .into_keys()
            .collect();
        tag_outside(&id, vec![("Outside".into(), "yes".into())], own.clone()).await;
        let drifted = read_one(resource, &id, &fresh, &read_ctx)
            .await
            .unwrap_or_else(|| panic!("{ty}: gone after tagging"));
        let tags = cairn_core::tags::from_value(drifted.get("tags"));
        assert_eq!(
            tags.get("Outside").map(String::as_str),
            Some("yes"),
            "{ty}: a tag added outside cairn is not read: {tags:?}"
        );
        for key in &own {
            assert!(
                !tags.contains_key(key),
                "{ty}: tag `{key}` removed outside cairn is still read"
            );
        }
        for attr in ["tags", "tags_all"] {
            let keys = cairn_core::tags::from_value(drifted.get(attr));
            assert!(
                !keys.keys().any(|k| k.starts_with("cairn:")),
                "{ty}: ownership tags show in `{attr}`: {keys:?}"
            );
        }
    }

    // 6. Delete is idempotent.
    resource
        .delete(ctx, &id, &fresh)
        .await
        .unwrap_or_else(|e| panic!("{ty}: delete failed: {e}"));
    resource
        .delete(ctx, &id, &fresh)
        .await
        .unwrap_or_else(|e| panic!("{ty}: a second delete failed: {e}"));
    assert!(
        case.delete_forgets || read_one(resource, &id, &fresh, &read_ctx).await.is_none(),
        "{ty}: still readable after delete"
    );
}

/// Fails unless every resource type of `registered` has a case in
/// `table`; prints how many were covered.
pub fn covered<'a>(registered: impl Iterator<Item = &'a str>, table: &[&str]) {
    let registered: BTreeSet<&str> = registered.collect();
    let missing: Vec<&&str> = registered.iter().filter(|t| !table.contains(t)).collect();
    println!(
        "resource contract: {} of {} types covered",
        registered.len() - missing.len(),
        registered.len()
    );
    assert!(
        missing.is_empty(),
        "types without a contract case: {missing:?}"
    );
}

async fn read(
    resource: &dyn Resource,
    items: &[(&str, &Object)],
    ctx: &ReadContext,
) -> Vec<Option<Object>> {
    let requests: Vec<ReadRequest> = items
        .iter()
        .map(|(id, prior)| ReadRequest { id, prior })
        .collect();
    resource
        .read(&requests, ctx)
        .await
        .unwrap_or_else(|e| panic!("{}: read failed: {e}", resource.type_name()))
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

async fn read_one(
    resource: &dyn Resource,
    id: &str,
    prior: &Object,
    ctx: &ReadContext,
) -> Option<Object> {
    read(resource, &[(id, prior)], ctx).await.pop().flatten()
}

/// Equal as the plan would compare them (engine `diff::same`): sets
/// without order, objects by their schema, null like an empty value.
fn same(ty: &Type, a: &Value, b: &Value) -> bool {
    let (a, b) = (a.unmarked(), b.unmarked());
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Bool(b) => !b,
        _ => false,
    };
    if empty(a) && empty(b) {
        return true;
    }
    match (ty, a, b) {
        (Type::Set(t), Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().all(|p| y.iter().any(|q| same(t, p, q)))
        }
        (Type::Object(schema), Value::Map(x), Value::Map(y)) => x.keys().chain(y.keys()).all(|k| {
            let t = schema.get(k).map(|a| a.ty.clone()).unwrap_or(Type::Any);
            same(
                &t,
                x.get(k).unwrap_or(&Value::Null),
                y.get(k).unwrap_or(&Value::Null),
            )
        }),
        (Type::List(t), Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(t, p, q))
        }
        (Type::JsonString, Value::String(x), Value::String(y)) => {
            serde_json::from_str::<serde_json::Value>(x).ok()
                == serde_json::from_str::<serde_json::Value>(y).ok()
        }
        _ => a.same_as(b),
    }
}
