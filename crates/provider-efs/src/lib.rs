//! cairn resource types backed by Amazon EFS, one file each:
//! `aws_efs_file_system`, `aws_efs_mount_target`, `aws_efs_access_point`.

mod access_point;
mod file_system;
mod mount_target;

use std::sync::Arc;

use aws_sdk_efs::types::Tag;
use aws_sdk_efs::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::{tags, ProviderError, Registry};

/// Adds the EFS types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let efs = Arc::new(Efs::new(aws.clone(), sdk_client!(aws_sdk_efs)));
    registry.add_resource(Arc::new(file_system::FileSystem::new(efs.clone())));
    registry.add_resource(Arc::new(mount_target::MountTarget::new(efs.clone())));
    registry.add_resource(Arc::new(access_point::AccessPoint::new(efs)));
}

/// The EFS client every EFS type shares.
pub type Efs = LazyClient<Client>;

const READ_CONCURRENCY: usize = 8;

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn live_tags(t: &[Tag]) -> tags::Tags {
    t.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Applies a change of `tags` to a file system or an access point.
async fn update_tags(
    efs: &Efs,
    id: &str,
    ctx: &cairn_core::OpContext,
    prior: &cairn_core::Object,
    planned: &cairn_core::Object,
) -> Result<(), ProviderError> {
    let client = efs.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .tag_resource()
            .resource_id(id)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("efs:TagResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .untag_resource()
            .resource_id(id)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("efs:UntagResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}
