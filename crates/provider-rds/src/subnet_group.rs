//! `aws_db_subnet_group`: the subnets an instance or cluster may use. The
//! name forces a new group; the description and subnets change in place
//! (ModifyDBSubnetGroup). A create that finds its name taken adopts the
//! group only if its ownership tags say it is this address's (a create
//! retried after a crash); anyone else's is refused and left alone.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_rds::types::DbSubnetGroup;
use cairn_aws::{created_id, delete_with_retry, error, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, ValidationIssue, Value,
};

use crate::{names, Rds, PAGE_SIZE, READ_CONCURRENCY};

pub struct SubnetGroup {
    rds: Arc<Rds>,
}

impl SubnetGroup {
    pub fn new(rds: Arc<Rds>) -> Self {
        SubnetGroup { rds }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The subnets RDS instances and clusters may use; the name forces a new group, description and subnets change in place.")
            .attr("name", Attribute::string().optional_computed().force_new())
            .attr("name_prefix", Attribute::string().force_new())
            .attr("description", Attribute::string().default("Managed by Terraform"))
            .attr("subnet_ids", Attribute::new(Type::set(Type::String)).required())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("vpc_id", Attribute::string().computed())
            .with_tags()
    })
}

fn object(g: &DbSubnetGroup, prior: &Object, live: &Tags, default_tags: &Tags) -> Object {
    let name = g.db_subnet_group_name().unwrap_or_default();
    let mut subnets: Vec<String> = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(str::to_string))
        .collect();
    subnets.sort();
    let mut o = Object::new();
    o.insert("id".into(), name.into());
    o.insert("name".into(), name.into());
    o.insert(
        "name_prefix".into(),
        names::recorded_prefix(prior, "name_prefix", name),
    );
    o.insert(
        "description".into(),
        Value::from(g.db_subnet_group_description()),
    );
    o.insert("subnet_ids".into(), Value::from(subnets));
    o.insert("arn".into(), Value::from(g.db_subnet_group_arn()));
    o.insert("vpc_id".into(), Value::from(g.vpc_id()));
    tags::set_live(&mut o, live, default_tags);
    o
}

impl SubnetGroup {
    /// Every subnet group, by name: DescribeDBSubnetGroups takes one name
    /// or none (its `Filters` are not supported), so many are read by
    /// listing, 100 a page.
    async fn list(&self) -> Result<HashMap<String, DbSubnetGroup>, ProviderError> {
        let client = self.rds.client().await?;
        let pages = client
            .describe_db_subnet_groups()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBSubnetGroups", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.db_subnet_groups.unwrap_or_default())
            .filter_map(|g| Some((g.db_subnet_group_name()?.to_string(), g)))
            .collect())
    }

    async fn by_name(&self, name: &str) -> Result<Option<DbSubnetGroup>, ProviderError> {
        let client = self.rds.client().await?;
        let r = client
            .describe_db_subnet_groups()
            .db_subnet_group_name(name)
            .send()
            .await
            .map_err(|e| error("rds:DescribeDBSubnetGroups", e));
        Ok(crate::gone_as_none(r)?.and_then(|o| o.db_subnet_groups().first().cloned()))
    }

    async fn modify(&self, name: &str, planned: &Object) -> Result<DbSubnetGroup, ProviderError> {
        let client = self.rds.client().await?;
        let out = client
            .modify_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(planned.str("description").unwrap_or_default())
            .set_subnet_ids(Some(planned.strings("subnet_ids")))
            .send()
            .await
            .map_err(|e| error("rds:ModifyDBSubnetGroup", e))?;
        out.db_subnet_group().cloned().ok_or_else(|| {
            ProviderError::new(
                "rds:ModifyDBSubnetGroup",
                "InvalidResponse",
                "the response carries no subnet group",
            )
        })
    }

    /// A same-named group found by a create: this address's leftover is
    /// brought to the plan and kept; anything else is refused untouched.
    async fn adopt(
        &self,
        ctx: &OpContext,
        name: &str,
        planned: &Object,
        taken: ProviderError,
    ) -> Result<Object, ProviderError> {
        let Some(g) = self.by_name(name).await? else {
            return Err(taken);
        };
        let arn = g.db_subnet_group_arn().unwrap_or_default().to_string();
        let live = crate::tags::list(&self.rds, &arn).await?;
        if !ctx.owns(&live) {
            return Err(ProviderError {
                message: format!(
                    "{}: a DB subnet group named `{name}` exists and is not this stack's {} \
                     (tagged {:?}); choose another name or import it",
                    taken.message,
                    ctx.address,
                    live.get(tags::ADDRESS_TAG)
                ),
                ..taken
            });
        }
        let g = self.modify(name, planned).await?;
        crate::tags::bring_to(&self.rds, &arn, ctx, &live, planned).await?;
        Ok(object(
            &g,
            planned,
            &ctx.create_tags(planned),
            &ctx.default_tags,
        ))
    }
}

