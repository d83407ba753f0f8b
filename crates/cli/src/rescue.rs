//! When the state cannot be written because someone else wrote it, the
//! record of what was just done must not be lost: it is saved locally and
//! the user is told how to reconcile.

use std::path::PathBuf;

use cairn_state::{Backend, StateDocument, StateError, Version};

use crate::locking::HeldLock;

/// Records `doc` as the next serial, written over `expected` by the holder
/// of `lock`. A failed write is reported and the document saved locally
/// (see [`save`]); `false` then tells the caller to exit with an error.
pub async fn commit(
    backend: &dyn Backend,
    doc: &mut StateDocument,
    expected: Option<&Version>,
    lock: &HeldLock,
) -> bool {
    doc.serial += 1;
    doc.written_by = Some(lock.written_by().now());
    match backend.write(doc, expected).await {
        Ok(_) => true,
        Err(e) => {
            eprintln!("error: the state could not be saved: {e}");
            save(doc, &e);
            false
        }
    }
}

/// `$CAIRN_STATE_DIR/rescued/` or `state/rescued/` under the working directory.
fn dir() -> PathBuf {
    std::env::var_os("CAIRN_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("state"))
        .join("rescued")
}

pub fn save(state: &StateDocument, e: &StateError) {
    let dir = dir();
    let name = format!(
        "{}-{}-{}.json",
        state.stack,
        state.env.as_deref().unwrap_or("default"),
        state.serial
    );
    let path = dir.join(name);
    match cairn_state::private::write(&path, state.to_json_pretty().as_bytes()) {
        Ok(()) => eprintln!(
            "   = note: nothing was overwritten ({e}); the unsaved state is in {}\n   = hint: compare it with the stored state (`cairn state pull`, `cairn state history`); what it records beyond the stored state was made by this run: the next apply adopts what it finds by the ownership tags `cairn:stack` and `cairn:address` (types without adoption, such as KMS keys, must be imported by hand)",
            path.display()
        ),
        Err(w) => eprintln!("   = note: could not save the unsaved state either: {w}"),
    }
}
