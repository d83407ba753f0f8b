//! State in S3, one object per stack and env, in the same account as the
//! resources. What makes it safe (docs/state.md has the protocol):
//!
//! - every state write is conditional (`If-Match` on the ETag last read or
//!   written, `If-None-Match: *` for the first), so no writer can overwrite
//!   a version it has not seen, with or without the lock;
//! - the lock is a lease in `<key>.lock`, taken with `If-None-Match: *`,
//!   renewed and taken over with `If-Match`, released with a conditional
//!   delete;
//! - content carries a SHA-256 in its metadata, checked on every read;
//! - history is the bucket's object versions.

mod bootstrap;
mod client;
mod lock;
mod objects;

use std::time::Duration;

use cairn_aws::AwsContext;

pub use bootstrap::{BootstrapOptions, BootstrapStep, LockMode, ObjectLock};

/// `[backend] type = "s3"` after the env file is applied.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub bucket: String,
    pub key: String,
    /// SSE-KMS with this key; SSE-S3 (AES256) when absent.
    pub kms_key_id: Option<String>,
    /// How long a lock lasts unless its holder renews it.
    pub lock_lease: Duration,
}

impl S3Settings {
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(120);
}

pub struct S3Backend {
    settings: S3Settings,
    s3: client::S3,
    /// The lock we hold: its id and the ETag of our last write of it.
    held: std::sync::Mutex<Option<(String, String)>>,
    /// What is stored at the ETag we last read or wrote, so a write of
    /// another lineage is refused, and the hash chain linked, without an
    /// extra read.
    seen: std::sync::Mutex<Option<Seen>>,
}

/// The state object at one ETag: its lineage and the SHA-256 of its body.
#[derive(Debug, Clone)]
struct Seen {
    etag: String,
    lineage: String,
    sha256: String,
}

impl S3Backend {
    /// Makes no network call: the client is built on first use.
    pub fn new(settings: S3Settings, aws: AwsContext) -> S3Backend {
        S3Backend {
            settings,
            s3: client::S3::new(aws),
            held: Default::default(),
            seen: Default::default(),
        }
    }

    fn lock_key(&self) -> String {
        format!("{}.lock", self.settings.key)
    }
}
