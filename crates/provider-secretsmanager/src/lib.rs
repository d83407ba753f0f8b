//! cairn resource types backed by AWS Secrets Manager, one file each:
//! `aws_secretsmanager_secret`, `aws_secretsmanager_secret_version`; data
//! source `aws_secretsmanager_secret`. Refresh lists secrets (tags and KMS
//! key inline) and reads a secret's value only where a version is managed.

mod data_secret;
mod secret;
mod secret_version;

use std::sync::Arc;

use aws_sdk_secretsmanager::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::Registry;

/// Adds the Secrets Manager types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let sm = Arc::new(SecretsManager::new(
        aws.clone(),
        sdk_client!(aws_sdk_secretsmanager),
    ));
    registry.add_resource(Arc::new(secret::Secret::new(sm.clone())));
    registry.add_resource(Arc::new(secret_version::SecretVersion::new(sm.clone())));
    registry.add_data_source(Arc::new(data_secret::SecretData::new(sm)));
}

/// The Secrets Manager client every type shares.
pub type SecretsManager = LazyClient<Client>;
