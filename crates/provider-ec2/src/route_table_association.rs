//! `aws_route_table_association`: a subnet (or gateway) uses a route table.
//! Moving it to another table is in place (ReplaceRouteTableAssociation).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{created_id, error};
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Value,
};

use crate::common::{read_by_ids, Ec2};

pub struct RouteTableAssociation {
    ec2: Arc<Ec2>,
}

impl RouteTableAssociation {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        RouteTableAssociation { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe(
                "Associates a subnet or an internet/virtual private gateway with a route table.",
            )
            .attr("route_table_id", Attribute::string().required())
            .attr("subnet_id", Attribute::string().force_new())
            .attr("gateway_id", Attribute::string().force_new())
            .attr("id", Attribute::string().computed())
    })
}

impl RouteTableAssociation {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let tables: Vec<_> = client
            .describe_route_tables()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeRouteTables", e))?;
        Ok(tables
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.main() != Some(true))
            .filter_map(|a| {
                let id = a.route_table_association_id()?.to_string();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("route_table_id".into(), Value::from(a.route_table_id()));
                obj.insert("subnet_id".into(), Value::from(a.subnet_id()));
                obj.insert("gateway_id".into(), Value::from(a.gateway_id()));
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str) -> Result<Object, ProviderError> {
        self.read_filtered(vec![crate::common::filter(
            "association.route-table-association-id",
            [id],
        )])
        .await?
        .remove(id)
        .ok_or_else(|| {
            ProviderError::new(
                "ec2:DescribeRouteTables",
                "InvalidAssociationID.NotFound",
                format!("route table association {id} not found after writing it"),
            )
        })
    }
}

#[async_trait]
impl Resource for RouteTableAssociation {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let set = |k: &str| config.get(k).is_some_and(|v| !v.is_null());
        if set("subnet_id") == set("gateway_id") {
            vec![ValidationIssue {
                attribute: "subnet_id".into(),
                message: "set exactly one of subnet_id and gateway_id".into(),
            }]
        } else {
            Vec::new()
        }
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "association.route-table-association-id", |f| {
            self.read_filtered(f)
        })
        .await
    }

    // No tags, so no ownership listing: a subnet has at most one
    // association, so a retried create finds it (Resource.AlreadyAssociated).
    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let out = client
            .associate_route_table()
            .route_table_id(s("route_table_id").unwrap_or_default())
            .set_subnet_id(s("subnet_id"))
            .set_gateway_id(s("gateway_id"))
            .send()
            .await
            .map_err(|e| error("ec2:AssociateRouteTable", e))?;
        self.read_one(&created_id(
            "ec2:AssociateRouteTable",
            out.association_id(),
        )?)
        .await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        _changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        // Moving to another table gives the association a new id.
        let out = client
            .replace_route_table_association()
            .association_id(id)
            .route_table_id(
                planned
                    .get("route_table_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
            .send()
            .await
            .map_err(|e| error("ec2:ReplaceRouteTableAssociation", e))?;
        self.read_one(out.new_association_id().unwrap_or(id)).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        match client
            .disassociate_route_table()
            .association_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("ec2:DisassociateRouteTable", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
