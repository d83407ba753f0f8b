//! `aws_efs_mount_target`: one per zone of a file system; its security
//! groups change in place. It has no tags: one an interrupted apply left is
//! found by its identity (a file system has one mount target per zone).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_efs::types::MountTargetDescription;
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, Value,
};

use crate::{Efs, READ_CONCURRENCY};

pub struct MountTarget {
    efs: Arc<Efs>,
}

impl MountTarget {
    pub fn new(efs: Arc<Efs>) -> Self {
        MountTarget { efs }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An EFS file system's NFS endpoint in one subnet (one per zone); security groups change in place.")
            .attr("file_system_id", Attribute::string().required().force_new())
            .attr("subnet_id", Attribute::string().required().force_new())
            .attr("security_groups", Attribute::new(Type::set(Type::String)).optional_computed())
            .attr("ip_address", Attribute::string().optional_computed().force_new())
            .attr("id", Attribute::string().computed())
            .attr("availability_zone_name", Attribute::string().computed())
            .attr("network_interface_id", Attribute::string().computed())
    })
}

impl MountTarget {
    async fn get(&self, id: &str) -> Result<Option<Object>, ProviderError> {
        let client = self.efs.client().await?;
        let out = match client
            .describe_mount_targets()
            .mount_target_id(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("efs:DescribeMountTargets", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        match out.mount_targets().iter().find(|m| is_live(m)) {
            Some(m) => self.with_groups(m).await.map(Some),
            None => Ok(None),
        }
    }

    /// The live mount targets of a file system by id: one call per page
    /// of ten (a file system has one per zone, so one page), none when the
    /// file system is gone.
    async fn of_file_system(
        &self,
        file_system: &str,
    ) -> Result<HashMap<String, MountTargetDescription>, ProviderError> {
        let client = self.efs.client().await?;
        let mut found = HashMap::new();
        let mut marker = None;
        loop {
            let out = match client
                .describe_mount_targets()
                .file_system_id(file_system)
                .set_marker(marker)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let e = error("efs:DescribeMountTargets", e);
                    return if cairn_aws::is_not_found(&e) {
                        Ok(found)
                    } else {
                        Err(e)
                    };
                }
            };
            for m in out.mount_targets().iter().filter(|m| is_live(m)) {
                found.insert(m.mount_target_id().to_string(), m.clone());
            }
            marker = out.next_marker().map(str::to_string);
            if marker.is_none() {
                return Ok(found);
            }
        }
    }

    /// Security groups have no batch read: one call per mount target.
    async fn with_groups(&self, m: &MountTargetDescription) -> Result<Object, ProviderError> {
        let client = self.efs.client().await?;
        let groups = client
            .describe_mount_target_security_groups()
            .mount_target_id(m.mount_target_id())
            .send()
            .await
            .map_err(|e| error("efs:DescribeMountTargetSecurityGroups", e))?;
        Ok(object(m, groups.security_groups()))
    }

    async fn must_get(&self, id: &str) -> Result<Object, ProviderError> {
        self.get(id).await?.ok_or_else(|| {
            ProviderError::new(
                "efs:DescribeMountTargets",
                "MountTargetNotFound",
                format!("mount target {id} not found after writing it"),
            )
        })
    }
}

fn is_live(m: &MountTargetDescription) -> bool {
    !matches!(m.life_cycle_state().as_str(), "deleted" | "deleting")
}

fn object(m: &MountTargetDescription, groups: &[String]) -> Object {
    let mut groups = groups.to_vec();
    groups.sort();
    [
        ("id".to_string(), Value::from(m.mount_target_id())),
        (
            "file_system_id".to_string(),
            Value::from(m.file_system_id()),
        ),
        ("subnet_id".to_string(), Value::from(m.subnet_id())),
        ("ip_address".to_string(), Value::from(m.ip_address())),
        ("security_groups".to_string(), Value::from(groups)),
        (
            "availability_zone_name".to_string(),
            Value::from(m.availability_zone_name()),
        ),
        (
            "network_interface_id".to_string(),
            Value::from(m.network_interface_id()),
        ),
    ]
    .into()
}

#[async_trait]
impl Resource for MountTarget {
    fn type_name(&self) -> &'static str {
        "aws_efs_mount_target"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        // Listed per file system (few: one call each, in turn); a mount
        // target recorded without one (an import) is read by its id.
        let mut listed = HashMap::new();
        for r in requests {
            if let Some(fs) = r.prior.str("file_system_id") {
                if !listed.contains_key(fs) {
                    listed.insert(fs, self.of_file_system(fs).await?);
                }
            }
        }
        let reads = requests
            .iter()
            .map(|r| {
                let Some(targets) = r.prior.str("file_system_id").and_then(|fs| listed.get(fs))
                else {
                    return Box::pin(self.get(r.id)) as ReadFuture<'_>;
                };
                let found = targets.get(r.id);
                Box::pin(async move {
                    match found {
                        Some(m) => self.with_groups(m).await.map(Some),
                        None => Ok(None),
                    }
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.efs.client().await?;
        let fs = planned.str("file_system_id").unwrap_or_default();
        let subnet = planned.str("subnet_id").unwrap_or_default();
        let groups = planned.strings("security_groups");
        let created = client
            .create_mount_target()
            .file_system_id(fs)
            .subnet_id(subnet)
            .set_security_groups((!groups.is_empty()).then_some(groups))
            .set_ip_address(planned.str("ip_address").map(str::to_string))
            .send()
            .await;
        let id = match created {
            Ok(out) => cairn_aws::created_id("efs:CreateMountTarget", Some(out.mount_target_id()))?,
            Err(e) => {
                // One per zone: the one an interrupted apply made in this
                // very subnet is adopted; another subnet's is a conflict.
                let e = error("efs:CreateMountTarget", e);
                if e.code != "MountTargetConflict" {
                    return Err(e);
                }
                let existing = client
                    .describe_mount_targets()
                    .file_system_id(fs)
                    .send()
                    .await
                    .map_err(|e| error("efs:DescribeMountTargets", e))?;
                match existing
                    .mount_targets()
                    .iter()
                    .find(|m| m.subnet_id() == subnet)
                {
                    Some(m) => m.mount_target_id().to_string(),
                    None => return Err(e),
                }
            }
        };
        self.must_get(&id).await.map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        if let Some(other) = changed.iter().find(|c| *c != "security_groups") {
            return Err(ProviderError::not_updatable(self.type_name(), other));
        }
        let client = self.efs.client().await?;
        client
            .modify_mount_target_security_groups()
            .mount_target_id(id)
            .set_security_groups(Some(planned.strings("security_groups")))
            .send()
            .await
            .map_err(|e| error("efs:ModifyMountTargetSecurityGroups", e))?;
        self.must_get(id).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.efs.client().await?;
        delete_with_retry("EFS mount target", &[], || async {
            client
                .delete_mount_target()
                .mount_target_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("efs:DeleteMountTarget", e))
        })
        .await
    }
}
