//! `aws_scheduler_schedule`: the id is `<group>/<name>`, as in Terraform.
//! The name (or `name_prefix`) and the group force a new schedule;
//! everything else changes in place with one UpdateSchedule, which replaces
//! the whole definition, so the whole planned definition is sent.
//!
//! Schedules have no tags (Terraform's neither), so an interrupted create's
//! leftover cannot be listed by ownership tags: the planned name is
//! deterministic (chosen, or made of `name_prefix` and the create's token),
//! so create first reads the schedule of that name, and adopts it (brought
//! to the plan with UpdateSchedule) when its target is the planned target
//! and role. A same-named schedule with another target is someone else's:
//! refused, left alone. CreateSchedule carries the create's token as its
//! client token, so AWS itself answers a retried request with the schedule
//! it made.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{ActionAfterCompletion, ScheduleState};
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::definition::{self, canonical_date};
use crate::{Scheduler, READ_CONCURRENCY};

pub struct Schedule {
    scheduler: Arc<Scheduler>,
}

impl Schedule {
    pub fn new(scheduler: Arc<Scheduler>) -> Self {
        Schedule { scheduler }
    }
}

/// Characters a generated name adds after the prefix (Terraform's unique
/// suffix is as long).
const SUFFIX_LEN: usize = 26;

fn generated_name(prefix: Option<&str>, token: &str) -> String {
    let prefix = prefix.unwrap_or("cairn-");
    let suffix: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(SUFFIX_LEN)
        .collect();
    format!("{prefix}{suffix}")
}

/// The user's prefix of a name `generated_name` made (for a schedule read
/// with nothing recorded); `None` for a chosen name or the default prefix.
fn prefix_of_generated(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(SUFFIX_LEN)?;
    let (prefix, suffix) = (name.get(..cut)?, name.get(cut..)?);
    let generated = suffix
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    (generated && !prefix.is_empty() && prefix != "cairn-").then_some(prefix)
}

