//! The restartix estate (stacks/restartix, composed from its own modules
//! after restartix-iac-layout.txt) run the way an engineer runs it: the
//! real env files with their restartix-staging / restartix-production
//! profiles and the shared S3 state bucket, pointed at moto through
//! AWS_ENDPOINT_URL and a test AWS config defining those profiles.
//!
//! Staging is applied, re-planned clean and checked through the SDK:
//! Aurora Serverless v2 pausing at 0 ACUs, Redis with TLS and an AUTH token,
//! the four scheduled Core API jobs (the backup runner not scheduled), the
//! object-locked buckets, the NAT instance routes, the services behind the
//! HTTPS listener. Production is planned (its own shape: RDS Multi-AZ, NAT
//! gateway, a Redis replica, the nightly backup), applied and re-planned.
//! Neither the Redis AUTH token cairn generates nor the master password RDS
//! generates may appear in any plan, apply, `output` or `state show`.
//!
//! Every resource type of the estate is applied against moto; none is
//! planned only. (moto accepts Aurora Serverless v2 with min 0, RDS-managed
//! master passwords, ElastiCache with encryption and AUTH, SQS, SESv2
//! identities and configuration sets, Scheduler schedules with ECS targets.)
//! moto's gaps are named where they are worked around: its answer to SES v2
//! GetConfigurationSet no SDK can parse (`sesv2_proxy`), and it records
//! neither Performance Insights nor a replication group's replicas, which a
//! re-plan then shows (`MOTO_GAPS`, tolerated and nothing else). What moto
//! does not run, the tests do not claim: tasks never start, schedules never
//! fire, SES sends nothing.

use std::process::Command;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::Filter;
use serde_json::Value;

use crate::support::{rt, Run, Sandbox, BIN};

const REGION: &str = "eu-central-1";

fn s3(sb: &Sandbox) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(sb.moto.endpoint())
            .force_path_style(true)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "e2e"))
            .build(),
    )
}

/// The estate's sandbox; SES v2 calls alone go through the testkit's proxy
/// for moto's unreadable GetConfigurationSet answer.
fn env(name: &str) -> Sandbox {
    let mut sb = Sandbox::with_profiles(
        "restartix",
        name,
        &["restartix-staging", "restartix-production"],
        REGION,
    );
    let proxy = cairn_testkit::sesv2_proxy::start(sb.moto.port());
    sb.vars.push((
        "AWS_ENDPOINT_URL_SESV2".into(),
        format!("http://127.0.0.1:{proxy}"),
    ));
    sb
}

/// The listener's certificate is issued outside the estate (validated
/// through Cloudflare DNS); the estate finds it by domain. Here a throwaway
/// stack requests it in moto's ACM (which issues at once) with the same
/// profile, and its ARN is returned.
const CERTIFICATE_STACK: &str = r#"
[stack]
name = "restartix-certificate"

[provider.aws]
region = "eu-central-1"
profile = "restartix-staging"

[resource.aws_acm_certificate.this]
domain_name = "*.restartix.pro"
validation_method = "DNS"

[resource.aws_acm_certificate_validation.this]
certificate_arn = "${aws_acm_certificate.this.arn}"

[output.arn]
value = "${aws_acm_certificate_validation.this.certificate_arn}"
"#;

fn issue_certificate(sb: &Sandbox) -> String {
    let dir = sb.dir.path().join("certificate");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.toml"), CERTIFICATE_STACK).unwrap();
    let run = |args: &[&str]| {
        let mut c = Command::new(BIN);
        c.args(args)
            .arg("-C")
            .arg(&dir)
            .env("AWS_ENDPOINT_URL", sb.moto.endpoint())
            .env("CAIRN_STATE_DIR", sb.dir.path().join("certificate-state"))
            .env_remove("CAIRN_LOG")
            .env("NO_COLOR", "1");
        for (k, v) in &sb.vars {
            if v.is_empty() {
                c.env_remove(k);
            } else {
                c.env(k, v);
            }
        }
        Run::from(c.output().unwrap()).expect(0)
    };
    run(&["apply", "--auto-approve"]);
    run(&["output", "arn"])
        .stdout
        .trim()
        .trim_matches('"')
        .to_string()
}

/// Addresses the plan creates.
fn created(plan: &str) -> Vec<String> {
    plan.lines()
        .filter_map(|l| l.strip_prefix("  # ")?.strip_suffix(" will be created"))
        .map(String::from)
        .collect()
}

/// The planned value of `key` in `address`'s block of a plan (`+ key = value`).
fn planned(plan: &str, address: &str, key: &str) -> Option<String> {
    let start = plan.find(&format!("  # {address} will be created"))?;
    let block = &plan[start..];
    let end = block[4..].find("\n  # ").map_or(block.len(), |e| e + 4);
    block[..end].lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix("+ ")?.strip_prefix(key)?;
        let value = rest.trim_start().strip_prefix("= ")?;
        Some(value.trim().to_string())
    })
}

