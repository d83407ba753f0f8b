//! `aws_security_group` with inline `ingress` and `egress` rules.
//!
//! Rules are reconciled as atoms, one per source (a CIDR, an IPv6 CIDR, a
//! prefix list or a group): missing atoms are authorized in one call per
//! direction, extra ones revoked by their rule ids. Rules are read back with
//! DescribeSecurityGroupRules and grouped as Terraform shows them: one rule
//! per (protocol, ports, description) with its sources in sets.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule,
    UserIdGroupPair,
};
use cairn_aws::{created_id, delete_with_retry, error};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::common::{
    arn, dependents_draining, filter, from_sdk, read_by_ids, tag_spec, update_tags, Ec2,
    FILTER_CHUNK,
};

pub struct SecurityGroup {
    ec2: Arc<Ec2>,
}

impl SecurityGroup {
    pub fn new(ec2: Arc<Ec2>) -> Self {
        SecurityGroup { ec2 }
    }
}

const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp", "icmpv6", "-1"];

fn rule_schema() -> Schema {
    let strings = || Attribute::new(Type::set(Type::String));
    Schema::new()
        .attr(
            "from_port",
            Attribute::number()
                .required()
                .check(Check::Range(-1, 65535)),
        )
        .attr(
            "to_port",
            Attribute::number()
                .required()
                .check(Check::Range(-1, 65535)),
        )
        .attr(
            "protocol",
            Attribute::string()
                .required()
                .check(Check::OneOf(PROTOCOLS))
                .describe("tcp, udp, icmp, icmpv6, or -1 for all"),
        )
        .attr("cidr_blocks", strings())
        .attr("ipv6_cidr_blocks", strings())
        .attr("prefix_list_ids", strings())
        .attr("security_groups", strings())
        .attr("self", Attribute::bool().default(false))
        .attr("description", Attribute::string())
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let rules = || Attribute::new(Type::set(Type::object(rule_schema()))).optional_computed();
        Schema::new()
            .describe("A security group with inline rules.")
            .attr("name", Attribute::string().optional_computed().force_new())
            .attr(
                "description",
                Attribute::string()
                    .default("Managed by Terraform")
                    .force_new(),
            )
            .attr(
                "vpc_id",
                Attribute::string().optional_computed().force_new(),
            )
            .attr("ingress", rules())
            .attr("egress", rules())
            .attr("revoke_rules_on_delete", Attribute::bool().default(false))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .with_tags()
    })
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
}

/// One permission for one source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Atom {
    protocol: String,
    from: i64,
    to: i64,
    source: Source,
    description: String,
}

pub(crate) fn normalize_ports(protocol: &str, from: i64, to: i64) -> (i64, i64) {
    // AWS ignores ports for "all protocols" and reports -1; configurations
    // say 0.
    if protocol == "-1" {
        (0, 0)
    } else {
        (from, to)
    }
}

/// The atoms a configured rule list stands for (`self_id` for `self = true`).
fn atoms_of(rules: Option<&Value>, self_id: &str) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for rule in rules.and_then(Value::as_list).unwrap_or(&[]) {
        let Some(r) = rule.as_map() else { continue };
        let protocol = r
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("-1")
            .to_ascii_lowercase();
        let (from, to) = normalize_ports(
            &protocol,
            r.get("from_port").and_then(Value::as_i64).unwrap_or(0),
            r.get("to_port").and_then(Value::as_i64).unwrap_or(0),
        );
        let description = r
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let list = |k: &str| {
            r.get(k)
                .and_then(Value::as_list)
                .unwrap_or(&[])
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        let mut sources: Vec<Source> = Vec::new();
        sources.extend(list("cidr_blocks").into_iter().map(Source::Cidr));
        sources.extend(list("ipv6_cidr_blocks").into_iter().map(Source::Ipv6));
        sources.extend(list("prefix_list_ids").into_iter().map(Source::PrefixList));
        sources.extend(list("security_groups").into_iter().map(Source::Group));
        if r.get("self").and_then(Value::as_bool) == Some(true) {
            sources.push(Source::Group(self_id.to_string()));
        }
        for source in sources {
            out.insert(Atom {
                protocol: protocol.clone(),
                from,
                to,
                source,
                description: description.clone(),
            });
        }
    }
    out
}

