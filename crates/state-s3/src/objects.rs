//! The state object: conditional reads and writes, versions, and the
//! [`Backend`] implementation that ties in the lock.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use cairn_state::{
    Backend, LockInfo, RawVersion, StateDocument, StateError, StoredVersion, Version, VersionList,
    Versioned,
};

use crate::client::{body, rfc3339, sha256_hex, versioning_enabled, Failure, CHECKSUM_META};
use crate::{S3Backend, Seen};

/// One object version as stored: its ETag, body and the `cairn-sha256`
/// metadata beside it.
struct Fetched {
    etag: String,
    bytes: Vec<u8>,
    checksum: Option<String>,
}

impl S3Backend {
    /// One object (the current one, or a version) as stored, unchecked.
    async fn fetch(&self, version: Option<&str>) -> Result<Option<Fetched>, StateError> {
        let location = self.location();
        let client = self.s3.client(&location).await?;
        let out = match client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(&self.settings.key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let f = Failure::from_sdk("s3:GetObject", e);
                if f.is_not_found() && version.is_none() {
                    return Ok(None);
                }
                if f.is_not_found() || f.code == "InvalidArgument" {
                    return Err(StateError::NoSuchVersion {
                        location,
                        version: version.unwrap_or_default().to_string(),
                    });
                }
                return Err(f.into_state("cannot read", &location));
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let checksum = out.metadata().and_then(|m| m.get(CHECKSUM_META)).cloned();
        let bytes = body(out, &location).await?;
        Ok(Some(Fetched {
            etag,
            bytes,
            checksum,
        }))
    }

    /// One object (the current one, or a version), checked against its
    /// checksum, with the SHA-256 of its bytes (what the next version links to).
    async fn get(&self, version: Option<&str>) -> Result<Option<(Versioned, String)>, StateError> {
        let location = self.location();
        let Some(Fetched {
            etag,
            bytes,
            checksum,
        }) = self.fetch(version).await?
        else {
            return Ok(None);
        };
        let digest = sha256_hex(&bytes);
        match checksum {
            Some(sum) if sum != digest => {
                return Err(StateError::Corrupt {
                    location,
                    message: format!(
                        "its content does not match its SHA-256 checksum ({sum}): it was altered or truncated outside cairn"
                    ),
                })
            }
            Some(_) => {}
            None => tracing::warn!(
                "{location} carries no cairn checksum (written by another tool?); reading it unverified"
            ),
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| StateError::Corrupt {
            location: location.clone(),
            message: e.to_string(),
        })?;
        let doc = StateDocument::from_json(text).map_err(|e| StateError::Corrupt {
            location,
            message: e.to_string(),
        })?;
        Ok(Some((
            Versioned {
                doc,
                version: Version(etag),
            },
            digest,
        )))
    }

    fn remember(&self, etag: &str, lineage: &str, digest: &str) {
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(Seen {
                etag: etag.to_string(),
                lineage: lineage.to_string(),
                sha256: digest.to_string(),
            });
        }
    }

    /// The lineage and body digest stored at `etag`, from memory or by
    /// reading it.
    async fn stored_at(&self, etag: &Version) -> Result<Seen, StateError> {
        if let Ok(s) = self.seen.lock() {
            if let Some(seen) = s.as_ref().filter(|s| s.etag == etag.0) {
                return Ok(seen.clone());
            }
        }
        match self.get(None).await? {
            Some((v, digest)) if v.version == *etag => Ok(Seen {
                etag: etag.0.clone(),
                lineage: v.doc.lineage,
                sha256: digest,
            }),
            _ => Err(StateError::Conflict {
                location: self.location(),
            }),
        }
    }
}

