//! cairn resource types backed by AWS Cloud Map (service discovery), one
//! file each: `aws_service_discovery_private_dns_namespace`,
//! `aws_service_discovery_service` (the Tracker estate's private DNS for
//! the anisette service: `anisette-v3.anisette-v3.local`).

mod namespace;
mod service;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_servicediscovery::types::{OperationStatus, Tag};
use aws_sdk_servicediscovery::Client;
use cairn_aws::{error, sdk_client, AwsContext, LazyClient};
use cairn_core::{tags, OpContext, ProviderError, Registry};

/// Adds the Cloud Map types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let sd = Arc::new(ServiceDiscovery::new(
        aws.clone(),
        sdk_client!(aws_sdk_servicediscovery),
    ));
    registry.add_resource(Arc::new(namespace::PrivateDnsNamespace::new(sd.clone())));
    registry.add_resource(Arc::new(service::Service::new(sd)));
}

/// The Cloud Map client every Cloud Map type shares.
pub type ServiceDiscovery = LazyClient<Client>;

/// ListTagsForResource has no batch form: at most this many at once.
const READ_CONCURRENCY: usize = 8;

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The tags of one namespace or service, by ARN; `None` when it is gone.
async fn tags_of(sd: &ServiceDiscovery, arn: &str) -> Result<Option<tags::Tags>, ProviderError> {
    let client = sd.client().await?;
    match client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        )),
        Err(e) => {
            let e = error("servicediscovery:ListTagsForResource", e);
            if cairn_aws::is_not_found(&e) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// Applies a change of `tags` to a namespace or a service.
async fn update_tags(
    sd: &ServiceDiscovery,
    arn: &str,
    ctx: &OpContext,
    prior: &cairn_core::Object,
    planned: &cairn_core::Object,
) -> Result<(), ProviderError> {
    let client = sd.client().await?;
    let tag = |set: tags::Tags| async move {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&set)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("servicediscovery:TagResource", e))
    };
    let untag = |keys: Vec<String>| async move {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("servicediscovery:UntagResource", e))
    };
    cairn_aws::sync_tags(ctx, prior, planned, tag, untag).await
}

/// One object's ownership entry, if its tags say it is the stack's.
type OwnedFuture<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Option<(String, String)>, ProviderError>>
            + Send
            + 'a,
    >,
>;

/// Runs `reads` (one ListTagsForResource each) a bounded number at a time.
async fn owned_concurrently(
    reads: Vec<OwnedFuture<'_>>,
) -> Result<Vec<(String, String)>, ProviderError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let found: Vec<Option<(String, String)>> = stream::iter(reads)
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// What a finished operation says: its targets (`NAMESPACE` -> id, ...).
pub(crate) type Targets = std::collections::HashMap<String, String>;

/// Polls GetOperation until `operation` succeeds, reporting its status
/// through `ctx.progress`, for at most `ctx.timeout`. A failed operation
/// is an error with Cloud Map's code and message; running out of time is
/// a retryable `Timeout` naming the operation (it may still finish: a
/// namespace create retried with the same request id resumes it).
async fn wait_for_operation(
    sd: &ServiceDiscovery,
    ctx: &OpContext,
    what: &str,
    operation: &str,
) -> Result<Targets, ProviderError> {
    let client = sd.client().await?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let out = client
            .get_operation()
            .operation_id(operation)
            .send()
            .await
            .map_err(|e| error("servicediscovery:GetOperation", e))?;
        let Some(op) = out.operation() else {
            return Err(ProviderError::new(
                "servicediscovery:GetOperation",
                "InvalidResponse",
                format!("operation {operation} has no body"),
            ));
        };
        let targets: Targets = op
            .targets()
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let status = op.status().map(|s| s.as_str()).unwrap_or("UNKNOWN");
        match op.status() {
            Some(OperationStatus::Success) => return Ok(targets),
            Some(OperationStatus::Fail) => {
                return Err(ProviderError::new(
                    "servicediscovery:GetOperation",
                    op.error_code().unwrap_or("OperationFailed"),
                    format!(
                        "{what}: operation {operation} failed: {}",
                        op.error_message().unwrap_or("no message")
                    ),
                ))
            }
            _ => {}
        }
        let elapsed = start.elapsed();
        ctx.progress.report(&format!(
            "{what}: Cloud Map operation {operation} is {status} ({}s)",
            elapsed.as_secs()
        ));
        if elapsed >= ctx.timeout {
            return Err(ProviderError {
                retryable: true,
                ..ProviderError::new(
                    "wait",
                    "Timeout",
                    format!(
                        "{what}: Cloud Map operation {operation} is still {status} after {}s \
                         (`timeouts` waits longer)",
                        elapsed.as_secs()
                    ),
                )
            });
        }
        tokio::time::sleep(pause.min(ctx.timeout.saturating_sub(elapsed))).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}
