//! cairn resource types backed by Amazon S3, one file each: the bucket,
//! and each of its configurations as its own type (as in the Terraform
//! AWS provider 4+): versioning, default encryption, public access block,
//! lifecycle rules, policy, ownership controls, object lock. A
//! configuration's id is its bucket's name.

mod bucket;
mod config;
mod encryption;
mod lifecycle;
mod object_lock;
mod ownership_controls;
mod policy;
mod public_access_block;
mod versioning;

use std::sync::Arc;

use aws_sdk_s3::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::Registry;

/// Adds the S3 types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    // With an endpoint set (moto, LocalStack), buckets are addressed by
    // path: `bucket.127.0.0.1` does not resolve.
    let s3 = Arc::new(S3::new(
        aws.clone(),
        sdk_client!(aws_sdk_s3, |b, sdk| b
            .force_path_style(sdk.endpoint_url().is_some())),
    ));
    registry.add_resource(Arc::new(bucket::Bucket::new(s3.clone())));
    registry.add_resource(Arc::new(config::Config::new(
        s3.clone(),
        versioning::Versioning,
    )));
    registry.add_resource(Arc::new(config::Config::new(
        s3.clone(),
        encryption::Encryption,
    )));
    registry.add_resource(Arc::new(config::Config::new(
        s3.clone(),
        public_access_block::PublicAccessBlock,
    )));
    registry.add_resource(Arc::new(config::Config::new(
        s3.clone(),
        lifecycle::Lifecycle,
    )));
    registry.add_resource(Arc::new(config::Config::new(s3.clone(), policy::Policy)));
    registry.add_resource(Arc::new(config::Config::new(
        s3.clone(),
        ownership_controls::OwnershipControlsConfig,
    )));
    registry.add_resource(Arc::new(config::Config::new(s3, object_lock::ObjectLock)));
}

/// The S3 client every S3 type shares.
pub type S3 = LazyClient<Client>;
