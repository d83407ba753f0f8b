//! `aws_elasticache_replication_group`: a Redis or Valkey replication group
//! with cluster mode disabled (one shard, `num_cache_clusters` nodes). The
//! id is `replication_group_id`. Port, subnet group, at-rest encryption,
//! KMS key and data tiering force a new group, as in Terraform; so does
//! going from Valkey back to Redis, and changing transit encryption below
//! engine 7.0.5. Everything else changes in place: ModifyReplicationGroup
//! (the AUTH token in a call of its own, applied at once, as AWS wants),
//! Increase/DecreaseReplicaCount for `num_cache_clusters`. Create, update
//! and delete wait for the group, bounded by the operation's `timeouts`.
//!
//! `auth_token` is sensitive everywhere and never read back (AWS says only
//! whether one is set): a group whose token was removed outside cairn
//! reads with none, so the next plan sets it again.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, AutomaticFailoverStatus, DataTieringStatus, MultiAzStatus,
    ReplicationGroup as SdkGroup, TransitEncryptionMode,
};
use cairn_aws::{
    delete_with_retry, error, read_concurrently, wait_until, ReadFuture, RetryOn, Tagging,
    TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::members::{self, Settings};
use crate::{
    id_of, is_gone, lower, owned, sdk_tags, tags_of, update_tags, ElastiCache, TAG_READ_CONCURRENCY,
};

pub struct ReplicationGroup {
    ec: Arc<ElastiCache>,
    tagging: Arc<Tagging>,
}

impl ReplicationGroup {
    pub fn new(ec: Arc<ElastiCache>, tagging: Arc<Tagging>) -> Self {
        ReplicationGroup { ec, tagging }
    }
}

const POLL: Duration = Duration::from_secs(10);

/// A Modify takes a moment to show: AWS still answers `available` right
/// after the call (Terraform waits as long before its first look).
const SETTLE: Duration = Duration::from_secs(30);

/// 1-40 letters, digits and hyphens; a letter first, no two hyphens in a
/// row, no hyphen last.
fn check_id(v: &Value) -> Result<(), String> {
    let Some(id) = v.as_str() else { return Ok(()) };
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.contains("--")
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}`: a replication group id has 1 to 40 letters, digits and hyphens, starts with a letter, and has no two hyphens in a row nor one at the end"
        ))
    }
}

/// AWS's rule for an AUTH token. The message never repeats the value.
fn check_auth_token(v: &Value) -> Result<(), String> {
    let Some(t) = v.as_str() else { return Ok(()) };
    if !(16..=128).contains(&t.len()) {
        return Err(format!(
            "an AUTH token has 16 to 128 characters, this one has {}",
            t.len()
        ));
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!&#$^<>-".contains(c))
    {
        return Err(
            "an AUTH token has only letters, digits and the characters ! & # $ ^ < > -".into(),
        );
    }
    Ok(())
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An ElastiCache Redis or Valkey replication group, cluster mode disabled (id: replication_group_id); port, subnet group, at-rest encryption, KMS key and data tiering force a new one, the rest changes in place; waits for `available`.")
            .attr(
                "replication_group_id",
                Attribute::string()
                    .required()
                    .force_new()
                    .canonical(lower)
                    .check(Check::Custom(check_id)),
            )
            .attr("description", Attribute::string().required())
            .attr(
                "engine",
                Attribute::string()
                    .default("redis")
                    .check(Check::OneOf(&["redis", "valkey"]))
                    .describe("redis or valkey; valkey back to redis replaces the group"),
            )
            .attr("engine_version", Attribute::string().optional_computed())
            .attr("engine_version_actual", Attribute::string().computed())
            .attr("node_type", Attribute::string().optional_computed())
            .attr(
                "num_cache_clusters",
                Attribute::number()
                    .optional_computed()
                    .check(Check::Range(1, 6))
                    .describe("the primary and its replicas"),
            )
            .attr("port", Attribute::number().optional_computed().force_new())
            .attr("parameter_group_name", Attribute::string().optional_computed())
            .attr("subnet_group_name", Attribute::string().optional_computed().force_new())
            .attr(
                "security_group_ids",
                Attribute::new(Type::set(Type::String)).optional_computed(),
            )
            .attr(
                "at_rest_encryption_enabled",
                Attribute::bool().optional_computed().force_new(),
            )
            .attr("transit_encryption_enabled", Attribute::bool().optional_computed())
            .attr(
                "transit_encryption_mode",
                Attribute::string()
                    .optional_computed()
                    .check(Check::OneOf(&["preferred", "required"])),
            )
            .attr(
                "auth_token",
                Attribute::string()
                    .sensitive()
                    .check(Check::Custom(check_auth_token))
                    .describe("needs transit_encryption_enabled; never read back"),
            )
            .attr(
                "auth_token_update_strategy",
                Attribute::string()
                    .default("ROTATE")
                    .check(Check::OneOf(&["SET", "ROTATE", "DELETE"])),
            )
            .attr("kms_key_id", Attribute::string().optional_computed().force_new())
            .attr("automatic_failover_enabled", Attribute::bool().default(false))
            .attr("multi_az_enabled", Attribute::bool().default(false))
            .attr(
                "snapshot_retention_limit",
                Attribute::number().optional_computed().check(Check::Range(0, 35)),
            )
            .attr("snapshot_window", Attribute::string().optional_computed())
            .attr(
                "maintenance_window",
                Attribute::string().optional_computed().canonical(lower),
            )
            .attr(
                "apply_immediately",
                Attribute::bool()
                    .default(false)
                    .describe("apply changes now rather than in the maintenance window"),
            )
            .attr("auto_minor_version_upgrade", Attribute::bool().default(true))
            .attr("notification_topic_arn", Attribute::string())
            .attr(
                "data_tiering_enabled",
                Attribute::bool().optional_computed().force_new(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("primary_endpoint_address", Attribute::string().computed())
            .attr("reader_endpoint_address", Attribute::string().computed())
            .attr("configuration_endpoint_address", Attribute::string().computed())
            .attr(
                "member_clusters",
                Attribute::new(Type::set(Type::String)).computed(),
            )
            .attr("cluster_enabled", Attribute::bool().computed())
            .with_tags()
    })
}

/// A recorded (or planned) value, or null where it is not known.
fn kept(prior: &Object, name: &str) -> Value {
    prior
        .get(name)
        .filter(|v| v.is_wholly_known())
        .cloned()
        .unwrap_or(Value::Null)
}

/// Whether a configured version (`7.1`, `6.x`) names the running one
/// (`7.1.0`, `6.2.6`): then the configured spelling is kept.
fn version_matches(configured: &str, actual: &str) -> bool {
    let mut running = actual.split('.');
    configured
        .split('.')
        .all(|c| running.next().is_some_and(|r| c == "x" || c == r))
}

/// (major, minor, patch) of a version, `x` as 0.
fn version(v: &str) -> (u32, u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn object(
    g: &SdkGroup,
    member: Option<&Settings>,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
    prior: &Object,
) -> Object {
    let id = g.replication_group_id().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), id.into());
    o.insert("replication_group_id".into(), id.into());
    o.insert("arn".into(), Value::from(g.arn()));
    o.insert("description".into(), Value::from(g.description()));
    o.insert(
        "engine".into(),
        match g.engine() {
            Some(e) => e.into(),
            None => kept(prior, "engine"),
        },
    );
    o.insert("node_type".into(), Value::from(g.cache_node_type()));
    let members = g.member_clusters();
    o.insert(
        "num_cache_clusters".into(),
        if members.is_empty() {
            kept(prior, "num_cache_clusters")
        } else {
            Value::from(members.len() as i64)
        },
    );
    o.insert("member_clusters".into(), Value::from(members.to_vec()));
    let first = g.node_groups().first();
    let primary = first.and_then(|n| n.primary_endpoint());
    o.insert(
        "primary_endpoint_address".into(),
        Value::from(primary.and_then(|e| e.address())),
    );
    o.insert(
        "reader_endpoint_address".into(),
        Value::from(
            first
                .and_then(|n| n.reader_endpoint())
                .and_then(|e| e.address()),
        ),
    );
    o.insert(
        "configuration_endpoint_address".into(),
        Value::from(g.configuration_endpoint().and_then(|e| e.address())),
    );
    let port = g
        .configuration_endpoint()
        .and_then(|e| e.port())
        .or_else(|| primary.and_then(|e| e.port()));
    o.insert(
        "port".into(),
        match port {
            Some(p) => Value::from(p),
            None => kept(prior, "port"),
        },
    );
    o.insert(
        "cluster_enabled".into(),
        g.cluster_enabled().unwrap_or(false).into(),
    );
    o.insert(
        "at_rest_encryption_enabled".into(),
        g.at_rest_encryption_enabled().unwrap_or(false).into(),
    );
    o.insert(
        "transit_encryption_enabled".into(),
        g.transit_encryption_enabled().unwrap_or(false).into(),
    );
    o.insert(
        "transit_encryption_mode".into(),
        match g.transit_encryption_mode() {
            Some(m) => m.as_str().into(),
            None => kept(prior, "transit_encryption_mode"),
        },
    );
    o.insert("kms_key_id".into(), Value::from(g.kms_key_id()));
    o.insert(
        "automatic_failover_enabled".into(),
        matches!(
            g.automatic_failover(),
            Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
        )
        .into(),
    );
    o.insert(
        "multi_az_enabled".into(),
        matches!(g.multi_az(), Some(MultiAzStatus::Enabled)).into(),
    );
    o.insert(
        "snapshot_retention_limit".into(),
        Value::from(g.snapshot_retention_limit().unwrap_or(0)),
    );
    o.insert("snapshot_window".into(), Value::from(g.snapshot_window()));
    o.insert(
        "auto_minor_version_upgrade".into(),
        match g.auto_minor_version_upgrade() {
            Some(b) => b.into(),
            None => kept(prior, "auto_minor_version_upgrade"),
        },
    );
    o.insert(
        "data_tiering_enabled".into(),
        matches!(g.data_tiering(), Some(DataTieringStatus::Enabled)).into(),
    );
    // The token itself is never answered; only whether there is one.
    o.insert(
        "auth_token".into(),
        match (g.auth_token_enabled(), kept(prior, "auth_token")) {
            (Some(false), _) | (_, Value::Null) => Value::Null,
            (_, token) => Value::sensitive(token.deep_unmarked()),
        },
    );
    for config_only in ["auth_token_update_strategy", "apply_immediately"] {
        o.insert(config_only.into(), kept(prior, config_only));
    }
    member_settings(&mut o, member, prior);
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

/// The attributes read from a member cluster. Where no member is listed
/// (moto makes none) the recorded values stand: nothing says otherwise.
fn member_settings(o: &mut Object, member: Option<&Settings>, prior: &Object) {
    let Some(m) = member else {
        for name in [
            "engine_version",
            "engine_version_actual",
            "parameter_group_name",
            "subnet_group_name",
            "security_group_ids",
            "maintenance_window",
            "notification_topic_arn",
        ] {
            o.insert(name.into(), kept(prior, name));
        }
        return;
    };
    let actual = m.engine_version.clone();
    let configured = prior.str("engine_version");
    o.insert(
        "engine_version".into(),
        match (configured, actual.as_deref()) {
            (Some(c), Some(a)) if version_matches(c, a) => c.into(),
            (_, a) => Value::from(a),
        },
    );
    o.insert("engine_version_actual".into(), Value::from(actual));
    o.insert(
        "parameter_group_name".into(),
        Value::from(m.parameter_group_name.clone()),
    );
    o.insert(
        "subnet_group_name".into(),
        Value::from(m.subnet_group_name.clone()),
    );
    o.insert(
        "security_group_ids".into(),
        Value::from(m.security_group_ids.clone()),
    );
    o.insert(
        "maintenance_window".into(),
        Value::from(m.maintenance_window.as_deref().map(str::to_ascii_lowercase)),
    );
    o.insert(
        "notification_topic_arn".into(),
        Value::from(m.notification_topic_arn.clone()),
    );
}

fn int(o: &Object, name: &str) -> Option<i32> {
    o.i64(name).and_then(|n| i32::try_from(n).ok())
}

fn text(o: &Object, name: &str) -> Option<String> {
    o.str(name).map(str::to_string)
}

impl ReplicationGroup {
    /// One group by id (`None`: gone).
    async fn describe(&self, id: &str) -> Result<Option<SdkGroup>, ProviderError> {
        let client = self.ec.client().await?;
        match client
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .replication_groups
                .unwrap_or_default()
                .into_iter()
                .next()),
            Err(e) => {
                let e = error("elasticache:DescribeReplicationGroups", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Every group by id: one call per 100.
    async fn list(&self) -> Result<HashMap<String, SdkGroup>, ProviderError> {
        let client = self.ec.client().await?;
        let pages = client
            .describe_replication_groups()
            .max_records(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("elasticache:DescribeReplicationGroups", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.replication_groups.unwrap_or_default())
            .filter_map(|g| Some((g.replication_group_id()?.to_string(), g)))
            .collect())
    }

    /// The settings of one group's first member cluster, by its id.
    async fn member(&self, g: &SdkGroup) -> Result<Option<Settings>, ProviderError> {
        let Some(first) = g.member_clusters().first() else {
            return Ok(None);
        };
        let client = self.ec.client().await?;
        match client
            .describe_cache_clusters()
            .cache_cluster_id(first)
            .send()
            .await
        {
            Ok(out) => Ok(out.cache_clusters().first().map(Settings::of)),
            Err(e) => {
                let e = error("elasticache:DescribeCacheClusters", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Waits until the group is `available`, reporting its status.
    async fn wait_available(&self, ctx: &OpContext, id: &str) -> Result<SdkGroup, ProviderError> {
        let what = format!("replication group {id} to be available");
        wait_until(&what, ctx.timeout, POLL, || async {
            let Some(g) = self.describe(id).await? else {
                return Err(ProviderError::new(
                    "elasticache:DescribeReplicationGroups",
                    "ReplicationGroupNotFoundFault",
                    format!("replication group {id} disappeared while waiting for it"),
                ));
            };
            match g.status() {
                Some("available") => Ok(Some(g)),
                Some("create-failed") => Err(ProviderError::new(
                    "elasticache:CreateReplicationGroup",
                    "CreateFailed",
                    format!("replication group {id} is `create-failed`"),
                )),
                status => {
                    ctx.progress.report(&format!(
                        "replication group {id}: {}",
                        status.unwrap_or("?")
                    ));
                    Ok(None)
                }
            }
        })
        .await
    }

    /// The group as it is after a write, with its member's settings and
    /// its tags.
    async fn read_written(
        &self,
        g: &SdkGroup,
        planned: &Object,
        live_tags: Option<tags::Tags>,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let member = self.member(g).await?;
        let live = match live_tags {
            Some(t) => t,
            None => tags_of(&self.ec, &TagsByArn::default(), g.arn().unwrap_or_default()).await?,
        };
        Ok(object(g, member.as_ref(), &live, default_tags, planned))
    }

    /// One ModifyReplicationGroup with every changed setting but the token.
    async fn modify(
        &self,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[&str],
    ) -> Result<(), ProviderError> {
        let client = self.ec.client().await?;
        let has = |n: &str| changed.contains(&n);
        let mut call = client
            .modify_replication_group()
            .replication_group_id(id)
            .apply_immediately(planned.bool("apply_immediately").unwrap_or(false));
        if has("description") {
            call = call.set_replication_group_description(text(planned, "description"));
        }
        if has("engine") {
            call = call.set_engine(text(planned, "engine"));
        }
        if has("engine") || has("engine_version") {
            call = call.set_engine_version(text(planned, "engine_version"));
        }
        if has("node_type") {
            call = call.set_cache_node_type(text(planned, "node_type"));
        }
        if has("parameter_group_name") {
            call = call.set_cache_parameter_group_name(text(planned, "parameter_group_name"));
        }
        if has("security_group_ids") {
            call = call.set_security_group_ids(Some(planned.strings("security_group_ids")));
        }
        if has("automatic_failover_enabled") {
            call = call.set_automatic_failover_enabled(planned.bool("automatic_failover_enabled"));
        }
        if has("multi_az_enabled") {
            call = call.set_multi_az_enabled(planned.bool("multi_az_enabled"));
        }
        if has("snapshot_retention_limit") {
            call = call.set_snapshot_retention_limit(Some(
                int(planned, "snapshot_retention_limit").unwrap_or(0),
            ));
        }
        if has("snapshot_window") {
            call = call.set_snapshot_window(text(planned, "snapshot_window"));
        }
        if has("maintenance_window") {
            call = call.set_preferred_maintenance_window(text(planned, "maintenance_window"));
        }
        if has("auto_minor_version_upgrade") {
            call = call.set_auto_minor_version_upgrade(planned.bool("auto_minor_version_upgrade"));
        }
        if has("notification_topic_arn") {
            call = match planned.str("notification_topic_arn") {
                Some(arn) => call.notification_topic_arn(arn),
                // Removing the topic: AWS keeps the ARN and stops sending.
                None => call
                    .set_notification_topic_arn(text(prior, "notification_topic_arn"))
                    .notification_topic_status("inactive"),
            };
        }
        if has("transit_encryption_enabled") {
            call = call.set_transit_encryption_enabled(planned.bool("transit_encryption_enabled"));
        }
        if has("transit_encryption_enabled") || has("transit_encryption_mode") {
            call = call.set_transit_encryption_mode(
                planned
                    .str("transit_encryption_mode")
                    .map(TransitEncryptionMode::from),
            );
        }
        call.send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticache:ModifyReplicationGroup", e))
    }

    /// A new AUTH token: AWS takes it only on its own and at once.
    async fn modify_auth_token(&self, id: &str, planned: &Object) -> Result<(), ProviderError> {
        let client = self.ec.client().await?;
        let token = planned.get("auth_token").map(Value::deep_unmarked);
        let strategy = match token.as_ref().and_then(Value::as_str) {
            Some(_) => planned
                .str("auth_token_update_strategy")
                .unwrap_or("ROTATE"),
            None => "DELETE",
        };
        client
            .modify_replication_group()
            .replication_group_id(id)
            .apply_immediately(true)
            .set_auth_token(token.as_ref().and_then(Value::as_str).map(str::to_string))
            .auth_token_update_strategy(AuthTokenUpdateStrategyType::from(strategy))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("elasticache:ModifyReplicationGroup", e))
    }

    /// `num_cache_clusters` is the primary plus its replicas.
    async fn set_replicas(
        &self,
        id: &str,
        prior: &Object,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec.client().await?;
        let want = int(planned, "num_cache_clusters").unwrap_or(1);
        let have = int(prior, "num_cache_clusters").unwrap_or(1);
        if want > have {
            client
                .increase_replica_count()
                .replication_group_id(id)
                .new_replica_count(want - 1)
                .apply_immediately(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("elasticache:IncreaseReplicaCount", e))
        } else {
            client
                .decrease_replica_count()
                .replication_group_id(id)
                .new_replica_count(want - 1)
                .apply_immediately(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("elasticache:DecreaseReplicaCount", e))
        }
    }
}

/// The settings ModifyReplicationGroup changes.
const MODIFIED: &[&str] = &[
    "description",
    "engine",
    "engine_version",
    "node_type",
    "parameter_group_name",
    "security_group_ids",
    "automatic_failover_enabled",
    "multi_az_enabled",
    "snapshot_retention_limit",
    "snapshot_window",
    "maintenance_window",
    "auto_minor_version_upgrade",
    "notification_topic_arn",
    "transit_encryption_enabled",
    "transit_encryption_mode",
];

#[async_trait]
impl Resource for ReplicationGroup {
    fn type_name(&self) -> &'static str {
        "aws_elasticache_replication_group"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let set = |n: &str| config.get(n).is_some_and(|v| !v.is_null());
        let transit = config.get("transit_encryption_enabled");
        if set("auth_token")
            && !transit.is_some_and(Value::is_unknown)
            && config.bool("transit_encryption_enabled") != Some(true)
        {
            issues.push(ValidationIssue {
                attribute: "auth_token".into(),
                message: "an AUTH token needs `transit_encryption_enabled = true`".into(),
            });
        }
        if config.bool("automatic_failover_enabled") == Some(true)
            && config.i64("num_cache_clusters").is_some_and(|n| n < 2)
        {
            issues.push(ValidationIssue {
                attribute: "automatic_failover_enabled".into(),
                message: "automatic failover needs a replica: `num_cache_clusters` of 2 or more"
                    .into(),
            });
        }
        if config.bool("multi_az_enabled") == Some(true)
            && config.bool("automatic_failover_enabled") == Some(false)
        {
            issues.push(ValidationIssue {
                attribute: "multi_az_enabled".into(),
                message: "Multi-AZ needs `automatic_failover_enabled = true`".into(),
            });
        }
        issues
    }

    fn replaces_on(&self, config: &Object, changed: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let has = |n: &str| changed.iter().any(|c| c == n);
        // ElastiCache upgrades Redis to Valkey in place, never back.
        if has("engine") && config.str("engine") == Some("redis") {
            out.push("engine".to_string());
        }
        // Before 7.0.5 transit encryption is set only at creation.
        if has("transit_encryption_enabled")
            && config
                .str("engine_version")
                .is_some_and(|v| version(v) < (7, 0, 5))
        {
            out.push("transit_encryption_enabled".to_string());
        }
        out
    }

    /// DescribeReplicationGroups once per 100 groups, DescribeCacheClusters
    /// once per 100 clusters (the member settings), the tagging listing
    /// once; ListTagsForResource only for a group missing from it.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        // A group being deleted is as good as gone (moto keeps deleted
        // groups listed `deleting` for good).
        let live = |id: &str| all.get(id).filter(|g| g.status() != Some("deleting"));
        let any = requests.iter().any(|r| live(r.id).is_some());
        let (listed_members, listed_tags) = if any {
            (
                members::list(&self.ec).await?,
                self.tagging.owned("elasticache", &ctx.stack).await?,
            )
        } else {
            (HashMap::new(), TagsByArn::default())
        };
        let reads = requests
            .iter()
            .map(|r| {
                let g = live(r.id);
                let (listed_members, listed_tags) = (&listed_members, &listed_tags);
                Box::pin(async move {
                    let Some(g) = g else { return Ok(None) };
                    let t = tags_of(&self.ec, listed_tags, g.arn().unwrap_or_default()).await?;
                    let member = members::first_of(g.member_clusters(), listed_members);
                    Ok(Some(object(g, member, &t, &ctx.default_tags, r.prior)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, TAG_READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(owned(&self.tagging, stack, "replicationgroup")
            .await?
            .iter()
            .filter_map(|(arn, t)| tags::owned_entry(stack, id_of(arn), t))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.ec.client().await?;
        let op = "elasticache:CreateReplicationGroup";
        let id = planned
            .str("replication_group_id")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let all_tags = ctx.create_tags(planned);
        let groups = planned.strings("security_group_ids");
        let token = planned.get("auth_token").map(Value::deep_unmarked);
        let out = client
            .create_replication_group()
            .replication_group_id(&id)
            .replication_group_description(planned.str("description").unwrap_or_default())
            .engine(planned.str("engine").unwrap_or("redis"))
            .set_engine_version(text(planned, "engine_version"))
            .set_cache_node_type(text(planned, "node_type"))
            .set_num_cache_clusters(int(planned, "num_cache_clusters"))
            .set_port(int(planned, "port"))
            .set_cache_parameter_group_name(text(planned, "parameter_group_name"))
            .set_cache_subnet_group_name(text(planned, "subnet_group_name"))
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_at_rest_encryption_enabled(planned.bool("at_rest_encryption_enabled"))
            .set_transit_encryption_enabled(planned.bool("transit_encryption_enabled"))
            .set_transit_encryption_mode(
                planned
                    .str("transit_encryption_mode")
                    .map(TransitEncryptionMode::from),
            )
            .set_auth_token(token.as_ref().and_then(Value::as_str).map(str::to_string))
            .set_kms_key_id(text(planned, "kms_key_id"))
            .automatic_failover_enabled(planned.bool("automatic_failover_enabled").unwrap_or(false))
            .multi_az_enabled(planned.bool("multi_az_enabled").unwrap_or(false))
            .set_snapshot_retention_limit(int(planned, "snapshot_retention_limit"))
            .set_snapshot_window(text(planned, "snapshot_window"))
            .set_preferred_maintenance_window(text(planned, "maintenance_window"))
            .auto_minor_version_upgrade(planned.bool("auto_minor_version_upgrade").unwrap_or(true))
            .set_notification_topic_arn(text(planned, "notification_topic_arn"))
            .set_data_tiering_enabled(planned.bool("data_tiering_enabled"))
            .set_tags(Some(sdk_tags(&all_tags)))
            .send()
            .await
            .map_err(|e| error(op, e))?;
        let id = cairn_aws::created_id(
            op,
            out.replication_group()
                .and_then(|g| g.replication_group_id()),
        )?;
        let partial = |e: ProviderError| e.with_partial_id(&id);
        let g = self.wait_available(ctx, &id).await.map_err(partial)?;
        self.read_written(&g, planned, Some(all_tags), &ctx.default_tags)
            .await
            .map_err(partial)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let mut modified: Vec<&str> = Vec::new();
        let mut waits = false;
        for name in changed {
            match name.as_str() {
                n if MODIFIED.contains(&n) => modified.push(n),
                "auth_token" => {
                    self.modify_auth_token(id, planned).await?;
                    waits = true;
                }
                "num_cache_clusters" => {
                    self.set_replicas(id, prior, planned).await?;
                    waits = true;
                }
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    update_tags(&self.ec, arn, ctx, prior, planned).await?;
                }
                // Settings of how cairn calls AWS, not of the group.
                "apply_immediately" | "auth_token_update_strategy" => {}
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
            if waits {
                tokio::time::sleep(SETTLE.min(ctx.timeout)).await;
                self.wait_available(ctx, id).await?;
                waits = false;
            }
        }
        if !modified.is_empty() {
            self.modify(id, prior, planned, &modified).await?;
            tokio::time::sleep(SETTLE.min(ctx.timeout)).await;
            self.wait_available(ctx, id).await?;
        }
        let g = self.describe(id).await?.ok_or_else(|| {
            ProviderError::new(
                "elasticache:DescribeReplicationGroups",
                "ReplicationGroupNotFoundFault",
                format!("replication group {id} not found after updating it"),
            )
        })?;
        self.read_written(&g, planned, None, &ctx.default_tags)
            .await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ec.client().await?;
        match self.describe(id).await? {
            None => return Ok(()),
            // Deleting already (a second destroy, or one interrupted).
            Some(g) if g.status() == Some("deleting") => {}
            Some(_) => {
                // A group being modified or snapshotted refuses for now.
                let busy = [RetryOn::new("InvalidReplicationGroupState", ctx.timeout)];
                delete_with_retry("ElastiCache replication group", &busy, || async {
                    match client
                        .delete_replication_group()
                        .replication_group_id(id)
                        .send()
                        .await
                    {
                        Ok(_) => Ok(()),
                        Err(e) => {
                            let e = error("elasticache:DeleteReplicationGroup", e);
                            if is_gone(&e) {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        }
                    }
                })
                .await?;
            }
        }
        // Gone, or `deleting` with every member cluster gone: the nodes
        // (and their hold on the subnet group and security groups) are.
        let what = format!("replication group {id} to be deleted");
        wait_until(&what, ctx.timeout, POLL, || async {
            let Some(g) = self.describe(id).await? else {
                return Ok(Some(()));
            };
            if g.status() != Some("deleting") {
                ctx.progress.report(&format!(
                    "replication group {id}: {}",
                    g.status().unwrap_or("?")
                ));
                return Ok(None);
            }
            let left = members::list(&self.ec)
                .await?
                .values()
                .filter(|(group, _)| group == id)
                .count();
            if left == 0 {
                return Ok(Some(()));
            }
            ctx.progress.report(&format!(
                "replication group {id}: deleting, {left} node(s) left"
            ));
            Ok(None)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_versions_name_running_ones() {
        assert!(version_matches("7.1", "7.1.0"));
        assert!(version_matches("6.x", "6.2.6"));
        assert!(version_matches("7.1.0", "7.1.0"));
        assert!(!version_matches("7.0", "7.1.0"));
        assert!(!version_matches("7.1.0.1", "7.1.0"));
        assert!(version("6.x") < (7, 0, 5));
        assert!(version("7.0.7") >= (7, 0, 5));
    }

    #[test]
    fn ids_and_tokens_are_checked_offline_without_showing_the_token() {
        assert!(check_id(&"tracker-cache".into()).is_ok());
        for bad in ["", "1cache", "a--b", "cache-", &"a".repeat(41)] {
            assert!(check_id(&bad.into()).is_err(), "{bad}");
        }
        assert!(check_auth_token(&"0123456789abcdef".into()).is_ok());
        let short = check_auth_token(&"sh0rt-s3cret".into()).unwrap_err();
        assert!(!short.contains("sh0rt-s3cret"), "{short}");
        let bad = check_auth_token(&"has@an@at@sign@in@it".into()).unwrap_err();
        assert!(!bad.contains("has@an"), "{bad}");
    }

    #[test]
    fn valkey_back_to_redis_and_early_transit_encryption_replace() {
        let r = ReplicationGroup::new(
            Arc::new(ElastiCache::new(
                cairn_aws::AwsContext::new(Default::default()),
                cairn_aws::sdk_client!(aws_sdk_elasticache),
            )),
            Arc::new(Tagging::new(cairn_aws::AwsContext::new(Default::default()))),
        );
        let config = |pairs: &[(&str, &str)]| -> Object {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect()
        };
        let engine = ["engine".to_string()];
        assert_eq!(
            r.replaces_on(&config(&[("engine", "redis")]), &engine),
            engine
        );
        assert!(r
            .replaces_on(&config(&[("engine", "valkey")]), &engine)
            .is_empty());
        let tls = ["transit_encryption_enabled".to_string()];
        assert_eq!(
            r.replaces_on(&config(&[("engine_version", "6.2")]), &tls),
            tls
        );
        assert!(r
            .replaces_on(&config(&[("engine_version", "7.1")]), &tls)
            .is_empty());
    }
}
