//! `aws_internet_gateway`: attached to `vpc_id` when set; a change of VPC
//! detaches it and attaches it again.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use cairn_aws::{created_id, delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use crate::common::{
    arn, dependents_draining, filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2,
};

pub struct InternetGateway {
    ec2: Arc<Ec2>,
}

impl InternetGateway {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        InternetGateway { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An internet gateway, attached to a VPC.")
            .attr("vpc_id", Attribute::string())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .with_tags()
    })
}

impl InternetGateway {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let igws: Vec<_> = client
            .describe_internet_gateways()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeInternetGateways", e))?;
        Ok(igws
            .into_iter()
            .filter_map(|g| {
                let id = g.internet_gateway_id()?.to_string();
                let owner = g.owner_id().unwrap_or_default();
                let vpc = g.attachments().iter().find_map(|a| a.vpc_id());
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert(
                    "arn".into(),
                    arn(&region, owner, "internet-gateway", &id).into(),
                );
                obj.insert("owner_id".into(), owner.into());
                obj.insert("vpc_id".into(), Value::from(vpc));
                tags::set_live(&mut obj, &from_sdk(g.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("internet-gateway-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeInternetGateways",
                    "InvalidInternetGatewayID.NotFound",
                    format!("{id} not found after writing it"),
                )
            })
    }

    async fn attach(&self, id: &str, vpc: &str) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        client
            .attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(|e| error("ec2:AttachInternetGateway", e))?;
        Ok(())
    }

    async fn detach(&self, id: &str, vpc: &str) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        match client
            .detach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("ec2:DetachInternetGateway", e);
                // Already detached (or the VPC is gone): the goal is reached.
                if cairn_aws::is_not_found(&e) || e.code == "Gateway.NotAttached" {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

#[async_trait]
impl Resource for InternetGateway {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "internet-gateway-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.ec2.owned_by_stack(stack, "internet-gateway").await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let out = client
            .create_internet_gateway()
            .tag_specifications(tag_spec(
                ResourceType::InternetGateway,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateInternetGateway", e))?;
        let id = created_id(
            "ec2:CreateInternetGateway",
            out.internet_gateway().and_then(|g| g.internet_gateway_id()),
        )?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        if let Some(vpc) = planned.str("vpc_id") {
            self.attach(&id, vpc).await.map_err(partial)?;
        }
        self.read_one(&id, &ctx.default_tags).await.map_err(partial)
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
                "vpc_id" => {
                    if let Some(old) = prior.str("vpc_id") {
                        self.detach(id, old).await?;
                    }
                    if let Some(new) = planned.str("vpc_id") {
                        self.attach(id, new).await?;
                    }
                }
                "tags" => update_tags(client, id, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        if let Some(vpc) = prior.str("vpc_id") {
            self.detach(id, vpc).await?;
        }
        delete_with_retry("internet gateway", &[dependents_draining(ctx)], || async {
            client
                .delete_internet_gateway()
                .internet_gateway_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DeleteInternetGateway", e))
        })
        .await
    }
}
