//! What the contract cannot know about the RDS types, checked through the
//! SDK against moto: deletion protection, final snapshots, the master
//! password kept sensitive or out of state, parameters written 20 a call
//! and leftovers adopted or refused, renames in place, Aurora Serverless
//! v2 scaling, and the calls a batched refresh makes.

use cairn_core::provider::ReadContext;
use cairn_core::{Object, OpContext, ReadOutcome, ReadRequest, Resource, Value};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn read_ctx() -> ReadContext {
    ReadContext {
        default_tags: [("Team".to_string(), "platform".to_string())].into(),
        stack: "providertest/moto".into(),
    }
}

async fn read(r: &dyn Resource, ids: &[&str]) -> Vec<Option<Object>> {
    let prior = Object::new();
    let requests: Vec<ReadRequest> = ids
        .iter()
        .map(|id| ReadRequest { id, prior: &prior })
        .collect();
    r.read(&requests, &read_ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

fn id(o: &Object) -> String {
    o.get("id").and_then(Value::as_str).unwrap().to_string()
}

fn s<'a>(o: &'a Object, name: &str) -> &'a str {
    o.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A context whose creates get their own idempotency token.
fn ctx_for(address: &str, token: &str) -> OpContext {
    OpContext {
        idempotency_token: token.into(),
        ..op_context(address)
    }
}

fn postgres(identifier: &str) -> Object {
    object(&[
        ("identifier", identifier.into()),
        ("engine", "postgres".into()),
        ("instance_class", "db.t4g.micro".into()),
        ("allocated_storage", 20.into()),
        ("username", "hub".into()),
        ("password", Value::sensitive("correct-horse-battery".into())),
        ("skip_final_snapshot", true.into()),
        ("apply_immediately", true.into()),
    ])
}

fn param(name: &str, value: &str) -> Value {
    Value::Map(
        [
            ("name".to_string(), Value::from(name)),
            ("value".to_string(), Value::from(value)),
            ("apply_method".to_string(), Value::from("immediate")),
        ]
        .into(),
    )
}

#[tokio::test]
async fn deletion_protection_is_refused_at_plan_and_named_when_aws_refuses() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let instance = registry.resource("aws_db_instance").unwrap();
    let cluster = registry.resource("aws_rds_cluster").unwrap();
    let ctx = op_context("aws_db_instance.hub");

    let mut planned = postgres("hub-protected");
    planned.insert("deletion_protection".into(), true.into());
    let made = instance.create(&ctx, &planned).await.unwrap();
    // What the plan asks before a destroy or a replace.
    assert_eq!(
        instance.deletion_protection(&made),
        Some("deletion_protection")
    );
    // AWS refuses too (moto enforces it); the error says what to do.
    let e = instance.delete(&ctx, &id(&made), &made).await.unwrap_err();
    assert_eq!(e.operation, "rds:DeleteDBInstance");
    assert_eq!(e.code, "InvalidParameterCombination");
    assert!(e.message.contains("deletion_protection = false"), "{e}");
    let still = rds
        .describe_db_instances()
        .db_instance_identifier("hub-protected")
        .send()
        .await
        .unwrap();
    assert_eq!(still.db_instances().len(), 1);

    // Turned off in place, the delete goes through.
    let mut off = made.clone();
    off.insert("deletion_protection".into(), false.into());
    let off = instance
        .update(
            &ctx,
            &id(&made),
            &made,
            &off,
            &["deletion_protection".into()],
        )
        .await
        .unwrap();
    assert_eq!(instance.deletion_protection(&off), None);
    instance.delete(&ctx, &id(&off), &off).await.unwrap();

    let c = cluster
        .create(
            &op_context("aws_rds_cluster.main"),
            &object(&[
                ("cluster_identifier", "protected-cluster".into()),
                ("engine", "aurora-postgresql".into()),
                ("master_username", "app".into()),
                (
                    "master_password",
                    Value::sensitive("a-long-password".into()),
                ),
                ("deletion_protection", true.into()),
                ("skip_final_snapshot", true.into()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(cluster.deletion_protection(&c), Some("deletion_protection"));
    let e = cluster.delete(&ctx, &id(&c), &c).await.unwrap_err();
    assert_eq!(e.operation, "rds:DeleteDBCluster");
    assert!(e.message.contains("deletion_protection = false"), "{e}");
}

#[tokio::test]
async fn a_final_snapshot_needs_a_name_offline_and_is_taken_on_delete() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let instance = registry.resource("aws_db_instance").unwrap();
    let cluster = registry.resource("aws_rds_cluster").unwrap();

    // Offline: the default (take a snapshot) without a name is an error
    // for both types; a name or skipping it is fine.
    let mut no_name = postgres("hub-db");
    no_name.remove("skip_final_snapshot");
    let issues = instance.validate(&no_name);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].attribute, "skip_final_snapshot");
    let aurora = object(&[
        ("engine", "aurora-postgresql".into()),
        ("master_username", "app".into()),
    ]);
    assert_eq!(
        cluster.validate(&aurora)[0].attribute,
        "skip_final_snapshot"
    );
    assert!(instance.validate(&postgres("hub-db")).is_empty());

    // On delete: the snapshot is taken under the recorded name.
    let ctx = op_context("aws_db_instance.hub");
    let mut planned = postgres("hub-db");
    planned.insert("skip_final_snapshot".into(), false.into());
    planned.insert("final_snapshot_identifier".into(), "hub-db-final".into());
    let made = instance.create(&ctx, &planned).await.unwrap();
    instance.delete(&ctx, &id(&made), &made).await.unwrap();
    let snaps = rds
        .describe_db_snapshots()
        .db_snapshot_identifier("hub-db-final")
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.db_snapshots().len(), 1);
    assert!(read(instance.as_ref(), &[&id(&made)]).await[0].is_none());

    let mut planned = aurora.clone();
    planned.insert("cluster_identifier".into(), "staging-db".into());
    planned.insert(
        "master_password".into(),
        Value::sensitive("a-long-password".into()),
    );
    planned.insert(
        "final_snapshot_identifier".into(),
        "staging-db-final".into(),
    );
    let c = cluster
        .create(&op_context("aws_rds_cluster.main"), &planned)
        .await
        .unwrap();
    cluster.delete(&ctx, &id(&c), &c).await.unwrap();
    let snaps = rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier("staging-db-final")
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.db_cluster_snapshots().len(), 1);
}

