//! cairn resource types backed by AWS KMS: `aws_kms_key` and
//! `aws_kms_alias`, one file each.

mod alias;
mod key;

use std::sync::Arc;

use aws_sdk_kms::Client;
use cairn_aws::{AwsContext, CallLogger};
use cairn_core::{ProviderError, Registry};
use tokio::sync::OnceCell;

/// Adds the KMS resource types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let kms = Arc::new(Kms {
        aws: aws.clone(),
        client: OnceCell::new(),
    });
    registry.add_resource(Arc::new(key::Key::new(kms.clone())));
    registry.add_resource(Arc::new(alias::Alias::new(kms)));
}

pub struct Kms {
    aws: AwsContext,
    client: OnceCell<Client>,
}

impl Kms {
    pub async fn client(&self) -> Result<&Client, ProviderError> {
        self.client
            .get_or_try_init(|| async {
                let sdk = self.aws.sdk_config().await?;
                Ok(Client::from_conf(
                    aws_sdk_kms::config::Builder::from(sdk)
                        .interceptor(CallLogger)
                        .build(),
                ))
            })
            .await
    }
}
