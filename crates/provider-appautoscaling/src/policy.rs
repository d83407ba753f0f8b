//! `aws_appautoscaling_policy`: a target tracking scaling policy on a
//! scalable target (CPU or memory of an ECS service). id = the policy name,
//! as in Terraform. Name, namespace, resource and dimension force a new
//! policy; the type and the target tracking settings change in place by
//! putting the policy again (PutScalingPolicy replaces it, keeping its
//! name, so a retried create adopts what the first try made).
//!
//! Target tracking creates its own CloudWatch alarms (`TargetTracking-...`):
//! they belong to the policy, are listed in `alarm_arns` and go with it.
//! Step scaling (Terraform's default `policy_type`) and customized metrics
//! are not supported: `validate` says so.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalingPolicy,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use cairn_aws::{delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{is_gone, namespace_of, retry_while, AppAutoScaling, BATCH, PROPAGATION};

pub struct Policy {
    aas: Arc<AppAutoScaling>,
}

impl Policy {
    pub fn new(aas: Arc<AppAutoScaling>) -> Self {
        Policy { aas }
    }
}

const TARGET_TRACKING: &str = "TargetTrackingScaling";
const BLOCK: &str = "target_tracking_scaling_policy_configuration";
const PREDEFINED: &str = "predefined_metric_specification";

/// The predefined metrics an ECS service can track.
const ECS_METRICS: &[&str] = &[
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageMemoryUtilization",
    "ALBRequestCountPerTarget",
];

fn metric_type(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !MetricType::values().contains(&s) => Err(format!(
            "`{s}` is not a predefined metric type of Application Auto Scaling (for ECS: {})",
            ECS_METRICS.join(", ")
        )),
        _ => Ok(()),
    }
}

fn name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.is_empty() || s.len() > 256 || s.contains(':') => {
            Err("must be 1 to 256 characters without `:`".into())
        }
        _ => Ok(()),
    }
}

fn cooldown(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if n < 0.0 || n.fract() != 0.0 || n > 31_536_000.0 => {
            Err("must be a whole number of seconds from 0 to 31536000".into())
        }
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let predefined = Schema::new()
            .attr(
                "predefined_metric_type",
                Attribute::string().required().check(Check::Custom(metric_type)),
            )
            .attr(
                "resource_label",
                Attribute::string().describe("for ALBRequestCountPerTarget: app/<lb>/<id>/targetgroup/<tg>/<id>"),
            );
        let tracking = Schema::new()
            .attr("target_value", Attribute::number().required())
            .attr(PREDEFINED, Attribute::new(Type::object(predefined)))
            .attr("disable_scale_in", Attribute::bool().default(false))
            .attr(
                "scale_in_cooldown",
                Attribute::number()
                    .check(Check::Custom(cooldown))
                    .describe("seconds; unset: AWS's default, not compared"),
            )
            .attr(
                "scale_out_cooldown",
                Attribute::number()
                    .check(Check::Custom(cooldown))
                    .describe("seconds; unset: AWS's default, not compared"),
            );
        Schema::new()
            .describe("An Application Auto Scaling target tracking policy (ECS service CPU or memory); id = name; type and tracking settings change in place.")
            .attr("name", Attribute::string().required().force_new().check(Check::Custom(name)))
            .attr(
                "policy_type",
                Attribute::string()
                    .default("StepScaling")
                    .check(Check::OneOf(&["StepScaling", TARGET_TRACKING, "PredictiveScaling"]))
                    .describe("only TargetTrackingScaling is supported; StepScaling is Terraform's default"),
            )
            .attr("service_namespace", Attribute::string().required().force_new())
            .attr("resource_id", Attribute::string().required().force_new())
            .attr("scalable_dimension", Attribute::string().required().force_new())
            .attr(BLOCK, Attribute::new(Type::object(tracking)))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr(
                "alarm_arns",
                Attribute::new(Type::list(Type::String))
                    .computed()
                    .describe("the CloudWatch alarms target tracking made for this policy"),
            )
    })
}

