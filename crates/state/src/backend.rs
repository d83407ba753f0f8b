//! The backend contract: read with a version token, write only if the
//! version still matches (compare-and-swap), and an exclusive lock. The local
//! file backend and the S3 backend pass the same contract tests.

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
}

impl LockInfo {
    pub fn new(operation: &str, stack: &str, env: Option<&str>) -> Self {
        let user = std::env::var("USER")
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
        }
    }

    /// One line for humans: who, what, since when.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} (operation `{}`, since {}",
            self.who, self.operation, self.created
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
    #[error("{action} {location}: {message}")]
    Io {
        action: &'static str,
        location: String,
        message: String,
    },
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// Where the state lives, for messages (`state/quickstart/local.json`).
    fn location(&self) -> String;

    /// The current document and its version, or `None` if there is none yet.
    async fn read(&self) -> Result<Option<Versioned>, StateError>;

    /// Writes `doc` only if the stored version is still `expected` (`None`:
    /// only if nothing is stored yet). Refuses a document whose lineage
    /// differs from the stored one.
    async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError>;

    /// Takes the lock, or fails with `Locked` naming the holder.
    async fn lock(&self, info: &LockInfo) -> Result<(), StateError>;

    /// Releases the lock if it is still the one with this id.
    async fn unlock(&self, lock_id: &str) -> Result<(), StateError>;

    /// The current lock holder, if any.
    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError>;
}
