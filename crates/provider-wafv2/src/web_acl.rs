//! `aws_wafv2_web_acl`: a web ACL with its default action, rules (managed
//! rule groups, rate-based rules) and visibility settings. Name and scope
//! force a new ACL; everything else changes in place through UpdateWebACL,
//! which replaces the whole ACL and needs the ACL's current lock token.
//!
//! Refresh lists each scope once per page (ListWebACLs: which ACLs exist),
//! then reads each ACL (GetWebACL; WAF has no batch get) and its tags
//! (ListTagsForResource: the Resource Groups Tagging API does not answer
//! for WAFv2 on every endpoint). The read needs the scope besides the id:
//! it comes from the recorded object, or, for an import, from Terraform's
//! import id `ID/NAME/SCOPE`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CaptchaAction, ChallengeAction, CountAction, DefaultAction,
    ManagedRuleGroupStatement, NoneAction, OverrideAction, RateBasedStatement,
    RateBasedStatementAggregateKeyType, Rule, RuleAction, RuleActionOverride, Scope, Statement,
    Tag, VisibilityConfig, WebAcl as SdkWebAcl, WebAclSummary,
};
use cairn_aws::{
    created_id, delete_with_retry, error, read_concurrently, sync_tags, ReadFuture, RetryOn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::common::{
    choice, choice_problem, choice_value, chosen, invalid, is_duplicate, is_gone, is_set, map,
    SCOPES,
};
use crate::Wafv2;

const READ_CONCURRENCY: usize = 8;
/// How many times an update re-reads the lock token after someone else
/// changed the ACL in between.
const LOCK_ATTEMPTS: u32 = 5;
/// How long a delete waits for an association removed a moment ago.
const ASSOCIATED_WAIT: Duration = Duration::from_secs(300);

const DEFAULT_ACTIONS: &[&str] = &["allow", "block"];
const RULE_ACTIONS: &[&str] = &["allow", "block", "count", "captcha", "challenge"];
const OVERRIDE_ACTIONS: &[&str] = &["none", "count"];

pub struct WebAcl {
    waf: Arc<Wafv2>,
}

impl WebAcl {
    pub fn new(waf: Arc<Wafv2>) -> Self {
        WebAcl { waf }
    }
}

fn visibility_schema() -> Schema {
    Schema::new()
        .attr("cloudwatch_metrics_enabled", Attribute::bool().required())
        .attr(
            "metric_name",
            Attribute::string()
                .required()
                .describe("1-255 of letters, digits and _ # : . - /"),
        )
        .attr("sampled_requests_enabled", Attribute::bool().required())
}

fn rule_schema() -> Schema {
    let action_override = Schema::new()
        .attr("name", Attribute::string().required())
        .attr(
            "action_to_use",
            choice(
                "one of `allow = {}`, `block = {}`, `count = {}`, `captcha = {}`, `challenge = {}`",
            )
            .required(),
        );
    let managed = Schema::new()
        .attr("name", Attribute::string().required())
        .attr("vendor_name", Attribute::string().required())
        .attr("version", Attribute::string())
        .attr(
            "rule_action_override",
            Attribute::new(Type::list(Type::object(action_override)))
                .describe("actions for named rules of the group instead of theirs"),
        );
    let rate = Schema::new()
        .attr(
            "limit",
            Attribute::number()
                .required()
                .check(Check::Range(10, 2_000_000_000))
                .describe("requests per evaluation window (5 minutes) and IP address"),
        )
        .attr(
            "aggregate_key_type",
            Attribute::string()
                .check(Check::OneOf(&["IP"]))
                .describe("IP, the default (the only one cairn supports yet)"),
        );
    let statement = Schema::new()
        .attr(
            "managed_rule_group_statement",
            Attribute::new(Type::object(managed)),
        )
        .attr("rate_based_statement", Attribute::new(Type::object(rate)));
    Schema::new()
        .attr("name", Attribute::string().required())
        .attr(
            "priority",
            Attribute::number()
                .required()
                .check(Check::Range(0, i32::MAX as i64)),
        )
        .attr(
            "action",
            choice("for a rate-based rule: one of `allow = {}`, `block = {}`, `count = {}`, `captcha = {}`, `challenge = {}`"),
        )
        .attr(
            "override_action",
            choice("for a rule group: `none = {}` (the group's own actions) or `count = {}`"),
        )
        .attr(
            "statement",
            Attribute::new(Type::object(statement))
                .required()
                .describe("exactly one of managed_rule_group_statement, rate_based_statement"),
        )
        .attr(
            "visibility_config",
            Attribute::new(Type::object(visibility_schema())).required(),
        )
}

fn name_check(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(n) => name_problem(n).map_or(Ok(()), Err),
        None => Ok(()),
    }
}