fn name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() || name.len() > max {
        return Some(format!(
            "has 1 to {max} characters, `{name}` has {}",
            name.len()
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Some(format!(
            "`{name}` may hold only letters, digits, `-`, `_` and `.`"
        ));
    }
    None
}

fn check_name(v: &Value) -> Result<(), String> {
    v.as_str()
        .and_then(|n| name_problem(n, 64))
        .map_or(Ok(()), Err)
}

fn check_prefix(v: &Value) -> Result<(), String> {
    v.as_str()
        .and_then(|n| name_problem(n, 64 - SUFFIX_LEN))
        .map_or(Ok(()), Err)
}

fn check_date(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if canonical_date(s).is_none() => Err(format!(
            "`{s}` is not an RFC 3339 time (2030-01-01T00:00:00Z)"
        )),
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let window = Schema::new()
            .attr(
                "mode",
                Attribute::string().required().check(Check::OneOf(&["OFF", "FLEXIBLE"])),
            )
            .attr(
                "maximum_window_in_minutes",
                Attribute::number()
                    .check(Check::Range(1, 1440))
                    .describe("Only with mode FLEXIBLE, which requires it."),
            );
        let retry = Schema::new()
            .attr(
                "maximum_event_age_in_seconds",
                Attribute::number().default(86_400).check(Check::Range(60, 86_400)),
            )
            .attr(
                "maximum_retry_attempts",
                Attribute::number().default(185).check(Check::Range(0, 185)),
            );
        let retry_default = Value::Map(
            [
                ("maximum_event_age_in_seconds".to_string(), Value::from(86_400)),
                ("maximum_retry_attempts".to_string(), Value::from(185)),
            ]
            .into(),
        );
        let network = Schema::new()
            .attr("subnets", Attribute::new(Type::set(Type::String)).required())
            .attr("security_groups", Attribute::new(Type::set(Type::String)))
            .attr("assign_public_ip", Attribute::bool().default(false));
        let strategy = Schema::new()
            .attr("capacity_provider", Attribute::string().required())
            .attr("base", Attribute::number().check(Check::Range(0, 100_000)))
            .attr("weight", Attribute::number().check(Check::Range(0, 1000)));
        let ecs = Schema::new()
            .attr("task_definition_arn", Attribute::string().required())
            .attr("task_count", Attribute::number().default(1).check(Check::Range(0, 10)))
            .attr(
                "launch_type",
                Attribute::string().check(Check::OneOf(&["EC2", "FARGATE", "EXTERNAL"])),
            )
            .attr("platform_version", Attribute::string())
            .attr("group", Attribute::string())
            .attr("enable_ecs_managed_tags", Attribute::bool())
            .attr("enable_execute_command", Attribute::bool())
            .attr(
                "propagate_tags",
                Attribute::string().check(Check::OneOf(&["TASK_DEFINITION"])),
            )
            .attr("reference_id", Attribute::string())
            .attr("tags", Attribute::new(Type::map(Type::String)))
            .attr("network_configuration", Attribute::new(Type::object(network)))
            .attr(
                "capacity_provider_strategy",
                Attribute::new(Type::set(Type::object(strategy))),
            );
        let target = Schema::new()
            .attr("arn", Attribute::string().required())
            .attr("role_arn", Attribute::string().required())
            .attr("input", Attribute::string())
            .attr(
                "dead_letter_config",
                Attribute::new(Type::object(
                    Schema::new().attr("arn", Attribute::string().required()),
                ))
                .describe("An SQS queue for invocations that fail to launch"),
            )
            .attr(
                "retry_policy",
                Attribute::new(Type::object(retry))
                    .default(retry_default)
                    .describe("Unset: AWS's default, 86400 s and 185 attempts"),
            )
            .attr("ecs_parameters", Attribute::new(Type::object(ecs)));
        Schema::new()
            .describe("An EventBridge Scheduler schedule (id `<group>/<name>`); the name and group force a new one, everything else changes in place with UpdateSchedule. No tags.")
            .attr(
                "name",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .check(Check::Custom(check_name))
                    .describe("Without it, one is made of `name_prefix` (or `cairn-`) and the create's token."),
            )
            .attr(
                "name_prefix",
                Attribute::string().force_new().check(Check::Custom(check_prefix)),
            )
            .attr(
                "group_name",
                Attribute::string().default("default").force_new().check(Check::Custom(check_name)),
            )
            .attr("description", Attribute::string())
            .attr("schedule_expression", Attribute::string().required())
            .attr("schedule_expression_timezone", Attribute::string().default("UTC"))
            .attr(
                "start_date",
                Attribute::string().check(Check::Custom(check_date)).canonical(canonical_date),
            )
            .attr(
                "end_date",
                Attribute::string().check(Check::Custom(check_date)).canonical(canonical_date),
            )
            .attr(
                "state",
                Attribute::string().default("ENABLED").check(Check::OneOf(&["ENABLED", "DISABLED"])),
            )
            .attr("kms_key_arn", Attribute::string())
            .attr(
                "action_after_completion",
                Attribute::string().optional_computed().check(Check::OneOf(&["NONE", "DELETE"])),
            )
            .attr("flexible_time_window", Attribute::new(Type::object(window)).required())
            .attr("target", Attribute::new(Type::object(target)).required())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
    })
}

/// `(group, name)` of an id `<group>/<name>`; a bare name is in `default`.
fn split_id(id: &str) -> (&str, &str) {
    id.split_once('/').unwrap_or(("default", id))
}

