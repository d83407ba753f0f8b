//! The state document and where it lives. Nothing else in cairn knows how
//! state is stored: the engine sees a [`Backend`] (read with a version token,
//! compare-and-swap write, lock) and a [`StateWriter`] that coalesces writes.

pub mod backend;
pub mod diff;
pub mod document;
pub mod encrypted;
pub mod history;
pub mod lease;
pub mod local;
pub mod private;
pub mod seal;
pub mod verify;
pub mod writer;

pub use backend::{
    Backend, LockInfo, RawVersion, StateError, StoredVersion, Version, VersionList, Versioned,
};
pub use diff::StateDiff;
pub use document::{
    sha256_hex, DeposedObject, MigratedFrom, OutputState, ResourceState, ResourceStatus,
    StateDocument, WrittenBy, FORMAT_VERSION,
};
pub use encrypted::{Encrypted, Reading};
pub use history::{history, HistoryEntry};
pub use lease::{acquire, LeaseKeeper};
pub use local::LocalBackend;
pub use verify::{verify, Verification, VersionCheck};
pub use writer::StateWriter;
