//! Tags of ELBv2 objects: DescribeTags answers for 20 ARNs of any of its
//! types in one call (load balancers, target groups, listeners, rules).

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{error, sync_tags};
use cairn_core::tags::{self, Tags};
use cairn_core::{Object, OpContext, ProviderError};

const PER_CALL: usize = 20;

pub fn sdk_tags(t: &Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of each ARN (every one must exist), 20 per call.
pub async fn of(client: &Client, arns: &[&str]) -> Result<HashMap<String, Tags>, ProviderError> {
    let mut out = HashMap::new();
    for chunk in arns.chunks(PER_CALL) {
        let page = client
            .describe_tags()
            .set_resource_arns(Some(chunk.iter().map(|a| a.to_string()).collect()))
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:DescribeTags", e))?;
        for d in page.tag_descriptions() {
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            if let Some(arn) = d.resource_arn() {
                out.insert(arn.to_string(), tags);
            }
        }
    }
    Ok(out)
}

/// The (address, ARN) of every object among `tagged` this stack created.
pub fn owned(tagged: &HashMap<String, Tags>, stack: &str) -> Vec<(String, String)> {
    tagged
        .iter()
        .filter_map(|(arn, t)| tags::owned_entry(stack, arn, t))
        .collect()
}

/// Brings an object's tags from `prior` to `planned`.
pub async fn sync(
    client: &Client,
    ctx: &OpContext,
    arn: &str,
    prior: &Object,
    planned: &Object,
) -> Result<(), ProviderError> {
    let tag = |set: Tags| async move {
        client
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticloadbalancing:AddTags", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticloadbalancing:RemoveTags", e))
    };
    sync_tags(ctx, prior, planned, tag, untag).await
}
