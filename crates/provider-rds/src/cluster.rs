//! `aws_rds_cluster`: an Aurora cluster (Aurora PostgreSQL Serverless v2
//! is the case in mind: `engine_mode = "provisioned"` with
//! `serverlessv2_scaling_configuration`, `min_capacity = 0` for scale to
//! zero where the engine version allows it). The identifier, engine and
//! mode, database name, master username, encryption, KMS key and subnet
//! group force a new cluster; the rest changes in place with
//! ModifyDBCluster. Deletion protection and the final snapshot behave as
//! for `aws_db_instance`.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_rds::types::{
    CloudwatchLogsExportConfiguration, DbCluster as Sdk, ServerlessV2ScalingConfiguration,
};
use cairn_aws::{created_id, delete_with_retry, error, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{describe, final_snapshot, names, secret, waits, Rds};

pub struct Cluster {
    rds: Arc<Rds>,
}

impl Cluster {
    pub fn new(rds: Arc<Rds>) -> Self {
        Cluster { rds }
    }
}

const CONFIG_ONLY: &[&str] = &[
    "apply_immediately",
    "allow_major_version_upgrade",
    "delete_automated_backups",
    "skip_final_snapshot",
    "final_snapshot_identifier",
];

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let int = Attribute::number;
        // Terraform's bounds (0 to 256 ACUs, auto pause 5 minutes to a
        // day); which engine versions accept 0 is AWS's to say.
        let scaling = Schema::new()
            .attr("min_capacity", int().required().check(Check::Range(0, 256)))
            .attr("max_capacity", int().required().check(Check::Range(1, 256)))
            .attr(
                "seconds_until_auto_pause",
                int().optional_computed().check(Check::Range(300, 86400)),
            );
        Schema::new()
            .describe("An Aurora DB cluster (Serverless v2 through serverlessv2_scaling_configuration); identifier, engine, database name, master username, encryption and subnet group force a new one, the rest changes in place (ModifyDBCluster). With `deletion_protection` the plan refuses to destroy or replace it.")
            .attr("cluster_identifier", Attribute::string().optional_computed().force_new())
            .attr("cluster_identifier_prefix", Attribute::string().force_new())
            .attr(
                "engine",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::OneOf(&["aurora-mysql", "aurora-postgresql", "mysql", "postgres", "neptune"])),
            )
            .attr(
                "engine_mode",
                Attribute::string()
                    .default("provisioned")
                    .force_new()
                    .check(Check::OneOf(&["provisioned", "serverless", "parallelquery", "global", "multimaster"])),
            )
            .attr("engine_version", Attribute::string().optional_computed())
            .attr("database_name", Attribute::string().optional_computed().force_new())
            .attr("master_username", Attribute::string().optional_computed().force_new())
            .attr("master_password", Attribute::string().sensitive().describe("The master password; conflicts with manage_master_user_password, which keeps it out of state."))
            .attr("manage_master_user_password", Attribute::bool())
            .attr("master_user_secret_kms_key_id", Attribute::string().optional_computed())
            .attr("master_user_secret", secret::attribute())
            .attr("storage_encrypted", Attribute::bool().optional_computed().force_new())
            .attr("kms_key_id", Attribute::string().optional_computed().force_new())
            .attr("db_subnet_group_name", Attribute::string().optional_computed().force_new())
            .attr("db_cluster_parameter_group_name", Attribute::string().optional_computed())
            .attr("vpc_security_group_ids", Attribute::new(Type::set(Type::String)).optional_computed())
            .attr("port", int().optional_computed())
            .attr("backup_retention_period", int().optional_computed().check(Check::Range(1, 35)))
            .attr("preferred_backup_window", Attribute::string().optional_computed())
            .attr("preferred_maintenance_window", Attribute::string().optional_computed())
            .attr("copy_tags_to_snapshot", Attribute::bool().default(false))
            .attr("deletion_protection", Attribute::bool().default(false).describe("AWS refuses to delete the cluster while true; cairn refuses the plan."))
            .attr("skip_final_snapshot", final_snapshot::skip_attribute())
            .attr("final_snapshot_identifier", final_snapshot::identifier_attribute())
            .attr("delete_automated_backups", Attribute::bool().default(true))
            .attr("serverlessv2_scaling_configuration", Attribute::new(Type::object(scaling)).describe("Aurora Serverless v2 capacity in ACUs; min_capacity 0 pauses the cluster when idle (engine versions that support it)."))
            .attr(
                "enabled_cloudwatch_logs_exports",
                Attribute::new(Type::set(Type::String)).check(Check::Custom(log_exports)),
            )
            .attr("allow_major_version_upgrade", Attribute::bool())
            .attr("apply_immediately", Attribute::bool().default(false))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("endpoint", Attribute::string().computed())
            .attr("reader_endpoint", Attribute::string().computed())
            .attr("cluster_resource_id", Attribute::string().computed())
            .attr("hosted_zone_id", Attribute::string().computed())
            .with_tags()
    })
}

