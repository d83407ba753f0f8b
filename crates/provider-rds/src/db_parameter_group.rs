//! `aws_db_parameter_group`: the API calls of DB (instance) parameter
//! groups; what they share with cluster parameter groups (schema, the
//! parameter set, the operations) is in `parameters`.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_rds::types::{DbParameterGroup as SdkGroup, Parameter};
use cairn_aws::error;
use cairn_core::tags::Tags;
use cairn_core::ProviderError;

use crate::parameters::{Group, GroupApi, Param, ParameterGroup};
use crate::{Rds, PAGE_SIZE};

pub struct Api {
    rds: Arc<Rds>,
}

pub type DbParameterGroup = ParameterGroup<Api>;

impl ParameterGroup<Api> {
    pub fn new_db(rds: Arc<Rds>) -> Self {
        ParameterGroup::new(Api { rds })
    }
}

fn group(g: &SdkGroup) -> Group {
    Group {
        name: g.db_parameter_group_name().unwrap_or_default().to_string(),
        family: g
            .db_parameter_group_family()
            .unwrap_or_default()
            .to_string(),
        description: g.description().unwrap_or_default().to_string(),
        arn: g.db_parameter_group_arn().unwrap_or_default().to_string(),
    }
}

pub fn param(p: &Parameter) -> Option<Param> {
    Some(Param {
        name: p.parameter_name()?.to_string(),
        value: p.parameter_value()?.to_string(),
        apply_method: p
            .apply_method()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
    })
}

#[async_trait]
impl GroupApi for Api {
    fn type_name(&self) -> &'static str {
        "aws_db_parameter_group"
    }
    fn what(&self) -> &'static str {
        "DB parameter group"
    }
    fn rds(&self) -> &Rds {
        &self.rds
    }

    async fn list(&self) -> Result<HashMap<String, Group>, ProviderError> {
        let client = self.rds.client().await?;
        let pages = client
            .describe_db_parameter_groups()
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBParameterGroups", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.db_parameter_groups())
            .map(group)
            .map(|g| (g.name.clone(), g))
            .collect())
    }

    async fn by_name(&self, name: &str) -> Result<Option<Group>, ProviderError> {
        let client = self.rds.client().await?;
        let r = client
            .describe_db_parameter_groups()
            .db_parameter_group_name(name)
            .send()
            .await
            .map_err(|e| error("rds:DescribeDBParameterGroups", e));
        Ok(crate::gone_as_none(r)?.and_then(|o| o.db_parameter_groups().first().map(group)))
    }

    async fn parameters(&self, name: &str) -> Result<Vec<Param>, ProviderError> {
        let client = self.rds.client().await?;
        let pages = client
            .describe_db_parameters()
            .db_parameter_group_name(name)
            .source("user")
            .max_records(PAGE_SIZE)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("rds:DescribeDBParameters", e))?;
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
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(family)
            .description(description)
            .set_tags(Some(crate::tags::sdk(tags)))
            .send()
            .await
            .map_err(|e| error("rds:CreateDBParameterGroup", e))?;
        Ok(out.db_parameter_group().map(group).unwrap_or_default())
    }

    async fn modify(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(params))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:ModifyDBParameterGroup", e))
    }

    async fn reset(&self, name: &str, params: Vec<Parameter>) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .reset_db_parameter_group()
            .db_parameter_group_name(name)
            .reset_all_parameters(false)
            .set_parameters(Some(params))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:ResetDBParameterGroup", e))
    }

    async fn delete(&self, name: &str) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        client
            .delete_db_parameter_group()
            .db_parameter_group_name(name)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("rds:DeleteDBParameterGroup", e))
    }
}
