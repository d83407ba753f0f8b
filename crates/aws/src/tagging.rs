//! Tags of many resources in one call, through the Resource Groups Tagging
//! API (`GetResources`, 100 resources per page), for services whose
//! describe calls do not return tags (CloudWatch Logs, KMS, ...): refresh
//! and the ownership listing cost one call per type and page instead of one
//! per resource.
//!
//! The listing is by this stack's ownership tag, so it finds what cairn
//! created. A resource it does not find (imported, or its ownership tag
//! removed outside cairn) is not thereby untagged: callers read its tags
//! the service's own way (see [`TagsByArn::get`]).

use std::collections::HashMap;

use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_sdk_resourcegroupstagging::Client;
use cairn_core::tags::{Tags, STACK_TAG};
use cairn_core::ProviderError;

use crate::{error, sdk_client, AwsContext, LazyClient};

/// The tagging client of one provider configuration.
pub struct Tagging {
    lazy: LazyClient<Client>,
}

/// The tags of this stack's resources of one type, by ARN.
#[derive(Debug, Default, Clone)]
pub struct TagsByArn(HashMap<String, Tags>);

impl TagsByArn {
    /// The tags of `arn`, if the listing found it. A log group's ARN may end
    /// in `:*`; it is compared without.
    pub fn get(&self, arn: &str) -> Option<&Tags> {
        self.0.get(normalize(arn))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Tags)> {
        self.0.iter()
    }
}

fn normalize(arn: &str) -> &str {
    arn.trim_end_matches(":*")
}

impl Tagging {
    pub fn new(aws: AwsContext) -> Self {
        Tagging {
            lazy: LazyClient::new(aws, sdk_client!(aws_sdk_resourcegroupstagging)),
        }
    }

    /// What an interrupted apply left of `resource_type`, for
    /// `Resource::owned_by_stack` of a type whose id is its ARN: (address,
    /// ARN) of each resource tagged as `stack`'s.
    pub async fn owned_entries(
        &self,
        resource_type: &str,
        stack: &str,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .owned(resource_type, stack)
            .await?
            .iter()
            .filter_map(|(arn, t)| cairn_core::tags::owned_entry(stack, arn, t))
            .collect())
    }

    /// Every resource of `resource_type` (a service, `logs`, or
    /// `service:type`, `kms:key`) tagged as `stack`'s, with all its tags.
    pub async fn owned(
        &self,
        resource_type: &str,
        stack: &str,
    ) -> Result<TagsByArn, ProviderError> {
        let client = self.lazy.client().await?;
        let pages: Vec<_> = client
            .get_resources()
            .resource_type_filters(resource_type)
            .tag_filters(TagFilter::builder().key(STACK_TAG).values(stack).build())
            .resources_per_page(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("tagging:GetResources", e))?;
        Ok(TagsByArn(
            pages
                .iter()
                .flat_map(|p| p.resource_tag_mapping_list())
                .filter_map(|m| {
                    let tags = m
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect();
                    Some((normalize(m.resource_arn()?).to_string(), tags))
                })
                .collect(),
        ))
    }
}
