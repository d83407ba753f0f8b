//! `aws_s3_bucket_policy`: the bucket's resource policy, compared as JSON
//! (AWS returns it re-serialised), in place.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, Object, ProviderError, Schema, Type, Value};

use crate::config::{is_absent, BucketConfig};

pub struct Policy;

#[async_trait]
impl BucketConfig for Policy {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_policy"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            Schema::new()
                .describe("A bucket's resource policy, compared as JSON, in place.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr(
                    "policy",
                    Attribute::new(Type::JsonString)
                        .required()
                        .describe("The policy document, compared as JSON."),
                )
                .attr("id", Attribute::string().computed())
        })
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        match client.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => Ok(out
                .policy()
                .map(|p| [("policy".to_string(), Value::from(p))].into())),
            Err(e) => {
                let e = error("s3:GetBucketPolicy", e);
                if is_absent(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(planned.str("policy").unwrap_or_default())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutBucketPolicy", e))
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        client
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:DeleteBucketPolicy", e))
    }
}
