//! `aws_vpc_peering_connection` (the requester side) and
//! `aws_vpc_peering_connection_accepter` (the peer side, usually another
//! account through a provider alias). Like Terraform, destroying the
//! accepter forgets it without deleting the connection; the requester owns
//! the connection's life.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcPeeringConnectionStateReasonCode as Status};
use cairn_aws::{created_id, error, wait_until};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use crate::common::{
    filter, from_sdk, read_by_ids, sync_tags, tag_spec, update_tags, wait_gone, Ec2,
};

const POLL: Duration = Duration::from_secs(2);

/// Which side of the connection a resource manages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Requester,
    Accepter,
}

pub struct Peering {
    ec2: Arc<Ec2>,
    side: Side,
}

impl Peering {
    pub fn requester(ec2: Arc<Ec2>) -> Self {
        Peering {
            ec2,
            side: Side::Requester,
        }
    }

    pub fn accepter(ec2: Arc<Ec2>) -> Self {
        Peering {
            ec2,
            side: Side::Accepter,
        }
    }
}

fn requester_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A VPC peering connection, requested from this side.")
            .attr("vpc_id", Attribute::string().required().force_new())
            .attr("peer_vpc_id", Attribute::string().required().force_new())
            .attr(
                "peer_owner_id",
                Attribute::string().optional_computed().force_new(),
            )
            .attr(
                "peer_region",
                Attribute::string().optional_computed().force_new(),
            )
            .attr(
                "auto_accept",
                Attribute::bool()
                    .default(false)
                    .describe("accept it too (both VPCs in this account and region)"),
            )
            .attr("id", Attribute::string().computed())
            .attr("accept_status", Attribute::string().computed())
            .with_tags()
    })
}

fn accepter_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The peer side of a VPC peering connection: accepts and tags it.")
            .attr(
                "vpc_peering_connection_id",
                Attribute::string().required().force_new(),
            )
            .attr("auto_accept", Attribute::bool().default(false))
            .attr("id", Attribute::string().computed())
            .attr("vpc_id", Attribute::string().computed())
            .attr("peer_vpc_id", Attribute::string().computed())
            .attr("peer_owner_id", Attribute::string().computed())
            .attr("peer_region", Attribute::string().computed())
            .attr("accept_status", Attribute::string().computed())
            .with_tags()
    })
}

/// Connections that no longer connect anything are gone.
fn is_gone(s: &Status) -> bool {
    matches!(
        s,
        Status::Deleted | Status::Deleting | Status::Rejected | Status::Failed | Status::Expired
    )
}