fn object(out: &GetScheduleOutput, prior: &Object) -> Object {
    let group = out.group_name().unwrap_or("default");
    let name = out.name().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), format!("{group}/{name}").into());
    o.insert("arn".into(), out.arn().into());
    o.insert("name".into(), name.into());
    // An input the scheduler does not keep, only the name made from it.
    o.insert(
        "name_prefix".into(),
        match prior.get("name_prefix") {
            Some(_) => prior.str("name_prefix").into(),
            None => prefix_of_generated(name).into(),
        },
    );
    o.insert("group_name".into(), group.into());
    o.insert(
        "description".into(),
        out.description().filter(|d| !d.is_empty()).into(),
    );
    o.insert(
        "schedule_expression".into(),
        out.schedule_expression().into(),
    );
    o.insert(
        "schedule_expression_timezone".into(),
        out.schedule_expression_timezone().unwrap_or("UTC").into(),
    );
    o.insert("start_date".into(), definition::read_date(out.start_date()));
    o.insert("end_date".into(), definition::read_date(out.end_date()));
    o.insert(
        "state".into(),
        out.state().map_or("ENABLED", |s| s.as_str()).into(),
    );
    o.insert("kms_key_arn".into(), out.kms_key_arn().into());
    o.insert(
        "action_after_completion".into(),
        out.action_after_completion()
            .map_or("NONE", |a| a.as_str())
            .into(),
    );
    o.insert(
        "flexible_time_window".into(),
        definition::read_flexible_time_window(out.flexible_time_window()),
    );
    o.insert("target".into(), definition::read_target(out.target()));
    o
}

/// The `target.<key>` of an object, as text.
fn target_str<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    o.get("target")
        .and_then(Value::as_map)
        .and_then(|t| t.str(key))
}

/// Sends the whole definition of `planned` with a create or update
/// builder (the two take the same fields).
macro_rules! with_definition {
    ($builder:expr, $planned:expr) => {{
        let planned: &Object = $planned;
        $builder
            .schedule_expression(planned.str("schedule_expression").unwrap_or_default())
            .schedule_expression_timezone(
                planned.str("schedule_expression_timezone").unwrap_or("UTC"),
            )
            .set_description(planned.str("description").map(str::to_string))
            .set_start_date(definition::date(planned, "start_date")?)
            .set_end_date(definition::date(planned, "end_date")?)
            .state(ScheduleState::from(
                planned.str("state").unwrap_or("ENABLED"),
            ))
            .set_kms_key_arn(planned.str("kms_key_arn").map(str::to_string))
            .set_action_after_completion(
                planned
                    .str("action_after_completion")
                    .map(ActionAfterCompletion::from),
            )
            .flexible_time_window(definition::flexible_time_window(planned)?)
            .target(definition::target(planned)?)
    }};
}

