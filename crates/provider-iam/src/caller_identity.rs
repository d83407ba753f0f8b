//! `data.aws_caller_identity`: who cairn is acting as (STS).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{Attribute, DataSource, Object, ProviderError, Schema, Value};

use crate::Iam;

pub struct CallerIdentity {
    iam: Arc<Iam>,
}

impl CallerIdentity {
    pub fn new(iam: Arc<Iam>) -> Self {
        CallerIdentity { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The account and identity the provider acts as.")
            .attr("id", Attribute::string().computed())
            .attr("account_id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("user_id", Attribute::string().computed())
    })
}

#[async_trait]
impl DataSource for CallerIdentity {
    fn type_name(&self) -> &'static str {
        "aws_caller_identity"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, _config: &Object) -> Result<Object, ProviderError> {
        let sdk = self.iam.aws().sdk_config().await?;
        let sts = (cairn_aws::sdk_client!(aws_sdk_sts))(self.iam.aws(), sdk);
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| error("sts:GetCallerIdentity", e))?;
        let mut obj = Object::new();
        obj.insert("id".into(), Value::from(out.account()));
        obj.insert("account_id".into(), Value::from(out.account()));
        obj.insert("arn".into(), Value::from(out.arn()));
        obj.insert("user_id".into(), Value::from(out.user_id()));
        Ok(obj)
    }
}