#[tokio::test]
async fn the_master_password_is_sensitive_or_kept_out_of_state() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let instance = registry.resource("aws_db_instance").unwrap();
    let ctx = op_context("aws_db_instance.hub");

    let with_password = instance
        .create(&ctx, &postgres("hub-password"))
        .await
        .unwrap();
    assert!(with_password["password"].is_sensitive());
    // A refresh keeps the recorded password, still marked.
    let prior = with_password.clone();
    let req = [ReadRequest {
        id: &id(&with_password),
        prior: &prior,
    }];
    let fresh = match instance.read(&req, &read_ctx()).await.unwrap().remove(0) {
        ReadOutcome::Live(o) => o,
        ReadOutcome::Gone => panic!("gone"),
    };
    assert!(fresh["password"].is_sensitive());
    assert_eq!(fresh["password"].as_str(), Some("correct-horse-battery"));
    assert!(!format!("{}", Value::Map(fresh.clone())).contains("correct-horse"));

    let mut managed = postgres("hub-managed");
    managed.remove("password");
    managed.insert("manage_master_user_password".into(), true.into());
    let managed = instance
        .create(&op_context("aws_db_instance.managed"), &managed)
        .await
        .unwrap();
    assert!(managed["password"].is_null());
    let secret = managed["master_user_secret"].as_list().unwrap()[0]
        .as_map()
        .unwrap();
    let arn = secret["secret_arn"].as_str().unwrap();
    assert!(arn.starts_with("arn:aws:secretsmanager:"), "{arn}");
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("hub-managed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.db_instances()[0]
            .master_user_secret()
            .and_then(|s| s.secret_arn()),
        Some(arn)
    );

    // Both together are refused offline.
    let mut both = postgres("x");
    both.insert("manage_master_user_password".into(), true.into());
    assert_eq!(instance.validate(&both)[0].attribute, "password");
}

