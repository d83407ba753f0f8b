//! The Tracker estate (stacks/tracker, composed from stacks/modules) run the
//! way an engineer runs it: the real env files, with their profile names and
//! S3 state, pointed at moto through AWS_ENDPOINT_URL and a test AWS config
//! that defines those profiles. Staging owns its database host; production
//! reuses an existing database over peering, through the `aws.database`
//! provider (a role it assumes). Checked through the SDK.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::support::{rt, Sandbox};

fn env(name: &str) -> Sandbox {
    Sandbox::with_profiles(
        "tracker",
        name,
        &["glimpse-staging", "glimpse-production"],
        "eu-west-2",
    )
}

#[test]
fn staging_applies_with_its_own_data_tier_and_replans_clean() {
    let sb = env("staging");
    let rt = rt();
    let ec2 = sb.ec2();
    sb.run(&["backend", "bootstrap"]).expect(0);
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 188 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    // Every instance the modules, count and for_each expand to, by address.
    let created: Vec<&str> = plan
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  # ")?.strip_suffix(" will be created"))
        .collect();
    insta::assert_snapshot!("tracker_staging_addresses", created.join("\n"));
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "re-plan is not clean:\n{}\n{}",
        again.stdout, again.stderr
    );
    let drift = sb.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    assert_eq!(drift.code, 0, "drift reported:\n{}", drift.stdout);

    // The state is in the staging bucket, under module addresses.
    let state = sb.s3_json(
        "glimpse-staging-tracker-restapi-state",
        "tracker/staging.json",
    );
    let id = |a: &str| {
        state["resources"][a]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{a} is not in state"))
            .to_string()
    };
    let vpc = id("module.network.aws_vpc.this");

    // The /24 split into four /26 subnets, public first (reference §3.2).
    let subnets = rt
        .block_on(
            ec2.describe_subnets()
                .filters(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    let mut layout: Vec<(String, String, String)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            let name = s
                .tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
                .unwrap_or("");
            (
                name.to_string(),
                s.cidr_block().unwrap_or("").to_string(),
                s.availability_zone().unwrap_or("").to_string(),
            )
        })
        .collect();
    layout.sort();
    assert_eq!(
        layout,
        [
            (
                "tracker-restapi-staging-private-eu-west-2a".to_string(),
                "10.40.0.128/26".to_string(),
                "eu-west-2a".to_string()
            ),
            (
                "tracker-restapi-staging-private-eu-west-2b".into(),
                "10.40.0.192/26".into(),
                "eu-west-2b".into()
            ),
            (
                "tracker-restapi-staging-public-eu-west-2a".into(),
                "10.40.0.0/26".into(),
                "eu-west-2a".into()
            ),
            (
                "tracker-restapi-staging-public-eu-west-2b".into(),
                "10.40.0.64/26".into(),
                "eu-west-2b".into()
            ),
        ]
    );
    // One NAT gateway, in the first public subnet; the private table routes through it.
    let nat = id("module.network.aws_nat_gateway.this");
    let nats = rt
        .block_on(ec2.describe_nat_gateways().nat_gateway_ids(&nat).send())
        .unwrap();
    assert_eq!(
        nats.nat_gateways()[0].subnet_id(),
        Some(id("module.network.aws_subnet.public[\"eu-west-2a\"]").as_str())
    );
    let private = rt
        .block_on(
            ec2.describe_route_tables()
                .route_table_ids(id("module.network.aws_route_table.private"))
                .send(),
        )
        .unwrap();
    assert!(private.route_tables()[0]
        .routes()
        .iter()
        .any(|r| r.nat_gateway_id() == Some(nat.as_str())));
    // Interface endpoints for each service, in the private subnets.
    let endpoints = rt
        .block_on(
            ec2.describe_vpc_endpoints()
                .filters(Filter::builder().name("vpc-id").values(&vpc).build())
                .send(),
        )
        .unwrap();
    let mut services: Vec<&str> = endpoints
        .vpc_endpoints()
        .iter()
        .filter_map(|e| e.service_name())
        .collect();
    services.sort();
    assert_eq!(
        services,
        [
            "com.amazonaws.eu-west-2.ecr.api",
            "com.amazonaws.eu-west-2.ecr.dkr",
            "com.amazonaws.eu-west-2.logs",
            "com.amazonaws.eu-west-2.s3",
            "com.amazonaws.eu-west-2.secretsmanager",
            "com.amazonaws.eu-west-2.ssm",
        ]
    );
    // Flow logs to their log group.
    let flow = rt
        .block_on(
            ec2.describe_flow_logs()
                .flow_log_ids(id("module.network.aws_flow_log.this"))
                .send(),
        )
        .unwrap();
    assert!(flow.flow_logs()[0]
        .log_destination()
        .unwrap()
        .ends_with("log-group:/aws/vpc/tracker-restapi-staging-flow-logs"));
    // One log group per service and job, encrypted with the stack's key.
    let logs = sb.logs();
    let groups = rt
        .block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/aws/ecs/tracker-restapi-staging/")
                .send(),
        )
        .unwrap();
    let key_arn = state["outputs"]["kms_key_arn"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(groups.log_groups().len(), 10, "8 services and 2 jobs");
    for g in groups.log_groups() {
        assert_eq!(
            g.kms_key_id(),
            Some(key_arn.as_str()),
            "{:?}",
            g.log_group_name()
        );
        assert_eq!(g.retention_in_days(), Some(365));
    }
    // The database tier: rules between the groups; the host private,
    // IMDSv2, its user data rendered from the module's template.
    let rules = rt
        .block_on(
            ec2.describe_security_group_rules()
                .filters(
                    Filter::builder()
                        .name("group-id")
                        .values(id("module.security.aws_security_group.this[\"db\"]"))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert!(rules.security_group_rules().iter().any(|r| {
        r.referenced_group_info().and_then(|g| g.group_id())
            == Some(id("module.security.aws_security_group.this[\"ecs\"]").as_str())
            && r.from_port() == Some(5432)
    }));
    let host = id("module.database[0].aws_instance.this");
    let db = rt
        .block_on(ec2.describe_instances().instance_ids(&host).send())
        .unwrap();
    let db = &db.reservations()[0].instances()[0];
    assert!(db.public_ip_address().is_none());
    assert_eq!(
        db.subnet_id(),
        Some(id("module.network.aws_subnet.private[\"eu-west-2a\"]").as_str())
    );
    assert_eq!(
        db.metadata_options()
            .unwrap()
            .http_tokens()
            .map(|t| t.as_str()),
        Some("required")
    );
    let user_data = rt
        .block_on(
            ec2.describe_instance_attribute()
                .instance_id(&host)
                .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                .send(),
        )
        .unwrap();
    let encoded = user_data
        .user_data()
        .and_then(|u| u.value())
        .unwrap()
        .to_string();
    let script = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &encoded).unwrap(),
    )
    .unwrap();
    assert!(script.contains("revision 1"), "{script}");
    assert!(script.contains("--allow-cidr \"10.40.0.0/24\""), "{script}");
    assert!(
        script.contains("--postgres-secret \"tracker/staging/postgres-password\""),
        "{script}"
    );

    // The edge (reference §3.5, §3.7): HTTP redirected, HTTPS with the
    // site's certificate and the admin one by SNI, the guide's rules,
    // access logs to the log bucket, deletion protection on.
    let elb = sb.elb();
    let lb = id("module.alb.aws_lb.this");
    let attributes = rt
        .block_on(
            elb.describe_load_balancer_attributes()
                .load_balancer_arn(&lb)
                .send(),
        )
        .unwrap();
    let attr = |k: &str| {
        attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some(k))
            .and_then(|a| a.value())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(attr("deletion_protection.enabled"), "true");
    assert_eq!(
        attr("access_logs.s3.bucket"),
        "tracker-restapi-staging-alb-logs"
    );
    let https = id("module.alb.aws_lb_listener.https");
    let certificates = rt
        .block_on(
            elb.describe_listener_certificates()
                .listener_arn(&https)
                .send(),
        )
        .unwrap();
    assert_eq!(certificates.certificates().len(), 2);
    let rules = rt
        .block_on(elb.describe_rules().listener_arn(&https).send())
        .unwrap();
    let mut routes: Vec<(String, usize)> = rules
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let values = r
                .conditions()
                .iter()
                .map(|c| {
                    c.values()
                        .len()
                        .max(c.path_pattern_config().map_or(0, |p| p.values().len()))
                        .max(c.host_header_config().map_or(0, |h| h.values().len()))
                })
                .sum();
            (r.priority().unwrap_or_default().to_string(), values)
        })
        .collect();
    routes.sort();
    assert_eq!(
        routes,
        [
            ("10".to_string(), 5),
            ("15".to_string(), 1),
            ("20".to_string(), 2)
        ]
    );
    // The WAF (reference §3.6) protects that load balancer with the two
    // managed rule groups and logs to its aws-waf-logs- group.
    let waf = sb.waf();
    let protecting = rt
        .block_on(waf.get_web_acl_for_resource().resource_arn(&lb).send())
        .unwrap();
    let acl = protecting.web_acl().expect("the ALB has no web ACL");
    assert_eq!(acl.id(), id("module.waf.aws_wafv2_web_acl.this"));
    let mut groups: Vec<(i32, String)> = acl
        .rules()
        .iter()
        .map(|r| {
            let group = r.statement().and_then(|s| s.managed_rule_group_statement());
            (r.priority(), group.map_or("", |g| g.name()).to_string())
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            (10, "AWSManagedRulesCommonRuleSet".to_string()),
            (20, "AWSManagedRulesKnownBadInputsRuleSet".to_string())
        ]
    );
    let logging = rt
        .block_on(
            waf.get_logging_configuration()
                .resource_arn(acl.arn())
                .send(),
        )
        .unwrap();
    let destinations = logging
        .logging_configuration()
        .unwrap()
        .log_destination_configs();
    assert_eq!(destinations.len(), 1);
    assert!(
        destinations[0].ends_with(":log-group:aws-waf-logs-tracker-restapi-staging"),
        "{destinations:?}"
    );

    // The application (reference §3.9): every service on Fargate in the
    // private subnets, the web ones behind their target groups, Anisette
    // reachable by private DNS, the jobs registered but not running.
    let ecs = sb.ecs();
    let cluster = "tracker-restapi-staging";
    let listed = rt
        .block_on(ecs.list_services().cluster(cluster).send())
        .unwrap();
    let mut names: Vec<String> = listed
        .service_arns()
        .iter()
        .map(|a| a.rsplit('/').next().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "admin",
            "anisette",
            "api",
            "frontend",
            "materialized-view-service",
            "notification-service",
            "tracker-fetcher-2",
            "unified-geofence"
        ]
    );
    let described = rt
        .block_on(
            ecs.describe_services()
                .cluster(cluster)
                .services("api")
                .services("anisette")
                .send(),
        )
        .unwrap();
    for s in described.services() {
        let vpc = s
            .network_configuration()
            .unwrap()
            .awsvpc_configuration()
            .unwrap();
        assert_eq!(vpc.assign_public_ip().unwrap().as_str(), "DISABLED");
        match s.service_name() {
            Some("api") => assert_eq!(s.load_balancers()[0].container_port(), Some(8000)),
            _ => assert_eq!(s.service_registries().len(), 1, "anisette has no DNS"),
        }
    }
    let migrations = rt
        .block_on(
            ecs.describe_task_definition()
                .task_definition("tracker-restapi-staging-migrations")
                .send(),
        )
        .unwrap();
    let job = &migrations
        .task_definition()
        .unwrap()
        .container_definitions()[0];
    assert_eq!(job.command(), ["bash", "./scripts/run_migrations.sh"]);
    assert!(job.image().unwrap().ends_with("/tracker-api:sha-bootstrap"));
    let mut secrets: Vec<&str> = job.secrets().iter().map(|s| s.name()).collect();
    secrets.sort();
    assert_eq!(
        secrets,
        ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "SECRET_KEY"]
    );

    // A rollout (reference §7): a new frontend tag from a var file makes
    // one new revision and moves one service, nothing else.
    let tags_file = sb.stack.join("image-tags.json");
    let text = std::fs::read_to_string(&tags_file).unwrap().replace(
        r#""frontend": "sha-bootstrap""#,
        r#""frontend": "sha-abc1234""#,
    );
    std::fs::write(&tags_file, text).unwrap();
    let tags_file = tags_file.to_str().unwrap();
    let rollout = sb
        .run(&["plan", "--var-file", tags_file, "--detailed-exitcode"])
        .expect(2);
    assert!(
        rollout
            .stdout
            .contains("Plan: 1 to add, 1 to change, 1 to destroy."),
        "{}",
        rollout.stdout
    );
    for line in [
        r#"module.ecs.aws_ecs_task_definition.service["frontend"] must be replaced"#,
        r#"module.ecs.aws_ecs_service.this["frontend"] will be updated in-place"#,
    ] {
        assert!(rollout.stdout.contains(line), "{line}\n{}", rollout.stdout);
    }
    sb.run(&["apply", "--var-file", tags_file, "--auto-approve"])
        .expect(0);
    let frontend = rt
        .block_on(
            ecs.describe_services()
                .cluster(cluster)
                .services("frontend")
                .send(),
        )
        .unwrap();
    let moved_to = frontend.services()[0]
        .task_definition()
        .unwrap()
        .to_string();
    assert!(
        moved_to.ends_with("/tracker-restapi-staging-frontend:2"),
        "{moved_to}"
    );
    let old = rt
        .block_on(
            ecs.describe_task_definition()
                .task_definition("tracker-restapi-staging-frontend:1")
                .send(),
        )
        .unwrap();
    assert_eq!(
        old.task_definition().unwrap().status().unwrap().as_str(),
        "INACTIVE"
    );
    sb.run(&["plan", "--var-file", tags_file, "--detailed-exitcode"])
        .expect(0);
    let records = sb.run(&["output", "acm_validation_records"]).expect(0);
    assert!(
        records
            .stdout
            .contains("tracker-admin.staging.glimpse.technology")
            && records.stdout.contains("CNAME"),
        "{}",
        records.stdout
    );

    // A new bootstrap revision rebuilds the host, and only the host.
    let bump = sb
        .run(&[
            "plan",
            "--detailed-exitcode",
            "--var-file",
            tags_file,
            "--var",
            "bootstrap_revision=2",
        ])
        .expect(2);
    assert!(
        bump.stdout
            .contains("module.database[0].aws_instance.this must be replaced"),
        "{}",
        bump.stdout
    );
    assert!(
        bump.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        bump.stdout
    );
    // The key is protected: destroy refuses, naming it, and touches nothing.
    let destroy = sb.run(&["destroy", "--auto-approve"]).expect(1);
    assert!(
        destroy
            .stderr
            .contains("`module.kms.aws_kms_key.this` has lifecycle.prevent_destroy set"),
        "{}",
        destroy.stderr
    );
    let vpcs = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&vpc).send())
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
}

