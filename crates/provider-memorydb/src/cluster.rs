//! `aws_memorydb_cluster`: a Redis or Valkey MemoryDB cluster. The name
//! (or `name_prefix`), TLS, KMS key, subnet group, port, data tiering and
//! minor version upgrades force a new cluster, as in Terraform; the rest
//! changes in place with one UpdateCluster (shard and replica counts
//! included). Create, update and delete wait for the cluster, bounded by
//! the operation's `timeouts`. The id is the name.
//!
//! An endpoint that leaves `Engine` out of DescribeClusters (moto does)
//! says nothing about it: the recorded engine stands, so no plan shows a
//! change it cannot know about.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_memorydb::types::{
    Cluster as SdkCluster, DataTieringStatus, Endpoint, ReplicaConfigurationRequest,
    ShardConfigurationRequest,
};
use cairn_aws::{delete_with_retry, error, read_concurrently, wait_until, ReadFuture, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{
    check_owner, is_gone, name_for, name_issues, name_problem, sdk_tags, tags_of, update_tags,
    MemoryDb, TAG_READ_CONCURRENCY,
};

pub struct Cluster {
    mdb: Arc<MemoryDb>,
}

impl Cluster {
    pub fn new(mdb: Arc<MemoryDb>) -> Self {
        Cluster { mdb }
    }
}

const MAX_NAME: usize = 40;
const POLL: Duration = Duration::from_secs(10);

/// An update takes a moment to show: MemoryDB may still answer
/// `available` right after the call (Terraform waits as long first).
const SETTLE: Duration = Duration::from_secs(30);

fn check_name(v: &Value) -> Result<(), String> {
    match v
        .as_str()
        .and_then(|n| name_problem(n, MAX_NAME, "cluster"))
    {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

fn endpoint_type() -> Type {
    Type::object(
        Schema::new()
            .attr("address", Attribute::string())
            .attr("port", Attribute::number()),
    )
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let node = Schema::new()
            .attr("name", Attribute::string())
            .attr("availability_zone", Attribute::string())
            .attr("endpoint", Attribute::new(Type::list(endpoint_type())));
        let shard = Schema::new()
            .attr("name", Attribute::string())
            .attr("num_nodes", Attribute::number())
            .attr("slots", Attribute::string())
            .attr("nodes", Attribute::new(Type::set(Type::object(node))));
        Schema::new()
            .describe("A MemoryDB Redis or Valkey cluster (id: its name); the name, TLS, KMS key, subnet group, port, data tiering and auto minor version upgrade force a new one, the rest (shards and replicas included) changes in place; waits for `available`.")
            .attr(
                "name",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .check(Check::Custom(check_name)),
            )
            .attr("name_prefix", Attribute::string().force_new())
            .attr("description", Attribute::string().default("Managed by Terraform"))
            .attr("node_type", Attribute::string().required())
            .attr("num_shards", Attribute::number().default(1).check(Check::Range(1, 500)))
            .attr(
                "num_replicas_per_shard",
                Attribute::number().default(1).check(Check::Range(0, 5)),
            )
            .attr(
                "acl_name",
                Attribute::string()
                    .required()
                    .describe("`open-access` for no authentication"),
            )
            .attr(
                "engine",
                Attribute::string()
                    .optional_computed()
                    .check(Check::OneOf(&["redis", "valkey"])),
            )
            .attr("engine_version", Attribute::string().optional_computed())
            .attr("engine_patch_version", Attribute::string().computed())
            .attr("tls_enabled", Attribute::bool().default(true).force_new())
            .attr("kms_key_arn", Attribute::string().force_new())
            .attr(
                "security_group_ids",
                Attribute::new(Type::set(Type::String)).optional_computed(),
            )
            .attr("subnet_group_name", Attribute::string().optional_computed().force_new())
            .attr("parameter_group_name", Attribute::string().optional_computed())
            .attr("port", Attribute::number().optional_computed().force_new())
            .attr(
                "snapshot_retention_limit",
                Attribute::number().optional_computed().check(Check::Range(0, 35)),
            )
            .attr("snapshot_window", Attribute::string().optional_computed())
            .attr("maintenance_window", Attribute::string().optional_computed())
            .attr("sns_topic_arn", Attribute::string())
            .attr(
                "auto_minor_version_upgrade",
                Attribute::bool().default(true).force_new(),
            )
            .attr("data_tiering", Attribute::bool().default(false).force_new())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr(
                "cluster_endpoint",
                Attribute::new(Type::list(endpoint_type())).computed(),
            )
            .attr(
                "shards",
                Attribute::new(Type::set(Type::object(shard))).computed(),
            )
            .with_tags()
    })
}

fn kept(prior: &Object, name: &str) -> Value {
    prior
        .get(name)
        .filter(|v| v.is_wholly_known())
        .cloned()
        .unwrap_or(Value::Null)
}

fn endpoint(e: Option<&Endpoint>) -> Value {
    match e {
        Some(e) => Value::List(vec![Value::Map(
            [
                ("address".to_string(), Value::from(e.address())),
                ("port".to_string(), Value::from(e.port())),
            ]
            .into(),
        )]),
        None => Value::List(Vec::new()),
    }
}

fn shards(c: &SdkCluster) -> Value {
    Value::List(
        c.shards()
            .iter()
            .map(|s| {
                let nodes = s
                    .nodes()
                    .iter()
                    .map(|n| {
                        Value::Map(
                            [
                                ("name".to_string(), Value::from(n.name())),
                                (
                                    "availability_zone".to_string(),
                                    Value::from(n.availability_zone()),
                                ),
                                ("endpoint".to_string(), endpoint(n.endpoint())),
                            ]
                            .into(),
                        )
                    })
                    .collect();
                Value::Map(
                    [
                        ("name".to_string(), Value::from(s.name())),
                        ("num_nodes".to_string(), Value::from(s.number_of_nodes())),
                        ("slots".to_string(), Value::from(s.slots())),
                        ("nodes".to_string(), Value::List(nodes)),
                    ]
                    .into(),
                )
            })
            .collect(),
    )
}

fn object(
    c: &SdkCluster,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
    prior: &Object,
) -> Object {
    let name = c.name().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), name.into());
    o.insert("name".into(), name.into());
    o.insert("name_prefix".into(), kept(prior, "name_prefix"));
    o.insert("arn".into(), Value::from(c.arn()));
    o.insert("description".into(), Value::from(c.description()));
    o.insert("node_type".into(), Value::from(c.node_type()));
    o.insert(
        "num_shards".into(),
        match c.number_of_shards() {
            Some(n) => Value::from(n),
            None => kept(prior, "num_shards"),
        },
    );
    // Every shard has the same number of nodes: a primary and replicas.
    o.insert(
        "num_replicas_per_shard".into(),
        match c.shards().first().and_then(|s| s.number_of_nodes()) {
            Some(n) => Value::from(n - 1),
            None => kept(prior, "num_replicas_per_shard"),
        },
    );
    o.insert("acl_name".into(), Value::from(c.acl_name()));
    o.insert(
        "engine".into(),
        match c.engine() {
            Some(e) => e.into(),
            None => kept(prior, "engine"),
        },
    );
    o.insert("engine_version".into(), Value::from(c.engine_version()));
    o.insert(
        "engine_patch_version".into(),
        Value::from(c.engine_patch_version()),
    );
    o.insert(
        "tls_enabled".into(),
        match c.tls_enabled() {
            Some(b) => b.into(),
            None => kept(prior, "tls_enabled"),
        },
    );
    o.insert("kms_key_arn".into(), Value::from(c.kms_key_id()));
    o.insert(
        "security_group_ids".into(),
        Value::from(
            c.security_groups()
                .iter()
                .filter_map(|g| g.security_group_id())
                .collect::<Vec<_>>(),
        ),
    );
    o.insert(
        "subnet_group_name".into(),
        Value::from(c.subnet_group_name()),
    );
    o.insert(
        "parameter_group_name".into(),
        Value::from(c.parameter_group_name()),
    );
    let cluster_endpoint = c.cluster_endpoint();
    o.insert(
        "port".into(),
        match cluster_endpoint.map(|e| e.port()) {
            Some(p) if p > 0 => Value::from(p),
            _ => kept(prior, "port"),
        },
    );
    o.insert("cluster_endpoint".into(), endpoint(cluster_endpoint));
    o.insert("shards".into(), shards(c));
    o.insert(
        "snapshot_retention_limit".into(),
        Value::from(c.snapshot_retention_limit().unwrap_or(0)),
    );
    o.insert("snapshot_window".into(), Value::from(c.snapshot_window()));
    o.insert(
        "maintenance_window".into(),
        Value::from(c.maintenance_window()),
    );
    // An inactive topic is one Terraform's configuration no longer names.
    o.insert(
        "sns_topic_arn".into(),
        Value::from(
            c.sns_topic_arn()
                .filter(|_| c.sns_topic_status() != Some("inactive"))
                .filter(|a| !a.is_empty()),
        ),
    );
    o.insert(
        "auto_minor_version_upgrade".into(),
        match c.auto_minor_version_upgrade() {
            Some(b) => b.into(),
            None => kept(prior, "auto_minor_version_upgrade"),
        },
    );
    o.insert(
        "data_tiering".into(),
        matches!(c.data_tiering(), Some(DataTieringStatus::True)).into(),
    );
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

