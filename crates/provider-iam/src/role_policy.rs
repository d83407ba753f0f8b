//! `aws_iam_role_policy`: an inline policy of a role. Id `role:name`; the
//! document changes in place (PutRolePolicy replaces it).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema, Type,
    Value,
};

use crate::{decode_policy, Iam, READ_CONCURRENCY};

pub struct RolePolicy {
    iam: Arc<Iam>,
}

impl RolePolicy {
    pub fn new(iam: Arc<Iam>) -> Self {
        RolePolicy { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An inline policy of an IAM role.")
            .attr("role", Attribute::string().required().force_new())
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "policy",
                Attribute::new(Type::JsonString)
                    .required()
                    .describe("The policy document, compared as JSON."),
            )
            .attr("id", Attribute::string().computed())
    })
}

impl RolePolicy {
    async fn get(&self, id: &str) -> Result<Option<Object>, ProviderError> {
        let Some((role, name)) = id.split_once(':') else {
            return Ok(None);
        };
        let client = self.iam.client().await?;
        match client
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
        {
            Ok(out) => {
                let mut obj = Object::new();
                obj.insert("id".into(), id.into());
                obj.insert("role".into(), out.role_name().into());
                obj.insert("name".into(), out.policy_name().into());
                obj.insert("policy".into(), decode_policy(out.policy_document()).into());
                Ok(Some(obj))
            }
            Err(e) => {
                let e = error("iam:GetRolePolicy", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn put(&self, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.iam.client().await?;
        let s = |k: &str| {
            planned
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        client
            .put_role_policy()
            .role_name(s("role"))
            .policy_name(s("name"))
            .policy_document(s("policy"))
            .send()
            .await
            .map_err(|e| error("iam:PutRolePolicy", e))?;
        let id = format!("{}:{}", s("role"), s("name"));
        self.get(&id).await?.ok_or_else(|| {
            ProviderError::new(
                "iam:GetRolePolicy",
                "NoSuchEntity",
                format!("policy {id} not found after writing it"),
            )
        })
    }
}

#[async_trait]
impl Resource for RolePolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy"
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
            .map(|r| Box::pin(self.get(r.id)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // Writing the same policy again is harmless (PutRolePolicy replaces).
    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.put(planned).await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        planned: &Object,
        _changed: &[String],
    ) -> Result<Object, ProviderError> {
        self.put(planned).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let Some((role, name)) = id.split_once(':') else {
            return Ok(());
        };
        let client = self.iam.client().await?;
        match client
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("iam:DeleteRolePolicy", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