/// The log types Aurora exports (Terraform's list for clusters).
fn log_exports(v: &Value) -> Result<(), String> {
    const KNOWN: &[&str] = &[
        "audit",
        "error",
        "general",
        "iam-db-auth-error",
        "instance",
        "postgresql",
        "slowquery",
    ];
    for item in v.as_list().unwrap_or_default() {
        if let Some(s) = item.as_str().filter(|s| !KNOWN.contains(s)) {
            return Err(format!("`{s}` is not one of {}", KNOWN.join(", ")));
        }
    }
    Ok(())
}

fn num(v: Option<i32>) -> Value {
    v.map_or(Value::Null, |n| Value::from(n as i64))
}

fn object(c: &Sdk, prior: &Object, default_tags: &Tags) -> Object {
    let id = c.db_cluster_identifier().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), id.into());
    o.insert("cluster_identifier".into(), id.into());
    o.insert(
        "cluster_identifier_prefix".into(),
        names::recorded_prefix(prior, "cluster_identifier_prefix", id),
    );
    o.insert("arn".into(), Value::from(c.db_cluster_arn()));
    o.insert(
        "cluster_resource_id".into(),
        Value::from(c.db_cluster_resource_id()),
    );
    o.insert("engine".into(), Value::from(c.engine()));
    o.insert(
        "engine_mode".into(),
        Value::from(c.engine_mode().unwrap_or("provisioned")),
    );
    o.insert("engine_version".into(), Value::from(c.engine_version()));
    o.insert("database_name".into(), Value::from(c.database_name()));
    o.insert("master_username".into(), Value::from(c.master_username()));
    o.insert(
        "master_password".into(),
        match prior.get("master_password") {
            Some(v) if !v.is_null() => Value::sensitive(v.clone()),
            _ => Value::Null,
        },
    );
    let managed = c.master_user_secret();
    o.insert(
        "manage_master_user_password".into(),
        match (managed, prior.get("manage_master_user_password")) {
            (Some(_), _) => Value::from(true),
            (None, Some(v)) if !v.is_null() => Value::from(false),
            (None, _) => Value::Null,
        },
    );
    o.insert(
        "master_user_secret_kms_key_id".into(),
        Value::from(managed.and_then(|s| s.kms_key_id())),
    );
    o.insert("master_user_secret".into(), secret::value(managed));
    o.insert(
        "storage_encrypted".into(),
        Value::from(c.storage_encrypted().unwrap_or(false)),
    );
    o.insert("kms_key_id".into(), Value::from(c.kms_key_id()));
    o.insert(
        "db_subnet_group_name".into(),
        Value::from(c.db_subnet_group()),
    );
    o.insert(
        "db_cluster_parameter_group_name".into(),
        Value::from(c.db_cluster_parameter_group()),
    );
    let mut groups: Vec<String> = c
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
        .collect();
    groups.sort();
    o.insert("vpc_security_group_ids".into(), Value::from(groups));
    o.insert("port".into(), num(c.port()));
    o.insert(
        "backup_retention_period".into(),
        num(c.backup_retention_period()),
    );
    o.insert(
        "preferred_backup_window".into(),
        Value::from(c.preferred_backup_window()),
    );
    o.insert(
        "preferred_maintenance_window".into(),
        Value::from(c.preferred_maintenance_window().map(str::to_lowercase)),
    );
    o.insert(
        "copy_tags_to_snapshot".into(),
        Value::from(c.copy_tags_to_snapshot().unwrap_or(false)),
    );
    o.insert(
        "deletion_protection".into(),
        Value::from(c.deletion_protection().unwrap_or(false)),
    );
    o.insert(
        "serverlessv2_scaling_configuration".into(),
        match c.serverless_v2_scaling_configuration() {
            Some(s) => Value::Map(
                [
                    (
                        "min_capacity".to_string(),
                        s.min_capacity().map_or(Value::Null, Value::Number),
                    ),
                    (
                        "max_capacity".to_string(),
                        s.max_capacity().map_or(Value::Null, Value::Number),
                    ),
                    (
                        "seconds_until_auto_pause".to_string(),
                        num(s.seconds_until_auto_pause()),
                    ),
                ]
                .into(),
            ),
            None => Value::Null,
        },
    );
    let mut exports = c.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    o.insert(
        "enabled_cloudwatch_logs_exports".into(),
        Value::from(exports),
    );
    o.insert("endpoint".into(), Value::from(c.endpoint()));
    o.insert("reader_endpoint".into(), Value::from(c.reader_endpoint()));
    o.insert("hosted_zone_id".into(), Value::from(c.hosted_zone_id()));
    for name in CONFIG_ONLY {
        o.insert(
            name.to_string(),
            prior.get(*name).cloned().unwrap_or_else(|| {
                schema()
                    .get(name)
                    .and_then(|a| a.default.clone())
                    .unwrap_or(Value::Null)
            }),
        );
    }
    tags::set_live(&mut o, &crate::tags::live(c.tag_list()), default_tags);
    o
}

