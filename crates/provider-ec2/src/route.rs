//! `aws_route`: one route in a table managed elsewhere. Its id is
//! `<route table id>_<destination>` (Terraform's import id).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    Attribute, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Value,
};

use crate::common::{filter, Ec2, FILTER_CHUNK};
use crate::routes::{check_route, destination, is_managed, route_fields, route_object, TARGETS};

pub struct Route {
    ec2: Arc<Ec2>,
}

impl Route {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        Route { ec2 }
    }
}

/// `aws_route` spells the destinations with a `destination_` prefix.
const RENAMED: &[(&str, &str)] = &[
    ("destination_cidr_block", "cidr_block"),
    ("destination_ipv6_cidr_block", "ipv6_cidr_block"),
];

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let mut s = Schema::new()
            .describe("One route in a route table.")
            .attr("route_table_id", Attribute::string().required().force_new())
            .attr(
                "destination_cidr_block",
                Attribute::string().force_new().check(Check::Ipv4Cidr),
            )
            .attr(
                "destination_ipv6_cidr_block",
                Attribute::string().force_new(),
            )
            .attr(
                "destination_prefix_list_id",
                Attribute::string().force_new(),
            );
        for t in TARGETS {
            s = s.attr(t, Attribute::string());
        }
        s.attr("id", Attribute::string().computed())
            .attr("origin", Attribute::string().computed())
            .attr("state", Attribute::string().computed())
    })
}

/// The route in the shared (table-inline) spelling.
fn as_route(o: &Object) -> Object {
    let mut r = o.clone();
    for (ours, shared) in RENAMED {
        if let Some(v) = r.remove(*ours) {
            r.insert(shared.to_string(), v);
        }
    }
    r
}

fn from_route(mut r: Object) -> Object {
    for (ours, shared) in RENAMED {
        if let Some(v) = r.remove(*shared) {
            r.insert(ours.to_string(), v);
        }
    }
    r
}

fn route_id(table: &str, dest: &str) -> String {
    format!("{table}_{dest}")
}

impl Route {
    /// Routes of these tables, by route id.
    async fn read_tables(&self, tables: &[&str]) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let mut out = HashMap::new();
        for chunk in tables.chunks(FILTER_CHUNK) {
            let found: Vec<_> = client
                .describe_route_tables()
                .filters(filter("route-table-id", chunk.iter().copied()))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("ec2:DescribeRouteTables", e))?;
            for t in &found {
                let table = t.route_table_id().unwrap_or_default();
                for r in t.routes().iter().filter(|r| is_managed(r)) {
                    let shared = route_object(r);
                    let Some((_, dest)) = destination(&shared) else {
                        continue;
                    };
                    let id = route_id(table, &dest);
                    let mut obj = from_route(shared);
                    obj.insert("id".into(), id.as_str().into());
                    obj.insert("route_table_id".into(), table.into());
                    obj.insert("origin".into(), Value::from(r.origin().map(|o| o.as_str())));
                    obj.insert("state".into(), Value::from(r.state().map(|s| s.as_str())));
                    out.insert(id, obj);
                }
            }
        }
        Ok(out)
    }

    async fn read_one(&self, id: &str) -> Result<Object, ProviderError> {
        let table = id.split('_').next().unwrap_or_default();
        self.read_tables(&[table]).await?.remove(id).ok_or_else(|| {
            ProviderError::new(
                "ec2:DescribeRouteTables",
                "InvalidRoute.NotFound",
                format!("route {id} not found after writing it"),
            )
        })
    }
}

#[async_trait]
impl Resource for Route {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let route = as_route(config);
        if !route.values().all(Value::is_wholly_known) {
            return Vec::new();
        }
        check_route(&route)
            .err()
            .map(|message| ValidationIssue {
                attribute: "route_table_id".into(),
                message,
            })
            .into_iter()
            .collect()
    }

    /// One DescribeRouteTables per chunk of distinct tables.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let tables: BTreeSet<&str> = requests
            .iter()
            .filter_map(|r| r.id.split('_').next())
            .collect();
        let live = self
            .read_tables(&tables.into_iter().collect::<Vec<_>>())
            .await?;
        Ok(crate::common::outcomes(requests, live))
    }

    // No tags, so no ownership listing: a retried create of the same route
    // is harmless (RouteAlreadyExists is treated as done).
    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let table = planned
            .get("route_table_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let route = as_route(planned);
        let dest = destination(&route).map(|(_, d)| d).unwrap_or_default();
        let id = route_id(table, &dest);
        if let Err(e) = route_fields!(client.create_route().route_table_id(table), route)
            .send()
            .await
        {
            let e = error("ec2:CreateRoute", e);
            // Made by an earlier, interrupted run with the same target: done.
            let existing = self.read_one(&id).await.ok();
            let same = existing
                .as_ref()
                .is_some_and(|o| crate::routes::same_target(&as_route(o), &route));
            if !(e.code == "RouteAlreadyExists" && same) {
                return Err(e);
            }
        }
        self.read_one(&id).await
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
        let table = planned
            .get("route_table_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        route_fields!(
            client.replace_route().route_table_id(table),
            as_route(planned)
        )
        .send()
        .await
        .map_err(|e| error("ec2:ReplaceRoute", e))?;
        self.read_one(id).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        _id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let route = as_route(prior);
        let s = |k: &str| {
            route
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let result = client
            .delete_route()
            .route_table_id(
                prior
                    .get("route_table_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            )
            .set_destination_cidr_block(s("cidr_block"))
            .set_destination_ipv6_cidr_block(s("ipv6_cidr_block"))
            .set_destination_prefix_list_id(s("destination_prefix_list_id"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("ec2:DeleteRoute", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
