//! `data.aws_security_group`: one existing group, by id, name, VPC, tags or
//! filters.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{tags, Attribute, DataSource, Object, ProviderError, Schema, Type, Value};

use super::{exactly_one, filter_attribute, filters};
use crate::common::{from_sdk, Ec2};

pub struct SecurityGroupData {
    ec2: Arc<Ec2>,
}

impl SecurityGroupData {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        SecurityGroupData { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An existing security group.")
            .attr("id", Attribute::string().optional_computed())
            .attr("name", Attribute::string().optional_computed())
            .attr("vpc_id", Attribute::string().optional_computed())
            .attr("filter", filter_attribute())
            .attr(
                "tags",
                Attribute::new(Type::map(Type::String)).optional_computed(),
            )
            .attr("arn", Attribute::string().computed())
            .attr("description", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
    })
}

#[async_trait]
impl DataSource for SecurityGroupData {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let f = filters(
            config,
            &[
                ("id", "group-id"),
                ("name", "group-name"),
                ("vpc_id", "vpc-id"),
            ],
        );
        let out = client
            .describe_security_groups()
            .set_filters(Some(f.clone()))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
        let g = exactly_one(
            "ec2:DescribeSecurityGroups",
            "security group",
            &f,
            out.security_groups().to_vec(),
        )?;
        let id = g.group_id().unwrap_or_default().to_string();
        let region = self.ec2.region().await;
        let mut obj = Object::new();
        obj.insert("id".into(), id.as_str().into());
        obj.insert(
            "arn".into(),
            crate::common::arn(
                &region,
                g.owner_id().unwrap_or_default(),
                "security-group",
                &id,
            )
            .into(),
        );
        obj.insert("name".into(), Value::from(g.group_name()));
        obj.insert("vpc_id".into(), Value::from(g.vpc_id()));
        obj.insert("description".into(), Value::from(g.description()));
        obj.insert("owner_id".into(), Value::from(g.owner_id()));
        obj.insert("tags".into(), tags::to_value(&from_sdk(g.tags())));
        obj.insert(
            "filter".into(),
            config.get("filter").cloned().unwrap_or_default(),
        );
        Ok(obj)
    }
}