fn i32_of(o: &Object, name: &str) -> Option<i32> {
    o.i64(name).and_then(|n| i32::try_from(n).ok())
}

fn scaling(planned: &Object) -> Option<ServerlessV2ScalingConfiguration> {
    let s = planned
        .get("serverlessv2_scaling_configuration")
        .and_then(Value::as_map)?;
    Some(
        ServerlessV2ScalingConfiguration::builder()
            .set_min_capacity(s.get("min_capacity").and_then(Value::as_f64))
            .set_max_capacity(s.get("max_capacity").and_then(Value::as_f64))
            .set_seconds_until_auto_pause(i32_of(s, "seconds_until_auto_pause"))
            .build(),
    )
}

impl Cluster {
    async fn adopt(
        &self,
        ctx: &OpContext,
        identifier: &str,
        planned: &Object,
        taken: ProviderError,
    ) -> Result<Object, ProviderError> {
        let found = describe::clusters(&self.rds, &[identifier]).await?;
        let Some(c) = found.into_iter().next() else {
            return Err(taken);
        };
        if !ctx.owns(&crate::tags::live(c.tag_list())) {
            return Err(ProviderError {
                message: format!(
                    "{}: a DB cluster named `{identifier}` exists and is not this stack's {}; \
                     choose another identifier or import it",
                    taken.message, ctx.address
                ),
                ..taken
            });
        }
        let c = waits::cluster_available(&self.rds, ctx, identifier).await?;
        Ok(object(&c, planned, &ctx.default_tags))
    }
}