/// Which policy a request means: a name is unique only per scalable
/// target, so the recorded target picks among same-named policies.
struct Key<'a> {
    name: &'a str,
    namespace: &'a str,
    resource_id: Option<&'a str>,
    dimension: Option<&'a str>,
}

fn key<'a>(id: &'a str, prior: &'a Object) -> Key<'a> {
    let resource_id = prior.str("resource_id");
    Key {
        name: prior.str("name").unwrap_or(id),
        namespace: prior
            .str("service_namespace")
            .unwrap_or_else(|| resource_id.map_or("ecs", namespace_of)),
        resource_id,
        dimension: prior.str("scalable_dimension"),
    }
}

fn matches(p: &ScalingPolicy, k: &Key<'_>) -> bool {
    p.policy_name() == k.name
        && p.service_namespace().as_str() == k.namespace
        && k.resource_id.is_none_or(|r| p.resource_id() == r)
        && k.dimension
            .is_none_or(|d| p.scalable_dimension().as_str() == d)
}

fn num(n: Option<i32>) -> Value {
    n.map_or(Value::Null, Value::from)
}

/// The tracking block as AWS holds it. A cooldown the configuration left
/// unset (null in `prior`'s block) stays null: AWS may report its default.
fn tracking(c: &TargetTrackingScalingPolicyConfiguration, prior: Option<&Object>) -> Value {
    let unset = |k: &str| prior.is_some_and(|p| p.get(k).is_none_or(Value::is_null));
    let mut b = Object::new();
    b.insert("target_value".into(), Value::Number(c.target_value()));
    b.insert(
        "disable_scale_in".into(),
        c.disable_scale_in().unwrap_or(false).into(),
    );
    for (k, v) in [
        ("scale_in_cooldown", c.scale_in_cooldown()),
        ("scale_out_cooldown", c.scale_out_cooldown()),
    ] {
        b.insert(k.into(), if unset(k) { Value::Null } else { num(v) });
    }
    b.insert(
        PREDEFINED.into(),
        match c.predefined_metric_specification() {
            Some(p) => Value::Map(
                [
                    (
                        "predefined_metric_type".to_string(),
                        Value::from(p.predefined_metric_type().as_str()),
                    ),
                    (
                        "resource_label".to_string(),
                        Value::from(p.resource_label()),
                    ),
                ]
                .into(),
            ),
            None => Value::Null,
        },
    );
    Value::Map(b)
}

fn object(p: &ScalingPolicy, prior: &Object) -> Object {
    let mut obj = Object::new();
    obj.insert("id".into(), p.policy_name().into());
    obj.insert("name".into(), p.policy_name().into());
    obj.insert("arn".into(), p.policy_arn().into());
    obj.insert("policy_type".into(), p.policy_type().as_str().into());
    obj.insert(
        "service_namespace".into(),
        p.service_namespace().as_str().into(),
    );
    obj.insert("resource_id".into(), p.resource_id().into());
    obj.insert(
        "scalable_dimension".into(),
        p.scalable_dimension().as_str().into(),
    );
    obj.insert(
        BLOCK.into(),
        match p.target_tracking_scaling_policy_configuration() {
            Some(c) => tracking(c, prior.get(BLOCK).and_then(Value::as_map)),
            None => Value::Null,
        },
    );
    obj.insert(
        "alarm_arns".into(),
        Value::from(
            p.alarms()
                .iter()
                .map(|a| a.alarm_arn().to_string())
                .collect::<Vec<_>>(),
        ),
    );
    obj
}

