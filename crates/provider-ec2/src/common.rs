//! What the EC2 resource types share: the lazily built client, tags,
//! id filters for batched reads, and delete retries.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_sdk_ec2::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::tags::{Tags, ADDRESS_TAG, STACK_TAG};
use cairn_core::{Object, OpContext, ProviderError, ReadOutcome, ReadRequest};

/// The largest number of values one EC2 filter takes.
pub const FILTER_CHUNK: usize = 200;

/// The EC2 client every EC2 type shares, with the ownership listing they
/// have in common.
pub struct Ec2 {
    lazy: LazyClient<Client>,
}

impl Ec2 {
    pub fn new(aws: AwsContext) -> Self {
        Ec2 {
            lazy: LazyClient::new(aws, sdk_client!(aws_sdk_ec2)),
        }
    }

    pub async fn client(&self) -> Result<&Client, ProviderError> {
        self.lazy.client().await
    }

    /// The region the client talks to, for ARNs.
    pub async fn region(&self) -> String {
        self.lazy.region().await
    }

    /// (address, id) of every object of `kind` (DescribeTags' resource type:
    /// `vpc`, `subnet`, `natgateway`, ...) tagged as `stack`'s: two tag
    /// listings, however many objects.
    pub async fn owned_by_stack(
        &self,
        stack: &str,
        kind: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        let client = self.client().await?;
        let ids: Vec<String> = client
            .describe_tags()
            .filters(filter("key", [STACK_TAG]))
            .filters(filter("value", [stack]))
            .filters(filter("resource-type", [kind]))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeTags", e))?
            .into_iter()
            .filter_map(|t| t.resource_id().map(str::to_string))
            .collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(FILTER_CHUNK) {
            let tags: Vec<_> = client
                .describe_tags()
                .filters(filter("key", [ADDRESS_TAG]))
                .filters(filter("resource-id", chunk.iter().map(String::as_str)))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("ec2:DescribeTags", e))?;
            out.extend(
                tags.into_iter()
                    .filter_map(|t| Some((t.value()?.to_string(), t.resource_id()?.to_string()))),
            );
        }
        Ok(out)
    }
}

/// Batched refresh: one filtered describe per [`FILTER_CHUNK`] ids, so a
/// missing id never fails the batch; it is just absent from the answer and
/// comes back [`ReadOutcome::Gone`].
pub async fn read_by_ids<Fut>(
    requests: &[ReadRequest<'_>],
    id_filter: &str,
    describe: impl Fn(Vec<Filter>) -> Fut,
) -> Result<Vec<ReadOutcome>, ProviderError>
where
    Fut: Future<Output = Result<HashMap<String, Object>, ProviderError>>,
{
    let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
    let mut live = HashMap::new();
    for chunk in ids.chunks(FILTER_CHUNK) {
        live.extend(describe(vec![filter(id_filter, chunk.iter().copied())]).await?);
    }
    Ok(outcomes(requests, live))
}

/// Pairs each request with its live object, in request order.
pub fn outcomes(
    requests: &[ReadRequest<'_>],
    mut live: HashMap<String, Object>,
) -> Vec<ReadOutcome> {
    requests
        .iter()
        .map(|r| {
            live.remove(r.id)
                .map_or(ReadOutcome::Gone, ReadOutcome::Live)
        })
        .collect()
}

pub fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

pub fn tag_spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(to_sdk(tags)))
        .build()
}

pub fn to_sdk(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub fn from_sdk(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Brings the live tags to `desired` (ownership tags are never removed).
pub async fn sync_tags(
    client: &Client,
    id: &str,
    desired: &Tags,
    live: &Tags,
) -> Result<(), ProviderError> {
    let tag = |set: Tags| async move {
        client
            .create_tags()
            .resources(id)
            .set_tags(Some(to_sdk(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ec2:CreateTags", e))
    };
    let untag = |keys: Vec<String>| async move {
        let keys = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        client
            .delete_tags()
            .resources(id)
            .set_tags(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ec2:DeleteTags", e))
    };
    cairn_aws::write_tag_changes(desired, live, tag, untag).await
}

/// Applies a change of `tags`: the live tags are the prior `tags_all`.
pub async fn update_tags(
    client: &Client,
    id: &str,
    ctx: &OpContext,
    prior: &cairn_core::Object,
    planned: &cairn_core::Object,
) -> Result<(), ProviderError> {
    let live = cairn_core::tags::from_value(prior.get("tags_all"));
    sync_tags(client, id, &ctx.create_tags(planned), &live).await
}

/// The error EC2 gives while a dependent deleted a moment earlier is not
/// yet gone (a subnet's network interface, a gateway's attachment).
pub fn dependents_draining(ctx: &OpContext) -> cairn_aws::RetryOn<'static> {
    cairn_aws::RetryOn::new("DependencyViolation", ctx.timeout)
}

/// Waits until `id` is missing from what `read` finds: its deletion is done
/// and what it held (addresses, subnets, routes) is free.
pub async fn wait_gone<F, Fut>(
    what: &str,
    id: &str,
    timeout: Duration,
    poll: Duration,
    read: F,
) -> Result<(), ProviderError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<HashMap<String, Object>, ProviderError>>,
{
    cairn_aws::wait_until(&format!("{what} {id} to be deleted"), timeout, poll, || {
        let found = read();
        async move { Ok((!found.await?.contains_key(id)).then_some(())) }
    })
    .await
}

pub fn arn(region: &str, owner: &str, kind: &str, id: &str) -> String {
    format!("arn:aws:ec2:{region}:{owner}:{kind}/{id}")
}
