//! `aws_db_instance`: an RDS database instance (PostgreSQL, MySQL, ...).
//! `id` is the identifier, which changes in place (a rename gives the
//! object a new id); the immutable resource id (`db-...`) is
//! `resource_id`. Terraform 5 uses the resource id as `id`; moto gives
//! every instance the same resource id, so reads keyed by it could not be
//! tested (see the crate notes). Engine, encryption, KMS
//! key, database name and master username force a new instance; the rest
//! changes in place with ModifyDBInstance, now or in the maintenance
//! window as `apply_immediately` says. `deletion_protection = true` makes
//! the plan refuse a destroy or a replace; a final snapshot needs its name
//! (checked offline). Create and modify wait for `available`, delete for
//! the instance to be gone, within the operation's timeout.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance as Sdk;
use cairn_aws::{created_id, delete_with_retry, error, RetryOn};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{describe, final_snapshot, names, secret, waits, Rds};

pub struct DbInstance {
    rds: Arc<Rds>,
}

impl DbInstance {
    pub fn new(rds: Arc<Rds>) -> Self {
        DbInstance { rds }
    }
}

/// Set in the configuration only: RDS keeps no trace of them, so a read
/// carries the recorded values (Terraform does the same).
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
        Schema::new()
            .describe("An RDS DB instance; engine, encryption, KMS key, db_name and username force a new one, the rest changes in place (ModifyDBInstance). With `deletion_protection` the plan refuses to destroy or replace it.")
            .attr("identifier", Attribute::string().optional_computed().describe("The instance's name; renamed in place."))
            .attr("identifier_prefix", Attribute::string().force_new())
            .attr("engine", Attribute::string().required().force_new())
            .attr("engine_version", Attribute::string().optional_computed())
            .attr("instance_class", Attribute::string().required())
            .attr("allocated_storage", int().optional_computed())
            .attr("max_allocated_storage", int())
            .attr("storage_type", Attribute::string().optional_computed().check(Check::OneOf(&["standard", "gp2", "gp3", "io1", "io2"])))
            .attr("iops", int().optional_computed())
            .attr("storage_encrypted", Attribute::bool().default(false).force_new())
            .attr("kms_key_id", Attribute::string().optional_computed().force_new())
            .attr("db_name", Attribute::string().optional_computed().force_new())
            .attr("username", Attribute::string().optional_computed().force_new())
            .attr("password", Attribute::string().sensitive().describe("The master password; conflicts with manage_master_user_password, which keeps it out of state."))
            .attr("manage_master_user_password", Attribute::bool().describe("RDS keeps the master password in Secrets Manager (`master_user_secret`)."))
            .attr("master_user_secret_kms_key_id", Attribute::string().optional_computed())
            .attr("master_user_secret", secret::attribute())
            .attr("db_subnet_group_name", Attribute::string().optional_computed())
            .attr("parameter_group_name", Attribute::string().optional_computed())
            .attr("vpc_security_group_ids", Attribute::new(Type::set(Type::String)).optional_computed())
            .attr("multi_az", Attribute::bool().optional_computed())
            .attr("publicly_accessible", Attribute::bool().default(false))
            .attr("port", int().optional_computed())
            .attr("backup_retention_period", int().optional_computed().check(Check::Range(0, 35)))
            .attr("backup_window", Attribute::string().optional_computed())
            .attr("maintenance_window", Attribute::string().optional_computed())
            .attr("deletion_protection", Attribute::bool().default(false).describe("AWS refuses to delete the instance while true; cairn refuses the plan."))
            .attr("skip_final_snapshot", final_snapshot::skip_attribute())
            .attr("final_snapshot_identifier", final_snapshot::identifier_attribute())
            .attr("delete_automated_backups", Attribute::bool().default(true))
            .attr("copy_tags_to_snapshot", Attribute::bool().default(false))
            .attr("performance_insights_enabled", Attribute::bool().default(false))
            .attr("performance_insights_retention_period", int().optional_computed())
            .attr("performance_insights_kms_key_id", Attribute::string().optional_computed())
            .attr("monitoring_interval", int().default(0).check(Check::Custom(monitoring_interval)).describe("Enhanced Monitoring every N seconds (0: off); needs monitoring_role_arn."))
            .attr("monitoring_role_arn", Attribute::string().describe("A role trusting monitoring.rds.amazonaws.com that may publish Enhanced Monitoring metrics."))
            .attr("enabled_cloudwatch_logs_exports", Attribute::new(Type::set(Type::String)).describe("Logs published to CloudWatch Logs (postgresql, upgrade, ...)."))
            .attr("auto_minor_version_upgrade", Attribute::bool().default(true))
            .attr("allow_major_version_upgrade", Attribute::bool())
            .attr("apply_immediately", Attribute::bool().default(false).describe("Apply changes now rather than in the next maintenance window."))
            .attr("ca_cert_identifier", Attribute::string().optional_computed())
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("address", Attribute::string().computed())
            .attr("endpoint", Attribute::string().computed())
            .attr("hosted_zone_id", Attribute::string().computed())
            .attr("resource_id", Attribute::string().computed())
            .attr("status", Attribute::string().computed())
            .with_tags()
    })
}

