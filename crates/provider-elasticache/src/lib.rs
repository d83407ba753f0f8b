//! cairn resource types backed by Amazon ElastiCache, one file each:
//! `aws_elasticache_subnet_group`, `aws_elasticache_replication_group`
//! (Redis or Valkey, cluster mode disabled).
//!
//! No ElastiCache describe returns tags, and ListTagsForResource takes one
//! ARN. Tags of this stack's objects come instead from one Resource Groups
//! Tagging API listing (`elasticache`, 100 a page); only an object missing
//! from it (imported, or its ownership tag removed) costs a
//! ListTagsForResource of its own.

mod members;
mod replication_group;
mod subnet_group;

use std::sync::Arc;

use aws_sdk_elasticache::types::Tag;
use aws_sdk_elasticache::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient, Tagging, TagsByArn};
use cairn_core::{tags, Object, OpContext, ProviderError, Registry};

/// Adds the ElastiCache types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let ec = Arc::new(ElastiCache::new(
        aws.clone(),
        sdk_client!(aws_sdk_elasticache),
    ));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(subnet_group::SubnetGroup::new(
        ec.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(replication_group::ReplicationGroup::new(
        ec, tagging,
    )));
}

/// The ElastiCache client every ElastiCache type shares.
pub type ElastiCache = LazyClient<Client>;

/// ListTagsForResource has no batch form: at most this many at once.
const TAG_READ_CONCURRENCY: usize = 8;

/// ElastiCache's "not found" codes end in `NotFoundFault`
/// (`ReplicationGroupNotFoundFault`), which the kit's `is_not_found` does
/// not know.
fn is_gone(e: &ProviderError) -> bool {
    cairn_aws::is_not_found(e) || e.code.ends_with("NotFoundFault")
}

/// Names and ids are stored in lower case by ElastiCache (and Terraform).
fn lower(s: &str) -> Option<String> {
    Some(s.to_ascii_lowercase())
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The last part of an ElastiCache ARN (`...:subnetgroup:NAME`).
fn id_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// This stack's objects of one kind (`subnetgroup`, `replicationgroup`)
/// with their tags: one tagging-API listing per 100.
async fn owned(
    tagging: &Tagging,
    stack: &str,
    kind: &str,
) -> Result<Vec<(String, tags::Tags)>, ProviderError> {
    let marker = format!(":{kind}:");
    Ok(tagging
        .owned("elasticache", stack)
        .await?
        .iter()
        .filter(|(arn, _)| arn.contains(&marker))
        .map(|(arn, t)| (arn.clone(), t.clone()))
        .collect())
}

/// The tags of `arn`: from the stack's listing when it is there, else its
/// own ListTagsForResource.
async fn tags_of(
    ec: &ElastiCache,
    listed: &TagsByArn,
    arn: &str,
) -> Result<tags::Tags, ProviderError> {
    if let Some(t) = listed.get(arn) {
        return Ok(t.clone());
    }
    let client = ec.client().await?;
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| error("elasticache:ListTagsForResource", e))?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// Applies a change of `tags` to the object of `arn`.
async fn update_tags(
    ec: &ElastiCache,
    arn: &str,
    ctx: &OpContext,
    prior: &Object,
    planned: &Object,
) -> Result<(), ProviderError> {
    let client = ec.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticache:AddTagsToResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticache:RemoveTagsFromResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_faults_are_gone() {
        for code in [
            "ReplicationGroupNotFoundFault",
            "CacheSubnetGroupNotFoundFault",
            "CacheClusterNotFound",
        ] {
            assert!(
                is_gone(&ProviderError::new("elasticache:X", code, "")),
                "{code}"
            );
        }
        assert!(!is_gone(&ProviderError::new(
            "elasticache:X",
            "InvalidReplicationGroupState",
            ""
        )));
    }

    #[test]
    fn ids_are_the_last_part_of_an_arn() {
        assert_eq!(
            id_of("arn:aws:elasticache:eu-west-2:123456789012:replicationgroup:cache"),
            "cache"
        );
    }
}
