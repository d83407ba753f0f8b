//! `aws_cloudwatch_log_group`: retention and KMS key change in place.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::LogGroup as SdkLogGroup;
use cairn_aws::{error, read_concurrently, sync_tags, ReadFuture, Tagging, TagsByArn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::Logs;

/// The retentions CloudWatch Logs accepts, in days.
const RETENTIONS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

const READ_CONCURRENCY: usize = 8;

pub struct LogGroup {
    logs: Arc<Logs>,
    tagging: Arc<Tagging>,
}

impl LogGroup {
    pub fn new(logs: Arc<Logs>, tagging: Arc<Tagging>) -> Self {
        LogGroup { logs, tagging }
    }
}

fn retention(v: &Value) -> Result<(), String> {
    match v.as_i64() {
        Some(d) if !RETENTIONS.contains(&d) => Err(format!(
            "{d} is not a retention CloudWatch Logs accepts (one of {})",
            RETENTIONS
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A CloudWatch Logs log group.")
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "retention_in_days",
                Attribute::number()
                    .check(Check::Custom(retention))
                    .describe("days to keep events; unset keeps them forever"),
            )
            .attr("kms_key_id", Attribute::string())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

impl LogGroup {
    /// One group by name, with its tags: after a write, and for imports.
    async fn get(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let Some(g) = self.describe(&[name]).await?.remove(name) else {
            return Ok(None);
        };
        let live = self.tags_of(&arn_of(&g)).await?;
        Ok(Some(object(&g, &live, default_tags)))
    }

    /// The groups of these names: one listing (paginated) per distinct
    /// parent path (`/ecs/tracker/` for `/ecs/tracker/api`), as
    /// DescribeLogGroups filters by prefix only.
    async fn describe(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, SdkLogGroup>, ProviderError> {
        let client = self.logs.client().await?;
        let prefixes: BTreeSet<&str> = names
            .iter()
            .map(|n| n.rfind('/').map_or(*n, |i| &n[..=i]))
            .collect();
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let mut out = HashMap::new();
        for prefix in prefixes {
            let groups: Vec<SdkLogGroup> = client
                .describe_log_groups()
                .log_group_name_prefix(prefix)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("logs:DescribeLogGroups", e))?;
            out.extend(groups.into_iter().filter_map(|g| {
                let name = g.log_group_name()?.to_string();
                wanted.contains(name.as_str()).then_some((name, g))
            }));
        }
        Ok(out)
    }

    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.logs.client().await?;
        Ok(client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("logs:ListTagsForResource", e))?
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect())
    }

    async fn get_written(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.get(name, default_tags).await?.ok_or_else(|| {
            ProviderError::new(
                "logs:DescribeLogGroups",
                "ResourceNotFoundException",
                format!("log group {name} not found after writing it"),
            )
        })
    }

    async fn set_retention(&self, name: &str, days: Option<i64>) -> Result<(), ProviderError> {
        let client = self.logs.client().await?;
        match days {
            Some(d) => client
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(d as i32)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("logs:PutRetentionPolicy", e)),
            None => client
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("logs:DeleteRetentionPolicy", e)),
        }
    }
}

fn arn_of(g: &SdkLogGroup) -> String {
    g.arn()
        .unwrap_or_default()
        .trim_end_matches(":*")
        .to_string()
}

fn object(g: &SdkLogGroup, live: &tags::Tags, default_tags: &tags::Tags) -> Object {
    let name = g.log_group_name().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("id".into(), name.into());
    obj.insert("name".into(), name.into());
    obj.insert("arn".into(), arn_of(g).into());
    obj.insert(
        "retention_in_days".into(),
        Value::from(g.retention_in_days().map(|d| d as i64)),
    );
    obj.insert("kms_key_id".into(), Value::from(g.kms_key_id()));
    tags::set_live(&mut obj, live, default_tags);
    obj
}

#[async_trait]
impl Resource for LogGroup {
    fn type_name(&self) -> &'static str {
        "aws_cloudwatch_log_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let names: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let groups = self.describe(&names).await?;
        // Tags of the stack's groups in one listing; any other group (an
        // import, or one whose ownership tag was removed) read on its own.
        let owned = if groups.is_empty() {
            TagsByArn::default()
        } else {
            self.tagging.owned("logs", &ctx.stack).await?
        };
        let reads = requests
            .iter()
            .map(|r| {
                let group = groups.get(r.id);
                let owned = &owned;
                Box::pin(async move {
                    let Some(g) = group else { return Ok(None) };
                    let arn = arn_of(g);
                    let live = match owned.get(&arn) {
                        Some(t) => t.clone(),
                        None => self.tags_of(&arn).await?,
                    };
                    Ok(Some(object(g, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // Named: a leftover of an interrupted apply is found by its name here.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.logs.client().await?;
        let name = planned
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let result = client
            .create_log_group()
            .log_group_name(&name)
            .set_kms_key_id(
                planned
                    .get("kms_key_id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .set_tags(Some(ctx.create_tags(planned).into_iter().collect()))
            .send()
            .await;
        if let Err(e) = result {
            let e = error("logs:CreateLogGroup", e);
            // Ours from an interrupted apply: its ownership tags say so.
            let existing = self.get(&name, &ctx.default_tags).await?;
            let owned = ctx.ownership_tags();
            let ours = e.code == "ResourceAlreadyExistsException"
                && match &existing {
                    Some(obj) => {
                        let arn = obj.str("arn").unwrap_or_default();
                        let live = client
                            .list_tags_for_resource()
                            .resource_arn(arn)
                            .send()
                            .await
                            .map_err(|e| error("logs:ListTagsForResource", e))?;
                        let live = live.tags().cloned().unwrap_or_default();
                        owned.iter().all(|(k, v)| live.get(k) == Some(v))
                    }
                    None => false,
                };
            if !ours {
                return Err(e);
            }
        }
        let partial = |e: ProviderError| e.with_partial_id(name.as_str());
        if let Some(days) = planned.i64("retention_in_days") {
            self.set_retention(&name, Some(days))
                .await
                .map_err(partial)?;
        }
        self.get_written(&name, &ctx.default_tags)
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
        let client = self.logs.client().await?;
        if changed.iter().any(|c| c == "retention_in_days") {
            self.set_retention(id, planned.i64("retention_in_days"))
                .await?;
        }
        if changed.iter().any(|c| c == "kms_key_id") {
            match planned.str("kms_key_id") {
                Some(k) => client
                    .associate_kms_key()
                    .log_group_name(id)
                    .kms_key_id(k)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("logs:AssociateKmsKey", e))?,
                None => client
                    .disassociate_kms_key()
                    .log_group_name(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("logs:DisassociateKmsKey", e))?,
            }
        }
        if changed.iter().any(|c| c == "tags") {
            let arn = prior.str("arn").unwrap_or_default();
            let tag = |set: tags::Tags| async move {
                client
                    .tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("logs:TagResource", e))
            };
            let untag = |keys: Vec<String>| async move {
                client
                    .untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("logs:UntagResource", e))
            };
            sync_tags(ctx, prior, planned, tag, untag).await?;
        }
        self.get_written(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.logs.client().await?;
        match client.delete_log_group().log_group_name(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("logs:DeleteLogGroup", e);
                if e.code == "ResourceNotFoundException" || cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
