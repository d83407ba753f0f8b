//! What the WAFv2 tests share: configuration builders, an ACL made
//! outside cairn, and the plan's comparison.

#![allow(dead_code)]

use aws_sdk_wafv2::types::{AllowAction, DefaultAction, Scope, VisibilityConfig};
use cairn_core::{Object, Presence, Schema, Type, Value};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-2";

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// `{ name = {} }`: one empty block of a choice.
pub fn choice(name: &str) -> Value {
    map(&[(name, Value::Map(Object::new()))])
}

pub fn visibility(metric: &str) -> Value {
    map(&[
        ("cloudwatch_metrics_enabled", true.into()),
        ("metric_name", metric.into()),
        ("sampled_requests_enabled", true.into()),
    ])
}

/// A rule running an AWS managed rule group with its own actions.
pub fn managed_rule(group: &str, priority: i64, metric: &str) -> Value {
    map(&[
        ("name", group.into()),
        ("priority", priority.into()),
        ("override_action", choice("none")),
        (
            "statement",
            map(&[(
                "managed_rule_group_statement",
                map(&[("name", group.into()), ("vendor_name", "AWS".into())]),
            )]),
        ),
        ("visibility_config", visibility(metric)),
    ])
}

/// A rate-based rule that blocks.
pub fn rate_rule(name: &str, priority: i64, limit: i64) -> Value {
    map(&[
        ("name", name.into()),
        ("priority", priority.into()),
        ("action", choice("block")),
        (
            "statement",
            map(&[("rate_based_statement", map(&[("limit", limit.into())]))]),
        ),
        ("visibility_config", visibility(name)),
    ])
}

pub fn regional_acl_arn(name: &str, id: &str) -> String {
    format!("arn:aws:wafv2:{REGION}:{ACCOUNT}:regional/webacl/{name}/{id}")
}

pub fn log_group_arn(name: &str) -> String {
    format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}")
}

/// An ALB's ARN: moto's WAFv2 associates any ARN, so no load balancer is
/// made.
pub fn alb_arn(name: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{name}/50dc6c495c0c9188"
    )
}

/// A REGIONAL web ACL made outside cairn: (id, arn).
pub async fn sdk_acl(waf: &aws_sdk_wafv2::Client, name: &str) -> (String, String) {
    let out = waf
        .create_web_acl()
        .name(name)
        .scope(Scope::Regional)
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            VisibilityConfig::builder()
                .cloud_watch_metrics_enabled(false)
                .metric_name(name)
                .sampled_requests_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let s = out.summary().unwrap();
    (s.id().unwrap().to_string(), s.arn().unwrap().to_string())
}

/// The configuration as the engine plans a create: defaults filled in,
/// computed attributes unknown.
pub fn planned(schema: &Schema, config: &Object) -> Object {
    let mut out = config.clone();
    for (name, attr) in &schema.attributes {
        if out.get(*name).is_none_or(Value::is_null) {
            if let Some(d) = &attr.default {
                out.insert(name.to_string(), d.clone());
            } else if matches!(
                attr.presence,
                Presence::Computed | Presence::OptionalComputed
            ) {
                out.insert(name.to_string(), Value::Unknown);
            }
        }
    }
    out
}

/// The configurable attributes whose configured and live values the plan
/// would see as different (a copy of `cairn_engine::diff::same`, private
/// to the engine): empty for a clean re-plan.
pub fn plan_diff(schema: &Schema, config: &Object, live: &Object) -> Vec<String> {
    let null = Value::Null;
    schema
        .attributes
        .iter()
        .filter(|(_, a)| a.is_configurable())
        .filter(|(n, a)| !(a.presence == Presence::OptionalComputed && config.get(**n).is_none()))
        .filter(|(n, a)| {
            !same(
                &a.ty,
                config.get(**n).unwrap_or(&null),
                live.get(**n).unwrap_or(&null),
            )
        })
        .map(|(n, _)| n.to_string())
        .collect()
}

pub fn same(ty: &Type, a: &Value, b: &Value) -> bool {
    let (a, b) = (a.unmarked(), b.unmarked());
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
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
            let mut used = vec![false; y.len()];
            x.len() == y.len()
                && x.iter().all(
                    |p| match (0..y.len()).find(|i| !used[*i] && same(t, p, &y[*i])) {
                        Some(i) => {
                            used[i] = true;
                            true
                        }
                        None => false,
                    },
                )
        }
        (Type::List(t), Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(t, p, q))
        }
        (Type::Map(t), Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same(t, v, w)))
        }
        (Type::Object(schema), Value::Map(x), Value::Map(y)) => x.keys().chain(y.keys()).all(|k| {
            let t = schema.get(k).map(|a| a.ty.clone()).unwrap_or(Type::Any);
            same(
                &t,
                x.get(k).unwrap_or(&Value::Null),
                y.get(k).unwrap_or(&Value::Null),
            )
        }),
        _ => a.same_as(b),
    }
}
