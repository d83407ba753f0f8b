//! cairn resource types backed by CloudWatch Logs: `aws_cloudwatch_log_group`.

mod log_group;

use std::sync::Arc;

use aws_sdk_cloudwatchlogs::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the CloudWatch Logs types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let logs = Arc::new(Logs::new(aws.clone(), sdk_client!(aws_sdk_cloudwatchlogs)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(log_group::LogGroup::new(logs, tagging)));
}

/// The CloudWatch Logs client.
pub type Logs = LazyClient<Client>;
