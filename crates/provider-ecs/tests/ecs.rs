//! What the contract cannot know, checked through the SDK: the Tracker's
//! api service as the guide sets it (Fargate, no public IP, behind a
//! target group, EFS with transit encryption, secrets by valueFrom,
//! deployment 50/200 with a rollback circuit breaker); a task definition
//! re-planned or imported without churn; the steady-state wait and its
//! bound; a service with tasks drained on delete; the offline checks.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attrs, Object, OpContext, Progress, ReadOutcome, ReadRequest, Registry, Resource, Value,
};
use cairn_testkit::fixtures::{aws_test_env, object, op_context, tags};
use cairn_testkit::MotoServer;
use common::{map, network, sdk_cluster, ACCOUNT, REGION};

fn provider_at(endpoint: String) -> (AwsContext, Registry) {
    let aws = AwsContext::new(AwsSettings {
        endpoint_url: Some(endpoint),
        region: Some(REGION.into()),
        ..Default::default()
    });
    let mut registry = Registry::default();
    cairn_provider_ecs::register(&mut registry, &aws);
    (aws, registry)
}

/// As the engine plans: defaults and nested defaults filled in, the
/// document canonical, computed attributes unknown.
fn planned(r: &dyn Resource, config: &Object) -> Object {
    let mut out = config.clone();
    for (name, attr) in &r.schema().attributes {
        match out.get_mut(*name) {
            Some(v) if !v.is_null() => attr.prepare(v),
            _ => {
                let v = match &attr.default {
                    Some(d) => d.clone(),
                    None if attr.is_configurable() => Value::Null,
                    None => Value::Unknown,
                };
                out.insert(name.to_string(), v);
            }
        }
    }
    out
}

async fn read(r: &dyn Resource, id: &str, prior: &Object) -> Option<Object> {
    let ctx = ReadContext {
        default_tags: op_context("x.y").default_tags,
        stack: "providertest/moto".into(),
    };
    match r
        .read(&[ReadRequest { id, prior }], &ctx)
        .await
        .unwrap()
        .pop()
    {
        Some(ReadOutcome::Live(o)) => Some(o),
        _ => None,
    }
}

/// The api container as the guide writes it, with the defaults ECS fills
/// in written out (as `jsonencode` of a Terraform module often does).
fn api_containers(tag: &str) -> String {
    format!(
        r#"[{{"name":"api","image":"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/tracker-api:{tag}","essential":true,"cpu":0,
        "portMappings":[{{"containerPort":8000,"hostPort":8000,"protocol":"tcp"}}],
        "environment":[{{"name":"ENVIRONMENT","value":"staging"}}],
        "secrets":[{{"name":"SECRET_KEY","valueFrom":"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:tracker/staging/secret-key"}},
                   {{"name":"POSTGRES_PASSWORD","valueFrom":"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:tracker/staging/postgres-password"}}],
        "mountPoints":[{{"sourceVolume":"data","containerPath":"/data","readOnly":false}}],
        "logConfiguration":{{"logDriver":"awslogs","options":{{"awslogs-group":"/aws/ecs/tracker-restapi-staging/api","awslogs-region":"{REGION}","awslogs-stream-prefix":"api"}}}}}}]"#
    )
}

fn api_task(tag: &str) -> Object {
    object(&[
        ("family", "tracker-restapi-staging-api".into()),
        ("container_definitions", api_containers(tag).into()),
        ("cpu", "512".into()),
        ("memory", "1024".into()),
        ("network_mode", "awsvpc".into()),
        ("requires_compatibilities", Value::from(vec!["FARGATE"])),
        (
            "execution_role_arn",
            format!("arn:aws:iam::{ACCOUNT}:role/tracker-execution").into(),
        ),
        (
            "task_role_arn",
            format!("arn:aws:iam::{ACCOUNT}:role/tracker-task").into(),
        ),
        (
            "volume",
            Value::List(vec![map(&[
                ("name", "data".into()),
                (
                    "efs_volume_configuration",
                    map(&[
                        ("file_system_id", "fs-12345678".into()),
                        ("transit_encryption", "ENABLED".into()),
                        (
                            "authorization_config",
                            map(&[
                                ("access_point_id", "fsap-1234567890abcdef0".into()),
                                ("iam", "ENABLED".into()),
                            ]),
                        ),
                    ]),
                ),
            ])]),
        ),
        ("tags", tags(&[("Service", "api")])),
    ])
}

