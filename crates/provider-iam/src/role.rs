//! `aws_iam_role`. Its id is its name. The trust policy, description,
//! session duration and tags change in place.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use cairn_aws::{error, read_concurrently, sync_tags, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use cairn_aws::delete_with_retry;

use crate::{decode_policy, refs_draining, Iam, READ_CONCURRENCY};

pub struct Role {
    iam: Arc<Iam>,
}

impl Role {
    pub fn new(iam: Arc<Iam>) -> Self {
        Role { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An IAM role.")
            .attr("name", Attribute::string().required().force_new())
            .attr("path", Attribute::string().default("/").force_new())
            .attr(
                "assume_role_policy",
                Attribute::new(Type::JsonString)
                    .required()
                    .describe("The trust policy, compared as JSON."),
            )
            .attr("description", Attribute::string())
            .attr(
                "max_session_duration",
                Attribute::number()
                    .default(3600)
                    .check(Check::Range(3600, 43200)),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("unique_id", Attribute::string().computed())
            .with_tags()
    })
}

fn iam_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl Role {
    async fn get(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.iam.client().await?;
        let role = match client.get_role().role_name(name).send().await {
            Ok(out) => match out.role {
                Some(r) => r,
                None => return Ok(None),
            },
            Err(e) => {
                let e = error("iam:GetRole", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let mut obj = Object::new();
        obj.insert("id".into(), role.role_name().into());
        obj.insert("name".into(), role.role_name().into());
        obj.insert("path".into(), role.path().into());
        obj.insert("arn".into(), role.arn().into());
        obj.insert("unique_id".into(), role.role_id().into());
        obj.insert(
            "assume_role_policy".into(),
            Value::from(role.assume_role_policy_document().map(decode_policy)),
        );
        obj.insert("description".into(), Value::from(role.description()));
        obj.insert(
            "max_session_duration".into(),
            Value::from(role.max_session_duration().unwrap_or(3600) as i64),
        );
        let live: tags::Tags = role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        tags::set_live(&mut obj, &live, default_tags);
        Ok(Some(obj))
    }

    async fn get_written(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.get(name, default_tags).await?.ok_or_else(|| {
            ProviderError::new(
                "iam:GetRole",
                "NoSuchEntity",
                format!("role {name} not found after writing it"),
            )
        })
    }
}

#[async_trait]
impl Resource for Role {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| Box::pin(self.get(r.id, &ctx.default_tags)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // A role's name is its identity: create adopts one an interrupted apply
    // left (same name, this stack's ownership tags).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.iam.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let name = s("name").unwrap_or_default();
        let result = client
            .create_role()
            .role_name(&name)
            .set_path(s("path"))
            .set_assume_role_policy_document(s("assume_role_policy"))
            .set_description(s("description"))
            .set_max_session_duration(
                planned
                    .get("max_session_duration")
                    .and_then(Value::as_i64)
                    .map(|n| n as i32),
            )
            .set_tags(Some(iam_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        if let Err(e) = result {
            let e = error("iam:CreateRole", e);
            // Ours from an interrupted run (same ownership tags): adopt it.
            let existing = self.get(&name, &ctx.default_tags).await?;
            let ours = existing
                .as_ref()
                .is_some_and(|_| e.code == "EntityAlreadyExists")
                && self.owned_by(&name, ctx).await?;
            if !ours {
                return Err(e);
            }
            tracing::info!(address = %ctx.address, "adopting the role {name} an interrupted apply created");
            let prior = existing.unwrap_or_default();
            let changed: Vec<String> = [
                "assume_role_policy",
                "description",
                "max_session_duration",
                "tags",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            return self.update(ctx, &name, &prior, planned, &changed).await;
        }
        self.get_written(&name, &ctx.default_tags).await
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.iam.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        if changed.iter().any(|c| c == "assume_role_policy") {
            client
                .update_assume_role_policy()
                .role_name(id)
                .set_policy_document(s("assume_role_policy"))
                .send()
                .await
                .map_err(|e| error("iam:UpdateAssumeRolePolicy", e))?;
        }
        if changed
            .iter()
            .any(|c| c == "description" || c == "max_session_duration")
        {
            client
                .update_role()
                .role_name(id)
                .description(s("description").unwrap_or_default())
                .set_max_session_duration(
                    planned
                        .get("max_session_duration")
                        .and_then(Value::as_i64)
                        .map(|n| n as i32),
                )
                .send()
                .await
                .map_err(|e| error("iam:UpdateRole", e))?;
        }
        if changed.iter().any(|c| c == "tags") {
            let tag = |set: tags::Tags| async move {
                client
                    .tag_role()
                    .role_name(id)
                    .set_tags(Some(iam_tags(&set)))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("iam:TagRole", e))
            };
            let untag = |keys: Vec<String>| async move {
                client
                    .untag_role()
                    .role_name(id)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("iam:UntagRole", e))
            };
            sync_tags(ctx, prior, planned, tag, untag).await?;
        }
        self.get_written(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.iam.client().await?;
        // Its policies and profiles are separate resources, removed first;
        // IAM may take a moment to notice.
        delete_with_retry("IAM role", &[refs_draining(ctx)], || async {
            client
                .delete_role()
                .role_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("iam:DeleteRole", e))
        })
        .await
    }
}

impl Role {
    /// Whether the role carries this stack and address's ownership tags.
    async fn owned_by(&self, name: &str, ctx: &OpContext) -> Result<bool, ProviderError> {
        let client = self.iam.client().await?;
        let out = client
            .list_role_tags()
            .role_name(name)
            .send()
            .await
            .map_err(|e| error("iam:ListRoleTags", e))?;
        let live = out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()));
        Ok(ctx.owns(&live.collect()))
    }
}