#[tokio::test]
async fn log_exports_and_enhanced_monitoring_are_set_at_create_and_in_place() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let instance = registry.resource("aws_db_instance").unwrap();
    let role = "arn:aws:iam::123456789012:role/rds-monitoring";
    let mut planned = postgres("hub-logs");
    planned.insert("monitoring_interval".into(), 60.into());
    planned.insert("monitoring_role_arn".into(), role.into());
    planned.insert(
        "enabled_cloudwatch_logs_exports".into(),
        Value::from(vec!["postgresql".to_string()]),
    );
    assert!(instance.validate(&planned).is_empty());
    // Offline: an interval RDS refuses, and monitoring without its role.
    let interval = &instance.schema().attributes["monitoring_interval"];
    assert!(interval
        .checks
        .iter()
        .any(|c| c.run(&Value::from(7)).is_err()));
    let mut no_role = planned.clone();
    no_role.remove("monitoring_role_arn");
    assert_eq!(
        instance.validate(&no_role)[0].attribute,
        "monitoring_interval"
    );

    let ctx = op_context("aws_db_instance.logs");
    let made = instance.create(&ctx, &planned).await.unwrap();
    let exports = |rds: &aws_sdk_rds::Client| {
        let rds = rds.clone();
        async move {
            let out = rds
                .describe_db_instances()
                .db_instance_identifier("hub-logs")
                .send()
                .await
                .unwrap();
            let mut l = out.db_instances()[0]
                .enabled_cloudwatch_logs_exports()
                .to_vec();
            l.sort();
            l
        }
    };
    assert_eq!(exports(&rds).await, ["postgresql"]);
    // moto keeps no Enhanced Monitoring settings: the recorded ones stay.
    let prior = made.clone();
    let seen = instance
        .read(
            &[ReadRequest {
                id: "hub-logs",
                prior: &prior,
            }],
            &read_ctx(),
        )
        .await
        .unwrap();
    let ReadOutcome::Live(seen) = &seen[0] else {
        panic!("gone")
    };
    assert_eq!(seen["monitoring_interval"].as_i64(), Some(60));
    assert_eq!(s(seen, "monitoring_role_arn"), role);

    let mut more = made.clone();
    more.insert(
        "enabled_cloudwatch_logs_exports".into(),
        Value::from(vec!["upgrade".to_string(), "postgresql".to_string()]),
    );
    instance
        .update(
            &ctx,
            "hub-logs",
            &made,
            &more,
            &["enabled_cloudwatch_logs_exports".into()],
        )
        .await
        .unwrap();
    assert_eq!(exports(&rds).await, ["postgresql", "upgrade"]);
    instance.delete(&ctx, "hub-logs", &more).await.unwrap();
}