fn atom_of(rule: &SecurityGroupRule) -> Option<Atom> {
    let protocol = rule.ip_protocol()?.to_ascii_lowercase();
    let (from, to) = normalize_ports(
        &protocol,
        rule.from_port().unwrap_or(-1) as i64,
        rule.to_port().unwrap_or(-1) as i64,
    );
    let source = if let Some(c) = rule.cidr_ipv4() {
        Source::Cidr(c.to_string())
    } else if let Some(c) = rule.cidr_ipv6() {
        Source::Ipv6(c.to_string())
    } else if let Some(p) = rule.prefix_list_id() {
        Source::PrefixList(p.to_string())
    } else {
        Source::Group(rule.referenced_group_info()?.group_id()?.to_string())
    };
    Some(Atom {
        protocol,
        from,
        to,
        source,
        description: rule.description().unwrap_or_default().to_string(),
    })
}

/// Groups atoms into rule objects the way configurations write them.
fn rules_value(atoms: &[Atom], self_id: &str) -> Value {
    let mut groups: BTreeMap<(String, i64, i64, String), Vec<&Source>> = BTreeMap::new();
    for a in atoms {
        groups
            .entry((a.protocol.clone(), a.from, a.to, a.description.clone()))
            .or_default()
            .push(&a.source);
    }
    let rules = groups
        .into_iter()
        .map(|((protocol, from, to, description), sources)| {
            let pick = |f: &dyn Fn(&Source) -> Option<String>| {
                let mut v: Vec<String> = sources.iter().filter_map(|s| f(s)).collect();
                v.sort();
                Value::from(v)
            };
            let mut r = Object::new();
            r.insert("protocol".into(), protocol.into());
            r.insert("from_port".into(), Value::from(from));
            r.insert("to_port".into(), Value::from(to));
            r.insert("description".into(), description.into());
            r.insert(
                "cidr_blocks".into(),
                pick(&|s| matches!(s, Source::Cidr(_)).then(|| source_text(s))),
            );
            r.insert(
                "ipv6_cidr_blocks".into(),
                pick(&|s| matches!(s, Source::Ipv6(_)).then(|| source_text(s))),
            );
            r.insert(
                "prefix_list_ids".into(),
                pick(&|s| matches!(s, Source::PrefixList(_)).then(|| source_text(s))),
            );
            r.insert(
                "security_groups".into(),
                pick(&|s| matches!(s, Source::Group(g) if g != self_id).then(|| source_text(s))),
            );
            r.insert(
                "self".into(),
                sources
                    .iter()
                    .any(|s| matches!(s, Source::Group(g) if g == self_id))
                    .into(),
            );
            Value::Map(r)
        })
        .collect();
    Value::List(rules)
}

fn source_text(s: &Source) -> String {
    match s {
        Source::Cidr(x) | Source::Ipv6(x) | Source::PrefixList(x) | Source::Group(x) => x.clone(),
    }
}

fn permission(a: &Atom) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&a.protocol);
    if a.protocol != "-1" {
        p = p.from_port(a.from as i32).to_port(a.to as i32);
    }
    let d = (!a.description.is_empty()).then(|| a.description.clone());
    p = match &a.source {
        Source::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(d).build()),
        Source::Ipv6(c) => {
            p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(d).build())
        }
        Source::PrefixList(id) => p.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(d)
                .build(),
        ),
        Source::Group(g) => p.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(d)
                .build(),
        ),
    };
    p.build()
}

/// `revoke_rules_on_delete` is cairn's own setting, not AWS's: it is kept
/// from what was planned or recorded.
fn keep_config_only(obj: &mut Object, from: &Object) {
    let v = from
        .get("revoke_rules_on_delete")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    obj.insert("revoke_rules_on_delete".into(), v.into());
}

/// Descriptions of group-referencing rules by (group, egress, protocol,
/// ports, referenced group), from DescribeSecurityGroups: some endpoints
/// (moto) leave them out of DescribeSecurityGroupRules.
pub(crate) type PairKey = (String, bool, String, i64, i64, String);

pub(crate) fn pair_descriptions(
    groups: &[aws_sdk_ec2::types::SecurityGroup],
) -> HashMap<PairKey, String> {
    let mut out = HashMap::new();
    for g in groups {
        let Some(id) = g.group_id() else { continue };
        for (egress, perms) in [
            (false, g.ip_permissions()),
            (true, g.ip_permissions_egress()),
        ] {
            for p in perms {
                let protocol = p.ip_protocol().unwrap_or("-1").to_ascii_lowercase();
                let (from, to) = normalize_ports(
                    &protocol,
                    p.from_port().unwrap_or(-1) as i64,
                    p.to_port().unwrap_or(-1) as i64,
                );
                for pair in p.user_id_group_pairs() {
                    if let (Some(other), Some(d)) = (pair.group_id(), pair.description()) {
                        out.insert(
                            (
                                id.to_string(),
                                egress,
                                protocol.clone(),
                                from,
                                to,
                                other.to_string(),
                            ),
                            d.to_string(),
                        );
                    }
                }
            }
        }
    }
    out
}

