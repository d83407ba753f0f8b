//! `aws_secretsmanager_secret_version`: one value of a secret. The value
//! is sensitive everywhere; a new value is a new version (every argument
//! forces one). The create passes the operation's idempotency token as
//! `ClientRequestToken`, so a create retried after a crash writes no second
//! version. id = `<secret arn>|<version id>`, as in Terraform.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Value,
};

use crate::SecretsManager;

const READ_CONCURRENCY: usize = 8;

pub struct SecretVersion {
    sm: Arc<SecretsManager>,
}

impl SecretVersion {
    pub fn new(sm: Arc<SecretsManager>) -> Self {
        SecretVersion { sm }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("One value of a Secrets Manager secret; `secret_string` is sensitive everywhere, and a new value is a new version.")
            .attr("secret_id", Attribute::string().required().force_new())
            .attr("secret_string", Attribute::string().required().sensitive().force_new())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("version_id", Attribute::string().computed())
    })
}

fn object(arn: &str, version: &str, secret_id: &str, value: Option<&str>) -> Object {
    [
        ("id".to_string(), Value::from(format!("{arn}|{version}"))),
        ("arn".to_string(), Value::from(arn)),
        ("version_id".to_string(), Value::from(version)),
        ("secret_id".to_string(), Value::from(secret_id)),
        (
            "secret_string".to_string(),
            Value::sensitive(Value::from(value)),
        ),
    ]
    .into()
}

impl SecretVersion {
    /// The value of one version: read only because this version is
    /// managed (refresh never reads other secrets' values).
    async fn get(&self, id: &str, prior: &Object) -> Result<Option<Object>, ProviderError> {
        let Some((arn, version)) = id.split_once('|') else {
            return Ok(None);
        };
        let client = self.sm.client().await?;
        let out = match client
            .get_secret_value()
            .secret_id(arn)
            .version_id(version)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("secretsmanager:GetSecretValue", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let secret_id = prior.str("secret_id").unwrap_or(arn);
        Ok(Some(object(arn, version, secret_id, out.secret_string())))
    }
}

#[async_trait]
impl Resource for SecretVersion {
    fn type_name(&self) -> &'static str {
        "aws_secretsmanager_secret_version"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| Box::pin(self.get(r.id, r.prior)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sm.client().await?;
        let secret_id = planned.str("secret_id").unwrap_or_default();
        let value = planned.str("secret_string").unwrap_or_default();
        let out = client
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(value)
            .client_request_token(&ctx.idempotency_token)
            .send()
            .await
            .map_err(|e| error("secretsmanager:PutSecretValue", e))?;
        let arn = cairn_aws::created_id("secretsmanager:PutSecretValue", out.arn())?;
        let version = cairn_aws::created_id("secretsmanager:PutSecretValue", out.version_id())?;
        Ok(object(&arn, &version, secret_id, Some(value)))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        _planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        Err(ProviderError::not_updatable(
            self.type_name(),
            changed.first().map(String::as_str).unwrap_or("(none)"),
        ))
    }

    /// A version is not deleted on its own: the secret keeps its history
    /// (the newest value stays current) until the secret is deleted.
    async fn delete(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        Ok(())
    }
}