/// The tracking configuration to send, from the planned block.
fn sdk_tracking(
    planned: &Object,
) -> Result<Option<TargetTrackingScalingPolicyConfiguration>, ProviderError> {
    let Some(b) = planned.get(BLOCK).and_then(Value::as_map) else {
        return Ok(None);
    };
    let invalid = |e: aws_sdk_applicationautoscaling::error::BuildError| {
        ProviderError::new(
            "application-autoscaling:PutScalingPolicy",
            "InvalidRequest",
            format!("`{BLOCK}`: {e}"),
        )
    };
    let predefined = b
        .get(PREDEFINED)
        .and_then(Value::as_map)
        .map(|m| {
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::from(
                    m.str("predefined_metric_type").unwrap_or_default(),
                ))
                .set_resource_label(m.str("resource_label").map(str::to_string))
                .build()
        })
        .transpose()
        .map_err(invalid)?;
    let int = |k: &str| b.i64(k).map(|n| n as i32);
    TargetTrackingScalingPolicyConfiguration::builder()
        .set_target_value(b.get("target_value").and_then(Value::as_f64))
        .set_predefined_metric_specification(predefined)
        .set_disable_scale_in(b.bool("disable_scale_in"))
        .set_scale_in_cooldown(int("scale_in_cooldown"))
        .set_scale_out_cooldown(int("scale_out_cooldown"))
        .build()
        .map(Some)
        .map_err(invalid)
}

/// Terraform's import id:
/// `<service-namespace>/<resource-id>/<scalable-dimension>/<policy-name>`.
fn parse_import(id: &str) -> Option<Object> {
    let (namespace, rest) = id.split_once('/')?;
    let (rest, name) = rest.rsplit_once('/')?;
    let (resource_id, dimension) = rest.rsplit_once('/')?;
    if namespace.is_empty() || resource_id.is_empty() || name.is_empty() || !dimension.contains(':')
    {
        return None;
    }
    Some(
        [
            ("name".to_string(), Value::from(name)),
            ("service_namespace".to_string(), Value::from(namespace)),
            ("resource_id".to_string(), Value::from(resource_id)),
            ("scalable_dimension".to_string(), Value::from(dimension)),
        ]
        .into(),
    )
}

impl Policy {
    /// The policies of these names in one namespace: one call per 50 names
    /// and page.
    async fn describe(
        &self,
        namespace: &str,
        names: &[&str],
    ) -> Result<Vec<ScalingPolicy>, ProviderError> {
        let client = self.aas.client().await?;
        let mut out = Vec::new();
        for chunk in names.chunks(BATCH) {
            let pages = client
                .describe_scaling_policies()
                .service_namespace(ServiceNamespace::from(namespace))
                .set_policy_names(Some(chunk.iter().map(|s| s.to_string()).collect()))
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("application-autoscaling:DescribeScalingPolicies", e))?;
            out.extend(
                pages
                    .into_iter()
                    .flat_map(|p| p.scaling_policies.unwrap_or_default()),
            );
        }
        Ok(out)
    }

    /// Puts the policy as planned; its target registered a moment ago may
    /// not be visible yet. The answer is the ARN and the alarms, which with
    /// the plan make the whole object.
    async fn put(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.aas.client().await?;
        let request = client
            .put_scaling_policy()
            .policy_name(planned.str("name").unwrap_or_default())
            .policy_type(PolicyType::from(
                planned.str("policy_type").unwrap_or(TARGET_TRACKING),
            ))
            .service_namespace(ServiceNamespace::from(
                planned.str("service_namespace").unwrap_or_default(),
            ))
            .resource_id(planned.str("resource_id").unwrap_or_default())
            .scalable_dimension(ScalableDimension::from(
                planned.str("scalable_dimension").unwrap_or_default(),
            ))
            .set_target_tracking_scaling_policy_configuration(sdk_tracking(planned)?);
        let transient = |e: &ProviderError| {
            e.code == "ObjectNotFoundException"
                || (e.code == "FailedResourceAccessException"
                    && (e.message.contains("Rate exceeded")
                        || e.message.contains("is not authorized to perform")))
        };
        let out = retry_while(ctx.timeout.min(PROPAGATION), transient, || {
            let request = request.clone();
            async move {
                request
                    .send()
                    .await
                    .map_err(|e| error("application-autoscaling:PutScalingPolicy", e))
            }
        })
        .await?;
        let name = cairn_aws::created_id(
            "application-autoscaling:PutScalingPolicy",
            planned.str("name"),
        )?;
        let mut obj = planned.clone();
        obj.insert("id".into(), name.into());
        obj.insert("arn".into(), out.policy_arn().into());
        obj.insert(
            "alarm_arns".into(),
            Value::from(
                out.alarms()
                    .iter()
                    .map(|a| a.alarm_arn().to_string())
                    .collect::<Vec<_>>(),
            ),
        );
        Ok(obj)
    }
}

