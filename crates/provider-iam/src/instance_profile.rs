//! `aws_iam_instance_profile`: how an EC2 instance gets a role. The role
//! changes in place (removed, then the new one added).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use cairn_aws::{error, read_concurrently, sync_tags, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use cairn_aws::delete_with_retry;

use crate::{refs_draining, Iam, READ_CONCURRENCY};

pub struct InstanceProfile {
    iam: Arc<Iam>,
}

impl InstanceProfile {
    pub fn new(iam: Arc<Iam>) -> Self {
        InstanceProfile { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An IAM instance profile carrying one role.")
            .attr("name", Attribute::string().required().force_new())
            .attr("path", Attribute::string().default("/").force_new())
            .attr("role", Attribute::string())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("unique_id", Attribute::string().computed())
            .with_tags()
    })
}

impl InstanceProfile {
    async fn get(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.iam.client().await?;
        let p = match client
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
        {
            Ok(out) => match out.instance_profile {
                Some(p) => p,
                None => return Ok(None),
            },
            Err(e) => {
                let e = error("iam:GetInstanceProfile", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let mut obj = Object::new();
        obj.insert("id".into(), p.instance_profile_name().into());
        obj.insert("name".into(), p.instance_profile_name().into());
        obj.insert("path".into(), p.path().into());
        obj.insert("arn".into(), p.arn().into());
        obj.insert("unique_id".into(), p.instance_profile_id().into());
        obj.insert(
            "role".into(),
            Value::from(p.roles().first().map(|r| r.role_name())),
        );
        let live: tags::Tags = p
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        tags::set_live(&mut obj, &live, default_tags);
        Ok(Some(obj))
    }

    async fn set_role(
        &self,
        name: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) -> Result<(), ProviderError> {
        let client = self.iam.client().await?;
        if let Some(old) = old {
            if let Err(e) = client
                .remove_role_from_instance_profile()
                .instance_profile_name(name)
                .role_name(old)
                .send()
                .await
            {
                let e = error("iam:RemoveRoleFromInstanceProfile", e);
                if !cairn_aws::is_not_found(&e) {
                    return Err(e);
                }
            }
        }
        if let Some(new) = new {
            client
                .add_role_to_instance_profile()
                .instance_profile_name(name)
                .role_name(new)
                .send()
                .await
                .map_err(|e| error("iam:AddRoleToInstanceProfile", e))?;
        }
        Ok(())
    }

    async fn get_written(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.get(name, default_tags).await?.ok_or_else(|| {
            ProviderError::new(
                "iam:GetInstanceProfile",
                "NoSuchEntity",
                format!("instance profile {name} not found after writing it"),
            )
        })
    }
}

impl InstanceProfile {
    /// Whether the profile carries this stack's and address's ownership tags.
    async fn owned_by(&self, name: &str, ctx: &OpContext) -> Result<bool, ProviderError> {
        let client = self.iam.client().await?;
        let out = client
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await
            .map_err(|e| error("iam:GetInstanceProfile", e))?;
        let live = out.instance_profile().map(|p| p.tags()).unwrap_or_default();
        Ok(ctx.owns(
            &live
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        ))
    }
}

#[async_trait]
impl Resource for InstanceProfile {
    fn type_name(&self) -> &'static str {
        "aws_iam_instance_profile"
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

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.iam.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let name = s("name").unwrap_or_default();
        let tags: Vec<Tag> = ctx
            .create_tags(planned)
            .iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        let created = client
            .create_instance_profile()
            .instance_profile_name(&name)
            .set_path(s("path"))
            .set_tags(Some(tags))
            .send()
            .await;
        if let Err(e) = created {
            let e = error("iam:CreateInstanceProfile", e);
            // Its name is its identity: one an interrupted apply left (with
            // this stack's ownership tags) is adopted and brought up to date.
            if e.code != "EntityAlreadyExists" || !self.owned_by(&name, ctx).await? {
                return Err(e);
            }
            let prior = self.get_written(&name, &ctx.default_tags).await?;
            return self
                .update(ctx, &name, &prior, planned, &["role".into(), "tags".into()])
                .await;
        }
        let partial = |e: ProviderError| e.with_partial_id(name.as_str());
        self.set_role(&name, None, s("role").as_deref())
            .await
            .map_err(partial)?;
        self.get_written(&name, &ctx.default_tags)
            .await
            .map_err(partial)
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
        for name in changed {
            match name.as_str() {
                "role" => {
                    if prior.str("role") != planned.str("role") {
                        self.set_role(id, prior.str("role"), planned.str("role"))
                            .await?;
                    }
                }
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        let set = set
                            .iter()
                            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
                            .collect();
                        client
                            .tag_instance_profile()
                            .instance_profile_name(id)
                            .set_tags(Some(set))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("iam:TagInstanceProfile", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_instance_profile()
                            .instance_profile_name(id)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("iam:UntagInstanceProfile", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.get_written(id, &ctx.default_tags).await
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        self.set_role(id, prior.str("role"), None).await?;
        let client = self.iam.client().await?;
        delete_with_retry("IAM instance profile", &[refs_draining(ctx)], || async {
            client
                .delete_instance_profile()
                .instance_profile_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("iam:DeleteInstanceProfile", e))
        })
        .await
    }
}