#[tokio::test]
async fn an_instance_is_renamed_in_place() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let instance = registry.resource("aws_db_instance").unwrap();
    let ctx = op_context("aws_db_instance.hub");
    let made = instance.create(&ctx, &postgres("hub-old")).await.unwrap();
    assert_eq!(id(&made), "hub-old");
    assert!(s(&made, "resource_id").starts_with("db-"));

    let mut planned = made.clone();
    planned.insert("identifier".into(), "hub-new".into());
    planned.insert("instance_class".into(), "db.t4g.small".into());
    let renamed = instance
        .update(
            &ctx,
            &id(&made),
            &made,
            &planned,
            &["identifier".into(), "instance_class".into()],
        )
        .await
        .unwrap();
    // Applied now: the object answers to its new name (its new id).
    assert_eq!(id(&renamed), "hub-new");
    assert_eq!(s(&renamed, "resource_id"), s(&made, "resource_id"));
    assert!(read(instance.as_ref(), &["hub-old"]).await[0].is_none());
    let live = rds
        .describe_db_instances()
        .db_instance_identifier("hub-new")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.db_instances()[0].db_instance_class(),
        Some("db.t4g.small")
    );
    // Deleting finds it under its new name.
    instance
        .delete(&ctx, &id(&renamed), &renamed)
        .await
        .unwrap();
    assert!(rds
        .describe_db_instances()
        .db_instance_identifier("hub-new")
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn parameters_are_written_twenty_a_call_and_leftovers_adopted_or_refused() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let group = registry.resource("aws_db_parameter_group").unwrap();
    let ctx = op_context("aws_db_parameter_group.hub");

    let mut params = vec![param("rds.force_ssl", "1")];
    for i in 0..24 {
        params.push(param(&format!("custom.setting_{i:02}"), &i.to_string()));
    }
    let planned = object(&[
        ("name", "hub-pg".into()),
        ("family", "postgres16".into()),
        ("description", "Managed by Terraform".into()),
        ("parameter", Value::List(params)),
    ]);
    let (calls, _guard) = Calls::start();
    let made = group.create(&ctx, &planned).await.unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("CreateDBParameterGroup", 1), ("ModifyDBParameterGroup", 2)])
    );
    assert_eq!(made["parameter"].as_list().unwrap().len(), 25);
    let live = rds
        .describe_db_parameters()
        .db_parameter_group_name("hub-pg")
        .send()
        .await
        .unwrap();
    let force_ssl = live
        .parameters()
        .iter()
        .find(|p| p.parameter_name() == Some("rds.force_ssl"))
        .unwrap();
    assert_eq!(force_ssl.parameter_value(), Some("1"));
    assert_eq!(live.parameters().len(), 25);

    // The apply died before recording it: the retried create adopts it
    // (same name, this address's tags) and writes the changed value.
    // (Not a removed one: moto lacks ResetDBParameterGroup.)
    let mut again = planned.clone();
    let mut changed_params = planned["parameter"].as_list().unwrap().to_vec();
    changed_params[0] = param("rds.force_ssl", "0");
    again.insert("parameter".into(), Value::List(changed_params));
    let (calls, _guard) = Calls::start();
    let adopted = group.create(&ctx, &again).await.unwrap();
    assert_eq!(id(&adopted), "hub-pg");
    assert_eq!(calls.take().get("ModifyDBParameterGroup"), Some(&1));
    let live = rds
        .describe_db_parameters()
        .db_parameter_group_name("hub-pg")
        .send()
        .await
        .unwrap();
    assert!(live
        .parameters()
        .iter()
        .any(|p| p.parameter_name() == Some("rds.force_ssl") && p.parameter_value() == Some("0")));

    // Someone else's group of that name is refused and left alone.
    rds.create_db_parameter_group()
        .db_parameter_group_name("theirs")
        .db_parameter_group_family("postgres16")
        .description("theirs")
        .send()
        .await
        .unwrap();
    let mut theirs = planned.clone();
    theirs.insert("name".into(), "theirs".into());
    let e = group.create(&ctx, &theirs).await.unwrap_err();
    assert_eq!(e.code, "DBParameterGroupAlreadyExists");
    assert!(e.message.contains("not this stack's"), "{e}");
    let untouched = rds
        .describe_db_parameters()
        .db_parameter_group_name("theirs")
        .send()
        .await
        .unwrap();
    assert!(untouched.parameters().is_empty());

    // Offline: a parameter set twice, upper case names.
    let mut twice = planned.clone();
    twice.insert(
        "parameter".into(),
        Value::List(vec![
            param("rds.force_ssl", "1"),
            param("rds.force_ssl", "0"),
        ]),
    );
    twice.insert("name".into(), "Hub".into());
    let attrs: Vec<String> = group
        .validate(&twice)
        .into_iter()
        .map(|i| i.attribute)
        .collect();
    assert_eq!(attrs, ["name", "parameter"]);
}

