//! `aws_lb`: an application load balancer. Subnets, security groups, the
//! IP address type and the attributes (idle timeout, header checks,
//! access logs, deletion protection, HTTP/2) change in place; the name,
//! scheme and type force a new one. With `enable_deletion_protection`,
//! the plan refuses to destroy or replace it before any call (AWS would
//! refuse halfway through an apply).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer as SdkLb, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerStateEnum, LoadBalancerTypeEnum,
};
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{created_id, error, read_concurrently, wait_until, ReadFuture, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{
    arn_resource, describe_by_arns, generated_name, recorded_prefix, Elbv2, READ_CONCURRENCY,
};

pub struct LoadBalancer {
    elb: Arc<Elbv2>,
    tagging: Arc<Tagging>,
}

impl LoadBalancer {
    pub fn new(elb: Arc<Elbv2>, tagging: Arc<Tagging>) -> Self {
        LoadBalancer { elb, tagging }
    }
}

/// The attributes set through ModifyLoadBalancerAttributes: (cairn name,
/// AWS key, default as AWS writes it).
const ATTRIBUTES: [(&str, &str, &str); 4] = [
    ("idle_timeout", "idle_timeout.timeout_seconds", "60"),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        "false",
    ),
    (
        "enable_deletion_protection",
        "deletion_protection.enabled",
        "false",
    ),
    ("enable_http2", "routing.http2.enabled", "true"),
];

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let logs = Schema::new()
            .attr("bucket", Attribute::string().required())
            .attr("prefix", Attribute::string())
            .attr("enabled", Attribute::bool().default(false));
        Schema::new()
            .describe("An application load balancer; subnets, security groups and attributes change in place. With `enable_deletion_protection` the plan refuses to destroy or replace it.")
            .attr("name", Attribute::string().optional_computed().force_new())
            .attr("name_prefix", Attribute::string().force_new())
            .attr("internal", Attribute::bool().default(false).force_new())
            .attr(
                "load_balancer_type",
                Attribute::string()
                    .default("application")
                    .force_new()
                    .check(Check::OneOf(&["application"])),
            )
            .attr("subnets", Attribute::new(Type::set(Type::String)).required())
            .attr(
                "security_groups",
                Attribute::new(Type::set(Type::String)).optional_computed(),
            )
            .attr(
                "ip_address_type",
                Attribute::string()
                    .default("ipv4")
                    .check(Check::OneOf(&["ipv4", "dualstack"])),
            )
            .attr("idle_timeout", Attribute::number().default(60).check(Check::Range(1, 4000)))
            .attr("drop_invalid_header_fields", Attribute::bool().default(false))
            .attr(
                "enable_deletion_protection",
                Attribute::bool()
                    .default(false)
                    .describe("AWS refuses to delete the load balancer while true; cairn refuses the plan."),
            )
            .attr("enable_http2", Attribute::bool().default(true))
            .attr("access_logs", Attribute::new(Type::object(logs)))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("arn_suffix", Attribute::string().computed())
            .attr("dns_name", Attribute::string().computed())
            .attr("zone_id", Attribute::string().computed())
            .attr("vpc_id", Attribute::string().computed())
            .with_tags()
    })
}

fn attribute_value(config: &Object, name: &str, default: &str) -> String {
    match config.get(name) {
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => format!("{}", *n as i64),
        _ => default.to_string(),
    }
}

/// Every attribute cairn manages, as ModifyLoadBalancerAttributes takes them.
fn sdk_attributes(config: &Object) -> Vec<LoadBalancerAttribute> {
    let mut out: Vec<LoadBalancerAttribute> = ATTRIBUTES
        .iter()
        .map(|(name, key, default)| {
            LoadBalancerAttribute::builder()
                .key(*key)
                .value(attribute_value(config, name, default))
                .build()
        })
        .collect();
    let logs = config.get("access_logs").and_then(Value::as_map);
    let log = |k: &str, v: String| LoadBalancerAttribute::builder().key(k).value(v).build();
    out.push(log(
        "access_logs.s3.enabled",
        logs.and_then(|l| l.bool("enabled"))
            .unwrap_or(false)
            .to_string(),
    ));
    out.push(log(
        "access_logs.s3.bucket",
        logs.and_then(|l| l.str("bucket")).unwrap_or("").to_string(),
    ));
    out.push(log(
        "access_logs.s3.prefix",
        logs.and_then(|l| l.str("prefix")).unwrap_or("").to_string(),
    ));
    out
}