#[async_trait]
impl Resource for SubnetGroup {
    fn type_name(&self) -> &'static str {
        "aws_db_subnet_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = names::check_pair(config, "name", "name_prefix", 255, true);
        if config.str("name") == Some("default") {
            issues.push(ValidationIssue {
                attribute: "name".into(),
                message: "`default` is the name of the VPC's default subnet group".into(),
            });
        }
        issues
    }

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
                    let arn = g.db_subnet_group_arn().unwrap_or_default();
                    let live = crate::tags::list(&self.rds, arn).await;
                    let Some(live) = crate::gone_as_none(live)? else {
                        return Ok(None);
                    };
                    Ok(Some(object(g, r.prior, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.rds.client().await?;
        let name = names::chosen(planned, "name", "name_prefix", &ctx.idempotency_token);
        let all_tags = ctx.create_tags(planned);
        let out = client
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(planned.str("description").unwrap_or_default())
            .set_subnet_ids(Some(planned.strings("subnet_ids")))
            .set_tags(Some(crate::tags::sdk(&all_tags)))
            .send()
            .await;
        match out {
            Ok(out) => {
                let g = out.db_subnet_group();
                created_id(
                    "rds:CreateDBSubnetGroup",
                    g.and_then(|g| g.db_subnet_group_name()),
                )?;
                match g {
                    Some(g) => Ok(object(g, planned, &all_tags, &ctx.default_tags)),
                    None => Err(ProviderError::new(
                        "rds:CreateDBSubnetGroup",
                        "InvalidResponse",
                        "the response carries no subnet group",
                    )),
                }
            }
            Err(e) => {
                let e = error("rds:CreateDBSubnetGroup", e);
                if e.code == "DBSubnetGroupAlreadyExists" {
                    self.adopt(ctx, &name, planned, e).await
                } else {
                    Err(e)
                }
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
        let mut modify = false;
        for name in changed {
            match name.as_str() {
                "description" | "subnet_ids" => modify = true,
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    crate::tags::sync(&self.rds, arn, ctx, prior, planned).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        let g = match modify {
            true => self.modify(id, planned).await?,
            false => self.by_name(id).await?.ok_or_else(|| {
                ProviderError::new(
                    "rds:DescribeDBSubnetGroups",
                    "DBSubnetGroupNotFoundFault",
                    format!("DB subnet group {id} not found after updating it"),
                )
            })?,
        };
        Ok(object(
            &g,
            planned,
            &ctx.create_tags(planned),
            &ctx.default_tags,
        ))
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        // An instance or cluster deleted just before holds it for a while.
        let in_use = [RetryOn::new("InvalidDBSubnetGroupStateFault", ctx.timeout)];
        delete_with_retry("DB subnet group", &in_use, || async {
            let r = client
                .delete_db_subnet_group()
                .db_subnet_group_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("rds:DeleteDBSubnetGroup", e));
            crate::gone_as_none(r).map(|_| ())
        })
        .await
    }
}
