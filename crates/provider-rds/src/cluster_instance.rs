//! `aws_rds_cluster_instance`: a member of an Aurora cluster (`db.serverless`
//! for Serverless v2). The identifier, cluster, engine and subnet group
//! force a new instance; class, parameter group, public access,
//! Performance Insights, promotion tier and minor upgrades change in place
//! (ModifyDBInstance). id = the identifier, as in Terraform.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance as Sdk;
use cairn_aws::{created_id, delete_with_retry, error, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    ValidationIssue, Value,
};

use crate::{describe, names, waits, Rds};

pub struct ClusterInstance {
    rds: Arc<Rds>,
}

impl ClusterInstance {
    pub fn new(rds: Arc<Rds>) -> Self {
        ClusterInstance { rds }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let int = Attribute::number;
        Schema::new()
            .describe("An instance of an Aurora cluster (`db.serverless` for Serverless v2); identifier, cluster, engine and subnet group force a new one, the rest changes in place (ModifyDBInstance).")
            .attr("identifier", Attribute::string().optional_computed().force_new())
            .attr("identifier_prefix", Attribute::string().force_new())
            .attr("cluster_identifier", Attribute::string().required().force_new())
            .attr("instance_class", Attribute::string().required())
            .attr("engine", Attribute::string().required().force_new())
            .attr("engine_version", Attribute::string().optional_computed())
            .attr("db_subnet_group_name", Attribute::string().optional_computed().force_new())
            .attr("db_parameter_group_name", Attribute::string().optional_computed())
            .attr("publicly_accessible", Attribute::bool().optional_computed())
            .attr("performance_insights_enabled", Attribute::bool().optional_computed())
            .attr("promotion_tier", int().default(0))
            .attr("auto_minor_version_upgrade", Attribute::bool().default(true))
            .attr("apply_immediately", Attribute::bool().optional_computed())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("endpoint", Attribute::string().computed())
            .attr("writer", Attribute::bool().computed())
            .attr("port", int().computed())
            .attr("dbi_resource_id", Attribute::string().computed())
            .with_tags()
    })
}

/// `writer`: whether the cluster lists this instance as its writer; the
/// instance's own describe does not say.
fn object(i: &Sdk, writer: bool, prior: &Object, default_tags: &Tags) -> Object {
    let id = i.db_instance_identifier().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), id.into());
    o.insert("identifier".into(), id.into());
    o.insert(
        "identifier_prefix".into(),
        names::recorded_prefix(prior, "identifier_prefix", id),
    );
    o.insert(
        "cluster_identifier".into(),
        Value::from(i.db_cluster_identifier()),
    );
    o.insert("instance_class".into(), Value::from(i.db_instance_class()));
    o.insert("engine".into(), Value::from(i.engine()));
    o.insert("engine_version".into(), Value::from(i.engine_version()));
    o.insert(
        "db_subnet_group_name".into(),
        Value::from(i.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
    );
    o.insert(
        "db_parameter_group_name".into(),
        Value::from(
            i.db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name()),
        ),
    );
    o.insert(
        "publicly_accessible".into(),
        Value::from(i.publicly_accessible().unwrap_or(false)),
    );
    o.insert(
        "performance_insights_enabled".into(),
        Value::from(i.performance_insights_enabled().unwrap_or(false)),
    );
    o.insert(
        "promotion_tier".into(),
        Value::from(i.promotion_tier().unwrap_or(0) as i64),
    );
    o.insert(
        "auto_minor_version_upgrade".into(),
        Value::from(i.auto_minor_version_upgrade().unwrap_or(true)),
    );
    o.insert(
        "apply_immediately".into(),
        prior
            .get("apply_immediately")
            .cloned()
            .filter(|v| !v.is_unknown())
            .unwrap_or(Value::from(false)),
    );
    o.insert("arn".into(), Value::from(i.db_instance_arn()));
    let endpoint = i.endpoint();
    o.insert(
        "endpoint".into(),
        Value::from(endpoint.and_then(|e| e.address())),
    );
    o.insert(
        "port".into(),
        endpoint
            .and_then(|e| e.port())
            .or(i.db_instance_port())
            .map_or(Value::Null, |p| Value::from(p as i64)),
    );
    o.insert("writer".into(), Value::from(writer));
    o.insert("dbi_resource_id".into(), Value::from(i.dbi_resource_id()));
    tags::set_live(&mut o, &crate::tags::live(i.tag_list()), default_tags);
    o
}