fn object(
    lb: &SdkLb,
    attributes: &HashMap<String, String>,
    prior: &Object,
    live_tags: &Tags,
    default_tags: &Tags,
) -> Object {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), arn.into());
    o.insert("arn".into(), arn.into());
    o.insert(
        "arn_suffix".into(),
        arn_resource(arn).trim_start_matches("loadbalancer/").into(),
    );
    o.insert("name".into(), Value::from(lb.load_balancer_name()));
    o.insert(
        "internal".into(),
        Value::from(lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal)),
    );
    o.insert(
        "load_balancer_type".into(),
        Value::from(lb.r#type().map(|t| t.as_str()).unwrap_or("application")),
    );
    let mut subnets: Vec<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id().map(str::to_string))
        .collect();
    subnets.sort();
    o.insert("subnets".into(), Value::from(subnets));
    let mut groups = lb.security_groups().to_vec();
    groups.sort();
    o.insert("security_groups".into(), Value::from(groups));
    o.insert(
        "ip_address_type".into(),
        Value::from(lb.ip_address_type().map(|t| t.as_str()).unwrap_or("ipv4")),
    );
    o.insert("dns_name".into(), Value::from(lb.dns_name()));
    o.insert("zone_id".into(), Value::from(lb.canonical_hosted_zone_id()));
    o.insert("vpc_id".into(), Value::from(lb.vpc_id()));
    let attr = |key: &str, default: &str| {
        attributes
            .get(key)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    for (name, key, default) in ATTRIBUTES {
        let v = attr(key, default);
        o.insert(
            name.into(),
            match v.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => Value::from(v == "true"),
            },
        );
    }
    let bucket = attr("access_logs.s3.bucket", "");
    let enabled = attr("access_logs.s3.enabled", "false") == "true";
    let logs = (!bucket.is_empty() || enabled).then(|| {
        let prefix = attr("access_logs.s3.prefix", "");
        let logs: Object = [
            ("bucket".to_string(), Value::from(bucket)),
            (
                "prefix".to_string(),
                Value::from((!prefix.is_empty()).then_some(prefix)),
            ),
            ("enabled".to_string(), Value::from(enabled)),
        ]
        .into();
        Value::Map(logs)
    });
    o.insert("access_logs".into(), logs.unwrap_or(Value::Null));
    // An input AWS does not keep (only the name made from it).
    o.insert(
        "name_prefix".into(),
        recorded_prefix(prior, lb.load_balancer_name()),
    );
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

impl LoadBalancer {
    /// The load balancers of these ARNs that exist. One unknown ARN fails
    /// a DescribeLoadBalancers by ARNs, so then every one is listed (400 a
    /// page) instead.
    async fn describe(&self, arns: &[&str]) -> Result<HashMap<String, SdkLb>, ProviderError> {
        let client = self.elb.client().await?;
        describe_by_arns(
            arns,
            |lb: &SdkLb| lb.load_balancer_arn(),
            |chunk| async move {
                client
                    .describe_load_balancers()
                    .set_load_balancer_arns(Some(chunk))
                    .send()
                    .await
                    .map(|p| p.load_balancers().to_vec())
                    .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancers", e))
            },
            || async { Ok(list_all(client).await?.into_values().collect()) },
        )
        .await
    }

