//! `aws_elasticache_subnet_group`: the name forces a new group (the id is
//! the name, in lower case as ElastiCache stores it); description and
//! subnets change in place with ModifyCacheSubnetGroup.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_elasticache::types::CacheSubnetGroup;
use cairn_aws::{
    delete_with_retry, error, read_concurrently, ReadFuture, RetryOn, Tagging, TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::{
    id_of, is_gone, lower, owned, sdk_tags, tags_of, update_tags, ElastiCache, TAG_READ_CONCURRENCY,
};

pub struct SubnetGroup {
    ec: Arc<ElastiCache>,
    tagging: Arc<Tagging>,
}

impl SubnetGroup {
    pub fn new(ec: Arc<ElastiCache>, tagging: Arc<Tagging>) -> Self {
        SubnetGroup { ec, tagging }
    }
}

/// 1-255 letters, digits and hyphens, starting with a letter.
fn check_name(v: &Value) -> Result<(), String> {
    let Some(name) = v.as_str() else {
        return Ok(());
    };
    let ok = !name.is_empty()
        && name.len() <= 255
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}`: a cache subnet group name has 1 to 255 letters, digits and hyphens and starts with a letter"
        ))
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An ElastiCache subnet group (id: its name, lower case); the name forces a new one, description and subnets change in place.")
            .attr(
                "name",
                Attribute::string()
                    .required()
                    .force_new()
                    .canonical(lower)
                    .check(Check::Custom(check_name)),
            )
            .attr("description", Attribute::string().default("Managed by Terraform"))
            .attr("subnet_ids", Attribute::new(Type::set(Type::String)).required())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("vpc_id", Attribute::string().computed())
            .with_tags()
    })
}

fn object(g: &CacheSubnetGroup, live_tags: &tags::Tags, default_tags: &tags::Tags) -> Object {
    let name = g.cache_subnet_group_name().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("id".into(), name.into());
    obj.insert("name".into(), name.into());
    obj.insert("arn".into(), Value::from(g.arn()));
    obj.insert(
        "description".into(),
        Value::from(g.cache_subnet_group_description()),
    );
    obj.insert(
        "subnet_ids".into(),
        Value::from(
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .collect::<Vec<_>>(),
        ),
    );
    obj.insert("vpc_id".into(), Value::from(g.vpc_id()));
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

impl SubnetGroup {
    /// Every subnet group by name: DescribeCacheSubnetGroups takes one
    /// name or none, so a refresh lists them all, one call per 100.
    async fn list(&self) -> Result<HashMap<String, CacheSubnetGroup>, ProviderError> {
        let client = self.ec.client().await?;
        let pages = client
            .describe_cache_subnet_groups()
            .max_records(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("elasticache:DescribeCacheSubnetGroups", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.cache_subnet_groups.unwrap_or_default())
            .filter_map(|g| Some((g.cache_subnet_group_name()?.to_string(), g)))
            .collect())
    }

    /// One group after a write; its tags are read the usual way.
    async fn read_one(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let client = self.ec.client().await?;
        let out = client
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(name)
            .send()
            .await
            .map_err(|e| error("elasticache:DescribeCacheSubnetGroups", e))?;
        let g = out.cache_subnet_groups().first().ok_or_else(|| {
            ProviderError::new(
                "elasticache:DescribeCacheSubnetGroups",
                "CacheSubnetGroupNotFoundFault",
                format!("cache subnet group {name} not found after writing it"),
            )
        })?;
        let live = tags_of(&self.ec, &TagsByArn::default(), g.arn().unwrap_or_default()).await?;
        Ok(object(g, &live, default_tags))
    }
}

#[async_trait]
impl Resource for SubnetGroup {
    fn type_name(&self) -> &'static str {
        "aws_elasticache_subnet_group"
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
        let listed = if requests.iter().any(|r| all.contains_key(r.id)) {
            self.tagging.owned("elasticache", &ctx.stack).await?
        } else {
            TagsByArn::default()
        };
        let reads = requests
            .iter()
            .map(|r| {
                let g = all.get(r.id);
                let listed = &listed;
                Box::pin(async move {
                    let Some(g) = g else { return Ok(None) };
                    let live = tags_of(&self.ec, listed, g.arn().unwrap_or_default()).await?;
                    Ok(Some(object(g, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, TAG_READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(owned(&self.tagging, stack, "subnetgroup")
            .await?
            .iter()
            .filter_map(|(arn, t)| tags::owned_entry(stack, id_of(arn), t))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec.client().await?;
        let name = planned.str("name").unwrap_or_default().to_ascii_lowercase();
        let all_tags = ctx.create_tags(planned);
        let out = client
            .create_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .cache_subnet_group_description(
                planned.str("description").unwrap_or("Managed by Terraform"),
            )
            .set_subnet_ids(Some(planned.strings("subnet_ids")))
            .set_tags(Some(sdk_tags(&all_tags)))
            .send()
            .await
            .map_err(|e| error("elasticache:CreateCacheSubnetGroup", e))?;
        let op = "elasticache:CreateCacheSubnetGroup";
        let g = out.cache_subnet_group();
        cairn_aws::created_id(op, g.and_then(|g| g.cache_subnet_group_name()))?;
        let Some(g) = g else {
            return Err(ProviderError::new(
                op,
                "InvalidResponse",
                "the response carries no subnet group",
            ));
        };
        // The response is the whole group; its tags are the ones just sent.
        Ok(object(g, &all_tags, &ctx.default_tags))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec.client().await?;
        let mut modify = false;
        for name in changed {
            match name.as_str() {
                "description" | "subnet_ids" => modify = true,
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    update_tags(&self.ec, arn, ctx, prior, planned).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if modify {
            client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(id)
                .cache_subnet_group_description(
                    planned.str("description").unwrap_or("Managed by Terraform"),
                )
                .set_subnet_ids(Some(planned.strings("subnet_ids")))
                .send()
                .await
                .map_err(|e| error("elasticache:ModifyCacheSubnetGroup", e))?;
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec.client().await?;
        // A replication group deleted just before may still hold it.
        let in_use = [RetryOn::new("CacheSubnetGroupInUse", ctx.timeout)];
        delete_with_retry("ElastiCache subnet group", &in_use, || async {
            match client
                .delete_cache_subnet_group()
                .cache_subnet_group_name(id)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let e = error("elasticache:DeleteCacheSubnetGroup", e);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_offline() {
        assert!(check_name(&"tracker-cache".into()).is_ok());
        assert!(check_name(&"1cache".into()).is_err());
        assert!(check_name(&"cache_subnets".into()).is_err());
        assert!(check_name(&"".into()).is_err());
    }
}
