//! `aws_secretsmanager_secret`: the secret (not its value: see
//! `secret_version.rs`). Description, KMS key and tags change in place; the
//! name forces a new secret. id = the secret's ARN, as in Terraform.
//! Deleting schedules deletion after `recovery_window_in_days` (0: at once).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::{SecretListEntry, Tag};
use cairn_aws::{error, sync_tags};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, ValidationIssue, Value,
};

use crate::SecretsManager;

pub struct Secret {
    sm: Arc<SecretsManager>,
}

impl Secret {
    pub fn new(sm: Arc<SecretsManager>) -> Self {
        Secret { sm }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A Secrets Manager secret (its value is an `aws_secretsmanager_secret_version`); description, KMS key and tags in place.")
            .attr("name", Attribute::string().required().force_new())
            .attr("description", Attribute::string())
            .attr("kms_key_id", Attribute::string())
            .attr(
                "recovery_window_in_days",
                Attribute::number()
                    .default(30)
                    .check(Check::Range(0, 30))
                    .describe("Days a deleted secret can be restored (7 to 30), or 0 to delete at once."),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn object(s: &SecretListEntryView<'_>, prior: &Object, default_tags: &tags::Tags) -> Object {
    let mut obj = Object::new();
    obj.insert("id".into(), Value::from(s.arn));
    obj.insert("arn".into(), Value::from(s.arn));
    obj.insert("name".into(), Value::from(s.name));
    obj.insert("description".into(), Value::from(s.description));
    obj.insert("kms_key_id".into(), Value::from(s.kms_key_id));
    // Not readable from AWS: it only matters when the secret is deleted.
    obj.insert(
        "recovery_window_in_days".into(),
        Value::from(prior.i64("recovery_window_in_days").unwrap_or(30)),
    );
    tags::set_live(&mut obj, &s.tags, default_tags);
    obj
}

/// What ListSecrets and DescribeSecret both answer.
struct SecretListEntryView<'a> {
    arn: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    kms_key_id: Option<&'a str>,
    tags: tags::Tags,
}

impl<'a> From<&'a SecretListEntry> for SecretListEntryView<'a> {
    fn from(s: &'a SecretListEntry) -> Self {
        SecretListEntryView {
            arn: s.arn().unwrap_or_default(),
            name: s.name().unwrap_or_default(),
            description: s.description(),
            kms_key_id: s.kms_key_id(),
            tags: live_tags(s.tags()),
        }
    }
}

fn live_tags(t: &[Tag]) -> tags::Tags {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

impl Secret {
    /// Every live secret by ARN, tags and KMS key inline: one call per 100.
    /// Secrets scheduled for deletion are not listed: they are gone.
    async fn list(&self) -> Result<HashMap<String, SecretListEntry>, ProviderError> {
        let client = self.sm.client().await?;
        let pages = client
            .list_secrets()
            .max_results(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("secretsmanager:ListSecrets", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.secret_list.unwrap_or_default())
            .filter(|s| s.deleted_date().is_none())
            .filter_map(|s| Some((s.arn()?.to_string(), s)))
            .collect())
    }

    async fn describe(
        &self,
        id: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let client = self.sm.client().await?;
        let d = client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| error("secretsmanager:DescribeSecret", e))?;
        let view = SecretListEntryView {
            arn: d.arn().unwrap_or_default(),
            name: d.name().unwrap_or_default(),
            description: d.description(),
            kms_key_id: d.kms_key_id(),
            tags: live_tags(d.tags()),
        };
        Ok(object(&view, prior, default_tags))
    }

    /// Why a create of `name` failed when a secret of that name exists:
    /// ours from an interrupted apply (adopt it), pending deletion (say so
    /// and how to get out), or someone else's.
    async fn existing(&self, name: &str, ctx: &OpContext) -> Result<Existing, ProviderError> {
        let client = self.sm.client().await?;
        let d = match client.describe_secret().secret_id(name).send().await {
            Ok(d) => d,
            Err(_) => return Ok(Existing::Foreign),
        };
        if let Some(when) = d.deleted_date() {
            return Ok(Existing::PendingDeletion(when.to_string()));
        }
        let live = live_tags(d.tags());
        let ours = ctx.owns(&live);
        Ok(if ours {
            Existing::Ours(d.arn().unwrap_or_default().to_string())
        } else {
            Existing::Foreign
        })
    }
}

enum Existing {
    Ours(String),
    PendingDeletion(String),
    Foreign,
}

#[async_trait]
impl Resource for Secret {
    fn type_name(&self) -> &'static str {
        "aws_secretsmanager_secret"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        match config.i64("recovery_window_in_days") {
            Some(d) if d != 0 && !(7..=30).contains(&d) => vec![ValidationIssue {
                attribute: "recovery_window_in_days".into(),
                message: format!(
                    "{d} days: Secrets Manager takes 7 to 30, or 0 to delete without recovery"
                ),
            }],
            _ => Vec::new(),
        }
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        Ok(requests
            .iter()
            .map(|r| match all.get(r.id) {
                Some(s) => ReadOutcome::Live(object(&s.into(), r.prior, &ctx.default_tags)),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    // The name is the identity: a create retried after a crash adopts the
    // secret its interrupted apply left (same name, this stack's tags).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sm.client().await?;
        let name = planned.str("name").unwrap_or_default();
        let created = client
            .create_secret()
            .name(name)
            .set_description(planned.str("description").map(str::to_string))
            .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        let arn = match created {
            Ok(out) => cairn_aws::created_id("secretsmanager:CreateSecret", out.arn())?,
            Err(e) => {
                let e = error("secretsmanager:CreateSecret", e);
                if !matches!(
                    e.code.as_str(),
                    "ResourceExistsException" | "InvalidRequestException"
                ) {
                    return Err(e);
                }
                match self.existing(name, ctx).await? {
                    Existing::Ours(arn) => {
                        let prior = self.describe(&arn, planned, &ctx.default_tags).await?;
                        let changed = ["description", "kms_key_id", "tags"].map(String::from);
                        return self.update(ctx, &arn, &prior, planned, &changed).await;
                    }
                    Existing::PendingDeletion(when) => {
                        return Err(ProviderError::new(
                            "secretsmanager:CreateSecret",
                            "SecretPendingDeletion",
                            format!(
                                "a secret named `{name}` is scheduled for deletion (deleted {when}) and its name stays taken until then: \
                                 restore it (`aws secretsmanager restore-secret --secret-id {name}`) and `cairn import` it, \
                                 or delete it for good (`aws secretsmanager delete-secret --secret-id {name} --force-delete-without-recovery`) and apply again"
                            ),
                        ))
                    }
                    Existing::Foreign => return Err(e),
                }
            }
        };
        self.describe(&arn, planned, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&arn))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.sm.client().await?;
        let mut update_secret = false;
        for name in changed {
            match name.as_str() {
                "description" | "kms_key_id" => update_secret = true,
                // cairn's own setting, used on delete.
                "recovery_window_in_days" => {}
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        client
                            .tag_resource()
                            .secret_id(id)
                            .set_tags(Some(sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("secretsmanager:TagResource", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_resource()
                            .secret_id(id)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("secretsmanager:UntagResource", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if update_secret {
            client
                .update_secret()
                .secret_id(id)
                .description(planned.str("description").unwrap_or_default())
                .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
                .send()
                .await
                .map_err(|e| error("secretsmanager:UpdateSecret", e))?;
        }
        self.describe(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sm.client().await?;
        let window = prior.i64("recovery_window_in_days").unwrap_or(30);
        let request = client.delete_secret().secret_id(id);
        let request = if window == 0 {
            request.force_delete_without_recovery(true)
        } else {
            request.recovery_window_in_days(window)
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("secretsmanager:DeleteSecret", e);
                if cairn_aws::is_not_found(&e) {
                    return Ok(());
                }
                // Deleting again what is scheduled for deletion succeeds.
                let pending = client
                    .describe_secret()
                    .secret_id(id)
                    .send()
                    .await
                    .is_ok_and(|d| d.deleted_date().is_some());
                if pending {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
