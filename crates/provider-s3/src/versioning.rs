//! `aws_s3_bucket_versioning`: `versioning_configuration.status` Enabled
//! or Suspended. A bucket that was versioned can only be suspended, so
//! destroying this resource suspends versioning.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, Check, Object, ProviderError, Schema, Type, Value};

use crate::config::BucketConfig;

pub struct Versioning;

fn status(planned: &Object) -> &str {
    planned
        .get("versioning_configuration")
        .and_then(Value::as_map)
        .and_then(|m| m.str("status"))
        .unwrap_or("Enabled")
}

async fn put_status(client: &Client, bucket: &str, status: &str) -> Result<(), ProviderError> {
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::from(status))
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error("s3:PutBucketVersioning", e))
}

#[async_trait]
impl BucketConfig for Versioning {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_versioning"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let conf = Schema::new().attr(
                "status",
                Attribute::string().required().check(Check::OneOf(&["Enabled", "Suspended"])),
            );
            Schema::new()
                .describe("A bucket's versioning (Enabled or Suspended); destroying it suspends versioning.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr("versioning_configuration", Attribute::new(Type::object(conf)).required())
                .attr("id", Attribute::string().computed())
        })
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let status = match client.get_bucket_versioning().bucket(bucket).send().await {
            Ok(out) => out.status().map(|s| s.as_str().to_string()),
            Err(e) => {
                // Some emulators (moto) name the XML root differently, which
                // the SDK rejects: read the status from the body ourselves.
                let body = e
                    .raw_response()
                    .filter(|r| r.status().as_u16() == 200)
                    .and_then(|r| r.body().bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                match body {
                    Some(b) => ["Enabled", "Suspended"]
                        .into_iter()
                        .find(|s| b.contains(&format!("<Status>{s}</Status>")))
                        .map(str::to_string),
                    None => {
                        let e = error("s3:GetBucketVersioning", e);
                        return if crate::config::is_absent(&e) {
                            Ok(None)
                        } else {
                            Err(e)
                        };
                    }
                }
            }
        };
        // A bucket never versioned has no status: nothing to manage.
        let Some(status) = status else {
            return Ok(None);
        };
        let conf: Object = [("status".to_string(), Value::from(status))].into();
        Ok(Some(
            [("versioning_configuration".to_string(), Value::Map(conf))].into(),
        ))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        put_status(client, bucket, status(planned)).await
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        put_status(client, bucket, "Suspended").await
    }
}