/// What moto 5.2.1 records wrongly, so that a re-plan after apply shows a
/// change AWS would not: (address, attribute prefix).
/// - Performance Insights: CreateDBInstance and ModifyDBInstance neither
///   store nor return PerformanceInsightsEnabled, its retention or its key;
///   the instances read back without it and the plan turns it on again.
/// - NumCacheClusters: without cluster mode moto makes
///   ReplicasPerNodeGroup + 1 members (one here) whatever was asked, so
///   production's primary + replica reads as one node and the plan adds the
///   replica again (`num_cache_clusters 1 -> 2`).
const MOTO_GAPS: &[(&str, &str)] = &[
    (
        "module.database_aurora[0].aws_rds_cluster_instance.writer",
        "performance_insights_",
    ),
    (
        "module.database_rds[0].aws_db_instance.this",
        "performance_insights_",
    ),
    (
        "module.cache.aws_elasticache_replication_group.this",
        "num_cache_clusters ",
    ),
];

/// Accepts a clean plan, or one whose only changes are the `MOTO_GAPS`
/// attributes updated in place; fails on anything else, so that real drift
/// is still caught.
fn assert_clean_but_for_moto_gaps(what: &str, run: &Run) {
    if run.code == 0 {
        return;
    }
    assert_eq!(
        run.code, 2,
        "{what} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    let mut allowed = "";
    for line in run.stdout.lines() {
        if let Some(action) = line.strip_prefix("  # ") {
            let gap = MOTO_GAPS
                .iter()
                .find(|(a, _)| action == format!("{a} will be updated in-place"));
            assert!(
                gap.is_some(),
                "{what} is not clean: {action}\n{}",
                run.stdout
            );
            allowed = gap.map_or("", |(_, attribute)| attribute);
            continue;
        }
        let change = line.trim_start();
        if ["~ ", "+ ", "- "].iter().any(|p| change.starts_with(p))
            && !change.starts_with("~ resource ")
        {
            assert!(
                !allowed.is_empty() && change[2..].starts_with(allowed),
                "{what} changes more than moto's gaps: {line}\n{}",
                run.stdout
            );
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn both_environments_validate_offline() {
    for env in ["staging", "production"] {
        crate::support::assert_validates_offline("restartix", env);
    }
}

#[test]
fn staging_applies_aurora_redis_and_the_jobs_and_never_shows_a_secret() {
    let sb = env("staging");
    let rt = rt();
    let certificate = issue_certificate(&sb);
    sb.run(&["backend", "bootstrap"]).expect(0);
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 157 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    // Staging's shape: Aurora, a NAT instance, one GitHub OIDC provider,
    // four scheduled jobs; no RDS instance, NAT gateway or backup schedule.
    let created = created(&plan.stdout);
    for address in [
        "module.database_aurora[0].aws_rds_cluster.this",
        "module.database_aurora[0].aws_rds_cluster_instance.writer",
        "module.database_aurora[0].aws_rds_cluster_parameter_group.this",
        "module.database_aurora[0].aws_db_parameter_group.instance",
        "module.database_aurora[0].aws_db_subnet_group.this",
        "module.cache.aws_elasticache_replication_group.this",
        "module.cache.aws_elasticache_subnet_group.this",
        "module.network.aws_instance.nat[0]",
        "module.network.aws_route.private_nat_instance[\"eu-central-1b\"]",
        "module.scheduled_tasks.aws_sqs_queue.dead_letter",
        "module.scheduled_tasks.aws_scheduler_schedule.this[\"audit-partition-roll\"]",
        "module.scheduled_tasks.aws_scheduler_schedule.this[\"usage-quota-reset\"]",
        "module.scheduled_tasks.aws_scheduler_schedule.this[\"usage-summary-rollup\"]",
        "module.scheduled_tasks.aws_scheduler_schedule.this[\"check-providers\"]",
        "module.email.aws_sesv2_configuration_set.this",
        "module.email.aws_sesv2_email_identity.this",
        "module.deploy_iam.aws_iam_openid_connect_provider.github[0]",
        "module.core_api.aws_ecs_service.this",
        "module.clinic.aws_ecs_service.this",
        "module.backups.aws_ecs_task_definition.this",
    ] {
        assert!(
            created.iter().any(|c| c == address),
            "{address} is not planned:\n{}",
            created.join("\n")
        );
    }
    for absent in [
        "module.database_rds",
        "module.network.aws_nat_gateway",
        "aws_scheduler_schedule.this[\"backup-runner\"]",
        "aws_sns_topic_subscription.webhook",
    ] {
        assert!(
            created.iter().all(|c| !c.contains(absent)),
            "staging plans {absent}"
        );
    }
    let cluster_plan = "module.database_aurora[0].aws_rds_cluster.this";
    assert_eq!(
        planned(&plan.stdout, cluster_plan, "manage_master_user_password").as_deref(),
        Some("true")
    );
    assert_eq!(
        planned(&plan.stdout, cluster_plan, "skip_final_snapshot").as_deref(),
        Some("false")
    );
    assert_eq!(
        planned(
            &plan.stdout,
            "module.cache.aws_elasticache_replication_group.this",
            "auth_token"
        )
        .as_deref(),
        Some("(sensitive value)")
    );

    let apply = sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_clean_but_for_moto_gaps("re-plan", &again);
    let drift = sb.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    assert_clean_but_for_moto_gaps("refresh-only plan", &drift);

    // The state is in the shared bucket under staging's key.
    rt.block_on(
        s3(&sb)
            .head_object()
            .bucket("restartix-tfstate")
            .key("staging/restartix.json")
            .send(),
    )
    .expect("no staging state in s3://restartix-tfstate/staging/restartix.json");
    let pulled = sb.run(&["state", "pull"]).expect(0).stdout;
    let state: Value = serde_json::from_str(&pulled).unwrap();
    let attr = |a: &str, k: &str| {
        state["resources"][a]["attributes"][k]
            .as_str()
            .unwrap_or_else(|| panic!("{a}.{k} is not in state"))
            .to_string()
    };
    let id = |a: &str| attr(a, "id");
    let outputs: Value =
        serde_json::from_str(&sb.run(&["output", "--json"]).expect(0).stdout).unwrap();
    let output = |k: &str| {
        outputs[k]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("output {k}: {outputs}"))
            .to_string()
    };
    let platform_key = attr("aws_kms_key.platform", "arn");
    let private = sorted(vec![
        id("module.network.aws_subnet.private[\"eu-central-1a\"]"),
        id("module.network.aws_subnet.private[\"eu-central-1b\"]"),
    ]);
    let group = |g: &str| id(&format!("module.network.aws_security_group.this[\"{g}\"]"));

    // --- no secret value is ever shown ------------------------------------
    let token = attr("module.cache.random_password.auth_token", "result");
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");
    let secrets = crate::moto_client!(sb, aws_sdk_secretsmanager, REGION);
    let redis_secret = rt
        .block_on(
            secrets
                .get_secret_value()
                .secret_id(id("aws_secretsmanager_secret.app[\"redis\"]"))
                .send(),
        )
        .unwrap();
    let redis_value: Value = serde_json::from_str(redis_secret.secret_string().unwrap()).unwrap();
    assert_eq!(
        redis_value["REDIS_URL"],
        format!("rediss://:{token}@{}:6379", output("redis_endpoint")),
        "the tasks' REDIS_URL carries the token cairn generated"
    );
    assert_eq!(redis_value["REDIS_AUTH_TOKEN"], token.as_str());
    // RDS generated the master password and keeps it in its own secret.
    let master_secret = output("database_master_secret_arn");
    let master = rt
        .block_on(secrets.get_secret_value().secret_id(&master_secret).send())
        .unwrap();
    let master = master.secret_string().unwrap().to_string();
    let password = serde_json::from_str::<Value>(&master)
        .ok()
        .and_then(|v| v["password"].as_str().map(String::from))
        .unwrap_or(master);
    assert!(password.len() >= 8, "{password}");
    assert!(
        !pulled.contains(&password),
        "the RDS-managed master password is in cairn's state"
    );
    let cluster_attrs =
        &state["resources"]["module.database_aurora[0].aws_rds_cluster.this"]["attributes"];
    assert!(
        cluster_attrs
            .get("master_password")
            .is_none_or(|p| p.is_null()),
        "{cluster_attrs}"
    );
    let shows: Vec<(String, Run)> = [
        "module.cache.random_password.auth_token",
        "module.cache.aws_secretsmanager_secret_version.this",
        "module.cache.aws_elasticache_replication_group.this",
        "module.database_aurora[0].aws_rds_cluster.this",
        "module.database_aurora[0].aws_rds_cluster_instance.writer",
    ]
    .iter()
    .map(|a| {
        (
            format!("state show {a}"),
            sb.run(&["state", "show", a]).expect(0),
        )
    })
    .collect();
    let listing = sb.run(&["output"]).expect(0);
    for (what, run) in [
        ("plan", &plan),
        ("apply", &apply),
        ("re-plan", &again),
        ("refresh-only plan", &drift),
        ("output", &listing),
    ]
    .into_iter()
    .chain(shows.iter().map(|(w, r)| (w.as_str(), r)))
    {
        for (secret, name) in [
            (&token, "the Redis AUTH token"),
            (&password, "the master password"),
        ] {
            assert!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "{what} shows {name}"
            );
        }
    }
    assert!(
        shows[2]
            .1
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("auth_token ") && l.contains("(sensitive value)")),
        "{}",
        shows[2].1.stdout
    );
    // The checks above can fail: asked for, the value is there.
    let revealed = sb
        .run(&[
            "state",
            "show",
            "--show-sensitive",
            "module.cache.random_password.auth_token",
        ])
        .expect(0);
    assert!(revealed.stdout.contains(&token), "{}", revealed.stdout);

    // --- Aurora Serverless v2 ---------------------------------------------
    let rds = crate::moto_client!(sb, aws_sdk_rds, REGION);
    let clusters = rt
        .block_on(
            rds.describe_db_clusters()
                .db_cluster_identifier("restartix-staging-aurora")
                .send(),
        )
        .unwrap();
    let cluster = &clusters.db_clusters()[0];
    assert_eq!(cluster.engine(), Some("aurora-postgresql"));
    assert_eq!(cluster.engine_mode(), Some("provisioned"));
    let scaling = cluster
        .serverless_v2_scaling_configuration()
        .expect("no Serverless v2 scaling configuration");
    assert_eq!(scaling.min_capacity(), Some(0.0), "scale to zero");
    assert_eq!(scaling.max_capacity(), Some(2.0));
    assert_eq!(cluster.storage_encrypted(), Some(true));
    assert_eq!(cluster.kms_key_id(), Some(platform_key.as_str()));
    assert_eq!(cluster.deletion_protection(), Some(true));
    assert_eq!(cluster.backup_retention_period(), Some(1));
    assert_eq!(
        cluster.master_user_secret().and_then(|s| s.secret_arn()),
        Some(master_secret.as_str())
    );
    assert_eq!(
        cluster.db_cluster_parameter_group(),
        Some("restartix-staging-aurora")
    );
    let writer = rt
        .block_on(
            rds.describe_db_instances()
                .db_instance_identifier("restartix-staging-aurora-1")
                .send(),
        )
        .unwrap();
    let writer = &writer.db_instances()[0];
    assert_eq!(writer.db_instance_class(), Some("db.serverless"));
    assert_eq!(
        writer.db_cluster_identifier(),
        Some("restartix-staging-aurora")
    );
    assert_eq!(writer.publicly_accessible(), Some(false));
    // (Performance Insights: moto does not record it; the plan shows it on.)
    assert_eq!(output("database_endpoint"), cluster.endpoint().unwrap());

    // --- Redis: one node, TLS, AUTH, the platform key -----------------------
    let elasticache = crate::moto_client!(sb, aws_sdk_elasticache, REGION);
    let groups = rt
        .block_on(
            elasticache
                .describe_replication_groups()
                .replication_group_id("restartix-staging")
                .send(),
        )
        .unwrap();
    let redis = &groups.replication_groups()[0];
    assert_eq!(redis.at_rest_encryption_enabled(), Some(true));
    assert_eq!(redis.transit_encryption_enabled(), Some(true));
    assert_eq!(redis.auth_token_enabled(), Some(true));
    assert_eq!(redis.kms_key_id(), Some(platform_key.as_str()));
    assert_eq!(redis.cache_node_type(), Some("cache.t4g.micro"));
    assert_eq!(redis.member_clusters().len(), 1, "staging: one node");

    // --- the foundation cron registry -------------------------------------
    let ecs_cluster = id("module.ecs_cluster.aws_ecs_cluster.this");
    let dead_letters = attr("module.scheduled_tasks.aws_sqs_queue.dead_letter", "arn");
    assert!(
        dead_letters.ends_with(":restartix-staging-scheduler-dlq"),
        "{dead_letters}"
    );
    let scheduler_role = attr("module.scheduled_tasks.aws_iam_role.scheduler", "arn");
    let core_api_task = output("core_api_task_definition_arn");
    let scheduler = crate::moto_client!(sb, aws_sdk_scheduler, REGION);
    let listed = rt.block_on(scheduler.list_schedules().send()).unwrap();
    let names = sorted(
        listed
            .schedules()
            .iter()
            .filter_map(|s| s.name())
            .map(String::from)
            .collect(),
    );
    assert_eq!(
        names,
        [
            "restartix-staging-audit-partition-roll",
            "restartix-staging-check-providers",
            "restartix-staging-usage-quota-reset",
            "restartix-staging-usage-summary-rollup",
        ],
        "the backup runner is not scheduled in staging"
    );
    for (job, expression) in [
        ("audit-partition-roll", "cron(0 2 1 * ? *)"),
        ("usage-quota-reset", "cron(5 0 1 * ? *)"),
        ("usage-summary-rollup", "cron(0 3 1 * ? *)"),
        ("check-providers", "rate(5 minutes)"),
    ] {
        let s = rt
            .block_on(
                scheduler
                    .get_schedule()
                    .name(format!("restartix-staging-{job}"))
                    .send(),
            )
            .unwrap();
        assert_eq!(s.schedule_expression(), Some(expression), "{job}");
        assert_eq!(s.schedule_expression_timezone(), Some("UTC"), "{job}");
        assert_eq!(s.state().map(|s| s.as_str()), Some("ENABLED"), "{job}");
        assert_eq!(
            s.flexible_time_window().map(|w| w.mode().as_str()),
            Some("OFF"),
            "{job}"
        );
        let target = s.target().unwrap();
        assert_eq!(target.arn(), ecs_cluster, "{job}");
        assert_eq!(target.role_arn(), scheduler_role, "{job}");
        assert_eq!(
            target.dead_letter_config().and_then(|d| d.arn()),
            Some(dead_letters.as_str()),
            "{job}"
        );
        let input: Value = serde_json::from_str(target.input().unwrap()).unwrap();
        assert_eq!(
            input,
            serde_json::json!({ "containerOverrides": [{ "name": "core-api", "command": [job] }] }),
            "{job}"
        );
        let ecs_target = target.ecs_parameters().unwrap();
        assert_eq!(ecs_target.task_definition_arn(), core_api_task, "{job}");
        let network = ecs_target
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .unwrap();
        assert_eq!(sorted(network.subnets().to_vec()), private, "{job}");
        assert_eq!(network.security_groups(), [group("fargate-app")], "{job}");
    }
    assert!(
        rt.block_on(
            scheduler
                .get_schedule()
                .name("restartix-staging-backup-runner")
                .send()
        )
        .is_err(),
        "a null schedule_expression schedules nothing"
    );

    // --- the network: a NAT instance the private tables route through -----
    let ec2 = crate::moto_client!(sb, aws_sdk_ec2, REGION);
    let vpc = id("module.network.aws_vpc.this");
    let nat_instance = id("module.network.aws_instance.nat[0]");
    let instances = rt
        .block_on(ec2.describe_instances().instance_ids(&nat_instance).send())
        .unwrap();
    let nat = &instances.reservations()[0].instances()[0];
    assert_eq!(nat.instance_type().map(|t| t.as_str()), Some("t4g.nano"));
    assert_eq!(
        nat.subnet_id(),
        Some(id("module.network.aws_subnet.public[\"eu-central-1a\"]").as_str())
    );
    let eni = attr(
        "module.network.aws_instance.nat[0]",
        "primary_network_interface_id",
    );
    for az in ["eu-central-1a", "eu-central-1b"] {
        let tables = rt
            .block_on(
                ec2.describe_route_tables()
                    .route_table_ids(id(&format!(
                        "module.network.aws_route_table.private[\"{az}\"]"
                    )))
                    .send(),
            )
            .unwrap();
        assert!(
            tables.route_tables()[0]
                .routes()
                .iter()
                .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
                    && r.network_interface_id() == Some(eni.as_str())),
            "{az}: {:?}",
            tables.route_tables()[0].routes()
        );
    }
    let gateways = rt
        .block_on(
            ec2.describe_nat_gateways()
                .filter(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    assert!(
        gateways.nat_gateways().is_empty(),
        "staging pays for no NAT gateway"
    );
    let endpoints = rt
        .block_on(
            ec2.describe_vpc_endpoints()
                .filters(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    let services = sorted(
        endpoints
            .vpc_endpoints()
            .iter()
            .filter_map(|e| e.service_name())
            .map(String::from)
            .collect(),
    );
    assert_eq!(
        services,
        [
            "com.amazonaws.eu-central-1.ecr.api",
            "com.amazonaws.eu-central-1.ecr.dkr",
            "com.amazonaws.eu-central-1.kms",
            "com.amazonaws.eu-central-1.logs",
            "com.amazonaws.eu-central-1.s3",
            "com.amazonaws.eu-central-1.secretsmanager",
        ]
    );
    // PostgreSQL accepts 5432 from pgbouncer, the migrations runner and
    // (until pgbouncer runs) the app services, nothing else.
    let rules = rt
        .block_on(
            ec2.describe_security_group_rules()
                .filters(
                    Filter::builder()
                        .name("group-id")
                        .values(group("rds"))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let mut from: Vec<(bool, Option<i32>, String)> = rules
        .security_group_rules()
        .iter()
        .map(|r| {
            (
                r.is_egress().unwrap_or(false),
                r.from_port(),
                r.referenced_group_info()
                    .and_then(|g| g.group_id())
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .filter(|(egress, _, _)| !egress)
        .collect();
    from.sort();
    let mut expected = vec![
        (false, Some(5432), group("fargate-app")),
        (false, Some(5432), group("fargate-pgbouncer")),
        (false, Some(5432), group("migrations-runner")),
    ];
    expected.sort();
    assert_eq!(from, expected);

    // --- the app services behind the HTTPS listener ------------------------
    let elb = crate::moto_client!(sb, aws_sdk_elasticloadbalancingv2, REGION);
    let https = id("aws_lb_listener.https");
    let listeners = rt
        .block_on(elb.describe_listeners().listener_arns(&https).send())
        .unwrap();
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(443));
    assert_eq!(
        listener.certificates()[0].certificate_arn(),
        Some(certificate.as_str()),
        "the certificate found by domain"
    );
    let rules = rt
        .block_on(elb.describe_rules().listener_arn(&https).send())
        .unwrap();
    let mut routes: Vec<(String, Vec<String>)> = rules
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let hosts = r
                .conditions()
                .iter()
                .flat_map(|c| {
                    let mut v = c.values().to_vec();
                    v.extend(
                        c.host_header_config()
                            .map_or(vec![], |h| h.values().to_vec()),
                    );
                    v
                })
                .collect::<Vec<_>>();
            (r.priority().unwrap_or_default().to_string(), sorted(hosts))
        })
        .collect();
    routes.sort();
    routes.iter_mut().for_each(|(_, h)| h.dedup());
    assert_eq!(
        routes,
        [
            (
                "100".to_string(),
                vec!["api-staging.restartix.pro".to_string()]
            ),
            (
                "200".to_string(),
                vec!["*.clinic-staging.restartix.pro".to_string()]
            ),
        ]
    );
    let ecs = crate::moto_client!(sb, aws_sdk_ecs, REGION);
    let described = rt
        .block_on(
            ecs.describe_services()
                .cluster("restartix-staging")
                .services("restartix-staging-core-api")
                .services("restartix-staging-clinic")
                .send(),
        )
        .unwrap();
    let mut ports: Vec<(String, Option<i32>)> = described
        .services()
        .iter()
        .map(|s| {
            let vpc = s
                .network_configuration()
                .and_then(|n| n.awsvpc_configuration())
                .unwrap();
            assert_eq!(vpc.assign_public_ip().map(|a| a.as_str()), Some("DISABLED"));
            assert_eq!(vpc.security_groups(), [group("fargate-app")]);
            (
                s.service_name().unwrap_or("").to_string(),
                s.load_balancers()[0].container_port(),
            )
        })
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [
            ("restartix-staging-clinic".to_string(), Some(3000)),
            ("restartix-staging-core-api".to_string(), Some(9000)),
        ]
    );
    let core_api = rt
        .block_on(
            ecs.describe_task_definition()
                .task_definition(&core_api_task)
                .send(),
        )
        .unwrap();
    let container = &core_api.task_definition().unwrap().container_definitions()[0];
    assert!(
        container
            .image()
            .unwrap()
            .ends_with("/restartix-staging-core-api:bootstrap"),
        "{:?}",
        container.image()
    );
    let injected = sorted(
        container
            .secrets()
            .iter()
            .map(|s| format!("{}={}", s.name(), s.value_from()))
            .collect(),
    );
    let secret = |k: &str| id(&format!("aws_secretsmanager_secret.app[\"{k}\"]"));
    assert_eq!(
        injected,
        [
            format!("CLERK_SECRET_KEY={}:CLERK_SECRET_KEY::", secret("clerk")),
            format!("DAILY_API_KEY={}:DAILY_API_KEY::", secret("external")),
            format!("DATABASE_URL={}:DATABASE_URL::", secret("database")),
            format!("ENCRYPTION_KEY={}:ENCRYPTION_KEY::", secret("encryption")),
            format!("REDIS_URL={}:REDIS_URL::", secret("redis")),
        ]
    );
    assert!(
        container
            .environment()
            .iter()
            .all(|e| !e.value().unwrap_or("").contains(&token)),
        "the token is in the task's environment"
    );
    // The backup runner: registered, small, its own roles.
    let runner = rt
        .block_on(
            ecs.describe_task_definition()
                .task_definition("restartix-staging-backup-runner")
                .send(),
        )
        .unwrap();
    let runner = runner.task_definition().unwrap();
    assert_eq!((runner.cpu(), runner.memory()), (Some("256"), Some("1024")));
    assert_eq!(
        runner.task_role_arn(),
        Some(attr("module.backups.aws_iam_role.task", "arn").as_str())
    );

    // --- buckets: versioned, private, audit archive and backups locked ----
    let s3 = s3(&sb);
    for (bucket, locked) in [
        ("restartix-staging-uploads", false),
        ("restartix-staging-audit-archive", true),
        ("restartix-staging-backups-primary", true),
    ] {
        // moto names the XML root of an object-locked bucket's answer
        // GetBucketVersioningResponse, which the SDK refuses: read the
        // status from the body then (as provider-s3 does).
        let status = match rt.block_on(s3.get_bucket_versioning().bucket(bucket).send()) {
            Ok(out) => out.status().map(|s| s.as_str().to_string()),
            Err(e) => e
                .raw_response()
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .filter(|b| b.contains("<Status>Enabled</Status>"))
                .map(|_| "Enabled".to_string()),
        };
        assert_eq!(status.as_deref(), Some("Enabled"), "{bucket}");
        let block = rt
            .block_on(s3.get_public_access_block().bucket(bucket).send())
            .unwrap();
        let block = block.public_access_block_configuration().unwrap();
        assert_eq!(
            (
                block.block_public_acls(),
                block.block_public_policy(),
                block.ignore_public_acls(),
                block.restrict_public_buckets()
            ),
            (Some(true), Some(true), Some(true), Some(true)),
            "{bucket}"
        );
        let lock = rt.block_on(s3.get_object_lock_configuration().bucket(bucket).send());
        if locked {
            let lock = lock.unwrap();
            let retention = lock
                .object_lock_configuration()
                .and_then(|c| c.rule())
                .and_then(|r| r.default_retention())
                .unwrap();
            assert_eq!(
                (retention.mode().map(|m| m.as_str()), retention.years()),
                (Some("COMPLIANCE"), Some(7)),
                "{bucket}"
            );
        } else {
            assert!(
                lock.is_err()
                    || lock
                        .unwrap()
                        .object_lock_configuration()
                        .and_then(|c| c.rule())
                        .is_none(),
                "{bucket} is locked"
            );
        }
    }
    // The backups are encrypted under their own key, not the platform's,
    // whose policy denies data use to everyone but the runner.
    let backups_key = attr("module.backups.aws_kms_key.this", "arn");
    assert_ne!(backups_key, platform_key);
    let encryption = rt
        .block_on(
            s3.get_bucket_encryption()
                .bucket("restartix-staging-backups-primary")
                .send(),
        )
        .unwrap();
    let default = encryption
        .server_side_encryption_configuration()
        .unwrap()
        .rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap();
    assert_eq!(default.kms_master_key_id(), Some(backups_key.as_str()));
    let kms = crate::moto_client!(sb, aws_sdk_kms, REGION);
    let policy = rt
        .block_on(
            kms.get_key_policy()
                .key_id(&backups_key)
                .policy_name("default")
                .send(),
        )
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let deny = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "OnlyTheRunnerAndOperatorsUseIt")
        .expect("the backups key has no deny statement");
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(
        deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"],
        attr("module.backups.aws_iam_role.task", "arn").as_str()
    );
}

#[test]
fn production_plans_rds_a_nat_gateway_and_the_nightly_backup_then_applies() {
    let sb = env("production");
    let rt = rt();
    issue_certificate(&sb);
    sb.run(&["backend", "bootstrap"]).expect(0);
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 159 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let created = created(&plan.stdout);
    for address in [
        "module.database_rds[0].aws_db_instance.this",
        "module.database_rds[0].aws_db_parameter_group.this",
        "module.network.aws_nat_gateway.this[\"eu-central-1a\"]",
        "module.network.aws_route.private_nat_gateway[\"eu-central-1b\"]",
        "module.scheduled_tasks.aws_scheduler_schedule.this[\"backup-runner\"]",
        "module.email.aws_sns_topic_subscription.webhook[\"bounces\"]",
        "module.email.aws_sns_topic_subscription.webhook[\"complaints\"]",
        "module.observability.aws_cloudwatch_metric_alarm.this[\"db-storage\"]",
    ] {
        assert!(
            created.iter().any(|c| c == address),
            "{address} is not planned:\n{}",
            created.join("\n")
        );
    }
    for absent in [
        "module.database_aurora",
        "module.network.aws_instance.nat",
        // The account's provider is staging's (one per issuer per account).
        "aws_iam_openid_connect_provider",
        // One NAT gateway: nat_per_az is off.
        "module.network.aws_nat_gateway.this[\"eu-central-1b\"]",
    ] {
        assert!(
            created.iter().all(|c| !c.contains(absent)),
            "production plans {absent}"
        );
    }
    let db = "module.database_rds[0].aws_db_instance.this";
    for (key, value) in [
        ("multi_az", "true"),
        ("manage_master_user_password", "true"),
        ("performance_insights_enabled", "true"),
        ("deletion_protection", "true"),
        ("skip_final_snapshot", "false"),
        (
            "final_snapshot_identifier",
            "\"restartix-production-postgres-final\"",
        ),
        ("apply_immediately", "false"),
        ("backup_retention_period", "14"),
        ("instance_class", "\"db.t4g.medium\""),
    ] {
        assert_eq!(
            planned(&plan.stdout, db, key).as_deref(),
            Some(value),
            "{db}.{key}"
        );
    }
    assert_eq!(
        planned(
            &plan.stdout,
            "module.cache.aws_elasticache_replication_group.this",
            "num_cache_clusters"
        )
        .as_deref(),
        Some("2")
    );
    assert_eq!(
        planned(
            &plan.stdout,
            "module.scheduled_tasks.aws_scheduler_schedule.this[\"backup-runner\"]",
            "schedule_expression"
        )
        .as_deref(),
        Some("\"cron(0 2 * * ? *)\"")
    );
    assert_eq!(
        planned(
            &plan.stdout,
            "module.scheduled_tasks.aws_scheduler_schedule.this[\"check-providers\"]",
            "schedule_expression"
        )
        .as_deref(),
        Some("\"rate(1 minute)\"")
    );

    sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_clean_but_for_moto_gaps("re-plan", &again);
    let state: Value = serde_json::from_str(&sb.run(&["state", "pull"]).expect(0).stdout).unwrap();
    let attr = |a: &str, k: &str| {
        state["resources"][a]["attributes"][k]
            .as_str()
            .unwrap_or_else(|| panic!("{a}.{k} is not in state"))
            .to_string()
    };

    let rds = crate::moto_client!(sb, aws_sdk_rds, REGION);
    let instances = rt
        .block_on(
            rds.describe_db_instances()
                .db_instance_identifier("restartix-production-postgres")
                .send(),
        )
        .unwrap();
    let postgres = &instances.db_instances()[0];
    assert_eq!(postgres.engine(), Some("postgres"));
    assert_eq!(postgres.multi_az(), Some(true));
    assert_eq!(postgres.storage_encrypted(), Some(true));
    assert_eq!(postgres.deletion_protection(), Some(true));
    assert!(
        postgres
            .master_user_secret()
            .and_then(|s| s.secret_arn())
            .is_some(),
        "RDS manages the master password"
    );
    assert!(postgres
        .db_parameter_groups()
        .iter()
        .any(|g| g.db_parameter_group_name() == Some("restartix-production-postgres")));

    let elasticache = crate::moto_client!(sb, aws_sdk_elasticache, REGION);
    let groups = rt
        .block_on(
            elasticache
                .describe_replication_groups()
                .replication_group_id("restartix-production")
                .send(),
        )
        .unwrap();
    let redis = &groups.replication_groups()[0];
    // (Two nodes on AWS; moto makes one whatever was asked: MOTO_GAPS.)
    assert_eq!(
        redis.automatic_failover().map(|f| f.as_str()),
        Some("enabled")
    );
    assert_eq!(redis.multi_az().map(|m| m.as_str()), Some("enabled"));

    // The nightly backup runs the backup runner's own task definition in
    // the migrations-runner group, with the image's command.
    let scheduler = crate::moto_client!(sb, aws_sdk_scheduler, REGION);
    let backup = rt
        .block_on(
            scheduler
                .get_schedule()
                .name("restartix-production-backup-runner")
                .send(),
        )
        .unwrap();
    assert_eq!(backup.schedule_expression(), Some("cron(0 2 * * ? *)"));
    let target = backup.target().unwrap();
    assert_eq!(target.input(), None, "no command override");
    let ecs_target = target.ecs_parameters().unwrap();
    assert_eq!(
        ecs_target.task_definition_arn(),
        attr("module.backups.aws_ecs_task_definition.this", "arn")
    );
    assert_eq!(
        ecs_target
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .unwrap()
            .security_groups(),
        [attr(
            "module.network.aws_security_group.this[\"migrations-runner\"]",
            "id"
        )]
    );
    let check = rt
        .block_on(
            scheduler
                .get_schedule()
                .name("restartix-production-check-providers")
                .send(),
        )
        .unwrap();
    assert_eq!(check.schedule_expression(), Some("rate(1 minute)"));

    let ec2 = crate::moto_client!(sb, aws_sdk_ec2, REGION);
    let gateways = rt
        .block_on(
            ec2.describe_nat_gateways()
                .filter(
                    Filter::builder()
                        .name("vpc-id")
                        .values(attr("module.network.aws_vpc.this", "id"))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(
        gateways.nat_gateways().len(),
        1,
        "one NAT gateway (nat_per_az off)"
    );
}
