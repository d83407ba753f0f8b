//! `aws_appautoscaling_target`: a scalable target, such as an ECS service's
//! desired count (`service/CLUSTER/SERVICE`, `ecs:service:DesiredCount`).
//! id = the resource id, as in Terraform. Namespace, resource and dimension
//! force a new target; capacities and the role change in place by
//! registering the target again (RegisterScalableTarget is an upsert,
//! which also makes a retried create adopt what its first try made).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ScalableTarget, ServiceNamespace};
use cairn_aws::{delete_with_retry, error, Tagging, TagsByArn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, ValidationIssue, Value,
};

use crate::{is_gone, namespace_of, retry_while, AppAutoScaling, BATCH, PROPAGATION};

pub struct Target {
    aas: Arc<AppAutoScaling>,
    tagging: Arc<Tagging>,
    /// Set once the endpoint has answered ListTagsForResource with "not
    /// implemented" (moto): the recorded tags stand in from then on.
    no_tag_reads: AtomicBool,
}

impl Target {
    pub fn new(aas: Arc<AppAutoScaling>, tagging: Arc<Tagging>) -> Self {
        Target {
            aas,
            tagging,
            no_tag_reads: AtomicBool::new(false),
        }
    }
}

fn one_of_sdk(allowed: &'static [&'static str], v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !allowed.contains(&s) => Err(format!("must be one of {}", allowed.join(", "))),
        _ => Ok(()),
    }
}

