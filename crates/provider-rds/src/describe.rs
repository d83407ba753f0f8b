//! The batched describes of instances and clusters: one call per page of
//! up to 100 ids (a `Filters` list), tags inline in `TagList`.

use aws_sdk_rds::types::{DbCluster, DbInstance, Filter};
use cairn_aws::error;
use cairn_core::ProviderError;

use crate::{Rds, IDS_PER_FILTER, PAGE_SIZE};

/// The DB instances whose `filter` (`dbi-resource-id`, `db-instance-id`)
/// is one of `ids`, those being deleted too. No ids: every instance.
pub async fn instances(
    rds: &Rds,
    filter: &str,
    ids: &[&str],
) -> Result<Vec<DbInstance>, ProviderError> {
    let client = rds.client().await?;
    let mut out = Vec::new();
    let chunks: Vec<Option<Vec<String>>> = if ids.is_empty() {
        vec![None]
    } else {
        ids.chunks(IDS_PER_FILTER)
            .map(|c| Some(c.iter().map(|s| s.to_string()).collect()))
            .collect()
    };
    for chunk in chunks {
        let filters = chunk.map(|values| {
            vec![Filter::builder()
                .name(filter)
                .set_values(Some(values))
                .build()]
        });
        let pages = client
            .describe_db_instances()
            .set_filters(filters)
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBInstances", e))?;
        out.extend(
            pages
                .into_iter()
                .flat_map(|p| p.db_instances.unwrap_or_default()),
        );
    }
    Ok(out)
}

/// The clusters among `ids` (identifiers), those being deleted too. No
/// ids: every cluster.
pub async fn clusters(rds: &Rds, ids: &[&str]) -> Result<Vec<DbCluster>, ProviderError> {
    let client = rds.client().await?;
    let mut out = Vec::new();
    let chunks: Vec<Option<Vec<String>>> = if ids.is_empty() {
        vec![None]
    } else {
        ids.chunks(IDS_PER_FILTER)
            .map(|c| Some(c.iter().map(|s| s.to_string()).collect()))
            .collect()
    };
    for chunk in chunks {
        let filters = chunk.map(|values| {
            vec![Filter::builder()
                .name("db-cluster-id")
                .set_values(Some(values))
                .build()]
        });
        let pages = client
            .describe_db_clusters()
            .set_filters(filters)
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBClusters", e))?;
        out.extend(
            pages
                .into_iter()
                .flat_map(|p| p.db_clusters.unwrap_or_default()),
        );
    }
    Ok(out)
}

/// An object on its way out reads as gone: `deleting` lasts minutes and
/// ends in NotFound, never back in service. (A delete still waits for the
/// NotFound: groups deleted next are in use until then.)
pub fn is_deleted(status: Option<&str>) -> bool {
    matches!(status, Some("deleting" | "deleted"))
}
