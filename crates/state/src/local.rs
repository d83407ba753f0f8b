//! State in a local JSON file (the default): `state/<stack>/<env>.json`.
//!
//! Writes go to a temporary file in the same directory, are fsynced, then
//! renamed over the old file, so a crash leaves either the old or the new
//! document, never a torn one. The lock is `<file>.lock`, created with
//! O_EXCL; a lock whose holder process is gone (same host) is reported as
//! stale and taken over.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::backend::{
    hostname, Backend, LockInfo, RawVersion, StateError, StoredVersion, Version, VersionList,
    Versioned,
};
use crate::document::{sha256_hex, StateDocument};

pub struct LocalBackend {
    path: PathBuf,
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A warning when the state file may be read by others (one written
    /// before cairn kept state files private).
    pub fn loose_permissions(&self) -> Option<String> {
        crate::private::loose_permissions(&self.path)
    }

    fn lock_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }

    fn io(&self, action: &'static str, path: &Path, e: std::io::Error) -> StateError {
        StateError::Io {
            action,
            location: path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn read_bytes(&self) -> Result<Option<Vec<u8>>, StateError> {
        match fs::read(&self.path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("cannot read", &self.path, e)),
        }
    }

    fn read_sync(&self) -> Result<Option<Versioned>, StateError> {
        let Some(bytes) = self.read_bytes()? else {
            return Ok(None);
        };
        let version = content_version(&bytes);
        let text = String::from_utf8(bytes).map_err(|e| StateError::Corrupt {
            location: self.location(),
            message: e.to_string(),
        })?;
        let doc = StateDocument::from_json(&text).map_err(|e| StateError::Corrupt {
            location: self.location(),
            message: e.to_string(),
        })?;
        Ok(Some(Versioned { doc, version }))
    }

    fn write_sync(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError> {
        let current = self.read_sync()?;
        match (&current, expected) {
            (None, None) => {}
            (Some(cur), Some(exp)) if &cur.version == exp => {}
            _ => {
                return Err(StateError::Conflict {
                    location: self.location(),
                })
            }
        }
        if let Some(cur) = &current {
            if cur.doc.lineage != doc.lineage {
                return Err(StateError::LineageMismatch {
                    location: self.location(),
                    expected: cur.doc.lineage.clone(),
                    found: doc.lineage.clone(),
                });
            }
        }
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        crate::private::create_dir(dir).map_err(|e| self.io("cannot create directory", dir, e))?;
        // The hash chain: the version token of what is replaced is the
        // SHA-256 of its bytes, exactly what `previous_sha256` records.
        let chained = StateDocument {
            previous_sha256: current.map(|c| c.version.0),
            ..doc.clone()
        };
        let text = chained.to_json_pretty();
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            self.path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("state"),
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            let mut f = crate::private::open(
                &tmp,
                fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true),
            )?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            // Persist the rename itself.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            self.io("cannot write", &self.path, e)
        })?;
        Ok(content_version(text.as_bytes()))
    }

    fn read_lock(&self) -> Result<Option<LockInfo>, StateError> {
        let path = self.lock_path();
        match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| StateError::Corrupt {
                    location: path.display().to_string(),
                    message: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("cannot read", &path, e)),
        }
    }

    fn lock_sync(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError> {
        let path = self.lock_path();
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::private::create_dir(dir)
                .map_err(|e| self.io("cannot create directory", dir, e))?;
        }
        let body = serde_json::to_string_pretty(info).unwrap_or_default();
        let mut took_over = None;
        for _ in 0..2 {
            match crate::private::open(&path, fs::OpenOptions::new().write(true).create_new(true)) {
                Ok(mut f) => {
                    f.write_all(body.as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| self.io("cannot write", &path, e))?;
                    return Ok(took_over);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = match self.read_lock()? {
                        Some(h) => h,
                        // Released between our create and our read: try again.
                        None => continue,
                    };
                    if holder_is_dead(&holder) {
                        let _ = fs::remove_file(&path);
                        took_over = Some(holder);
                        continue;
                    }
                    return Err(StateError::Locked(Box::new(holder)));
                }
                Err(e) => return Err(self.io("cannot create", &path, e)),
            }
        }
        match self.read_lock()? {
            Some(h) => Err(StateError::Locked(Box::new(h))),
            None => Err(StateError::Io {
                action: "cannot lock",
                location: path.display().to_string(),
                message: "lock contention".into(),
            }),
        }
    }

    fn unlock_sync(&self, lock_id: &str) -> Result<(), StateError> {
        let path = self.lock_path();
        match self.read_lock()? {
            Some(h) if h.id == lock_id => {
                fs::remove_file(&path).map_err(|e| self.io("cannot remove", &path, e))
            }
            _ => Err(StateError::NoSuchLock {
                location: path.display().to_string(),
                id: lock_id.to_string(),
            }),
        }
    }
}

