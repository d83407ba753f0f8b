//! `aws_ecs_cluster`: the name forces a new cluster; settings (Container
//! Insights) change in place with UpdateCluster, tags with TagResource.
//! CreateCluster answers an existing cluster of the same name instead of
//! failing, so a create checks that such a cluster is this stack's before
//! taking it. Deleting retries while services deleted a moment ago still
//! drain.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ecs::types::{Cluster, ClusterSetting, ClusterSettingName};
use cairn_aws::{delete_with_retry, error, RetryOn, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::{cluster_name, describe_clusters, live_tags, sdk_tags, update_tags, Ecs};

pub struct EcsCluster {
    ecs: Arc<Ecs>,
    tagging: Arc<Tagging>,
}

impl EcsCluster {
    pub fn new(ecs: Arc<Ecs>, tagging: Arc<Tagging>) -> Self {
        EcsCluster { ecs, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let setting = Schema::new()
            .attr(
                "name",
                Attribute::string()
                    .required()
                    .check(Check::OneOf(&["containerInsights"])),
            )
            .attr(
                "value",
                Attribute::string()
                    .required()
                    .check(Check::OneOf(&["enabled", "disabled", "enhanced"])),
            );
        Schema::new()
            .describe("An ECS cluster; Container Insights (`setting`) and tags change in place.")
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "setting",
                Attribute::new(Type::set(Type::object(setting)))
                    .optional_computed()
                    .describe("`{ name = \"containerInsights\", value = \"enabled\" }`"),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn object(c: &Cluster, default_tags: &tags::Tags) -> Object {
    let arn = c.cluster_arn().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("name".into(), Value::from(c.cluster_name()));
    let settings = c
        .settings()
        .iter()
        .filter_map(|s| {
            Some(Value::Map(
                [
                    ("name".to_string(), Value::from(s.name()?.as_str())),
                    ("value".to_string(), Value::from(s.value()?)),
                ]
                .into(),
            ))
        })
        .collect();
    obj.insert("setting".into(), Value::List(settings));
    tags::set_live(&mut obj, &live_tags(c.tags()), default_tags);
    obj
}

fn sdk_settings(planned: &Object) -> Option<Vec<ClusterSetting>> {
    let list = planned.get("setting").and_then(Value::as_list)?;
    Some(
        list.iter()
            .filter_map(Value::as_map)
            .map(|s| {
                ClusterSetting::builder()
                    .name(ClusterSettingName::from(s.str("name").unwrap_or_default()))
                    .value(s.str("value").unwrap_or_default())
                    .build()
            })
            .collect(),
    )
}

impl EcsCluster {
    async fn read_one(
        &self,
        arn: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        describe_clusters(&self.ecs, &[arn])
            .await?
            .get(arn)
            .map(|c| object(c, default_tags))
            .ok_or_else(|| {
                ProviderError::new(
                    "ecs:DescribeClusters",
                    "ClusterNotFoundException",
                    format!("cluster {arn} not found after writing it"),
                )
            })
    }
}

#[async_trait]
impl Resource for EcsCluster {
    fn type_name(&self) -> &'static str {
        "aws_ecs_cluster"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let live = describe_clusters(&self.ecs, &ids).await?;
        Ok(requests
            .iter()
            .map(|r| match live.get(r.id) {
                Some(c) => ReadOutcome::Live(object(c, &ctx.default_tags)),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.tagging.owned_entries("ecs:cluster", stack).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        const OP: &str = "ecs:CreateCluster";
        let client = self.ecs.client().await?;
        let name = planned.str("name").unwrap_or_default();
        // CreateCluster hands back a same-named cluster as if it had made
        // it: take it only if it is this address's (a retried create).
        if let Some(existing) = describe_clusters(&self.ecs, &[name]).await?.get(name) {
            if !ctx.owns(&live_tags(existing.tags())) {
                return Err(ProviderError::new(
                    OP,
                    "ClusterExists",
                    format!(
                        "an ECS cluster named `{name}` already exists and is not this stack's ({}); import it or choose another name",
                        existing.cluster_arn().unwrap_or_default()
                    ),
                ));
            }
        }
        let out = client
            .create_cluster()
            .cluster_name(name)
            .set_settings(sdk_settings(planned))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error(OP, e))?;
        let cluster = out
            .cluster()
            .ok_or_else(|| ProviderError::new(OP, "EmptyResponse", "no cluster in the answer"))?;
        cairn_aws::created_id(OP, cluster.cluster_arn())?;
        Ok(object(cluster, &ctx.default_tags))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ecs.client().await?;
        for name in changed {
            match name.as_str() {
                "setting" => {
                    client
                        .update_cluster()
                        .cluster(id)
                        .set_settings(Some(sdk_settings(planned).unwrap_or_default()))
                        .send()
                        .await
                        .map_err(|e| error("ecs:UpdateCluster", e))?;
                }
                "tags" => update_tags(&self.ecs, id, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ecs.client().await?;
        // Services deleted a moment ago keep the cluster busy while their
        // tasks stop.
        let draining = [
            RetryOn::new("ClusterContainsServicesException", ctx.timeout),
            RetryOn::new("ClusterContainsTasksException", ctx.timeout),
            RetryOn::new("UpdateInProgressException", ctx.timeout),
        ];
        delete_with_retry("ECS cluster", &draining, || async {
            match client.delete_cluster().cluster(id).send().await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error("ecs:DeleteCluster", e);
                    if e.code == "ClusterNotFoundException" {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await
        .map_err(|e| {
            if e.code == "ClusterContainsServicesException" {
                ProviderError {
                    message: format!(
                        "{}: cluster {} still has services; destroy its aws_ecs_service resources first",
                        e.message,
                        cluster_name(id)
                    ),
                    ..e
                }
            } else {
                e
            }
        })
    }
}