#[tokio::test]
async fn aurora_serverless_v2_scales_to_zero_and_reports_its_writer() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let rds = aws_sdk_rds::Client::new(aws.sdk_config().await.unwrap());
    let cluster = registry.resource("aws_rds_cluster").unwrap();
    let member = registry.resource("aws_rds_cluster_instance").unwrap();
    let pg = registry
        .resource("aws_rds_cluster_parameter_group")
        .unwrap();
    let ctx = op_context("aws_rds_cluster.db");

    let group = pg
        .create(
            &op_context("aws_rds_cluster_parameter_group.db"),
            &object(&[
                ("name", "restartix-staging".into()),
                ("family", "aurora-postgresql16".into()),
                ("description", "Managed by Terraform".into()),
                ("parameter", Value::List(vec![param("rds.force_ssl", "1")])),
            ]),
        )
        .await
        .unwrap();
    let scaling = Value::Map(
        [
            ("min_capacity".to_string(), Value::Number(0.0)),
            ("max_capacity".to_string(), Value::Number(2.0)),
            ("seconds_until_auto_pause".to_string(), Value::from(3600)),
        ]
        .into(),
    );
    let c = cluster
        .create(
            &ctx,
            &object(&[
                ("cluster_identifier", "restartix-staging".into()),
                ("engine", "aurora-postgresql".into()),
                ("engine_version", "16.6".into()),
                ("master_username", "restartix".into()),
                ("manage_master_user_password", true.into()),
                (
                    "db_cluster_parameter_group_name",
                    id(&group).as_str().into(),
                ),
                ("serverlessv2_scaling_configuration", scaling),
                ("backup_retention_period", 1.into()),
                ("skip_final_snapshot", true.into()),
                ("tags", tags(&[("Environment", "staging")])),
            ]),
        )
        .await
        .unwrap();
    let live = rds
        .describe_db_clusters()
        .db_cluster_identifier("restartix-staging")
        .send()
        .await
        .unwrap();
    let live = &live.db_clusters()[0];
    let sv2 = live.serverless_v2_scaling_configuration().unwrap();
    assert_eq!(sv2.min_capacity(), Some(0.0));
    assert_eq!(sv2.seconds_until_auto_pause(), Some(3600));
    assert_eq!(live.db_cluster_parameter_group(), Some("restartix-staging"));
    assert!(live.master_user_secret().is_some());
    assert!(!s(&c, "endpoint").is_empty());
    assert!(!s(&c, "reader_endpoint").is_empty());

    let writer = member
        .create(
            &op_context("aws_rds_cluster_instance.writer"),
            &object(&[
                ("identifier", "restartix-staging-1".into()),
                ("cluster_identifier", "restartix-staging".into()),
                ("instance_class", "db.serverless".into()),
                ("engine", "aurora-postgresql".into()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(writer["writer"].as_bool(), Some(true));

    // Offline: min above max, pause without min 0, an unknown log type.
    let bad = object(&[
        ("engine", "aurora-postgresql".into()),
        ("skip_final_snapshot", true.into()),
        (
            "serverlessv2_scaling_configuration",
            Value::Map(
                [
                    ("min_capacity".to_string(), Value::Number(4.0)),
                    ("max_capacity".to_string(), Value::Number(2.25)),
                    ("seconds_until_auto_pause".to_string(), Value::from(600)),
                ]
                .into(),
            ),
        ),
    ]);
    assert_eq!(
        cluster.validate(&bad).len(),
        3,
        "{:?}",
        cluster.validate(&bad)
    );

    // A cluster with a member refuses the delete until the member is gone.
    member.delete(&ctx, &id(&writer), &writer).await.unwrap();
    cluster.delete(&ctx, &id(&c), &c).await.unwrap();
    pg.delete(&ctx, &id(&group), &group).await.unwrap();
    assert!(read(cluster.as_ref(), &[&id(&c)]).await[0].is_none());
}

#[tokio::test]
async fn what_a_refresh_costs() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let sdk = aws.sdk_config().await.unwrap();
    let rds = aws_sdk_rds::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let instance = registry.resource("aws_db_instance").unwrap();
    let cluster = registry.resource("aws_rds_cluster").unwrap();
    let member = registry.resource("aws_rds_cluster_instance").unwrap();
    let subnet_group = registry.resource("aws_db_subnet_group").unwrap();
    let pg = registry.resource("aws_db_parameter_group").unwrap();

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.30.1.0/24", "eu-west-2a"),
        ("10.30.2.0/24", "eu-west-2b"),
    ] {
        let sn = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(sn.subnet().unwrap().subnet_id().unwrap().to_string());
    }

    let mut instances = Vec::new();
    for i in 0..3 {
        let made = instance
            .create(
                &ctx_for(
                    &format!("aws_db_instance.db[{i}]"),
                    &format!("{i:08x}-0000"),
                ),
                &postgres(&format!("hub-{i}")),
            )
            .await
            .unwrap();
        instances.push(id(&made));
    }
    let mut clusters = Vec::new();
    let mut members = Vec::new();
    for i in 0..2 {
        let c = cluster
            .create(
                &op_context(&format!("aws_rds_cluster.db[{i}]")),
                &object(&[
                    ("cluster_identifier", format!("aurora-{i}").into()),
                    ("engine", "aurora-postgresql".into()),
                    ("master_username", "app".into()),
                    (
                        "master_password",
                        Value::sensitive("a-long-password".into()),
                    ),
                    ("skip_final_snapshot", true.into()),
                ]),
            )
            .await
            .unwrap();
        clusters.push(id(&c));
        let m = member
            .create(
                &op_context(&format!("aws_rds_cluster_instance.db[{i}]")),
                &object(&[
                    ("identifier", format!("aurora-{i}-1").into()),
                    ("cluster_identifier", format!("aurora-{i}").into()),
                    ("instance_class", "db.serverless".into()),
                    ("engine", "aurora-postgresql".into()),
                ]),
            )
            .await
            .unwrap();
        members.push(id(&m));
    }
    let mut groups = Vec::new();
    let mut pgs = Vec::new();
    for i in 0..2 {
        let g = subnet_group
            .create(
                &op_context(&format!("aws_db_subnet_group.db[{i}]")),
                &object(&[
                    ("name", format!("subnets-{i}").into()),
                    ("description", "Managed by Terraform".into()),
                    ("subnet_ids", Value::from(subnets.clone())),
                ]),
            )
            .await
            .unwrap();
        groups.push(id(&g));
        let p = pg
            .create(
                &op_context(&format!("aws_db_parameter_group.db[{i}]")),
                &object(&[
                    ("name", format!("params-{i}").into()),
                    ("family", "postgres16".into()),
                    ("description", "Managed by Terraform".into()),
                    ("parameter", Value::List(vec![param("rds.force_ssl", "1")])),
                ]),
            )
            .await
            .unwrap();
        pgs.push(id(&p));
    }
    // Someone else's instance is neither read nor listed as ours.
    rds.create_db_instance()
        .db_instance_identifier("theirs")
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("x")
        .master_user_password("a-long-password")
        .send()
        .await
        .unwrap();

    let (calls, _guard) = Calls::start();
    let ids: Vec<&str> = instances.iter().map(String::as_str).collect();
    let got = read(instance.as_ref(), &ids).await;
    for (want, o) in ids.iter().zip(&got) {
        assert_eq!(o.as_ref().map(|o| s(o, "identifier")), Some(*want));
    }
    assert_eq!(calls.take(), counts(&[("DescribeDBInstances", 1)]));

    let ids: Vec<&str> = clusters.iter().map(String::as_str).collect();
    assert!(read(cluster.as_ref(), &ids)
        .await
        .iter()
        .all(Option::is_some));
    assert_eq!(calls.take(), counts(&[("DescribeDBClusters", 1)]));

    let ids: Vec<&str> = members.iter().map(String::as_str).collect();
    let got = read(member.as_ref(), &ids).await;
    for (want, o) in ids.iter().zip(&got) {
        assert_eq!(o.as_ref().map(|o| s(o, "identifier")), Some(*want));
    }
    assert!(got
        .iter()
        .all(|m| m.as_ref().and_then(|m| m["writer"].as_bool()) == Some(true)));
    assert_eq!(
        calls.take(),
        counts(&[("DescribeDBClusters", 1), ("DescribeDBInstances", 1)])
    );

    // Groups: one listing, then tags (and parameters) per group: RDS has
    // no batch form of either.
    let ids: Vec<&str> = groups.iter().map(String::as_str).collect();
    assert!(read(subnet_group.as_ref(), &ids)
        .await
        .iter()
        .all(Option::is_some));
    assert_eq!(
        calls.take(),
        counts(&[("DescribeDBSubnetGroups", 1), ("ListTagsForResource", 2)])
    );
    let ids: Vec<&str> = pgs.iter().map(String::as_str).collect();
    assert!(read(pg.as_ref(), &ids).await.iter().all(Option::is_some));
    assert_eq!(
        calls.take(),
        counts(&[
            ("DescribeDBParameterGroups", 1),
            ("DescribeDBParameters", 2),
            ("ListTagsForResource", 2)
        ])
    );

    // Leftovers: one listing for each type, members told apart.
    let owned = instance.owned_by_stack("providertest/moto").await.unwrap();
    assert_eq!(owned.len(), 3, "{owned:?}");
    assert!(owned.iter().all(|(a, _)| a.starts_with("aws_db_instance.")));
    let owned = member.owned_by_stack("providertest/moto").await.unwrap();
    assert_eq!(owned.len(), 2, "{owned:?}");
    assert_eq!(calls.take(), counts(&[("DescribeDBInstances", 2)]));
}

#[tokio::test]
async fn a_subnet_group_is_named_from_its_prefix_and_retagged() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let sdk = aws.sdk_config().await.unwrap();
    let rds = aws_sdk_rds::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let group = registry.resource("aws_db_subnet_group").unwrap();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.40.1.0/24", "eu-west-2a"),
        ("10.40.2.0/24", "eu-west-2b"),
    ] {
        let sn = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(sn.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let ctx = op_context("aws_db_subnet_group.db");
    let made = group
        .create(
            &ctx,
            &object(&[
                ("name_prefix", "db-".into()),
                ("description", "Managed by Terraform".into()),
                ("subnet_ids", Value::from(subnets[..2].to_vec())),
            ]),
        )
        .await
        .unwrap();
    assert!(s(&made, "name").starts_with("db-"));
    assert_eq!(s(&made, "vpc_id"), vpc_id);
    assert_eq!(made["name_prefix"].as_str(), Some("db-"));

    // moto drops a group on ModifyDBSubnetGroup (it pops it from its
    // table and never puts it back), so the subnet and description
    // changes are not tried here; tags change through their own calls.
    let mut planned = made.clone();
    planned.insert("tags".into(), tags(&[("Tier", "data")]));
    let updated = group
        .update(&ctx, &id(&made), &made, &planned, &["tags".into()])
        .await
        .unwrap();
    assert_eq!(
        updated["tags"].as_map().unwrap()["Tier"].as_str(),
        Some("data")
    );
    let arn = s(&made, "arn");
    let live = rds
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .unwrap();
    assert!(live
        .tag_list()
        .iter()
        .any(|t| t.key() == Some("Tier") && t.value() == Some("data")));
    group.delete(&ctx, &id(&made), &made).await.unwrap();
    assert!(read(group.as_ref(), &[&id(&made)]).await[0].is_none());
}
