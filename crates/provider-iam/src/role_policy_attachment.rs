//! `aws_iam_role_policy_attachment`: a managed policy attached to a role.
//! Id `role/policy-arn`. Refresh lists each role's attachments once, however
//! many of its attachments the stack holds.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::error;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema, Value,
};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::{Iam, READ_CONCURRENCY};

pub struct Attachment {
    iam: Arc<Iam>,
}

impl Attachment {
    pub fn new(iam: Arc<Iam>) -> Self {
        Attachment { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("Attaches a managed policy to an IAM role.")
            .attr("role", Attribute::string().required().force_new())
            .attr("policy_arn", Attribute::string().required().force_new())
            .attr("id", Attribute::string().computed())
    })
}

fn split(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
}

impl Attachment {
    /// The policy ARNs attached to `role` (`None`: no such role).
    async fn attached(&self, role: &str) -> Result<Option<BTreeSet<String>>, ProviderError> {
        let client = self.iam.client().await?;
        let mut pages = client
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .send();
        let mut out = BTreeSet::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => out.extend(
                    p.attached_policies()
                        .iter()
                        .filter_map(|a| a.policy_arn().map(str::to_string)),
                ),
                Err(e) => {
                    let e = error("iam:ListAttachedRolePolicies", e);
                    return if cairn_aws::is_not_found(&e) {
                        Ok(None)
                    } else {
                        Err(e)
                    };
                }
            }
        }
        Ok(Some(out))
    }
}

fn object(role: &str, arn: &str) -> Object {
    [
        ("id".to_string(), Value::from(format!("{role}/{arn}"))),
        ("role".to_string(), Value::from(role)),
        ("policy_arn".to_string(), Value::from(arn)),
    ]
    .into()
}

#[async_trait]
impl Resource for Attachment {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let roles: BTreeSet<&str> = requests
            .iter()
            .filter_map(|r| split(r.id).map(|s| s.0))
            .collect();
        // Boxed: async_trait cannot name the closure's future otherwise.
        type Listing<'a> = std::pin::Pin<
            Box<
                dyn std::future::Future<Output = Result<Option<BTreeSet<String>>, ProviderError>>
                    + Send
                    + 'a,
            >,
        >;
        let roles: Vec<&str> = roles.into_iter().collect();
        let lists: Vec<Listing<'_>> = roles
            .iter()
            .map(|r| Box::pin(self.attached(r)) as Listing<'_>)
            .collect();
        let found: Vec<Option<BTreeSet<String>>> = stream::iter(lists)
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        let by_role: BTreeMap<&str, Option<BTreeSet<String>>> =
            roles.into_iter().zip(found).collect();
        Ok(requests
            .iter()
            .map(|r| match split(r.id) {
                Some((role, arn))
                    if by_role
                        .get(role)
                        .and_then(|a| a.as_ref())
                        .is_some_and(|a| a.contains(arn)) =>
                {
                    ReadOutcome::Live(object(role, arn))
                }
                _ => ReadOutcome::Gone,
            })
            .collect())
    }

    // Attaching again what is attached is harmless.
    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.iam.client().await?;
        let s = |k: &str| {
            planned
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        client
            .attach_role_policy()
            .role_name(s("role"))
            .policy_arn(s("policy_arn"))
            .send()
            .await
            .map_err(|e| error("iam:AttachRolePolicy", e))?;
        Ok(object(&s("role"), &s("policy_arn")))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        prior: &Object,
        _planned: &Object,
        _changed: &[String],
    ) -> Result<Object, ProviderError> {
        // Every attribute forces a new attachment.
        Ok(prior.clone())
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let Some((role, arn)) = split(id) else {
            return Ok(());
        };
        let client = self.iam.client().await?;
        match client
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("iam:DetachRolePolicy", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
