//! `aws_s3_bucket_public_access_block`: the four switches that keep a
//! bucket private, each in place.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, Object, ProviderError, Schema, Value};

use crate::config::{is_absent, BucketConfig};

pub struct PublicAccessBlock;

const SWITCHES: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

#[async_trait]
impl BucketConfig for PublicAccessBlock {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_public_access_block"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let mut s = Schema::new()
                .describe("Blocks public access to a bucket (four switches, each in place).")
                .attr("bucket", Attribute::string().required().force_new())
                .attr("id", Attribute::string().computed());
            for name in SWITCHES {
                s = s.attr(name, Attribute::bool().default(false));
            }
            s
        })
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let out = match client.get_public_access_block().bucket(bucket).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = error("s3:GetPublicAccessBlock", e);
                return if is_absent(&e) { Ok(None) } else { Err(e) };
            }
        };
        let Some(c) = out.public_access_block_configuration() else {
            return Ok(None);
        };
        let values = [
            c.block_public_acls(),
            c.block_public_policy(),
            c.ignore_public_acls(),
            c.restrict_public_buckets(),
        ];
        Ok(Some(
            SWITCHES
                .iter()
                .zip(values)
                .map(|(k, v)| (k.to_string(), Value::from(v.unwrap_or(false))))
                .collect(),
        ))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let on = |k: &str| planned.bool(k).unwrap_or(false);
        client
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(on("block_public_acls"))
                    .block_public_policy(on("block_public_policy"))
                    .ignore_public_acls(on("ignore_public_acls"))
                    .restrict_public_buckets(on("restrict_public_buckets"))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutPublicAccessBlock", e))
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        client
            .delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:DeletePublicAccessBlock", e))
    }
}
