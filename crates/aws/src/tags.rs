//! Tag updates, the same for every service: only the difference between
//! the tags an object has (its prior `tags_all`) and the ones it should
//! have (default tags, its own `tags`, the ownership tags) is written, and
//! ownership tags are never removed. Each service supplies its two calls.

use std::future::Future;

use cairn_core::tags::{self, Tags};
use cairn_core::{Object, OpContext, ProviderError};

/// Applies a change of `tags` from `prior` to `planned` with the service's
/// `tag` (keys to add or change) and `untag` (keys to remove) calls.
pub async fn sync_tags<T, TF, U, UF>(
    ctx: &OpContext,
    prior: &Object,
    planned: &Object,
    tag: T,
    untag: U,
) -> Result<(), ProviderError>
where
    T: FnOnce(Tags) -> TF,
    TF: Future<Output = Result<(), ProviderError>>,
    U: FnOnce(Vec<String>) -> UF,
    UF: Future<Output = Result<(), ProviderError>>,
{
    let live = tags::from_value(prior.get("tags_all"));
    write_tag_changes(&ctx.create_tags(planned), &live, tag, untag).await
}

/// Brings `live` tags to `desired`; a call with nothing to do is not made.
pub async fn write_tag_changes<T, TF, U, UF>(
    desired: &Tags,
    live: &Tags,
    tag: T,
    untag: U,
) -> Result<(), ProviderError>
where
    T: FnOnce(Tags) -> TF,
    TF: Future<Output = Result<(), ProviderError>>,
    U: FnOnce(Vec<String>) -> UF,
    UF: Future<Output = Result<(), ProviderError>>,
{
    let (set, unset) = tags::changes(desired, live);
    if !unset.is_empty() {
        untag(unset).await?;
    }
    if !set.is_empty() {
        tag(set).await?;
    }
    Ok(())
}
