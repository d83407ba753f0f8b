//! For services without a batch read (IAM, KMS): one read per object, a
//! bounded number at a time, in request order.

use std::future::Future;
use std::pin::Pin;

use cairn_core::{Object, ProviderError, ReadOutcome};
use futures::stream::{self, StreamExt, TryStreamExt};

/// One object's read: `None` when it is gone. Boxed so that providers can
/// build them inside `async_trait` methods.
pub type ReadFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Object>, ProviderError>> + Send + 'a>>;

/// Runs `reads` with at most `limit` in flight; outcomes in the same order.
pub async fn read_concurrently(
    reads: Vec<ReadFuture<'_>>,
    limit: usize,
) -> Result<Vec<ReadOutcome>, ProviderError> {
    let found: Vec<Option<Object>> = stream::iter(reads).buffered(limit).try_collect().await?;
    Ok(found
        .into_iter()
        .map(|o| o.map_or(ReadOutcome::Gone, ReadOutcome::Live))
        .collect())
}
