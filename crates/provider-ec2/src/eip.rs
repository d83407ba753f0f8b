//! `aws_eip`: an Elastic IP address in a VPC (for NAT gateways, instances).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};
use std::time::Duration;

use cairn_aws::{created_id, delete_with_retry, error, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::common::{filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2};

pub struct Eip {
    ec2: Arc<Ec2>,
}

impl Eip {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        Eip { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An Elastic IP address.")
            .attr(
                "domain",
                Attribute::string()
                    .default("vpc")
                    .force_new()
                    .check(Check::OneOf(&["vpc", "standard"])),
            )
            .attr(
                "public_ipv4_pool",
                Attribute::string().optional_computed().force_new(),
            )
            .attr("id", Attribute::string().computed())
            .attr("allocation_id", Attribute::string().computed())
            .attr("public_ip", Attribute::string().computed())
            .attr("private_ip", Attribute::string().computed())
            .attr("association_id", Attribute::string().computed())
            .attr("network_interface", Attribute::string().computed())
            .with_tags()
    })
}

impl Eip {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        // DescribeAddresses is not paginated: one call answers for all.
        let out = client
            .describe_addresses()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeAddresses", e))?;
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| {
                let id = a.allocation_id()?.to_string();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("allocation_id".into(), id.as_str().into());
                obj.insert(
                    "domain".into(),
                    Value::from(a.domain().map(|d| d.as_str()).unwrap_or("vpc")),
                );
                obj.insert("public_ipv4_pool".into(), Value::from(a.public_ipv4_pool()));
                obj.insert("public_ip".into(), Value::from(a.public_ip()));
                obj.insert("private_ip".into(), Value::from(a.private_ip_address()));
                obj.insert("association_id".into(), Value::from(a.association_id()));
                obj.insert(
                    "network_interface".into(),
                    Value::from(a.network_interface_id()),
                );
                tags::set_live(&mut obj, &from_sdk(a.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("allocation-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeAddresses",
                    "InvalidAllocationID.NotFound",
                    format!("address {id} not found after writing it"),
                )
            })
    }
}

#[async_trait]
impl Resource for Eip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "allocation-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        // Addresses carry their tags; DescribeTags does not index them on
        // every endpoint.
        let client = self.ec2.client().await?;
        let out = client
            .describe_addresses()
            .filters(filter(&format!("tag:{}", tags::STACK_TAG), [stack]))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeAddresses", e))?;
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| tags::owned_entry(stack, a.allocation_id()?, &from_sdk(a.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let domain = match planned.str("domain") {
            Some("standard") => DomainType::Standard,
            _ => DomainType::Vpc,
        };
        let out = client
            .allocate_address()
            .domain(domain)
            .set_public_ipv4_pool(
                planned
                    .get("public_ipv4_pool")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &ctx.create_tags(planned)))
            .send()
            .await
            .map_err(|e| error("ec2:AllocateAddress", e))?;
        let id = created_id("ec2:AllocateAddress", out.allocation_id())?;
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
        let client = self.ec2.client().await?;
        if changed.iter().any(|c| c == "tags") {
            update_tags(client, id, ctx, prior, planned).await?;
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
        // A NAT gateway deleted a moment ago may still hold the address.
        // AWS answers AuthFailure (and moto InvalidIPAddress.InUse) for a
        // moment after the NAT gateway holding the address is deleted; only
        // that is retried, and AuthFailure briefly: a missing permission
        // must not take minutes to report.
        let retry = [
            RetryOn::new("InvalidIPAddress.InUse", ctx.timeout),
            RetryOn::new("AuthFailure", ctx.timeout.min(Duration::from_secs(60))),
        ];
        delete_with_retry("elastic IP", &retry, || async {
            client
                .release_address()
                .allocation_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:ReleaseAddress", e))
        })
        .await
    }
}
