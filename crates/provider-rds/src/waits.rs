//! Waiting for instances and clusters: `available` after a create or a
//! modify, gone after a delete, bounded by the operation's timeout and
//! reported through its progress line.

use std::time::Duration;

use aws_sdk_rds::types::{DbCluster, DbInstance};
use cairn_aws::wait_until;
use cairn_core::{OpContext, ProviderError};

use crate::{describe, Rds};

const POLL: Duration = Duration::from_secs(10);

/// States an instance may pass through on its way to `available`; any
/// other (`failed`, `incompatible-parameters`, `storage-full`, ...) needs a
/// person and ends the wait with its name.
const INSTANCE_PENDING: &[&str] = &[
    "creating",
    "backing-up",
    "modifying",
    "rebooting",
    "renaming",
    "resetting-master-credentials",
    "starting",
    "upgrading",
    "configuring-enhanced-monitoring",
    "configuring-iam-database-auth",
    "configuring-log-exports",
    "moving-to-vpc",
    "maintenance",
];

/// `storage-optimization` serves traffic (it follows a storage change and
/// lasts hours): Terraform stops waiting there too.
const INSTANCE_READY: &[&str] = &["available", "storage-optimization"];

const CLUSTER_PENDING: &[&str] = &[
    "creating",
    "backing-up",
    "modifying",
    "migrating",
    "preparing-data-migration",
    "rebooting",
    "renaming",
    "resetting-master-credentials",
    "starting",
    "upgrading",
    "maintenance",
];

/// Until the instance with this resource id (`filter` = `dbi-resource-id`)
/// or identifier (`db-instance-id`) is `available`; returns it.
pub async fn instance_available(
    rds: &Rds,
    ctx: &OpContext,
    filter: &str,
    id: &str,
) -> Result<DbInstance, ProviderError> {
    let what = format!("DB instance {id} to become available");
    wait_until(&what, ctx.timeout, POLL, || async {
        let found = describe::instances(rds, filter, &[id]).await?;
        let Some(i) = found.into_iter().next() else {
            return Err(ProviderError::new(
                "rds:DescribeDBInstances",
                "DBInstanceNotFound",
                format!("DB instance {id} disappeared while waiting for it"),
            ));
        };
        let status = i.db_instance_status().unwrap_or("unknown").to_string();
        if INSTANCE_READY.contains(&status.as_str()) {
            return Ok(Some(i));
        }
        if !INSTANCE_PENDING.contains(&status.as_str()) {
            return Err(ProviderError::new(
                "rds:DescribeDBInstances",
                "UnexpectedStatus",
                format!("DB instance {id} is `{status}`, not on its way to `available`"),
            ));
        }
        ctx.progress.report(&format!("DB instance {id}: {status}"));
        Ok(None)
    })
    .await
}

/// Until no instance answers to this id (deleted ones are not listed for
/// long; `deleting` is still waited out).
pub async fn instance_gone(
    rds: &Rds,
    ctx: &OpContext,
    filter: &str,
    id: &str,
) -> Result<(), ProviderError> {
    let what = format!("DB instance {id} to be deleted");
    wait_until(&what, ctx.timeout, POLL, || async {
        let found = describe::instances(rds, filter, &[id]).await?;
        match found.first() {
            None => Ok(Some(())),
            Some(i) if i.db_instance_status() == Some("deleted") => Ok(Some(())),
            Some(i) => {
                ctx.progress.report(&format!(
                    "DB instance {id}: {}",
                    i.db_instance_status().unwrap_or("unknown")
                ));
                Ok(None)
            }
        }
    })
    .await
}

pub async fn cluster_available(
    rds: &Rds,
    ctx: &OpContext,
    id: &str,
) -> Result<DbCluster, ProviderError> {
    let what = format!("DB cluster {id} to become available");
    wait_until(&what, ctx.timeout, POLL, || async {
        let found = describe::clusters(rds, &[id]).await?;
        let Some(c) = found.into_iter().next() else {
            return Err(ProviderError::new(
                "rds:DescribeDBClusters",
                "DBClusterNotFoundFault",
                format!("DB cluster {id} disappeared while waiting for it"),
            ));
        };
        let status = c.status().unwrap_or("unknown").to_string();
        if status == "available" {
            return Ok(Some(c));
        }
        if !CLUSTER_PENDING.contains(&status.as_str()) {
            return Err(ProviderError::new(
                "rds:DescribeDBClusters",
                "UnexpectedStatus",
                format!("DB cluster {id} is `{status}`, not on its way to `available`"),
            ));
        }
        ctx.progress.report(&format!("DB cluster {id}: {status}"));
        Ok(None)
    })
    .await
}

pub async fn cluster_gone(rds: &Rds, ctx: &OpContext, id: &str) -> Result<(), ProviderError> {
    let what = format!("DB cluster {id} to be deleted");
    wait_until(&what, ctx.timeout, POLL, || async {
        let found = describe::clusters(rds, &[id]).await?;
        match found.first() {
            None => Ok(Some(())),
            Some(c) => {
                ctx.progress.report(&format!(
                    "DB cluster {id}: {}",
                    c.status().unwrap_or("unknown")
                ));
                Ok(None)
            }
        }
    })
    .await
}
