//! The lease lock in `<key>.lock`. Every change to it is conditional, so two
//! clients can never both believe they hold it: creation with
//! `If-None-Match: *`, renewal and takeover with `If-Match` on the ETag the
//! writer last saw, release with a conditional delete.

use aws_sdk_s3::primitives::ByteStream;
use cairn_state::{LockInfo, StateError};

use crate::client::{body, now, rfc3339, Failure};
use crate::S3Backend;

/// Marks lock objects, so one lifecycle rule can expire their old versions.
pub const LOCK_TAG: &str = "cairn-object=lock";

enum Put<'a> {
    Create,
    Replace(&'a str),
}

impl S3Backend {
    /// The lock as it is stored now, with its ETag.
    pub(crate) async fn read_lock(&self) -> Result<Option<(LockInfo, String)>, StateError> {
        let location = self.lock_location();
        let client = self.s3.client(&location).await?;
        let out = match client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(self.lock_key())
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let f = Failure::from_sdk("s3:GetObject", e);
                return if f.is_not_found() {
                    Ok(None)
                } else {
                    Err(f.into_state("cannot read", &location))
                };
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = body(out, &location).await?;
        let info = serde_json::from_slice(&bytes).map_err(|e| StateError::Corrupt {
            location,
            message: format!("the lock is not a cairn lock: {e}"),
        })?;
        Ok(Some((info, etag)))
    }

    fn lock_location(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.lock_key())
    }

    /// Writes the lock with a fresh lease; the ETag on success, `None` when
    /// the condition failed (someone else's lock is there).
    async fn put_lock(&self, info: &LockInfo, cond: Put<'_>) -> Result<Option<String>, StateError> {
        let location = self.lock_location();
        let mut body = info.clone();
        body.expires = Some(rfc3339(
            now() + chrono::Duration::from_std(self.settings.lock_lease).unwrap_or_default(),
        ));
        let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
        let client = self.s3.client(&location).await?;
        let put = client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(self.lock_key())
            .content_type("application/json")
            .tagging(LOCK_TAG)
            .body(ByteStream::from(bytes));
        let put = match cond {
            Put::Create => put.if_none_match("*"),
            Put::Replace(etag) => put.if_match(etag),
        };
        match put.send().await {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_string();
                if let Ok(mut h) = self.held.lock() {
                    *h = Some((info.id.clone(), etag.clone()));
                }
                Ok(Some(etag))
            }
            Err(e) => {
                let f = Failure::from_sdk("s3:PutObject", e);
                if f.is_precondition() || f.is_not_found() {
                    Ok(None)
                } else {
                    Err(f.into_state("cannot lock", &location))
                }
            }
        }
    }

    pub(crate) async fn take_lock(&self, info: &LockInfo) -> Result<Option<LockInfo>, StateError> {
        // Two rounds: the holder may release between our create and our read.
        for _ in 0..2 {
            if self.put_lock(info, Put::Create).await?.is_some() {
                return Ok(None);
            }
            let Some((holder, etag)) = self.read_lock().await? else {
                continue;
            };
            if !holder.expired_at(now()) {
                return Err(StateError::Locked(Box::new(holder)));
            }
            // Expired: take it over, but only if it is still that same lock
            // (another waiter may be taking it over at the same moment).
            if self.put_lock(info, Put::Replace(&etag)).await?.is_some() {
                return Ok(Some(holder));
            }
        }
        match self.read_lock().await? {
            Some((holder, _)) => Err(StateError::Locked(Box::new(holder))),
            None => Err(StateError::Io {
                action: "cannot lock",
                location: self.lock_location(),
                message: "the lock changed hands repeatedly; try again".into(),
            }),
        }
    }

    fn held_etag(&self, id: &str) -> Option<String> {
        self.held
            .lock()
            .ok()
            .and_then(|h| h.as_ref().filter(|(i, _)| i == id).map(|(_, e)| e.clone()))
    }

    pub(crate) async fn renew_lock(&self, info: &LockInfo) -> Result<(), StateError> {
        let lost = |message: &str| StateError::LockLost {
            location: self.lock_location(),
            id: info.id.clone(),
            message: message.to_string(),
        };
        let Some(etag) = self.held_etag(&info.id) else {
            return Err(lost("this process does not hold it"));
        };
        match self.put_lock(info, Put::Replace(&etag)).await? {
            Some(_) => Ok(()),
            None => Err(lost(
                "it was removed or taken over by another client (see `cairn state unlock`)",
            )),
        }
    }

    /// Deletes the lock only if it is still the one with `lock_id`: with the
    /// ETag we wrote if we hold it, else after reading and comparing it.
    pub(crate) async fn release_lock(&self, lock_id: &str) -> Result<(), StateError> {
        let location = self.lock_location();
        let no_such = || StateError::NoSuchLock {
            location: location.clone(),
            id: lock_id.to_string(),
        };
        let etag = match self.held_etag(lock_id) {
            Some(e) => e,
            None => match self.read_lock().await? {
                Some((holder, etag)) if holder.id == lock_id => etag,
                _ => return Err(no_such()),
            },
        };
        let client = self.s3.client(&location).await?;
        let result = client
            .delete_object()
            .bucket(&self.settings.bucket)
            .key(self.lock_key())
            .if_match(etag)
            .send()
            .await;
        if let Ok(mut h) = self.held.lock() {
            h.take_if(|(id, _)| id == lock_id);
        }
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let f = Failure::from_sdk("s3:DeleteObject", e);
                if f.is_precondition() || f.is_not_found() {
                    Err(no_such())
                } else {
                    Err(f.into_state("cannot unlock", &location))
                }
            }
        }
    }
}
