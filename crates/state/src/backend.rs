//! The backend contract: read with a version token, write only if the
//! version still matches (compare-and-swap), and an exclusive lock. The local
//! file backend and the S3 backend pass the same contract tests.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::document::StateDocument;

/// An opaque version token: the ETag for S3, a content hash for a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version(pub String);

#[derive(Debug, Clone)]
pub struct Versioned {
    pub doc: StateDocument,
    pub version: Version,
}

/// Who holds a lock, and for what. Stored as JSON in the lock object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    pub operation: String,
    /// `user@host` (and the caller identity for cloud backends).
    pub who: String,
    /// RFC 3339.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub cairn_version: String,
    pub stack: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    /// The holder's process, for detecting a dead holder on the same host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The cloud identity that took the lock (the STS caller ARN for S3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
}

impl LockInfo {
    pub fn new(operation: &str, stack: &str, env: Option<&str>) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = hostname();
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: format!("{user}@{host}"),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            expires: None,
            cairn_version: env!("CARGO_PKG_VERSION").to_string(),
            stack: stack.to_string(),
            env: env.map(str::to_string),
            pid: Some(std::process::id()),
            host: Some(host),
            identity: None,
        }
    }

    /// `arn:aws:iam::123456789012:user/alice (alice@laptop)`, or just
    /// `user@host` when the backend has no cloud identity.
    pub fn who_full(&self) -> String {
        match &self.identity {
            Some(id) => format!("{id} ({})", self.who),
            None => self.who.clone(),
        }
    }

    /// Whether the lease has run out by `now` (a lock without a lease never does).
    pub fn expired_at(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.expires
            .as_deref()
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
            .is_some_and(|e| e < now)
    }

    /// One line for humans: who, what, since when.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} (operation `{}`, since {}",
            self.who_full(),
            self.operation,
            self.created
        );
        if let Some(e) = &self.expires {
            s.push_str(&format!(", lease expires {e}"));
        }
        s.push_str(&format!(", lock id {})", self.id));
        s
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("the state is locked by {}", .0.describe())]
    Locked(Box<LockInfo>),
    #[error("the state at {location} was changed by another writer since cairn read it; refusing to overwrite it")]
    Conflict { location: String },
    #[error("the state at {location} belongs to lineage {found}, not {expected}: it is another stack's state")]
    LineageMismatch {
        location: String,
        expected: String,
        found: String,
    },
    #[error("the state at {location} is not valid: {message}")]
    Corrupt { location: String, message: String },
    #[error("no lock with id {id} is held on {location}")]
    NoSuchLock { location: String, id: String },
    #[error("the state lock {id} on {location} was lost: {message}")]
    LockLost {
        location: String,
        id: String,
        message: String,
    },
    #[error("{location} has no version `{version}` (see `cairn state history`)")]
    NoSuchVersion { location: String, version: String },
    /// The state or a plan is encrypted and cannot be opened (no key
    /// configured, a key not allowed, KMS refused, tampered ciphertext).
    #[error("{0}")]
    Encryption(String),
    #[error("{action} {location}: {message}")]
    Io {
        action: &'static str,
        location: String,
        message: String,
    },
}

/// One stored version of the state, as the backend lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// What `state show --version` takes: the S3 version id.
    pub id: String,
    /// When it was stored (RFC 3339), if the backend knows.
    pub stored: Option<String>,
}

/// Every stored version, newest first, and anything the reader should know
/// about how complete the list is.
#[derive(Debug, Clone, Default)]
pub struct VersionList {
    pub versions: Vec<StoredVersion>,
    /// E.g. "bucket versioning is not enabled".
    pub warning: Option<String>,
    /// Every version written is kept (S3 with versioning on), so a version
    /// the oldest one says it replaced, yet missing, was deleted. False for
    /// the local file, which keeps only the current version.
    pub complete: bool,
}

/// One stored version exactly as stored, for `state verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawVersion {
    pub bytes: Vec<u8>,
    /// The SHA-256 cairn stored beside the bytes when it wrote them (S3's
    /// `cairn-sha256` object metadata); `None` when there is none, which for
    /// a backend that [`keeps checksums`](Backend::keeps_checksums) means
    /// cairn did not write this version.
    pub checksum: Option<String>,
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Where the state lives, for messages (`state/quickstart/local.json`,
    /// `s3://bucket/key`).
    fn location(&self) -> String;

    /// The current document and its version, or `None` if there is none yet.
    async fn read(&self) -> Result<Option<Versioned>, StateError>;

    /// Writes `doc` only if the stored version is still `expected` (`None`:
    /// only if nothing is stored yet). Refuses a document whose lineage
    /// differs from the stored one. Every write goes through here, so this
    /// is where the hash chain is kept: the stored document's
    /// `previous_sha256` is set to the SHA-256 of the stored bytes of the
    /// version it replaces (`None` when nothing is stored), whatever `doc`
    /// carried.
    async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError>;

    /// Takes the lock, or fails with `Locked` naming the holder. Returns the
    /// previous holder when its lock was stale (expired lease, dead process)
    /// and was taken over.
    async fn lock(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError>;

    /// How long a lock lasts unless renewed; `None` for locks that do not
    /// expire.
    fn lease(&self) -> Option<Duration> {
        None
    }

    /// Extends the lease of the lock we hold; `LockLost` if it is no longer ours.
    async fn renew(&self, _info: &LockInfo) -> Result<(), StateError> {
        Ok(())
    }

    /// Releases the lock if it is still the one with this id.
    async fn unlock(&self, lock_id: &str) -> Result<(), StateError>;

    /// The current lock holder, if any.
    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError>;

    /// The caller's cloud identity, recorded in locks and `written_by`.
    async fn identity(&self) -> Option<String> {
        None
    }

    /// Every stored version, newest first.
    async fn versions(&self) -> Result<VersionList, StateError>;

    /// One stored version.
    async fn read_version(&self, id: &str) -> Result<StateDocument, StateError>;

    /// One stored version's bytes as stored, unchecked and unparsed, with
    /// the checksum stored beside it (for `state verify`).
    async fn read_version_raw(&self, id: &str) -> Result<RawVersion, StateError>;

    /// Whether this backend stores a checksum beside every version it
    /// writes, so a version without one was not written by cairn.
    fn keeps_checksums(&self) -> bool {
        false
    }
}
