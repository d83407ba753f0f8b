//! `aws_s3_bucket_server_side_encryption_configuration`: the default
//! encryption of new objects (SSE-S3 `AES256`, or `aws:kms` with a key),
//! in place. An ALB cannot write its logs to a bucket whose default is a
//! customer KMS key: such a bucket keeps `AES256`.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, Check, Object, ProviderError, Schema, Type, Value};

use crate::config::{is_absent, BucketConfig};

pub struct Encryption;

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new("s3:PutBucketEncryption", "InvalidRequest", e.to_string())
}

#[async_trait]
impl BucketConfig for Encryption {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_server_side_encryption_configuration"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let by_default = Schema::new()
                .attr(
                    "sse_algorithm",
                    Attribute::string().required().check(Check::OneOf(&[
                        "AES256",
                        "aws:kms",
                        "aws:kms:dsse",
                    ])),
                )
                .attr("kms_master_key_id", Attribute::string());
            let rule = Schema::new()
                .attr(
                    "apply_server_side_encryption_by_default",
                    Attribute::new(Type::object(by_default)).required(),
                )
                .attr("bucket_key_enabled", Attribute::bool().default(false));
            Schema::new()
                .describe("A bucket's default encryption (SSE-S3 or SSE-KMS), in place.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr("rule", Attribute::new(Type::object(rule)).required())
                .attr("id", Attribute::string().computed())
        })
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let out = match client.get_bucket_encryption().bucket(bucket).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = error("s3:GetBucketEncryption", e);
                return if is_absent(&e) { Ok(None) } else { Err(e) };
            }
        };
        let Some(rule) = out
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
        else {
            return Ok(None);
        };
        let by_default = rule.apply_server_side_encryption_by_default();
        let defaults: Object = [
            (
                "sse_algorithm".to_string(),
                Value::from(by_default.map(|d| d.sse_algorithm().as_str())),
            ),
            (
                "kms_master_key_id".to_string(),
                Value::from(by_default.and_then(|d| d.kms_master_key_id())),
            ),
        ]
        .into();
        let rule: Object = [
            (
                "apply_server_side_encryption_by_default".to_string(),
                Value::Map(defaults),
            ),
            (
                "bucket_key_enabled".to_string(),
                Value::from(rule.bucket_key_enabled().unwrap_or(false)),
            ),
        ]
        .into();
        Ok(Some([("rule".to_string(), Value::Map(rule))].into()))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let rule = planned.get("rule").and_then(Value::as_map);
        let defaults = rule
            .and_then(|r| r.get("apply_server_side_encryption_by_default"))
            .and_then(Value::as_map);
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(
                defaults
                    .and_then(|d| d.str("sse_algorithm"))
                    .unwrap_or("AES256"),
            ))
            .set_kms_master_key_id(
                defaults
                    .and_then(|d| d.str("kms_master_key_id"))
                    .map(str::to_string),
            )
            .build()
            .map_err(invalid)?;
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .bucket_key_enabled(
                        rule.and_then(|r| r.bool("bucket_key_enabled"))
                            .unwrap_or(false),
                    )
                    .build(),
            )
            .build()
            .map_err(invalid)?;
        client
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutBucketEncryption", e))
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        client
            .delete_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:DeleteBucketEncryption", e))
    }
}
