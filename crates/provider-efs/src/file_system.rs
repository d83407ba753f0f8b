//! `aws_efs_file_system`: encryption, KMS key and performance mode force a
//! new file system; throughput and the lifecycle policy change in place.
//! The creation token defaults to the create's idempotency token, so a
//! create retried after a crash finds the file system it already made.
//! Deleting waits while mount targets (deleted just before) still hold it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_efs::types::{
    FileSystemDescription, LifecyclePolicy, PerformanceMode, ThroughputMode, TransitionToIaRules,
};
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::{live_tags, sdk_tags, update_tags, Efs, READ_CONCURRENCY};

pub struct FileSystem {
    efs: Arc<Efs>,
}

impl FileSystem {
    pub fn new(efs: Arc<Efs>) -> Self {
        FileSystem { efs }
    }
}

const TRANSITIONS: &[&str] = &[
    "AFTER_1_DAY",
    "AFTER_7_DAYS",
    "AFTER_14_DAYS",
    "AFTER_30_DAYS",
    "AFTER_60_DAYS",
    "AFTER_90_DAYS",
    "AFTER_180_DAYS",
    "AFTER_270_DAYS",
    "AFTER_365_DAYS",
];

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let lifecycle = Schema::new().attr(
            "transition_to_ia",
            Attribute::string().check(Check::OneOf(TRANSITIONS)),
        );
        Schema::new()
            .describe("An EFS file system; encryption, KMS key and performance mode force a new one, throughput and lifecycle policy change in place.")
            .attr("creation_token", Attribute::string().optional_computed().force_new())
            .attr("encrypted", Attribute::bool().default(false).force_new())
            .attr("kms_key_id", Attribute::string().optional_computed().force_new())
            .attr(
                "performance_mode",
                Attribute::string()
                    .default("generalPurpose")
                    .force_new()
                    .check(Check::OneOf(&["generalPurpose", "maxIO"])),
            )
            .attr(
                "throughput_mode",
                Attribute::string()
                    .default("bursting")
                    .check(Check::OneOf(&["bursting", "provisioned", "elastic"])),
            )
            .attr("provisioned_throughput_in_mibps", Attribute::number())
            .attr("lifecycle_policy", Attribute::new(Type::object(lifecycle)))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("dns_name", Attribute::string().computed())
            .with_tags()
    })
}

fn object(
    f: &FileSystemDescription,
    transition: Option<&str>,
    region: &str,
    default_tags: &tags::Tags,
) -> Object {
    let id = f.file_system_id();
    let mut obj = Object::new();
    obj.insert("id".into(), id.into());
    obj.insert("arn".into(), Value::from(f.file_system_arn()));
    obj.insert("creation_token".into(), f.creation_token().into());
    obj.insert("encrypted".into(), f.encrypted().unwrap_or(false).into());
    obj.insert("kms_key_id".into(), Value::from(f.kms_key_id()));
    obj.insert(
        "performance_mode".into(),
        f.performance_mode().as_str().into(),
    );
    obj.insert(
        "throughput_mode".into(),
        Value::from(
            f.throughput_mode()
                .map(|t| t.as_str())
                .unwrap_or("bursting"),
        ),
    );
    obj.insert(
        "provisioned_throughput_in_mibps".into(),
        f.provisioned_throughput_in_mibps()
            .map_or(Value::Null, Value::Number),
    );
    obj.insert(
        "lifecycle_policy".into(),
        match transition {
            Some(t) => Value::Map([("transition_to_ia".to_string(), Value::from(t))].into()),
            None => Value::Null,
        },
    );
    obj.insert(
        "dns_name".into(),
        format!("{id}.efs.{region}.amazonaws.com").into(),
    );
    tags::set_live(&mut obj, &live_tags(f.tags()), default_tags);
    obj
}

