//! `aws_lb_target_group`: where a listener sends requests (`ip` targets
//! for Fargate). The health check and the deregistration delay change in
//! place; name, port, protocol, VPC and target type force a new group, so
//! a group in use is replaced with `create_before_destroy` and
//! `name_prefix` (the new group gets a new name).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as SdkTg, TargetGroupAttribute, TargetTypeEnum,
};
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{
    created_id, delete_with_retry, error, read_concurrently, ReadFuture, RetryOn, Tagging,
};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::lb::name_problem;
use crate::{
    arn_resource, describe_by_arns, generated_name, recorded_prefix, Elbv2, READ_CONCURRENCY,
};

pub struct TargetGroup {
    elb: Arc<Elbv2>,
    tagging: Arc<Tagging>,
}

impl TargetGroup {
    pub fn new(elb: Arc<Elbv2>, tagging: Arc<Tagging>) -> Self {
        TargetGroup { elb, tagging }
    }
}

const DELAY_KEY: &str = "deregistration_delay.timeout_seconds";

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        // Terraform's defaults, sent explicitly so AWS holds what the
        // plan shows.
        let health = Schema::new()
            .attr("enabled", Attribute::bool().default(true))
            .attr("path", Attribute::string().default("/"))
            .attr("port", Attribute::string().default("traffic-port"))
            .attr(
                "protocol",
                Attribute::string()
                    .default("HTTP")
                    .check(Check::OneOf(&["HTTP", "HTTPS"])),
            )
            .attr("matcher", Attribute::string().default("200"))
            .attr("interval", Attribute::number().default(30).check(Check::Range(5, 300)))
            .attr("timeout", Attribute::number().default(5).check(Check::Range(2, 120)))
            .attr("healthy_threshold", Attribute::number().default(3).check(Check::Range(2, 10)))
            .attr(
                "unhealthy_threshold",
                Attribute::number().default(3).check(Check::Range(2, 10)),
            );
        Schema::new()
            .describe("A load balancer target group (`ip` targets for Fargate); health check and deregistration delay in place. Replace one in use with `create_before_destroy` and `name_prefix`.")
            .attr("name", Attribute::string().optional_computed().force_new())
            .attr("name_prefix", Attribute::string().force_new())
            .attr("port", Attribute::number().required().force_new().check(Check::Range(1, 65535)))
            .attr(
                "protocol",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::OneOf(&["HTTP", "HTTPS"])),
            )
            .attr(
                "protocol_version",
                Attribute::string()
                    .default("HTTP1")
                    .force_new()
                    .check(Check::OneOf(&["HTTP1", "HTTP2", "GRPC"])),
            )
            .attr("vpc_id", Attribute::string().required().force_new())
            .attr(
                "target_type",
                Attribute::string()
                    .default("instance")
                    .force_new()
                    .check(Check::OneOf(&["instance", "ip"])),
            )
            .attr(
                "deregistration_delay",
                Attribute::number().default(300).check(Check::Range(0, 3600)),
            )
            .attr("health_check", Attribute::new(Type::object(health)).optional_computed())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("arn_suffix", Attribute::string().computed())
            .with_tags()
    })
}

fn health(config: &Object) -> Option<&Object> {
    config.get("health_check").and_then(Value::as_map)
}

