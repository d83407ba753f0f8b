//! cairn resource types backed by Amazon SNS, one file each:
//! `aws_sns_topic`, `aws_sns_topic_subscription` (the alarm actions of the
//! ECS alarms).

mod subscription;
mod topic;

use std::sync::Arc;

use aws_sdk_sns::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::{tags, ProviderError, Registry};

/// Adds the SNS types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let sns = Arc::new(Sns::new(aws.clone(), sdk_client!(aws_sdk_sns)));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(topic::Topic::new(sns.clone(), tagging)));
    registry.add_resource(Arc::new(subscription::Subscription::new(sns)));
}

/// The SNS client every SNS type shares.
pub type Sns = LazyClient<Client>;

/// GetTopicAttributes / GetSubscriptionAttributes have no batch form: at
/// most this many run at once.
const READ_CONCURRENCY: usize = 8;

/// The tags of one topic, by its ARN.
async fn topic_tags(sns: &Sns, arn: &str) -> Result<tags::Tags, ProviderError> {
    let client = sns.client().await?;
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| error("sns:ListTagsForResource", e))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

/// A JSON document as SNS stores it (a string), or `None` for an empty one.
fn json_text(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
