//! `aws_vpc`.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Tenancy, VpcAttributeName};
use cairn_aws::{created_id, delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};
use futures::future::try_join_all;

use crate::common::{
    arn, dependents_draining, filter, from_sdk, outcomes, tag_spec, update_tags, Ec2, FILTER_CHUNK,
};

pub struct Vpc {
    ec2: Arc<Ec2>,
}

impl Vpc {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        Vpc { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A virtual private cloud.")
            .attr(
                "cidr_block",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Ipv4Cidr)
                    .describe("The IPv4 range of the VPC."),
            )
            .attr(
                "instance_tenancy",
                Attribute::string()
                    .default("default")
                    .force_new()
                    .check(Check::OneOf(&["default", "dedicated"])),
            )
            .attr("enable_dns_support", Attribute::bool().default(true))
            .attr("enable_dns_hostnames", Attribute::bool().default(false))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr("default_security_group_id", Attribute::string().computed())
            .attr("main_route_table_id", Attribute::string().computed())
            .attr("default_network_acl_id", Attribute::string().computed())
            .with_tags()
    })
}

impl Vpc {
    async fn set_dns(&self, id: &str, attr: &str, value: bool) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let v = AttributeBooleanValue::builder().value(value).build();
        let req = client.modify_vpc_attribute().vpc_id(id);
        let req = if attr == "enable_dns_support" {
            req.enable_dns_support(v)
        } else {
            req.enable_dns_hostnames(v)
        };
        req.send()
            .await
            .map_err(|e| error("ec2:ModifyVpcAttribute", e))?;
        Ok(())
    }

    /// Reads many VPCs: one filtered Describe per chunk of ids for the VPCs,
    /// their default security groups, main route tables and default network
    /// ACLs; the two DNS attributes have no batch API and are read per VPC,
    /// concurrently.
    async fn read_many(
        &self,
        ids: &[&str],
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let mut out = HashMap::new();
        for chunk in ids.chunks(FILTER_CHUNK) {
            let vpcs: Vec<_> = client
                .describe_vpcs()
                .filters(filter("vpc-id", chunk.iter().copied()))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("ec2:DescribeVpcs", e))?;
            let found: Vec<String> = vpcs
                .iter()
                .filter_map(|v| v.vpc_id().map(str::to_string))
                .collect();
            if found.is_empty() {
                continue;
            }
            let sgs = client
                .describe_security_groups()
                .filters(filter("vpc-id", found.clone()))
                .filters(filter("group-name", ["default"]))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            let rts = client
                .describe_route_tables()
                .filters(filter("vpc-id", found.clone()))
                .filters(filter("association.main", ["true"]))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            let acls = client
                .describe_network_acls()
                .filters(filter("vpc-id", found.clone()))
                .filters(filter("default", ["true"]))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeNetworkAcls", e))?;
            let dns = try_join_all(found.iter().map(|id| async move {
                let support = client
                    .describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(VpcAttributeName::EnableDnsSupport)
                    .send()
                    .await
                    .map_err(|e| error("ec2:DescribeVpcAttribute", e))?;
                let hostnames = client
                    .describe_vpc_attribute()
                    .vpc_id(id)
                    .attribute(VpcAttributeName::EnableDnsHostnames)
                    .send()
                    .await
                    .map_err(|e| error("ec2:DescribeVpcAttribute", e))?;
                Ok::<_, ProviderError>((
                    id.clone(),
                    support
                        .enable_dns_support()
                        .and_then(|a| a.value())
                        .unwrap_or(true),
                    hostnames
                        .enable_dns_hostnames()
                        .and_then(|a| a.value())
                        .unwrap_or(false),
                ))
            }))
            .await?;
            let dns: HashMap<String, (bool, bool)> =
                dns.into_iter().map(|(id, s, h)| (id, (s, h))).collect();
            for vpc in vpcs {
                let Some(id) = vpc.vpc_id() else { continue };
                let owner = vpc.owner_id().unwrap_or_default();
                let (support, hostnames) = dns.get(id).copied().unwrap_or((true, false));
                let mut obj = Object::new();
                obj.insert("id".into(), id.into());
                obj.insert("arn".into(), arn(&region, owner, "vpc", id).into());
                obj.insert("owner_id".into(), owner.into());
                obj.insert(
                    "cidr_block".into(),
                    vpc.cidr_block().unwrap_or_default().into(),
                );
                obj.insert(
                    "instance_tenancy".into(),
                    vpc.instance_tenancy()
                        .map(|t| t.as_str())
                        .unwrap_or("default")
                        .into(),
                );
                obj.insert("enable_dns_support".into(), support.into());
                obj.insert("enable_dns_hostnames".into(), hostnames.into());
                let sg = sgs
                    .security_groups()
                    .iter()
                    .find(|g| g.vpc_id() == Some(id))
                    .and_then(|g| g.group_id());
                obj.insert("default_security_group_id".into(), Value::from(sg));
                let rt = rts
                    .route_tables()
                    .iter()
                    .find(|r| r.vpc_id() == Some(id))
                    .and_then(|r| r.route_table_id());
                obj.insert("main_route_table_id".into(), Value::from(rt));
                let acl = acls
                    .network_acls()
                    .iter()
                    .find(|a| a.vpc_id() == Some(id))
                    .and_then(|a| a.network_acl_id());
                obj.insert("default_network_acl_id".into(), Value::from(acl));
                tags::set_live(&mut obj, &from_sdk(vpc.tags()), default_tags);
                out.insert(id.to_string(), obj);
            }
        }
        Ok(out)
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_many(&[id], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeVpcs",
                    "InvalidVpcID.NotFound",
                    format!("VPC {id} not found after writing it"),
                )
            })
    }
}

#[async_trait]
impl Resource for Vpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let live = self.read_many(&ids, &ctx.default_tags).await?;
        Ok(outcomes(requests, live))
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.ec2.owned_by_stack(stack, "vpc").await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let cidr = planned
            .get("cidr_block")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let tenancy = planned
            .get("instance_tenancy")
            .and_then(Value::as_str)
            .unwrap_or("default");
        let out = client
            .create_vpc()
            .cidr_block(cidr)
            .instance_tenancy(Tenancy::from(tenancy))
            .tag_specifications(tag_spec(ResourceType::Vpc, &ctx.create_tags(planned)))
            .send()
            .await
            .map_err(|e| error("ec2:CreateVpc", e))?;
        let id = created_id("ec2:CreateVpc", out.vpc().and_then(|v| v.vpc_id()))?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        if planned.bool("enable_dns_support") == Some(false) {
            self.set_dns(&id, "enable_dns_support", false)
                .await
                .map_err(partial)?;
        }
        if planned.bool("enable_dns_hostnames") == Some(true) {
            self.set_dns(&id, "enable_dns_hostnames", true)
                .await
                .map_err(partial)?;
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
                "enable_dns_support" | "enable_dns_hostnames" => {
                    let v = planned
                        .get(name)
                        .and_then(Value::as_bool)
                        .unwrap_or(name == "enable_dns_support");
                    self.set_dns(id, name, v).await?;
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
        delete_with_retry("VPC", &[dependents_draining(ctx)], || async {
            client
                .delete_vpc()
                .vpc_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DeleteVpc", e))
        })
        .await
    }
}
