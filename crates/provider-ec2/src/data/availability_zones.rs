//! `data.aws_availability_zones`: the zones of the provider's region.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{Attribute, Check, DataSource, Object, ProviderError, Schema, Type, Value};

use super::{filter_attribute, filters};
use crate::common::Ec2;

pub struct AvailabilityZonesData {
    ec2: Arc<Ec2>,
}

impl AvailabilityZonesData {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        AvailabilityZonesData { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The availability zones of the region.")
            .attr(
                "state",
                Attribute::string().check(Check::OneOf(&[
                    "available",
                    "information",
                    "impaired",
                    "unavailable",
                ])),
            )
            .attr("filter", filter_attribute())
            .attr("id", Attribute::string().computed())
            .attr("names", Attribute::new(Type::list(Type::String)).computed())
            .attr(
                "zone_ids",
                Attribute::new(Type::list(Type::String)).computed(),
            )
    })
}

#[async_trait]
impl DataSource for AvailabilityZonesData {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let f = filters(config, &[("state", "state")]);
        let out = client
            .describe_availability_zones()
            .set_filters(Some(f))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeAvailabilityZones", e))?;
        let mut zones: Vec<(String, String)> = out
            .availability_zones()
            .iter()
            .filter_map(|z| {
                Some((
                    z.zone_name()?.to_string(),
                    z.zone_id().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        zones.sort();
        let mut obj = config.clone();
        obj.insert("id".into(), self.ec2.region().await.into());
        obj.insert(
            "names".into(),
            Value::from(zones.iter().map(|z| z.0.clone()).collect::<Vec<_>>()),
        );
        obj.insert(
            "zone_ids".into(),
            Value::from(zones.iter().map(|z| z.1.clone()).collect::<Vec<_>>()),
        );
        Ok(obj)
    }
}
