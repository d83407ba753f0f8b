//! Deleting with retries for the errors AWS gives while something deleted a
//! moment earlier still holds the object. Each call site names the codes it
//! tolerates and for how long: a missing permission or any other error
//! fails at once with its operation and code.

use std::future::Future;
use std::time::{Duration, Instant};

use cairn_core::ProviderError;

use crate::is_not_found;

/// An error code a delete may retry, and for how long from the first try.
#[derive(Debug, Clone, Copy)]
pub struct RetryOn<'a> {
    pub code: &'a str,
    pub within: Duration,
}

impl<'a> RetryOn<'a> {
    pub fn new(code: &'a str, within: Duration) -> Self {
        RetryOn { code, within }
    }
}

/// Runs `f` until it succeeds; "not found" counts as done (deleting twice
/// succeeds). An error listed in `retry_on` is retried with backoff while
/// its bound lasts; every other error is returned at once.
pub async fn delete_with_retry<F, Fut>(
    what: &str,
    retry_on: &[RetryOn<'_>],
    mut f: F,
) -> Result<(), ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), ProviderError>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let e = match f().await {
            Ok(()) => return Ok(()),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => e,
        };
        let tolerated = retry_on
            .iter()
            .any(|r| r.code == e.code && start.elapsed() < r.within);
        if !tolerated {
            return Err(e);
        }
        tracing::debug!(what, code = %e.code, "delete refused for now; retrying");
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn failing(
        code: &'static str,
        times: u32,
    ) -> impl FnMut() -> std::future::Ready<Result<(), ProviderError>> {
        let n = AtomicU32::new(0);
        move || {
            let i = n.fetch_add(1, Ordering::SeqCst);
            std::future::ready(if i < times {
                Err(ProviderError::new("ec2:DeleteThing", code, "no"))
            } else {
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn an_error_not_listed_fails_at_once() {
        let start = Instant::now();
        let e = delete_with_retry(
            "thing",
            &[RetryOn::new(
                "DependencyViolation",
                Duration::from_secs(600),
            )],
            failing("AuthFailure", 1000),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "AuthFailure");
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_listed_error_is_retried_until_it_clears() {
        delete_with_retry(
            "thing",
            &[RetryOn::new("DependencyViolation", Duration::from_secs(60))],
            failing("DependencyViolation", 2),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_listed_error_stops_being_retried_after_its_bound() {
        let e = delete_with_retry(
            "thing",
            &[RetryOn::new("AuthFailure", Duration::from_millis(300))],
            failing("AuthFailure", 1000),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "AuthFailure");
    }

    #[tokio::test]
    async fn not_found_is_success() {
        delete_with_retry("thing", &[], failing("InvalidVpcID.NotFound", 1))
            .await
            .unwrap();
        delete_with_retry("thing", &[], failing("NoSuchEntity", 1))
            .await
            .unwrap();
    }
}
