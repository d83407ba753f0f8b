//! `aws_s3_bucket_ownership_controls`: who owns objects others write
//! (`BucketOwnerEnforced` turns ACLs off), in place.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, Check, Object, ProviderError, Schema, Type, Value};

use crate::config::{is_absent, BucketConfig};

pub struct OwnershipControlsConfig;

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        "s3:PutBucketOwnershipControls",
        "InvalidRequest",
        e.to_string(),
    )
}

#[async_trait]
impl BucketConfig for OwnershipControlsConfig {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_ownership_controls"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let rule = Schema::new().attr(
                "object_ownership",
                Attribute::string().required().check(Check::OneOf(&[
                    "BucketOwnerPreferred",
                    "ObjectWriter",
                    "BucketOwnerEnforced",
                ])),
            );
            Schema::new()
                .describe("Who owns the objects written to a bucket (`BucketOwnerEnforced` disables ACLs), in place.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr("rule", Attribute::new(Type::object(rule)).required())
                .attr("id", Attribute::string().computed())
        })
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let out = match client
            .get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("s3:GetBucketOwnershipControls", e);
                return if is_absent(&e) { Ok(None) } else { Err(e) };
            }
        };
        let Some(rule) = out.ownership_controls().and_then(|c| c.rules().first()) else {
            return Ok(None);
        };
        let rule: Object = [(
            "object_ownership".to_string(),
            Value::from(rule.object_ownership().as_str()),
        )]
        .into();
        Ok(Some([("rule".to_string(), Value::Map(rule))].into()))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let ownership = planned
            .get("rule")
            .and_then(Value::as_map)
            .and_then(|r| r.str("object_ownership"))
            .unwrap_or("BucketOwnerEnforced");
        let controls = OwnershipControls::builder()
            .rules(
                OwnershipControlsRule::builder()
                    .object_ownership(ObjectOwnership::from(ownership))
                    .build()
                    .map_err(invalid)?,
            )
            .build()
            .map_err(invalid)?;
        client
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutBucketOwnershipControls", e))
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        client
            .delete_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:DeleteBucketOwnershipControls", e))
    }
}
