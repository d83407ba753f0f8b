//! `data.aws_ami`: an image by owners and filters; with `most_recent` the
//! newest of several matches, without it exactly one must match.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{tags, Attribute, Attrs, DataSource, Object, ProviderError, Schema, Type, Value};

use super::{describe, exactly_one, filter_attribute, filters};
use crate::common::{from_sdk, Ec2};

pub struct AmiData {
    ec2: Arc<Ec2>,
}

impl AmiData {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        AmiData { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An existing machine image.")
            .attr(
                "owners",
                Attribute::new(Type::list(Type::String)).required(),
            )
            .attr("most_recent", Attribute::bool().default(false))
            .attr("filter", filter_attribute())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("name", Attribute::string().computed())
            .attr("architecture", Attribute::string().computed())
            .attr("creation_date", Attribute::string().computed())
            .attr("root_device_name", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr("tags", Attribute::new(Type::map(Type::String)).computed())
    })
}

#[async_trait]
impl DataSource for AmiData {
    fn type_name(&self) -> &'static str {
        "aws_ami"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let f = filters(config, &[]);
        let owners: Vec<String> = config
            .get("owners")
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let out = client
            .describe_images()
            .set_owners(Some(owners.clone()))
            .set_filters(Some(f.clone()))
            .send()
            .await
            .map_err(|e| error("ec2:DescribeImages", e))?;
        let mut images = out.images().to_vec();
        let image = if config.bool("most_recent") == Some(true) {
            // ISO 8601 dates sort as text.
            images.sort_by(|a, b| b.creation_date().cmp(&a.creation_date()));
            images.into_iter().next().ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeImages",
                    "NoMatch",
                    format!(
                        "no image owned by {} matches {}",
                        owners.join("|"),
                        describe(&f)
                    ),
                )
            })?
        } else {
            exactly_one("ec2:DescribeImages", "image", &f, images)?
        };
        let id = image.image_id().unwrap_or_default().to_string();
        let region = self.ec2.region().await;
        let mut obj = config.clone();
        obj.insert("id".into(), id.as_str().into());
        obj.insert(
            "arn".into(),
            format!("arn:aws:ec2:{region}::image/{id}").into(),
        );
        obj.insert("name".into(), Value::from(image.name()));
        obj.insert(
            "architecture".into(),
            Value::from(image.architecture().map(|a| a.as_str())),
        );
        obj.insert("creation_date".into(), Value::from(image.creation_date()));
        obj.insert(
            "root_device_name".into(),
            Value::from(image.root_device_name()),
        );
        obj.insert("owner_id".into(), Value::from(image.owner_id()));
        obj.insert("tags".into(), tags::to_value(&from_sdk(image.tags())));
        Ok(obj)
    }
}
