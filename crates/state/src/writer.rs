//! The one state writer of an apply. Completed operations submit the newest
//! document; at most one write is in flight and the next one carries the
//! newest document, so a 300-resource apply does not make 300 serialised
//! round trips, yet a completed operation is never more than one write
//! behind. The writer owns `serial` and `written_by`.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backend::{Backend, StateError, Version};
use crate::document::{StateDocument, WrittenBy};

pub struct StateWriter {
    tx: watch::Sender<Option<StateDocument>>,
    task: JoinHandle<Result<Option<Version>, StateError>>,
    failed: Arc<Mutex<Option<String>>>,
}

impl StateWriter {
    /// `version` is the version the document was read at (`None`: no state
    /// stored yet); `written_by` is stamped on every write with the time.
    pub fn spawn(
        backend: Arc<dyn Backend>,
        version: Option<Version>,
        written_by: WrittenBy,
    ) -> Self {
        let (tx, mut rx) = watch::channel::<Option<StateDocument>>(None);
        let failed = Arc::new(Mutex::new(None));
        let failed_task = failed.clone();
        let task = tokio::spawn(async move {
            let mut version = version;
            let mut serial: Option<u64> = None;
            while rx.changed().await.is_ok() {
                let Some(mut doc) = rx.borrow_and_update().clone() else {
                    continue;
                };
                let next = serial.map(|s| s + 1).unwrap_or(doc.serial + 1);
                doc.serial = next;
                doc.written_by = Some(written_by.now());
                match backend.write(&doc, version.as_ref()).await {
                    Ok(v) => {
                        version = Some(v);
                        serial = Some(next);
                    }
                    Err(e) => {
                        if let Ok(mut f) = failed_task.lock() {
                            *f = Some(e.to_string());
                        }
                        return Err(e);
                    }
                }
            }
            Ok(version)
        });
        StateWriter { tx, task, failed }
    }

    /// Queues the newest document; never waits for I/O.
    pub fn submit(&self, doc: StateDocument) {
        self.tx.send_replace(Some(doc));
    }

    /// The error that stopped the writer, if any: the apply must not start
    /// new operations once state can no longer be recorded.
    pub fn failure(&self) -> Option<String> {
        self.failed.lock().ok().and_then(|f| f.clone())
    }

    /// Waits for the last submitted document to be written.
    pub async fn finish(self) -> Result<Option<Version>, StateError> {
        drop(self.tx);
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
