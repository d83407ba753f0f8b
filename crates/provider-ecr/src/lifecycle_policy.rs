//! `aws_ecr_lifecycle_policy`: the policy of one repository, compared as
//! JSON and replaced in place; id = the repository name.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, Value,
};

use crate::Ecr;

const READ_CONCURRENCY: usize = 8;

pub struct LifecyclePolicy {
    ecr: Arc<Ecr>,
}

impl LifecyclePolicy {
    pub fn new(ecr: Arc<Ecr>) -> Self {
        LifecyclePolicy { ecr }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("The lifecycle policy of an ECR repository (which images expire), compared as JSON.")
            .attr("repository", Attribute::string().required().force_new())
            .attr(
                "policy",
                Attribute::new(Type::JsonString)
                    .required()
                    .describe("The lifecycle policy document, compared as JSON."),
            )
            .attr("id", Attribute::string().computed())
            .attr("registry_id", Attribute::string().computed())
    })
}

impl LifecyclePolicy {
    async fn get(&self, repository: &str) -> Result<Option<Object>, ProviderError> {
        let client = self.ecr.client().await?;
        let out = match client
            .get_lifecycle_policy()
            .repository_name(repository)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("ecr:GetLifecyclePolicy", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        Ok(Some(
            [
                ("id".to_string(), Value::from(repository)),
                ("repository".to_string(), Value::from(repository)),
                (
                    "policy".to_string(),
                    Value::from(out.lifecycle_policy_text()),
                ),
                ("registry_id".to_string(), Value::from(out.registry_id())),
            ]
            .into(),
        ))
    }

    async fn put(&self, repository: &str, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ecr.client().await?;
        client
            .put_lifecycle_policy()
            .repository_name(repository)
            .lifecycle_policy_text(planned.str("policy").unwrap_or_default())
            .send()
            .await
            .map_err(|e| error("ecr:PutLifecyclePolicy", e))?;
        self.get(repository).await?.ok_or_else(|| {
            ProviderError::new(
                "ecr:GetLifecyclePolicy",
                "LifecyclePolicyNotFoundException",
                format!("the lifecycle policy of {repository} is not found after writing it"),
            )
        })
    }
}

#[async_trait]
impl Resource for LifecyclePolicy {
    fn type_name(&self) -> &'static str {
        "aws_ecr_lifecycle_policy"
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

    // Putting the same policy again is harmless: a retried create is safe.
    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let repository = planned.str("repository").unwrap_or_default();
        self.put(repository, planned).await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        match changed.iter().find(|c| *c != "policy") {
            Some(other) => Err(ProviderError::not_updatable(self.type_name(), other)),
            None => self.put(id, planned).await,
        }
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ecr.client().await?;
        delete_with_retry("ECR lifecycle policy", &[], || async {
            client
                .delete_lifecycle_policy()
                .repository_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ecr:DeleteLifecyclePolicy", e))
        })
        .await
    }
}
