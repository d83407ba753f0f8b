//! Holding the state lock for one command: take it (waiting up to
//! `--lock-timeout`), say when a stale lock was taken over, renew a lease in
//! the background, and release it at the end.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use cairn_state::{Backend, LeaseKeeper, LockInfo, WrittenBy};

use crate::report::Failure;

pub struct HeldLock {
    pub info: LockInfo,
    backend: Arc<dyn Backend>,
    keeper: LeaseKeeper,
}

impl HeldLock {
    /// `stop` is raised if the lease is lost, so that no new operation starts.
    pub async fn take(
        backend: Arc<dyn Backend>,
        operation: &str,
        stack: &cairn_lang::Stack,
        timeout: Duration,
        stop: Arc<AtomicBool>,
    ) -> Result<HeldLock, Failure> {
        let mut info = LockInfo::new(operation, &stack.name, stack.env.as_deref());
        info.identity = backend.identity().await;
        let previous = cairn_state::acquire(backend.as_ref(), &info, timeout, |holder| {
            eprintln!(
                "Waiting up to {} for the state lock held by {}",
                human(timeout),
                holder.describe()
            );
        })
        .await?;
        if let Some(p) = previous {
            eprintln!(
                "warning: took over a stale state lock held by {}: its holder stopped renewing it or is no longer running",
                p.describe()
            );
        }
        let keeper = LeaseKeeper::spawn(backend.clone(), info.clone(), stop);
        Ok(HeldLock {
            info,
            backend,
            keeper,
        })
    }

    /// `written_by` for a write made under this lock.
    pub fn written_by(&self) -> WrittenBy {
        WrittenBy {
            who: self.info.who_full(),
            when: String::new(),
            operation: self.info.operation.clone(),
            cairn_version: env!("CARGO_PKG_VERSION").to_string(),
            lock_id: Some(self.info.id.clone()),
        }
    }

    /// Why the lock was lost during the command, if it was.
    pub fn lost(&self) -> Option<String> {
        self.keeper.lost()
    }

    /// Stops renewing and releases the lock (a lost lock is not released:
    /// it belongs to someone else now).
    pub async fn release(self) {
        if self.keeper.stop().is_some() {
            return;
        }
        if let Err(e) = self.backend.unlock(&self.info.id).await {
            eprintln!(
                "warning: could not release the state lock {}: {e}",
                self.info.id
            );
        }
    }
}

fn human(d: Duration) -> String {
    format!("{}s", d.as_secs())
}
