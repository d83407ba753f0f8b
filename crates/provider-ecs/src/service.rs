//! `aws_ecs_service`: a long-running service. Name, cluster, launch type
//! and scheduling strategy force a new service; everything else changes
//! in place with one UpdateService (a new task definition starts a rolling
//! deployment). CreateService carries the create's idempotency token as
//! its client token, so a retried create gets the service the first try
//! made. Deleting scales to 0, deletes, and waits until the service is
//! gone, bounded by the delete timeout.
//!
//! `wait_for_steady_state` (off by default, as in Terraform) makes create
//! and update wait until one deployment runs the desired count, bounded
//! by the operation's timeout, reporting the running count.
//!
//! Settings an endpoint does not answer (moto answers no deployment
//! configuration, grace period, ECS Exec or platform version, and drops
//! the capacity provider strategy) keep the recorded value instead of
//! reading as drift; AWS answers all of them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, Service as SdkService,
    ServiceField, ServiceRegistry,
};
use cairn_aws::{error, wait_until, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::cluster_capacity_providers::{sdk_strategy, strategy_schema, strategy_value};
use crate::{cluster_name, live_tags, sdk_tags, update_tags, Ecs};

/// DescribeServices takes up to 10 services of one cluster a call.
const SERVICES_PER_CALL: usize = 10;
const POLL: Duration = Duration::from_secs(5);

pub struct Service {
    ecs: Arc<Ecs>,
    tagging: Arc<Tagging>,
}

impl Service {
    pub fn new(ecs: Arc<Ecs>, tagging: Arc<Tagging>) -> Self {
        Service { ecs, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let network = Schema::new()
            .attr("subnets", Attribute::new(Type::set(Type::String)).required())
            .attr("security_groups", Attribute::new(Type::set(Type::String)))
            .attr("assign_public_ip", Attribute::bool().default(false));
        let load_balancer = Schema::new()
            .attr("target_group_arn", Attribute::string().required())
            .attr("container_name", Attribute::string().required())
            .attr("container_port", Attribute::number().required());
        let registry = Schema::new()
            .attr("registry_arn", Attribute::string().required())
            .attr("port", Attribute::number())
            .attr("container_name", Attribute::string())
            .attr("container_port", Attribute::number());
        let breaker = Schema::new()
            .attr("enable", Attribute::bool().required())
            .attr("rollback", Attribute::bool().required());
        Schema::new()
            .describe("An ECS service (Fargate or capacity providers, awsvpc); a new task definition or count deploys in place. Opt-in wait for a steady state.")
            .attr("name", Attribute::string().required().force_new())
            .attr(
                "cluster",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .describe("The cluster's ARN or name"),
            )
            .attr("task_definition", Attribute::string().required())
            .attr(
                "desired_count",
                Attribute::number()
                    .default(0)
                    .check(Check::Range(0, 100_000))
                    .describe("Put it in `lifecycle.ignore_changes` when an aws_appautoscaling_target owns the count."),
            )
            .attr(
                "launch_type",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .check(Check::OneOf(&["FARGATE", "EC2", "EXTERNAL"])),
            )
            .attr(
                "capacity_provider_strategy",
                Attribute::new(Type::set(Type::object(strategy_schema())))
                    .describe("Instead of launch_type: FARGATE / FARGATE_SPOT weights"),
            )
            .attr("platform_version", Attribute::string().optional_computed())
            .attr(
                "network_configuration",
                Attribute::new(Type::object(network)),
            )
            .attr(
                "load_balancer",
                Attribute::new(Type::set(Type::object(load_balancer))),
            )
            .attr(
                "service_registries",
                Attribute::new(Type::object(registry)),
            )
            .attr(
                "deployment_minimum_healthy_percent",
                Attribute::number().default(100).check(Check::Range(0, 100)),
            )
            .attr(
                "deployment_maximum_percent",
                Attribute::number().default(200).check(Check::Range(100, 200)),
            )
            .attr(
                "deployment_circuit_breaker",
                Attribute::new(Type::object(breaker)),
            )
            .attr("enable_execute_command", Attribute::bool().default(false))
            .attr("health_check_grace_period_seconds", Attribute::number().default(0))
            .attr(
                "propagate_tags",
                Attribute::string().check(Check::OneOf(&["SERVICE", "TASK_DEFINITION", "NONE"])),
            )
            .attr("enable_ecs_managed_tags", Attribute::bool().default(false))
            .attr(
                "wait_for_steady_state",
                Attribute::bool()
                    .default(false)
                    .describe("Create and update wait until the deployment is steady (bounded by timeouts)."),
            )
            .attr(
                "force_new_deployment",
                Attribute::bool()
                    .default(false)
                    .describe("Every update starts a new deployment, even with the same task definition."),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

/// The cluster of a service: recorded, or from a new-style ARN
/// (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`).
fn cluster_of<'a>(arn: &'a str, prior: &'a Object) -> &'a str {
    if let Some(c) = prior.str("cluster") {
        return c;
    }
    let tail = arn.rsplit_once(":service/").map_or("", |(_, t)| t);
    match tail.split_once('/') {
        Some((cluster, _)) => cluster,
        None => "default",
    }
}

/// Whether `recorded` (a family:revision or an ARN) names the revision
/// `answered`.
fn same_revision(recorded: &str, answered: &str) -> bool {
    recorded == answered || answered.ends_with(&format!("/{recorded}"))
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The service as attributes; settings the answer lacks keep `prior`'s.
fn object(s: &SdkService, prior: &Object, default_tags: &tags::Tags) -> Object {
    let arn = s.service_arn().unwrap_or_default();
    // What the answer lacks stays as recorded (or planned: unknown
    // becomes null, nothing will tell it).
    let kept = |k: &str| {
        prior
            .get(k)
            .filter(|v| v.is_wholly_known())
            .cloned()
            .unwrap_or_default()
    };
    let mut obj = Object::new();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("name".into(), Value::from(s.service_name()));
    let cluster_arn = s.cluster_arn().unwrap_or_default();
    obj.insert(
        "cluster".into(),
        match prior.str("cluster") {
            Some(c) if c == cluster_arn || cluster_name(cluster_arn) == c => c.into(),
            _ => cluster_arn.into(),
        },
    );
    let task = s.task_definition().unwrap_or_default();
    obj.insert(
        "task_definition".into(),
        match prior.str("task_definition") {
            Some(t) if same_revision(t, task) => t.into(),
            _ => task.into(),
        },
    );
    obj.insert("desired_count".into(), Value::from(s.desired_count()));
    let strategy = s.capacity_provider_strategy();
    if strategy.is_empty()
        && prior
            .get("capacity_provider_strategy")
            .is_some_and(|v| !v.is_null())
    {
        obj.insert(
            "capacity_provider_strategy".into(),
            kept("capacity_provider_strategy"),
        );
        obj.insert("launch_type".into(), kept("launch_type"));
    } else {
        obj.insert(
            "capacity_provider_strategy".into(),
            if strategy.is_empty() {
                Value::Null
            } else {
                strategy_value(strategy)
            },
        );
        obj.insert(
            "launch_type".into(),
            Value::from(s.launch_type().map(|l| l.as_str())),
        );
    }
    obj.insert(
        "platform_version".into(),
        match s.platform_version() {
            Some(p) => p.into(),
            None => kept("platform_version"),
        },
    );
    obj.insert(
        "network_configuration".into(),
        s.network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map_or(Value::Null, |a| {
                map(vec![
                    ("subnets", Value::from(a.subnets().to_vec())),
                    ("security_groups", Value::from(a.security_groups().to_vec())),
                    (
                        "assign_public_ip",
                        Value::from(a.assign_public_ip() == Some(&AssignPublicIp::Enabled)),
                    ),
                ])
            }),
    );
    let balancers: Vec<Value> = s
        .load_balancers()
        .iter()
        .map(|l| {
            map(vec![
                ("target_group_arn", Value::from(l.target_group_arn())),
                ("container_name", Value::from(l.container_name())),
                ("container_port", Value::from(l.container_port())),
            ])
        })
        .collect();
    obj.insert(
        "load_balancer".into(),
        if balancers.is_empty() {
            Value::Null
        } else {
            Value::List(balancers)
        },
    );
    obj.insert(
        "service_registries".into(),
        s.service_registries().first().map_or(Value::Null, |r| {
            map(vec![
                ("registry_arn", Value::from(r.registry_arn())),
                ("port", Value::from(r.port())),
                ("container_name", Value::from(r.container_name())),
                ("container_port", Value::from(r.container_port())),
            ])
        }),
    );
    match s.deployment_configuration() {
        Some(d) => {
            obj.insert(
                "deployment_minimum_healthy_percent".into(),
                Value::from(d.minimum_healthy_percent()),
            );
            obj.insert(
                "deployment_maximum_percent".into(),
                Value::from(d.maximum_percent()),
            );
            obj.insert(
                "deployment_circuit_breaker".into(),
                d.deployment_circuit_breaker().map_or(Value::Null, |b| {
                    map(vec![
                        ("enable", b.enable().into()),
                        ("rollback", b.rollback().into()),
                    ])
                }),
            );
            obj.insert(
                "enable_execute_command".into(),
                s.enable_execute_command().into(),
            );
        }
        // An endpoint that answers no deployment configuration (moto)
        // answers no ECS Exec setting either.
        None => {
            for k in [
                "deployment_minimum_healthy_percent",
                "deployment_maximum_percent",
                "deployment_circuit_breaker",
                "enable_execute_command",
            ] {
                obj.insert(k.into(), kept(k));
            }
        }
    }
    obj.insert(
        "health_check_grace_period_seconds".into(),
        match s.health_check_grace_period_seconds() {
            Some(g) => Value::from(g),
            None => kept("health_check_grace_period_seconds"),
        },
    );
    obj.insert(
        "propagate_tags".into(),
        match s.propagate_tags() {
            Some(p) if p.as_str() != "NONE" || prior.str("propagate_tags") == Some("NONE") => {
                p.as_str().into()
            }
            _ => Value::Null,
        },
    );
    obj.insert(
        "enable_ecs_managed_tags".into(),
        s.enable_ecs_managed_tags().into(),
    );
    for k in ["wait_for_steady_state", "force_new_deployment"] {
        obj.insert(
            k.into(),
            prior
                .get(k)
                .cloned()
                .filter(|v| !v.is_null())
                .unwrap_or(false.into()),
        );
    }
    tags::set_live(&mut obj, &live_tags(s.tags()), default_tags);
    obj
}

// ---- configuration -> SDK ----

fn sdk_network(planned: &Object) -> Result<Option<NetworkConfiguration>, ProviderError> {
    let Some(n) = planned.get("network_configuration").and_then(Value::as_map) else {
        return Ok(None);
    };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(n.strings("subnets")))
        .set_security_groups(Some(n.strings("security_groups")))
        .assign_public_ip(if n.bool("assign_public_ip") == Some(true) {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| {
            ProviderError::new(
                "ecs:CreateService",
                "InvalidNetworkConfiguration",
                e.to_string(),
            )
        })?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    ))
}

fn sdk_load_balancers(planned: &Object) -> Vec<LoadBalancer> {
    planned
        .get("load_balancer")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|l| {
            LoadBalancer::builder()
                .set_target_group_arn(l.str("target_group_arn").map(str::to_string))
                .set_container_name(l.str("container_name").map(str::to_string))
                .set_container_port(l.i64("container_port").map(|p| p as i32))
                .build()
        })
        .collect()
}

fn sdk_registries(planned: &Object) -> Vec<ServiceRegistry> {
    planned
        .get("service_registries")
        .and_then(Value::as_map)
        .map(|r| {
            vec![ServiceRegistry::builder()
                .set_registry_arn(r.str("registry_arn").map(str::to_string))
                .set_port(r.i64("port").map(|p| p as i32))
                .set_container_name(r.str("container_name").map(str::to_string))
                .set_container_port(r.i64("container_port").map(|p| p as i32))
                .build()]
        })
        .unwrap_or_default()
}

fn sdk_deployment(planned: &Object) -> DeploymentConfiguration {
    let breaker = planned
        .get("deployment_circuit_breaker")
        .and_then(Value::as_map)
        .map(|b| {
            DeploymentCircuitBreaker::builder()
                .enable(b.bool("enable").unwrap_or(false))
                .rollback(b.bool("rollback").unwrap_or(false))
                .build()
        });
    DeploymentConfiguration::builder()
        .set_minimum_healthy_percent(
            planned
                .i64("deployment_minimum_healthy_percent")
                .map(|p| p as i32),
        )
        .set_maximum_percent(planned.i64("deployment_maximum_percent").map(|p| p as i32))
        .set_deployment_circuit_breaker(breaker)
        .build()
}

fn strategy_or_null(
    planned: &Object,
) -> Option<Vec<aws_sdk_ecs::types::CapacityProviderStrategyItem>> {
    let s = sdk_strategy(planned.get("capacity_provider_strategy"));
    (!s.is_empty()).then_some(s)
}

impl Service {
    /// The active services among `names` (names or ARNs) of one cluster,
    /// by the name or ARN asked for: one call per 10. Missing, DRAINING
    /// and INACTIVE services (deleted ones stay listed) are left out.
    async fn describe(
        &self,
        cluster: &str,
        names: &[&str],
    ) -> Result<HashMap<String, SdkService>, ProviderError> {
        let client = self.ecs.client().await?;
        let mut live = HashMap::new();
        for chunk in names.chunks(SERVICES_PER_CALL) {
            let out = match client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.iter().map(|s| s.to_string()).collect()))
                .include(ServiceField::Tags)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) => {
                    let e = error("ecs:DescribeServices", e);
                    // A cluster that is gone has no services.
                    if e.code == "ClusterNotFoundException" {
                        return Ok(live);
                    }
                    return Err(e);
                }
            };
            for asked in chunk {
                let found = out.services().iter().find(|s| {
                    s.status() == Some("ACTIVE")
                        && (s.service_arn() == Some(asked) || s.service_name() == Some(asked))
                });
                if let Some(s) = found {
                    live.insert(asked.to_string(), s.clone());
                }
            }
        }
        Ok(live)
    }

    async fn read_one(
        &self,
        cluster: &str,
        arn: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.describe(cluster, &[arn])
            .await?
            .get(arn)
            .map(|s| object(s, prior, default_tags))
            .ok_or_else(|| {
                ProviderError::new(
                    "ecs:DescribeServices",
                    "ServiceNotFoundException",
                    format!("service {arn} not found after writing it"),
                )
            })
    }

    /// Waits until one deployment runs the desired count, reporting it.
    async fn wait_steady(
        &self,
        ctx: &OpContext,
        cluster: &str,
        arn: &str,
    ) -> Result<(), ProviderError> {
        let what = format!(
            "service {} to reach a steady state",
            arn.rsplit('/').next().unwrap_or(arn)
        );
        wait_until(&what, ctx.timeout, POLL, || async {
            let Some(s) = self.describe(cluster, &[arn]).await?.remove(arn) else {
                return Err(ProviderError::new(
                    "ecs:DescribeServices",
                    "ServiceNotFoundException",
                    format!("service {arn} disappeared while waiting for it"),
                ));
            };
            let deployments = s.deployments().len();
            ctx.progress.report(&format!(
                "{} of {} tasks running, {deployments} deployment(s)",
                s.running_count(),
                s.desired_count()
            ));
            Ok((deployments == 1 && s.running_count() == s.desired_count()).then_some(()))
        })
        .await
    }
}

