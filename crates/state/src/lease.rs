//! Holding a lock for the length of a command: taking it (waiting up to a
//! timeout while someone else holds it) and, for backends whose locks are
//! leases, renewing it in the background until it is released.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::backend::{Backend, LockInfo, StateError};

/// How often a waiting client asks again.
const POLL: Duration = Duration::from_millis(500);

/// Takes the lock. While another holder has it, waits up to `timeout`,
/// calling `waiting` once per holder seen; then fails with `Locked`.
/// Returns the previous holder if a stale lock was taken over.
pub async fn acquire(
    backend: &dyn Backend,
    info: &LockInfo,
    timeout: Duration,
    mut waiting: impl FnMut(&LockInfo),
) -> Result<Option<LockInfo>, StateError> {
    let deadline = Instant::now() + timeout;
    let mut last_seen: Option<String> = None;
    loop {
        match backend.lock(info).await {
            Err(StateError::Locked(holder)) if Instant::now() < deadline => {
                if last_seen.as_deref() != Some(holder.id.as_str()) {
                    waiting(&holder);
                    last_seen = Some(holder.id.clone());
                }
                let left = deadline.saturating_duration_since(Instant::now());
                tokio::time::sleep(POLL.min(left)).await;
            }
            other => return other,
        }
    }
}

/// Renews a leased lock in the background, at a third of the lease, so two
/// renewals can fail before the lease runs out. When the lock is lost (taken
/// over, removed, or not renewable before it expires) it raises `stop`, so
/// that no new operation starts, and remembers why.
pub struct LeaseKeeper {
    task: Option<JoinHandle<()>>,
    lost: Arc<Mutex<Option<StateError>>>,
}

impl LeaseKeeper {
    pub fn spawn(backend: Arc<dyn Backend>, info: LockInfo, stop: Arc<AtomicBool>) -> LeaseKeeper {
        let lost = Arc::new(Mutex::new(None));
        let Some(lease) = backend.lease() else {
            return LeaseKeeper { task: None, lost };
        };
        let lost_task = lost.clone();
        let task = tokio::spawn(async move {
            let every = lease / 3;
            let mut renewed = Instant::now();
            loop {
                tokio::time::sleep(every).await;
                let failure = match backend.renew(&info).await {
                    Ok(()) => {
                        renewed = Instant::now();
                        continue;
                    }
                    // Someone else has the lock now: stop at once.
                    Err(e @ (StateError::LockLost { .. } | StateError::NoSuchLock { .. })) => e,
                    // A transient failure: keep trying while the lease lasts.
                    Err(e) if renewed.elapsed() + every < lease => {
                        tracing::warn!("could not renew the state lock (will retry): {e}");
                        continue;
                    }
                    Err(e) => StateError::LockLost {
                        location: backend.location(),
                        id: info.id.clone(),
                        message: format!("its lease ran out while renewal failed: {e}"),
                    },
                };
                stop.store(true, Ordering::SeqCst);
                if let Ok(mut l) = lost_task.lock() {
                    *l = Some(failure);
                }
                return;
            }
        });
        LeaseKeeper {
            task: Some(task),
            lost,
        }
    }

    /// Why the lock was lost, if it was.
    pub fn lost(&self) -> Option<String> {
        self.lost
            .lock()
            .ok()
            .and_then(|l| l.as_ref().map(|e| e.to_string()))
    }

    /// Stops renewing (before the lock is released).
    pub fn stop(mut self) -> Option<String> {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        self.lost()
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalBackend;

    #[tokio::test]
    async fn waits_for_the_holder_then_takes_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(dir.path().join("s.json")));
        let holder = LockInfo::new("apply", "s", None);
        backend.lock(&holder).await.unwrap();

        let release = {
            let backend = backend.clone();
            let id = holder.id.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(700)).await;
                backend.unlock(&id).await.unwrap();
            })
        };
        let me = LockInfo::new("apply", "s", None);
        let mut seen = Vec::new();
        acquire(backend.as_ref(), &me, Duration::from_secs(10), |h| {
            seen.push(h.id.clone())
        })
        .await
        .unwrap();
        release.await.unwrap();
        assert_eq!(seen, [holder.id]);
        assert_eq!(backend.current_lock().await.unwrap().unwrap().id, me.id);
    }

    #[tokio::test]
    async fn gives_up_after_the_timeout_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path().join("s.json"));
        let holder = LockInfo::new("apply", "s", None);
        backend.lock(&holder).await.unwrap();
        let me = LockInfo::new("apply", "s", None);
        match acquire(&backend, &me, Duration::from_millis(600), |_| {}).await {
            Err(StateError::Locked(h)) => assert_eq!(h.id, holder.id),
            r => panic!("expected Locked, got {r:?}"),
        }
    }
}