fn name_problem(n: &str) -> Option<String> {
    if n.is_empty() || n.chars().count() > 128 {
        return Some(format!("`{n}` must be 1 to 128 characters long"));
    }
    n.chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
        .map(|c| format!("`{n}` has `{c}`: only letters, digits, _ and - are allowed"))
}

fn metric_problem(n: &str) -> Option<String> {
    if n.is_empty() || n.chars().count() > 255 {
        return Some(format!(
            "metric name `{n}` must be 1 to 255 characters long"
        ));
    }
    n.chars()
        .find(|c| !(c.is_alphanumeric() || "_#:.-/".contains(*c)))
        .map(|c| {
            format!("metric name `{n}` has `{c}`: only letters, digits and _ # : . - / are allowed")
        })
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A WAFv2 web ACL (managed rule groups, rate-based rules); rules, default action and visibility change in place, with the ACL's lock token.")
            .attr(
                "name",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Custom(name_check)),
            )
            .attr(
                "scope",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::OneOf(&["REGIONAL", "CLOUDFRONT"]))
                    .describe("REGIONAL (ALB, API Gateway, ...) or CLOUDFRONT (provider in us-east-1)"),
            )
            .attr("description", Attribute::string())
            .attr(
                "default_action",
                choice("`allow = {}` or `block = {}`: what happens to a request no rule matches")
                    .required(),
            )
            .attr(
                "rule",
                Attribute::new(Type::set(Type::object(rule_schema())))
                    .describe("Rules, each with a unique name and priority."),
            )
            .attr(
                "visibility_config",
                Attribute::new(Type::object(visibility_schema())).required(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr(
                "lock_token",
                Attribute::string()
                    .computed()
                    .describe("Changes with every change of the ACL."),
            )
            .attr(
                "capacity",
                Attribute::number()
                    .computed()
                    .describe("Web ACL capacity units the rules use."),
            )
            .with_tags()
    })
}

// ---- configuration -> SDK ----

/// The parts of an ACL that CreateWebACL and UpdateWebACL send whole.
#[derive(Clone)]
struct AclBody {
    description: Option<String>,
    default_action: DefaultAction,
    rules: Vec<Rule>,
    visibility: VisibilityConfig,
}

impl AclBody {
    fn from(planned: &Object, op: &str) -> Result<AclBody, ProviderError> {
        let default_action = match chosen(planned.get("default_action")) {
            Some("allow") => DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
            Some("block") => DefaultAction::builder()
                .block(BlockAction::builder().build())
                .build(),
            _ => {
                return Err(invalid(
                    op,
                    "default_action must be `allow = {}` or `block = {}`",
                ))
            }
        };
        let mut rules = planned
            .get("rule")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_map)
            .map(|r| sdk_rule(r, op))
            .collect::<Result<Vec<_>, _>>()?;
        rules.sort_by_key(|r| r.priority());
        Ok(AclBody {
            description: planned
                .str("description")
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            default_action,
            rules,
            visibility: sdk_visibility(
                planned.get("visibility_config").and_then(Value::as_map),
                op,
            )?,
        })
    }
}

fn sdk_visibility(v: Option<&Object>, op: &str) -> Result<VisibilityConfig, ProviderError> {
    let v = v.ok_or_else(|| invalid(op, "visibility_config is required"))?;
    VisibilityConfig::builder()
        .cloud_watch_metrics_enabled(v.bool("cloudwatch_metrics_enabled").unwrap_or(false))
        .metric_name(v.str("metric_name").unwrap_or_default())
        .sampled_requests_enabled(v.bool("sampled_requests_enabled").unwrap_or(false))
        .build()
        .map_err(|e| invalid(op, e))
}