impl FileSystem {
    /// Every file system by id, tags inline: one call per page. Deleted
    /// ones (listed for a while) are left out.
    async fn list(&self) -> Result<HashMap<String, FileSystemDescription>, ProviderError> {
        let client = self.efs.client().await?;
        let pages = client
            .describe_file_systems()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("efs:DescribeFileSystems", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.file_systems.unwrap_or_default())
            .filter(|f| !matches!(f.life_cycle_state().as_str(), "deleted" | "deleting"))
            .map(|f| (f.file_system_id().to_string(), f))
            .collect())
    }

    /// The lifecycle policy: EFS answers it only per file system.
    async fn transition(&self, id: &str) -> Result<Option<String>, ProviderError> {
        let client = self.efs.client().await?;
        let out = client
            .describe_lifecycle_configuration()
            .file_system_id(id)
            .send()
            .await
            .map_err(|e| error("efs:DescribeLifecycleConfiguration", e))?;
        Ok(out
            .lifecycle_policies()
            .iter()
            .find_map(|p| p.transition_to_ia().map(|t| t.as_str().to_string())))
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        let f = self.list().await?.remove(id).ok_or_else(|| {
            ProviderError::new(
                "efs:DescribeFileSystems",
                "FileSystemNotFound",
                format!("file system {id} not found after writing it"),
            )
        })?;
        let t = self.transition(id).await?;
        Ok(object(
            &f,
            t.as_deref(),
            &self.efs.region().await,
            default_tags,
        ))
    }

    async fn put_lifecycle(&self, id: &str, planned: &Object) -> Result<(), ProviderError> {
        let client = self.efs.client().await?;
        let policies = planned
            .get("lifecycle_policy")
            .and_then(Value::as_map)
            .and_then(|m| m.str("transition_to_ia"))
            .map(|t| {
                vec![LifecyclePolicy::builder()
                    .transition_to_ia(TransitionToIaRules::from(t))
                    .build()]
            })
            .unwrap_or_default();
        client
            .put_lifecycle_configuration()
            .file_system_id(id)
            .set_lifecycle_policies(Some(policies))
            .send()
            .await
            .map_err(|e| error("efs:PutLifecycleConfiguration", e))?;
        Ok(())
    }
}

#[async_trait]
impl Resource for FileSystem {
    fn type_name(&self) -> &'static str {
        "aws_efs_file_system"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        let region = self.efs.region().await;
        let reads = requests
            .iter()
            .map(|r| {
                let f = all.get(r.id);
                let region = &region;
                Box::pin(async move {
                    let Some(f) = f else { return Ok(None) };
                    let t = self.transition(r.id).await?;
                    Ok(Some(object(f, t.as_deref(), region, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter_map(|(id, f)| tags::owned_entry(stack, &id, &live_tags(f.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.efs.client().await?;
        let token = planned
            .str("creation_token")
            .unwrap_or(&ctx.idempotency_token);
        let created = client
            .create_file_system()
            .creation_token(token)
            .encrypted(planned.bool("encrypted").unwrap_or(false))
            .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
            .performance_mode(PerformanceMode::from(
                planned.str("performance_mode").unwrap_or("generalPurpose"),
            ))
            .throughput_mode(ThroughputMode::from(
                planned.str("throughput_mode").unwrap_or("bursting"),
            ))
            .set_provisioned_throughput_in_mibps(
                planned
                    .get("provisioned_throughput_in_mibps")
                    .and_then(Value::as_f64),
            )
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        let id = match created {
            Ok(out) => out.file_system_id().to_string(),
            // The same token: this create already happened (a retry after
            // a crash); the answer names the file system.
            Err(e) => {
                let e = error("efs:CreateFileSystem", e);
                if e.code != "FileSystemAlreadyExists" {
                    return Err(e);
                }
                let found = client
                    .describe_file_systems()
                    .creation_token(token)
                    .send()
                    .await
                    .map_err(|e| error("efs:DescribeFileSystems", e))?;
                match found.file_systems().first() {
                    Some(f) => f.file_system_id().to_string(),
                    None => return Err(e),
                }
            }
        };
        let id = cairn_aws::created_id("efs:CreateFileSystem", Some(&id))?;
        if planned
            .get("lifecycle_policy")
            .is_some_and(|v| !v.is_null())
        {
            self.put_lifecycle(&id, planned)
                .await
                .map_err(|e| e.with_partial_id(&id))?;
        }
        self.read_one(&id, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.efs.client().await?;
        let mut throughput = false;
        for name in changed {
            match name.as_str() {
                "lifecycle_policy" => self.put_lifecycle(id, planned).await?,
                "throughput_mode" | "provisioned_throughput_in_mibps" => throughput = true,
                "tags" => update_tags(&self.efs, id, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if throughput {
            client
                .update_file_system()
                .file_system_id(id)
                .throughput_mode(ThroughputMode::from(
                    planned.str("throughput_mode").unwrap_or("bursting"),
                ))
                .set_provisioned_throughput_in_mibps(
                    planned
                        .get("provisioned_throughput_in_mibps")
                        .and_then(Value::as_f64),
                )
                .send()
                .await
                .map_err(|e| error("efs:UpdateFileSystem", e))?;
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.efs.client().await?;
        // Mount targets deleted a moment ago may still hold it.
        let draining = [RetryOn::new("FileSystemInUse", ctx.timeout)];
        delete_with_retry("EFS file system", &draining, || async {
            client
                .delete_file_system()
                .file_system_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("efs:DeleteFileSystem", e))
        })
        .await
    }
}