fn int(o: &Object, name: &str) -> Option<i32> {
    o.i64(name).and_then(|n| i32::try_from(n).ok())
}

fn text(o: &Object, name: &str) -> Option<String> {
    o.str(name).map(str::to_string)
}

/// The settings UpdateCluster changes.
const UPDATED: &[&str] = &[
    "description",
    "security_group_ids",
    "maintenance_window",
    "sns_topic_arn",
    "parameter_group_name",
    "snapshot_window",
    "snapshot_retention_limit",
    "node_type",
    "engine",
    "engine_version",
    "num_replicas_per_shard",
    "num_shards",
    "acl_name",
];

impl Cluster {
    /// Every cluster by name, shards included: one call per 100.
    async fn list(&self) -> Result<HashMap<String, SdkCluster>, ProviderError> {
        let client = self.mdb.client().await?;
        let pages = client
            .describe_clusters()
            .show_shard_details(true)
            .max_results(100)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("memorydb:DescribeClusters", e))?;
        Ok(pages
            .into_iter()
            .flat_map(|p| p.clusters.unwrap_or_default())
            .filter_map(|c| Some((c.name()?.to_string(), c)))
            .collect())
    }

    async fn describe(&self, name: &str) -> Result<Option<SdkCluster>, ProviderError> {
        let client = self.mdb.client().await?;
        match client
            .describe_clusters()
            .cluster_name(name)
            .show_shard_details(true)
            .send()
            .await
        {
            Ok(out) => Ok(out.clusters.unwrap_or_default().into_iter().next()),
            Err(e) => {
                let e = error("memorydb:DescribeClusters", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Waits until the cluster is `available`, reporting its status.
    async fn wait_available(
        &self,
        ctx: &OpContext,
        name: &str,
    ) -> Result<SdkCluster, ProviderError> {
        let what = format!("MemoryDB cluster {name} to be available");
        wait_until(&what, ctx.timeout, POLL, || async {
            let Some(c) = self.describe(name).await? else {
                return Err(ProviderError::new(
                    "memorydb:DescribeClusters",
                    "ClusterNotFoundFault",
                    format!("cluster {name} disappeared while waiting for it"),
                ));
            };
            match c.status() {
                Some("available") => Ok(Some(c)),
                status => {
                    ctx.progress.report(&format!(
                        "MemoryDB cluster {name}: {}",
                        status.unwrap_or("?")
                    ));
                    Ok(None)
                }
            }
        })
        .await
    }

    async fn with_tags(
        &self,
        c: &SdkCluster,
        planned: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let live = tags_of(&self.mdb, c.arn().unwrap_or_default())
            .await?
            .unwrap_or_default();
        Ok(object(c, &live, default_tags, planned))
    }

    /// One UpdateCluster with every changed setting.
    async fn update_cluster(
        &self,
        name: &str,
        planned: &Object,
        changed: &[&str],
    ) -> Result<(), ProviderError> {
        let client = self.mdb.client().await?;
        let has = |n: &str| changed.contains(&n);
        let mut call = client.update_cluster().cluster_name(name);
        if has("description") {
            call = call.description(planned.str("description").unwrap_or_default());
        }
        if has("security_group_ids") {
            call = call.set_security_group_ids(Some(planned.strings("security_group_ids")));
        }
        if has("maintenance_window") {
            call = call.set_maintenance_window(text(planned, "maintenance_window"));
        }
        if has("sns_topic_arn") {
            call = match planned.str("sns_topic_arn") {
                Some(arn) => call.sns_topic_arn(arn).sns_topic_status("active"),
                None => call.sns_topic_status("inactive"),
            };
        }
        if has("parameter_group_name") {
            call = call.set_parameter_group_name(text(planned, "parameter_group_name"));
        }
        if has("snapshot_window") {
            call = call.set_snapshot_window(text(planned, "snapshot_window"));
        }
        if has("snapshot_retention_limit") {
            call = call
                .snapshot_retention_limit(int(planned, "snapshot_retention_limit").unwrap_or(0));
        }
        if has("node_type") {
            call = call.set_node_type(text(planned, "node_type"));
        }
        if has("engine") {
            call = call.set_engine(text(planned, "engine"));
        }
        if has("engine") || has("engine_version") {
            call = call.set_engine_version(text(planned, "engine_version"));
        }
        if has("num_replicas_per_shard") {
            call = call.replica_configuration(
                ReplicaConfigurationRequest::builder()
                    .replica_count(int(planned, "num_replicas_per_shard").unwrap_or(1))
                    .build(),
            );
        }
        if has("num_shards") {
            call = call.shard_configuration(
                ShardConfigurationRequest::builder()
                    .shard_count(int(planned, "num_shards").unwrap_or(1))
                    .build(),
            );
        }
        if has("acl_name") {
            call = call.set_acl_name(text(planned, "acl_name"));
        }
        call.send()
            .await
            .map(|_| ())
            .map_err(|e| error("memorydb:UpdateCluster", e))
    }
}

#[async_trait]
impl Resource for Cluster {
    fn type_name(&self) -> &'static str {
        "aws_memorydb_cluster"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = name_issues(config, MAX_NAME);
        if config.bool("tls_enabled") == Some(false)
            && config.str("acl_name").is_some_and(|a| a != "open-access")
        {
            issues.push(ValidationIssue {
                attribute: "acl_name".into(),
                message: "a cluster without TLS takes only the `open-access` ACL".into(),
            });
        }
        issues
    }

    /// DescribeClusters once per 100 clusters; ListTags per cluster (no
    /// batch form, and moto's tagging API does not know MemoryDB).
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        let reads = requests
            .iter()
            .map(|r| {
                // A cluster being deleted is as good as gone.
                let c = all.get(r.id).filter(|c| c.status() != Some("deleting"));
                Box::pin(async move {
                    let Some(c) = c else { return Ok(None) };
                    let Some(live) = tags_of(&self.mdb, c.arn().unwrap_or_default()).await? else {
                        return Ok(None);
                    };
                    Ok(Some(object(c, &live, &ctx.default_tags, r.prior)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, TAG_READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.mdb.client().await?;
        let op = "memorydb:CreateCluster";
        let name = name_for(planned, &ctx.idempotency_token, MAX_NAME);
        let all_tags = ctx.create_tags(planned);
        let groups = planned.strings("security_group_ids");
        let created = client
            .create_cluster()
            .cluster_name(&name)
            .node_type(planned.str("node_type").unwrap_or_default())
            .acl_name(planned.str("acl_name").unwrap_or_default())
            .description(planned.str("description").unwrap_or("Managed by Terraform"))
            .set_num_shards(int(planned, "num_shards"))
            .set_num_replicas_per_shard(int(planned, "num_replicas_per_shard"))
            .set_engine(text(planned, "engine"))
            .set_engine_version(text(planned, "engine_version"))
            .tls_enabled(planned.bool("tls_enabled").unwrap_or(true))
            .set_kms_key_id(text(planned, "kms_key_arn"))
            .set_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_subnet_group_name(text(planned, "subnet_group_name"))
            .set_parameter_group_name(text(planned, "parameter_group_name"))
            .set_port(int(planned, "port"))
            .set_snapshot_retention_limit(int(planned, "snapshot_retention_limit"))
            .set_snapshot_window(text(planned, "snapshot_window"))
            .set_maintenance_window(text(planned, "maintenance_window"))
            .set_sns_topic_arn(text(planned, "sns_topic_arn"))
            .auto_minor_version_upgrade(planned.bool("auto_minor_version_upgrade").unwrap_or(true))
            .data_tiering(planned.bool("data_tiering").unwrap_or(false))
            .set_tags(Some(sdk_tags(&all_tags)))
            .send()
            .await;
        let live_tags = match created {
            Ok(out) => {
                cairn_aws::created_id(op, out.cluster().and_then(|c| c.name()))?;
                all_tags
            }
            Err(e) => {
                let e = error(op, e);
                if e.code != "ClusterAlreadyExistsFault" {
                    return Err(e);
                }
                // Ours from an interrupted apply, or someone else's.
                let Some(c) = self.describe(&name).await? else {
                    return Err(e);
                };
                let live = tags_of(&self.mdb, c.arn().unwrap_or_default())
                    .await?
                    .unwrap_or_default();
                check_owner(ctx, op, &format!("MemoryDB cluster `{name}`"), &live)?;
                live
            }
        };
        let partial = |e: ProviderError| e.with_partial_id(&name);
        let c = self.wait_available(ctx, &name).await.map_err(partial)?;
        Ok(object(&c, &live_tags, &ctx.default_tags, planned))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let mut updated: Vec<&str> = Vec::new();
        for name in changed {
            match name.as_str() {
                n if UPDATED.contains(&n) => updated.push(n),
                "tags" => {
                    let arn = prior.str("arn").unwrap_or_default();
                    update_tags(&self.mdb, arn, ctx, prior, planned).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if !updated.is_empty() {
            self.update_cluster(id, planned, &updated).await?;
            tokio::time::sleep(SETTLE.min(ctx.timeout)).await;
            self.wait_available(ctx, id).await?;
        }
        let c = self.describe(id).await?.ok_or_else(|| {
            ProviderError::new(
                "memorydb:DescribeClusters",
                "ClusterNotFoundFault",
                format!("cluster {id} not found after updating it"),
            )
        })?;
        self.with_tags(&c, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.mdb.client().await?;
        match self.describe(id).await? {
            None => return Ok(()),
            Some(c) if c.status() == Some("deleting") => {}
            Some(_) => {
                // A cluster being updated or snapshotted refuses for now.
                let busy = [RetryOn::new("InvalidClusterStateFault", ctx.timeout)];
                delete_with_retry("MemoryDB cluster", &busy, || async {
                    match client.delete_cluster().cluster_name(id).send().await {
                        Ok(_) => Ok(()),
                        Err(e) => {
                            let e = error("memorydb:DeleteCluster", e);
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
        let what = format!("MemoryDB cluster {id} to be deleted");
        wait_until(&what, ctx.timeout, POLL, || async {
            match self.describe(id).await? {
                None => Ok(Some(())),
                Some(c) => {
                    ctx.progress.report(&format!(
                        "MemoryDB cluster {id}: {}",
                        c.status().unwrap_or("?")
                    ));
                    Ok(None)
                }
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_without_tls_takes_only_open_access() {
        let c = Cluster::new(Arc::new(MemoryDb::new(
            cairn_aws::AwsContext::new(Default::default()),
            cairn_aws::sdk_client!(aws_sdk_memorydb),
        )));
        let config = |tls: bool, acl: &str| -> Object {
            [
                ("tls_enabled".to_string(), Value::from(tls)),
                ("acl_name".to_string(), Value::from(acl)),
            ]
            .into()
        };
        assert!(c.validate(&config(false, "open-access")).is_empty());
        assert_eq!(c.validate(&config(false, "app-users")).len(), 1);
        assert!(c.validate(&config(true, "app-users")).is_empty());
        let both: Object = [
            ("name".to_string(), Value::from("a")),
            ("name_prefix".to_string(), Value::from("b")),
        ]
        .into();
        assert_eq!(c.validate(&both)[0].attribute, "name_prefix");
    }
}
