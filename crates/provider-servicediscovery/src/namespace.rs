//! `aws_service_discovery_private_dns_namespace`: name and VPC force a new
//! namespace; the description changes in place (UpdatePrivateDnsNamespace),
//! tags too. The id is the namespace id (`ns-...`).
//!
//! Creating and deleting are asynchronous: Cloud Map answers an operation
//! id, polled with GetOperation until it succeeds (reported through
//! `OpContext::progress`, bounded by the operation's timeout). The create
//! passes the create's idempotency token as `CreatorRequestId`, so on AWS
//! a create retried after a crash resumes the first; moto does not honour
//! it, so leftovers are found by their ownership tags (`owned_by_stack`).
//!
//! Cloud Map never says which VPC a namespace is in (the hosted zone's
//! association is Route 53's business): `vpc` is kept from the recorded
//! object, and an import id is `NAMESPACE_ID:VPC_ID`, as in Terraform.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use aws_sdk_servicediscovery::operation::create_private_dns_namespace::CreatePrivateDnsNamespaceError;
use aws_sdk_servicediscovery::types::{
    FilterCondition, NamespaceFilter, NamespaceFilterName, NamespaceSummary, NamespaceType,
    PrivateDnsNamespaceChange,
};
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Value,
};

use crate::{
    owned_concurrently, sdk_tags, tags_of, update_tags, wait_for_operation, OwnedFuture,
    ServiceDiscovery, READ_CONCURRENCY,
};

pub struct PrivateDnsNamespace {
    sd: Arc<ServiceDiscovery>,
}

impl PrivateDnsNamespace {
    pub fn new(sd: Arc<ServiceDiscovery>) -> Self {
        PrivateDnsNamespace { sd }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A Cloud Map private DNS namespace in a VPC (a private hosted zone); name and VPC force a new one, the description changes in place; create and delete wait for Cloud Map's operation.")
            .attr("name", Attribute::string().required().force_new())
            .attr("vpc", Attribute::string().required().force_new())
            .attr("description", Attribute::string())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("hosted_zone", Attribute::string().computed())
            .with_tags()
    })
}

/// What a namespace is, from ListNamespaces or GetNamespace.
struct Live {
    id: String,
    arn: String,
    name: String,
    description: Option<String>,
    hosted_zone: Option<String>,
}

impl Live {
    fn from_summary(n: &NamespaceSummary) -> Option<Live> {
        Some(Live {
            id: n.id()?.to_string(),
            arn: n.arn()?.to_string(),
            name: n.name().unwrap_or_default().to_string(),
            description: n.description().map(str::to_string),
            hosted_zone: n
                .properties()
                .and_then(|p| p.dns_properties())
                .and_then(|d| d.hosted_zone_id())
                .map(str::to_string),
        })
    }

    fn object(
        &self,
        vpc: Option<&str>,
        live_tags: &tags::Tags,
        default_tags: &tags::Tags,
    ) -> Object {
        let mut obj = Object::new();
        obj.insert("id".into(), self.id.as_str().into());
        obj.insert("arn".into(), self.arn.as_str().into());
        obj.insert("name".into(), self.name.as_str().into());
        obj.insert("vpc".into(), Value::from(vpc));
        obj.insert(
            "description".into(),
            Value::from(self.description.as_deref().filter(|d| !d.is_empty())),
        );
        obj.insert(
            "hosted_zone".into(),
            Value::from(self.hosted_zone.as_deref()),
        );
        tags::set_live(&mut obj, live_tags, default_tags);
        obj
    }
}

impl PrivateDnsNamespace {
    /// Every private DNS namespace by id: one ListNamespaces per page of
    /// 100, filtered to `DNS_PRIVATE` (the listing carries the description
    /// and the hosted zone: no GetNamespace).
    async fn list(&self) -> Result<HashMap<String, Live>, ProviderError> {
        let client = self.sd.client().await?;
        let filter = NamespaceFilter::builder()
            .name(NamespaceFilterName::Type)
            .values("DNS_PRIVATE")
            .condition(FilterCondition::Eq)
            .build()
            .map_err(|e| {
                ProviderError::new(
                    "servicediscovery:ListNamespaces",
                    "InvalidRequest",
                    e.to_string(),
                )
            })?;
        let pages = client
            .list_namespaces()
            .filters(filter)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("servicediscovery:ListNamespaces", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.namespaces())
            // The filter again: an endpoint may ignore it (moto does).
            .filter(|n| n.r#type() == Some(&NamespaceType::DnsPrivate))
            .filter_map(Live::from_summary)
            .map(|l| (l.id.clone(), l))
            .collect())
    }

    /// One namespace after a write (GetNamespace).
    async fn get(&self, id: &str) -> Result<Live, ProviderError> {
        let client = self.sd.client().await?;
        let out = client
            .get_namespace()
            .id(id)
            .send()
            .await
            .map_err(|e| error("servicediscovery:GetNamespace", e))?;
        let n = out.namespace().ok_or_else(|| {
            ProviderError::new(
                "servicediscovery:GetNamespace",
                "InvalidResponse",
                format!("no namespace {id} in the answer"),
            )
        })?;
        Ok(Live {
            id: n.id().unwrap_or(id).to_string(),
            arn: n.arn().unwrap_or_default().to_string(),
            name: n.name().unwrap_or_default().to_string(),
            description: n.description().map(str::to_string),
            hosted_zone: n
                .properties()
                .and_then(|p| p.dns_properties())
                .and_then(|d| d.hosted_zone_id())
                .map(str::to_string),
        })
    }

