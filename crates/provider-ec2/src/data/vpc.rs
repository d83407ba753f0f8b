//! `data.aws_vpc`: one existing VPC, by id, CIDR, default flag, tags or filters.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{tags, Attribute, Attrs, DataSource, Object, ProviderError, Schema, Value};

use super::{exactly_one, filter_attribute, filters};
use crate::common::{filter, from_sdk, Ec2};

pub struct VpcData {
    ec2: Arc<Ec2>,
}

impl VpcData {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        VpcData { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An existing VPC.")
            .attr("id", Attribute::string().optional_computed())
            .attr("cidr_block", Attribute::string().optional_computed())
            .attr("default", Attribute::bool().optional_computed())
            .attr("state", Attribute::string().optional_computed())
            .attr("filter", filter_attribute())
            .attr(
                "tags",
                Attribute::new(cairn_core::Type::map(cairn_core::Type::String)).optional_computed(),
            )
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr("instance_tenancy", Attribute::string().computed())
            .attr("main_route_table_id", Attribute::string().computed())
    })
}

#[async_trait]
impl DataSource for VpcData {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let mut f = filters(
            config,
            &[("id", "vpc-id"), ("cidr_block", "cidr"), ("state", "state")],
        );
        if let Some(d) = config.bool("default") {
            f.push(filter("is-default", [d.to_string()]));
        }
        let out = client
            .describe_vpcs()
            .set_filters(Some(f.clone()))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeVpcs", e))?;
        let vpc = exactly_one("ec2:DescribeVpcs", "VPC", &f, out.vpcs().to_vec())?;
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        let region = self.ec2.region().await;
        let owner = vpc.owner_id().unwrap_or_default();
        let main_table = client
            .describe_route_tables()
            .filters(filter("vpc-id", [id.as_str()]))
            .filters(filter("association.main", ["true"]))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeRouteTables", e))?;
        let mut obj = Object::new();
        obj.insert("id".into(), id.as_str().into());
        obj.insert(
            "arn".into(),
            crate::common::arn(&region, owner, "vpc", &id).into(),
        );
        obj.insert("owner_id".into(), Value::from(vpc.owner_id()));
        obj.insert("cidr_block".into(), Value::from(vpc.cidr_block()));
        obj.insert("default".into(), vpc.is_default().unwrap_or(false).into());
        obj.insert("state".into(), Value::from(vpc.state().map(|s| s.as_str())));
        obj.insert(
            "instance_tenancy".into(),
            Value::from(vpc.instance_tenancy().map(|t| t.as_str())),
        );
        obj.insert(
            "main_route_table_id".into(),
            Value::from(
                main_table
                    .route_tables()
                    .first()
                    .and_then(|t| t.route_table_id()),
            ),
        );
        obj.insert("tags".into(), tags::to_value(&from_sdk(vpc.tags())));
        obj.insert(
            "filter".into(),
            config.get("filter").cloned().unwrap_or_default(),
        );
        Ok(obj)
    }
}
