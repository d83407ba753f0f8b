//! `cairn backend bootstrap`: the state bucket, made safe to hold state, by
//! cairn itself (no chicken-and-egg stack with local state). Idempotent:
//! each step reads first and changes only what differs.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, DefaultRetention, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockRetentionMode, ObjectLockRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, VersioningConfiguration,
};
use cairn_state::StateError;

use crate::client::{versioning_enabled, Failure};
use crate::S3Backend;

/// The lifecycle rule cairn owns in the bucket.
const LOCK_RULE_ID: &str = "cairn-expire-old-lock-versions";

/// One thing bootstrap checked, and whether it had to change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapStep {
    pub what: &'static str,
    pub changed: bool,
    pub detail: String,
}

/// Who may remove a locked state version before its retention ends
/// (docs/state.md, "Undeletable versions").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Principals granted `s3:BypassGovernanceRetention` (with the bypass
    /// header) may; nobody else.
    Governance,
    /// Nobody, not even the account's root user, and the retention cannot
    /// be shortened.
    Compliance,
}

impl LockMode {
    fn sdk(self) -> ObjectLockRetentionMode {
        match self {
            LockMode::Governance => ObjectLockRetentionMode::Governance,
            LockMode::Compliance => ObjectLockRetentionMode::Compliance,
        }
    }
}

/// S3 Object Lock with a default retention: every state version stored
/// from then on cannot be deleted or overwritten for `days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLock {
    pub days: i32,
    pub mode: LockMode,
}

/// What `backend bootstrap` sets up beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct BootstrapOptions {
    pub object_lock: Option<ObjectLock>,
}

impl S3Backend {
    pub async fn bootstrap(&self) -> Result<Vec<BootstrapStep>, StateError> {
        self.bootstrap_with(&BootstrapOptions::default()).await
    }

    pub async fn bootstrap_with(
        &self,
        options: &BootstrapOptions,
    ) -> Result<Vec<BootstrapStep>, StateError> {
        let bucket = self.settings.bucket.as_str();
        let location = format!("s3://{bucket}");
        let fail = |f: Failure| f.into_state("cannot bootstrap", &location);
        let invalid = |e: aws_sdk_s3::error::BuildError| StateError::Io {
            action: "cannot bootstrap",
            location: location.clone(),
            message: e.to_string(),
        };
        let client = self.s3.client(&location).await?;
        let mut steps = Vec::new();

        // The bucket.
        let exists = match client.head_bucket().bucket(bucket).send().await {
            Ok(_) => true,
            Err(e) => {
                let f = Failure::from_sdk("s3:HeadBucket", e);
                if f.is_not_found() {
                    false
                } else {
                    return Err(fail(f));
                }
            }
        };
        if !exists {
            let region = self
                .s3
                .aws()
                .sdk_config()
                .await
                .ok()
                .and_then(|c| c.region().map(|r| r.to_string()))
                .unwrap_or_default();
            // Object lock at creation is the one way every S3 partition
            // and emulator accepts; it turns versioning on with it.
            let mut create = client
                .create_bucket()
                .bucket(bucket)
                .set_object_lock_enabled_for_bucket(options.object_lock.map(|_| true));
            // us-east-1 is the one region that takes no location constraint.
            if !region.is_empty() && region != "us-east-1" {
                create = create.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(region.as_str()))
                        .build(),
                );
            }
            create
                .send()
                .await
                .map_err(|e| fail(Failure::from_sdk("s3:CreateBucket", e)))?;
        }
        steps.push(BootstrapStep {
            what: "bucket",
            changed: !exists,
            detail: if exists {
                format!("{bucket} exists")
            } else {
                format!("created {bucket}")
            },
        });

        // Versioning: history, and recovery from a bad write.
        let enabled = versioning_enabled(client, bucket).await.map_err(fail)?;
        if !enabled {
            client
                .put_bucket_versioning()
                .bucket(bucket)
                .versioning_configuration(
                    VersioningConfiguration::builder()
                        .status(BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| fail(Failure::from_sdk("s3:PutBucketVersioning", e)))?;
        }
        steps.push(BootstrapStep {
            what: "versioning",
            changed: !enabled,
            detail: "enabled".into(),
        });

        if let Some(lock) = options.object_lock {
            steps.push(self.object_lock(lock, !exists).await?);
        }

        // Default encryption.
        let (algorithm, key) = match &self.settings.kms_key_id {
            Some(k) => (ServerSideEncryption::AwsKms, Some(k.clone())),
            None => (ServerSideEncryption::Aes256, None),
        };
        let current = client
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| {
                        (
                            d.sse_algorithm().clone(),
                            d.kms_master_key_id().map(str::to_string),
                        )
                    })
            });
        let encryption_ok = current == Some((algorithm.clone(), key.clone()));
        if !encryption_ok {
            let default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(algorithm.clone())
                .set_kms_master_key_id(key.clone())
                .build()
                .map_err(invalid)?;
            let config = ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(default)
                        .bucket_key_enabled(key.is_some())
                        .build(),
                )
                .build()
                .map_err(invalid)?;
            client
                .put_bucket_encryption()
                .bucket(bucket)
                .server_side_encryption_configuration(config)
                .send()
                .await
                .map_err(|e| fail(Failure::from_sdk("s3:PutBucketEncryption", e)))?;
        }
        steps.push(BootstrapStep {
            what: "encryption",
            changed: !encryption_ok,
            detail: match &key {
                Some(k) => format!("SSE-KMS with {k}"),
                None => "SSE-S3 (AES256)".into(),
            },
        });

        // No public access, ever.
        let blocked = client
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .ok()
            .and_then(|o| o.public_access_block_configuration().cloned())
            .is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            });
        if !blocked {
            client
                .put_public_access_block()
                .bucket(bucket)
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| fail(Failure::from_sdk("s3:PutPublicAccessBlock", e)))?;
        }
        steps.push(BootstrapStep {
            what: "public access",
            changed: !blocked,
            detail: "all blocked".into(),
        });

        // Every lease renewal writes a lock version: expire the old ones.
        // Other rules in the bucket are kept.
        let mut rules: Vec<LifecycleRule> = client
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .map(|o| o.rules().to_vec())
            .unwrap_or_default();
        let has_rule = rules.iter().any(|r| r.id() == Some(LOCK_RULE_ID));
        if !has_rule {
            let (k, v) = crate::lock::LOCK_TAG
                .split_once('=')
                .unwrap_or(("cairn-object", "lock"));
            let tag = Tag::builder().key(k).value(v).build().map_err(invalid)?;
            let rule = LifecycleRule::builder()
                .id(LOCK_RULE_ID)
                .status(ExpirationStatus::Enabled)
                .filter(LifecycleRuleFilter::builder().tag(tag).build())
                .noncurrent_version_expiration(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .build(),
                )
                .build()
                .map_err(invalid)?;
            rules.push(rule);
            client
                .put_bucket_lifecycle_configuration()
                .bucket(bucket)
                .lifecycle_configuration(
                    BucketLifecycleConfiguration::builder()
                        .set_rules(Some(rules))
                        .build()
                        .map_err(invalid)?,
                )
                .send()
                .await
                .map_err(|e| fail(Failure::from_sdk("s3:PutBucketLifecycleConfiguration", e)))?;
        }
        steps.push(BootstrapStep {
            what: "lifecycle",
            changed: !has_rule,
            detail: format!("rule `{LOCK_RULE_ID}`: old lock versions expire after 1 day"),
        });
        Ok(steps)
    }
}

