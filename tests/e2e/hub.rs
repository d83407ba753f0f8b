//! The Hub Server-Side Tracking estate (stacks/hub, from
//! hub-aws-infrastructure.txt) run the way an engineer runs it: the real env
//! files, their profile names and S3 state, pointed at moto through
//! AWS_ENDPOINT_URL and a test AWS config that defines those profiles. Dev
//! applies and re-plans clean and is checked through the SDK (network, ECS,
//! ALB, RDS, ElastiCache, Secrets Manager); the Redis AUTH token cairn
//! generates is never shown.

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Run, Sandbox};

fn env(name: &str) -> Sandbox {
    Sandbox::with_profiles("hub", name, &["hub-dev", "hub-production"], "us-east-1")
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn both_environments_validate_offline() {
    for env in ["dev", "production"] {
        crate::support::assert_validates_offline("hub", env);
    }
}

#[test]
fn dev_applies_replans_clean_and_never_shows_the_redis_token() {
    let sb = env("dev");
    let rt = rt();
    sb.run(&["backend", "bootstrap"]).expect(0);
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 60 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let apply = sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "re-plan is not clean:\n{}\n{}",
        again.stdout, again.stderr
    );
    let drift = sb.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    assert_eq!(drift.code, 0, "drift reported:\n{}", drift.stdout);

    let state: serde_json::Value =
        serde_json::from_str(&sb.run(&["state", "pull"]).expect(0).stdout).unwrap();
    let attr = |a: &str, k: &str| {
        state["resources"][a]["attributes"][k]
            .as_str()
            .unwrap_or_else(|| panic!("{a}.{k} is not in state"))
            .to_string()
    };
    let id = |a: &str| attr(a, "id");
    let outputs: serde_json::Value =
        serde_json::from_str(&sb.run(&["output", "--json"]).expect(0).stdout).unwrap();
    let output = |k: &str| {
        outputs[k]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("output {k}: {outputs}"))
            .to_string()
    };
    let key_arn = attr("aws_kms_key.this", "arn");
    let private = sorted(vec![
        id("aws_subnet.private[\"us-east-1a\"]"),
        id("aws_subnet.private[\"us-east-1b\"]"),
    ]);
    let public = sorted(vec![
        id("aws_subnet.public[\"us-east-1a\"]"),
        id("aws_subnet.public[\"us-east-1b\"]"),
    ]);
    let group = |g: &str| id(&format!("aws_security_group.this[\"{g}\"]"));

    // The Redis token: generated once, kept only in state and Secrets
    // Manager, never printed.
    let token = attr("random_password.redis_auth_token", "result");
    assert_eq!(token.len(), 32);
    // A change to the replication group shows its attributes (the token
    // among them, masked) without applying it (moto has no
    // ModifyReplicationGroup).
    let touch = sb
        .run(&[
            "plan",
            "--detailed-exitcode",
            "--var",
            "redis_snapshot_retention_days=3",
        ])
        .expect(2);
    assert!(
        touch
            .stdout
            .contains("aws_elasticache_replication_group.this will be updated in-place")
            || touch
                .stdout
                .contains("aws_elasticache_replication_group.this must be replaced"),
        "{}",
        touch.stdout
    );
    let json_plan = sb.run(&["plan", "--json"]).expect(0);
    let markdown_plan = sb.run(&["plan", "--format", "markdown"]).expect(0);
    let shows: Vec<(String, Run)> = [
        "random_password.redis_auth_token",
        "aws_secretsmanager_secret_version.redis_auth_token",
        "aws_elasticache_replication_group.this",
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
        ("plan touching the replication group", &touch),
        ("plan --json", &json_plan),
        ("plan --format markdown", &markdown_plan),
        ("output", &listing),
    ]
    .into_iter()
    .chain(shows.iter().map(|(w, r)| (w.as_str(), r)))
    {
        assert!(
            !run.stdout.contains(&token) && !run.stderr.contains(&token),
            "{what} shows the Redis AUTH token"
        );
    }
    let group_show = &shows[2].1.stdout;
    assert!(
        group_show
            .lines()
            .any(|l| l.trim_start().starts_with("auth_token ") && l.contains("(sensitive value)")),
        "{group_show}"
    );
    // The checks above can fail: asked for, the value is there.
    let revealed = sb
        .run(&[
            "state",
            "show",
            "--show-sensitive",
            "random_password.redis_auth_token",
        ])
        .expect(0);
    assert!(revealed.stdout.contains(&token), "{}", revealed.stdout);
    // RDS keeps the master password: none is recorded.
    let db_attrs = &state["resources"]["aws_db_instance.this"]["attributes"];
    assert!(
        db_attrs.get("password").is_none_or(|p| p.is_null()),
        "{db_attrs}"
    );

    // The network: the document's ranges, one NAT gateway in the first
    // public subnet, the private table through it.
    let ec2 = crate::moto_client!(sb, aws_sdk_ec2, "us-east-1");
    let vpc = id("aws_vpc.this");
    let vpcs = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&vpc).send())
        .unwrap();
    assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    let subnets = rt
        .block_on(
            ec2.describe_subnets()
                .filters(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    let mut layout: Vec<(String, String)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            (
                s.cidr_block().unwrap_or("").to_string(),
                s.availability_zone().unwrap_or("").to_string(),
            )
        })
        .collect();
    layout.sort();
    let expected: Vec<(String, String)> = [
        ("10.0.1.0/24", "us-east-1a"),
        ("10.0.101.0/24", "us-east-1a"),
        ("10.0.102.0/24", "us-east-1b"),
        ("10.0.2.0/24", "us-east-1b"),
    ]
    .iter()
    .map(|(c, z)| (c.to_string(), z.to_string()))
    .collect();
    assert_eq!(layout, expected);
    let nats = rt
        .block_on(
            ec2.describe_nat_gateways()
                .filter(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    assert_eq!(nats.nat_gateways().len(), 1, "one NAT gateway");
    let nat = nats.nat_gateways()[0].nat_gateway_id().unwrap().to_string();
    assert_eq!(
        nats.nat_gateways()[0].subnet_id(),
        Some(id("aws_subnet.public[\"us-east-1a\"]").as_str())
    );
    let tables = rt
        .block_on(
            ec2.describe_route_tables()
                .route_table_ids(id("aws_route_table.private"))
                .send(),
        )
        .unwrap();
    assert!(tables.route_tables()[0]
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
            && r.nat_gateway_id() == Some(nat.as_str())));

    // Security groups: each data store accepts only its port from the
    // tasks, and has no egress (the default allow-all rule is gone).
    for (store, port) in [("rds", 5432), ("redis", 6379)] {
        let rules = rt
            .block_on(
                ec2.describe_security_group_rules()
                    .filters(
                        Filter::builder()
                            .name("group-id")
                            .values(group(store))
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
        let rules: Vec<(bool, Option<i32>, Option<String>)> = rules
            .security_group_rules()
            .iter()
            .map(|r| {
                (
                    r.is_egress().unwrap_or(false),
                    r.from_port(),
                    r.referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(String::from),
                )
            })
            .collect();
        assert_eq!(rules, [(false, Some(port), Some(group("ecs")))], "{store}");
    }

    // ECS: the document's cluster, service and task family.
    let ecs = crate::moto_client!(sb, aws_sdk_ecs, "us-east-1");
    let clusters = rt
        .block_on(
            ecs.describe_clusters()
                .clusters("hub-cluster")
                .include(aws_sdk_ecs::types::ClusterField::Settings)
                .send(),
        )
        .unwrap();
    let cluster = &clusters.clusters()[0];
    assert_eq!(cluster.status(), Some("ACTIVE"));
    assert!(cluster
        .settings()
        .iter()
        .any(
            |s| s.name().map(|n| n.as_str()) == Some("containerInsights")
                && s.value() == Some("enabled")
        ));
    let services = rt
        .block_on(
            ecs.describe_services()
                .cluster("hub-cluster")
                .services("hub-api-service")
                .send(),
        )
        .unwrap();
    assert_eq!(services.services().len(), 1, "{services:?}");
    let service = &services.services()[0];
    assert_eq!(service.status(), Some("ACTIVE"));
    assert_eq!(service.desired_count(), 1);
    assert_eq!(service.launch_type().map(|l| l.as_str()), Some("FARGATE"));
    let target_group = id("aws_lb_target_group.api");
    let balancer = &service.load_balancers()[0];
    assert_eq!(balancer.target_group_arn(), Some(target_group.as_str()));
    assert_eq!(balancer.container_name(), Some("hub-server-side-tracking"));
    assert_eq!(balancer.container_port(), Some(3000));
    let network = service
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .unwrap();
    assert_eq!(
        network.assign_public_ip().map(|a| a.as_str()),
        Some("DISABLED")
    );
    assert_eq!(sorted(network.subnets().to_vec()), private);
    assert_eq!(network.security_groups(), [group("ecs")]);

    let family = rt
        .block_on(
            ecs.describe_task_definition()
                .task_definition("hub-api-task")
                .send(),
        )
        .unwrap();
    let task = family.task_definition().unwrap();
    assert_eq!((task.cpu(), task.memory()), (Some("256"), Some("512")));
    let container = &task.container_definitions()[0];
    assert_eq!(container.name(), Some("hub-server-side-tracking"));
    assert!(
        container
            .image()
            .unwrap()
            .ends_with("/hub-server-side-tracking-api:latest"),
        "{:?}",
        container.image()
    );
    let db_secret = output("db_master_secret_arn");
    let token_secret = id("aws_secretsmanager_secret.redis_auth_token");
    let mut secrets: Vec<(String, String)> = container
        .secrets()
        .iter()
        .map(|s| (s.name().to_string(), s.value_from().to_string()))
        .collect();
    secrets.sort();
    assert_eq!(
        secrets,
        [
            ("DB_PASSWORD".to_string(), format!("{db_secret}:password::")),
            ("DB_USER".to_string(), format!("{db_secret}:username::")),
            ("REDIS_AUTH_TOKEN".to_string(), token_secret.clone()),
        ]
    );
    let environment: Vec<(String, String)> = container
        .environment()
        .iter()
        .map(|e| {
            (
                e.name().unwrap_or("").to_string(),
                e.value().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        environment.contains(&("REDIS_TLS".to_string(), "true".to_string())),
        "{environment:?}"
    );
    assert!(
        environment.iter().all(|(_, v)| !v.contains(&token)),
        "the token is in the task's environment"
    );
    let log = container.log_configuration().unwrap().options().unwrap();
    assert_eq!(
        log.get("awslogs-group").map(String::as_str),
        Some("/ecs/hub-server-side-tracking")
    );
    assert_eq!(
        log.get("awslogs-stream-prefix").map(String::as_str),
        Some("ecs")
    );
    let logs = crate::moto_client!(sb, aws_sdk_cloudwatchlogs, "us-east-1");
    let groups = rt
        .block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/ecs/hub-server-side-tracking")
                .send(),
        )
        .unwrap();
    let log_group = &groups.log_groups()[0];
    assert_eq!(log_group.retention_in_days(), Some(30));
    assert_eq!(log_group.kms_key_id(), Some(key_arn.as_str()));

    // The ALB: internet-facing in the public subnets, port 80 forwarding
    // to the API's target group, access logs on.
    let elb = crate::moto_client!(sb, aws_sdk_elasticloadbalancingv2, "us-east-1");
    let balancers = rt
        .block_on(elb.describe_load_balancers().names("hub-alb").send())
        .unwrap();
    let lb = &balancers.load_balancers()[0];
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    let lb_subnets: Vec<String> = lb
        .availability_zones()
        .iter()
        .filter_map(|z| z.subnet_id())
        .map(String::from)
        .collect();
    assert_eq!(sorted(lb_subnets), public);
    assert_eq!(output("alb_dns_name"), lb.dns_name().unwrap());
    let listeners = rt
        .block_on(
            elb.describe_listeners()
                .load_balancer_arn(lb.load_balancer_arn().unwrap())
                .send(),
        )
        .unwrap();
    assert_eq!(listeners.listeners().len(), 1);
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(80));
    assert_eq!(
        listener.default_actions()[0].target_group_arn(),
        Some(target_group.as_str())
    );
    let groups = rt
        .block_on(
            elb.describe_target_groups()
                .target_group_arns(&target_group)
                .send(),
        )
        .unwrap();
    let tg = &groups.target_groups()[0];
    assert_eq!(tg.port(), Some(3000));
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!(tg.health_check_path(), Some("/health"));
    let attributes = rt
        .block_on(
            elb.describe_load_balancer_attributes()
                .load_balancer_arn(lb.load_balancer_arn().unwrap())
                .send(),
        )
        .unwrap();
    assert!(attributes
        .attributes()
        .iter()
        .any(|a| a.key() == Some("access_logs.s3.bucket")
            && a.value() == Some("hub-server-side-tracking-dev-alb-logs")));

    // PostgreSQL: private, encrypted with the stack's key, backed up, the
    // master password managed by RDS in Secrets Manager.
    let rds = crate::moto_client!(sb, aws_sdk_rds, "us-east-1");
    let instances = rt
        .block_on(
            rds.describe_db_instances()
                .db_instance_identifier("hub-api-db")
                .send(),
        )
        .unwrap();
    let db = &instances.db_instances()[0];
    assert_eq!(db.engine(), Some("postgres"));
    assert_eq!(db.db_instance_class(), Some("db.t4g.micro"));
    assert_eq!(db.allocated_storage(), Some(20));
    assert_eq!(db.storage_encrypted(), Some(true));
    assert_eq!(db.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(db.publicly_accessible(), Some(false));
    assert_eq!(db.multi_az(), Some(false));
    assert_eq!(db.deletion_protection(), Some(false));
    assert_eq!(db.backup_retention_period(), Some(7));
    assert_eq!(db.db_name(), Some("hub_db"));
    assert_eq!(db.master_username(), Some("postgres"));
    assert_eq!(
        db.master_user_secret().and_then(|s| s.secret_arn()),
        Some(db_secret.as_str()),
        "RDS manages the master password"
    );
    let db_subnets: Vec<String> = db
        .db_subnet_group()
        .map(|g| {
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(sorted(db_subnets), private);
    let db_groups: Vec<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    assert_eq!(db_groups, [group("rds").as_str()]);
    let address = db.endpoint().and_then(|e| e.address()).unwrap();
    assert!(
        output("db_endpoint").starts_with(address),
        "{} is not {address}",
        output("db_endpoint")
    );
    assert!(environment.contains(&("DB_HOST".to_string(), address.to_string())));

    // Redis: encrypted at rest with the key and in transit, with the token;
    // one node in dev.
    let elasticache = crate::moto_client!(sb, aws_sdk_elasticache, "us-east-1");
    let replication = rt
        .block_on(
            elasticache
                .describe_replication_groups()
                .replication_group_id("hub-redis")
                .send(),
        )
        .unwrap();
    let redis = &replication.replication_groups()[0];
    assert_eq!(redis.at_rest_encryption_enabled(), Some(true));
    assert_eq!(redis.transit_encryption_enabled(), Some(true));
    assert_eq!(redis.auth_token_enabled(), Some(true));
    assert_eq!(redis.kms_key_id(), Some(key_arn.as_str()));
    assert_eq!(redis.cache_node_type(), Some("cache.t4g.micro"));
    assert_eq!(redis.member_clusters().len(), 1);
    let primary = redis.node_groups()[0]
        .primary_endpoint()
        .and_then(|e| e.address())
        .unwrap();
    assert_eq!(output("redis_endpoint"), primary);
    assert!(environment.contains(&("REDIS_HOST".to_string(), primary.to_string())));
    // The tasks' copy of the token is the one Redis was created with.
    let secretsmanager = crate::moto_client!(sb, aws_sdk_secretsmanager, "us-east-1");
    let stored = rt
        .block_on(
            secretsmanager
                .get_secret_value()
                .secret_id(&token_secret)
                .send(),
        )
        .unwrap();
    assert_eq!(stored.secret_string(), Some(token.as_str()));

    // What setup-github-secrets.sh reads (document step 5).
    for (k, v) in [
        ("aws_region", "us-east-1"),
        ("ecr_repository", "hub-server-side-tracking-api"),
        ("ecs_cluster", "hub-cluster"),
        ("ecs_service", "hub-api-service"),
        ("ecs_task_definition", "hub-api-task"),
        ("log_group", "/ecs/hub-server-side-tracking"),
    ] {
        assert_eq!(output(k), v, "output {k}");
    }
    assert!(output("ecr_repository_url").ends_with(".amazonaws.com/hub-server-side-tracking-api"));
    assert_eq!(output("redis_auth_token_secret_arn"), token_secret);
    // GitHub Actions assume the deploy role with OIDC, from main only.
    let trust = attr("aws_iam_role.github_deploy", "assume_role_policy");
    assert!(
        trust.contains("sts:AssumeRoleWithWebIdentity")
            && trust.contains("repo:hub-tracking/hub-server-side-tracking:ref:refs/heads/main"),
        "{trust}"
    );
    assert_eq!(
        output("github_deploy_role_arn"),
        attr("aws_iam_role.github_deploy", "arn")
    );
    // Autoscaling 1..5 on CPU, and the document's alarm.
    let target = &state["resources"]["aws_appautoscaling_target.api"]["attributes"];
    assert_eq!(
        (
            target["min_capacity"].as_f64(),
            target["max_capacity"].as_f64()
        ),
        (Some(1.0), Some(5.0))
    );
    assert_eq!(
        attr("aws_cloudwatch_metric_alarm.ecs_cpu_high", "alarm_name"),
        "ecs-cpu-high"
    );
}
