//! `state history`: every stored version with who wrote it, with which
//! operation, and what it changed against the version before it.

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::backend::{Backend, StateError, StoredVersion};
use crate::diff::StateDiff;
use crate::document::{StateDocument, WrittenBy};

/// How many versions are fetched at once.
const CONCURRENT_READS: usize = 8;

#[derive(Debug)]
pub struct HistoryEntry {
    pub version: StoredVersion,
    pub serial: u64,
    pub written_by: Option<WrittenBy>,
    /// Counts against the previous (older) version; everything counts as
    /// added for the oldest.
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

/// Newest first, and the backend's warning about completeness, if any.
pub async fn history(
    backend: &dyn Backend,
) -> Result<(Vec<HistoryEntry>, Option<String>), StateError> {
    let list = backend.versions().await?;
    let docs: Vec<StateDocument> = stream::iter(list.versions.iter())
        .map(|v| backend.read_version(&v.id))
        .buffered(CONCURRENT_READS)
        .try_collect()
        .await?;
    // Newest first even where the store's timestamps tie (one-second
    // resolution): within a second, the higher serial is the newer.
    let mut pairs: Vec<(StoredVersion, StateDocument)> =
        list.versions.into_iter().zip(docs).collect();
    pairs.sort_by(|(va, da), (vb, db)| vb.stored.cmp(&va.stored).then(db.serial.cmp(&da.serial)));
    let (versions, docs): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
    let empty = docs
        .last()
        .map(|d| StateDocument {
            resources: Default::default(),
            ..d.clone()
        })
        .unwrap_or_else(|| StateDocument::new("", None));
    let entries = versions
        .into_iter()
        .enumerate()
        .map(|(i, version)| {
            let doc = &docs[i];
            let older = docs.get(i + 1).unwrap_or(&empty);
            let d = StateDiff::between(older, doc);
            HistoryEntry {
                version,
                serial: doc.serial,
                written_by: doc.written_by.clone(),
                added: d.added.len(),
                changed: d.changed.len(),
                removed: d.removed.len(),
            }
        })
        .collect();
    Ok((entries, list.warning))
}