#[tokio::test]
async fn the_trackers_api_service_runs_as_the_guide_sets_it() {
    aws_test_env();
    let moto = MotoServer::start();
    let (aws, registry) = provider_at(moto.endpoint());
    let sdk = aws.sdk_config().await.unwrap();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let task_type = registry.resource("aws_ecs_task_definition").unwrap();
    let service_type = registry.resource("aws_ecs_service").unwrap();
    sdk_cluster(&ecs, "tracker-restapi-staging").await;
    let (subnet, group) = network(&ec2).await;

    let config = api_task("sha-abc1234");
    assert_eq!(task_type.validate(&config), vec![]);
    let planned_task = planned(task_type.as_ref(), &config);
    let task = task_type
        .create(&op_context("aws_ecs_task_definition.api"), &planned_task)
        .await
        .unwrap();
    let task_arn = task.str("arn").unwrap().to_string();
    assert_eq!(task.i64("revision"), Some(1));

    // What ECS registered.
    let described = ecs
        .describe_task_definition()
        .task_definition(&task_arn)
        .send()
        .await
        .unwrap();
    let td = described.task_definition().unwrap();
    let efs = td.volumes()[0].efs_volume_configuration().unwrap();
    assert_eq!(efs.transit_encryption().unwrap().as_str(), "ENABLED");
    assert_eq!(
        efs.authorization_config().unwrap().access_point_id(),
        Some("fsap-1234567890abcdef0")
    );
    let container = &td.container_definitions()[0];
    let mut secrets: Vec<&str> = container.secrets().iter().map(|s| s.name()).collect();
    secrets.sort();
    assert_eq!(secrets, ["POSTGRES_PASSWORD", "SECRET_KEY"]);
    assert_eq!(
        container.log_configuration().unwrap().log_driver().as_str(),
        "awslogs"
    );

    // No churn: the record reads back as planned, and an import of the
    // same revision (nothing recorded) reads as the plan's document.
    let again = read(task_type.as_ref(), &task_arn, &task).await.unwrap();
    assert_eq!(
        again.str("container_definitions"),
        planned_task.str("container_definitions")
    );
    let imported = read(task_type.as_ref(), &task_arn, &Object::new())
        .await
        .unwrap();
    assert!(
        imported["container_definitions"].same_as(&planned_task["container_definitions"]),
        "import:\n{}\nplan:\n{}",
        imported["container_definitions"],
        planned_task["container_definitions"]
    );

    // The service: Fargate, private, behind its target group.
    let tg =
        format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/api/0123456789abcdef");
    let service_config = object(&[
        ("name", "api".into()),
        ("cluster", "tracker-restapi-staging".into()),
        ("task_definition", task_arn.as_str().into()),
        ("desired_count", 2.into()),
        ("launch_type", "FARGATE".into()),
        (
            "network_configuration",
            map(&[
                ("subnets", Value::from(vec![subnet.as_str()])),
                ("security_groups", Value::from(vec![group.as_str()])),
            ]),
        ),
        (
            "load_balancer",
            Value::List(vec![map(&[
                ("target_group_arn", tg.as_str().into()),
                ("container_name", "api".into()),
                ("container_port", 8000.into()),
            ])]),
        ),
        ("deployment_minimum_healthy_percent", 50.into()),
        ("deployment_maximum_percent", 200.into()),
        (
            "deployment_circuit_breaker",
            map(&[("enable", true.into()), ("rollback", true.into())]),
        ),
        ("enable_execute_command", true.into()),
        ("health_check_grace_period_seconds", 60.into()),
    ]);
    assert_eq!(service_type.validate(&service_config), vec![]);
    let planned_service = planned(service_type.as_ref(), &service_config);
    let ctx = op_context("aws_ecs_service.api");
    let service = service_type.create(&ctx, &planned_service).await.unwrap();
    let arn = service.str("arn").unwrap().to_string();
    let live = ecs
        .describe_services()
        .cluster("tracker-restapi-staging")
        .services(&arn)
        .send()
        .await
        .unwrap();
    let s = &live.services()[0];
    assert_eq!(s.desired_count(), 2);
    assert_eq!(s.launch_type().unwrap().as_str(), "FARGATE");
    let vpc = s
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(vpc.assign_public_ip().unwrap().as_str(), "DISABLED");
    assert_eq!(s.load_balancers()[0].container_port(), Some(8000));

    // A re-read has no drift, though moto answers no deployment settings.
    let reread = read(service_type.as_ref(), &arn, &service).await.unwrap();
    for k in [
        "task_definition",
        "cluster",
        "desired_count",
        "deployment_minimum_healthy_percent",
        "deployment_circuit_breaker",
        "enable_execute_command",
        "network_configuration",
        "load_balancer",
    ] {
        assert!(
            reread[k].same_as(&planned_service[k]),
            "{k}: {} vs {}",
            reread[k],
            planned_service[k]
        );
    }

    // A new image: a new revision, and the service moves to it in place.
    let next = task_type
        .create(
            &op_context("aws_ecs_task_definition.api"),
            &planned(task_type.as_ref(), &api_task("sha-def5678")),
        )
        .await
        .unwrap();
    let next_arn = next.str("arn").unwrap().to_string();
    assert!(next_arn.ends_with(":2"), "{next_arn}");
    let mut moved = planned_service.clone();
    moved.insert("task_definition".into(), next_arn.as_str().into());
    let updated = service_type
        .update(
            &ctx,
            &arn,
            &service,
            &moved,
            &["task_definition".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(updated.str("task_definition"), Some(next_arn.as_str()));
    task_type.delete(&ctx, &task_arn, &task).await.unwrap();
    let old = ecs
        .describe_task_definition()
        .task_definition(&task_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.task_definition().unwrap().status().unwrap().as_str(),
        "INACTIVE"
    );
    assert!(read(task_type.as_ref(), &task_arn, &task).await.is_none());

    // Deleting scales to 0 and waits until the service is gone.
    service_type.delete(&ctx, &arn, &updated).await.unwrap();
    let after = ecs
        .describe_services()
        .cluster("tracker-restapi-staging")
        .services(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(after.services()[0].status(), Some("INACTIVE"));
    assert_eq!(after.services()[0].desired_count(), 0);
    assert!(read(service_type.as_ref(), &arn, &updated).await.is_none());
}

#[tokio::test]
async fn waiting_for_a_steady_state_reports_the_running_count_and_is_bounded() {
    // Every service on this server runs 2 tasks.
    aws_test_env();
    let moto = MotoServer::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "2")]);
    let (aws, registry) = provider_at(moto.endpoint());
    let sdk = aws.sdk_config().await.unwrap();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let service_type = registry.resource("aws_ecs_service").unwrap();
    sdk_cluster(&ecs, "steady").await;
    let (subnet, group) = network(&ec2).await;
    let task = common::sdk_task_definition(&ecs, "web", "nginx:1.27").await;
    let config = |name: &str, count: i64| {
        planned(
            service_type.as_ref(),
            &object(&[
                ("name", name.into()),
                ("cluster", "steady".into()),
                ("task_definition", task.as_str().into()),
                ("desired_count", count.into()),
                ("launch_type", "FARGATE".into()),
                ("wait_for_steady_state", true.into()),
                (
                    "network_configuration",
                    map(&[
                        ("subnets", Value::from(vec![subnet.as_str()])),
                        ("security_groups", Value::from(vec![group.as_str()])),
                    ]),
                ),
            ]),
        )
    };
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = lines.clone();
    let ctx = OpContext {
        progress: Progress::new(move |l| seen.lock().unwrap().push(l.to_string())),
        ..op_context("aws_ecs_service.web")
    };
    let steady = service_type.create(&ctx, &config("web", 2)).await.unwrap();
    assert_eq!(steady.i64("desired_count"), Some(2));
    assert!(lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("2 of 2 tasks running")));

    // 3 wanted, 2 ever run: the wait gives up at the timeout, naming it,
    // and the service made is not forgotten.
    let ctx = OpContext {
        timeout: Duration::from_secs(2),
        ..op_context("aws_ecs_service.short")
    };
    let err = service_type
        .create(&ctx, &config("short", 3))
        .await
        .unwrap_err();
    assert_eq!(err.code, "Timeout", "{err}");
    assert!(
        err.message.contains("short to reach a steady state"),
        "{err}"
    );
    assert!(
        err.partial
            .as_ref()
            .and_then(|p| p.str("id"))
            .is_some_and(|id| id.ends_with("/short")),
        "{err:?}"
    );
}

