//! cairn resource types backed by AWS KMS: `aws_kms_key` and
//! `aws_kms_alias`, one file each.

mod alias;
mod key;

use std::sync::Arc;

use aws_sdk_kms::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the KMS resource types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let kms = Arc::new(Kms::new(aws.clone(), sdk_client!(aws_sdk_kms)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(key::Key::new(kms.clone(), tagging)));
    registry.add_resource(Arc::new(alias::Alias::new(kms)));
}

/// The KMS client every KMS type shares.
pub type Kms = LazyClient<Client>;
