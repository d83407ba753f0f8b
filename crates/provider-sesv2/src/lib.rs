//! cairn resource types backed by Amazon SES v2, one file each:
//! `aws_sesv2_email_identity`, `aws_sesv2_configuration_set` (the estate's
//! sender domain and its configuration set).

mod arns;
mod configuration_set;
mod email_identity;
mod ownership;

use std::sync::Arc;

use aws_sdk_sesv2::types::Tag;
use aws_sdk_sesv2::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::{tags, OpContext, ProviderError, Registry};

/// Adds the SES v2 types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let ses = Arc::new(Ses::new(aws.clone(), sdk_client!(aws_sdk_sesv2)));
    let arns = Arc::new(arns::Arns::new(aws.clone()));
    registry.add_resource(Arc::new(email_identity::EmailIdentity::new(
        ses.clone(),
        arns.clone(),
    )));
    registry.add_resource(Arc::new(configuration_set::ConfigurationSet::new(
        ses, arns,
    )));
}

/// The SES v2 client every SES type shares.
pub type Ses = LazyClient<Client>;

/// GetEmailIdentity / GetConfigurationSet have no batch form: at most
/// this many run at once.
const READ_CONCURRENCY: usize = 8;

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn from_sdk_tags(t: &[Tag]) -> tags::Tags {
    t.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

/// Brings the tags of `arn` from `live` to `desired` (TagResource /
/// UntagResource; nothing when they agree).
async fn write_tags(
    ses: &Ses,
    arn: &str,
    desired: &tags::Tags,
    live: &tags::Tags,
) -> Result<(), ProviderError> {
    let client = ses.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ses:TagResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ses:UntagResource", e))
    };
    cairn_aws::write_tag_changes(desired, live, tag, untag).await
}

/// Brings tags from the prior object's `tags_all` to the plan's.
async fn sync_tags(
    ses: &Ses,
    ctx: &OpContext,
    arn: &str,
    prior: &cairn_core::Object,
    planned: &cairn_core::Object,
) -> Result<(), ProviderError> {
    let live = tags::from_value(prior.get("tags_all"));
    write_tags(ses, arn, &ctx.create_tags(planned), &live).await
}