#[async_trait]
impl Resource for Cluster {
    fn type_name(&self) -> &'static str {
        "aws_rds_cluster"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = names::check_pair(
            config,
            "cluster_identifier",
            "cluster_identifier_prefix",
            63,
            false,
        );
        issues.extend(final_snapshot::validate(config));
        let has_password = config.get("master_password").is_some_and(|v| !v.is_null());
        if has_password && config.bool("manage_master_user_password") == Some(true) {
            issues.push(ValidationIssue {
                attribute: "master_password".into(),
                message: "set `master_password` or `manage_master_user_password`, not both".into(),
            });
        }
        if let Some(s) = config
            .get("serverlessv2_scaling_configuration")
            .and_then(Value::as_map)
        {
            let (min, max) = (
                s.get("min_capacity").and_then(Value::as_f64),
                s.get("max_capacity").and_then(Value::as_f64),
            );
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    issues.push(ValidationIssue {
                        attribute: "serverlessv2_scaling_configuration".into(),
                        message: format!("min_capacity ({min}) is above max_capacity ({max})"),
                    });
                }
            }
            for v in [min, max].into_iter().flatten() {
                if (v * 2.0).fract() != 0.0 {
                    issues.push(ValidationIssue {
                        attribute: "serverlessv2_scaling_configuration".into(),
                        message: format!("{v} is not a multiple of 0.5 ACU"),
                    });
                }
            }
            if s.get("seconds_until_auto_pause")
                .is_some_and(|v| !v.is_null() && !v.is_unknown())
                && min.is_some_and(|m| m > 0.0)
            {
                issues.push(ValidationIssue {
                    attribute: "serverlessv2_scaling_configuration".into(),
                    message: "seconds_until_auto_pause applies only with min_capacity = 0".into(),
                });
            }
        }
        issues
    }

    fn deletion_protection(&self, prior: &Object) -> Option<&'static str> {
        (prior.bool("deletion_protection") == Some(true)).then_some("deletion_protection")
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let ids: Vec<&str> = requests.iter().map(|r| r.id).collect();
        let found = describe::clusters(&self.rds, &ids).await?;
        Ok(requests
            .iter()
            .map(|r| {
                found
                    .iter()
                    .find(|c| c.db_cluster_identifier() == Some(r.id))
                    .filter(|c| !describe::is_deleted(c.status()))
                    .map_or(ReadOutcome::Gone, |c| {
                        ReadOutcome::Live(object(c, r.prior, &ctx.default_tags))
                    })
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(describe::clusters(&self.rds, &[])
            .await?
            .iter()
            .filter(|c| !describe::is_deleted(c.status()))
            .filter_map(|c| {
                tags::owned_entry(
                    stack,
                    c.db_cluster_identifier()?,
                    &crate::tags::live(c.tag_list()),
                )
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.rds.client().await?;
        let identifier = names::chosen(
            planned,
            "cluster_identifier",
            "cluster_identifier_prefix",
            &ctx.idempotency_token,
        );
        let groups = planned.strings("vpc_security_group_ids");
        let exports = planned.strings("enabled_cloudwatch_logs_exports");
        let out = client
            .create_db_cluster()
            .db_cluster_identifier(&identifier)
            .engine(planned.str("engine").unwrap_or_default())
            .engine_mode(planned.str("engine_mode").unwrap_or("provisioned"))
            .set_engine_version(planned.str("engine_version").map(str::to_string))
            .set_database_name(planned.str("database_name").map(str::to_string))
            .set_master_username(planned.str("master_username").map(str::to_string))
            .set_master_user_password(planned.str("master_password").map(str::to_string))
            .set_manage_master_user_password(planned.bool("manage_master_user_password"))
            .set_master_user_secret_kms_key_id(
                planned
                    .str("master_user_secret_kms_key_id")
                    .map(str::to_string),
            )
            .set_storage_encrypted(planned.bool("storage_encrypted"))
            .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
            .set_db_subnet_group_name(planned.str("db_subnet_group_name").map(str::to_string))
            .set_db_cluster_parameter_group_name(
                planned
                    .str("db_cluster_parameter_group_name")
                    .map(str::to_string),
            )
            .set_vpc_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_port(i32_of(planned, "port"))
            .set_backup_retention_period(i32_of(planned, "backup_retention_period"))
            .set_preferred_backup_window(planned.str("preferred_backup_window").map(str::to_string))
            .set_preferred_maintenance_window(
                planned
                    .str("preferred_maintenance_window")
                    .map(str::to_string),
            )
            .copy_tags_to_snapshot(planned.bool("copy_tags_to_snapshot").unwrap_or(false))
            .deletion_protection(planned.bool("deletion_protection").unwrap_or(false))
            .set_serverless_v2_scaling_configuration(scaling(planned))
            .set_enable_cloudwatch_logs_exports((!exports.is_empty()).then_some(exports))
            .set_tags(Some(crate::tags::sdk(&ctx.create_tags(planned))))
            .send()
            .await;
        let id = match out {
            Ok(out) => created_id(
                "rds:CreateDBCluster",
                out.db_cluster().and_then(|c| c.db_cluster_identifier()),
            )?,
            Err(e) => {
                let e = error("rds:CreateDBCluster", e);
                if e.code == "DBClusterAlreadyExistsFault" {
                    return self.adopt(ctx, &identifier, planned, e).await;
                }
                return Err(e);
            }
        };
        let c = waits::cluster_available(&self.rds, ctx, &id)
            .await
            .map_err(|e| e.with_partial_id(&id))?;
        Ok(object(&c, planned, &ctx.default_tags))
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
            .modify_db_cluster()
            .db_cluster_identifier(id)
            .apply_immediately(planned.bool("apply_immediately").unwrap_or(false));
        let mut modify = false;
        let mut tags_changed = false;
        for name in changed {
            modify |= name != "tags" && !CONFIG_ONLY.contains(&name.as_str());
            m = match name.as_str() {
                "engine_version" => m
                    .set_engine_version(planned.str("engine_version").map(str::to_string))
                    .set_allow_major_version_upgrade(planned.bool("allow_major_version_upgrade")),
                "master_password" => {
                    m.set_master_user_password(planned.str("master_password").map(str::to_string))
                }
                "manage_master_user_password" => {
                    let on = planned.bool("manage_master_user_password").unwrap_or(false);
                    let m = m.manage_master_user_password(on);
                    if on {
                        m
                    } else {
                        m.set_master_user_password(
                            planned.str("master_password").map(str::to_string),
                        )
                    }
                }
                "master_user_secret_kms_key_id" => m.set_master_user_secret_kms_key_id(
                    planned
                        .str("master_user_secret_kms_key_id")
                        .map(str::to_string),
                ),
                "db_cluster_parameter_group_name" => m.set_db_cluster_parameter_group_name(
                    planned
                        .str("db_cluster_parameter_group_name")
                        .map(str::to_string),
                ),
                "vpc_security_group_ids" => {
                    m.set_vpc_security_group_ids(Some(planned.strings("vpc_security_group_ids")))
                }
                "port" => m.set_port(i32_of(planned, "port")),
                "backup_retention_period" => {
                    m.set_backup_retention_period(i32_of(planned, "backup_retention_period"))
                }
                "preferred_backup_window" => m.set_preferred_backup_window(
                    planned.str("preferred_backup_window").map(str::to_string),
                ),
                "preferred_maintenance_window" => m.set_preferred_maintenance_window(
                    planned
                        .str("preferred_maintenance_window")
                        .map(str::to_string),
                ),
                "copy_tags_to_snapshot" => {
                    m.copy_tags_to_snapshot(planned.bool("copy_tags_to_snapshot").unwrap_or(false))
                }
                "deletion_protection" => {
                    m.deletion_protection(planned.bool("deletion_protection").unwrap_or(false))
                }
                "serverlessv2_scaling_configuration" => {
                    m.set_serverless_v2_scaling_configuration(scaling(planned))
                }
                "enabled_cloudwatch_logs_exports" => {
                    let before = prior.strings("enabled_cloudwatch_logs_exports");
                    let after = planned.strings("enabled_cloudwatch_logs_exports");
                    let enable: Vec<String> = after
                        .iter()
                        .filter(|e| !before.contains(e))
                        .cloned()
                        .collect();
                    let disable: Vec<String> = before
                        .iter()
                        .filter(|e| !after.contains(e))
                        .cloned()
                        .collect();
                    m.cloudwatch_logs_export_configuration(
                        CloudwatchLogsExportConfiguration::builder()
                            .set_enable_log_types(Some(enable))
                            .set_disable_log_types(Some(disable))
                            .build(),
                    )
                }
                "tags" => {
                    tags_changed = true;
                    m
                }
                n if CONFIG_ONLY.contains(&n) => m,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            };
        }
        if tags_changed {
            let arn = prior.str("arn").unwrap_or_default();
            crate::tags::sync(&self.rds, arn, ctx, prior, planned).await?;
        }
        let c = if modify {
            m.send()
                .await
                .map_err(|e| error("rds:ModifyDBCluster", e))?;
            waits::cluster_available(&self.rds, ctx, id).await?
        } else {
            describe::clusters(&self.rds, &[id])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    ProviderError::new(
                        "rds:DescribeDBClusters",
                        "DBClusterNotFoundFault",
                        format!("DB cluster {id} not found after updating it"),
                    )
                })?
        };
        Ok(object(&c, planned, &ctx.default_tags))
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        let (skip, snapshot) = final_snapshot::on_delete(prior);
        let automated = prior.bool("delete_automated_backups").unwrap_or(true);
        // Members deleted just before, a backup or a modification in
        // progress refuse a delete for a while.
        let busy = [RetryOn::new("InvalidDBClusterStateFault", ctx.timeout)];
        delete_with_retry("DB cluster", &busy, || async {
            let r = client
                .delete_db_cluster()
                .db_cluster_identifier(id)
                .skip_final_snapshot(skip)
                .set_final_db_snapshot_identifier(snapshot.clone())
                .delete_automated_backups(automated)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("rds:DeleteDBCluster", e));
            match r {
                Err(e) if e.code == "InvalidParameterCombination" && e.message.contains("protect") => {
                    Err(ProviderError {
                        message: format!(
                            "{}: deletion protection is on in AWS; apply deletion_protection = false first",
                            e.message
                        ),
                        ..e
                    })
                }
                other => crate::gone_as_none(other).map(|_| ()),
            }
        })
        .await?;
        waits::cluster_gone(&self.rds, ctx, id).await
    }
}
