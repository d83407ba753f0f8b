//! `aws_nat_gateway`: created with a client token derived from the planned
//! create (a retry after a crash returns the same gateway), then waited for
//! until available; deletion waits until it is gone.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ConnectivityType, NatGatewayState, ResourceType};
use cairn_aws::{created_id, error, wait_until};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::common::{filter, from_sdk, read_by_ids, tag_spec, update_tags, wait_gone, Ec2};

const POLL: Duration = Duration::from_secs(5);

pub struct NatGateway {
    ec2: Arc<Ec2>,
}

impl NatGateway {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        NatGateway { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A NAT gateway in a subnet; public ones take an Elastic IP.")
            .attr("subnet_id", Attribute::string().required().force_new())
            .attr("allocation_id", Attribute::string().force_new())
            .attr(
                "connectivity_type",
                Attribute::string()
                    .default("public")
                    .force_new()
                    .check(Check::OneOf(&["public", "private"])),
            )
            .attr(
                "private_ip",
                Attribute::string().optional_computed().force_new(),
            )
            .attr("id", Attribute::string().computed())
            .attr("public_ip", Attribute::string().computed())
            .attr("network_interface_id", Attribute::string().computed())
            .with_tags()
    })
}

impl NatGateway {
    /// Live gateways by id; deleted ones (which AWS lists for a while) are gone.
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, (Object, NatGatewayState, tags::Tags)>, ProviderError> {
        let client = self.ec2.client().await?;
        let gateways: Vec<_> = client
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeNatGateways", e))?;
        Ok(gateways
            .into_iter()
            .filter_map(|g| {
                let state = g.state()?.clone();
                if matches!(state, NatGatewayState::Deleted | NatGatewayState::Deleting) {
                    return None;
                }
                let id = g.nat_gateway_id()?.to_string();
                let address = g.nat_gateway_addresses().first();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("subnet_id".into(), Value::from(g.subnet_id()));
                obj.insert(
                    "connectivity_type".into(),
                    Value::from(
                        g.connectivity_type()
                            .map(|c| c.as_str())
                            .unwrap_or("public"),
                    ),
                );
                obj.insert(
                    "allocation_id".into(),
                    Value::from(address.and_then(|a| a.allocation_id())),
                );
                obj.insert(
                    "public_ip".into(),
                    Value::from(address.and_then(|a| a.public_ip())),
                );
                obj.insert(
                    "private_ip".into(),
                    Value::from(address.and_then(|a| a.private_ip())),
                );
                obj.insert(
                    "network_interface_id".into(),
                    Value::from(address.and_then(|a| a.network_interface_id())),
                );
                let raw = from_sdk(g.tags());
                tags::set_live(&mut obj, &raw, default_tags);
                Some((id, (obj, state, raw)))
            })
            .collect())
    }

    async fn objects(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        Ok(self
            .read_filtered(filters, default_tags)
            .await?
            .into_iter()
            .map(|(id, (obj, _, _))| (id, obj))
            .collect())
    }

    /// Waits until the gateway is available; a failed gateway is an error
    /// with AWS's reason.
    async fn wait_available(&self, id: &str, ctx: &OpContext) -> Result<Object, ProviderError> {
        wait_until(&format!("NAT gateway {id} to be available"), ctx.timeout, POLL, || async {
            let mut found = self
                .read_filtered(vec![filter("nat-gateway-id", [id])], &ctx.default_tags)
                .await?;
            match found.remove(id) {
                Some((obj, NatGatewayState::Available, _)) => Ok(Some(obj)),
                Some((_, NatGatewayState::Failed, _)) => Err(ProviderError::new(
                    "ec2:CreateNatGateway",
                    "NatGatewayFailed",
                    format!("NAT gateway {id} failed to start (see its FailureMessage in the console)"),
                )),
                _ => Ok(None),
            }
        })
        .await
    }
}

#[async_trait]
impl Resource for NatGateway {
    fn type_name(&self) -> &'static str {
        "aws_nat_gateway"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "nat-gateway-id", |f| {
            self.objects(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        // Deleted gateways stay listed for an hour: read_filtered drops them.
        let stack_filter = filter(&format!("tag:{}", tags::STACK_TAG), [stack]);
        Ok(self
            .read_filtered(vec![stack_filter], &tags::Tags::new())
            .await?
            .iter()
            .filter_map(|(id, (_, _, raw))| tags::owned_entry(stack, id, raw))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let connectivity = match s("connectivity_type").as_deref() {
            Some("private") => ConnectivityType::Private,
            _ => ConnectivityType::Public,
        };
        let out = client
            .create_nat_gateway()
            .subnet_id(s("subnet_id").unwrap_or_default())
            .set_allocation_id(s("allocation_id"))
            .set_private_ip_address(s("private_ip"))
            .connectivity_type(connectivity)
            .client_token(&ctx.idempotency_token)
            .tag_specifications(tag_spec(
                ResourceType::Natgateway,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateNatGateway", e))?;
        let id = created_id(
            "ec2:CreateNatGateway",
            out.nat_gateway().and_then(|g| g.nat_gateway_id()),
        )?;
        // It exists from here on: a failed wait must not lose it.
        self.wait_available(&id, ctx)
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
        self.wait_available(id, ctx).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        match client.delete_nat_gateway().nat_gateway_id(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = error("ec2:DeleteNatGateway", e);
                if cairn_aws::is_not_found(&e) {
                    return Ok(());
                }
                return Err(e);
            }
        }
        // Its Elastic IP and subnet can be released only once it is gone.
        wait_gone("NAT gateway", id, ctx.timeout, POLL, || {
            self.objects(vec![filter("nat-gateway-id", [id])], &ctx.default_tags)
        })
        .await
    }
}