/// The live rules of many groups, with their rule ids.
type LiveRules = HashMap<String, Vec<(bool, String, Atom)>>;

impl SecurityGroup {
    async fn live_rules(
        &self,
        groups: &[aws_sdk_ec2::types::SecurityGroup],
    ) -> Result<LiveRules, ProviderError> {
        let ids: Vec<String> = groups
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect();
        let pair_descriptions = pair_descriptions(groups);
        let client = self.ec2.client().await?;
        let mut out: LiveRules = HashMap::new();
        for chunk in ids.chunks(FILTER_CHUNK) {
            let rules: Vec<SecurityGroupRule> = client
                .describe_security_group_rules()
                .filters(filter("group-id", chunk.iter().cloned()))
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| error("ec2:DescribeSecurityGroupRules", e))?;
            for r in rules {
                let (Some(group), Some(rule_id), Some(mut atom)) =
                    (r.group_id(), r.security_group_rule_id(), atom_of(&r))
                else {
                    continue;
                };
                let egress = r.is_egress().unwrap_or(false);
                if let (Source::Group(g), true) = (&atom.source, atom.description.is_empty()) {
                    let key = (
                        group.to_string(),
                        egress,
                        atom.protocol.clone(),
                        atom.from,
                        atom.to,
                        g.clone(),
                    );
                    if let Some(d) = pair_descriptions.get(&key) {
                        atom.description = d.clone();
                    }
                }
                out.entry(group.to_string())
                    .or_default()
                    .push((egress, rule_id.to_string(), atom));
            }
        }
        Ok(out)
    }

    async fn read_filtered(
        &self,
        filters: Vec<aws_sdk_ec2::types::Filter>,
        default_tags: &tags::Tags,
    ) -> Result<HashMap<String, Object>, ProviderError> {
        let client = self.ec2.client().await?;
        let region = self.ec2.region().await;
        let groups: Vec<_> = client
            .describe_security_groups()
            .set_filters(Some(filters))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
        let mut rules = if groups.is_empty() {
            LiveRules::new()
        } else {
            self.live_rules(&groups).await?
        };
        Ok(groups
            .into_iter()
            .filter_map(|g| {
                let id = g.group_id()?.to_string();
                let owner = g.owner_id().unwrap_or_default();
                let live = rules.remove(&id).unwrap_or_default();
                let (egress, ingress): (Vec<_>, Vec<_>) =
                    live.into_iter().partition(|(e, _, _)| *e);
                let mut obj = Object::new();
                obj.insert("id".into(), id.as_str().into());
                obj.insert(
                    "arn".into(),
                    arn(&region, owner, "security-group", &id).into(),
                );
                obj.insert("owner_id".into(), owner.into());
                obj.insert("name".into(), Value::from(g.group_name()));
                obj.insert("description".into(), Value::from(g.description()));
                obj.insert("vpc_id".into(), Value::from(g.vpc_id()));
                let atoms = |v: Vec<(bool, String, Atom)>| {
                    v.into_iter().map(|(_, _, a)| a).collect::<Vec<_>>()
                };
                obj.insert("ingress".into(), rules_value(&atoms(ingress), &id));
                obj.insert("egress".into(), rules_value(&atoms(egress), &id));
                tags::set_live(&mut obj, &from_sdk(g.tags()), default_tags);
                Some((id, obj))
            })
            .collect())
    }

    async fn read_one(&self, id: &str, default_tags: &tags::Tags) -> Result<Object, ProviderError> {
        self.read_filtered(vec![filter("group-id", [id])], default_tags)
            .await?
            .remove(id)
            .ok_or_else(|| {
                ProviderError::new(
                    "ec2:DescribeSecurityGroups",
                    "InvalidGroup.NotFound",
                    format!("security group {id} not found after writing it"),
                )
            })
    }

    /// Brings one direction's rules to `desired`.
    async fn reconcile(
        &self,
        id: &str,
        egress: bool,
        desired: &BTreeSet<Atom>,
    ) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        let groups = client
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(|e| error("ec2:DescribeSecurityGroups", e))?;
        let live: Vec<(String, Atom)> = self
            .live_rules(groups.security_groups())
            .await?
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .filter(|(e, _, _)| *e == egress)
            .map(|(_, rid, a)| (rid, a))
            .collect();
        let live_atoms: BTreeSet<&Atom> = live.iter().map(|(_, a)| a).collect();
        let revoke: Vec<String> = live
            .iter()
            .filter(|(_, a)| !desired.contains(a))
            .map(|(rid, _)| rid.clone())
            .collect();
        let authorize: Vec<IpPermission> = desired
            .iter()
            .filter(|a| !live_atoms.contains(a))
            .map(permission)
            .collect();
        if !revoke.is_empty() {
            if egress {
                client
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_security_group_rule_ids(Some(revoke))
                    .send()
                    .await
                    .map_err(|e| error("ec2:RevokeSecurityGroupEgress", e))?;
            } else {
                client
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_security_group_rule_ids(Some(revoke))
                    .send()
                    .await
                    .map_err(|e| error("ec2:RevokeSecurityGroupIngress", e))?;
            }
        }
        if !authorize.is_empty() {
            if egress {
                client
                    .authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(authorize))
                    .send()
                    .await
                    .map_err(|e| error("ec2:AuthorizeSecurityGroupEgress", e))?;
            } else {
                client
                    .authorize_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(authorize))
                    .send()
                    .await
                    .map_err(|e| error("ec2:AuthorizeSecurityGroupIngress", e))?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Resource for SecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        for dir in ["ingress", "egress"] {
            for (i, rule) in config
                .get(dir)
                .and_then(Value::as_list)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                let Some(r) = rule.as_map() else { continue };
                if let (Some(from), Some(to)) = (
                    r.get("from_port").and_then(Value::as_i64),
                    r.get("to_port").and_then(Value::as_i64),
                ) {
                    if from > to {
                        issues.push(ValidationIssue {
                            attribute: dir.to_string(),
                            message: format!(
                                "rule {i}: from_port ({from}) is greater than to_port ({to})"
                            ),
                        });
                    }
                }
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut out = read_by_ids(requests, "group-id", |f| {
            self.read_filtered(f, &ctx.default_tags)
        })
        .await?;
        // `revoke_rules_on_delete` exists only in config and state, not in AWS.
        for (outcome, r) in out.iter_mut().zip(requests) {
            if let ReadOutcome::Live(obj) = outcome {
                keep_config_only(obj, r.prior);
            }
        }
        Ok(out)
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.ec2.owned_by_stack(stack, "security-group").await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec2.client().await?;
        let s = |k: &str| planned.str(k).map(str::to_string);
        // A name is required by AWS; derive one from the create's token so a
        // retried create asks for the same name.
        let name = s("name").unwrap_or_else(|| {
            format!(
                "cairn-{}",
                &ctx.idempotency_token.replace('-', "")[..16.min(ctx.idempotency_token.len())]
            )
        });
        let out = client
            .create_security_group()
            .group_name(name)
            .description(s("description").unwrap_or_else(|| "Managed by Terraform".into()))
            .set_vpc_id(s("vpc_id"))
            .tag_specifications(tag_spec(
                ResourceType::SecurityGroup,
                &ctx.create_tags(planned),
            ))
            .send()
            .await
            .map_err(|e| error("ec2:CreateSecurityGroup", e))?;
        let id = created_id("ec2:CreateSecurityGroup", out.group_id())?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        // As in Terraform, AWS's default allow-all egress rule is removed
        // unless the configuration asks for it.
        self.reconcile(&id, false, &atoms_of(planned.get("ingress"), &id))
            .await
            .map_err(partial)?;
        self.reconcile(&id, true, &atoms_of(planned.get("egress"), &id))
            .await
            .map_err(partial)?;
        let mut obj = self
            .read_one(&id, &ctx.default_tags)
            .await
            .map_err(partial)?;
        keep_config_only(&mut obj, planned);
        Ok(obj)
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
        for name in changed {
            match name.as_str() {
                "ingress" => {
                    self.reconcile(id, false, &atoms_of(planned.get("ingress"), id))
                        .await?
                }
                "egress" => {
                    self.reconcile(id, true, &atoms_of(planned.get("egress"), id))
                        .await?
                }
                "tags" => update_tags(client, id, ctx, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        let mut obj = self.read_one(id, &ctx.default_tags).await?;
        keep_config_only(&mut obj, planned);
        Ok(obj)
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let client = self.ec2.client().await?;
        if prior.bool("revoke_rules_on_delete") == Some(true) {
            self.reconcile(id, false, &BTreeSet::new()).await?;
            self.reconcile(id, true, &BTreeSet::new()).await?;
        }
        delete_with_retry("security group", &[dependents_draining(ctx)], || async {
            client
                .delete_security_group()
                .group_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ec2:DeleteSecurityGroup", e))
        })
        .await
    }
}