#[test]
fn production_peers_to_the_existing_database_through_its_own_provider() {
    let sb = env("prod");
    let rt = rt();
    let ec2 = sb.ec2();
    // The database team's VPC and group, made outside the stack.
    let tag = |name: &str, kind: ResourceType| {
        TagSpecification::builder()
            .resource_type(kind)
            .tags(Tag::builder().key("Name").value(name).build())
            .build()
    };
    let db_vpc = rt
        .block_on(
            ec2.create_vpc()
                .cidr_block("10.230.0.0/16")
                .tag_specifications(tag("timescaledb", ResourceType::Vpc))
                .send(),
        )
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let db_group = rt
        .block_on(
            ec2.create_security_group()
                .group_name("timescaledb")
                .description("TimescaleDB behind HAProxy")
                .vpc_id(&db_vpc)
                .send(),
        )
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let database = format!(
        "existing_database={{ vpc_id = \"{db_vpc}\", security_group_id = \"{db_group}\", endpoint = \"timescaledb-haproxy.prod.internal\", port = 5433, secret_arn = \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:tracker/production/database-Xy12Ab\" }}"
    );
    // moto's account stands in for production's: the read-only role the
    // database owners grant is assumed there.
    let role = "database_role_arn=arn:aws:iam::123456789012:role/timescaledb-network-readonly";
    let with_db = |args: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--var", database.as_str(), "--var", role]);
        sb.run(&a)
    };
    sb.run(&["backend", "bootstrap"]).expect(0);
    let plan = with_db(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        !plan.stdout.contains("module.database"),
        "production has no database host: {}",
        plan.stdout
    );
    assert!(plan.stdout.contains(
        "module.external_database[0].aws_vpc_peering_connection.database will be created"
    ));
    with_db(&["apply", "--auto-approve"]).expect(0);
    let again = with_db(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "re-plan is not clean:\n{}\n{}",
        again.stdout, again.stderr
    );

    let state = sb.s3_json(
        "glimpse-production-tracker-restapi-state",
        "tracker/production.json",
    );
    let id = |a: &str| {
        state["resources"][a]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{a}"))
            .to_string()
    };
    // The lookups went through the database owners' provider.
    assert_eq!(
        state["resources"]["module.external_database[0].data.aws_vpc.database"]["provider"],
        "aws.database"
    );
    let peering = id("module.external_database[0].aws_vpc_peering_connection.database");
    let p = rt
        .block_on(
            ec2.describe_vpc_peering_connections()
                .vpc_peering_connection_ids(&peering)
                .send(),
        )
        .unwrap();
    let p = &p.vpc_peering_connections()[0];
    assert_eq!(
        p.accepter_vpc_info().and_then(|v| v.vpc_id()),
        Some(db_vpc.as_str())
    );
    assert_eq!(
        p.status().and_then(|s| s.code()).map(|c| c.as_str()),
        Some("active")
    );
    let private = rt
        .block_on(
            ec2.describe_route_tables()
                .route_table_ids(id("module.network.aws_route_table.private"))
                .send(),
        )
        .unwrap();
    assert!(private.route_tables()[0].routes().iter().any(|r| {
        r.destination_cidr_block() == Some("10.230.0.0/16")
            && r.vpc_peering_connection_id() == Some(peering.as_str())
    }));
    // The tasks may reach the database port in that network, and no other.
    let ecs = id("module.security.aws_security_group.this[\"ecs\"]");
    let rules = rt
        .block_on(
            ec2.describe_security_group_rules()
                .filters(Filter::builder().name("group-id").values(&ecs).build())
                .send(),
        )
        .unwrap();
    assert!(rules
        .security_group_rules()
        .iter()
        .any(|r| r.is_egress() == Some(true)
            && r.cidr_ipv4() == Some("10.230.0.0/16")
            && r.from_port() == Some(5433)));
    assert_eq!(
        state["outputs"]["database_endpoint"]["value"],
        "timescaledb-haproxy.prod.internal:5433"
    );
    // Production's cache is MemoryDB (Valkey, TLS, the stack's key) behind
    // the cache group, and the tasks are told to reach it in cluster mode.
    let memorydb = crate::moto_client!(sb, aws_sdk_memorydb, "eu-west-2");
    let clusters = rt
        .block_on(
            memorydb
                .describe_clusters()
                .cluster_name(id("module.cache[0].aws_memorydb_cluster.this"))
                .send(),
        )
        .unwrap();
    let cache = &clusters.clusters()[0];
    assert_eq!(cache.tls_enabled(), Some(true));
    assert_eq!(
        cache.kms_key_id(),
        state["outputs"]["kms_key_arn"]["value"].as_str()
    );
    assert_eq!(
        cache
            .security_groups()
            .iter()
            .filter_map(|g| g.security_group_id())
            .collect::<Vec<_>>(),
        [id("module.security.aws_security_group.this[\"cache\"]")]
    );
    let endpoint = cache.cluster_endpoint().and_then(|e| e.address()).unwrap();
    assert_eq!(
        state["outputs"]["cache_endpoint"]["value"],
        format!("{endpoint}:6379")
    );
    let api =
        &state["resources"]["module.ecs.aws_ecs_task_definition.service[\"api\"]"]["attributes"];
    let containers: serde_json::Value =
        serde_json::from_str(api["container_definitions"].as_str().unwrap()).unwrap();
    let environment = containers[0]["environment"].to_string();
    assert!(
        environment.contains("REDIS_CLUSTER_MODE") && environment.contains(endpoint),
        "{environment}"
    );
    // Nothing of the database team's was changed.
    let theirs = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&db_vpc).send())
        .unwrap();
    assert_eq!(theirs.vpcs().len(), 1);
    assert!(theirs.vpcs()[0]
        .tags()
        .iter()
        .all(|t| !t.key().unwrap_or("").starts_with("cairn:")));
}

#[test]
fn both_environments_validate_offline() {
    for env in ["staging", "prod"] {
        crate::support::assert_validates_offline("tracker", env);
    }
}
