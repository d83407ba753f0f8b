//! `aws_ecr_repository`: tag mutability and scan on push change in place;
//! the encryption settings and the name force a new repository. A
//! repository with images is deleted only with `force_delete`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ecr::types::{
    EncryptionConfiguration, EncryptionType, ImageScanningConfiguration, ImageTagMutability,
    Repository as SdkRepository, Tag,
};
use cairn_aws::{error, read_concurrently, sync_tags, ReadFuture, Tagging, TagsByArn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::Ecr;

const READ_CONCURRENCY: usize = 8;

pub struct Repository {
    ecr: Arc<Ecr>,
    tagging: Arc<Tagging>,
}

impl Repository {
    pub fn new(ecr: Arc<Ecr>, tagging: Arc<Tagging>) -> Self {
        Repository { ecr, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let scanning = Schema::new().attr("scan_on_push", Attribute::bool().default(false));
        let encryption = Schema::new()
            .attr(
                "encryption_type",
                Attribute::string().default("AES256").check(Check::OneOf(&["AES256", "KMS"])),
            )
            .attr("kms_key", Attribute::string().optional_computed());
        Schema::new()
            .describe("A private container image repository; tag mutability and scan on push change in place.")
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "image_tag_mutability",
                Attribute::string()
                    .default("MUTABLE")
                    .check(Check::OneOf(&["MUTABLE", "IMMUTABLE"])),
            )
            .attr(
                "image_scanning_configuration",
                Attribute::new(Type::object(scanning)).optional_computed(),
            )
            .attr(
                "encryption_configuration",
                Attribute::new(Type::object(encryption)).optional_computed().force_new(),
            )
            .attr(
                "force_delete",
                Attribute::bool()
                    .default(false)
                    .describe("Delete the repository even if it holds images."),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("registry_id", Attribute::string().computed())
            .attr("repository_url", Attribute::string().computed())
            .with_tags()
    })
}

fn scan_on_push(config: &Object) -> bool {
    config
        .get("image_scanning_configuration")
        .and_then(Value::as_map)
        .and_then(|m| m.bool("scan_on_push"))
        .unwrap_or(false)
}

/// The repository as cairn records it; `force_delete` is cairn's own
/// setting, carried from the prior object.
fn object(
    r: &SdkRepository,
    live_tags: &tags::Tags,
    prior: &Object,
    default_tags: &tags::Tags,
) -> Object {
    let name = r.repository_name().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("id".into(), name.into());
    obj.insert("name".into(), name.into());
    obj.insert("arn".into(), Value::from(r.repository_arn()));
    obj.insert("registry_id".into(), Value::from(r.registry_id()));
    obj.insert("repository_url".into(), Value::from(r.repository_uri()));
    obj.insert(
        "image_tag_mutability".into(),
        Value::from(
            r.image_tag_mutability()
                .map(|m| m.as_str())
                .unwrap_or("MUTABLE"),
        ),
    );
    let scanning: Object = [(
        "scan_on_push".to_string(),
        Value::from(
            r.image_scanning_configuration()
                .is_some_and(|s| s.scan_on_push()),
        ),
    )]
    .into();
    obj.insert("image_scanning_configuration".into(), Value::Map(scanning));
    let enc = r.encryption_configuration();
    let encryption: Object = [
        (
            "encryption_type".to_string(),
            Value::from(
                enc.map(|e| e.encryption_type().as_str())
                    .unwrap_or("AES256"),
            ),
        ),
        (
            "kms_key".to_string(),
            Value::from(enc.and_then(|e| e.kms_key())),
        ),
    ]
    .into();
    obj.insert("encryption_configuration".into(), Value::Map(encryption));
    obj.insert(
        "force_delete".into(),
        Value::from(prior.bool("force_delete").unwrap_or(false)),
    );
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

impl Repository {
    /// The repositories of these names. DescribeRepositories with names
    /// fails the whole call on one unknown name, so the registry's
    /// repositories are listed instead (1,000 per page) and filtered.
    async fn describe(
        &self,
        names: &[&str],
    ) -> Result<HashMap<String, SdkRepository>, ProviderError> {
        let client = self.ecr.client().await?;
        let wanted: HashSet<&str> = names.iter().copied().collect();
        let all: Vec<SdkRepository> = client
            .describe_repositories()
            .max_results(1000)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ecr:DescribeRepositories", e))?;
        Ok(all
            .into_iter()
            .filter_map(|r| {
                let name = r.repository_name()?.to_string();
                wanted.contains(name.as_str()).then_some((name, r))
            })
            .collect())
    }

    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.ecr.client().await?;
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("ecr:ListTagsForResource", e))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }

    async fn read_one(
        &self,
        name: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let r = self.describe(&[name]).await?.remove(name).ok_or_else(|| {
            ProviderError::new(
                "ecr:DescribeRepositories",
                "RepositoryNotFoundException",
                format!("repository {name} not found after writing it"),
            )
        })?;
        let live = self.tags_of(r.repository_arn().unwrap_or_default()).await?;
        Ok(object(&r, &live, prior, default_tags))
    }

    /// Whether the repository carries this stack's and address's ownership
    /// tags: then it is the leftover of an interrupted apply.
    async fn owned_by(&self, name: &str, ctx: &OpContext) -> Result<bool, ProviderError> {
        let Some(r) = self.describe(&[name]).await?.remove(name) else {
            return Ok(false);
        };
        let live = self.tags_of(r.repository_arn().unwrap_or_default()).await?;
        Ok(ctx.owns(&live))
    }
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

#[async_trait]
impl Resource for Repository {
    fn type_name(&self) -> &'static str {
        "aws_ecr_repository"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let names: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let repos = self.describe(&names).await?;
        // Tags of the stack's repositories in one listing where the
        // endpoint offers it; any other repository's read on its own.
        let owned = if repos.is_empty() {
            TagsByArn::default()
        } else {
            self.tagging
                .owned("ecr:repository", &ctx.stack)
                .await
                .unwrap_or_default()
        };
        let reads = requests
            .iter()
            .map(|r| {
                let repo = repos.get(r.id);
                let owned = &owned;
                Box::pin(async move {
                    let Some(repo) = repo else { return Ok(None) };
                    let arn = repo.repository_arn().unwrap_or_default();
                    let live = match owned.get(arn) {
                        Some(t) => t.clone(),
                        None => self.tags_of(arn).await?,
                    };
                    Ok(Some(object(repo, &live, r.prior, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // Its name is its identity: a create retried after a crash adopts the
    // repository an interrupted apply left (same name, this stack's tags).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ecr.client().await?;
        let name = planned.str("name").unwrap_or_default();
        let enc = planned
            .get("encryption_configuration")
            .and_then(Value::as_map);
        let encryption = match enc.and_then(|e| e.str("encryption_type")) {
            Some(t) => EncryptionConfiguration::builder()
                .encryption_type(EncryptionType::from(t))
                .set_kms_key(enc.and_then(|e| e.str("kms_key")).map(str::to_string))
                .build()
                .ok(),
            None => None,
        };
        let created = client
            .create_repository()
            .repository_name(name)
            .image_tag_mutability(ImageTagMutability::from(
                planned.str("image_tag_mutability").unwrap_or("MUTABLE"),
            ))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(scan_on_push(planned))
                    .build(),
            )
            .set_encryption_configuration(encryption)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        if let Err(e) = created {
            let e = error("ecr:CreateRepository", e);
            if e.code != "RepositoryAlreadyExistsException" || !self.owned_by(name, ctx).await? {
                return Err(e);
            }
            let prior = self.read_one(name, planned, &ctx.default_tags).await?;
            let changed = [
                "image_tag_mutability",
                "image_scanning_configuration",
                "tags",
            ]
            .map(String::from);
            return self.update(ctx, name, &prior, planned, &changed).await;
        }
        self.read_one(name, planned, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(name))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ecr.client().await?;
        for name in changed {
            match name.as_str() {
                "image_tag_mutability" => {
                    client
                        .put_image_tag_mutability()
                        .repository_name(id)
                        .image_tag_mutability(ImageTagMutability::from(
                            planned.str("image_tag_mutability").unwrap_or("MUTABLE"),
                        ))
                        .send()
                        .await
                        .map_err(|e| error("ecr:PutImageTagMutability", e))?;
                }
                "image_scanning_configuration" => {
                    client
                        .put_image_scanning_configuration()
                        .repository_name(id)
                        .image_scanning_configuration(
                            ImageScanningConfiguration::builder()
                                .scan_on_push(scan_on_push(planned))
                                .build(),
                        )
                        .send()
                        .await
                        .map_err(|e| error("ecr:PutImageScanningConfiguration", e))?;
                }
                // cairn's own setting, used on delete.
                "force_delete" => {}
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    let tag = |set: tags::Tags| async move {
                        client
                            .tag_resource()
                            .resource_arn(arn)
                            .set_tags(Some(sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("ecr:TagResource", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_resource()
                            .resource_arn(arn)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("ecr:UntagResource", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_one(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ecr.client().await?;
        let force = prior.bool("force_delete").unwrap_or(false);
        match client
            .delete_repository()
            .repository_name(id)
            .force(force)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("ecr:DeleteRepository", e);
                if cairn_aws::is_not_found(&e) {
                    return Ok(());
                }
                if e.code == "RepositoryNotEmptyException" {
                    return Err(ProviderError {
                        message: format!(
                            "{}: repository {id} still holds images; set `force_delete = true` (and apply) to delete them with it",
                            e.message
                        ),
                        ..e
                    });
                }
                Err(e)
            }
        }
    }
}