#[async_trait]
impl Resource for Policy {
    fn type_name(&self) -> &'static str {
        "aws_appautoscaling_policy"
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
        // Unset means Terraform's default; unknown is checked at apply.
        let policy_type = match config.get("policy_type") {
            None | Some(Value::Null) => Some("StepScaling"),
            Some(v) => v.as_str(),
        };
        if let Some(policy_type) = policy_type.filter(|t| *t != TARGET_TRACKING) {
            issue(
                "policy_type",
                format!(
                    "`{policy_type}` policies are not supported; set policy_type = \"{TARGET_TRACKING}\" (Terraform's default is StepScaling)"
                ),
            );
        }
        let block = config.get(BLOCK);
        if block.is_none_or(Value::is_null) {
            if policy_type == Some(TARGET_TRACKING) {
                issue(BLOCK, format!("a {TARGET_TRACKING} policy needs `{BLOCK}`"));
            }
            return issues;
        }
        let Some(b) = block.and_then(Value::as_map) else {
            return issues;
        };
        if let Some(t) = b.get("target_value").and_then(Value::as_f64) {
            if t <= 0.0 {
                issue(BLOCK, format!("target_value must be above 0, got {t}"));
            }
        }
        match b.get(PREDEFINED) {
            None | Some(Value::Null) => issue(
                BLOCK,
                format!("`{PREDEFINED}` is required: customized metrics are not supported"),
            ),
            Some(p) => {
                let p = p.as_map();
                let metric = p.and_then(|p| p.str("predefined_metric_type"));
                if let (Some("ecs"), Some(m)) = (config.str("service_namespace"), metric) {
                    if !ECS_METRICS.contains(&m) {
                        issue(
                            BLOCK,
                            format!(
                                "`{m}` is not a metric of an ECS service (one of {})",
                                ECS_METRICS.join(", ")
                            ),
                        );
                    }
                }
                if metric == Some("ALBRequestCountPerTarget")
                    && p.is_some_and(|p| p.get("resource_label").is_none_or(Value::is_null))
                {
                    issue(
                        BLOCK,
                        "ALBRequestCountPerTarget needs `resource_label` (app/<lb>/<id>/targetgroup/<tg>/<id>)".into(),
                    );
                }
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let keys: Vec<Key> = requests.iter().map(|r| key(r.id, r.prior)).collect();
        let mut by_namespace: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for k in &keys {
            by_namespace.entry(k.namespace).or_default().insert(k.name);
        }
        let mut found = Vec::new();
        for (namespace, names) in &by_namespace {
            let names: Vec<&str> = names.iter().copied().collect();
            found.extend(self.describe(namespace, &names).await?);
        }
        Ok(requests
            .iter()
            .zip(&keys)
            .map(|(r, k)| match found.iter().find(|p| matches(p, k)) {
                Some(p) => ReadOutcome::Live(object(p, r.prior)),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let prior = parse_import(id).unwrap_or_default();
        let name = prior.str("name").unwrap_or(id).to_string();
        // Nothing configured yet: every setting AWS holds is recorded.
        let mut out = self
            .read(
                &[ReadRequest {
                    id: &name,
                    prior: &prior,
                }],
                ctx,
            )
            .await?;
        Ok(out.pop().unwrap_or(ReadOutcome::Gone))
    }

    // Found by identity: putting the same name on the same target again
    // replaces the policy, so a retried create adopts the first try's.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.put(ctx, planned).await
    }

    async fn update(
        &self,
        ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        if let Some(other) = changed
            .iter()
            .find(|c| !matches!(c.as_str(), "policy_type" | BLOCK))
        {
            return Err(ProviderError::not_updatable(self.type_name(), other));
        }
        self.put(ctx, planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.aas.client().await?;
        let k = key(id, prior);
        let (Some(resource_id), Some(dimension)) = (k.resource_id, k.dimension) else {
            return Err(ProviderError::new(
                "application-autoscaling:DeleteScalingPolicy",
                "InvalidState",
                format!("scaling policy {id} has no recorded resource_id and scalable_dimension"),
            ));
        };
        delete_with_retry("scaling policy", &[], || async {
            match client
                .delete_scaling_policy()
                .policy_name(k.name)
                .service_namespace(ServiceNamespace::from(k.namespace))
                .resource_id(resource_id)
                .scalable_dimension(ScalableDimension::from(dimension))
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error("application-autoscaling:DeleteScalingPolicy", e);
                    if is_gone(&e) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn config(policy_type: &str, metric: &str) -> Object {
        [
            ("name".to_string(), Value::from("cpu")),
            ("policy_type".to_string(), Value::from(policy_type)),
            ("service_namespace".to_string(), Value::from("ecs")),
            ("resource_id".to_string(), Value::from("service/main/api")),
            (
                "scalable_dimension".to_string(),
                Value::from("ecs:service:DesiredCount"),
            ),
            (
                BLOCK.to_string(),
                map(&[
                    ("target_value", Value::from(70)),
                    (
                        PREDEFINED,
                        map(&[("predefined_metric_type", Value::from(metric))]),
                    ),
                ]),
            ),
        ]
        .into()
    }

    fn policy() -> Policy {
        Policy::new(Arc::new(AppAutoScaling::new(
            cairn_aws::AwsContext::new(Default::default()),
            cairn_aws::sdk_client!(aws_sdk_applicationautoscaling),
        )))
    }

    #[test]
    fn target_tracking_on_ecs_metrics_passes_and_the_rest_is_refused_offline() {
        let p = policy();
        assert!(p
            .validate(&config(TARGET_TRACKING, "ECSServiceAverageCPUUtilization"))
            .is_empty());
        assert!(p
            .validate(&config(
                TARGET_TRACKING,
                "ECSServiceAverageMemoryUtilization"
            ))
            .is_empty());
        let step = p.validate(&config("StepScaling", "ECSServiceAverageCPUUtilization"));
        assert_eq!(step[0].attribute, "policy_type");
        assert!(step[0].message.contains("not supported"), "{step:?}");
        let foreign = p.validate(&config(TARGET_TRACKING, "DynamoDBReadCapacityUtilization"));
        assert!(
            foreign[0]
                .message
                .contains("not a metric of an ECS service"),
            "{foreign:?}"
        );
        let alb = p.validate(&config(TARGET_TRACKING, "ALBRequestCountPerTarget"));
        assert!(alb[0].message.contains("resource_label"), "{alb:?}");
        assert!(metric_type(&"ECSServiceAverageDiskUtilization".into()).is_err());
        let mut missing = config(TARGET_TRACKING, "ECSServiceAverageCPUUtilization");
        missing.remove(BLOCK);
        assert_eq!(p.validate(&missing)[0].attribute, BLOCK);
    }

    #[test]
    fn import_ids_are_terraforms() {
        let o = parse_import("ecs/service/main/api/ecs:service:DesiredCount/cpu").unwrap();
        assert_eq!(o.str("resource_id"), Some("service/main/api"));
        assert_eq!(
            o.str("scalable_dimension"),
            Some("ecs:service:DesiredCount")
        );
        assert_eq!(o.str("name"), Some("cpu"));
        assert!(parse_import("cpu").is_none());
    }
}