fn object(
    tg: &SdkTg,
    delay: Option<i64>,
    prior: &Object,
    live_tags: &Tags,
    default_tags: &Tags,
) -> Object {
    let arn = tg.target_group_arn().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), arn.into());
    o.insert("arn".into(), arn.into());
    o.insert("arn_suffix".into(), arn_resource(arn).into());
    o.insert("name".into(), Value::from(tg.target_group_name()));
    // An input AWS does not keep (only the name made from it).
    o.insert(
        "name_prefix".into(),
        recorded_prefix(prior, tg.target_group_name()),
    );
    o.insert("port".into(), Value::from(tg.port()));
    o.insert(
        "protocol".into(),
        Value::from(tg.protocol().map(|p| p.as_str())),
    );
    o.insert(
        "protocol_version".into(),
        Value::from(tg.protocol_version().unwrap_or("HTTP1")),
    );
    o.insert("vpc_id".into(), Value::from(tg.vpc_id()));
    o.insert(
        "target_type".into(),
        Value::from(tg.target_type().map(|t| t.as_str()).unwrap_or("instance")),
    );
    o.insert(
        "deregistration_delay".into(),
        Value::from(delay.unwrap_or(300)),
    );
    let health: Object = [
        (
            "enabled",
            Value::from(tg.health_check_enabled().unwrap_or(true)),
        ),
        ("path", Value::from(tg.health_check_path())),
        ("port", Value::from(tg.health_check_port())),
        (
            "protocol",
            Value::from(tg.health_check_protocol().map(|p| p.as_str())),
        ),
        (
            "matcher",
            Value::from(tg.matcher().and_then(|m| m.http_code())),
        ),
        ("interval", Value::from(tg.health_check_interval_seconds())),
        ("timeout", Value::from(tg.health_check_timeout_seconds())),
        (
            "healthy_threshold",
            Value::from(tg.healthy_threshold_count()),
        ),
        (
            "unhealthy_threshold",
            Value::from(tg.unhealthy_threshold_count()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    o.insert("health_check".into(), Value::Map(health));
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

impl TargetGroup {
    /// The target groups of these ARNs that exist (listing every group
    /// when one ARN is unknown, which fails a describe by ARNs).
    async fn describe(&self, arns: &[&str]) -> Result<HashMap<String, SdkTg>, ProviderError> {
        const OP: &str = "elasticloadbalancing:DescribeTargetGroups";
        let client = self.elb.client().await?;
        describe_by_arns(
            arns,
            |t: &SdkTg| t.target_group_arn(),
            |chunk| async move {
                client
                    .describe_target_groups()
                    .set_target_group_arns(Some(chunk))
                    .send()
                    .await
                    .map(|p| p.target_groups().to_vec())
                    .map_err(|e| error(OP, e))
            },
            || async {
                client
                    .describe_target_groups()
                    .page_size(400)
                    .into_paginator()
                    .items()
                    .send()
                    .collect::<Result<Vec<_>, _>>()
                    .await
                    .map_err(|e| error(OP, e))
            },
        )
        .await
    }

    async fn delay(client: &Client, arn: &str) -> Result<Option<i64>, ProviderError> {
        let out = client
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:DescribeTargetGroupAttributes", e))?;
        Ok(out
            .attributes()
            .iter()
            .find(|a| a.key() == Some(DELAY_KEY))
            .and_then(|a| a.value()?.parse().ok()))
    }

    async fn read_one(
        &self,
        arn: &str,
        prior: &Object,
        default_tags: &Tags,
    ) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let tg = self.describe(&[arn]).await?.remove(arn).ok_or_else(|| {
            ProviderError::new(
                "elasticloadbalancing:DescribeTargetGroups",
                "TargetGroupNotFound",
                format!("target group {arn} not found after writing it"),
            )
        })?;
        let delay = Self::delay(client, arn).await?;
        let live = crate::tags::of(client, &[arn])
            .await?
            .remove(arn)
            .unwrap_or_default();
        Ok(object(&tg, delay, prior, &live, default_tags))
    }

    /// The ARN of the group named `name` when it carries this stack's and
    /// address's ownership tags.
    async fn owned_named(
        &self,
        client: &Client,
        name: &str,
        ctx: &OpContext,
    ) -> Result<Option<String>, ProviderError> {
        let out = match client.describe_target_groups().names(name).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = error("elasticloadbalancing:DescribeTargetGroups", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let Some(arn) = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
        else {
            return Ok(None);
        };
        let live = crate::tags::of(client, &[arn])
            .await?
            .remove(arn)
            .unwrap_or_default();
        Ok(ctx.owns(&live).then(|| arn.to_string()))
    }

    async fn set_delay(client: &Client, arn: &str, planned: &Object) -> Result<(), ProviderError> {
        client
            .modify_target_group_attributes()
            .target_group_arn(arn)
            .attributes(
                TargetGroupAttribute::builder()
                    .key(DELAY_KEY)
                    .value(
                        planned
                            .i64("deregistration_delay")
                            .unwrap_or(300)
                            .to_string(),
                    )
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticloadbalancing:ModifyTargetGroupAttributes", e))
    }
}

/// A health-check number, as the SDK takes it.
fn hc_int(h: Option<&Object>, k: &str) -> Option<i32> {
    h.and_then(|h| h.i64(k)).and_then(|n| i32::try_from(n).ok())
}

#[async_trait]
impl Resource for TargetGroup {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.into(),
                message,
            })
        };
        if let Some(m) = config.str("name").and_then(|n| name_problem(n, 32)) {
            issue("name", m);
        }
        if config.str("name").is_some() && config.str("name_prefix").is_some() {
            issue(
                "name_prefix",
                "set `name` or `name_prefix`, not both".into(),
            );
        }
        if let Some(p) = config.str("name_prefix").filter(|p| p.len() > 6) {
            issue("name_prefix", format!("`{p}` is longer than 6 characters"));
        }
        let h = health(config);
        if let (Some(interval), Some(timeout)) = (hc_int(h, "interval"), hc_int(h, "timeout")) {
            if timeout >= interval {
                issue(
                    "health_check",
                    format!("the health check timeout ({timeout}s) must be shorter than its interval ({interval}s)"),
                );
            }
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
        let reads = requests
            .iter()
            .map(|r| {
                let tg = found.get(r.id);
                let tags = &tags;
                Box::pin(async move {
                    let Some(tg) = tg else { return Ok(None) };
                    // No batch read of attributes: one call per group.
                    let delay = Self::delay(client, r.id).await?;
                    let live = tags.get(r.id).cloned().unwrap_or_default();
                    Ok(Some(object(tg, delay, r.prior, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.tagging
            .owned_entries("elasticloadbalancing:targetgroup", stack)
            .await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let name = match planned.str("name") {
            Some(n) => n.to_string(),
            None => generated_name(planned.str("name_prefix"), &ctx.idempotency_token),
        };
        let h = health(planned);
        let hs = |k: &str, d: &str| h.and_then(|h| h.str(k)).unwrap_or(d).to_string();
        let out = client
            .create_target_group()
            .name(&name)
            .set_port(planned.i64("port").and_then(|p| i32::try_from(p).ok()))
            .protocol(ProtocolEnum::from(
                planned.str("protocol").unwrap_or("HTTP"),
            ))
            .protocol_version(planned.str("protocol_version").unwrap_or("HTTP1"))
            .set_vpc_id(planned.str("vpc_id").map(str::to_string))
            .target_type(TargetTypeEnum::from(
                planned.str("target_type").unwrap_or("instance"),
            ))
            .health_check_enabled(h.and_then(|h| h.bool("enabled")).unwrap_or(true))
            .health_check_path(hs("path", "/"))
            .health_check_port(hs("port", "traffic-port"))
            .health_check_protocol(ProtocolEnum::from(hs("protocol", "HTTP").as_str()))
            .matcher(Matcher::builder().http_code(hs("matcher", "200")).build())
            .health_check_interval_seconds(hc_int(h, "interval").unwrap_or(30))
            .health_check_timeout_seconds(hc_int(h, "timeout").unwrap_or(5))
            .healthy_threshold_count(hc_int(h, "healthy_threshold").unwrap_or(3))
            .unhealthy_threshold_count(hc_int(h, "unhealthy_threshold").unwrap_or(3))
            .set_tags(Some(crate::tags::sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        let arn = match out {
            Ok(out) => created_id(
                "elasticloadbalancing:CreateTargetGroup",
                out.target_groups()
                    .first()
                    .and_then(|t| t.target_group_arn()),
            )?,
            Err(e) => {
                let e = error("elasticloadbalancing:CreateTargetGroup", e);
                if e.code != "DuplicateTargetGroupName" {
                    return Err(e);
                }
                // The name is made from this create's token: the group of
                // an interrupted try of this same create is adopted.
                match self.owned_named(client, &name, ctx).await? {
                    Some(arn) => {
                        let prior = self.read_one(&arn, planned, &ctx.default_tags).await?;
                        let changed = ["health_check", "deregistration_delay", "tags"].map(String::from);
                        return self.update(ctx, &arn, &prior, planned, &changed).await;
                    }
                    None => {
                        return Err(ProviderError {
                            message: format!("{}: a target group named {name} exists and is not this address's; to replace a group in use, set `name_prefix` instead of `name` with create_before_destroy", e.message),
                            ..e
                        })
                    }
                }
            }
        };
        if planned.i64("deregistration_delay").unwrap_or(300) != 300 {
            Self::set_delay(client, &arn, planned)
                .await
                .map_err(|e| e.with_partial_id(&arn))?;
        }
        self.read_one(&arn, planned, &ctx.default_tags)
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
        for name in changed {
            match name.as_str() {
                "deregistration_delay" => Self::set_delay(client, id, planned).await?,
                "health_check" => {
                    let h = health(planned);
                    let hs = |k: &str, d: &str| h.and_then(|h| h.str(k)).unwrap_or(d).to_string();
                    client
                        .modify_target_group()
                        .target_group_arn(id)
                        .health_check_enabled(h.and_then(|h| h.bool("enabled")).unwrap_or(true))
                        .health_check_path(hs("path", "/"))
                        .health_check_port(hs("port", "traffic-port"))
                        .health_check_protocol(ProtocolEnum::from(hs("protocol", "HTTP").as_str()))
                        .matcher(Matcher::builder().http_code(hs("matcher", "200")).build())
                        .health_check_interval_seconds(hc_int(h, "interval").unwrap_or(30))
                        .health_check_timeout_seconds(hc_int(h, "timeout").unwrap_or(5))
                        .healthy_threshold_count(hc_int(h, "healthy_threshold").unwrap_or(3))
                        .unhealthy_threshold_count(hc_int(h, "unhealthy_threshold").unwrap_or(3))
                        .send()
                        .await
                        .map_err(|e| error("elasticloadbalancing:ModifyTargetGroup", e))?;
                }
                "tags" => crate::tags::sync(client, ctx, id, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_one(id, planned, &ctx.default_tags).await
    }

    // A group stays in use for a moment after the listener or rule that
    // used it is deleted.
    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        delete_with_retry(
            &format!("target group {id}"),
            &[RetryOn::new("ResourceInUse", Duration::from_secs(120))],
            || async {
                client
                    .delete_target_group()
                    .target_group_arn(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("elasticloadbalancing:DeleteTargetGroup", e))
            },
        )
        .await
    }
}
