//! `aws_vpc_security_group_ingress_rule` and `..._egress_rule`: one rule
//! each, as a resource of its own, so groups can reference each other
//! without a cycle. One type, two directions. Every attribute but the group
//! changes in place (ModifySecurityGroupRules).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, UserIdGroupPair,
};
use cairn_aws::error;
use cairn_core::provider::{ReadContext, ValidationIssue};
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Value,
};

use crate::common::{filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2};
use crate::security_group::pair_descriptions;

const SOURCES: &[&str] = &[
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "referenced_security_group_id",
];

pub struct SecurityGroupRule {
    ec2: Arc<Ec2>,
    egress: bool,
}

impl SecurityGroupRule {
    pub fn ingress(ec2: Arc<Ec2>) -> Self {
        SecurityGroupRule { ec2, egress: false }
    }

    pub fn egress(ec2: Arc<Ec2>) -> Self {
        SecurityGroupRule { ec2, egress: true }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("One rule of a VPC security group.")
            .attr(
                "security_group_id",
                Attribute::string().required().force_new(),
            )
            .attr(
                "ip_protocol",
                Attribute::string()
                    .required()
                    .check(Check::OneOf(&["tcp", "udp", "icmp", "icmpv6", "-1"]))
                    .describe("tcp, udp, icmp, icmpv6, or -1 for all"),
            )
            .attr(
                "from_port",
                Attribute::number().check(Check::Range(-1, 65535)),
            )
            .attr(
                "to_port",
                Attribute::number().check(Check::Range(-1, 65535)),
            )
            .attr("cidr_ipv4", Attribute::string().check(Check::Ipv4Cidr))
            .attr("cidr_ipv6", Attribute::string())
            .attr("prefix_list_id", Attribute::string())
            .attr("referenced_security_group_id", Attribute::string())
            .attr("description", Attribute::string())
            .attr("id", Attribute::string().computed())
            .attr("security_group_rule_id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn text(o: &Object, k: &str) -> Option<String> {
    o.str(k).filter(|s| !s.is_empty()).map(str::to_string)
}

fn port(o: &Object, k: &str) -> Option<i32> {
    o.i64(k).map(|p| p as i32)
}

impl SecurityGroupRule {
    fn operation(&self, verb: &str) -> String {
        let dir = if self.egress { "Egress" } else { "Ingress" };
        format!("ec2:{verb}SecurityGroup{dir}")
    }

    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let rules: Vec<_> = client
            .describe_security_group_rules()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
        let rules: Vec<_> = rules
            .into_iter()
            .filter(|r| r.is_egress() == Some(self.egress))
            .collect();
        // Some endpoints (moto) leave the description of group-referencing
        // rules out of DescribeSecurityGroupRules: take it from the group.
        // Each group once: moto answers NotFound to a repeated id.
        let needs: Vec<String> = rules
            .iter()
            .filter(|r| r.referenced_group_info().is_some() && r.description().is_none())
            .filter_map(|r| r.group_id().map(str::to_string))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let pairs = if needs.is_empty() {
            HashMap::new()
        } else {
            let groups = client
                .describe_security_groups()
                .set_group_ids(Some(needs))
                .send()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
            pair_descriptions(groups.security_groups())
        };
        Ok(rules
            .iter()
            .filter_map(|r| {
                let id = r.security_group_rule_id()?.to_string();
                let protocol = r.ip_protocol().unwrap_or("-1").to_ascii_lowercase();
                let all = protocol == "-1";
                let (from, to) = (r.from_port().unwrap_or(-1), r.to_port().unwrap_or(-1));
                let referenced = r
                    .referenced_group_info()
                    .and_then(|g| g.group_id())
                    .map(str::to_string);
                let description = r.description().map(str::to_string).or_else(|| {
                    let key = (
                        r.group_id()?.to_string(),
                        self.egress,
                        protocol.clone(),
                        if all { 0 } else { from as i64 },
                        if all { 0 } else { to as i64 },
                        referenced.clone()?,
                    );
                    pairs.get(&key).cloned()
                });
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert("security_group_rule_id".into(), id.as_str().into());
                obj.insert("arn".into(), Value::from(r.security_group_rule_arn()));
                obj.insert("security_group_id".into(), Value::from(r.group_id()));
                obj.insert("ip_protocol".into(), protocol.as_str().into());
                // "All protocols" has no ports (AWS reports -1).
                obj.insert(
                    "from_port".into(),
                    if all {
                        Value::Null
                    } else {
                        Value::from(from as i64)
                    },
                );
                obj.insert(
                    "to_port".into(),
                    if all {
                        Value::Null
                    } else {
                        Value::from(to as i64)
                    },
                );
                obj.insert("cidr_ipv4".into(), Value::from(r.cidr_ipv4()));
                obj.insert("cidr_ipv6".into(), Value::from(r.cidr_ipv6()));
                obj.insert("prefix_list_id".into(), Value::from(r.prefix_list_id()));
                obj.insert(
                    "referenced_security_group_id".into(),
                    Value::from(referenced),
                );
                obj.insert("description".into(), Value::from(description));
                tags::set_live(&mut obj, &from_sdk(r.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("security-group-rule-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeSecurityGroupRules",
                    "InvalidSecurityGroupRuleId.NotFound",
                    format!("security group rule {id} not found after writing it"),
                )
            })
    }

    /// The live rule of the group that is this permission, if any (after a
    /// duplicate: the rule an interrupted run created).
    async fn find_same(
        &self,
        planned: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let Some(group) = text(planned, "security_group_id") else {
            return Ok(None);
        };
        let rules = self
            .read_filtered(vec![filter("group-id", [group])], default_tags)
            .await?;
        let same = |o: &Object| {
            [
                "ip_protocol",
                "cidr_ipv4",
                "cidr_ipv6",
                "prefix_list_id",
                "referenced_security_group_id",
            ]
            .iter()
            .all(|k| text(o, k) == text(planned, k))
                && (text(planned, "ip_protocol").as_deref() == Some("-1")
                    || (port(o, "from_port") == port(planned, "from_port")
                        && port(o, "to_port") == port(planned, "to_port")))
        };
        Ok(rules.into_values().find(|o| same(o)))
    }
}

fn permission(planned: &Object) -> IpPermission {
    let description = text(planned, "description");
    let mut p = IpPermission::builder()
        .set_ip_protocol(text(planned, "ip_protocol"))
        .set_from_port(port(planned, "from_port"))
        .set_to_port(port(planned, "to_port"));
    if let Some(c) = text(planned, "cidr_ipv4") {
        p = p.ip_ranges(
            IpRange::builder()
                .cidr_ip(c)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(c) = text(planned, "cidr_ipv6") {
        p = p.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(c) = text(planned, "prefix_list_id") {
        p = p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(c)
                .set_description(description.clone())
                .build(),
        );
    }
    if let Some(g) = text(planned, "referenced_security_group_id") {
        p = p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(description)
                .build(),
        );
    }
    p.build()
}

#[async_trait]
impl Resource for SecurityGroupRule {
    fn type_name(&self) -> &'static str {
        if self.egress {
            "aws_vpc_security_group_egress_rule"
        } else {
            "aws_vpc_security_group_ingress_rule"
        }
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let set = SOURCES
            .iter()
            .filter(|k| config.get(**k).is_some_and(|v| !v.is_null()))
            .count();
        // An unknown source may turn out null: decide when all are known.
        let undecided = SOURCES
            .iter()
            .any(|k| config.get(*k).is_some_and(Value::is_unknown));
        if set != 1 && !undecided {
            issues.push(ValidationIssue {
                attribute: "cidr_ipv4".into(),
                message: format!("set exactly one of {}, found {set}", SOURCES.join(", ")),
            });
        }
        let protocol = text(config, "ip_protocol");
        match (port(config, "from_port"), port(config, "to_port")) {
            (Some(from), Some(to)) if from > to && protocol.as_deref() != Some("icmp") => issues
                .push(ValidationIssue {
                    attribute: "from_port".into(),
                    message: format!("from_port ({from}) is greater than to_port ({to})"),
                }),
            (None, _) | (_, None)
                if matches!(protocol.as_deref(), Some("tcp") | Some("udp"))
                    && !config.get("from_port").is_some_and(Value::is_unknown)
                    && !config.get("to_port").is_some_and(Value::is_unknown) =>
            {
                issues.push(ValidationIssue {
                    attribute: "from_port".into(),
                    message: "tcp and udp rules need from_port and to_port".into(),
                })
            }
            _ => {}
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        read_by_ids(requests, "security-group-rule-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await
    }

    // No tags, so no ownership listing: a rule exists only once per group,
    // so a retried create adopts the duplicate an interrupted run left.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let group = text(planned, "security_group_id").unwrap_or_default();
        let tags = tag_spec(ResourceType::SecurityGroupRule, &ctx.create_tags(planned));
        let result = if self.egress {
            client
                .authorize_security_group_egress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(tags)
                .send()
                .await
                .map(|o| o.security_group_rules().to_vec())
                .map_err(|e| error(&self.operation("Authorize"), e))
        } else {
            client
                .authorize_security_group_ingress()
                .group_id(&group)
                .ip_permissions(permission(planned))
                .tag_specifications(tags)
                .send()
                .await
                .map(|o| o.security_group_rules().to_vec())
                .map_err(|e| error(&self.operation("Authorize"), e))
        };
        match result {
            Ok(rules) => {
                let id = rules
                    .first()
                    .and_then(|r| r.security_group_rule_id())
                    .unwrap_or_default()
                    .to_string();
                self.read_one(&id, &ctx.default_tags)
                    .await
                    .map_err(|e| e.with_partial_id(&id))
            }
            Err(e) if e.code == "InvalidPermission.Duplicate" => {
                match self.find_same(planned, &ctx.default_tags).await? {
                    Some(existing) => {
                        tracing::info!(
                            address = %ctx.address,
                            "the rule already exists (an interrupted run's, or made by hand): adopting it"
                        );
                        Ok(existing)
                    }
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
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
        if changed.iter().any(|c| c != "tags") {
            let rule = SecurityGroupRuleRequest::builder()
                .set_ip_protocol(text(planned, "ip_protocol"))
                .set_from_port(port(planned, "from_port").or(Some(-1)))
                .set_to_port(port(planned, "to_port").or(Some(-1)))
                .set_cidr_ipv4(text(planned, "cidr_ipv4"))
                .set_cidr_ipv6(text(planned, "cidr_ipv6"))
                .set_prefix_list_id(text(planned, "prefix_list_id"))
                .set_referenced_group_id(text(planned, "referenced_security_group_id"))
                .set_description(text(planned, "description"))
                .build();
            client
                .modify_security_group_rules()
                .group_id(text(planned, "security_group_id").unwrap_or_default())
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(id)
                        .security_group_rule(rule)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| error("ec2:ModifySecurityGroupRules", e))?;
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(client, id, ctx, prior, planned).await?;
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let group = text(prior, "security_group_id").unwrap_or_default();
        let result = if self.egress {
            client
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&self.operation("Revoke"), e))
        } else {
            client
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error(&self.operation("Revoke"), e))
        };
        match result {
            Err(e) if !(cairn_aws::is_not_found(&e) || e.code == "InvalidPermission.NotFound") => {
                Err(e)
            }
            _ => Ok(()),
        }
    }
}