fn sdk_rule_action(name: Option<&str>, op: &str) -> Result<RuleAction, ProviderError> {
    let b = RuleAction::builder();
    Ok(match name {
        Some("allow") => b.allow(AllowAction::builder().build()),
        Some("block") => b.block(BlockAction::builder().build()),
        Some("count") => b.count(CountAction::builder().build()),
        Some("captcha") => b.captcha(CaptchaAction::builder().build()),
        Some("challenge") => b.challenge(ChallengeAction::builder().build()),
        _ => {
            return Err(invalid(
                op,
                "a rule action must be one of allow, block, count, captcha, challenge",
            ))
        }
    }
    .build())
}

fn sdk_rule(r: &Object, op: &str) -> Result<Rule, ProviderError> {
    let name = r.str("name").unwrap_or_default();
    let statement = r.get("statement").and_then(Value::as_map);
    let managed = statement
        .and_then(|s| s.get("managed_rule_group_statement"))
        .and_then(Value::as_map);
    let rate = statement
        .and_then(|s| s.get("rate_based_statement"))
        .and_then(Value::as_map);
    let statement = match (managed, rate) {
        (Some(m), None) => {
            let overrides = m
                .get("rule_action_override")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_map)
                .map(|o| {
                    RuleActionOverride::builder()
                        .name(o.str("name").unwrap_or_default())
                        .action_to_use(sdk_rule_action(chosen(o.get("action_to_use")), op)?)
                        .build()
                        .map_err(|e| invalid(op, e))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Statement::builder()
                .managed_rule_group_statement(
                    ManagedRuleGroupStatement::builder()
                        .name(m.str("name").unwrap_or_default())
                        .vendor_name(m.str("vendor_name").unwrap_or_default())
                        .set_version(m.str("version").map(str::to_string))
                        .set_rule_action_overrides((!overrides.is_empty()).then_some(overrides))
                        .build()
                        .map_err(|e| invalid(op, e))?,
                )
                .build()
        }
        (None, Some(rb)) => Statement::builder()
            .rate_based_statement(
                RateBasedStatement::builder()
                    .limit(rb.i64("limit").unwrap_or_default())
                    .aggregate_key_type(RateBasedStatementAggregateKeyType::from(
                        rb.str("aggregate_key_type").unwrap_or("IP"),
                    ))
                    .build()
                    .map_err(|e| invalid(op, e))?,
            )
            .build(),
        _ => {
            return Err(invalid(
                op,
                format!("rule `{name}`: set exactly one of managed_rule_group_statement, rate_based_statement"),
            ))
        }
    };
    let action = match r.get("action").filter(|v| !v.is_null()) {
        Some(a) => Some(sdk_rule_action(chosen(Some(a)), op)?),
        None => None,
    };
    let override_action = match chosen(r.get("override_action")) {
        Some("none") => Some(
            OverrideAction::builder()
                .none(NoneAction::builder().build())
                .build(),
        ),
        Some("count") => Some(
            OverrideAction::builder()
                .count(CountAction::builder().build())
                .build(),
        ),
        Some(other) => {
            return Err(invalid(
                op,
                format!("rule `{name}`: override_action `{other}` is not none or count"),
            ))
        }
        None => None,
    };
    Rule::builder()
        .name(name)
        .priority(r.i64("priority").unwrap_or_default() as i32)
        .statement(statement)
        .set_action(action)
        .set_override_action(override_action)
        .visibility_config(sdk_visibility(
            r.get("visibility_config").and_then(Value::as_map),
            op,
        )?)
        .build()
        .map_err(|e| invalid(op, e))
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

// ---- SDK -> attributes ----

fn visibility_value(v: Option<&VisibilityConfig>) -> Value {
    match v {
        Some(v) => map([
            (
                "cloudwatch_metrics_enabled",
                v.cloud_watch_metrics_enabled().into(),
            ),
            ("metric_name", v.metric_name().into()),
            (
                "sampled_requests_enabled",
                v.sampled_requests_enabled().into(),
            ),
        ]),
        None => Value::Null,
    }
}

fn rule_action_value(a: &RuleAction) -> Value {
    let name = if a.allow().is_some() {
        "allow"
    } else if a.block().is_some() {
        "block"
    } else if a.count().is_some() {
        "count"
    } else if a.captcha().is_some() {
        "captcha"
    } else if a.challenge().is_some() {
        "challenge"
    } else {
        // An action cairn does not know: shown as such, so it is drift.
        "unsupported"
    };
    choice_value(name)
}

/// One rule as configured. `aggregate_key_type` is shown only where the
/// recorded rule sets it (`explicit_ip`) or it is not the default, so a
/// configuration that leaves it out (the default, IP) has no diff.
fn rule_value(r: &Rule, explicit_ip: &HashSet<&str>) -> Value {
    let statement = r.statement();
    let managed = statement
        .and_then(|s| s.managed_rule_group_statement())
        .map_or(Value::Null, |m| {
            let overrides = m
                .rule_action_overrides()
                .iter()
                .map(|o| {
                    map([
                        ("name", o.name().into()),
                        (
                            "action_to_use",
                            o.action_to_use().map_or(Value::Null, rule_action_value),
                        ),
                    ])
                })
                .collect();
            map([
                ("name", m.name().into()),
                ("vendor_name", m.vendor_name().into()),
                ("version", Value::from(m.version())),
                ("rule_action_override", Value::List(overrides)),
            ])
        });
    let rate = statement
        .and_then(|s| s.rate_based_statement())
        .map_or(Value::Null, |rb| {
            let key = rb.aggregate_key_type().as_str();
            let key = if key == "IP" && !explicit_ip.contains(r.name()) {
                Value::Null
            } else {
                Value::from(key)
            };
            map([
                ("limit", Value::from(rb.limit())),
                ("aggregate_key_type", key),
            ])
        });
    let override_action = r.override_action().map_or(Value::Null, |o| {
        if o.none().is_some() {
            choice_value("none")
        } else if o.count().is_some() {
            choice_value("count")
        } else {
            choice_value("unsupported")
        }
    });
    map([
        ("name", r.name().into()),
        ("priority", Value::from(r.priority())),
        ("action", r.action().map_or(Value::Null, rule_action_value)),
        ("override_action", override_action),
        (
            "statement",
            map([
                ("managed_rule_group_statement", managed),
                ("rate_based_statement", rate),
            ]),
        ),
        ("visibility_config", visibility_value(r.visibility_config())),
    ])
}

/// The names of the recorded rules that set `aggregate_key_type` themselves.
fn explicit_ip_rules(prior: &Object) -> HashSet<&str> {
    prior
        .get("rule")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .filter(|r| {
            r.get("statement")
                .and_then(Value::as_map)
                .and_then(|s| s.get("rate_based_statement"))
                .and_then(Value::as_map)
                .is_some_and(|rb| rb.str("aggregate_key_type").is_some())
        })
        .filter_map(|r| r.str("name"))
        .collect()
}

fn object(
    acl: &SdkWebAcl,
    scope: &str,
    lock_token: &str,
    live_tags: &tags::Tags,
    prior: &Object,
    default_tags: &tags::Tags,
) -> Object {
    let explicit_ip = explicit_ip_rules(prior);
    let mut rules: Vec<&Rule> = acl.rules().iter().collect();
    rules.sort_by_key(|r| r.priority());
    let default_action = match acl.default_action() {
        Some(d) if d.allow().is_some() => choice_value("allow"),
        Some(d) if d.block().is_some() => choice_value("block"),
        _ => Value::Null,
    };
    let mut obj = Object::new();
    obj.insert("id".into(), acl.id().into());
    obj.insert("name".into(), acl.name().into());
    obj.insert("scope".into(), scope.into());
    obj.insert("arn".into(), acl.arn().into());
    obj.insert("description".into(), Value::from(acl.description()));
    obj.insert("default_action".into(), default_action);
    obj.insert(
        "rule".into(),
        Value::List(rules.iter().map(|r| rule_value(r, &explicit_ip)).collect()),
    );
    obj.insert(
        "visibility_config".into(),
        visibility_value(acl.visibility_config()),
    );
    obj.insert("lock_token".into(), lock_token.into());
    obj.insert("capacity".into(), Value::from(acl.capacity()));
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

// ---- calls ----

impl WebAcl {
    /// Every web ACL of a scope, with its lock token: one call per page
    /// of 100.
    async fn list(&self, scope: &str) -> Result<Vec<WebAclSummary>, ProviderError> {
        let client = self.waf.client().await?;
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = client
                .list_web_acls()
                .scope(Scope::from(scope))
                .limit(100)
                .set_next_marker(marker.take())
                .send()
                .await
                .map_err(|e| error("wafv2:ListWebACLs", e))?;
            out.extend(page.web_acls().iter().cloned());
            match page.next_marker() {
                Some(m) if !m.is_empty() && !page.web_acls().is_empty() => {
                    marker = Some(m.to_string())
                }
                _ => return Ok(out),
            }
        }
    }

    /// The listings of `scopes`, by ACL id: (name, scope). A scope looked
    /// in only because some request did not record one (`optional`) may be
    /// refused by the region (CLOUDFRONT outside us-east-1): then it holds
    /// none.
    async fn find(
        &self,
        scopes: &BTreeSet<&str>,
        optional: &BTreeSet<&str>,
    ) -> Result<HashMap<String, (String, String)>, ProviderError> {
        let mut found = HashMap::new();
        for scope in scopes {
            let list = match self.list(scope).await {
                Ok(l) => l,
                Err(e) if optional.contains(scope) && e.code == "WAFInvalidParameterException" => {
                    continue
                }
                Err(e) => return Err(e),
            };
            for s in list {
                if let (Some(id), Some(name)) = (s.id(), s.name()) {
                    found.insert(id.to_string(), (name.to_string(), scope.to_string()));
                }
            }
        }
        Ok(found)
    }

    /// The ACL and its lock token; `None` when it does not exist.
    async fn get(
        &self,
        name: &str,
        scope: &str,
        id: &str,
    ) -> Result<Option<(SdkWebAcl, String)>, ProviderError> {
        let client = self.waf.client().await?;
        let out = match client
            .get_web_acl()
            .name(name)
            .scope(Scope::from(scope))
            .id(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("wafv2:GetWebACL", e);
                return if is_gone(&e) { Ok(None) } else { Err(e) };
            }
        };
        let token = out.lock_token().unwrap_or_default().to_string();
        Ok(out.web_acl().cloned().map(|acl| (acl, token)))
    }

    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.waf.client().await?;
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .limit(100)
            .send()
            .await
            .map_err(|e| error("wafv2:ListTagsForResource", e))?;
        Ok(out
            .tag_info_for_resource()
            .map(|t| t.tag_list())
            .unwrap_or_default()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }

    /// One ACL with its tags, `None` when it does not exist.
    async fn read_one(
        &self,
        name: &str,
        scope: &str,
        id: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let Some((acl, token)) = self.get(name, scope, id).await? else {
            return Ok(None);
        };
        let live = self.tags_of(acl.arn()).await?;
        Ok(Some(object(
            &acl,
            scope,
            &token,
            &live,
            prior,
            default_tags,
        )))
    }

    async fn read_written(
        &self,
        name: &str,
        scope: &str,
        id: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.read_one(name, scope, id, prior, default_tags)
            .await?
            .ok_or_else(|| {
                ProviderError::new(
                    "wafv2:GetWebACL",
                    "WAFNonexistentItemException",
                    format!("web ACL {name} ({id}) not found after writing it"),
                )
            })
    }

    /// Name and scope of an ACL: recorded, else looked up by id.
    async fn locate(
        &self,
        id: &str,
        prior: &Object,
    ) -> Result<Option<(String, String)>, ProviderError> {
        if let (Some(name), Some(scope)) = (prior.str("name"), prior.str("scope")) {
            return Ok(Some((name.to_string(), scope.to_string())));
        }
        let scopes: BTreeSet<&str> = SCOPES.into_iter().collect();
        Ok(self.find(&scopes, &scopes).await?.remove(id))
    }

    /// UpdateWebACL with the whole planned ACL. The first try uses the
    /// recorded lock token (from the refresh this apply planned from);
    /// when someone changed the ACL since (`WAFOptimisticLockException`),
    /// the token is read again and the update retried, a bounded number of
    /// times.
    async fn put(
        &self,
        name: &str,
        scope: &str,
        id: &str,
        recorded_token: Option<&str>,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        const OP: &str = "wafv2:UpdateWebACL";
        let client = self.waf.client().await?;
        let body = AclBody::from(planned, OP)?;
        let mut token = recorded_token.filter(|t| !t.is_empty()).map(str::to_string);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let lock = match token.take() {
                Some(t) => t,
                None => match self.get(name, scope, id).await? {
                    Some((_, t)) => t,
                    None => {
                        return Err(ProviderError::new(
                            OP,
                            "WAFNonexistentItemException",
                            format!("web ACL {name} ({id}) does not exist"),
                        ))
                    }
                },
            };
            let body = body.clone();
            let sent = client
                .update_web_acl()
                .name(name)
                .scope(Scope::from(scope))
                .id(id)
                .lock_token(lock)
                .default_action(body.default_action)
                .set_description(body.description)
                .set_rules(Some(body.rules))
                .visibility_config(body.visibility)
                .send()
                .await;
            match sent {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let e = error(OP, e);
                    if e.code != "WAFOptimisticLockException" || attempt >= LOCK_ATTEMPTS {
                        return Err(e);
                    }
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
            }
        }
    }
}

