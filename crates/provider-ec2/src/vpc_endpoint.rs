//! `aws_vpc_endpoint`, Gateway (S3, DynamoDB: route tables) or Interface
//! (ECR, Secrets Manager, logs: subnets and security groups). Created with
//! a client token and waited for; subnets, groups, route tables, private
//! DNS and the policy change in place.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, VpcEndpointType};
use cairn_aws::{created_id, error, wait_until};
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::common::{filter, from_sdk, outcomes, tag_spec, update_tags, wait_gone, Ec2};

const POLL: Duration = Duration::from_secs(5);
const ID_SETS: &[&str] = &["subnet_ids", "security_group_ids", "route_table_ids"];

pub struct VpcEndpoint {
    ec2: Arc<Ec2>,
}

impl VpcEndpoint {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        VpcEndpoint { ec2 }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let ids = || Attribute::new(Type::set(Type::String)).optional_computed();
        Schema::new()
            .describe("A VPC endpoint: private access to an AWS service.")
            .attr("vpc_id", Attribute::string().required().force_new())
            .attr("service_name", Attribute::string().required().force_new())
            .attr(
                "vpc_endpoint_type",
                Attribute::string()
                    .default("Gateway")
                    .force_new()
                    .check(Check::OneOf(&["Gateway", "Interface"])),
            )
            .attr("subnet_ids", ids())
            .attr("security_group_ids", ids())
            .attr("route_table_ids", ids())
            .attr("private_dns_enabled", Attribute::bool().optional_computed())
            .attr(
                "policy",
                Attribute::new(Type::JsonString).optional_computed(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("state", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr(
                "network_interface_ids",
                Attribute::new(Type::set(Type::String)).computed(),
            )
            .attr(
                "dns_names",
                Attribute::new(Type::list(Type::String)).computed(),
            )
            .with_tags()
    })
}

fn strings(o: &Object, k: &str) -> BTreeSet<String> {
    o.get(k)
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn list(v: &[String]) -> Value {
    let mut v = v.to_vec();
    v.sort();
    Value::from(v)
}

impl VpcEndpoint {
    /// Endpoints matching filters, or with these ids.
    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        ids: Option<Vec<String>>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, (Object, String)>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let found: Vec<_> = client
            .describe_vpc_endpoints()
            .set_filters((!filters.is_empty()).then_some(filters))
            .set_vpc_endpoint_ids(ids)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeVpcEndpoints", e))?;
        Ok(found
            .into_iter()
            .filter_map(|e| {
                // AWS answers in lower case ("available"), which the SDK's
                // enum does not recognise: compare the text.
                let state = e.state()?.as_str().to_ascii_lowercase();
                // AWS lists deleted endpoints for a while.
                if matches!(state.as_str(), "deleted" | "deleting" | "rejected") {
                    return None;
                }
                let id = e.vpc_endpoint_id()?.to_string();
                let owner = e.owner_id().unwrap_or_default();
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert(
                    "arn".into(),
                    crate::common::arn(&region, owner, "vpc-endpoint", &id).into(),
                );
                obj.insert("owner_id".into(), Value::from(e.owner_id()));
                obj.insert("vpc_id".into(), Value::from(e.vpc_id()));
                obj.insert("service_name".into(), Value::from(e.service_name()));
                obj.insert(
                    "vpc_endpoint_type".into(),
                    Value::from(e.vpc_endpoint_type().map(|t| t.as_str())),
                );
                obj.insert("subnet_ids".into(), list(e.subnet_ids()));
                obj.insert(
                    "security_group_ids".into(),
                    list(
                        &e.groups()
                            .iter()
                            .filter_map(|g| g.group_id().map(str::to_string))
                            .collect::<Vec<_>>(),
                    ),
                );
                obj.insert("route_table_ids".into(), list(e.route_table_ids()));
                obj.insert(
                    "private_dns_enabled".into(),
                    e.private_dns_enabled().unwrap_or(false).into(),
                );
                obj.insert("policy".into(), Value::from(e.policy_document()));
                obj.insert("state".into(), state.as_str().into());
                obj.insert(
                    "network_interface_ids".into(),
                    list(e.network_interface_ids()),
                );
                obj.insert(
                    "dns_names".into(),
                    Value::from(
                        e.dns_entries()
                            .iter()
                            .filter_map(|d| d.dns_name().map(str::to_string))
                            .collect::<Vec<_>>(),
                    ),
                );
                tags::set_live(&mut obj, &from_sdk(e.tags()), default_tags);
                Some((id, (obj, state)))
            })
            .collect())
    }

    /// The endpoints of these VPCs. (Reading by VPC rather than by the
    /// `vpc-endpoint-id` filter also works on emulators that lack that
    /// filter, and a missing endpoint never fails the batch, as asking by
    /// `VpcEndpointIds` would.)
    async fn in_vpcs<'a>(
        &self,
        vpcs: impl IntoIterator<Item = &'a str>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, (Object, String)>, ProviderError> {
        let vpcs: Vec<&str> = vpcs
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut out = HashMap::new();
        for chunk in vpcs.chunks(crate::common::FILTER_CHUNK) {
            out.extend(
                self.read_filtered(
                    vec![filter("vpc-id", chunk.iter().copied())],
                    None,
                    default_tags,
                )
                .await?,
            );
        }
        Ok(out)
    }