impl Peering {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        Ok(self
            .read_tagged(filters, default_tags)
            .await?
            .into_iter()
            .map(|(id, (obj, _))| (id, obj))
            .collect())
    }

    /// The connections with their raw tags (ownership included).
    async fn read_tagged(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, (Object, tags::Tags)>, ProviderError> {
        let client = self.ec2.client().await?;
        let found: Vec<_> = client
            .describe_vpc_peering_connections()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeVpcPeeringConnections", e))?;
        Ok(found
            .into_iter()
            .filter_map(|p| {
                let status = p.status().and_then(|s| s.code())?.clone();
                if is_gone(&status) {
                    return None;
                }
                let id = p.vpc_peering_connection_id()?.to_string();
                let requester = p.requester_vpc_info();
                let accepter = p.accepter_vpc_info();
                // "vpc" is this side's VPC, "peer" the other's.
                let (mine, theirs) = match self.side {
                    Side::Requester => (requester, accepter),
                    Side::Accepter => (accepter, requester),
                };
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("vpc_id".into(), Value::from(mine.and_then(|v| v.vpc_id())));
                obj.insert(
                    "peer_vpc_id".into(),
                    Value::from(theirs.and_then(|v| v.vpc_id())),
                );
                obj.insert(
                    "peer_owner_id".into(),
                    Value::from(theirs.and_then(|v| v.owner_id())),
                );
                obj.insert(
                    "peer_region".into(),
                    Value::from(theirs.and_then(|v| v.region())),
                );
                obj.insert("accept_status".into(), status.as_str().into());
                if self.side == Side::Accepter {
                    obj.insert("vpc_peering_connection_id".into(), id.as_str().into());
                }
                let raw = from_sdk(p.tags());
                tags::set_live(&mut obj, &raw, default_tags);
                Some((id, (obj, raw)))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(
            vec![filter("vpc-peering-connection-id", [id])],
            default_tags,
        )
        .await?
        .remove(id)
        .ok_or_else(|| {
            ProviderError::new(
                "ec2:DescribeVpcPeeringConnections",
                "InvalidVpcPeeringConnectionID.NotFound",
                format!("VPC peering connection {id} not found (or no longer active)"),
            )
        })
    }

    async fn accept(&self, id: &str) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        client
            .accept_vpc_peering_connection()
            .vpc_peering_connection_id(id)
            .send()
            .await
            .map_err(|e| error("ec2:AcceptVpcPeeringConnection", e))?;
        Ok(())
    }

    /// Waits until the connection is active (or, not accepting it ourselves,
    /// until it is at least waiting for the peer).
    async fn settle(
        &self,
        id: &str,
        accepting: bool,
        ctx: &OpContext,
    ) -> Result<Object, ProviderError> {
        wait_until(
            &format!("VPC peering connection {id}"),
            ctx.timeout,
            POLL,
            || async {
                let obj = self.read_one(id, &ctx.default_tags).await?;
                let status = obj
                    .get("accept_status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let done = status == "active" || (!accepting && status == "pending-acceptance");
                Ok(done.then_some(obj))
            },
        )
        .await
    }

    /// `auto_accept` is cairn's instruction, not something AWS reports.
    fn with_auto_accept(obj: &mut Object, from: &Object) {
        let v = from
            .get("auto_accept")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        obj.insert("auto_accept".into(), v.into());
    }
}

#[async_trait]
impl Resource for Peering {
    fn type_name(&self) -> &'static str {
        match self.side {
            Side::Requester => "aws_vpc_peering_connection",
            Side::Accepter => "aws_vpc_peering_connection_accepter",
        }
    }

    fn schema(&self) -> &Schema {
        match self.side {
            Side::Requester => requester_schema(),
            Side::Accepter => accepter_schema(),
        }
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut out = read_by_ids(requests, "vpc-peering-connection-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await?;
        for (o, r) in out.iter_mut().zip(requests) {
            if let ReadOutcome::Live(obj) = o {
                Self::with_auto_accept(obj, r.prior);
            }
        }
        Ok(out)
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        if self.side == Side::Accepter {
            return Ok(Vec::new());
        }
        self.ec2
            .owned_by_stack(stack, "vpc-peering-connection")
            .await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let auto_accept = planned.bool("auto_accept") == Some(true);
        let id = match self.side {
            Side::Requester => {
                let out = client
                    .create_vpc_peering_connection()
                    .set_vpc_id(s("vpc_id"))
                    .set_peer_vpc_id(s("peer_vpc_id"))
                    .set_peer_owner_id(s("peer_owner_id"))
                    .set_peer_region(s("peer_region"))
                    .tag_specifications(tag_spec(
                        ResourceType::VpcPeeringConnection,
                        &ctx.create_tags(planned),
                    ))
                    .send()
                    .await
                    .map_err(|e| error("ec2:CreateVpcPeeringConnection", e))?;
                created_id(
                    "ec2:CreateVpcPeeringConnection",
                    out.vpc_peering_connection()
                        .and_then(|p| p.vpc_peering_connection_id()),
                )?
            }
            Side::Accepter => {
                let id = s("vpc_peering_connection_id").unwrap_or_default();
                let live = self.read_one(&id, &ctx.default_tags).await?;
                // The connection is the requester's: only the user's tags
                // are added, never this side's ownership tags.
                let mut desired = ctx.default_tags.clone();
                desired.extend(tags::from_value(planned.get("tags")));
                sync_tags(
                    client,
                    &id,
                    &desired,
                    &tags::from_value(live.get("tags_all")),
                )
                .await?;
                id
            }
        };
        let partial = |e: ProviderError| e.with_partial_id(&id);
        if auto_accept {
            let status = self
                .read_one(&id, &ctx.default_tags)
                .await
                .map_err(partial)?;
            if status.get("accept_status").and_then(Value::as_str) == Some("pending-acceptance") {
                self.accept(&id).await.map_err(partial)?;
            }
        }
        let mut obj = self.settle(&id, auto_accept, ctx).await.map_err(partial)?;
        Self::with_auto_accept(&mut obj, planned);
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
        let auto_accept = planned.bool("auto_accept") == Some(true);
        if changed.iter().any(|c| c == "auto_accept")
            && auto_accept
            && prior.str("accept_status") == Some("pending-acceptance")
        {
            self.accept(id).await?;
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(client, id, ctx, prior, planned).await?;
        }
        let mut obj = self.settle(id, auto_accept, ctx).await?;
        Self::with_auto_accept(&mut obj, planned);
        Ok(obj)
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        if self.side == Side::Accepter {
            tracing::info!(
                address = %ctx.address,
                "the accepter forgets the peering connection {id}; the requester side deletes it"
            );
            return Ok(());
        }
        let client = self.ec2.client().await?;
        if let Err(e) = client
            .delete_vpc_peering_connection()
            .vpc_peering_connection_id(id)
            .send()
            .await
        {
            let e = error("ec2:DeleteVpcPeeringConnection", e);
            if cairn_aws::is_not_found(&e) {
                return Ok(());
            }
            return Err(e);
        }
        wait_gone("VPC peering connection", id, ctx.timeout, POLL, || {
            self.read_filtered(
                vec![filter("vpc-peering-connection-id", [id])],
                &ctx.default_tags,
            )
        })
        .await
    }
}
