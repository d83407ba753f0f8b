//! cairn resource types backed by Amazon CloudWatch: `aws_cloudwatch_metric_alarm`.

mod metric_alarm;

use std::sync::Arc;

use aws_sdk_cloudwatch::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::Registry;

/// Adds the CloudWatch types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let cw = Arc::new(CloudWatch::new(
        aws.clone(),
        sdk_client!(aws_sdk_cloudwatch),
    ));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(metric_alarm::MetricAlarm::new(cw, tagging)));
}

/// The CloudWatch client.
pub type CloudWatch = LazyClient<Client>;
