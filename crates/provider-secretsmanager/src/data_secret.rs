//! data `aws_secretsmanager_secret`: an existing secret by `name` or
//! `arn` (never its value).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, DataSource, Object, ProviderError, Schema, Value};

use crate::SecretsManager;

pub struct SecretData {
    sm: Arc<SecretsManager>,
}

impl SecretData {
    pub fn new(sm: Arc<SecretsManager>) -> Self {
        SecretData { sm }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An existing secret by `name` or `arn`: its `arn`, KMS key and description, never its value.")
            .attr("name", Attribute::string().optional_computed())
            .attr("arn", Attribute::string().optional_computed())
            .attr("kms_key_id", Attribute::string().computed())
            .attr("description", Attribute::string().computed())
            .attr("id", Attribute::string().computed())
    })
}

#[async_trait]
impl DataSource for SecretData {
    fn type_name(&self) -> &'static str {
        "aws_secretsmanager_secret"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let Some(wanted) = config.str("arn").or(config.str("name")) else {
            return Err(ProviderError::new(
                "secretsmanager:DescribeSecret",
                "InvalidConfiguration",
                "set `name` or `arn`",
            ));
        };
        let client = self.sm.client().await?;
        let d = client
            .describe_secret()
            .secret_id(wanted)
            .send()
            .await
            .map_err(|e| {
                let e = error("secretsmanager:DescribeSecret", e);
                if cairn_aws::is_not_found(&e) {
                    ProviderError {
                        message: format!("no secret `{wanted}`"),
                        ..e
                    }
                } else {
                    e
                }
            })?;
        Ok([
            ("id".to_string(), Value::from(d.arn())),
            ("arn".to_string(), Value::from(d.arn())),
            ("name".to_string(), Value::from(d.name())),
            ("kms_key_id".to_string(), Value::from(d.kms_key_id())),
            ("description".to_string(), Value::from(d.description())),
        ]
        .into())
    }
}
