//! `aws_route_table`, with inline `route`s. Like Terraform: when `route` is
//! set (even to `[]`) the table's routes are exactly those; when it is left
//! out, routes made elsewhere (`aws_route`) are not touched.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;
use cairn_aws::{created_id, delete_with_retry, error};
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    tags, Attribute, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, Value,
};

use crate::common::{
    arn, dependents_draining, filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2,
};
use crate::routes::{
    check_route, destination, is_managed, route_fields, route_object, route_schema,
};

pub struct RouteTable {
    ec2: Arc<Ec2>,
}

impl RouteTable {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        RouteTable { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A route table of a VPC, optionally with its routes inline.")
            .attr("vpc_id", Attribute::string().required().force_new())
            .attr(
                "route",
                Attribute::new(Type::set(Type::object(route_schema()))).optional_computed(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .with_tags()
    })
}

/// The configured routes by destination.
fn by_destination(v: Option<&Value>) -> BTreeMap<(&'static str, String), Object> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|r| r.as_map())
        .filter_map(|r| destination(r).map(|d| (d, r.clone())))
        .collect()
}

impl RouteTable {
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
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
            .into_iter()
            .filter_map(|t| {
                let id = t.route_table_id()?.to_string();
                let owner = t.owner_id().unwrap_or_default();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("arn".into(), arn(&region, owner, "route-table", &id).into());
                obj.insert("owner_id".into(), Value::from(t.owner_id()));
                obj.insert("vpc_id".into(), Value::from(t.vpc_id()));
                let routes: Vec<Value> = t
                    .routes()
                    .iter()
                    .filter(|r| is_managed(r))
                    .map(|r| Value::Map(route_object(r)))
                    .collect();
                obj.insert("route".into(), Value::List(routes));
                tags::set_live(&mut obj, &from_sdk(t.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("route-table-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeRouteTables",
                    "InvalidRouteTableID.NotFound",
                    format!("route table {id} not found after writing it"),
                )
            })
    }

    /// Brings the table's routes from `have` to `want`: delete what is no
    /// longer wanted, replace changed targets, create the new ones.
    async fn sync_routes(
        &self,
        id: &str,
        have: Option<&Value>,
        want: Option<&Value>,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let have = by_destination(have);
        let want = by_destination(want);
        for ((key, dest), _) in have.iter().filter(|(d, _)| !want.contains_key(*d)) {
            let req = client.delete_route().route_table_id(id);
            let req = match *key {
                "cidr_block" => req.destination_cidr_block(dest),
                "ipv6_cidr_block" => req.destination_ipv6_cidr_block(dest),
                _ => req.destination_prefix_list_id(dest),
            };
            if let Err(e) = req.send().await {
                let e = error("ec2:DeleteRoute", e);
                if !cairn_aws::is_not_found(&e) {
                    return Err(e);
                }
            }
        }
        for (d, route) in &want {
            match have.get(d) {
                Some(old) if crate::routes::same_target(old, route) => {}
                Some(_) => {
                    route_fields!(client.replace_route().route_table_id(id), route)
                        .send()
                        .await
                        .map_err(|e| error("ec2:ReplaceRoute", e))?;
                }
                None => {
                    route_fields!(client.create_route().route_table_id(id), route)
                        .send()
                        .await
                        .map_err(|e| error("ec2:CreateRoute", e))?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for RouteTable {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        config
            .get("route")
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let r = r.as_map()?;
                if !r.values().all(Value::is_wholly_known) {
                    return None;
                }
                check_route(r).err().map(|message| ValidationIssue {
                    attribute: "route".into(),
                    message: format!("route {i}: {message}"),
                })
            })
            .collect()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "route-table-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.ec2.owned_by_stack(stack, "route-table").await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let out = client
            .create_route_table()
            .vpc_id(
                planned
                    .get("vpc_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
            .tag_specifications(tag_spec(
                ResourceType::RouteTable,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateRouteTable", e))?;
        let id = created_id(
            "ec2:CreateRouteTable",
            out.route_table().and_then(|t| t.route_table_id()),
        )?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        if planned.get("route").is_some_and(|r| !r.is_unknown()) {
            self.sync_routes(&id, None, planned.get("route"))
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
                "route" => {
                    self.sync_routes(id, prior.get("route"), planned.get("route"))
                        .await?
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
        delete_with_retry("route table", &[dependents_draining(ctx)], || async {
            client
                .delete_route_table()
                .route_table_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DeleteRouteTable", e))
        })
        .await
    }
}
