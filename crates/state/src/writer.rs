//! The one state writer of an apply. Completed operations submit the newest
//! document; at most one write is in flight and the next one carries the
//! newest document, so a 300-resource apply does not make 300 serialised
//! round trips, yet a completed operation is never more than one write
//! behind. The writer owns `serial` and `written_by`.
//!
//! A caller with a large document submits a copy only when the writer is
//! free (`is_busy`, `written`), so a 10,000-resource apply copies its
//! document once per write, not once per completed operation; and writes
//! are paced by the document's size (`PACE_PER_RESOURCE`), so 1,000 quick
//! creates do not rewrite a multi-megabyte document 1,000 times.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::backend::{Backend, StateError, Version};
use crate::document::{StateDocument, WrittenBy};

/// The least time from the start of one write to the start of the next,
/// per resource in the document: about 10 MB/s of state at the ~400 bytes
/// a resource takes. A 10,000-resource document is written at most every
/// 0.4 s however fast operations complete; a 100-resource one, every 4 ms.
/// The last write (`finish`) is never held back.
const PACE_PER_RESOURCE: Duration = Duration::from_micros(40);
const MAX_PACE: Duration = Duration::from_secs(2);

pub struct StateWriter {
    shared: Arc<Shared>,
    task: JoinHandle<Result<Option<Version>, StateError>>,
}

#[derive(Default)]
struct Shared {
    /// The newest document not yet taken by a write.
    slot: Mutex<Option<StateDocument>>,
    /// A document is waiting or being written.
    busy: AtomicBool,
    closed: AtomicBool,
    /// Raised by `submit` and `finish`.
    wake: Notify,
    /// Raised after each write.
    written: Notify,
    failed: Mutex<Option<String>>,
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Option<StateDocument>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next document to write, or None once finished and empty.
    /// Waits, after a write started at `last`, for the pace of `resources`
    /// unless the writer is finishing.
    async fn next(&self, last: Option<(Instant, usize)>) -> Option<StateDocument> {
        if let Some((started, resources)) = last {
            let pace = (PACE_PER_RESOURCE * resources as u32).min(MAX_PACE);
            let until = started + pace;
            while !self.closed.load(Ordering::SeqCst) && Instant::now() < until {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => {}
                    _ = self.wake.notified() => {}
                }
            }
        }
        loop {
            // Registered before the check, so a submit in between wakes it.
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            if let Some(doc) = self.slot().take() {
                return Some(doc);
            }
            if self.closed.load(Ordering::SeqCst) {
                return None;
            }
            woken.await;
        }
    }
}

impl StateWriter {
    /// `version` is the version the document was read at (`None`: no state
    /// stored yet); `written_by` is stamped on every write with the time.
    pub fn spawn(
        backend: Arc<dyn Backend>,
        version: Option<Version>,
        written_by: WrittenBy,
    ) -> Self {
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        let task = tokio::spawn(async move {
            let mut version = version;
            let mut serial: Option<u64> = None;
            let mut last = None;
            while let Some(mut doc) = sh.next(last).await {
                last = Some((Instant::now(), doc.resources.len()));
                let next = serial.map(|s| s + 1).unwrap_or(doc.serial + 1);
                doc.serial = next;
                doc.written_by = Some(written_by.now());
                let result = backend.write(&doc, version.as_ref()).await;
                drop(doc);
                {
                    let slot = sh.slot();
                    if slot.is_none() {
                        sh.busy.store(false, Ordering::SeqCst);
                    }
                }
                sh.written.notify_one();
                match result {
                    Ok(v) => {
                        version = Some(v);
                        serial = Some(next);
                    }
                    Err(e) => {
                        if let Ok(mut f) = sh.failed.lock() {
                            *f = Some(e.to_string());
                        }
                        return Err(e);
                    }
                }
            }
            Ok(version)
        });
        StateWriter { shared, task }
    }