    async fn read_written(
        &self,
        id: &str,
        vpc: Option<&str>,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let live = self.get(id).await?;
        let t = tags_of(&self.sd, &live.arn).await?.unwrap_or_default();
        Ok(live.object(vpc, &t, default_tags))
    }
}

#[async_trait]
impl Resource for PrivateDnsNamespace {
    fn type_name(&self) -> &'static str {
        "aws_service_discovery_private_dns_namespace"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    /// ListNamespaces once per page; the tags cost a ListTagsForResource
    /// per namespace (Cloud Map has no batch form, and the tagging API is
    /// not used: moto does not index Cloud Map there, so it could not be
    /// tested).
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        let reads = requests
            .iter()
            .map(|r| {
                let live = all.get(r.id);
                Box::pin(async move {
                    let Some(live) = live else { return Ok(None) };
                    let Some(t) = tags_of(&self.sd, &live.arn).await? else {
                        return Ok(None);
                    };
                    Ok(Some(live.object(r.prior.str("vpc"), &t, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let Some((ns, vpc)) = id.split_once(':') else {
            return Err(ProviderError::new(
                "servicediscovery:import",
                "InvalidImportId",
                format!(
                    "`{id}`: the import id of a private DNS namespace is NAMESPACE_ID:VPC_ID \
                     (Cloud Map does not say which VPC a namespace is in)"
                ),
            ));
        };
        let prior: Object = [("vpc".to_string(), Value::from(vpc))].into();
        let mut out = self
            .read(
                &[ReadRequest {
                    id: ns,
                    prior: &prior,
                }],
                ctx,
            )
            .await?;
        Ok(out.pop().unwrap_or(ReadOutcome::Gone))
    }

    /// ListNamespaces, then the tags of each private DNS namespace.
    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let all = self.list().await?;
        let reads = all
            .values()
            .map(|live| {
                Box::pin(async move {
                    let t = tags_of(&self.sd, &live.arn).await?;
                    Ok(t.and_then(|t| tags::owned_entry(stack, &live.id, &t)))
                }) as OwnedFuture<'_>
            })
            .collect();
        owned_concurrently(reads).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sd.client().await?;
        let name = planned.str("name").unwrap_or_default();
        let vpc = planned.str("vpc").unwrap_or_default();
        let created = client
            .create_private_dns_namespace()
            .name(name)
            .vpc(vpc)
            .set_description(planned.str("description").map(str::to_string))
            .creator_request_id(&ctx.idempotency_token)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        let operation = match created {
            Ok(out) => cairn_aws::created_id(
                "servicediscovery:CreatePrivateDnsNamespace",
                out.operation_id(),
            )?,
            Err(e) => {
                // The same request id with other arguments: the first
                // request's operation, which this create resumes.
                let duplicate = match e.as_service_error() {
                    Some(CreatePrivateDnsNamespaceError::DuplicateRequest(d)) => {
                        d.duplicate_operation_id().map(str::to_string)
                    }
                    _ => None,
                };
                match duplicate {
                    Some(op) => op,
                    None => return Err(error("servicediscovery:CreatePrivateDnsNamespace", e)),
                }
            }
        };
        let what = format!("namespace {name}");
        let targets = wait_for_operation(&self.sd, ctx, &what, &operation).await?;
        let id = cairn_aws::created_id(
            "servicediscovery:GetOperation",
            targets.get("NAMESPACE").map(String::as_str),
        )?;
        let live = self.get(&id).await.map_err(|e| e.with_partial_id(&id))?;
        // The tags are the ones just sent: no ListTagsForResource.
        Ok(live.object(Some(vpc), &ctx.create_tags(planned), &ctx.default_tags))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.sd.client().await?;
        let arn = prior.str("arn").unwrap_or_default().to_string();
        for name in changed {
            match name.as_str() {
                "description" => {
                    let change = PrivateDnsNamespaceChange::builder()
                        .description(planned.str("description").unwrap_or_default())
                        .build();
                    let out = client
                        .update_private_dns_namespace()
                        .id(id)
                        .namespace(change)
                        .send()
                        .await
                        .map_err(|e| error("servicediscovery:UpdatePrivateDnsNamespace", e))?;
                    let op = cairn_aws::created_id(
                        "servicediscovery:UpdatePrivateDnsNamespace",
                        out.operation_id(),
                    )?;
                    wait_for_operation(&self.sd, ctx, &format!("namespace {id}"), &op).await?;
                }
                "tags" => update_tags(&self.sd, &arn, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_written(
            id,
            planned.str("vpc").or(prior.str("vpc")),
            &ctx.default_tags,
        )
        .await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sd.client().await?;
        let operation = Mutex::new(None::<String>);
        // Services deleted a moment ago may still hold it.
        let in_use = [RetryOn::new("ResourceInUse", ctx.timeout)];
        delete_with_retry("Cloud Map namespace", &in_use, || async {
            let out = client
                .delete_namespace()
                .id(id)
                .send()
                .await
                .map_err(|e| error("servicediscovery:DeleteNamespace", e))?;
            if let Ok(mut op) = operation.lock() {
                *op = out.operation_id().map(str::to_string);
            }
            Ok(())
        })
        .await?;
        let op = operation.lock().ok().and_then(|mut o| o.take());
        match op {
            Some(op) => {
                match wait_for_operation(&self.sd, ctx, &format!("namespace {id}"), &op).await {
                    Ok(_) => Ok(()),
                    // The operation is forgotten with its namespace (moto).
                    Err(e) if e.code == "OperationNotFound" => Ok(()),
                    Err(e) => Err(e),
                }
            }
            None => Ok(()),
        }
    }
}
