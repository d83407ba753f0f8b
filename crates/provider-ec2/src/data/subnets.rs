//! `data.aws_subnets`: the ids of every subnet matching the filters (none is
//! a valid answer here: it is a list).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{Attribute, DataSource, Object, ProviderError, Schema, Type, Value};

use super::{filter_attribute, filters};
use crate::common::Ec2;

pub struct SubnetsData {
    ec2: Arc<Ec2>,
}

impl SubnetsData {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        SubnetsData { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The ids of existing subnets.")
            .attr("filter", filter_attribute())
            .attr("tags", Attribute::new(Type::map(Type::String)))
            .attr("id", Attribute::string().computed())
            .attr("ids", Attribute::new(Type::list(Type::String)).computed())
    })
}

#[async_trait]
impl DataSource for SubnetsData {
    fn type_name(&self) -> &'static str {
        "aws_subnets"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let f = filters(config, &[]);
        let subnets: Vec<_> = client
            .describe_subnets()
            .set_filters(Some(f))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeSubnets", e))?;
        let mut ids: Vec<String> = subnets
            .iter()
            .filter_map(|s| s.subnet_id().map(str::to_string))
            .collect();
        ids.sort();
        let mut obj = config.clone();
        obj.insert("ids".into(), Value::from(ids));
        // The region names the answer, as in Terraform.
        obj.insert("id".into(), self.ec2.region().await.into());
        Ok(obj)
    }
}
