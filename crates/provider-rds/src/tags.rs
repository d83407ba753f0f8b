//! Tags of RDS objects: all by ARN, with AddTagsToResource /
//! RemoveTagsFromResource; instances and clusters carry theirs in the
//! describe (`TagList`), groups only through ListTagsForResource.

use aws_sdk_rds::types::Tag;
use cairn_aws::error;
use cairn_core::tags::Tags;
use cairn_core::{Object, OpContext, ProviderError};

use crate::Rds;

pub fn sdk(t: &Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn live(t: &[Tag]) -> Tags {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// The tags of one object: RDS has no batch form for groups.
pub async fn list(rds: &Rds, arn: &str) -> Result<Tags, ProviderError> {
    let client = rds.client().await?;
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| error("rds:ListTagsForResource", e))?;
    Ok(live(out.tag_list()))
}

/// Applies a change of `tags` from `prior` to `planned`.
pub async fn sync(
    rds: &Rds,
    arn: &str,
    ctx: &OpContext,
    prior: &Object,
    planned: &Object,
) -> Result<(), ProviderError> {
    let client = rds.client().await?;
    let tag = |set: Tags| async move {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(sdk(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:AddTagsToResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:RemoveTagsFromResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}

/// Brings the live tags of an adopted object to what the plan wants.
pub async fn bring_to(
    rds: &Rds,
    arn: &str,
    ctx: &OpContext,
    live: &Tags,
    planned: &Object,
) -> Result<(), ProviderError> {
    let mut prior = Object::new();
    prior.insert("tags_all".into(), cairn_core::tags::to_value(live));
    sync(rds, arn, ctx, &prior, planned).await
}
