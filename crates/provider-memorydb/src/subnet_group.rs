//! `aws_memorydb_subnet_group`: the name (or `name_prefix`) forces a new
//! group; description and subnets change in place with UpdateSubnetGroup.
//! The id is the name.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_memorydb::types::SubnetGroup as SdkGroup;
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{
    check_owner, is_gone, name_for, name_issues, name_problem, sdk_tags, tags_of, update_tags,
    MemoryDb, TAG_READ_CONCURRENCY,
};

pub struct SubnetGroup {
    mdb: Arc<MemoryDb>,
}

impl SubnetGroup {
    pub fn new(mdb: Arc<MemoryDb>) -> Self {
        SubnetGroup { mdb }
    }
}

const MAX_NAME: usize = 255;

fn check_name(v: &Value) -> Result<(), String> {
    match v
        .as_str()
        .and_then(|n| name_problem(n, MAX_NAME, "subnet group"))
    {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A MemoryDB subnet group (id: its name); the name forces a new one, description and subnets change in place.")
            .attr(
                "name",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .check(Check::Custom(check_name)),
            )
            .attr("name_prefix", Attribute::string().force_new())
            .attr("description", Attribute::string().default("Managed by Terraform"))
            .attr("subnet_ids", Attribute::new(Type::set(Type::String)).required())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("vpc_id", Attribute::string().computed())
            .with_tags()
    })
}

fn object(
    g: &SdkGroup,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
    prior: &Object,
) -> Object {
    let name = g.name().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), name.into());
    o.insert("name".into(), name.into());
    o.insert(
        "name_prefix".into(),
        prior
            .get("name_prefix")
            .filter(|v| v.is_wholly_known())
            .cloned()
            .unwrap_or(Value::Null),
    );
    o.insert("arn".into(), Value::from(g.arn()));
    o.insert("description".into(), Value::from(g.description()));
    o.insert(
        "subnet_ids".into(),
        Value::from(
            g.subnets()
                .iter()
                .filter_map(|s| s.identifier())
                .collect::<Vec<_>>(),
        ),
    );
    o.insert("vpc_id".into(), Value::from(g.vpc_id()));
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

impl SubnetGroup {
    /// Every subnet group by name: one DescribeSubnetGroups per 100.
    async fn list(&self) -> Result<HashMap<String, SdkGroup>, ProviderError> {
        let client = self.mdb.client().await?;
        let pages = client
            .describe_subnet_groups()
            .max_results(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("memorydb:DescribeSubnetGroups", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.subnet_groups.unwrap_or_default())
            .filter_map(|g| Some((g.name()?.to_string(), g)))
            .collect())
    }

    async fn describe(&self, name: &str) -> Result<Option<SdkGroup>, ProviderError> {
        let client = self.mdb.client().await?;
        match client
            .describe_subnet_groups()
            .subnet_group_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.subnet_groups.unwrap_or_default().into_iter().next()),
            Err(e) => {
                let e = error("memorydb:DescribeSubnetGroups", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// One group with its tags, after a write.
    async fn read_written(
        &self,
        name: &str,
        planned: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let not_found = || {
            ProviderError::new(
                "memorydb:DescribeSubnetGroups",
                "SubnetGroupNotFoundFault",
                format!("subnet group {name} not found after writing it"),
            )
        };
        let g = self.describe(name).await?.ok_or_else(not_found)?;
        let live = tags_of(&self.mdb, g.arn().unwrap_or_default())
            .await?
            .ok_or_else(not_found)?;
        Ok(object(&g, &live, default_tags, planned))
    }
}

#[async_trait]
impl Resource for SubnetGroup {
    fn type_name(&self) -> &'static str {
        "aws_memorydb_subnet_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        name_issues(config, MAX_NAME)
    }

    /// DescribeSubnetGroups once per 100 groups; ListTags per group (no
    /// batch form, and moto's tagging API does not know MemoryDB).
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        let reads = requests
            .iter()
            .map(|r| {
                let g = all.get(r.id);
                Box::pin(async move {
                    let Some(g) = g else { return Ok(None) };
                    let Some(live) = tags_of(&self.mdb, g.arn().unwrap_or_default()).await? else {
                        return Ok(None);
                    };
                    Ok(Some(object(g, &live, &ctx.default_tags, r.prior)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, TAG_READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.mdb.client().await?;
        let op = "memorydb:CreateSubnetGroup";
        let name = name_for(planned, &ctx.idempotency_token, MAX_NAME);
        let all_tags = ctx.create_tags(planned);
        let created = client
            .create_subnet_group()
            .subnet_group_name(&name)
            .description(planned.str("description").unwrap_or("Managed by Terraform"))
            .set_subnet_ids(Some(planned.strings("subnet_ids")))
            .set_tags(Some(sdk_tags(&all_tags)))
            .send()
            .await;
        match created {
            Ok(out) => {
                let g = out.subnet_group();
                cairn_aws::created_id(op, g.and_then(|g| g.name()))?;
                let Some(g) = g else {
                    return Err(ProviderError::new(
                        op,
                        "InvalidResponse",
                        "the response carries no subnet group",
                    ));
                };
                // The response is the whole group; its tags are the ones sent.
                Ok(object(g, &all_tags, &ctx.default_tags, planned))
            }
            Err(e) => {
                let e = error(op, e);
                if e.code != "SubnetGroupAlreadyExistsFault" {
                    return Err(e);
                }
                // Ours from an interrupted apply, or someone else's.
                let Some(g) = self.describe(&name).await? else {
                    return Err(e);
                };
                let live = tags_of(&self.mdb, g.arn().unwrap_or_default())
                    .await?
                    .unwrap_or_default();
                check_owner(ctx, op, &format!("subnet group `{name}`"), &live)?;
                Ok(object(&g, &live, &ctx.default_tags, planned))
            }
        }
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.mdb.client().await?;
        let mut modify = false;
        for name in changed {
            match name.as_str() {
                "description" | "subnet_ids" => modify = true,
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    update_tags(&self.mdb, arn, ctx, prior, planned).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if modify {
            client
                .update_subnet_group()
                .subnet_group_name(id)
                .description(planned.str("description").unwrap_or("Managed by Terraform"))
                .set_subnet_ids(Some(planned.strings("subnet_ids")))
                .send()
                .await
                .map_err(|e| error("memorydb:UpdateSubnetGroup", e))?;
        }
        self.read_written(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.mdb.client().await?;
        // A cluster deleted just before may still hold it.
        let in_use = [RetryOn::new("SubnetGroupInUseFault", ctx.timeout)];
        delete_with_retry("MemoryDB subnet group", &in_use, || async {
            match client
                .delete_subnet_group()
                .subnet_group_name(id)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error("memorydb:DeleteSubnetGroup", e);
                    if is_gone(&e) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await
    }
}