fn num(v: Option<i32>) -> Value {
    v.map_or(Value::Null, |n| Value::from(n as i64))
}

fn object(i: &Sdk, prior: &Object, default_tags: &Tags) -> Object {
    let identifier = i.db_instance_identifier().unwrap_or_default();
    let mut o = Object::new();
    o.insert("id".into(), identifier.into());
    o.insert("resource_id".into(), Value::from(i.dbi_resource_id()));
    o.insert("identifier".into(), identifier.into());
    o.insert(
        "identifier_prefix".into(),
        names::recorded_prefix(prior, "identifier_prefix", identifier),
    );
    o.insert("arn".into(), Value::from(i.db_instance_arn()));
    o.insert("engine".into(), Value::from(i.engine()));
    o.insert("engine_version".into(), Value::from(i.engine_version()));
    o.insert("instance_class".into(), Value::from(i.db_instance_class()));
    o.insert("allocated_storage".into(), num(i.allocated_storage()));
    o.insert(
        "max_allocated_storage".into(),
        num(i.max_allocated_storage()),
    );
    o.insert("storage_type".into(), Value::from(i.storage_type()));
    o.insert("iops".into(), num(i.iops()));
    o.insert(
        "storage_encrypted".into(),
        Value::from(i.storage_encrypted().unwrap_or(false)),
    );
    o.insert("kms_key_id".into(), Value::from(i.kms_key_id()));
    o.insert("db_name".into(), Value::from(i.db_name()));
    o.insert("username".into(), Value::from(i.master_username()));
    // RDS never returns the password: the recorded one stays, marked.
    o.insert(
        "password".into(),
        match prior.get("password") {
            Some(v) if !v.is_null() => Value::sensitive(v.clone()),
            _ => Value::Null,
        },
    );
    let managed = i.master_user_secret();
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
        "db_subnet_group_name".into(),
        Value::from(i.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
    );
    o.insert(
        "parameter_group_name".into(),
        Value::from(
            i.db_parameter_groups()
                .first()
                .and_then(|g| g.db_parameter_group_name()),
        ),
    );
    let mut groups: Vec<String> = i
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
        .collect();
    groups.sort();
    o.insert("vpc_security_group_ids".into(), Value::from(groups));
    o.insert("multi_az".into(), Value::from(i.multi_az()));
    o.insert(
        "publicly_accessible".into(),
        Value::from(i.publicly_accessible().unwrap_or(false)),
    );
    let endpoint = i.endpoint();
    let port = endpoint.and_then(|e| e.port()).or(i.db_instance_port());
    o.insert("port".into(), num(port));
    let address = endpoint.and_then(|e| e.address());
    o.insert("address".into(), Value::from(address));
    o.insert(
        "endpoint".into(),
        Value::from(address.map(|a| match port {
            Some(p) => format!("{a}:{p}"),
            None => a.to_string(),
        })),
    );
    o.insert(
        "hosted_zone_id".into(),
        Value::from(endpoint.and_then(|e| e.hosted_zone_id())),
    );
    o.insert(
        "backup_retention_period".into(),
        num(i.backup_retention_period()),
    );
    o.insert(
        "backup_window".into(),
        Value::from(i.preferred_backup_window()),
    );
    o.insert(
        "maintenance_window".into(),
        Value::from(i.preferred_maintenance_window().map(str::to_lowercase)),
    );
    o.insert(
        "deletion_protection".into(),
        Value::from(i.deletion_protection().unwrap_or(false)),
    );
    o.insert(
        "copy_tags_to_snapshot".into(),
        Value::from(i.copy_tags_to_snapshot().unwrap_or(false)),
    );
    o.insert(
        "performance_insights_enabled".into(),
        Value::from(i.performance_insights_enabled().unwrap_or(false)),
    );
    o.insert(
        "performance_insights_retention_period".into(),
        num(i.performance_insights_retention_period()),
    );
    o.insert(
        "performance_insights_kms_key_id".into(),
        Value::from(i.performance_insights_kms_key_id()),
    );
    // AWS always answers MonitoringInterval; an endpoint that leaves it out
    // (moto keeps no Enhanced Monitoring settings) keeps what was recorded.
    match i.monitoring_interval() {
        Some(n) => {
            o.insert("monitoring_interval".into(), num(Some(n)));
            o.insert(
                "monitoring_role_arn".into(),
                Value::from(i.monitoring_role_arn()),
            );
        }
        None => {
            for name in ["monitoring_interval", "monitoring_role_arn"] {
                let recorded = prior.get(name).filter(|v| !v.is_unknown()).cloned();
                o.insert(name.into(), recorded.unwrap_or_else(|| default_of(name)));
            }
        }
    }
    o.insert(
        "enabled_cloudwatch_logs_exports".into(),
        Value::from(i.enabled_cloudwatch_logs_exports().to_vec()),
    );
    o.insert(
        "auto_minor_version_upgrade".into(),
        Value::from(i.auto_minor_version_upgrade().unwrap_or(true)),
    );
    o.insert(
        "ca_cert_identifier".into(),
        Value::from(i.ca_certificate_identifier()),
    );
    o.insert("status".into(), Value::from(i.db_instance_status()));
    for name in CONFIG_ONLY {
        o.insert(
            name.to_string(),
            prior
                .get(*name)
                .cloned()
                .unwrap_or_else(|| default_of(name)),
        );
    }
    tags::set_live(&mut o, &crate::tags::live(i.tag_list()), default_tags);
    o
}

