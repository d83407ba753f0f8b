//! `aws_rds_cluster_parameter_group`: the API calls of Aurora cluster
//! parameter groups (where Aurora PostgreSQL takes `rds.force_ssl`); what
//! they share with DB parameter groups is in `parameters`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::{DbClusterParameterGroup as SdkGroup, Parameter};
use cairn_aws::error;
use cairn_core::tags::Tags;
use cairn_core::ProviderError;

use crate::db_parameter_group::param;
use crate::parameters::{Group, GroupApi, Param, ParameterGroup};
use crate::{Rds, PAGE_SIZE};

pub struct Api {
    rds: Arc<Rds>,
}

pub type ClusterParameterGroup = ParameterGroup<Api>;

impl ParameterGroup<Api> {
    pub fn new_cluster(rds: Arc<Rds>) -> Self {
        ParameterGroup::new(Api { rds })
    }
}

fn group(g: &SdkGroup) -> Group {
    Group {
        name: g
            .db_cluster_parameter_group_name()
            .unwrap_or_default()
            .to_string(),
        family: g
            .db_parameter_group_family()
            .unwrap_or_default()
            .to_string(),
        description: g.description().unwrap_or_default().to_string(),
        arn: g
            .db_cluster_parameter_group_arn()
            .unwrap_or_default()
            .to_string(),
    }
}

#[async_trait]
impl GroupApi for Api {
    fn type_name(&self) -> &'static str {
        "aws_rds_cluster_parameter_group"
    }
    fn what(&self) -> &'static str {
        "DB cluster parameter group"
    }
    fn rds(&self) -> &Rds {
        &self.rds
    }

    async fn list(&self) -> Result<HashMap<String, Group>, ProviderError> {
        let client = self.rds.client().await?;
        let pages = client
            .describe_db_cluster_parameter_groups()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBClusterParameterGroups", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.db_cluster_parameter_groups())
            .map(group)
            .map(|g| (g.name.clone(), g))
            .collect())
    }

    async fn by_name(&self, name: &str) -> Result<Option<Group>, ProviderError> {
        let client = self.rds.client().await?;
        let r = client
            .describe_db_cluster_parameter_groups()
            .db_cluster_parameter_group_name(name)
            .send()
            .await
            .map_err(|e| error("rds:DescribeDBClusterParameterGroups", e));
        Ok(
            crate::gone_as_none(r)?
                .and_then(|o| o.db_cluster_parameter_groups().first().map(group)),
        )
    }

    async fn parameters(&self, name: &str) -> Result<Vec<Param>, ProviderError> {
        let client = self.rds.client().await?;
        let pages = client
            .describe_db_cluster_parameters()
            .db_cluster_parameter_group_name(name)
            .source("user")
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBClusterParameters", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.parameters())
            .filter_map(param)
            .collect())
    }

    async fn create(
        &self,
        name: &str,
        family: &str,
        description: &str,
        tags: &Tags,
    ) -> Result<Group, ProviderError> {
        let client = self.rds.client().await?;
        let out = client
            .create_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .db_parameter_group_family(family)
            .description(description)
            .set_tags(Some(crate::tags::sdk(tags)))
            .send()
            .await
            .map_err(|e| error("rds:CreateDBClusterParameterGroup", e))?;
        Ok(out
            .db_cluster_parameter_group()
            .map(group)
            .unwrap_or_default())
    }

    async fn modify(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .set_parameters(Some(params))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:ModifyDBClusterParameterGroup", e))
    }

    async fn reset(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .reset_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .reset_all_parameters(false)
            .set_parameters(Some(params))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:ResetDBClusterParameterGroup", e))
    }

    async fn delete(&self, name: &str) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .delete_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:DeleteDBClusterParameterGroup", e))
    }
}