#[async_trait]
impl Backend for S3Backend {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.key)
    }

    async fn read(&self) -> Result<Option<Versioned>, StateError> {
        let Some((v, digest)) = self.get(None).await? else {
            return Ok(None);
        };
        self.remember(&v.version.0, &v.doc.lineage, &digest);
        Ok(Some(v))
    }

    async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError> {
        let location = self.location();
        let replaced = match expected {
            Some(etag) => {
                let stored = self.stored_at(etag).await?;
                if stored.lineage != doc.lineage {
                    return Err(StateError::LineageMismatch {
                        location,
                        expected: stored.lineage,
                        found: doc.lineage.clone(),
                    });
                }
                Some(stored.sha256)
            }
            None => None,
        };
        // The hash chain: the digest of the body this write replaces. The
        // write is conditional on that body's ETag, so the link is exact.
        let doc = StateDocument {
            previous_sha256: replaced,
            ..doc.clone()
        };
        let body = doc.to_json_pretty().into_bytes();
        let digest = sha256_hex(&body);
        let client = self.s3.client(&location).await?;
        let mut put = client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&self.settings.key)
            .content_type("application/json")
            .metadata(CHECKSUM_META, &digest)
            .metadata("cairn-serial", doc.serial.to_string())
            .metadata("cairn-lineage", &doc.lineage);
        put = match &self.settings.kms_key_id {
            Some(k) => put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k),
            None => put.server_side_encryption(ServerSideEncryption::Aes256),
        };
        put = match expected {
            Some(etag) => put.if_match(&etag.0),
            None => put.if_none_match("*"),
        };
        let out = put.body(ByteStream::from(body)).send().await.map_err(|e| {
            let f = Failure::from_sdk("s3:PutObject", e);
            if f.is_precondition() {
                StateError::Conflict {
                    location: location.clone(),
                }
            } else {
                f.into_state("cannot write", &location)
            }
        })?;
        let etag = out.e_tag().unwrap_or_default().to_string();
        self.remember(&etag, &doc.lineage, &digest);
        Ok(Version(etag))
    }

    async fn lock(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError> {
        self.take_lock(info).await
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.settings.lock_lease)
    }

    async fn renew(&self, info: &LockInfo) -> Result<(), StateError> {
        self.renew_lock(info).await
    }

    async fn unlock(&self, lock_id: &str) -> Result<(), StateError> {
        self.release_lock(lock_id).await
    }

    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        Ok(self.read_lock().await?.map(|(info, _)| info))
    }

    async fn identity(&self) -> Option<String> {
        let sdk = self.s3.aws().sdk_config().await.ok()?;
        let sts = aws_sdk_sts::Client::new(sdk);
        match sts.get_caller_identity().send().await {
            Ok(out) => out.arn().map(str::to_string),
            Err(e) => {
                tracing::debug!("sts:GetCallerIdentity failed: {e}");
                None
            }
        }
    }

    async fn versions(&self) -> Result<VersionList, StateError> {
        let location = self.location();
        let client = self.s3.client(&location).await?;
        let warning = match versioning_enabled(client, &self.settings.bucket).await {
            Ok(true) => None,
            Ok(false) => Some(format!(
                "versioning is not enabled on the bucket `{}`: earlier versions of the state are not kept (run `cairn backend bootstrap` to enable it)",
                self.settings.bucket
            )),
            Err(f) => Some(format!("could not check the bucket's versioning: {}", f.message)),
        };
        let mut versions = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let page = client
                .list_object_versions()
                .bucket(&self.settings.bucket)
                .prefix(&self.settings.key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| {
                    Failure::from_sdk("s3:ListObjectVersions", e)
                        .into_state("cannot list", &location)
                })?;
            // The prefix also matches `<key>.lock` and longer keys.
            for v in page
                .versions()
                .iter()
                .filter(|v| v.key() == Some(self.settings.key.as_str()))
            {
                versions.push(StoredVersion {
                    id: v.version_id().unwrap_or("null").to_string(),
                    stored: v.last_modified().and_then(|t| {
                        chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).map(rfc3339)
                    }),
                });
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
        }
        // S3 lists a key's versions newest first, in the order it stored them.
        Ok(VersionList {
            versions,
            complete: warning.is_none(),
            warning,
        })
    }

    async fn read_version(&self, id: &str) -> Result<StateDocument, StateError> {
        match self.get(Some(id)).await? {
            Some((v, _)) => Ok(v.doc),
            None => Err(StateError::NoSuchVersion {
                location: self.location(),
                version: id.to_string(),
            }),
        }
    }

    async fn read_version_raw(&self, id: &str) -> Result<RawVersion, StateError> {
        match self.fetch(Some(id)).await? {
            Some(f) => Ok(RawVersion {
                bytes: f.bytes,
                checksum: f.checksum,
            }),
            None => Err(StateError::NoSuchVersion {
                location: self.location(),
                version: id.to_string(),
            }),
        }
    }

    fn keeps_checksums(&self) -> bool {
        true
    }
}
