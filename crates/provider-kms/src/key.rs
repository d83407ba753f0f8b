//! `aws_kms_key`. KMS has no batch read: keys are read concurrently (a
//! bounded number at a time), four calls each.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use cairn_aws::{
    created_id, error, is_not_found, read_concurrently, sync_tags, ReadFuture, Tagging, TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::Kms;

/// Keys read at once during a refresh.
const READ_CONCURRENCY: usize = 8;

pub struct Key {
    kms: Arc<Kms>,
    tagging: Arc<Tagging>,
}

impl Key {
    pub fn new(kms: Arc<Kms>, tagging: Arc<Tagging>) -> Self {
        Key { kms, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A customer-managed KMS key.")
            .attr("description", Attribute::string())
            .attr(
                "key_usage",
                Attribute::string()
                    .default("ENCRYPT_DECRYPT")
                    .force_new()
                    .check(Check::OneOf(&[
                        "ENCRYPT_DECRYPT",
                        "SIGN_VERIFY",
                        "GENERATE_VERIFY_MAC",
                    ])),
            )
            .attr(
                "customer_master_key_spec",
                Attribute::string().default("SYMMETRIC_DEFAULT").force_new(),
            )
            .attr(
                "policy",
                Attribute::new(Type::JsonString)
                    .optional_computed()
                    .describe("The key policy, compared as JSON."),
            )
            .attr("enable_key_rotation", Attribute::bool().default(false))
            .attr("is_enabled", Attribute::bool().default(true))
            .attr(
                "deletion_window_in_days",
                Attribute::number()
                    .check(Check::Range(7, 30))
                    .describe("Days before a destroyed key is deleted (default 30)."),
            )
            .attr("id", Attribute::string().computed())
            .attr("key_id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().tag_key(k).tag_value(v).build().ok())
        .collect()
}

impl Key {
    /// The key's attributes, or `None` when it is gone or pending deletion.
    /// `owned`: the tags of the stack's keys, listed once for a batch; a
    /// key not among them has its tags read on its own.
    async fn read_one(
        &self,
        id: &str,
        prior: &Object,
        default_tags: &tags::Tags,
        owned: Option<&TagsByArn>,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.kms.client().await?;
        let described = match client.describe_key().key_id(id).send().await {
            Ok(d) => d,
            Err(e) => {
                let e = error("kms:DescribeKey", e);
                return if is_not_found(&e) { Ok(None) } else { Err(e) };
            }
        };
        let Some(meta) = described.key_metadata() else {
            return Ok(None);
        };
        if matches!(
            meta.key_state(),
            Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
        ) {
            return Ok(None);
        }
        let rotation = async {
            client
                .get_key_rotation_status()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:GetKeyRotationStatus", e))
        };
        let policy = async {
            client
                .get_key_policy()
                .key_id(id)
                .policy_name("default")
                .send()
                .await
                .map_err(|e| error("kms:GetKeyPolicy", e))
        };
        let live_tags = async {
            if let Some(t) = owned.and_then(|o| o.get(meta.arn().unwrap_or_default())) {
                return Ok(t.clone());
            }
            client
                .list_resource_tags()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:ListResourceTags", e))
                .map(|out| {
                    out.tags()
                        .iter()
                        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                        .collect::<tags::Tags>()
                })
        };
        let (rotation, policy, live_tags) = tokio::try_join!(rotation, policy, live_tags)?;
        let mut obj = Object::new();
        obj.insert("id".into(), meta.key_id().into());
        obj.insert("key_id".into(), meta.key_id().into());
        obj.insert("arn".into(), Value::from(meta.arn()));
        obj.insert("description".into(), Value::from(meta.description()));
        obj.insert(
            "key_usage".into(),
            Value::from(meta.key_usage().map(|u| u.as_str())),
        );
        obj.insert(
            "customer_master_key_spec".into(),
            Value::from(meta.key_spec().map(|s| s.as_str())),
        );
        obj.insert("is_enabled".into(), meta.enabled().into());
        obj.insert(
            "enable_key_rotation".into(),
            rotation.key_rotation_enabled().into(),
        );
        obj.insert("policy".into(), Value::from(policy.policy()));
        // Not readable from AWS: it only matters when the key is destroyed.
        obj.insert(
            "deletion_window_in_days".into(),
            prior
                .get("deletion_window_in_days")
                .cloned()
                .unwrap_or_default(),
        );
        tags::set_live(&mut obj, &live_tags, default_tags);
        Ok(Some(obj))
    }

    async fn must_read(
        &self,
        id: &str,
        planned: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.read_one(id, planned, default_tags, None)
            .await?
            .ok_or_else(|| {
                ProviderError::new(
                    "kms:DescribeKey",
                    "NotFoundException",
                    format!("key {id} not found after writing it"),
                )
            })
    }

    async fn set_rotation(&self, id: &str, on: bool) -> Result<(), ProviderError> {
        let client = self.kms.client().await?;
        if on {
            client
                .enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:EnableKeyRotation", e))?;
        } else {
            client
                .disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:DisableKeyRotation", e))?;
        }
        Ok(())
    }

    async fn set_enabled(&self, id: &str, on: bool) -> Result<(), ProviderError> {
        let client = self.kms.client().await?;
        if on {
            client
                .enable_key()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:EnableKey", e))?;
        } else {
            client
                .disable_key()
                .key_id(id)
                .send()
                .await
                .map_err(|e| error("kms:DisableKey", e))?;
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for Key {
    fn type_name(&self) -> &'static str {
        "aws_kms_key"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        // Boxed so the stream's type names no closure (keeps it Send for
        // async_trait).
        let owned = self.tagging.owned("kms", &ctx.stack).await?;
        let reads: Vec<_> = requests
            .iter()
            .map(|r| {
                Box::pin(self.read_one(r.id, r.prior, &ctx.default_tags, Some(&owned)))
                    as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        // A key has no name to find it by after a crash: its ownership tags
        // are the only way to adopt one instead of creating another.
        let owned = self.tagging.owned("kms:key", stack).await?;
        Ok(owned
            .iter()
            .filter_map(|(arn, t)| {
                let id = arn.rsplit_once("key/")?.1;
                Some((t.get(tags::ADDRESS_TAG)?.clone(), id.to_string()))
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.kms.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let out = client
            .create_key()
            .set_description(s("description"))
            .key_usage(KeyUsageType::from(
                s("key_usage")
                    .unwrap_or_else(|| "ENCRYPT_DECRYPT".into())
                    .as_str(),
            ))
            .key_spec(KeySpec::from(
                s("customer_master_key_spec")
                    .unwrap_or_else(|| "SYMMETRIC_DEFAULT".into())
                    .as_str(),
            ))
            .set_policy(s("policy"))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("kms:CreateKey", e))?;
        let id = created_id("kms:CreateKey", out.key_metadata().map(|m| m.key_id()))?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        if planned.bool("enable_key_rotation") == Some(true) {
            self.set_rotation(&id, true).await.map_err(partial)?;
        }
        if planned.bool("is_enabled") == Some(false) {
            self.set_enabled(&id, false).await.map_err(partial)?;
        }
        self.must_read(&id, planned, &ctx.default_tags)
            .await
            .map_err(partial)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.kms.client().await?;
        let b = |k: &str, d: bool| planned.bool(k).unwrap_or(d);
        for name in changed {
            match name.as_str() {
                "description" => {
                    let d = planned
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    client
                        .update_key_description()
                        .key_id(id)
                        .description(d)
                        .send()
                        .await
                        .map_err(|e| error("kms:UpdateKeyDescription", e))?;
                }
                "policy" => {
                    if let Some(p) = planned.str("policy") {
                        client
                            .put_key_policy()
                            .key_id(id)
                            .policy_name("default")
                            .policy(p)
                            .send()
                            .await
                            .map_err(|e| error("kms:PutKeyPolicy", e))?;
                    }
                }
                "enable_key_rotation" => {
                    self.set_rotation(id, b("enable_key_rotation", false))
                        .await?
                }
                "is_enabled" => self.set_enabled(id, b("is_enabled", true)).await?,
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        client
                            .tag_resource()
                            .key_id(id)
                            .set_tags(Some(sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("kms:TagResource", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_resource()
                            .key_id(id)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("kms:UntagResource", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?
                }
                // Recorded only; used when the key is destroyed.
                "deletion_window_in_days" => {}
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.must_read(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.kms.client().await?;
        let days = prior
            .get("deletion_window_in_days")
            .and_then(Value::as_i64)
            .unwrap_or(30) as i32;
        match client
            .schedule_key_deletion()
            .key_id(id)
            .pending_window_in_days(days)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("kms:ScheduleKeyDeletion", e);
                // Gone, or already scheduled for deletion: the goal is reached.
                if is_not_found(&e) || e.code == "KMSInvalidStateException" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
