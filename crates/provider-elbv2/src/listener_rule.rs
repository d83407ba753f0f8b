//! `aws_lb_listener_rule`: a listener's rule (conditions on host, path or
//! a header; forward, redirect or fixed-response actions). Conditions and
//! actions change with one ModifyRule, the priority with
//! SetRulePriorities, so a rule keeps its ARN when it moves.
//!
//! Rules of one apply may trade priorities (10 and 20 swapped): a move
//! whose priority is held by another rule of this stack parks the moving
//! rule on a free priority, which lets the holder move, and tries again
//! until the holder has gone, bounded by the operation's timeout. A
//! priority held by a rule this stack does not own is an error at once.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig,
    Rule as SdkRule, RuleCondition, RulePriorityPair,
};
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{created_id, error, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags, STACK_TAG};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{actions, describe_by_arns, Elbv2};

/// AWS's limit on condition values per rule (all conditions together).
pub const MAX_CONDITION_VALUES: usize = 5;
const MAX_PRIORITY: i64 = 50_000;

pub struct ListenerRule {
    elb: Arc<Elbv2>,
    tagging: Arc<Tagging>,
}

impl ListenerRule {
    pub fn new(elb: Arc<Elbv2>, tagging: Arc<Tagging>) -> Self {
        ListenerRule { elb, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let values = || Attribute::new(Type::list(Type::String)).required();
        let header = Schema::new()
            .attr("http_header_name", Attribute::string().required())
            .attr("values", values());
        let condition = Schema::new()
            .attr(
                "host_header",
                Attribute::new(Type::object(Schema::new().attr("values", values()))),
            )
            .attr(
                "path_pattern",
                Attribute::new(Type::object(Schema::new().attr("values", values()))),
            )
            .attr("http_header", Attribute::new(Type::object(header)));
        Schema::new()
            .describe("A listener rule (host, path or header conditions; forward, redirect or fixed-response); a new priority moves it in place.")
            .attr("listener_arn", Attribute::string().required().force_new())
            .attr(
                "priority",
                Attribute::number().required().check(Check::Range(1, MAX_PRIORITY)),
            )
            .attr("action", Attribute::new(actions::action_type()).required())
            .attr(
                "condition",
                Attribute::new(Type::list(Type::object(condition))).required(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn conditions(planned: &Object) -> Vec<&Object> {
    planned
        .get("condition")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .collect()
}

fn values_of(block: Option<&Value>) -> Vec<String> {
    block
        .and_then(Value::as_map)
        .map(|b| b.strings("values"))
        .unwrap_or_default()
}

fn sdk_conditions(planned: &Object) -> Vec<RuleCondition> {
    conditions(planned)
        .into_iter()
        .filter_map(|c| {
            if let Some(v) = c.get("host_header").filter(|v| !v.is_null()) {
                return Some(
                    RuleCondition::builder()
                        .field("host-header")
                        .host_header_config(
                            HostHeaderConditionConfig::builder()
                                .set_values(Some(values_of(Some(v))))
                                .build(),
                        )
                        .build(),
                );
            }
            if let Some(v) = c.get("path_pattern").filter(|v| !v.is_null()) {
                return Some(
                    RuleCondition::builder()
                        .field("path-pattern")
                        .path_pattern_config(
                            PathPatternConditionConfig::builder()
                                .set_values(Some(values_of(Some(v))))
                                .build(),
                        )
                        .build(),
                );
            }
            let h = c.get("http_header").and_then(Value::as_map)?;
            Some(
                RuleCondition::builder()
                    .field("http-header")
                    .http_header_config(
                        HttpHeaderConditionConfig::builder()
                            .set_http_header_name(h.str("http_header_name").map(str::to_string))
                            .set_values(Some(h.strings("values")))
                            .build(),
                    )
                    .build(),
            )
        })
        .collect()
}

fn condition_value(c: &RuleCondition) -> Value {
    let list = |primary: Option<&[String]>| {
        let v = primary.filter(|v| !v.is_empty()).unwrap_or(c.values());
        Value::from(v.to_vec())
    };
    let block = |values: Value| {
        let o: Object = [("values".to_string(), values)].into();
        Value::Map(o)
    };
    let mut o = Object::new();
    match c.field() {
        Some("host-header") => {
            o.insert(
                "host_header".into(),
                block(list(c.host_header_config().map(|h| h.values()))),
            );
        }
        Some("path-pattern") => {
            o.insert(
                "path_pattern".into(),
                block(list(c.path_pattern_config().map(|p| p.values()))),
            );
        }
        Some("http-header") => {
            let h = c.http_header_config();
            let header: Object = [
                (
                    "http_header_name".to_string(),
                    Value::from(h.and_then(|h| h.http_header_name())),
                ),
                ("values".to_string(), list(h.map(|h| h.values()))),
            ]
            .into();
            o.insert("http_header".into(), Value::Map(header));
        }
        _ => {}
    }
    Value::Map(o)
}

fn listener_of(rule_arn: &str) -> String {
    // arn:...:listener-rule/app/NAME/LB/LISTENER/RULE -> the listener's ARN.
    match rule_arn.rsplit_once('/') {
        Some((head, _)) => head.replacen(":listener-rule/", ":listener/", 1),
        None => String::new(),
    }
}

fn object(r: &SdkRule, live_tags: &Tags, default_tags: &Tags) -> Object {
    let arn = r.rule_arn().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), arn.into());
    o.insert("arn".into(), arn.into());
    o.insert("listener_arn".into(), listener_of(arn).into());
    o.insert(
        "priority".into(),
        Value::from(r.priority().and_then(|p| p.parse::<i64>().ok())),
    );
    o.insert("action".into(), actions::from_sdk(r.actions()));
    o.insert(
        "condition".into(),
        Value::List(r.conditions().iter().map(condition_value).collect()),
    );
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

/// The rules of a listener (none when it is gone), by ARN.
async fn of_listener(client: &Client, listener: &str) -> Result<Vec<SdkRule>, ProviderError> {
    let mut rules = Vec::new();
    let mut marker = None;
    loop {
        let page = client
            .describe_rules()
            .listener_arn(listener)
            .set_marker(marker)
            .send()
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                let e = error("elasticloadbalancing:DescribeRules", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                };
            }
        };
        rules.extend(
            page.rules()
                .iter()
                .filter(|r| r.is_default() != Some(true))
                .cloned(),
        );
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(rules);
        }
    }
}

fn priority_of(r: &SdkRule) -> Option<i64> {
    r.priority().and_then(|p| p.parse().ok())
}

impl ListenerRule {
    /// The rules of these ARNs that exist. One unknown ARN fails a
    /// describe by ARNs: then the rules of each listener are listed.
    async fn describe(&self, arns: &[&str]) -> Result<HashMap<String, SdkRule>, ProviderError> {
        let client = self.elb.client().await?;
        describe_by_arns(
            arns,
            |r: &SdkRule| r.rule_arn(),
            |chunk| async move {
                client
                    .describe_rules()
                    .set_rule_arns(Some(chunk))
                    .send()
                    .await
                    .map(|p| p.rules().to_vec())
                    .map_err(|e| error("elasticloadbalancing:DescribeRules", e))
            },
            || async {
                let listeners: BTreeSet<String> = arns.iter().map(|a| listener_of(a)).collect();
                let mut all = Vec::new();
                for l in listeners {
                    all.extend(of_listener(client, &l).await?);
                }
                Ok(all)
            },
        )
        .await
    }

