//! data `aws_ecr_repository`: an existing repository by `name`.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::{Attribute, Attrs, DataSource, Object, ProviderError, Schema, Value};

use crate::Ecr;

pub struct RepositoryData {
    ecr: Arc<Ecr>,
}

impl RepositoryData {
    pub fn new(ecr: Arc<Ecr>) -> Self {
        RepositoryData { ecr }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe(
                "An existing ECR repository by `name`: its `arn`, `repository_url`, `registry_id`.",
            )
            .attr("name", Attribute::string().required())
            .attr("arn", Attribute::string().computed())
            .attr("registry_id", Attribute::string().computed())
            .attr("repository_url", Attribute::string().computed())
            .attr("image_tag_mutability", Attribute::string().computed())
            .attr("id", Attribute::string().computed())
    })
}

#[async_trait]
impl DataSource for RepositoryData {
    fn type_name(&self) -> &'static str {
        "aws_ecr_repository"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.ecr.client().await?;
        let name = config.str("name").unwrap_or_default();
        let out = client
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
            .map_err(|e| {
                let e = error("ecr:DescribeRepositories", e);
                if cairn_aws::is_not_found(&e) {
                    ProviderError {
                        message: format!("no repository named `{name}`"),
                        ..e
                    }
                } else {
                    e
                }
            })?;
        let r = out.repositories().first().ok_or_else(|| {
            ProviderError::new(
                "ecr:DescribeRepositories",
                "RepositoryNotFoundException",
                format!("no repository named `{name}`"),
            )
        })?;
        Ok([
            ("id".to_string(), Value::from(name)),
            ("name".to_string(), Value::from(name)),
            ("arn".to_string(), Value::from(r.repository_arn())),
            ("registry_id".to_string(), Value::from(r.registry_id())),
            (
                "repository_url".to_string(),
                Value::from(r.repository_uri()),
            ),
            (
                "image_tag_mutability".to_string(),
                Value::from(r.image_tag_mutability().map(|m| m.as_str())),
            ),
        ]
        .into())
    }
}
