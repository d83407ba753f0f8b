//! cairn resource types backed by CloudWatch Logs: `aws_cloudwatch_log_group`.

mod log_group;

use std::sync::Arc;

use aws_sdk_cloudwatchlogs::Client;
use cairn_aws::{AwsContext, CallLogger};
use cairn_core::{ProviderError, Registry};
use tokio::sync::OnceCell;

/// Adds the CloudWatch Logs types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let logs = Arc::new(Logs {
        aws: aws.clone(),
        client: OnceCell::new(),
    });
    registry.add_resource(Arc::new(log_group::LogGroup::new(logs)));
}

pub struct Logs {
    aws: AwsContext,
    client: OnceCell<Client>,
}

impl Logs {
    pub async fn client(&self) -> Result<&Client, ProviderError> {
        self.client
            .get_or_try_init(|| async {
                let sdk = self.aws.sdk_config().await?;
                Ok(Client::from_conf(
                    aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
                        .interceptor(CallLogger)
                        .build(),
                ))
            })
            .await
    }
}