fn default_of(name: &str) -> Value {
    schema()
        .get(name)
        .and_then(|a| a.default.clone())
        .unwrap_or(Value::Null)
}

/// The intervals RDS accepts for Enhanced Monitoring.
fn monitoring_interval(v: &Value) -> Result<(), String> {
    match v.as_i64() {
        Some(0 | 1 | 5 | 10 | 15 | 30 | 60) | None => Ok(()),
        Some(n) => Err(format!(
            "must be 0, 1, 5, 10, 15, 30 or 60 (seconds), got {n}"
        )),
    }
}

fn strings(o: &Object, name: &str) -> Vec<String> {
    o.get(name)
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn i32_of(o: &Object, name: &str) -> Option<i32> {
    o.i64(name).and_then(|n| i32::try_from(n).ok())
}

fn not_found(id: &str) -> ProviderError {
    ProviderError::new(
        "rds:DescribeDBInstances",
        "DBInstanceNotFound",
        format!("DB instance {id} not found after writing it"),
    )
}

impl DbInstance {
    /// A same-named instance found by a create: this address's leftover
    /// (a create retried after a crash) is waited for and kept; anyone
    /// else's is refused untouched.
    async fn adopt(
        &self,
        ctx: &OpContext,
        identifier: &str,
        planned: &Object,
        taken: ProviderError,
    ) -> Result<Object, ProviderError> {
        let found = describe::instances(&self.rds, "db-instance-id", &[identifier]).await?;
        let Some(i) = found.into_iter().next() else {
            return Err(taken);
        };
        if !ctx.owns(&crate::tags::live(i.tag_list())) {
            return Err(ProviderError {
                message: format!(
                    "{}: a DB instance named `{identifier}` exists and is not this stack's {}; \
                     choose another identifier or import it",
                    taken.message, ctx.address
                ),
                ..taken
            });
        }
        let i = waits::instance_available(&self.rds, ctx, "db-instance-id", identifier).await?;
        Ok(object(&i, planned, &ctx.default_tags))
    }
}

#[async_trait]
impl Resource for DbInstance {
    fn type_name(&self) -> &'static str {
        "aws_db_instance"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = names::check_pair(config, "identifier", "identifier_prefix", 63, false);
        issues.extend(final_snapshot::validate(config));
        let has_password = config.get("password").is_some_and(|v| !v.is_null());
        if has_password && config.bool("manage_master_user_password") == Some(true) {
            issues.push(ValidationIssue {
                attribute: "password".into(),
                message: "set `password` or `manage_master_user_password`, not both".into(),
            });
        }
        if let (Some(size), Some(max)) = (
            config.i64("allocated_storage"),
            config.i64("max_allocated_storage"),
        ) {
            if max != 0 && max < size {
                issues.push(ValidationIssue {
                    attribute: "max_allocated_storage".into(),
                    message: format!(
                        "{max} is below allocated_storage ({size}): set 0 to turn storage autoscaling off"
                    ),
                });
            }
        }
        let monitoring = config.i64("monitoring_interval").unwrap_or(0) > 0;
        let role = config
            .get("monitoring_role_arn")
            .is_some_and(|v| !v.is_null());
        if monitoring && !role {
            issues.push(ValidationIssue {
                attribute: "monitoring_interval".into(),
                message: "Enhanced Monitoring needs `monitoring_role_arn` (a role trusting monitoring.rds.amazonaws.com)".into(),
            });
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
        let found = describe::instances(&self.rds, "db-instance-id", &ids).await?;
        Ok(requests
            .iter()
            .map(|r| {
                found
                    .iter()
                    .find(|i| i.db_instance_identifier() == Some(r.id))
                    .filter(|i| !describe::is_deleted(i.db_instance_status()))
                    .map_or(ReadOutcome::Gone, |i| {
                        ReadOutcome::Live(object(i, r.prior, &ctx.default_tags))
                    })
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(describe::instances(&self.rds, "", &[])
            .await?
            .iter()
            // Aurora members are `aws_rds_cluster_instance`s.
            .filter(|i| i.db_cluster_identifier().is_none())
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
        let groups = planned.strings("vpc_security_group_ids");
        let out = client
            .create_db_instance()
            .db_instance_identifier(&identifier)
            .engine(planned.str("engine").unwrap_or_default())
            .set_engine_version(planned.str("engine_version").map(str::to_string))
            .db_instance_class(planned.str("instance_class").unwrap_or_default())
            .set_allocated_storage(i32_of(planned, "allocated_storage"))
            .set_max_allocated_storage(i32_of(planned, "max_allocated_storage").filter(|n| *n > 0))
            .set_storage_type(planned.str("storage_type").map(str::to_string))
            .set_iops(i32_of(planned, "iops"))
            .storage_encrypted(planned.bool("storage_encrypted").unwrap_or(false))
            .set_kms_key_id(planned.str("kms_key_id").map(str::to_string))
            .set_db_name(planned.str("db_name").map(str::to_string))
            .set_master_username(planned.str("username").map(str::to_string))
            .set_master_user_password(planned.str("password").map(str::to_string))
            .set_manage_master_user_password(planned.bool("manage_master_user_password"))
            .set_master_user_secret_kms_key_id(
                planned
                    .str("master_user_secret_kms_key_id")
                    .map(str::to_string),
            )
            .set_db_subnet_group_name(planned.str("db_subnet_group_name").map(str::to_string))
            .set_db_parameter_group_name(planned.str("parameter_group_name").map(str::to_string))
            .set_vpc_security_group_ids((!groups.is_empty()).then_some(groups))
            .set_multi_az(planned.bool("multi_az"))
            .publicly_accessible(planned.bool("publicly_accessible").unwrap_or(false))
            .set_port(i32_of(planned, "port"))
            .set_backup_retention_period(i32_of(planned, "backup_retention_period"))
            .set_preferred_backup_window(planned.str("backup_window").map(str::to_string))
            .set_preferred_maintenance_window(planned.str("maintenance_window").map(str::to_string))
            .deletion_protection(planned.bool("deletion_protection").unwrap_or(false))
            .copy_tags_to_snapshot(planned.bool("copy_tags_to_snapshot").unwrap_or(false))
            .enable_performance_insights(
                planned
                    .bool("performance_insights_enabled")
                    .unwrap_or(false),
            )
            .set_performance_insights_retention_period(i32_of(
                planned,
                "performance_insights_retention_period",
            ))
            .set_performance_insights_kms_key_id(
                planned
                    .str("performance_insights_kms_key_id")
                    .map(str::to_string),
            )
            .set_monitoring_interval(i32_of(planned, "monitoring_interval"))
            .set_monitoring_role_arn(planned.str("monitoring_role_arn").map(str::to_string))
            .set_enable_cloudwatch_logs_exports(
                Some(strings(planned, "enabled_cloudwatch_logs_exports")).filter(|l| !l.is_empty()),
            )
            .auto_minor_version_upgrade(planned.bool("auto_minor_version_upgrade").unwrap_or(true))
            .set_ca_certificate_identifier(planned.str("ca_cert_identifier").map(str::to_string))
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
                if e.code == "DBInstanceAlreadyExists" {
                    return self.adopt(ctx, &identifier, planned, e).await;
                }
                return Err(e);
            }
        };
        let i = waits::instance_available(&self.rds, ctx, "db-instance-id", &id)
            .await
            .map_err(|e| e.with_partial_id(&id))?;
        Ok(object(&i, planned, &ctx.default_tags))
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
        let immediately = planned.bool("apply_immediately").unwrap_or(false);
        // A rename applied now gives the object its new id; one left for
        // the maintenance window keeps the old until then.
        let after = match planned.str("identifier") {
            Some(new) if immediately && changed.iter().any(|c| c == "identifier") => new,
            _ => id,
        };
        let mut m = client
            .modify_db_instance()
            .db_instance_identifier(id)
            .apply_immediately(planned.bool("apply_immediately").unwrap_or(false));
        let mut modify = false;
        let mut tags_changed = false;
        for name in changed {
            modify |= !matches!(name.as_str(), "tags") && !CONFIG_ONLY.contains(&name.as_str());
            m = match name.as_str() {
                "identifier" => {
                    m.set_new_db_instance_identifier(planned.str("identifier").map(str::to_string))
                }
                "engine_version" => m
                    .set_engine_version(planned.str("engine_version").map(str::to_string))
                    .set_allow_major_version_upgrade(planned.bool("allow_major_version_upgrade")),
                "instance_class" => {
                    m.set_db_instance_class(planned.str("instance_class").map(str::to_string))
                }
                "allocated_storage" => {
                    m.set_allocated_storage(i32_of(planned, "allocated_storage"))
                }
                // 0 turns storage autoscaling off.
                "max_allocated_storage" => {
                    m.max_allocated_storage(i32_of(planned, "max_allocated_storage").unwrap_or(0))
                }
                "storage_type" => {
                    m.set_storage_type(planned.str("storage_type").map(str::to_string))
                }
                "iops" => m.set_iops(i32_of(planned, "iops")),
                "password" => {
                    m.set_master_user_password(planned.str("password").map(str::to_string))
                }
                "manage_master_user_password" => {
                    let on = planned.bool("manage_master_user_password").unwrap_or(false);
                    // Turning it off needs a password to go back to.
                    let m = m.manage_master_user_password(on);
                    if on {
                        m
                    } else {
                        m.set_master_user_password(planned.str("password").map(str::to_string))
                    }
                }
                "master_user_secret_kms_key_id" => m.set_master_user_secret_kms_key_id(
                    planned
                        .str("master_user_secret_kms_key_id")
                        .map(str::to_string),
                ),
                "db_subnet_group_name" => m.set_db_subnet_group_name(
                    planned.str("db_subnet_group_name").map(str::to_string),
                ),
                "parameter_group_name" => m.set_db_parameter_group_name(
                    planned.str("parameter_group_name").map(str::to_string),
                ),
                "vpc_security_group_ids" => {
                    m.set_vpc_security_group_ids(Some(planned.strings("vpc_security_group_ids")))
                }
                "multi_az" => m.set_multi_az(planned.bool("multi_az")),
                "publicly_accessible" => {
                    m.set_publicly_accessible(planned.bool("publicly_accessible"))
                }
                "port" => m.set_db_port_number(i32_of(planned, "port")),
                "backup_retention_period" => {
                    m.set_backup_retention_period(i32_of(planned, "backup_retention_period"))
                }
                "backup_window" => {
                    m.set_preferred_backup_window(planned.str("backup_window").map(str::to_string))
                }
                "maintenance_window" => m.set_preferred_maintenance_window(
                    planned.str("maintenance_window").map(str::to_string),
                ),
                "deletion_protection" => {
                    m.deletion_protection(planned.bool("deletion_protection").unwrap_or(false))
                }
                "copy_tags_to_snapshot" => {
                    m.copy_tags_to_snapshot(planned.bool("copy_tags_to_snapshot").unwrap_or(false))
                }
                "performance_insights_enabled"
                | "performance_insights_retention_period"
                | "performance_insights_kms_key_id" => m
                    .enable_performance_insights(
                        planned
                            .bool("performance_insights_enabled")
                            .unwrap_or(false),
                    )
                    .set_performance_insights_retention_period(i32_of(
                        planned,
                        "performance_insights_retention_period",
                    ))
                    .set_performance_insights_kms_key_id(
                        planned
                            .str("performance_insights_kms_key_id")
                            .map(str::to_string),
                    ),
                "monitoring_interval" | "monitoring_role_arn" => m
                    .set_monitoring_interval(i32_of(planned, "monitoring_interval"))
                    .set_monitoring_role_arn(
                        planned.str("monitoring_role_arn").map(str::to_string),
                    ),
                "enabled_cloudwatch_logs_exports" => {
                    let want = strings(planned, "enabled_cloudwatch_logs_exports");
                    let had = strings(prior, "enabled_cloudwatch_logs_exports");
                    m.cloudwatch_logs_export_configuration(
                        aws_sdk_rds::types::CloudwatchLogsExportConfiguration::builder()
                            .set_enable_log_types(Some(
                                want.iter().filter(|l| !had.contains(l)).cloned().collect(),
                            ))
                            .set_disable_log_types(Some(
                                had.iter().filter(|l| !want.contains(l)).cloned().collect(),
                            ))
                            .build(),
                    )
                }
                "auto_minor_version_upgrade" => m.auto_minor_version_upgrade(
                    planned.bool("auto_minor_version_upgrade").unwrap_or(true),
                ),
                "ca_cert_identifier" => m.set_ca_certificate_identifier(
                    planned.str("ca_cert_identifier").map(str::to_string),
                ),
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
        if modify {
            m.send()
                .await
                .map_err(|e| error("rds:ModifyDBInstance", e))?;
        }
        let i = if modify {
            waits::instance_available(&self.rds, ctx, "db-instance-id", after).await?
        } else {
            describe::instances(&self.rds, "db-instance-id", &[id])
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| not_found(id))?
        };
        Ok(object(&i, planned, &ctx.default_tags))
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let client = self.rds.client().await?;
        let found = describe::instances(&self.rds, "db-instance-id", &[id]).await?;
        let Some(first) = found.first() else {
            return Ok(());
        };
        let identifier = id.to_string();
        if !describe::is_deleted(first.db_instance_status()) {
            let (skip, snapshot) = final_snapshot::on_delete(prior);
            let automated = prior.bool("delete_automated_backups").unwrap_or(true);
            // A backup or modification in progress refuses a delete for a
            // while.
            let busy = [RetryOn::new("InvalidDBInstanceState", ctx.timeout)];
            delete_with_retry("DB instance", &busy, || async {
                let r = client
                    .delete_db_instance()
                    .db_instance_identifier(&identifier)
                    .skip_final_snapshot(skip)
                    .set_final_db_snapshot_identifier(snapshot.clone())
                    .delete_automated_backups(automated)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("rds:DeleteDBInstance", e));
                match r {
                    Err(e) if e.code == "InvalidParameterCombination"
                        && e.message.contains("protect") =>
                    {
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
        }
        waits::instance_gone(&self.rds, ctx, "db-instance-id", id).await
    }
}