#[async_trait]
impl Resource for WebAcl {
    fn type_name(&self) -> &'static str {
        "aws_wafv2_web_acl"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.to_string(),
                message,
            })
        };
        if let Some(m) = config
            .get("default_action")
            .and_then(|v| choice_problem(v, DEFAULT_ACTIONS))
        {
            issue("default_action", m);
        }
        if let Some(m) = config
            .get("visibility_config")
            .and_then(Value::as_map)
            .and_then(|v| v.str("metric_name"))
            .and_then(metric_problem)
        {
            issue("visibility_config", format!("metric_name: {m}"));
        }
        let rules = config
            .get("rule")
            .and_then(Value::as_list)
            .unwrap_or_default();
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut priorities: HashMap<i64, String> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let Some(r) = rule.as_map() else { continue };
            let label = r
                .str("name")
                .map_or_else(|| format!("rule[{i}]"), |n| format!("rule `{n}`"));
            if let Some(name) = r.str("name") {
                if let Some(m) = name_problem(name) {
                    issue("rule", format!("{label}: name {m}"));
                }
                if let Some(first) = names.insert(name, i) {
                    issue(
                        "rule",
                        format!("rule[{first}] and rule[{i}] are both named `{name}`: rule names must be unique"),
                    );
                }
            }
            if let Some(p) = r.i64("priority") {
                if let Some(other) = priorities.insert(p, label.clone()) {
                    issue(
                        "rule",
                        format!(
                            "{other} and {label} both have priority {p}: priorities must be unique"
                        ),
                    );
                }
            }
            if let Some(m) = r
                .get("visibility_config")
                .and_then(Value::as_map)
                .and_then(|v| v.str("metric_name"))
                .and_then(metric_problem)
            {
                issue("rule", format!("{label}: visibility_config.{m}"));
            }
            for (attr, allowed) in [
                ("action", RULE_ACTIONS),
                ("override_action", OVERRIDE_ACTIONS),
            ] {
                if let Some(m) = r.get(attr).and_then(|v| choice_problem(v, allowed)) {
                    issue("rule", format!("{label}: {attr}: {m}"));
                }
            }
            let Some(statement) = r.get("statement").and_then(Value::as_map) else {
                continue;
            };
            let managed = is_set(statement, "managed_rule_group_statement");
            let rate = is_set(statement, "rate_based_statement");
            let (has_action, has_override) = (is_set(r, "action"), is_set(r, "override_action"));
            match (managed, rate) {
                (true, true) => issue(
                    "rule",
                    format!("{label}: set only one of statement.managed_rule_group_statement and statement.rate_based_statement"),
                ),
                (false, false) => issue(
                    "rule",
                    format!("{label}: statement needs a managed_rule_group_statement or a rate_based_statement"),
                ),
                (true, false) => {
                    if has_action {
                        issue(
                            "rule",
                            format!("{label}: a managed rule group takes `override_action` (`none = {{}}` or `count = {{}}`), not `action`"),
                        );
                    } else if !has_override {
                        issue(
                            "rule",
                            format!("{label}: a managed rule group needs `override_action = {{ none = {{}} }}` (or `count = {{}}`)"),
                        );
                    }
                    let overrides = statement
                        .get("managed_rule_group_statement")
                        .and_then(Value::as_map)
                        .and_then(|m| m.get("rule_action_override"))
                        .and_then(Value::as_list)
                        .unwrap_or_default();
                    for (j, o) in overrides.iter().enumerate() {
                        if let Some(m) = o
                            .as_map()
                            .and_then(|o| o.get("action_to_use"))
                            .and_then(|v| choice_problem(v, RULE_ACTIONS))
                        {
                            issue(
                                "rule",
                                format!("{label}: rule_action_override[{j}].action_to_use: {m}"),
                            );
                        }
                    }
                }
                (false, true) => {
                    if has_override {
                        issue(
                            "rule",
                            format!("{label}: a rate-based rule takes `action`, not `override_action` (which is for rule groups)"),
                        );
                    } else if !has_action {
                        issue(
                            "rule",
                            format!("{label}: a rate-based rule needs an `action`, e.g. `action = {{ block = {{}} }}`"),
                        );
                    }
                }
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut scopes: BTreeSet<&str> = BTreeSet::new();
        let mut unrecorded = false;
        for r in requests {
            match r.prior.str("scope") {
                Some(s) => {
                    scopes.insert(s);
                }
                None => unrecorded = true,
            }
        }
        // A request without a recorded scope (an import by id) is looked
        // for in both.
        let optional: BTreeSet<&str> = if unrecorded {
            SCOPES.into_iter().filter(|s| !scopes.contains(s)).collect()
        } else {
            BTreeSet::new()
        };
        scopes.extend(optional.iter().copied());
        let found = self.find(&scopes, &optional).await?;
        let reads = requests
            .iter()
            .map(|r| {
                let at = found.get(r.id);
                Box::pin(async move {
                    let Some((name, scope)) = at else {
                        return Ok(None);
                    };
                    self.read_one(name, scope, r.id, r.prior, &ctx.default_tags)
                        .await
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    /// Terraform's import id `ID/NAME/SCOPE`; a bare id is looked for in
    /// both scopes.
    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let mut prior = Object::new();
        let parts: Vec<&str> = id.split('/').collect();
        let acl_id = match parts.as_slice() {
            [acl_id, name, scope] => {
                if !SCOPES.contains(scope) {
                    return Err(ProviderError::new(
                        "aws_wafv2_web_acl:import",
                        "InvalidImportId",
                        format!("`{id}`: the scope must be REGIONAL or CLOUDFRONT (import id ID/NAME/SCOPE)"),
                    ));
                }
                prior.insert("name".into(), Value::from(*name));
                prior.insert("scope".into(), Value::from(*scope));
                *acl_id
            }
            [acl_id] => *acl_id,
            _ => {
                return Err(ProviderError::new(
                    "aws_wafv2_web_acl:import",
                    "InvalidImportId",
                    format!("`{id}` is not ID/NAME/SCOPE"),
                ))
            }
        };
        let mut out = self
            .read(
                &[ReadRequest {
                    id: acl_id,
                    prior: &prior,
                }],
                ctx,
            )
            .await?;
        Ok(out.pop().unwrap_or(ReadOutcome::Gone))
    }

    // Name and scope are its identity: a create retried after a crash finds
    // the ACL by name and adopts it when it carries this stack's and
    // address's ownership tags.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        const OP: &str = "wafv2:CreateWebACL";
        let client = self.waf.client().await?;
        let name = planned.str("name").unwrap_or_default();
        let scope = planned.str("scope").unwrap_or("REGIONAL");
        let body = AclBody::from(planned, OP)?;
        let all_tags = ctx.create_tags(planned);
        let created = client
            .create_web_acl()
            .name(name)
            .scope(Scope::from(scope))
            .default_action(body.default_action)
            .set_description(body.description)
            .set_rules(Some(body.rules))
            .visibility_config(body.visibility)
            .set_tags(Some(sdk_tags(&all_tags)))
            .send()
            .await;
        match created {
            Ok(out) => {
                let id = created_id(OP, out.summary().and_then(|s| s.id()))?;
                let partial: Object = [
                    ("id".to_string(), Value::from(id.as_str())),
                    ("name".to_string(), Value::from(name)),
                    ("scope".to_string(), Value::from(scope)),
                ]
                .into();
                // The tags are the ones just sent: no need to list them.
                let (acl, token) = match self.get(name, scope, &id).await {
                    Ok(Some(found)) => found,
                    Ok(None) => {
                        return Err(ProviderError::new(
                            "wafv2:GetWebACL",
                            "WAFNonexistentItemException",
                            format!("web ACL {name} ({id}) not found after creating it"),
                        )
                        .with_partial(partial))
                    }
                    Err(e) => return Err(e.with_partial(partial)),
                };
                Ok(object(
                    &acl,
                    scope,
                    &token,
                    &all_tags,
                    planned,
                    &ctx.default_tags,
                ))
            }
            Err(e) => {
                let e = error(OP, e);
                if !is_duplicate(&e) {
                    return Err(e);
                }
                let existing = self
                    .list(scope)
                    .await?
                    .into_iter()
                    .find(|s| s.name() == Some(name));
                let (Some(id), Some(arn)) = (
                    existing.as_ref().and_then(|s| s.id()),
                    existing.as_ref().and_then(|s| s.arn()),
                ) else {
                    return Err(e);
                };
                if !ctx.owns(&self.tags_of(arn).await?) {
                    return Err(ProviderError {
                        message: format!(
                            "{}: a {scope} web ACL named `{name}` already exists ({id}) and is not this stack's; import it or choose another name",
                            e.message
                        ),
                        ..e
                    });
                }
                let prior = self
                    .read_written(name, scope, id, planned, &ctx.default_tags)
                    .await?;
                let changed = [
                    "description",
                    "default_action",
                    "rule",
                    "visibility_config",
                    "tags",
                ]
                .map(String::from);
                self.update(ctx, id, &prior, planned, &changed).await
            }
        }
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.waf.client().await?;
        let mut body_changed = false;
        let mut tags_changed = false;
        for name in changed {
            match name.as_str() {
                "description" | "default_action" | "rule" | "visibility_config" => {
                    body_changed = true
                }
                "tags" => tags_changed = true,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        let name = prior
            .str("name")
            .or_else(|| planned.str("name"))
            .unwrap_or_default();
        let scope = prior
            .str("scope")
            .or_else(|| planned.str("scope"))
            .unwrap_or("REGIONAL");
        if body_changed {
            self.put(name, scope, id, prior.str("lock_token"), planned)
                .await?;
        }
        if tags_changed {
            let arn = prior.str("arn").unwrap_or_default();
            let tag = |set: tags::Tags| async move {
                client
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(sdk_tags(&set)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("wafv2:TagResource", e))
            };
            let untag = |keys: Vec<String>| async move {
                client
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("wafv2:UntagResource", e))
            };
            sync_tags(ctx, prior, planned, tag, untag).await?;
        }
        self.read_written(name, scope, id, planned, &ctx.default_tags)
            .await
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        const OP: &str = "wafv2:DeleteWebACL";
        let client = self.waf.client().await?;
        let Some((name, scope)) = self.locate(id, prior).await? else {
            return Ok(());
        };
        let (name, scope) = (name.as_str(), scope.as_str());
        // Each try with a fresh lock token; an association removed a
        // moment earlier may still hold the ACL for a while.
        let retry = [
            RetryOn::new("WAFOptimisticLockException", Duration::from_secs(60)),
            RetryOn::new(
                "WAFAssociatedItemException",
                ctx.timeout.min(ASSOCIATED_WAIT),
            ),
        ];
        let result = delete_with_retry("WAFv2 web ACL", &retry, || async move {
            let Some((_, token)) = self.get(name, scope, id).await? else {
                return Ok(());
            };
            match client
                .delete_web_acl()
                .name(name)
                .scope(Scope::from(scope))
                .id(id)
                .lock_token(token)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error(OP, e);
                    if is_gone(&e) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await;
        match result {
            Err(e) if e.code == "WAFAssociatedItemException" => Err(ProviderError {
                message: format!(
                    "{}: web ACL {name} is still associated with a resource (a load balancer, an API stage, ...); remove its aws_wafv2_web_acl_association first",
                    e.message
                ),
                ..e
            }),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_metric_names_follow_waf_patterns() {
        assert_eq!(name_problem("tracker-restapi_staging"), None);
        assert!(name_problem("has space").is_some());
        assert!(name_problem("").is_some());
        assert!(name_problem(&"a".repeat(129)).is_some());
        assert_eq!(metric_problem("Common#1:x.y-z/w_v"), None);
        assert!(metric_problem("no spaces").unwrap().contains("` `"));
        assert!(metric_problem(&"m".repeat(256)).unwrap().contains("255"));
        assert!(metric_problem("").is_some());
    }
}