    async fn read_one(&self, arn: &str, default_tags: &Tags) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let r = self.describe(&[arn]).await?.remove(arn).ok_or_else(|| {
            ProviderError::new(
                "elasticloadbalancing:DescribeRules",
                "RuleNotFound",
                format!("listener rule {arn} not found after writing it"),
            )
        })?;
        let live = crate::tags::of(client, &[arn])
            .await?
            .remove(arn)
            .unwrap_or_default();
        Ok(object(&r, &live, default_tags))
    }

    /// Runs `attempt` (a create or a move to `priority`) until it does not
    /// fail with PriorityInUse. While a rule of this stack holds the
    /// priority (it moves in this apply too), waits for it, first parking
    /// `moving` (the rule being moved, if any) on a free priority so that
    /// a holder waiting for this rule's priority can go.
    async fn claim<T, F, Fut>(
        &self,
        ctx: &OpContext,
        listener: &str,
        priority: i64,
        moving: Option<&str>,
        mut attempt: F,
    ) -> Result<T, ProviderError>
    where
        T: Default,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ProviderError>>,
    {
        let client = self.elb.client().await?;
        let start = Instant::now();
        let mut parked = false;
        let mut pause = Duration::from_millis(200);
        loop {
            let e = match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) if e.code == "PriorityInUse" => e,
                Err(e) => return Err(e),
            };
            let rules = of_listener(client, listener).await?;
            let Some(holder) = rules
                .iter()
                .find(|r| priority_of(r) == Some(priority))
                .and_then(|r| r.rule_arn())
            else {
                continue; // gone meanwhile
            };
            if Some(holder) == moving {
                // Already there: some emulators refuse a rule its own
                // priority.
                return Ok(T::default());
            }
            let holder_tags = crate::tags::of(client, &[holder]).await?;
            let ours = holder_tags
                .get(holder)
                .and_then(|t| t.get(STACK_TAG))
                .is_some_and(|s| *s == ctx.stack);
            if !ours {
                return Err(ProviderError {
                    message: format!(
                        "{}: priority {priority} of listener {listener} is held by rule {holder}, which this stack does not manage; choose another priority or remove that rule",
                        e.message
                    ),
                    ..e
                });
            }
            if start.elapsed() >= ctx.timeout {
                return Err(ProviderError {
                    code: "Timeout".into(),
                    message: format!(
                        "priority {priority} of listener {listener} is still held by rule {holder} of this stack after {}s; it was expected to move in this apply (trading priorities needs --parallelism 2 or more)",
                        start.elapsed().as_secs()
                    ),
                    ..e
                });
            }
            if let (Some(rule), false) = (moving, parked) {
                parked = park(client, rule, &rules).await?;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }
}