fn capacity(v: &Value) -> Result<(), String> {
    match v.as_f64() {
        Some(n) if n < 0.0 || n.fract() != 0.0 || n > i32::MAX as f64 => {
            Err("must be a whole number of at least 0".into())
        }
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An Application Auto Scaling scalable target (an ECS service's desired count); id = resource_id; min/max capacity and role change in place.")
            .attr(
                "service_namespace",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Custom(|v| one_of_sdk(ServiceNamespace::values(), v))),
            )
            .attr(
                "resource_id",
                Attribute::string()
                    .required()
                    .force_new()
                    .describe("`service/CLUSTER/SERVICE` for an ECS service"),
            )
            .attr(
                "scalable_dimension",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Custom(|v| one_of_sdk(ScalableDimension::values(), v))),
            )
            .attr("min_capacity", Attribute::number().required().check(Check::Custom(capacity)))
            .attr("max_capacity", Attribute::number().required().check(Check::Custom(capacity)))
            .attr(
                "role_arn",
                Attribute::string()
                    .optional_computed()
                    .describe("unset: the service-linked role AWS picks"),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

/// Which target a request means: the recorded namespace and dimension, or
/// (nothing recorded) the namespace its resource id implies and any
/// dimension.
struct Key<'a> {
    namespace: &'a str,
    resource_id: &'a str,
    dimension: Option<&'a str>,
}

fn key<'a>(id: &'a str, prior: &'a Object) -> Key<'a> {
    let resource_id = prior.str("resource_id").unwrap_or(id);
    Key {
        namespace: prior
            .str("service_namespace")
            .unwrap_or_else(|| namespace_of(resource_id)),
        resource_id,
        dimension: prior.str("scalable_dimension"),
    }
}

fn object(t: &ScalableTarget, live: &tags::Tags, default_tags: &tags::Tags) -> Object {
    let mut obj = Object::new();
    obj.insert("id".into(), t.resource_id().into());
    obj.insert("resource_id".into(), t.resource_id().into());
    obj.insert(
        "service_namespace".into(),
        t.service_namespace().as_str().into(),
    );
    obj.insert(
        "scalable_dimension".into(),
        t.scalable_dimension().as_str().into(),
    );
    obj.insert("min_capacity".into(), t.min_capacity().into());
    obj.insert("max_capacity".into(), t.max_capacity().into());
    obj.insert(
        "role_arn".into(),
        Some(t.role_arn()).filter(|r| !r.is_empty()).into(),
    );
    obj.insert(
        "arn".into(),
        t.scalable_target_arn().unwrap_or_default().into(),
    );
    tags::set_live(&mut obj, live, default_tags);
    obj
}

impl Target {
    /// The targets of these resource ids in one namespace: one call per 50
    /// ids and page.
    async fn describe(
        &self,
        namespace: &str,
        resource_ids: &[&str],
    ) -> Result<Vec<ScalableTarget>, ProviderError> {
        let client = self.aas.client().await?;
        let mut out = Vec::new();
        for chunk in resource_ids.chunks(BATCH) {
            let pages = client
                .describe_scalable_targets()
                .service_namespace(ServiceNamespace::from(namespace))
                .set_resource_ids(Some(chunk.iter().map(|s| s.to_string()).collect()))
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("application-autoscaling:DescribeScalableTargets", e))?;
            out.extend(
                pages
                    .into_iter()
                    .flat_map(|p| p.scalable_targets.unwrap_or_default()),
            );
        }
        Ok(out)
    }

    /// One target's tags, for a target the stack's tag listing does not
    /// hold (imported, or its ownership tag removed). `None` when the
    /// endpoint does not implement the call (moto).
    async fn tags_of(&self, arn: &str) -> Result<Option<tags::Tags>, ProviderError> {
        if arn.is_empty() || self.no_tag_reads.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let client = self.aas.client().await?;
        match client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.tags()
                    .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            Err(e) => {
                let e = error("application-autoscaling:ListTagsForResource", e);
                if e.code == "Unsupported" {
                    self.no_tag_reads.store(true, Ordering::Relaxed);
                    tracing::warn!(target: "cairn::aws", "the endpoint does not implement application-autoscaling:ListTagsForResource; scalable targets keep their recorded tags");
                    Ok(None)
                } else if is_gone(&e) {
                    Ok(Some(tags::Tags::new()))
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Registers (creates or updates) the target as planned, retrying while
    /// a service or role made a moment ago is not visible yet.
    async fn register(
        &self,
        ctx: &OpContext,
        planned: &Object,
        tags: Option<tags::Tags>,
    ) -> Result<(), ProviderError> {
        let client = self.aas.client().await?;
        let int = |k: &str| planned.i64(k).map(|n| n as i32);
        let request = client
            .register_scalable_target()
            .service_namespace(ServiceNamespace::from(
                planned.str("service_namespace").unwrap_or_default(),
            ))
            .resource_id(planned.str("resource_id").unwrap_or_default())
            .scalable_dimension(ScalableDimension::from(
                planned.str("scalable_dimension").unwrap_or_default(),
            ))
            .set_min_capacity(int("min_capacity"))
            .set_max_capacity(int("max_capacity"))
            .set_role_arn(planned.str("role_arn").map(str::to_string))
            .set_tags(tags.map(|t| t.into_iter().collect::<HashMap<_, _>>()));
        let transient = |e: &ProviderError| {
            e.code == "ValidationException"
                && (e.message.contains("Unable to assume IAM role")
                    || e.message.contains("ECS service doesn't exist"))
        };
        retry_while(ctx.timeout.min(PROPAGATION), transient, || {
            let request = request.clone();
            async move {
                request
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("application-autoscaling:RegisterScalableTarget", e))
            }
        })
        .await
    }

    /// The target just written, with the tags it was written with.
    async fn written(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let prior = planned.clone();
        let id = planned.str("resource_id").unwrap_or_default();
        let k = key(id, &prior);
        let found = self
            .describe(k.namespace, &[k.resource_id])
            .await?
            .into_iter()
            .find(|t| matches(t, &k))
            .ok_or_else(|| {
                ProviderError::new(
                    "application-autoscaling:DescribeScalableTargets",
                    "ObjectNotFoundException",
                    format!("scalable target {id} not found after registering it"),
                )
            })?;
        Ok(object(&found, &ctx.create_tags(planned), &ctx.default_tags))
    }
}

fn matches(t: &ScalableTarget, k: &Key<'_>) -> bool {
    t.resource_id() == k.resource_id
        && k.dimension
            .is_none_or(|d| t.scalable_dimension().as_str() == d)
}

/// Terraform's import id: `<service-namespace>/<resource-id>/<scalable-dimension>`.
fn parse_import(id: &str) -> Option<Object> {
    let (namespace, rest) = id.split_once('/')?;
    let (resource_id, dimension) = rest.rsplit_once('/')?;
    if namespace.is_empty() || resource_id.is_empty() || !dimension.contains(':') {
        return None;
    }
    Some(
        [
            ("service_namespace".to_string(), Value::from(namespace)),
            ("resource_id".to_string(), Value::from(resource_id)),
            ("scalable_dimension".to_string(), Value::from(dimension)),
        ]
        .into(),
    )
}

#[async_trait]
impl Resource for Target {
    fn type_name(&self) -> &'static str {
        "aws_appautoscaling_target"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let issue = |attribute: &str, message: String| ValidationIssue {
            attribute: attribute.into(),
            message,
        };
        if let (Some(min), Some(max)) = (config.i64("min_capacity"), config.i64("max_capacity")) {
            if min > max {
                issues.push(issue(
                    "min_capacity",
                    format!("min_capacity ({min}) is above max_capacity ({max})"),
                ));
            }
        }
        let namespace = config.str("service_namespace");
        if let (Some(ns), Some(dim)) = (namespace, config.str("scalable_dimension")) {
            if dim.split(':').next() != Some(ns) {
                issues.push(issue(
                    "scalable_dimension",
                    format!("`{dim}` is not a dimension of the `{ns}` namespace"),
                ));
            }
        }
        if let (Some("ecs"), Some(rid)) = (namespace, config.str("resource_id")) {
            let parts: Vec<&str> = rid.split('/').collect();
            if parts.len() != 3 || parts[0] != "service" || parts.iter().any(|p| p.is_empty()) {
                issues.push(issue(
                    "resource_id",
                    format!(
                        "`{rid}` is not an ECS service's resource id (service/CLUSTER/SERVICE)"
                    ),
                ));
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let keys: Vec<Key> = requests.iter().map(|r| key(r.id, r.prior)).collect();
        let mut by_namespace: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for k in &keys {
            by_namespace
                .entry(k.namespace)
                .or_default()
                .insert(k.resource_id);
        }
        let mut found: Vec<ScalableTarget> = Vec::new();
        for (namespace, ids) in &by_namespace {
            let ids: Vec<&str> = ids.iter().copied().collect();
            found.extend(self.describe(namespace, &ids).await?);
        }
        // Tags of the stack's targets in one listing; any other target read
        // on its own.
        let owned = if found.is_empty() {
            TagsByArn::default()
        } else {
            self.tagging
                .owned("application-autoscaling", &ctx.stack)
                .await?
        };
        let mut out = Vec::with_capacity(requests.len());
        for (r, k) in requests.iter().zip(&keys) {
            let Some(t) = found
                .iter()
                .find(|t| matches(t, k) && t.service_namespace().as_str() == k.namespace)
            else {
                out.push(ReadOutcome::Gone);
                continue;
            };
            let arn = t.scalable_target_arn().unwrap_or_default();
            let live = match owned.get(arn) {
                Some(t) => t.clone(),
                None => match self.tags_of(arn).await? {
                    Some(t) => t,
                    // Not readable here: what was recorded stands.
                    None => tags::from_value(r.prior.get("tags_all")),
                },
            };
            out.push(ReadOutcome::Live(object(t, &live, &ctx.default_tags)));
        }
        Ok(out)
    }

    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let prior = parse_import(id).unwrap_or_default();
        let resource_id = prior.str("resource_id").unwrap_or(id).to_string();
        let mut out = self
            .read(
                &[ReadRequest {
                    id: &resource_id,
                    prior: &prior,
                }],
                ctx,
            )
            .await?;
        Ok(out.pop().unwrap_or(ReadOutcome::Gone))
    }

    // Found by identity: registering the same target again updates it, so
    // a retried create adopts what the first try made.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.register(ctx, planned, Some(ctx.create_tags(planned)))
            .await?;
        let id = planned.str("resource_id").unwrap_or_default();
        self.written(ctx, planned)
            .await
            .map_err(|e| e.with_partial_id(id))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        _id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let mut register = false;
        let mut retag = false;
        for name in changed {
            match name.as_str() {
                "min_capacity" | "max_capacity" | "role_arn" => register = true,
                "tags" => retag = true,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if register {
            self.register(ctx, planned, None).await?;
        }
        if retag {
            let client = self.aas.client().await?;
            let arn = prior.str("arn").unwrap_or_default();
            let tag = |set: tags::Tags| async move {
                client
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("application-autoscaling:TagResource", e))
            };
            let untag = |keys: Vec<String>| async move {
                client
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("application-autoscaling:UntagResource", e))
            };
            cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await?;
        }
        self.written(ctx, planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.aas.client().await?;
        let k = key(id, prior);
        let Some(dimension) = k.dimension else {
            return Err(ProviderError::new(
                "application-autoscaling:DeregisterScalableTarget",
                "InvalidState",
                format!("scalable target {id} has no recorded scalable_dimension"),
            ));
        };
        delete_with_retry("scalable target", &[], || async {
            match client
                .deregister_scalable_target()
                .service_namespace(ServiceNamespace::from(k.namespace))
                .resource_id(k.resource_id)
                .scalable_dimension(ScalableDimension::from(dimension))
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error("application-autoscaling:DeregisterScalableTarget", e);
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

    fn config(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn import_ids_are_terraforms() {
        let p = parse_import("ecs/service/main/api/ecs:service:DesiredCount").unwrap();
        assert_eq!(p.str("service_namespace"), Some("ecs"));
        assert_eq!(p.str("resource_id"), Some("service/main/api"));
        assert_eq!(
            p.str("scalable_dimension"),
            Some("ecs:service:DesiredCount")
        );
        assert!(parse_import("service/main/api").is_none());
    }

    #[test]
    fn offline_checks_catch_inverted_capacities_and_foreign_dimensions() {
        let t = Target::new(
            Arc::new(AppAutoScaling::new(
                cairn_aws::AwsContext::new(Default::default()),
                cairn_aws::sdk_client!(aws_sdk_applicationautoscaling),
            )),
            Arc::new(Tagging::new(cairn_aws::AwsContext::new(Default::default()))),
        );
        let issues = t.validate(&config(&[
            ("service_namespace", "ecs".into()),
            ("resource_id", "cluster/api".into()),
            (
                "scalable_dimension",
                "dynamodb:table:ReadCapacityUnits".into(),
            ),
            ("min_capacity", 5.into()),
            ("max_capacity", 2.into()),
        ]));
        let attrs: Vec<&str> = issues.iter().map(|i| i.attribute.as_str()).collect();
        assert_eq!(attrs, ["min_capacity", "scalable_dimension", "resource_id"]);
        assert!(t
            .validate(&config(&[
                ("service_namespace", "ecs".into()),
                ("resource_id", "service/main/api".into()),
                ("scalable_dimension", "ecs:service:DesiredCount".into()),
                ("min_capacity", 2.into()),
                ("max_capacity", 10.into()),
            ]))
            .is_empty());
        assert!(capacity(&Value::from(-1)).is_err());
        assert!(one_of_sdk(ScalableDimension::values(), &"ecs:service:Nope".into()).is_err());
    }
}
