//! `aws_subnet`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};
use cairn_aws::{created_id, delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::common::{
    dependents_draining, filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2,
};

pub struct Subnet {
    ec2: Arc<Ec2>,
}

impl Subnet {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        Subnet { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A subnet of a VPC in one availability zone.")
            .attr("vpc_id", Attribute::string().required().force_new())
            .attr(
                "cidr_block",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Ipv4Cidr),
            )
            .attr(
                "availability_zone",
                Attribute::string().optional_computed().force_new(),
            )
            .attr("map_public_ip_on_launch", Attribute::bool().default(false))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr("availability_zone_id", Attribute::string().computed())
            .with_tags()
    })
}

impl Subnet {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let subnets: Vec<_> = client
            .describe_subnets()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeSubnets", e))?;
        Ok(subnets
            .iter()
            .filter_map(|s| object(s, &from_sdk(s.tags()), default_tags))
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("subnet-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeSubnets",
                    "InvalidSubnetID.NotFound",
                    format!("subnet {id} not found after writing it"),
                )
            })
    }

    async fn set_public_ip(&self, id: &str, value: bool) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        client
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
            .send()
            .await
            .map_err(|e| error("ec2:ModifySubnetAttribute", e))?;
        Ok(())
    }
}

/// A subnet as cairn records it, with `live_tags` (from a describe, or the
/// ones a create just set).
fn object(
    s: &aws_sdk_ec2::types::Subnet,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
) -> Option<(String, Object)> {
    let id = s.subnet_id()?.to_string();
    let mut obj = Object::new();
    obj.insert("id".into(), id.as_str().into());
    obj.insert("arn".into(), Value::from(s.subnet_arn()));
    obj.insert("owner_id".into(), Value::from(s.owner_id()));
    obj.insert("vpc_id".into(), Value::from(s.vpc_id()));
    obj.insert("cidr_block".into(), Value::from(s.cidr_block()));
    obj.insert(
        "availability_zone".into(),
        Value::from(s.availability_zone()),
    );
    obj.insert(
        "availability_zone_id".into(),
        Value::from(s.availability_zone_id()),
    );
    obj.insert(
        "map_public_ip_on_launch".into(),
        s.map_public_ip_on_launch().unwrap_or(false).into(),
    );
    tags::set_live(&mut obj, live_tags, default_tags);
    Some((id, obj))
}

#[async_trait]
impl Resource for Subnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "subnet-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.ec2.owned_by_stack(stack, "subnet").await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let out = client
            .create_subnet()
            .vpc_id(s("vpc_id").unwrap_or_default())
            .cidr_block(s("cidr_block").unwrap_or_default())
            .set_availability_zone(s("availability_zone"))
            .tag_specifications(tag_spec(ResourceType::Subnet, &ctx.create_tags(planned)))
            .send()
            .await
            .map_err(|e| error("ec2:CreateSubnet", e))?;
        let id = created_id("ec2:CreateSubnet", out.subnet().and_then(|s| s.subnet_id()))?;
        // The response carries the whole subnet, and its tags are the ones
        // just set: no read-back (one call per subnet, not two).
        let tags = ctx.create_tags(planned);
        let (_, mut obj) = out
            .subnet()
            .and_then(|s| object(s, &tags, &ctx.default_tags))
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:CreateSubnet",
                    "InvalidResponse",
                    "no subnet in the response",
                )
                .with_partial_id(&id)
            })?;
        if planned
            .get("map_public_ip_on_launch")
            .and_then(Value::as_bool)
            == Some(true)
        {
            self.set_public_ip(&id, true)
                .await
                .map_err(|e| e.with_partial_id(&id))?;
            obj.insert("map_public_ip_on_launch".into(), true.into());
        }
        Ok(obj)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        for name in changed {
            match name.as_str() {
                "map_public_ip_on_launch" => {
                    self.set_public_ip(id, planned.bool(name).unwrap_or(false))
                        .await?;
                }
                "tags" => update_tags(client, id, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        delete_with_retry("subnet", &[dependents_draining(ctx)], || async {
            client
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DeleteSubnet", e))
        })
        .await
    }
}