impl S3Backend {
    /// Object lock with `lock` as the default retention. A bucket made
    /// without it gets it through PutObjectLockConfiguration, which AWS
    /// accepts on an existing bucket once versioning is on (the step before
    /// this one); where it is refused (other S3 implementations, an older
    /// rule), the message says what to do instead.
    async fn object_lock(
        &self,
        lock: ObjectLock,
        created: bool,
    ) -> Result<BootstrapStep, StateError> {
        let bucket = self.settings.bucket.as_str();
        let location = format!("s3://{bucket}");
        let client = self.s3.client(&location).await?;
        let current = match client
            .get_object_lock_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out.object_lock_configuration().cloned(),
            Err(e) => {
                let f = Failure::from_sdk("s3:GetObjectLockConfiguration", e);
                // No configuration at all: object lock was never enabled.
                if f.is_not_found() || f.code.ends_with("NotFoundError") {
                    None
                } else {
                    return Err(f.into_state("cannot bootstrap", &location));
                }
            }
        };
        let enabled = current
            .as_ref()
            .and_then(|c| c.object_lock_enabled())
            .is_some_and(|e| *e == ObjectLockEnabled::Enabled);
        let retention = current
            .as_ref()
            .and_then(|c| c.rule())
            .and_then(|r| r.default_retention());
        let (mode, days) = (
            retention.and_then(|d| d.mode()).cloned(),
            retention.and_then(|d| d.days()).filter(|d| *d > 0),
        );
        let wanted = format!(
            "{} retention of {} day(s) for every new state version",
            lock.mode.sdk().as_str(),
            lock.days
        );
        if enabled && mode.as_ref() == Some(&lock.mode.sdk()) && days == Some(lock.days) {
            return Ok(BootstrapStep {
                what: "object lock",
                changed: false,
                detail: wanted,
            });
        }
        let was = match (&mode, days) {
            _ if created => String::new(),
            (Some(m), Some(d)) if enabled => format!(" (was {} {d} day(s))", m.as_str()),
            _ if enabled => " (was on without a default retention)".into(),
            // Versions stored before now keep no retention: say so.
            _ => "; enabled on this existing bucket: versions stored before now are not locked"
                .into(),
        };
        let rule = ObjectLockRule::builder()
            .default_retention(
                DefaultRetention::builder()
                    .mode(lock.mode.sdk())
                    .days(lock.days)
                    .build(),
            )
            .build();
        client
            .put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(rule)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                let f = Failure::from_sdk("s3:PutObjectLockConfiguration", e);
                if enabled {
                    return f.into_state("cannot bootstrap", &location);
                }
                StateError::Io {
                    action: "cannot enable object lock on",
                    location: location.clone(),
                    message: format!(
                        "{} ({}). The bucket exists without object lock, and this S3 refuses to turn it on now (AWS allows it on an existing versioned bucket; some S3 implementations only at creation, or only while the bucket is empty). Bootstrap a new bucket with --object-lock-days and move the state there with `cairn backend migrate --from s3://{bucket}/{}`",
                        f.message, f.code, self.settings.key
                    ),
                }
            })?;
        Ok(BootstrapStep {
            what: "object lock",
            changed: true,
            detail: format!("{wanted}{was}"),
        })
    }
}