impl Schedule {
    /// One schedule (`None`: gone).
    async fn get(
        &self,
        group: &str,
        name: &str,
    ) -> Result<Option<GetScheduleOutput>, ProviderError> {
        let client = self.scheduler.client().await?;
        match client
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) => {
                let e = error("scheduler:GetSchedule", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn read_written(
        &self,
        group: &str,
        name: &str,
        planned: &Object,
    ) -> Result<Object, ProviderError> {
        match self.get(group, name).await? {
            Some(out) => Ok(object(&out, planned)),
            None => Err(ProviderError::new(
                "scheduler:GetSchedule",
                "NotFound",
                format!("schedule {group}/{name} not found after writing it"),
            )),
        }
    }

    async fn update_schedule(
        &self,
        group: &str,
        name: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.scheduler.client().await?;
        with_definition!(
            client.update_schedule().group_name(group).name(name),
            planned
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error("scheduler:UpdateSchedule", e))
    }

    /// Adopts this create's own leftover (same target and role), refuses
    /// anything else of that name.
    async fn adopt(
        &self,
        ctx: &OpContext,
        group: &str,
        name: &str,
        live: &GetScheduleOutput,
        planned: &Object,
    ) -> Result<Object, ProviderError> {
        let live_obj = object(live, planned);
        let same_target = ["arn", "role_arn"]
            .iter()
            .all(|k| target_str(&live_obj, k) == target_str(planned, k));
        if !same_target {
            return Err(ProviderError::new(
                "scheduler:CreateSchedule",
                "ConflictException",
                format!(
                    "a schedule named `{name}` already exists in group `{group}` with target {} (role {}), \
                     not the target `{}` plans; it is not taken as this address's leftover and nothing was \
                     changed. Import it, or choose another name",
                    target_str(&live_obj, "arn").unwrap_or("?"),
                    target_str(&live_obj, "role_arn").unwrap_or("?"),
                    ctx.address
                ),
            ));
        }
        let id = format!("{group}/{name}");
        self.update_schedule(group, name, planned)
            .await
            .map_err(|e| e.with_partial_id(&id))?;
        self.read_written(group, name, planned)
            .await
            .map_err(|e| e.with_partial_id(&id))
    }
}

#[async_trait]
impl Resource for Schedule {
    fn type_name(&self) -> &'static str {
        "aws_scheduler_schedule"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        if config.str("name").is_some() && config.str("name_prefix").is_some() {
            issues.push(ValidationIssue {
                attribute: "name_prefix".into(),
                message: "set `name` or `name_prefix`, not both".into(),
            });
        }
        if let Some(w) = config.get("flexible_time_window").and_then(Value::as_map) {
            let window = w.get("maximum_window_in_minutes").map(Value::unmarked);
            let has_window = matches!(window, Some(Value::Number(_)));
            match w.str("mode") {
                Some("OFF") if has_window => issues.push(ValidationIssue {
                    attribute: "flexible_time_window".into(),
                    message: "mode OFF runs at the exact time: remove `maximum_window_in_minutes`"
                        .into(),
                }),
                Some("FLEXIBLE") if window.is_none() || matches!(window, Some(Value::Null)) => {
                    issues.push(ValidationIssue {
                        attribute: "flexible_time_window".into(),
                        message: "mode FLEXIBLE needs `maximum_window_in_minutes` (1 to 1440)"
                            .into(),
                    })
                }
                _ => {}
            }
        }
        if let (Some(start), Some(end)) = (
            config.str("start_date").and_then(canonical_date),
            config.str("end_date").and_then(canonical_date),
        ) {
            // RFC 3339 in UTC orders as text.
            if end <= start {
                issues.push(ValidationIssue {
                    attribute: "end_date".into(),
                    message: format!("`{end}` is not after start_date `{start}`"),
                });
            }
        }
        issues
    }

    /// One GetSchedule per schedule, eight in flight: ListSchedules
    /// answers only summaries (no target, no time window), so it cannot
    /// stand in for them.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| {
                Box::pin(async move {
                    let (group, name) = split_id(r.id);
                    Ok(self
                        .get(group, name)
                        .await?
                        .map(|out| object(&out, r.prior)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let name = match planned.str("name") {
            Some(n) => n.to_string(),
            None => generated_name(planned.str("name_prefix"), &ctx.idempotency_token),
        };
        let group = planned.str("group_name").unwrap_or("default").to_string();
        if let Some(live) = self.get(&group, &name).await? {
            return self.adopt(ctx, &group, &name, &live, planned).await;
        }
        let client = self.scheduler.client().await?;
        let created = with_definition!(
            client
                .create_schedule()
                .group_name(&group)
                .name(&name)
                .client_token(&ctx.idempotency_token),
            planned
        )
        .send()
        .await;
        if let Err(e) = created {
            let e = error("scheduler:CreateSchedule", e);
            // Made in between (a second apply of the same plan): the same
            // rule as a leftover found before the call.
            if e.code == "ConflictException" {
                if let Some(live) = self.get(&group, &name).await? {
                    return self.adopt(ctx, &group, &name, &live, planned).await;
                }
            }
            return Err(e);
        }
        let id = format!("{group}/{name}");
        self.read_written(&group, &name, planned)
            .await
            .map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        if let Some(fixed) = changed
            .iter()
            .find(|c| matches!(c.as_str(), "name" | "name_prefix" | "group_name"))
        {
            return Err(ProviderError::not_updatable(self.type_name(), fixed));
        }
        let (group, name) = split_id(id);
        self.update_schedule(group, name, planned).await?;
        self.read_written(group, name, planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.scheduler.client().await?;
        let (group, name) = split_id(id);
        delete_with_retry("schedule", &[], || async {
            client
                .delete_schedule()
                .group_name(group)
                .name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("scheduler:DeleteSchedule", e))
        })
        .await
    }
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

    fn window(mode: &str, minutes: Option<i64>) -> Value {
        let mut m = obj(&[("mode", mode.into())]);
        if let Some(n) = minutes {
            m.insert("maximum_window_in_minutes".into(), n.into());
        }
        Value::Map(m)
    }

    fn issues(pairs: &[(&str, Value)]) -> Vec<String> {
        let s = Schedule::new(Arc::new(Scheduler::new(
            cairn_aws::AwsContext::new(Default::default()),
            cairn_aws::sdk_client!(aws_sdk_scheduler),
        )));
        s.validate(&obj(pairs))
            .into_iter()
            .map(|i| format!("{}: {}", i.attribute, i.message))
            .collect()
    }

    #[test]
    fn the_time_window_is_checked_offline() {
        assert!(issues(&[("flexible_time_window", window("OFF", None))]).is_empty());
        assert!(issues(&[("flexible_time_window", window("FLEXIBLE", Some(15)))]).is_empty());
        let off = issues(&[("flexible_time_window", window("OFF", Some(15)))]);
        assert!(
            off[0].contains("remove `maximum_window_in_minutes`"),
            "{off:?}"
        );
        let flexible = issues(&[("flexible_time_window", window("FLEXIBLE", None))]);
        assert!(
            flexible[0].contains("needs `maximum_window_in_minutes`"),
            "{flexible:?}"
        );
        // An unknown window (computed elsewhere) is not a missing one.
        assert!(issues(&[(
            "flexible_time_window",
            Value::Map(obj(&[
                ("mode", "FLEXIBLE".into()),
                ("maximum_window_in_minutes", Value::Unknown)
            ]))
        )])
        .is_empty());
        let range = schema()
            .get("flexible_time_window")
            .map(|a| match &a.ty {
                Type::Object(s) => s.get("maximum_window_in_minutes").map(|m| m.checks.clone()),
                _ => None,
            })
            .unwrap_or_default()
            .unwrap_or_default();
        assert!(range.iter().any(|c| c.run(&Value::from(1441)).is_err()));
        assert!(range.iter().any(|c| c.run(&Value::from(0)).is_err()));
        assert!(range.iter().all(|c| c.run(&Value::from(1440)).is_ok()));
    }

    #[test]
    fn names_prefixes_and_dates_are_checked_offline() {
        assert!(check_name(&"restartix-staging-audit-partition-roll".into()).is_ok());
        assert!(check_name(&"has space".into()).is_err());
        assert!(check_name(&"a".repeat(65).into()).is_err());
        assert!(check_prefix(&"a".repeat(39).into()).is_err());
        assert!(check_date(&"2030-01-01T00:00:00Z".into()).is_ok());
        assert!(check_date(&"tomorrow".into()).is_err());
        assert_eq!(
            issues(&[("name", "a".into()), ("name_prefix", "b".into())]).len(),
            1
        );
        let backwards = issues(&[
            ("start_date", "2031-01-01T00:00:00Z".into()),
            ("end_date", "2030-01-01T00:00:00Z".into()),
        ]);
        assert!(backwards[0].starts_with("end_date"), "{backwards:?}");
    }

    #[test]
    fn generated_names_fit_and_their_prefix_is_found_again() {
        let n = generated_name(Some("audit-"), "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d");
        assert!(name_problem(&n, 64).is_none(), "{n}");
        assert_eq!(prefix_of_generated(&n), Some("audit-"));
        assert_eq!(prefix_of_generated("usage-quota-reset"), None);
        assert_eq!(
            split_id("default/check-providers"),
            ("default", "check-providers")
        );
        assert_eq!(split_id("check-providers"), ("default", "check-providers"));
    }
}