    /// Queues the newest document (replacing one still waiting); never
    /// waits for I/O.
    pub fn submit(&self, doc: StateDocument) {
        {
            let mut slot = self.shared.slot();
            *slot = Some(doc);
            self.shared.busy.store(true, Ordering::SeqCst);
        }
        self.shared.wake.notify_one();
    }

    /// Whether a document is waiting or being written: one submitted now
    /// would wait for that write to finish.
    pub fn is_busy(&self) -> bool {
        self.shared.busy.load(Ordering::SeqCst)
    }

    /// Resolves after a write finishes (at once if one finished since the
    /// last call).
    pub async fn written(&self) {
        self.shared.written.notified().await
    }

    /// The error that stopped the writer, if any: the apply must not start
    /// new operations once state can no longer be recorded.
    pub fn failure(&self) -> Option<String> {
        self.shared.failed.lock().ok().and_then(|f| f.clone())
    }

    /// Writes the last submitted document at once and waits for it.
    pub async fn finish(self) -> Result<Option<Version>, StateError> {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(StateError::Io {
                action: "state writer",
                location: String::new(),
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::LocalBackend;

    fn who() -> WrittenBy {
        WrittenBy {
            who: "t@h".into(),
            when: String::new(),
            operation: "apply".into(),
            cairn_version: "0".into(),
            lock_id: None,
        }
    }

    #[tokio::test]
    async fn coalesces_and_writes_the_newest_document_last() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(dir.path().join("s.json")));
        let writer = StateWriter::spawn(backend.clone(), None, who());
        let mut doc = StateDocument::new("s", None);
        for i in 0..50 {
            doc.outputs.insert(
                format!("o{i}"),
                crate::OutputState {
                    value: i.into(),
                    sensitive: false,
                },
            );
            writer.submit(doc.clone());
        }
        writer.finish().await.unwrap();
        let stored = backend.read().await.unwrap().unwrap().doc;
        assert_eq!(stored.outputs.len(), 50);
        assert!(
            stored.serial >= 1 && stored.serial <= 50,
            "serial {}",
            stored.serial
        );
        assert_eq!(stored.written_by.unwrap().operation, "apply");
    }

    /// 50 submissions over half a second of a 5,000-resource document
    /// (paced at 0.2 s): a few writes, the last one holding the last
    /// submission, written at once by `finish`.
    #[tokio::test]
    async fn a_large_document_is_written_at_its_pace_and_last_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(dir.path().join("s.json")));
        let writer = StateWriter::spawn(backend.clone(), None, who());
        let mut doc = StateDocument::new("s", None);
        for i in 0..5_000 {
            doc.resources.insert(
                format!("test_node.n{i}"),
                crate::ResourceState::new(
                    "test_node",
                    "aws",
                    &format!("n-{i}"),
                    &Default::default(),
                    vec![],
                ),
            );
        }
        let start = std::time::Instant::now();
        for i in 0..50 {
            doc.outputs.insert(
                "last".into(),
                crate::OutputState {
                    value: i.into(),
                    sensitive: false,
                },
            );
            writer.submit(doc.clone());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        writer.finish().await.unwrap();
        let stored = backend.read().await.unwrap().unwrap().doc;
        assert_eq!(stored.outputs["last"].value, serde_json::json!(49));
        let writes = stored.serial;
        let most = 2 + start.elapsed().as_millis() as u64 / 200;
        assert!(
            writes >= 2 && writes <= most,
            "{writes} writes, at most {most}"
        );
    }

    #[tokio::test]
    async fn a_conflicting_write_stops_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(dir.path().join("s.json")));
        let doc = StateDocument::new("s", None);
        backend.write(&doc, None).await.unwrap();
        // The writer believes nothing is stored: its first write must be refused.
        let writer = StateWriter::spawn(backend, None, who());
        writer.submit(doc);
        assert!(matches!(
            writer.finish().await,
            Err(StateError::Conflict { .. })
        ));
    }
}