    async fn attributes(&self, arn: &str) -> Result<HashMap<String, String>, ProviderError> {
        let client = self.elb.client().await?;
        let out = client
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancerAttributes", e))?;
        Ok(out
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())))
            .collect())
    }

    async fn read_one(
        &self,
        arn: &str,
        prior: &Object,
        default_tags: &Tags,
    ) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let lb = self.describe(&[arn]).await?.remove(arn).ok_or_else(|| {
            ProviderError::new(
                "elasticloadbalancing:DescribeLoadBalancers",
                "LoadBalancerNotFound",
                format!("load balancer {arn} not found after writing it"),
            )
        })?;
        let attributes = self.attributes(arn).await?;
        let live = crate::tags::of(client, &[arn])
            .await?
            .remove(arn)
            .unwrap_or_default();
        Ok(object(&lb, &attributes, prior, &live, default_tags))
    }

    async fn modify_attributes(&self, arn: &str, planned: &Object) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        client
            .modify_load_balancer_attributes()
            .load_balancer_arn(arn)
            .set_attributes(Some(sdk_attributes(planned)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticloadbalancing:ModifyLoadBalancerAttributes", e))
    }

    /// Until the load balancer is `active` (minutes on AWS), bounded.
    async fn wait_active(&self, arn: &str, timeout: Duration) -> Result<(), ProviderError> {
        wait_until(
            &format!("load balancer {arn} to become active"),
            timeout,
            Duration::from_secs(10),
            || async {
                let lb = self.describe(&[arn]).await?.remove(arn);
                let state = lb.as_ref().and_then(|l| l.state()).and_then(|s| s.code());
                match state {
                    Some(LoadBalancerStateEnum::Active) => Ok(Some(())),
                    Some(LoadBalancerStateEnum::Failed) => Err(ProviderError::new(
                        "elasticloadbalancing:DescribeLoadBalancers",
                        "Failed",
                        format!(
                            "load balancer {arn} failed to provision: {}",
                            lb.as_ref()
                                .and_then(|l| l.state())
                                .and_then(|s| s.reason())
                                .unwrap_or("no reason given")
                        ),
                    )),
                    _ => Ok(None),
                }
            },
        )
        .await
    }
}

/// Every load balancer of the account and region, by ARN.
pub async fn list_all(client: &Client) -> Result<HashMap<String, SdkLb>, ProviderError> {
    let all: Vec<SdkLb> = client
        .describe_load_balancers()
        .page_size(400)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| error("elasticloadbalancing:DescribeLoadBalancers", e))?;
    Ok(all
        .into_iter()
        .filter_map(|lb| Some((lb.load_balancer_arn()?.to_string(), lb)))
        .collect())
}

