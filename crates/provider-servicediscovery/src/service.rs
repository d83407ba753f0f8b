//! `aws_service_discovery_service`: a Cloud Map service in a namespace,
//! with the DNS records each registered instance gets (the anisette
//! service: `A` records, TTL 10, `MULTIVALUE`). Name, namespace,
//! `dns_config` and `health_check_custom_config` force a new service; the
//! description changes in place (UpdateService, an operation waited for),
//! tags too. The id is the service id (`srv-...`).
//!
//! The namespace is `namespace_id`, or for a DNS namespace
//! `dns_config.namespace_id`, as Terraform allows both. `dns_config` is
//! replaced as a whole: a change of its TTLs, which Cloud Map could make
//! in place, replaces the service too (cairn's force-new is per top-level
//! attribute, and the type cannot see the recorded block when the plan
//! asks which changes replace).
//!
//! AWS always keeps `failure_threshold` at 1 whatever is sent; the
//! configured value is kept from the recorded object so it is not drift.
//!
//! Deleting a service that still has instances (ECS deregisters its tasks
//! as they stop) is refused with `ResourceInUse`: retried for the delete's
//! timeout.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_servicediscovery::types::{
    DnsConfig, DnsConfigChange, DnsRecord, FilterCondition, HealthCheckCustomConfig, RecordType,
    RoutingPolicy, ServiceChange, ServiceFilter, ServiceFilterName, ServiceSummary,
};
use cairn_aws::{delete_with_retry, error, read_concurrently, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{
    owned_concurrently, sdk_tags, tags_of, update_tags, wait_for_operation, OwnedFuture,
    ServiceDiscovery, READ_CONCURRENCY,
};

pub struct Service {
    sd: Arc<ServiceDiscovery>,
}

impl Service {
    pub fn new(sd: Arc<ServiceDiscovery>) -> Self {
        Service { sd }
    }
}

const RECORD_TYPES: &[&str] = &["A", "AAAA", "SRV", "CNAME"];
const ROUTING: &[&str] = &["MULTIVALUE", "WEIGHTED"];

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let record = Schema::new()
            .attr("ttl", Attribute::number().required().check(Check::Range(0, 2_147_483_647)))
            .attr("type", Attribute::string().required().check(Check::OneOf(RECORD_TYPES)));
        let dns = Schema::new()
            .attr("namespace_id", Attribute::string().required())
            .attr(
                "routing_policy",
                Attribute::string().default("MULTIVALUE").check(Check::OneOf(ROUTING)),
            )
            .attr("dns_records", Attribute::new(Type::list(Type::object(record))).required());
        let custom = Schema::new().attr(
            "failure_threshold",
            Attribute::number().check(Check::Range(1, 10)),
        );
        Schema::new()
            .describe("A Cloud Map service whose instances get DNS records in its namespace; name, namespace, DNS config and custom health check force a new one, the description changes in place.")
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "namespace_id",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .describe("the namespace; for a DNS namespace `dns_config.namespace_id` may say it instead"),
            )
            .attr("description", Attribute::string())
            .attr("dns_config", Attribute::new(Type::object(dns)).force_new())
            .attr(
                "health_check_custom_config",
                Attribute::new(Type::object(custom)).force_new(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

/// The namespace a configuration (or a recorded object) names.
fn namespace_of(o: &Object) -> Option<&str> {
    o.str("namespace_id").or_else(|| {
        o.get("dns_config")
            .and_then(Value::as_map)
            .and_then(|d| d.str("namespace_id"))
    })
}

/// What a service is, from ListServices, GetService or CreateService.
struct Live {
    id: String,
    arn: String,
    name: String,
    namespace: String,
    description: Option<String>,
    dns: Option<DnsConfig>,
    custom: Option<HealthCheckCustomConfig>,
}

impl Live {
    fn from_summary(s: &ServiceSummary, namespace: &str) -> Option<Live> {
        Some(Live {
            id: s.id()?.to_string(),
            arn: s.arn()?.to_string(),
            name: s.name().unwrap_or_default().to_string(),
            namespace: namespace.to_string(),
            description: s.description().map(str::to_string),
            dns: s.dns_config().cloned(),
            custom: s.health_check_custom_config().cloned(),
        })
    }

    fn from_service(s: &aws_sdk_servicediscovery::types::Service) -> Option<Live> {
        Some(Live {
            id: s.id()?.to_string(),
            arn: s.arn()?.to_string(),
            name: s.name().unwrap_or_default().to_string(),
            namespace: s.namespace_id().unwrap_or_default().to_string(),
            description: s.description().map(str::to_string),
            dns: s.dns_config().cloned(),
            custom: s.health_check_custom_config().cloned(),
        })
    }

    fn object(&self, prior: &Object, live_tags: &tags::Tags, default_tags: &tags::Tags) -> Object {
        let mut obj = Object::new();
        obj.insert("id".into(), self.id.as_str().into());
        obj.insert("arn".into(), self.arn.as_str().into());
        obj.insert("name".into(), self.name.as_str().into());
        obj.insert("namespace_id".into(), self.namespace.as_str().into());
        obj.insert(
            "description".into(),
            Value::from(self.description.as_deref().filter(|d| !d.is_empty())),
        );
        obj.insert(
            "dns_config".into(),
            match &self.dns {
                Some(d) => {
                    let records = d
                        .dns_records()
                        .iter()
                        .map(|r| {
                            Value::Map(
                                [
                                    ("ttl".to_string(), Value::from(r.ttl())),
                                    ("type".to_string(), Value::from(r.r#type().as_str())),
                                ]
                                .into(),
                            )
                        })
                        .collect();
                    Value::Map(
                        [
                            (
                                "namespace_id".to_string(),
                                Value::from(self.namespace.as_str()),
                            ),
                            (
                                "routing_policy".to_string(),
                                Value::from(
                                    d.routing_policy().map_or("MULTIVALUE", |p| p.as_str()),
                                ),
                            ),
                            ("dns_records".to_string(), Value::List(records)),
                        ]
                        .into(),
                    )
                }
                None => Value::Null,
            },
        );
        obj.insert(
            "health_check_custom_config".into(),
            match &self.custom {
                Some(c) => {
                    // AWS answers 1 whatever was sent: keep what is recorded.
                    let recorded = prior
                        .get("health_check_custom_config")
                        .and_then(Value::as_map)
                        .and_then(|m| m.get("failure_threshold"))
                        .filter(|v| !v.is_null())
                        .cloned();
                    #[allow(deprecated)] // the field AWS pins to 1
                    let threshold = recorded
                        .unwrap_or_else(|| Value::from(c.failure_threshold().map(i64::from)));
                    Value::Map([("failure_threshold".to_string(), threshold)].into())
                }
                None => Value::Null,
            },
        );
        tags::set_live(&mut obj, live_tags, default_tags);
        obj
    }
}

fn records(planned: &Object) -> Result<Vec<DnsRecord>, ProviderError> {
    let Some(dns) = planned.get("dns_config").and_then(Value::as_map) else {
        return Ok(Vec::new());
    };
    dns.get("dns_records")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|r| {
            DnsRecord::builder()
                .r#type(RecordType::from(r.str("type").unwrap_or("A")))
                .ttl(r.i64("ttl").unwrap_or(60))
                .build()
                .map_err(|e| {
                    ProviderError::new(
                        "servicediscovery:CreateService",
                        "InvalidRequest",
                        e.to_string(),
                    )
                })
        })
        .collect()
}

fn invalid(operation: &str, e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(operation, "InvalidRequest", e.to_string())
}

impl Service {
    /// The services of one namespace: one ListServices per page of 100,
    /// filtered by the namespace (the listing does not name a service's
    /// namespace; the filter does). It carries the description, DNS and
    /// health check configuration: no GetService.
    async fn list(&self, namespace: Option<&str>) -> Result<Vec<ServiceSummary>, ProviderError> {
        let client = self.sd.client().await?;
        let mut req = client.list_services();
        if let Some(ns) = namespace {
            req = req.filters(
                ServiceFilter::builder()
                    .name(ServiceFilterName::NamespaceId)
                    .values(ns)
                    .condition(FilterCondition::Eq)
                    .build()
                    .map_err(|e| invalid("servicediscovery:ListServices", e))?,
            );
        }
        let pages = req
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("servicediscovery:ListServices", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.services.unwrap_or_default())
            .collect())
    }

    /// One service by id (`None`: gone).
    async fn get(&self, id: &str) -> Result<Option<Live>, ProviderError> {
        let client = self.sd.client().await?;
        match client.get_service().id(id).send().await {
            Ok(out) => Ok(out.service().and_then(Live::from_service)),
            Err(e) => {
                let e = error("servicediscovery:GetService", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn read_written(
        &self,
        id: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let live = self.get(id).await?.ok_or_else(|| {
            ProviderError::new(
                "servicediscovery:GetService",
                "ServiceNotFound",
                format!("service {id} not found after writing it"),
            )
        })?;
        let t = tags_of(&self.sd, &live.arn).await?.unwrap_or_default();
        Ok(live.object(prior, &t, default_tags))
    }
}

#[async_trait]
impl Resource for Service {
    fn type_name(&self) -> &'static str {
        "aws_service_discovery_service"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let issue = |attribute: &str, message: String| ValidationIssue {
            attribute: attribute.into(),
            message,
        };
        let top = config.get("namespace_id");
        let dns = config.get("dns_config").and_then(Value::as_map);
        let in_dns = dns.and_then(|d| d.get("namespace_id"));
        if top.is_none_or(Value::is_null) && in_dns.is_none_or(Value::is_null) {
            issues.push(issue(
                "namespace_id",
                "a service needs a namespace: `namespace_id` or `dns_config.namespace_id`".into(),
            ));
        }
        if let (Some(a), Some(b)) = (
            config.str("namespace_id"),
            dns.and_then(|d| d.str("namespace_id")),
        ) {
            if a != b {
                issues.push(issue(
                    "namespace_id",
                    format!("`namespace_id` ({a}) and `dns_config.namespace_id` ({b}) name different namespaces"),
                ));
            }
        }
        if let Some(d) = dns {
            let types: Vec<&str> = d
                .get("dns_records")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_map)
                .filter_map(|r| r.str("type"))
                .collect();
            if types.is_empty() && d.get("dns_records").is_some_and(Value::is_wholly_known) {
                issues.push(issue(
                    "dns_config",
                    "`dns_records` needs at least one record".into(),
                ));
            }
            if types.contains(&"CNAME") {
                if types.len() > 1 {
                    issues.push(issue(
                        "dns_config",
                        "a CNAME record cannot be combined with other records".into(),
                    ));
                }
                if d.str("routing_policy") == Some("MULTIVALUE") {
                    issues.push(issue(
                        "dns_config",
                        "CNAME records need `routing_policy = \"WEIGHTED\"`".into(),
                    ));
                }
            }
            let mut seen = types.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != types.len() {
                issues.push(issue(
                    "dns_config",
                    "each record type may appear once".into(),
                ));
            }
        }
        issues
    }

    /// ListServices once per page per distinct namespace of the requests
    /// (from the recorded objects), then a ListTagsForResource per live
    /// service. An import (nothing recorded) costs a GetService.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut by_namespace: BTreeMap<&str, HashMap<String, ServiceSummary>> = BTreeMap::new();
        for ns in requests.iter().filter_map(|r| namespace_of(r.prior)) {
            if !by_namespace.contains_key(ns) {
                let services = self.list(Some(ns)).await?;
                by_namespace.insert(
                    ns,
                    services
                        .into_iter()
                        .filter_map(|s| Some((s.id()?.to_string(), s)))
                        .collect(),
                );
            }
        }
        let reads = requests
            .iter()
            .map(|r| {
                let ns = namespace_of(r.prior);
                let listed = ns
                    .and_then(|ns| by_namespace.get(ns)?.get(r.id))
                    .and_then(|s| Live::from_summary(s, ns.unwrap_or_default()));
                Box::pin(async move {
                    let live = match (ns, listed) {
                        (_, Some(l)) => l,
                        (Some(_), None) => return Ok(None),
                        (None, None) => match self.get(r.id).await? {
                            Some(l) => l,
                            None => return Ok(None),
                        },
                    };
                    let Some(t) = tags_of(&self.sd, &live.arn).await? else {
                        return Ok(None);
                    };
                    Ok(Some(live.object(r.prior, &t, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    /// ListServices (every namespace), then the tags of each service.
    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let all = self.list(None).await?;
        let reads = all
            .iter()
            .map(|s| {
                Box::pin(async move {
                    let (Some(id), Some(arn)) = (s.id(), s.arn()) else {
                        return Ok(None);
                    };
                    let t = tags_of(&self.sd, arn).await?;
                    Ok(t.and_then(|t| tags::owned_entry(stack, id, &t)))
                }) as OwnedFuture<'_>
            })
            .collect();
        owned_concurrently(reads).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sd.client().await?;
        let op = "servicediscovery:CreateService";
        let dns = match planned.get("dns_config").and_then(Value::as_map) {
            Some(d) => Some(
                DnsConfig::builder()
                    .routing_policy(RoutingPolicy::from(
                        d.str("routing_policy").unwrap_or("MULTIVALUE"),
                    ))
                    .set_dns_records(Some(records(planned)?))
                    .build()
                    .map_err(|e| invalid(op, e))?,
            ),
            None => None,
        };
        let custom = planned
            .get("health_check_custom_config")
            .and_then(Value::as_map)
            .map(|c| {
                // Deprecated (AWS pins it to 1) but still accepted, as in
                // Terraform.
                #[allow(deprecated)]
                HealthCheckCustomConfig::builder()
                    .set_failure_threshold(c.i64("failure_threshold").map(|n| n as i32))
                    .build()
            });
        let out = client
            .create_service()
            .name(planned.str("name").unwrap_or_default())
            .set_namespace_id(namespace_of(planned).map(str::to_string))
            .set_description(planned.str("description").map(str::to_string))
            .creator_request_id(&ctx.idempotency_token)
            .set_dns_config(dns)
            .set_health_check_custom_config(custom)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error(op, e))?;
        let live = out.service().and_then(Live::from_service).ok_or_else(|| {
            ProviderError::new(
                op,
                "InvalidResponse",
                "the response carries no service id; the service may exist all the same: \
                 the next plan finds it by its ownership tags",
            )
        })?;
        // The answer is the whole service; the tags are the ones sent.
        Ok(live.object(planned, &ctx.create_tags(planned), &ctx.default_tags))
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
                    // UpdateService drops the DNS records it is not sent.
                    let dns = match planned.get("dns_config").and_then(Value::as_map) {
                        Some(_) => Some(
                            DnsConfigChange::builder()
                                .set_dns_records(Some(records(planned)?))
                                .build()
                                .map_err(|e| invalid("servicediscovery:UpdateService", e))?,
                        ),
                        None => None,
                    };
                    let change = ServiceChange::builder()
                        .description(planned.str("description").unwrap_or_default())
                        .set_dns_config(dns)
                        .build();
                    let out = client
                        .update_service()
                        .id(id)
                        .service(change)
                        .send()
                        .await
                        .map_err(|e| error("servicediscovery:UpdateService", e))?;
                    let op = cairn_aws::created_id(
                        "servicediscovery:UpdateService",
                        out.operation_id(),
                    )?;
                    wait_for_operation(&self.sd, ctx, &format!("service {id}"), &op).await?;
                }
                "tags" => update_tags(&self.sd, &arn, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_written(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sd.client().await?;
        // Instances still registered (ECS deregisters tasks as they stop).
        let in_use = [RetryOn::new("ResourceInUse", ctx.timeout)];
        delete_with_retry("Cloud Map service", &in_use, || async {
            client
                .delete_service()
                .id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("servicediscovery:DeleteService", e))
        })
        .await
    }
}
