//! A schedule's definition both ways: the planned object to the SDK's
//! `Target` and `FlexibleTimeWindow` (CreateSchedule and UpdateSchedule
//! send the whole definition), and a GetSchedule answer back to attributes.

use std::collections::HashMap;

use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeadLetterConfig,
    EcsParameters, FlexibleTimeWindow, FlexibleTimeWindowMode, LaunchType, NetworkConfiguration,
    PropagateTags, RetryPolicy, Target,
};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use cairn_core::{Attrs, Object, ProviderError, Value};

fn sub<'a>(o: &'a Object, k: &str) -> Option<&'a Object> {
    o.get(k).and_then(Value::as_map)
}

fn int(o: &Object, k: &str) -> Option<i32> {
    o.i64(k).and_then(|n| i32::try_from(n).ok())
}

fn invalid(what: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        "scheduler:definition",
        "InvalidRequest",
        format!("{what}: {e}"),
    )
}

/// An RFC 3339 time, `Z` or a numeric offset (the SDK's parser takes
/// only `Z`).
fn parse_date(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let (head, offset) = match s
        .len()
        .checked_sub(6)
        .and_then(|i| s.get(i..).map(|t| (i, t)))
    {
        Some((i, tail))
            if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes()[3] == b':' =>
        {
            let sign = if tail.starts_with('-') { -1 } else { 1 };
            let hours: i64 = tail.get(1..3)?.parse().ok()?;
            let minutes: i64 = tail.get(4..6)?.parse().ok()?;
            (
                format!("{}Z", s.get(..i)?),
                sign * (hours * 3600 + minutes * 60),
            )
        }
        _ => (s.to_string(), 0),
    };
    let utc = DateTime::from_str(&head, Format::DateTime).ok()?;
    Some(DateTime::from_secs_and_nanos(
        utc.secs() - offset,
        utc.subsec_nanos(),
    ))
}

/// `start_date` / `end_date` (RFC 3339) as the SDK's time.
pub fn date(planned: &Object, k: &str) -> Result<Option<DateTime>, ProviderError> {
    planned
        .str(k)
        .map(|s| parse_date(s).ok_or_else(|| invalid(k, format!("`{s}` is not an RFC 3339 time"))))
        .transpose()
}

/// The one spelling of a date: RFC 3339 in UTC, as GetSchedule reads back.
pub fn canonical_date(s: &str) -> Option<String> {
    parse_date(s)?.fmt(Format::DateTime).ok()
}

pub fn flexible_time_window(planned: &Object) -> Result<FlexibleTimeWindow, ProviderError> {
    let w = sub(planned, "flexible_time_window");
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::from(
            w.and_then(|w| w.str("mode")).unwrap_or("OFF"),
        ))
        .set_maximum_window_in_minutes(w.and_then(|w| int(w, "maximum_window_in_minutes")))
        .build()
        .map_err(|e| invalid("flexible_time_window", e))
}

fn ecs_parameters(p: &Object) -> Result<EcsParameters, ProviderError> {
    let network = sub(p, "network_configuration")
        .map(|n| {
            AwsVpcConfiguration::builder()
                .set_subnets(Some(n.strings("subnets")))
                .set_security_groups(Some(n.strings("security_groups")).filter(|g| !g.is_empty()))
                .assign_public_ip(if n.bool("assign_public_ip").unwrap_or(false) {
                    AssignPublicIp::Enabled
                } else {
                    AssignPublicIp::Disabled
                })
                .build()
                .map(|c| {
                    NetworkConfiguration::builder()
                        .awsvpc_configuration(c)
                        .build()
                })
                .map_err(|e| invalid("ecs_parameters.network_configuration", e))
        })
        .transpose()?;
    let strategy = p
        .get("capacity_provider_strategy")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|s| {
            CapacityProviderStrategyItem::builder()
                .set_capacity_provider(s.str("capacity_provider").map(str::to_string))
                .set_base(int(s, "base"))
                .set_weight(int(s, "weight"))
                .build()
                .map_err(|e| invalid("ecs_parameters.capacity_provider_strategy", e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // One map per tag: the API's shape for ECS tags.
    let tags: Vec<HashMap<String, String>> = p
        .get("tags")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some([(k.clone(), v.as_str()?.to_string())].into()))
                .collect()
        })
        .unwrap_or_default();
    EcsParameters::builder()
        .set_task_definition_arn(p.str("task_definition_arn").map(str::to_string))
        .set_task_count(int(p, "task_count"))
        .set_launch_type(p.str("launch_type").map(LaunchType::from))
        .set_platform_version(p.str("platform_version").map(str::to_string))
        .set_group(p.str("group").map(str::to_string))
        .set_enable_ecs_managed_tags(p.bool("enable_ecs_managed_tags"))
        .set_enable_execute_command(p.bool("enable_execute_command"))
        .set_propagate_tags(p.str("propagate_tags").map(PropagateTags::from))
        .set_reference_id(p.str("reference_id").map(str::to_string))
        .set_network_configuration(network)
        .set_capacity_provider_strategy(Some(strategy).filter(|s| !s.is_empty()))
        .set_tags(Some(tags).filter(|t| !t.is_empty()))
        .build()
        .map_err(|e| invalid("ecs_parameters", e))
}