#[async_trait]
impl Resource for LoadBalancer {
    fn type_name(&self) -> &'static str {
        "aws_lb"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        if let Some(name) = config.str("name") {
            if let Some(m) = name_problem(name, 32) {
                issues.push(ValidationIssue {
                    attribute: "name".into(),
                    message: m,
                });
            }
        }
        if config.str("name").is_some() && config.str("name_prefix").is_some() {
            issues.push(ValidationIssue {
                attribute: "name_prefix".into(),
                message: "set `name` or `name_prefix`, not both".into(),
            });
        }
        if let Some(p) = config.str("name_prefix").filter(|p| p.len() > 6) {
            issues.push(ValidationIssue {
                attribute: "name_prefix".into(),
                message: format!("`{p}` is longer than 6 characters"),
            });
        }
        if config
            .get("subnets")
            .and_then(Value::as_list)
            .is_some_and(|s| s.len() < 2 && s.iter().all(|v| !v.is_unknown()))
        {
            issues.push(ValidationIssue {
                attribute: "subnets".into(),
                message:
                    "an application load balancer needs subnets in at least two availability zones"
                        .into(),
            });
        }
        issues
    }

    fn deletion_protection(&self, prior: &Object) -> Option<&'static str> {
        (prior.bool("enable_deletion_protection") == Some(true))
            .then_some("enable_deletion_protection")
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
                let lb = found.get(r.id);
                let tags = &tags;
                Box::pin(async move {
                    let Some(lb) = lb else { return Ok(None) };
                    // No batch read of attributes: one call per load balancer.
                    let attributes = self.attributes(r.id).await?;
                    let live = tags.get(r.id).cloned().unwrap_or_default();
                    Ok(Some(object(
                        lb,
                        &attributes,
                        r.prior,
                        &live,
                        &ctx.default_tags,
                    )))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.tagging
            .owned_entries("elasticloadbalancing:loadbalancer", stack)
            .await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let name = match planned.str("name") {
            Some(n) => n.to_string(),
            None => generated_name(planned.str("name_prefix"), &ctx.idempotency_token),
        };
        let scheme = if planned.bool("internal").unwrap_or(false) {
            LoadBalancerSchemeEnum::Internal
        } else {
            LoadBalancerSchemeEnum::InternetFacing
        };
        let groups = planned.strings("security_groups");
        let out = client
            .create_load_balancer()
            .name(&name)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(scheme)
            .set_subnets(Some(planned.strings("subnets")))
            .set_security_groups((!groups.is_empty()).then_some(groups))
            .ip_address_type(IpAddressType::from(
                planned.str("ip_address_type").unwrap_or("ipv4"),
            ))
            .set_tags(Some(crate::tags::sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:CreateLoadBalancer", e))?;
        let arn = created_id(
            "elasticloadbalancing:CreateLoadBalancer",
            out.load_balancers()
                .first()
                .and_then(|lb| lb.load_balancer_arn()),
        )?;
        self.wait_active(&arn, ctx.timeout)
            .await
            .map_err(|e| e.with_partial_id(&arn))?;
        self.modify_attributes(&arn, planned)
            .await
            .map_err(|e| e.with_partial_id(&arn))?;
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
        let mut attributes = false;
        for name in changed {
            match name.as_str() {
                "subnets" => {
                    client
                        .set_subnets()
                        .load_balancer_arn(id)
                        .set_subnets(Some(planned.strings("subnets")))
                        .send()
                        .await
                        .map_err(|e| error("elasticloadbalancing:SetSubnets", e))?;
                }
                "security_groups" => {
                    client
                        .set_security_groups()
                        .load_balancer_arn(id)
                        .set_security_groups(Some(planned.strings("security_groups")))
                        .send()
                        .await
                        .map_err(|e| error("elasticloadbalancing:SetSecurityGroups", e))?;
                }
                "ip_address_type" => {
                    client
                        .set_ip_address_type()
                        .load_balancer_arn(id)
                        .ip_address_type(IpAddressType::from(
                            planned.str("ip_address_type").unwrap_or("ipv4"),
                        ))
                        .send()
                        .await
                        .map_err(|e| error("elasticloadbalancing:SetIpAddressType", e))?;
                }
                "idle_timeout"
                | "drop_invalid_header_fields"
                | "enable_deletion_protection"
                | "enable_http2"
                | "access_logs" => attributes = true,
                "tags" => crate::tags::sync(client, ctx, id, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if attributes {
            self.modify_attributes(id, planned).await?;
        }
        self.read_one(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        match client
            .delete_load_balancer()
            .load_balancer_arn(id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = error("elasticloadbalancing:DeleteLoadBalancer", e);
                if cairn_aws::is_not_found(&e) {
                    return Ok(());
                }
                if e.code == "OperationNotPermitted" {
                    return Err(ProviderError {
                        message: format!(
                            "{}: deletion protection is on in AWS; apply enable_deletion_protection = false first",
                            e.message
                        ),
                        ..e
                    });
                }
                return Err(e);
            }
        }
        // Its network interfaces go with it: security groups and subnets
        // deleted next need it gone.
        wait_until(
            &format!("load balancer {id} to be deleted"),
            ctx.timeout,
            Duration::from_secs(5),
            || async { Ok(self.describe(&[id]).await?.is_empty().then_some(())) },
        )
        .await
    }
}

/// Letters, digits and hyphens, at most `max`, not starting or ending
/// with a hyphen, not starting with `internal-`.
pub fn name_problem(name: &str, max: usize) -> Option<String> {
    if name.is_empty() || name.len() > max {
        return Some(format!("`{name}` must be 1 to {max} characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(format!(
            "`{name}` may hold only letters, digits and hyphens"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some(format!("`{name}` must not begin or end with a hyphen"));
    }
    if name.starts_with("internal-") {
        return Some(format!("`{name}` must not begin with `internal-`"));
    }
    None
}