#[test]
fn fargate_sizes_network_mode_and_unmapped_keys_are_checked_offline() {
    aws_test_env();
    let (_aws, registry) = provider_at("http://127.0.0.1:9".into());
    let task_type = registry.resource("aws_ecs_task_definition").unwrap();
    let mut config = api_task("x");
    config.insert("memory".into(), "4096".into());
    config.insert("cpu".into(), "256".into());
    config.insert("network_mode".into(), "bridge".into());
    let text = api_containers("x").replacen(
        "\"essential\":true",
        "\"essential\":true,\"firelensConfiguration\":{\"type\":\"fluentbit\"}",
        1,
    );
    config.insert("container_definitions".into(), text.into());
    let issues: Vec<String> = task_type
        .validate(&config)
        .into_iter()
        .map(|i| format!("{}: {}", i.attribute, i.message))
        .collect();
    assert_eq!(issues.len(), 3, "{issues:#?}");
    assert!(
        issues[0]
            .starts_with("container_definitions: `api.firelensConfiguration` is not supported"),
        "{issues:#?}"
    );
    assert!(
        issues[1].contains("only with network_mode = \"awsvpc\", not `bridge`"),
        "{issues:#?}"
    );
    assert!(
        issues[2].contains("cpu 256 with memory 512, 1024, 2048, not 4096"),
        "{issues:#?}"
    );

    let service_type = registry.resource("aws_ecs_service").unwrap();
    let both = object(&[
        ("launch_type", "FARGATE".into()),
        (
            "capacity_provider_strategy",
            Value::List(vec![map(&[("capacity_provider", "FARGATE_SPOT".into())])]),
        ),
        ("network_configuration", Value::Null),
    ]);
    let issues = service_type.validate(&both);
    assert_eq!(issues.len(), 2, "{issues:?}");
}
