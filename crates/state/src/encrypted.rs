//! A backend whose documents are sealed (`seal`) on the way in and opened
//! on the way out. Wraps any backend: what it stores, and so what its
//! checksums and the hash chain cover, is the sealed document.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::backend::{Backend, LockInfo, RawVersion, StateError, Version, VersionList, Versioned};
use crate::document::StateDocument;
use crate::seal::{self, KeyProvider};

/// What a read does with sealed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Opens them, failing with a clear error when it cannot: plan, apply,
    /// `state pull`, `output`, `state show --show-sensitive`.
    Decrypt,
    /// Leaves them sealed (they read as sensitive values): list, show,
    /// history, verify, report, which an auditor without decryption
    /// rights may run. Such a backend refuses to write.
    Masked,
}

pub struct Encrypted {
    inner: Arc<dyn Backend>,
    /// The configured key (and fallback); `None` when the stack configures
    /// none, so a sealed state cannot be opened.
    keys: Option<Arc<dyn KeyProvider>>,
    /// Whether writes are sealed (with `keys`).
    seal_writes: bool,
    reading: Reading,
}

impl Encrypted {
    pub fn new(
        inner: Arc<dyn Backend>,
        keys: Option<Arc<dyn KeyProvider>>,
        reading: Reading,
    ) -> Self {
        Encrypted {
            seal_writes: keys.is_some(),
            inner,
            keys,
            reading,
        }
    }

    /// Opens with `keys`, writes in clear (`cairn state decrypt`).
    pub fn decrypting(inner: Arc<dyn Backend>, keys: Arc<dyn KeyProvider>) -> Self {
        Encrypted {
            inner,
            keys: Some(keys),
            seal_writes: false,
            reading: Reading::Decrypt,
        }
    }

    async fn open(&self, doc: StateDocument) -> Result<StateDocument, StateError> {
        let Some(e) = &doc.encryption else {
            return Ok(doc);
        };
        if self.reading == Reading::Masked {
            return Ok(doc);
        }
        match &self.keys {
            Some(keys) => seal::open(&doc, keys.as_ref()).await,
            None => Err(StateError::Encryption(format!(
                "the state at {} is encrypted with KMS key {}: set `encryption = {{ kms_key_id = \"{}\" }}` in [backend] (or `cairn state decrypt` with that key configured) to read it",
                self.inner.location(),
                e.kms_key_id,
                e.kms_key_id
            ))),
        }
    }
}

#[async_trait]
impl Backend for Encrypted {
    fn location(&self) -> String {
        self.inner.location()
    }

    async fn read(&self) -> Result<Option<Versioned>, StateError> {
        match self.inner.read().await? {
            Some(v) => Ok(Some(Versioned {
                doc: self.open(v.doc).await?,
                version: v.version,
            })),
            None => Ok(None),
        }
    }

    async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError> {
        if self.reading == Reading::Masked {
            return Err(StateError::Encryption(
                "this command reads the state without decrypting it and cannot write it".into(),
            ));
        }
        if doc.encryption.is_some() {
            return Err(StateError::Encryption(
                "refusing to write a document whose secrets are still sealed".into(),
            ));
        }
        match self.keys.as_ref().filter(|_| self.seal_writes) {
            Some(keys) => {
                let sealed = seal::seal(doc, &keys.data_key().await?)?;
                self.inner.write(&sealed, expected).await
            }
            None => self.inner.write(doc, expected).await,
        }
    }

    async fn lock(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError> {
        self.inner.lock(info).await
    }

    fn lease(&self) -> Option<Duration> {
        self.inner.lease()
    }

    async fn renew(&self, info: &LockInfo) -> Result<(), StateError> {
        self.inner.renew(info).await
    }

    async fn unlock(&self, lock_id: &str) -> Result<(), StateError> {
        self.inner.unlock(lock_id).await
    }

    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        self.inner.current_lock().await
    }

    async fn identity(&self) -> Option<String> {
        self.inner.identity().await
    }

    async fn versions(&self) -> Result<VersionList, StateError> {
        self.inner.versions().await
    }

    async fn read_version(&self, id: &str) -> Result<StateDocument, StateError> {
        let doc = self.inner.read_version(id).await?;
        self.open(doc).await
    }

    async fn read_version_raw(&self, id: &str) -> Result<RawVersion, StateError> {
        self.inner.read_version_raw(id).await
    }

    fn keeps_checksums(&self) -> bool {
        self.inner.keeps_checksums()
    }
}
