//! `aws_ecs_task_definition`: one registered revision. Every argument but
//! `tags` and `skip_destroy` forces a new revision; destroying one
//! deregisters it (it stays listed INACTIVE, as ECS keeps them). Put
//! `create_before_destroy` on it so the new revision is registered, the
//! service moved to it, and only then the old one deregistered.
//!
//! id = the revision's ARN (Terraform records the family; the ARN names
//! the revision a service runs). Revisions never change, so refresh
//! confirms them with one ListTaskDefinitions listing instead of one
//! DescribeTaskDefinition each, and reads tags from one tagging-API
//! listing; only an import (nothing recorded) describes.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    Compatibility, CpuArchitecture, EfsAuthorizationConfig, EfsAuthorizationConfigIam,
    EfsTransitEncryption, EfsVolumeConfiguration, NetworkMode, OsFamily, RuntimePlatform,
    TaskDefinition as SdkTaskDefinition, TaskDefinitionField, TaskDefinitionStatus, Volume,
};
use cairn_aws::{error, read_concurrently, ReadFuture, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{container_definitions, fargate, live_tags, sdk_tags, update_tags, Ecs};

const READ_CONCURRENCY: usize = 8;

pub struct TaskDefinition {
    ecs: Arc<Ecs>,
    tagging: Arc<Tagging>,
}

impl TaskDefinition {
    pub fn new(ecs: Arc<Ecs>, tagging: Arc<Tagging>) -> Self {
        TaskDefinition { ecs, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let authorization = Schema::new()
            .attr("access_point_id", Attribute::string())
            .attr(
                "iam",
                Attribute::string()
                    .default("DISABLED")
                    .check(Check::OneOf(&["ENABLED", "DISABLED"])),
            );
        let efs = Schema::new()
            .attr("file_system_id", Attribute::string().required())
            .attr(
                "root_directory",
                Attribute::string()
                    .default("/")
                    .describe("must be `/` (the default) with an access point"),
            )
            .attr(
                "transit_encryption",
                Attribute::string()
                    .default("DISABLED")
                    .check(Check::OneOf(&["ENABLED", "DISABLED"])),
            )
            .attr("transit_encryption_port", Attribute::number())
            .attr(
                "authorization_config",
                Attribute::new(Type::object(authorization)),
            );
        let volume = Schema::new()
            .attr("name", Attribute::string().required())
            .attr(
                "efs_volume_configuration",
                Attribute::new(Type::object(efs)),
            );
        let platform = Schema::new()
            .attr(
                "operating_system_family",
                Attribute::string().default("LINUX"),
            )
            .attr(
                "cpu_architecture",
                Attribute::string()
                    .default("X86_64")
                    .check(Check::OneOf(&["X86_64", "ARM64"])),
            );
        Schema::new()
            .describe("One revision of an ECS task definition; any change but tags registers a new revision (use create_before_destroy).")
            .attr("family", Attribute::string().required().force_new())
            .attr(
                "container_definitions",
                Attribute::new(Type::JsonString)
                    .required()
                    .force_new()
                    .canonical(container_definitions::canonical)
                    .describe("A JSON array of containers (`jsonencode([...])`), compared without the defaults ECS fills in."),
            )
            .attr("cpu", Attribute::string().force_new().describe("CPU units, e.g. \"256\""))
            .attr("memory", Attribute::string().force_new().describe("MiB, e.g. \"512\""))
            .attr(
                "network_mode",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .check(Check::OneOf(&["awsvpc", "bridge", "host", "none"])),
            )
            .attr(
                "requires_compatibilities",
                Attribute::new(Type::set(Type::String)).force_new(),
            )
            .attr("execution_role_arn", Attribute::string().force_new())
            .attr("task_role_arn", Attribute::string().force_new())
            .attr(
                "volume",
                Attribute::new(Type::set(Type::object(volume))).force_new(),
            )
            .attr(
                "runtime_platform",
                Attribute::new(Type::object(platform)).force_new(),
            )
            .attr(
                "skip_destroy",
                Attribute::bool()
                    .default(false)
                    .describe("Destroying only forgets the revision; it stays registered."),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr(
                "arn_without_revision",
                Attribute::string().computed(),
            )
            .attr("revision", Attribute::number().computed())
            .with_tags()
    })
}

fn without_revision(arn: &str) -> &str {
    arn.rsplit_once(':').map_or(arn, |(head, _)| head)
}

/// The recorded object with the answer's identity: what was registered is
/// what was planned (revisions never change).
fn registered(planned: &Object, arn: &str, revision: i32) -> Object {
    let mut obj = planned.clone();
    for name in schema().names() {
        obj.entry(name.to_string()).or_insert(Value::Null);
    }
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("arn_without_revision".into(), without_revision(arn).into());
    obj.insert("revision".into(), Value::from(revision));
    obj
}

/// A revision cairn did not register, as attributes.
fn described(t: &SdkTaskDefinition, live: &tags::Tags, default_tags: &tags::Tags) -> Object {
    let arn = t.task_definition_arn().unwrap_or_default();
    let mut obj = Object::new();
    obj.insert("family".into(), Value::from(t.family()));
    obj.insert(
        "container_definitions".into(),
        container_definitions::from_sdk(t.container_definitions()).into(),
    );
    obj.insert("cpu".into(), Value::from(t.cpu()));
    obj.insert("memory".into(), Value::from(t.memory()));
    obj.insert(
        "network_mode".into(),
        Value::from(t.network_mode().map(|m| m.as_str())),
    );
    obj.insert(
        "requires_compatibilities".into(),
        Value::from(
            t.requires_compatibilities()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect::<Vec<_>>(),
        ),
    );
    obj.insert(
        "execution_role_arn".into(),
        Value::from(t.execution_role_arn()),
    );
    obj.insert("task_role_arn".into(), Value::from(t.task_role_arn()));
    obj.insert(
        "volume".into(),
        Value::List(t.volumes().iter().map(volume_value).collect()),
    );
    obj.insert(
        "runtime_platform".into(),
        t.runtime_platform().map_or(Value::Null, |p| {
            Value::Map(
                [
                    (
                        "operating_system_family".to_string(),
                        Value::from(p.operating_system_family().map(|f| f.as_str())),
                    ),
                    (
                        "cpu_architecture".to_string(),
                        Value::from(p.cpu_architecture().map(|a| a.as_str())),
                    ),
                ]
                .into(),
            )
        }),
    );
    obj.insert("skip_destroy".into(), false.into());
    let mut obj = registered(&obj, arn, t.revision());
    tags::set_live(&mut obj, live, default_tags);
    obj
}

fn volume_value(v: &Volume) -> Value {
    let efs = v.efs_volume_configuration().map_or(Value::Null, |e| {
        let auth = e.authorization_config().map_or(Value::Null, |a| {
            Value::Map(
                [
                    (
                        "access_point_id".to_string(),
                        Value::from(a.access_point_id()),
                    ),
                    (
                        "iam".to_string(),
                        Value::from(a.iam().map_or("DISABLED", |i| i.as_str())),
                    ),
                ]
                .into(),
            )
        });
        Value::Map(
            [
                (
                    "file_system_id".to_string(),
                    Value::from(e.file_system_id()),
                ),
                (
                    "root_directory".to_string(),
                    Value::from(e.root_directory().unwrap_or("/")),
                ),
                (
                    "transit_encryption".to_string(),
                    Value::from(e.transit_encryption().map_or("DISABLED", |t| t.as_str())),
                ),
                (
                    "transit_encryption_port".to_string(),
                    Value::from(e.transit_encryption_port()),
                ),
                ("authorization_config".to_string(), auth),
            ]
            .into(),
        )
    });
    Value::Map(
        [
            ("name".to_string(), Value::from(v.name())),
            ("efs_volume_configuration".to_string(), efs),
        ]
        .into(),
    )
}

fn sdk_volumes(planned: &Object) -> Vec<Volume> {
    planned
        .get("volume")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|v| {
            let efs = v
                .get("efs_volume_configuration")
                .and_then(Value::as_map)
                .and_then(|e| {
                    let auth = e
                        .get("authorization_config")
                        .and_then(Value::as_map)
                        .map(|a| {
                            EfsAuthorizationConfig::builder()
                                .set_access_point_id(a.str("access_point_id").map(str::to_string))
                                .iam(EfsAuthorizationConfigIam::from(
                                    a.str("iam").unwrap_or("DISABLED"),
                                ))
                                .build()
                        });
                    EfsVolumeConfiguration::builder()
                        .file_system_id(e.str("file_system_id")?)
                        .root_directory(e.str("root_directory").unwrap_or("/"))
                        .transit_encryption(EfsTransitEncryption::from(
                            e.str("transit_encryption").unwrap_or("DISABLED"),
                        ))
                        .set_transit_encryption_port(
                            e.i64("transit_encryption_port").map(|p| p as i32),
                        )
                        .set_authorization_config(auth)
                        .build()
                        .ok()
                });
            Volume::builder()
                .set_name(v.str("name").map(str::to_string))
                .set_efs_volume_configuration(efs)
                .build()
        })
        .collect()
}

impl TaskDefinition {
    /// Every ACTIVE revision's ARN in the region: one call per 100.
    async fn active(&self) -> Result<HashSet<String>, ProviderError> {
        let client = self.ecs.client().await?;
        let pages = client
            .list_task_definitions()
            .status(TaskDefinitionStatus::Active)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ecs:ListTaskDefinitions", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.task_definition_arns())
            .cloned()
            .collect())
    }

    async fn describe(
        &self,
        arn: &str,
    ) -> Result<Option<(SdkTaskDefinition, tags::Tags)>, ProviderError> {
        let client = self.ecs.client().await?;
        match client
            .describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .task_definition()
                .filter(|t| t.status() == Some(&TaskDefinitionStatus::Active))
                .map(|t| (t.clone(), live_tags(out.tags())))),
            Err(e) => {
                let e = error("ecs:DescribeTaskDefinition", e);
                if e.code == "ClientException" {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.ecs.client().await?;
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("ecs:ListTagsForResource", e))?;
        Ok(live_tags(out.tags()))
    }
}