/// A lock left by a process that no longer exists on this host can never be
/// released by its holder (it was killed). Only decidable on Linux, and only
/// for locks taken on this host.
fn holder_is_dead(holder: &LockInfo) -> bool {
    match (holder.pid, &holder.host) {
        (Some(pid), Some(host)) if *host == hostname() && Path::new("/proc/self").exists() => {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

/// The version token is the chain digest itself, so the version a write
/// replaces is also its `previous_sha256`.
fn content_version(bytes: &[u8]) -> Version {
    Version(sha256_hex(bytes))
}

#[async_trait]
impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn read(&self) -> Result<Option<Versioned>, StateError> {
        self.read_sync()
    }

    async fn write(
        &self,
        doc: &StateDocument,
        expected: Option<&Version>,
    ) -> Result<Version, StateError> {
        self.write_sync(doc, expected)
    }

    async fn lock(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError> {
        self.lock_sync(info)
    }

    async fn unlock(&self, lock_id: &str) -> Result<(), StateError> {
        self.unlock_sync(lock_id)
    }

    async fn current_lock(&self) -> Result<Option<LockInfo>, StateError> {
        self.read_lock()
    }

    /// A file has one version: the current one, named by the start of its
    /// content hash. History needs the S3 backend (or the file in git).
    async fn versions(&self) -> Result<VersionList, StateError> {
        let Some(current) = self.read_sync()? else {
            return Ok(VersionList::default());
        };
        let stored = fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
            .map(|t| {
                chrono::DateTime::<chrono::Utc>::from(t)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
        Ok(VersionList {
            versions: vec![StoredVersion {
                id: short_id(&current.version),
                stored,
            }],
            complete: false,
            warning: Some(
                "the local backend keeps only the current version; use the S3 backend (or keep the file in version control) for history".into(),
            ),
        })
    }

    async fn read_version(&self, id: &str) -> Result<StateDocument, StateError> {
        match self.read_sync()? {
            Some(v) if short_id(&v.version) == id || v.version.0 == id => Ok(v.doc),
            _ => Err(StateError::NoSuchVersion {
                location: self.location(),
                version: id.to_string(),
            }),
        }
    }

    /// The file as it is; a file keeps no checksum beside it.
    async fn read_version_raw(&self, id: &str) -> Result<RawVersion, StateError> {
        match self.read_bytes()? {
            Some(bytes)
                if {
                    let v = content_version(&bytes);
                    short_id(&v) == id || v.0 == id
                } =>
            {
                Ok(RawVersion {
                    bytes,
                    checksum: None,
                })
            }
            _ => Err(StateError::NoSuchVersion {
                location: self.location(),
                version: id.to_string(),
            }),
        }
    }
}

fn short_id(v: &Version) -> String {
    v.0.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend() -> (tempfile::TempDir, LocalBackend) {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path().join("s/env.json"));
        (dir, b)
    }

    #[tokio::test]
    async fn a_lock_of_a_dead_process_is_taken_over() {
        let (_d, b) = backend();
        let mut dead = LockInfo::new("apply", "s", None);
        dead.pid = Some(u32::MAX - 1);
        b.lock(&dead).await.unwrap();
        let me = LockInfo::new("apply", "s", None);
        let previous = b.lock(&me).await.unwrap();
        assert_eq!(previous.map(|p| p.id), Some(dead.id));
        assert_eq!(b.current_lock().await.unwrap().unwrap().id, me.id);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn state_and_lock_files_are_private_in_a_private_directory() {
        use std::os::unix::fs::PermissionsExt;
        let (d, b) = backend();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        b.lock(&LockInfo::new("apply", "s", None)).await.unwrap();
        b.write(&StateDocument::new("s", None), None).await.unwrap();
        assert_eq!(mode(b.path()), 0o600);
        assert_eq!(mode(&b.lock_path()), 0o600);
        assert_eq!(mode(&d.path().join("s")), 0o700);
        assert!(b.loose_permissions().is_none());
        fs::set_permissions(b.path(), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(b.loose_permissions().unwrap().contains("chmod 600"));
    }
}