pub fn target(planned: &Object) -> Result<Target, ProviderError> {
    let t = sub(planned, "target").ok_or_else(|| invalid("target", "not set"))?;
    let retry = sub(t, "retry_policy").map(|r| {
        RetryPolicy::builder()
            .set_maximum_event_age_in_seconds(int(r, "maximum_event_age_in_seconds"))
            .set_maximum_retry_attempts(int(r, "maximum_retry_attempts"))
            .build()
    });
    let dead_letter = sub(t, "dead_letter_config")
        .and_then(|d| d.str("arn"))
        .map(|arn| DeadLetterConfig::builder().arn(arn).build());
    let ecs = sub(t, "ecs_parameters").map(ecs_parameters).transpose()?;
    Target::builder()
        .set_arn(t.str("arn").map(str::to_string))
        .set_role_arn(t.str("role_arn").map(str::to_string))
        .set_input(t.str("input").map(str::to_string))
        .set_retry_policy(retry)
        .set_dead_letter_config(dead_letter)
        .set_ecs_parameters(ecs)
        .build()
        .map_err(|e| invalid("target", e))
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn opt_int(n: Option<i32>) -> Value {
    n.map(i64::from).into()
}

pub fn read_flexible_time_window(w: Option<&FlexibleTimeWindow>) -> Value {
    match w {
        Some(w) => map(vec![
            ("mode", w.mode().as_str().into()),
            (
                "maximum_window_in_minutes",
                opt_int(w.maximum_window_in_minutes()),
            ),
        ]),
        None => Value::Null,
    }
}

fn read_ecs(p: &EcsParameters) -> Value {
    let network = p
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|c| {
            map(vec![
                ("subnets", c.subnets().to_vec().into()),
                ("security_groups", c.security_groups().to_vec().into()),
                (
                    "assign_public_ip",
                    (c.assign_public_ip() == Some(&AssignPublicIp::Enabled)).into(),
                ),
            ])
        })
        .unwrap_or(Value::Null);
    let strategy: Vec<Value> = p
        .capacity_provider_strategy()
        .iter()
        .map(|s| {
            map(vec![
                ("capacity_provider", s.capacity_provider().into()),
                ("base", i64::from(s.base()).into()),
                ("weight", i64::from(s.weight()).into()),
            ])
        })
        .collect();
    let tags: Object = p
        .tags()
        .iter()
        .flat_map(|m| m.iter())
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    map(vec![
        ("task_definition_arn", p.task_definition_arn().into()),
        ("task_count", opt_int(p.task_count())),
        ("launch_type", p.launch_type().map(|l| l.as_str()).into()),
        ("platform_version", p.platform_version().into()),
        ("group", p.group().into()),
        (
            "enable_ecs_managed_tags",
            p.enable_ecs_managed_tags().into(),
        ),
        ("enable_execute_command", p.enable_execute_command().into()),
        (
            "propagate_tags",
            p.propagate_tags().map(|t| t.as_str()).into(),
        ),
        ("reference_id", p.reference_id().into()),
        ("tags", Value::Map(tags)),
        ("network_configuration", network),
        ("capacity_provider_strategy", Value::List(strategy)),
    ])
}

pub fn read_target(t: Option<&Target>) -> Value {
    let Some(t) = t else {
        return Value::Null;
    };
    map(vec![
        ("arn", t.arn().into()),
        ("role_arn", t.role_arn().into()),
        ("input", t.input().into()),
        (
            "dead_letter_config",
            t.dead_letter_config()
                .and_then(|d| d.arn())
                .map(|arn| map(vec![("arn", arn.into())]))
                .unwrap_or(Value::Null),
        ),
        (
            "retry_policy",
            t.retry_policy()
                .map(|r| {
                    map(vec![
                        (
                            "maximum_event_age_in_seconds",
                            opt_int(r.maximum_event_age_in_seconds()),
                        ),
                        (
                            "maximum_retry_attempts",
                            opt_int(r.maximum_retry_attempts()),
                        ),
                    ])
                })
                .unwrap_or(Value::Null),
        ),
        (
            "ecs_parameters",
            t.ecs_parameters().map(read_ecs).unwrap_or(Value::Null),
        ),
    ])
}

pub fn read_date(d: Option<&DateTime>) -> Value {
    d.and_then(|d| d.fmt(Format::DateTime).ok()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_kept_in_utc() {
        assert_eq!(
            canonical_date("2030-01-01T02:00:00+02:00").as_deref(),
            Some("2030-01-01T00:00:00Z")
        );
        assert_eq!(
            canonical_date("2030-01-01T00:00:00Z").as_deref(),
            Some("2030-01-01T00:00:00Z")
        );
        assert_eq!(canonical_date("next tuesday"), None);
    }
}
