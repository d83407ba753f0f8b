//! What DescribeReplicationGroups does not say about a replication group
//! (engine version, parameter group, subnet group, security groups,
//! maintenance window, notification topic) is kept on its member cache
//! clusters, as Terraform reads it: one DescribeCacheClusters listing
//! (100 a page) answers for every group of a refresh at once.

use std::collections::HashMap;

use aws_sdk_elasticache::types::CacheCluster;
use cairn_aws::error;
use cairn_core::ProviderError;

use crate::ElastiCache;

/// The settings a replication group shares with its member clusters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub engine_version: Option<String>,
    pub parameter_group_name: Option<String>,
    pub subnet_group_name: Option<String>,
    pub security_group_ids: Vec<String>,
    pub maintenance_window: Option<String>,
    pub notification_topic_arn: Option<String>,
}

impl Settings {
    pub fn of(c: &CacheCluster) -> Settings {
        Settings {
            engine_version: c.engine_version().map(str::to_string),
            parameter_group_name: c
                .cache_parameter_group()
                .and_then(|p| p.cache_parameter_group_name())
                .map(str::to_string),
            subnet_group_name: c.cache_subnet_group_name().map(str::to_string),
            security_group_ids: c
                .security_groups()
                .iter()
                .filter_map(|g| g.security_group_id().map(str::to_string))
                .collect(),
            maintenance_window: c.preferred_maintenance_window().map(str::to_string),
            notification_topic_arn: c
                .notification_configuration()
                .and_then(|n| n.topic_arn())
                .map(str::to_string),
        }
    }
}

/// Every cache cluster that belongs to a replication group, by cluster id:
/// (its group, its settings).
pub async fn list(ec: &ElastiCache) -> Result<HashMap<String, (String, Settings)>, ProviderError> {
    let client = ec.client().await?;
    let pages = client
        .describe_cache_clusters()
        .max_records(100)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| error("elasticache:DescribeCacheClusters", e))?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.cache_clusters.unwrap_or_default())
        .filter_map(|c| {
            let group = c.replication_group_id()?.to_string();
            Some((c.cache_cluster_id()?.to_string(), (group, Settings::of(&c))))
        })
        .collect())
}

/// The settings of the first of `members` that is listed (`None` where the
/// endpoint lists no member cluster: moto does not make them).
pub fn first_of<'a>(
    members: &[String],
    listed: &'a HashMap<String, (String, Settings)>,
) -> Option<&'a Settings> {
    members
        .iter()
        .find_map(|m| listed.get(m).map(|(_, settings)| settings))
}
