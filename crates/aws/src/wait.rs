//! Waiting for AWS to finish something asynchronous, with a bound.

use std::future::Future;
use std::time::{Duration, Instant};

use cairn_core::ProviderError;

/// Polls `f` until it returns `Some`, an error, or `timeout` passes (a
/// `Timeout` error naming `what` and the time waited).
pub async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    poll: Duration,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await? {
            return Ok(v);
        }
        if start.elapsed() >= timeout {
            return Err(ProviderError::new(
                "wait",
                "Timeout",
                format!(
                    "gave up waiting for {what} after {}s",
                    start.elapsed().as_secs()
                ),
            ));
        }
        tokio::time::sleep(
            poll.min(timeout.saturating_sub(start.elapsed()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}