fn i32_of(o: &Object, name: &str) -> Option<i32> {
    o.i64(name).and_then(|n| i32::try_from(n).ok())
}

impl ClusterInstance {
    /// The writers of the clusters of `instances`: one DescribeDBClusters
    /// for all of them.
    async fn writers(&self, instances: &[&Sdk]) -> Result<Vec<String>, ProviderError> {
        let mut clusters: Vec<&str> = instances
            .iter()
            .filter_map(|i| i.db_cluster_identifier())
            .collect();
        clusters.sort();
        clusters.dedup();
        if clusters.is_empty() {
            return Ok(Vec::new());
        }
        Ok(describe::clusters(&self.rds, &clusters)
            .await?
            .iter()
            .flat_map(|c| c.db_cluster_members())
            .filter(|m| m.is_cluster_writer() == Some(true))
            .filter_map(|m| m.db_instance_identifier().map(str::to_string))
            .collect())
    }

    async fn read_back(
        &self,
        i: Sdk,
        prior: &Object,
        default_tags: &Tags,
    ) -> Result<Object, ProviderError> {
        let writers = self.writers(&[&i]).await?;
        let writer = writers
            .iter()
            .any(|w| Some(w.as_str()) == i.db_instance_identifier());
        Ok(object(&i, writer, prior, default_tags))
    }
}