    async fn wait_available(
        &self,
        id: &str,
        vpc: &str,
        ctx: &OpContext,
    ) -> Result<Object, ProviderError> {
        wait_until(
            &format!("VPC endpoint {id} to be available"),
            ctx.timeout,
            POLL,
            || async {
                let mut found = self.in_vpcs([vpc], &ctx.default_tags).await?;
                match found.remove(id) {
                    Some((obj, state)) if state == "available" => Ok(Some(obj)),
                    Some((_, state)) if state == "failed" => Err(ProviderError::new(
                        "ec2:CreateVpcEndpoint",
                        "VpcEndpointFailed",
                        format!("VPC endpoint {id} failed"),
                    )),
                    _ => Ok(None),
                }
            },
        )
        .await
    }
}

#[async_trait]
impl Resource for VpcEndpoint {
    fn type_name(&self) -> &'static str {
        "aws_vpc_endpoint"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let gateway = config.str("vpc_endpoint_type") != Some("Interface");
        let has = |k: &str| {
            config
                .get(k)
                .and_then(Value::as_list)
                .is_some_and(|l| !l.is_empty())
        };
        let mut issues = Vec::new();
        if gateway {
            for k in ["subnet_ids", "security_group_ids"] {
                if has(k) {
                    issues.push(ValidationIssue {
                        attribute: k.into(),
                        message: format!("{k} applies to Interface endpoints; a Gateway endpoint takes route_table_ids"),
                    });
                }
            }
        } else if has("route_table_ids") {
            issues.push(ValidationIssue {
                attribute: "route_table_ids".into(),
                message: "route_table_ids applies to Gateway endpoints; an Interface endpoint takes subnet_ids and security_group_ids".into(),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let vpcs = requests.iter().filter_map(|r| r.prior.str("vpc_id"));
        let live = self
            .in_vpcs(vpcs, &ctx.default_tags)
            .await?
            .into_iter()
            .map(|(id, (o, _))| (id, o))
            .collect();
        Ok(outcomes(requests, live))
    }

    /// Refresh finds endpoints through their recorded VPC; an import has
    /// only the endpoint's id.
    async fn import(&self, id: &str, ctx: &ReadContext) -> Result<ReadOutcome, ProviderError> {
        let mut found = match self
            .read_filtered(Vec::new(), Some(vec![id.to_string()]), &ctx.default_tags)
            .await
        {
            Err(e) if cairn_aws::is_not_found(&e) => HashMap::new(),
            other => other?,
        };
        Ok(match found.remove(id) {
            Some((obj, _)) => ReadOutcome::Live(obj),
            None => ReadOutcome::Gone,
        })
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        // Deleted endpoints stay listed (and tagged) for a while.
        let client = self.ec2.client().await?;
        let found: Vec<_> = client
            .describe_vpc_endpoints()
            .filters(filter(&format!("tag:{}", tags::STACK_TAG), [stack]))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeVpcEndpoints", e))?;
        Ok(found
            .iter()
            .filter(|e| {
                let state = e.state().map(|s| s.as_str().to_ascii_lowercase());
                !matches!(state.as_deref(), Some("deleted" | "deleting" | "rejected"))
            })
            .filter_map(|e| tags::owned_entry(stack, e.vpc_endpoint_id()?, &from_sdk(e.tags())))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        let ids = |k: &str| {
            let v: Vec<String> = strings(planned, k).into_iter().collect();
            (!v.is_empty()).then_some(v)
        };
        let kind = match s("vpc_endpoint_type").as_deref() {
            Some("Interface") => VpcEndpointType::Interface,
            _ => VpcEndpointType::Gateway,
        };
        let out = client
            .create_vpc_endpoint()
            .set_vpc_id(s("vpc_id"))
            .set_service_name(s("service_name"))
            .vpc_endpoint_type(kind)
            .set_subnet_ids(ids("subnet_ids"))
            .set_security_group_ids(ids("security_group_ids"))
            .set_route_table_ids(ids("route_table_ids"))
            .set_private_dns_enabled(planned.bool("private_dns_enabled"))
            .set_policy_document(s("policy"))
            .client_token(&ctx.idempotency_token)
            .tag_specifications(tag_spec(
                ResourceType::VpcEndpoint,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateVpcEndpoint", e))?;
        let id = created_id(
            "ec2:CreateVpcEndpoint",
            out.vpc_endpoint().and_then(|e| e.vpc_endpoint_id()),
        )?;
        let vpc = s("vpc_id").unwrap_or_default();
        self.wait_available(&id, &vpc, ctx)
            .await
            .map_err(|e| e.with_partial_id(&id))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let mut modify = client.modify_vpc_endpoint().vpc_endpoint_id(id);
        let mut any = false;
        for k in ID_SETS.iter().filter(|k| changed.iter().any(|c| c == *k)) {
            let (old, new) = (strings(prior, k), strings(planned, k));
            let add: Vec<String> = new.difference(&old).cloned().collect();
            let remove: Vec<String> = old.difference(&new).cloned().collect();
            let (add, remove) = (
                (!add.is_empty()).then_some(add),
                (!remove.is_empty()).then_some(remove),
            );
            modify = match *k {
                "subnet_ids" => modify.set_add_subnet_ids(add).set_remove_subnet_ids(remove),
                "security_group_ids" => modify
                    .set_add_security_group_ids(add)
                    .set_remove_security_group_ids(remove),
                _ => modify
                    .set_add_route_table_ids(add)
                    .set_remove_route_table_ids(remove),
            };
            any = true;
        }
        if changed.iter().any(|c| c == "private_dns_enabled") {
            modify = modify.set_private_dns_enabled(planned.bool("private_dns_enabled"));
            any = true;
        }
        if changed.iter().any(|c| c == "policy") {
            modify = match planned.str("policy") {
                Some(p) => modify.policy_document(p),
                None => modify.reset_policy(true),
            };
            any = true;
        }
        if any {
            modify
                .send()
                .await
                .map_err(|e| error("ec2:ModifyVpcEndpoint", e))?;
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(client, id, ctx, prior, planned).await?;
        }
        let vpc = planned
            .get("vpc_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.wait_available(id, vpc, ctx).await
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let vpc = prior
            .get("vpc_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let client = self.ec2.client().await?;
        let out = match client
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                // Deleting again what is deleted succeeds; endpoints stay
                // listed as "deleted" for a while and some endpoints (moto)
                // answer a repeated delete with an error about its routes.
                let e = error("ec2:DeleteVpcEndpoints", e);
                let live = self.in_vpcs([vpc], &ctx.default_tags).await?;
                return if live.contains_key(id) {
                    Err(e)
                } else {
                    Ok(())
                };
            }
        };
        // Failures come back per endpoint, not as an error of the call.
        if let Some(u) = out.unsuccessful().first() {
            let code = u.error().and_then(|e| e.code()).unwrap_or("UnknownError");
            if !code.ends_with("NotFound") {
                return Err(ProviderError::new(
                    "ec2:DeleteVpcEndpoints",
                    code,
                    u.error().and_then(|e| e.message()).unwrap_or_default(),
                ));
            }
        }
        wait_gone("VPC endpoint", id, ctx.timeout, POLL, || async {
            Ok(self
                .in_vpcs([vpc], &ctx.default_tags)
                .await?
                .into_iter()
                .map(|(id, (o, _))| (id, o))
                .collect())
        })
        .await
    }
}
