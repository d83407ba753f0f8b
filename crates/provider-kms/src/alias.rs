//! `aws_kms_alias`: the alias name is its id. All aliases are listed once
//! per refresh, whatever the number of aliases in state.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{error, is_not_found};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use crate::Kms;

pub struct Alias {
    kms: Arc<Kms>,
}

impl Alias {
    pub fn new(kms: Arc<Kms>) -> Self {
        Alias { kms }
    }
}

fn alias_name(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !s.starts_with("alias/") => Err(format!("`{s}` must start with `alias/`")),
        Some(s) if s.starts_with("alias/aws/") => {
            Err("`alias/aws/` is reserved for AWS-managed keys".into())
        }
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A friendly name for a KMS key.")
            .attr(
                "name",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Custom(alias_name)),
            )
            .attr(
                "target_key_id",
                Attribute::string()
                    .required()
                    .describe("The key's id or ARN."),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("target_key_arn", Attribute::string().computed())
    })
}

/// A key id or ARN, as the key id (ARNs end in `key/<id>`).
fn key_id(s: &str) -> &str {
    s.rsplit_once("key/").map(|(_, id)| id).unwrap_or(s)
}

impl Alias {
    /// Every alias by name: (alias ARN, target key id).
    async fn list(&self) -> Result<HashMap<String, (String, String)>, ProviderError> {
        let client = self.kms.client().await?;
        let aliases: Vec<_> = client
            .list_aliases()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("kms:ListAliases", e))?;
        Ok(aliases
            .into_iter()
            .filter_map(|a| {
                let target = a.target_key_id()?.to_string();
                Some((
                    a.alias_name()?.to_string(),
                    (a.alias_arn().unwrap_or_default().to_string(), target),
                ))
            })
            .collect())
    }

    /// The object for a live alias; `target_key_id` keeps the form (id or
    /// ARN) the configuration used when it names the same key.
    fn object(name: &str, arn: &str, target: &str, configured: Option<&str>) -> Object {
        let target_id = match configured {
            Some(c) if key_id(c) == target => c.to_string(),
            _ => target.to_string(),
        };
        let key_arn = arn
            .rsplit_once(":alias/")
            .map(|(prefix, _)| format!("{prefix}:key/{target}"))
            .unwrap_or_default();
        [
            ("id".to_string(), Value::from(name)),
            ("name".to_string(), Value::from(name)),
            ("arn".to_string(), Value::from(arn)),
            ("target_key_id".to_string(), Value::from(target_id)),
            ("target_key_arn".to_string(), Value::from(key_arn)),
        ]
        .into()
    }

    async fn read_named(
        &self,
        name: &str,
        configured: Option<&str>,
    ) -> Result<Object, ProviderError> {
        let all = self.list().await?;
        let (arn, target) = all.get(name).ok_or_else(|| {
            ProviderError::new(
                "kms:ListAliases",
                "NotFoundException",
                format!("alias {name} not found after writing it"),
            )
        })?;
        Ok(Self::object(name, arn, target, configured))
    }
}

#[async_trait]
impl Resource for Alias {
    fn type_name(&self) -> &'static str {
        "aws_kms_alias"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        Ok(requests
            .iter()
            .map(|r| match all.get(r.id) {
                Some((arn, target)) => ReadOutcome::Live(Self::object(
                    r.id,
                    arn,
                    target,
                    r.prior.str("target_key_id"),
                )),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.kms.client().await?;
        let name = planned
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let target = planned
            .get("target_key_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        // An alias has no tags: one an interrupted apply left is known by
        // its name and its key. Adopted when both match; an alias of that
        // name on another key is someone else's, and the error says so.
        if let Err(e) = client
            .create_alias()
            .alias_name(name)
            .target_key_id(target)
            .send()
            .await
        {
            let e = error("kms:CreateAlias", e);
            let existing = self.list().await?;
            let ours = e.code == "AlreadyExistsException"
                && existing
                    .get(name)
                    .is_some_and(|(_, t)| t.as_str() == key_id(target));
            if !ours {
                return Err(e);
            }
        }
        self.read_named(name, Some(target))
            .await
            .map_err(|e| e.with_partial_id(name))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.kms.client().await?;
        let target = planned
            .get("target_key_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if changed.iter().any(|c| c == "target_key_id") {
            client
                .update_alias()
                .alias_name(id)
                .target_key_id(target)
                .send()
                .await
                .map_err(|e| error("kms:UpdateAlias", e))?;
        }
        self.read_named(id, Some(target)).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.kms.client().await?;
        match client.delete_alias().alias_name(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("kms:DeleteAlias", e);
                if is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