#[async_trait]
impl Resource for TaskDefinition {
    fn type_name(&self) -> &'static str {
        "aws_ecs_task_definition"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.into(),
                message,
            })
        };
        if let Some(text) = config.str("container_definitions") {
            if let Err(m) = container_definitions::to_sdk(text) {
                issue("container_definitions", m);
            }
            for key in container_definitions::unsupported_keys(text) {
                issue(
                    "container_definitions",
                    format!("`{key}` is not supported by cairn yet; it would not reach ECS"),
                );
            }
        }
        let fargate = config
            .get("requires_compatibilities")
            .is_some_and(|v| v.is_wholly_known())
            && config
                .strings("requires_compatibilities")
                .iter()
                .any(|c| c == "FARGATE");
        if fargate {
            match config.str("network_mode") {
                Some("awsvpc") => {}
                Some(other) => issue(
                    "network_mode",
                    format!(
                        "Fargate runs tasks only with network_mode = \"awsvpc\", not `{other}`"
                    ),
                ),
                None if config.get("network_mode").is_some_and(Value::is_unknown) => {}
                None => issue(
                    "network_mode",
                    "Fargate needs network_mode = \"awsvpc\"".into(),
                ),
            }
            match (config.str("cpu"), config.str("memory")) {
                (Some(cpu), Some(memory)) => {
                    if let Some(m) = fargate::size_problem(cpu, memory) {
                        issue("memory", m);
                    }
                }
                (None, _) if !config.get("cpu").is_some_and(Value::is_unknown) => {
                    issue("cpu", "Fargate needs the task's cpu and memory".into())
                }
                (_, None) if !config.get("memory").is_some_and(Value::is_unknown) => {
                    issue("memory", "Fargate needs the task's cpu and memory".into())
                }
                _ => {}
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let (active, owned) = tokio::try_join!(
            self.active(),
            self.tagging.owned("ecs:task-definition", &ctx.stack)
        )?;
        let reads = requests
            .iter()
            .map(|r| {
                let (active, owned) = (&active, &owned);
                Box::pin(async move {
                    // Nothing recorded (an import): what ECS holds.
                    if r.prior.get("container_definitions").is_none() {
                        return Ok(self
                            .describe(r.id)
                            .await?
                            .map(|(t, live)| described(&t, &live, &ctx.default_tags)));
                    }
                    if !active.contains(r.id) {
                        return Ok(None);
                    }
                    let live = match owned.get(r.id) {
                        Some(t) => t.clone(),
                        None => self.tags_of(r.id).await?,
                    };
                    let mut obj = r.prior.clone();
                    tags::set_live(&mut obj, &live, &ctx.default_tags);
                    Ok(Some(obj))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let (active, owned) = tokio::try_join!(
            self.active(),
            self.tagging.owned("ecs:task-definition", stack)
        )?;
        Ok(owned
            .iter()
            .filter(|(arn, _)| active.contains(*arn))
            .filter_map(|(arn, t)| tags::owned_entry(stack, arn, t))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        const OP: &str = "ecs:RegisterTaskDefinition";
        let client = self.ecs.client().await?;
        let containers =
            container_definitions::to_sdk(planned.str("container_definitions").unwrap_or("[]"))
                .map_err(|m| ProviderError::new(OP, "InvalidContainerDefinitions", m))?;
        let platform = planned
            .get("runtime_platform")
            .and_then(Value::as_map)
            .map(|p| {
                RuntimePlatform::builder()
                    .operating_system_family(OsFamily::from(
                        p.str("operating_system_family").unwrap_or("LINUX"),
                    ))
                    .cpu_architecture(CpuArchitecture::from(
                        p.str("cpu_architecture").unwrap_or("X86_64"),
                    ))
                    .build()
            });
        let out = client
            .register_task_definition()
            .family(planned.str("family").unwrap_or_default())
            .set_container_definitions(Some(containers))
            .set_cpu(planned.str("cpu").map(str::to_string))
            .set_memory(planned.str("memory").map(str::to_string))
            .set_network_mode(planned.str("network_mode").map(NetworkMode::from))
            .set_requires_compatibilities(Some(
                planned
                    .strings("requires_compatibilities")
                    .iter()
                    .map(|c| Compatibility::from(c.as_str()))
                    .collect(),
            ))
            .set_execution_role_arn(planned.str("execution_role_arn").map(str::to_string))
            .set_task_role_arn(planned.str("task_role_arn").map(str::to_string))
            .set_volumes(Some(sdk_volumes(planned)))
            .set_runtime_platform(platform)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error(OP, e))?;
        let t = out.task_definition().ok_or_else(|| {
            ProviderError::new(OP, "EmptyResponse", "no task definition in the answer")
        })?;
        let arn = cairn_aws::created_id(OP, t.task_definition_arn())?;
        let mut obj = registered(planned, &arn, t.revision());
        if obj
            .get("network_mode")
            .is_some_and(|v| v.is_null() || v.is_unknown())
        {
            obj.insert(
                "network_mode".into(),
                Value::from(t.network_mode().map(|m| m.as_str())),
            );
        }
        tags::set_live(&mut obj, &ctx.create_tags(planned), &ctx.default_tags);
        Ok(obj)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let mut obj = prior.clone();
        for name in changed {
            match name.as_str() {
                "tags" => {
                    update_tags(&self.ecs, id, ctx, prior, planned).await?;
                    let live = self.tags_of(id).await?;
                    tags::set_live(&mut obj, &live, &ctx.default_tags);
                }
                "skip_destroy" => {
                    obj.insert(
                        "skip_destroy".into(),
                        planned.get("skip_destroy").cloned().unwrap_or_default(),
                    );
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        Ok(obj)
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        if prior.bool("skip_destroy") == Some(true) {
            return Ok(());
        }
        let client = self.ecs.client().await?;
        match client
            .deregister_task_definition()
            .task_definition(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("ecs:DeregisterTaskDefinition", e);
                // Already deregistered, or never there: done.
                if e.code == "ClientException" && self.describe(id).await?.is_none() {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_arn_drops_the_revision() {
        assert_eq!(
            super::without_revision("arn:aws:ecs:eu-west-2:1:task-definition/api:7"),
            "arn:aws:ecs:eu-west-2:1:task-definition/api"
        );
    }
}