/// Moves `rule` to the highest free priority of its listener; false when
/// another rule took that one first (the caller tries again later).
async fn park(client: &Client, rule: &str, rules: &[SdkRule]) -> Result<bool, ProviderError> {
    let taken: BTreeSet<i64> = rules.iter().filter_map(priority_of).collect();
    let Some(free) = (1..=MAX_PRIORITY).rev().find(|p| !taken.contains(p)) else {
        return Ok(false);
    };
    match set_priority(client, rule, free).await {
        Ok(()) => Ok(true),
        Err(e) if e.code == "PriorityInUse" => Ok(false),
        Err(e) => Err(e),
    }
}

async fn set_priority(client: &Client, rule: &str, priority: i64) -> Result<(), ProviderError> {
    client
        .set_rule_priorities()
        .rule_priorities(
            RulePriorityPair::builder()
                .rule_arn(rule)
                .priority(i32::try_from(priority).unwrap_or(i32::MAX))
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error("elasticloadbalancing:SetRulePriorities", e))
}

#[async_trait]
impl Resource for ListenerRule {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener_rule"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = actions::validate("action", config.get("action"));
        let mut count = 0;
        for c in conditions(config) {
            let set: Vec<&str> = ["host_header", "path_pattern", "http_header"]
                .into_iter()
                .filter(|k| c.get(*k).is_some_and(|v| !v.is_null()))
                .collect();
            if set.len() != 1 {
                issues.push(ValidationIssue {
                    attribute: "condition".into(),
                    message: format!(
                        "each condition sets exactly one of host_header, path_pattern, http_header (this one sets {})",
                        if set.is_empty() { "none".to_string() } else { set.join(", ") }
                    ),
                });
            }
            for k in set {
                count += match c.get(k).and_then(Value::as_map) {
                    Some(b) => b
                        .get("values")
                        .and_then(Value::as_list)
                        .map_or(0, <[Value]>::len),
                    None => 0,
                };
            }
        }
        if count > MAX_CONDITION_VALUES {
            issues.push(ValidationIssue {
                attribute: "condition".into(),
                message: format!(
                    "the conditions hold {count} values; AWS allows at most {MAX_CONDITION_VALUES} per rule: split the rule in two"
                ),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let client = self.elb.client().await?;
        let arns: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let found = self.describe(&arns).await?;
        let live: Vec<&str> = found.keys().map(String::as_str).collect();
        let tags = crate::tags::of(client, &live).await?;
        Ok(requests
            .iter()
            .map(|r| match found.get(r.id) {
                Some(rule) => ReadOutcome::Live(object(
                    rule,
                    &tags.get(r.id).cloned().unwrap_or_default(),
                    &ctx.default_tags,
                )),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let client = self.elb.client().await?;
        let listeners = crate::listener::of_stack(client, &self.tagging, stack).await?;
        let mut arns = Vec::new();
        for l in listeners.keys() {
            arns.extend(
                of_listener(client, l)
                    .await?
                    .into_iter()
                    .filter_map(|r| r.rule_arn().map(str::to_string)),
            );
        }
        let arns: Vec<&str> = arns.iter().map(String::as_str).collect();
        Ok(crate::tags::owned(
            &crate::tags::of(client, &arns).await?,
            stack,
        ))
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let listener = planned.str("listener_arn").unwrap_or_default();
        let priority = planned.i64("priority").unwrap_or(1);
        let create = || async {
            client
                .create_rule()
                .listener_arn(listener)
                .priority(i32::try_from(priority).unwrap_or(i32::MAX))
                .set_conditions(Some(sdk_conditions(planned)))
                .set_actions(Some(actions::to_sdk(planned.get("action"))))
                .set_tags(Some(crate::tags::sdk_tags(&ctx.create_tags(planned))))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:CreateRule", e))
                .and_then(|out| {
                    created_id(
                        "elasticloadbalancing:CreateRule",
                        out.rules().first().and_then(|r| r.rule_arn()),
                    )
                })
        };
        let arn = self.claim(ctx, listener, priority, None, create).await?;
        self.read_one(&arn, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&arn))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let mut modify = false;
        for name in changed {
            match name.as_str() {
                "priority" => {
                    let priority = planned.i64("priority").unwrap_or(1);
                    let listener = listener_of(id);
                    self.claim(ctx, &listener, priority, Some(id), || {
                        set_priority(client, id, priority)
                    })
                    .await?;
                }
                "action" | "condition" => modify = true,
                "tags" => crate::tags::sync(client, ctx, id, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if modify {
            client
                .modify_rule()
                .rule_arn(id)
                .set_conditions(Some(sdk_conditions(planned)))
                .set_actions(Some(actions::to_sdk(planned.get("action"))))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:ModifyRule", e))?;
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        // Gone already is done.
        cairn_aws::delete_with_retry("listener rule", &[], || async {
            client
                .delete_rule()
                .rule_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("elasticloadbalancing:DeleteRule", e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::listener_of;

    #[test]
    fn a_rule_arn_names_its_listener() {
        assert_eq!(
            listener_of("arn:aws:elasticloadbalancing:eu-west-2:1:listener-rule/app/a/96/22/4a"),
            "arn:aws:elasticloadbalancing:eu-west-2:1:listener/app/a/96/22"
        );
    }
}
