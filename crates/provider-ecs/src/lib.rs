//! cairn resource types backed by Amazon ECS, one file each:
//! `aws_ecs_cluster`, `aws_ecs_cluster_capacity_providers`,
//! `aws_ecs_task_definition`, `aws_ecs_service`; the container definitions
//! document they share (`container_definitions`), Fargate's sizes
//! (`fargate`) and the stack check between services and task definitions
//! (`port_checks`).

mod cluster;
mod cluster_capacity_providers;
mod container_definitions;
mod fargate;
mod port_checks;
mod service;
mod task_definition;

use std::collections::HashMap;
use std::sync::Arc;

use aws_sdk_ecs::types::{Cluster, ClusterField, Tag};
use aws_sdk_ecs::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::{tags, OpContext, ProviderError, Registry};

/// Adds the ECS types and their stack check to `registry`. Makes no
/// network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let ecs = Arc::new(Ecs::new(aws.clone(), sdk_client!(aws_sdk_ecs)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(cluster::EcsCluster::new(
        ecs.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(
        cluster_capacity_providers::CapacityProviders::new(ecs.clone()),
    ));
    registry.add_resource(Arc::new(task_definition::TaskDefinition::new(
        ecs.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(service::Service::new(ecs, tagging)));
    registry.add_check(Arc::new(port_checks::ContainerPorts));
}

/// The ECS client every ECS type shares.
pub type Ecs = LazyClient<Client>;

/// DescribeClusters takes up to 100 clusters a call.
const CLUSTERS_PER_CALL: usize = 100;

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn live_tags(t: &[Tag]) -> tags::Tags {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// The active clusters among `names` (names or ARNs), by the name or ARN
/// asked for, with tags and settings: one call per 100. A cluster ECS
/// reports missing or INACTIVE (deleted ones stay listed for a while) is
/// left out.
async fn describe_clusters(
    ecs: &Ecs,
    names: &[&str],
) -> Result<HashMap<String, Cluster>, ProviderError> {
    let client = ecs.client().await?;
    let mut out = HashMap::new();
    for chunk in names.chunks(CLUSTERS_PER_CALL) {
        let answer = client
            .describe_clusters()
            .set_clusters(Some(chunk.iter().map(|s| s.to_string()).collect()))
            .include(ClusterField::Tags)
            .include(ClusterField::Settings)
            .send()
            .await
            .map_err(|e| error("ecs:DescribeClusters", e))?;
        for c in answer.clusters() {
            if c.status() != Some("ACTIVE") {
                continue;
            }
            for asked in chunk {
                if Some(*asked) == c.cluster_arn() || Some(*asked) == c.cluster_name() {
                    out.insert(asked.to_string(), c.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The cluster's name from a name or an ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:cluster/NAME`).
fn cluster_name(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

/// Applies a change of `tags` to an ECS object (cluster, task definition,
/// service) by its ARN.
async fn update_tags(
    ecs: &Ecs,
    arn: &str,
    ctx: &OpContext,
    prior: &cairn_core::Object,
    planned: &cairn_core::Object,
) -> Result<(), ProviderError> {
    let client = ecs.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ecs:TagResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ecs:UntagResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cluster_is_named_by_its_name_or_the_tail_of_its_arn() {
        assert_eq!(super::cluster_name("tracker"), "tracker");
        assert_eq!(
            super::cluster_name("arn:aws:ecs:eu-west-2:123456789012:cluster/tracker"),
            "tracker"
        );
    }
}