#[async_trait]
impl Resource for Service {
    fn type_name(&self) -> &'static str {
        "aws_ecs_service"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let strategy = config
            .get("capacity_provider_strategy")
            .is_some_and(|v| !v.is_null());
        let launch = config.get("launch_type").is_some_and(|v| !v.is_null());
        if strategy && launch {
            issues.push(ValidationIssue {
                attribute: "capacity_provider_strategy".into(),
                message: "set launch_type or capacity_provider_strategy, not both".into(),
            });
        }
        if config.str("launch_type") == Some("FARGATE")
            && config
                .get("network_configuration")
                .is_some_and(Value::is_null)
        {
            issues.push(ValidationIssue {
                attribute: "network_configuration".into(),
                message: "a Fargate service needs network_configuration (awsvpc: subnets and security groups)".into(),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut by_cluster: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in requests {
            by_cluster
                .entry(cluster_of(r.id, r.prior))
                .or_default()
                .push(r.id);
        }
        let mut live = HashMap::new();
        for (cluster, ids) in by_cluster {
            live.extend(self.describe(cluster, &ids).await?);
        }
        Ok(requests
            .iter()
            .map(|r| match live.get(r.id) {
                Some(s) => ReadOutcome::Live(object(s, r.prior, &ctx.default_tags)),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.tagging.owned_entries("ecs:service", stack).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        const OP: &str = "ecs:CreateService";
        let client = self.ecs.client().await?;
        let cluster = planned.str("cluster").unwrap_or("default");
        let out = client
            .create_service()
            .cluster(cluster)
            .service_name(planned.str("name").unwrap_or_default())
            .task_definition(planned.str("task_definition").unwrap_or_default())
            .desired_count(planned.i64("desired_count").unwrap_or(0) as i32)
            .set_launch_type(planned.str("launch_type").map(LaunchType::from))
            .set_capacity_provider_strategy(strategy_or_null(planned))
            .set_platform_version(planned.str("platform_version").map(str::to_string))
            .set_network_configuration(sdk_network(planned)?)
            .set_load_balancers(Some(sdk_load_balancers(planned)))
            .set_service_registries(Some(sdk_registries(planned)))
            .deployment_configuration(sdk_deployment(planned))
            .enable_execute_command(planned.bool("enable_execute_command").unwrap_or(false))
            .set_health_check_grace_period_seconds(
                planned
                    .i64("health_check_grace_period_seconds")
                    .filter(|_| planned.get("load_balancer").is_some_and(|v| !v.is_null()))
                    .map(|g| g as i32),
            )
            .set_propagate_tags(planned.str("propagate_tags").map(PropagateTags::from))
            .enable_ecs_managed_tags(planned.bool("enable_ecs_managed_tags").unwrap_or(false))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .client_token(&ctx.idempotency_token)
            .send()
            .await
            .map_err(|e| error(OP, e))?;
        let s = out
            .service()
            .ok_or_else(|| ProviderError::new(OP, "EmptyResponse", "no service in the answer"))?;
        let arn = cairn_aws::created_id(OP, s.service_arn())?;
        if planned.bool("wait_for_steady_state") == Some(true) {
            self.wait_steady(ctx, cluster, &arn)
                .await
                .map_err(|e| e.with_partial_id(&arn))?;
        }
        self.read_one(cluster, &arn, planned, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&arn))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        const OP: &str = "ecs:UpdateService";
        let client = self.ecs.client().await?;
        let cluster = cluster_of(id, prior);
        // Tags have their own calls; the two switches are cairn's alone.
        let service_changes: Vec<&str> = changed
            .iter()
            .map(String::as_str)
            .filter(|c| {
                !matches!(
                    *c,
                    "tags" | "wait_for_steady_state" | "force_new_deployment"
                )
            })
            .collect();
        let mut call = client.update_service().cluster(cluster).service(id);
        for name in &service_changes {
            call = match *name {
                "task_definition" => {
                    call.task_definition(planned.str("task_definition").unwrap_or_default())
                }
                "desired_count" => {
                    call.desired_count(planned.i64("desired_count").unwrap_or(0) as i32)
                }
                // A new strategy needs a new deployment.
                "capacity_provider_strategy" => call
                    .set_capacity_provider_strategy(Some(sdk_strategy(
                        planned.get("capacity_provider_strategy"),
                    )))
                    .force_new_deployment(true),
                "platform_version" => {
                    call.set_platform_version(planned.str("platform_version").map(str::to_string))
                }
                "network_configuration" => call.set_network_configuration(sdk_network(planned)?),
                "load_balancer" => call.set_load_balancers(Some(sdk_load_balancers(planned))),
                "service_registries" => call.set_service_registries(Some(sdk_registries(planned))),
                "deployment_minimum_healthy_percent"
                | "deployment_maximum_percent"
                | "deployment_circuit_breaker" => {
                    call.deployment_configuration(sdk_deployment(planned))
                }
                "enable_execute_command" => call.enable_execute_command(
                    planned.bool("enable_execute_command").unwrap_or(false),
                ),
                "health_check_grace_period_seconds" => call.set_health_check_grace_period_seconds(
                    planned
                        .i64("health_check_grace_period_seconds")
                        .map(|g| g as i32),
                ),
                "propagate_tags" => call.propagate_tags(PropagateTags::from(
                    planned.str("propagate_tags").unwrap_or("NONE"),
                )),
                "enable_ecs_managed_tags" => call.enable_ecs_managed_tags(
                    planned.bool("enable_ecs_managed_tags").unwrap_or(false),
                ),
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            };
        }
        let deploy = !service_changes.is_empty();
        if deploy {
            if planned.bool("force_new_deployment") == Some(true) {
                call = call.force_new_deployment(true);
            }
            call.send().await.map_err(|e| error(OP, e))?;
        }
        if changed.iter().any(|c| c == "tags") {
            update_tags(&self.ecs, id, ctx, prior, planned).await?;
        }
        if deploy && planned.bool("wait_for_steady_state") == Some(true) {
            self.wait_steady(ctx, cluster, id).await?;
        }
        self.read_one(cluster, id, planned, &ctx.default_tags).await
    }

    async fn delete(&self, ctx: &OpContext, id: &str, prior: &Object) -> Result<(), ProviderError> {
        let client = self.ecs.client().await?;
        let cluster = cluster_of(id, prior);
        if self.describe(cluster, &[id]).await?.is_empty() {
            return Ok(());
        }
        // Scale to 0 first: the tasks stop (draining from their target
        // groups) instead of being killed by a forced delete.
        client
            .update_service()
            .cluster(cluster)
            .service(id)
            .desired_count(0)
            .send()
            .await
            .map_err(|e| error("ecs:UpdateService", e))?;
        match client
            .delete_service()
            .cluster(cluster)
            .service(id)
            .force(true)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = error("ecs:DeleteService", e);
                if !matches!(
                    e.code.as_str(),
                    "ServiceNotFoundException" | "ServiceNotActiveException"
                ) {
                    return Err(e);
                }
            }
        }
        let what = format!(
            "service {} to drain and be deleted",
            id.rsplit('/').next().unwrap_or(id)
        );
        wait_until(&what, ctx.timeout, POLL, || async {
            Ok(self.is_gone(cluster, id).await?.then_some(()))
        })
        .await
    }
}

impl Service {
    /// Whether the service is gone: INACTIVE (listed for a while after a
    /// delete) or missing.
    async fn is_gone(&self, cluster: &str, id: &str) -> Result<bool, ProviderError> {
        let client = self.ecs.client().await?;
        let out = match client
            .describe_services()
            .cluster(cluster)
            .services(id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("ecs:DescribeServices", e);
                return if e.code == "ClusterNotFoundException" {
                    Ok(true)
                } else {
                    Err(e)
                };
            }
        };
        Ok(out
            .services()
            .iter()
            .all(|s| s.status() == Some("INACTIVE")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_comes_from_the_record_or_the_arn() {
        let none = Object::new();
        assert_eq!(
            cluster_of("arn:aws:ecs:eu-west-2:1:service/tracker/api", &none),
            "tracker"
        );
        assert_eq!(
            cluster_of("arn:aws:ecs:eu-west-2:1:service/api", &none),
            "default"
        );
        let recorded: Object = [("cluster".to_string(), Value::from("other"))].into();
        assert_eq!(
            cluster_of("arn:aws:ecs:eu-west-2:1:service/tracker/api", &recorded),
            "other"
        );
    }

    #[test]
    fn a_revision_is_the_same_by_arn_or_family_and_number() {
        let arn = "arn:aws:ecs:eu-west-2:1:task-definition/api:3";
        assert!(same_revision("api:3", arn));
        assert!(same_revision(arn, arn));
        assert!(!same_revision("api:2", arn));
        assert!(!same_revision("i:3", arn));
    }
}
