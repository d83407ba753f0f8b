//! `aws_efs_access_point`: an entry point with a POSIX user and a root
//! directory created with an owner and permissions (the Tracker guide's
//! 1000:1000, 0750); those force a new access point, tags change in place.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_efs::types::{AccessPointDescription, CreationInfo, PosixUser, RootDirectory};
use cairn_aws::{delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, Value,
};

use crate::{live_tags, sdk_tags, update_tags, Efs};

pub struct AccessPoint {
    efs: Arc<Efs>,
}

impl AccessPoint {
    pub fn new(efs: Arc<Efs>) -> Self {
        AccessPoint { efs }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let user = Schema::new()
            .attr("uid", Attribute::number().required())
            .attr("gid", Attribute::number().required());
        let creation = Schema::new()
            .attr("owner_uid", Attribute::number().required())
            .attr("owner_gid", Attribute::number().required())
            .attr("permissions", Attribute::string().required());
        let root = Schema::new()
            .attr("path", Attribute::string().default("/"))
            .attr("creation_info", Attribute::new(Type::object(creation)));
        Schema::new()
            .describe("An entry point into an EFS file system with a POSIX user and a root directory; tags in place.")
            .attr("file_system_id", Attribute::string().required().force_new())
            .attr("posix_user", Attribute::new(Type::object(user)).force_new())
            .attr("root_directory", Attribute::new(Type::object(root)).optional_computed().force_new())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn number(n: i64) -> Value {
    Value::from(n)
}

fn object(a: &AccessPointDescription, default_tags: &tags::Tags) -> Object {
    let mut obj = Object::new();
    obj.insert("id".into(), Value::from(a.access_point_id()));
    obj.insert("arn".into(), Value::from(a.access_point_arn()));
    obj.insert("file_system_id".into(), Value::from(a.file_system_id()));
    obj.insert(
        "posix_user".into(),
        match a.posix_user() {
            Some(u) => Value::Map(
                [
                    ("uid".to_string(), number(u.uid())),
                    ("gid".to_string(), number(u.gid())),
                ]
                .into(),
            ),
            None => Value::Null,
        },
    );
    let root = a.root_directory();
    let mut dir = Object::new();
    dir.insert(
        "path".into(),
        Value::from(root.and_then(|r| r.path()).unwrap_or("/")),
    );
    dir.insert(
        "creation_info".into(),
        match root.and_then(|r| r.creation_info()) {
            Some(c) => Value::Map(
                [
                    ("owner_uid".to_string(), number(c.owner_uid())),
                    ("owner_gid".to_string(), number(c.owner_gid())),
                    ("permissions".to_string(), Value::from(c.permissions())),
                ]
                .into(),
            ),
            None => Value::Null,
        },
    );
    obj.insert("root_directory".into(), Value::Map(dir));
    tags::set_live(&mut obj, &live_tags(a.tags()), default_tags);
    obj
}

impl AccessPoint {
    /// Every access point by id, tags inline: one call per page.
    async fn list(&self) -> Result<HashMap<String, AccessPointDescription>, ProviderError> {
        let client = self.efs.client().await?;
        let pages = client
            .describe_access_points()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("efs:DescribeAccessPoints", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.access_points.unwrap_or_default())
            .filter(|a| {
                !matches!(
                    a.life_cycle_state().map(|s| s.as_str()),
                    Some("deleted" | "deleting")
                )
            })
            .filter_map(|a| Some((a.access_point_id()?.to_string(), a)))
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        let all = self.list().await?;
        let a = all.get(id).ok_or_else(|| {
            ProviderError::new(
                "efs:DescribeAccessPoints",
                "AccessPointNotFound",
                format!("access point {id} not found after writing it"),
            )
        })?;
        Ok(object(a, default_tags))
    }
}

#[async_trait]
impl Resource for AccessPoint {
    fn type_name(&self) -> &'static str {
        "aws_efs_access_point"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        Ok(requests
            .iter()
            .map(|r| match all.get(r.id) {
                Some(a) => ReadOutcome::Live(object(a, &ctx.default_tags)),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter_map(|(id, a)| tags::owned_entry(stack, &id, &live_tags(a.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.efs.client().await?;
        let int = |m: &Object, k: &str| m.i64(k).unwrap_or(0);
        let user = planned.get("posix_user").and_then(Value::as_map).map(|u| {
            PosixUser::builder()
                .uid(int(u, "uid"))
                .gid(int(u, "gid"))
                .build()
        });
        let root = planned
            .get("root_directory")
            .and_then(Value::as_map)
            .map(|r| {
                let info = r.get("creation_info").and_then(Value::as_map).map(|c| {
                    CreationInfo::builder()
                        .owner_uid(int(c, "owner_uid"))
                        .owner_gid(int(c, "owner_gid"))
                        .permissions(c.str("permissions").unwrap_or("0755"))
                        .build()
                });
                RootDirectory::builder()
                    .path(r.str("path").unwrap_or("/"))
                    .set_creation_info(info.transpose().ok().flatten())
                    .build()
            });
        let out = client
            .create_access_point()
            .client_token(&ctx.idempotency_token)
            .file_system_id(planned.str("file_system_id").unwrap_or_default())
            .set_posix_user(user.transpose().ok().flatten())
            .set_root_directory(root)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("efs:CreateAccessPoint", e))?;
        let id = cairn_aws::created_id("efs:CreateAccessPoint", out.access_point_id())?;
        self.read_one(&id, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        if let Some(other) = changed.iter().find(|c| *c != "tags") {
            return Err(ProviderError::not_updatable(self.type_name(), other));
        }
        update_tags(&self.efs, id, ctx, prior, planned).await?;
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.efs.client().await?;
        delete_with_retry("EFS access point", &[], || async {
            client
                .delete_access_point()
                .access_point_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("efs:DeleteAccessPoint", e))
        })
        .await
    }
}