#[async_trait]
impl Resource for ClusterInstance {
    fn type_name(&self) -> &'static str {
        "aws_rds_cluster_instance"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        names::check_pair(config, "identifier", "identifier_prefix", 63, false)
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let found: Vec<Sdk> = describe::instances(&self.rds, "db-instance-id", &ids)
            .await?
            .into_iter()
            .filter(|i| !describe::is_deleted(i.db_instance_status()))
            .collect();
        let refs: Vec<&Sdk> = found.iter().collect();
        let writers = self.writers(&refs).await?;
        Ok(requests
            .iter()
            .map(|r| {
                found
                    .iter()
                    .find(|i| i.db_instance_identifier() == Some(r.id))
                    .map_or(ReadOutcome::Gone, |i| {
                        let writer = writers.iter().any(|w| w == r.id);
                        ReadOutcome::Live(object(i, writer, r.prior, &ctx.default_tags))
                    })
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(describe::instances(&self.rds, "", &[])
            .await?
            .iter()
            .filter(|i| i.db_cluster_identifier().is_some())
            .filter(|i| !describe::is_deleted(i.db_instance_status()))
            .filter_map(|i| {
                tags::owned_entry(
                    stack,
                    i.db_instance_identifier()?,
                    &crate::tags::live(i.tag_list()),
                )
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.rds.client().await?;
        let identifier = names::chosen(
            planned,
            "identifier",
            "identifier_prefix",
            &ctx.idempotency_token,
        );
        let out = client
            .create_db_instance()
            .db_instance_identifier(&identifier)
            .db_cluster_identifier(planned.str("cluster_identifier").unwrap_or_default())
            .db_instance_class(planned.str("instance_class").unwrap_or_default())
            .engine(planned.str("engine").unwrap_or_default())
            .set_engine_version(planned.str("engine_version").map(str::to_string))
            .set_db_subnet_group_name(planned.str("db_subnet_group_name").map(str::to_string))
            .set_db_parameter_group_name(planned.str("db_parameter_group_name").map(str::to_string))
            .set_publicly_accessible(planned.bool("publicly_accessible"))
            .set_enable_performance_insights(planned.bool("performance_insights_enabled"))
            .set_promotion_tier(i32_of(planned, "promotion_tier"))
            .auto_minor_version_upgrade(planned.bool("auto_minor_version_upgrade").unwrap_or(true))
            .set_tags(Some(crate::tags::sdk(&ctx.create_tags(planned))))
            .send()
            .await;
        let id = match out {
            Ok(out) => created_id(
                "rds:CreateDBInstance",
                out.db_instance().and_then(|i| i.db_instance_identifier()),
            )?,
            Err(e) => {
                let e = error("rds:CreateDBInstance", e);
                if e.code != "DBInstanceAlreadyExists" {
                    return Err(e);
                }
                // A leftover of this address is adopted; anyone else's is
                // refused untouched.
                let found =
                    describe::instances(&self.rds, "db-instance-id", &[&identifier]).await?;
                let ours = found
                    .first()
                    .is_some_and(|i| ctx.owns(&crate::tags::live(i.tag_list())));
                if !ours {
                    return Err(ProviderError {
                        message: format!(
                            "{}: a DB instance named `{identifier}` exists and is not this stack's {}",
                            e.message, ctx.address
                        ),
                        ..e
                    });
                }
                identifier.clone()
            }
        };
        let i = waits::instance_available(&self.rds, ctx, "db-instance-id", &id)
            .await
            .map_err(|e| e.with_partial_id(&id))?;
        self.read_back(i, planned, &ctx.default_tags)
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
        let client = self.rds.client().await?;
        let mut m = client
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(planned.bool("apply_immediately").unwrap_or(false));
        let mut modify = false;
        let mut tags_changed = false;
        for name in changed {
            modify |= !matches!(name.as_str(), "tags" | "apply_immediately");
            m = match name.as_str() {
                "instance_class" => {
                    m.set_db_instance_class(planned.str("instance_class").map(str::to_string))
                }
                "engine_version" => {
                    m.set_engine_version(planned.str("engine_version").map(str::to_string))
                }
                "db_parameter_group_name" => m.set_db_parameter_group_name(
                    planned.str("db_parameter_group_name").map(str::to_string),
                ),
                "publicly_accessible" => {
                    m.set_publicly_accessible(planned.bool("publicly_accessible"))
                }
                "performance_insights_enabled" => {
                    m.set_enable_performance_insights(planned.bool("performance_insights_enabled"))
                }
                "promotion_tier" => m.set_promotion_tier(i32_of(planned, "promotion_tier")),
                "auto_minor_version_upgrade" => m.auto_minor_version_upgrade(
                    planned.bool("auto_minor_version_upgrade").unwrap_or(true),
                ),
                "tags" => {
                    tags_changed = true;
                    m
                }
                "apply_immediately" => m,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            };
        }
        if tags_changed {
            let arn = prior.str("arn").unwrap_or_default();
            crate::tags::sync(&self.rds, arn, ctx, prior, planned).await?;
        }
        let i = if modify {
            m.send()
                .await
                .map_err(|e| error("rds:ModifyDBInstance", e))?;
            waits::instance_available(&self.rds, ctx, "db-instance-id", id).await?
        } else {
            describe::instances(&self.rds, "db-instance-id", &[id])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ProviderError::new(
                        "rds:DescribeDBInstances",
                        "DBInstanceNotFound",
                        format!("DB instance {id} not found after updating it"),
                    )
                })?
        };
        self.read_back(i, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        // Members of a cluster have no final snapshot of their own (the
        // cluster's covers them).
        let busy = [RetryOn::new("InvalidDBInstanceState", ctx.timeout)];
        delete_with_retry("DB cluster instance", &busy, || async {
            let r = client
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(true)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("rds:DeleteDBInstance", e));
            crate::gone_as_none(r).map(|_| ())
        })
        .await?;
        waits::instance_gone(&self.rds, ctx, "db-instance-id", id).await
    }
}
