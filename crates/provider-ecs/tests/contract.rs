//! The resource contract (cairn_testkit::resource_contract) for every ECS
//! type, against moto, with the service's network, cluster and task
//! definition made outside cairn.

mod common;

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};
use common::{map, network, sdk_cluster, sdk_task_definition, tag_outside, ACCOUNT, REGION};

#[tokio::test]
async fn every_ecs_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_ecs::register);
    let sdk = aws.sdk_config().await.unwrap();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let ctx = op_context("aws_ecs_cluster.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();
    let insights = |on: &str| {
        Value::List(vec![map(&[
            ("name", "containerInsights".into()),
            ("value", on.into()),
        ])])
    };

    let cluster = Case {
        address: "aws_ecs_cluster.contract",
        config: object(&[
            ("name", "contract".into()),
            ("setting", insights("enabled")),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[("setting", insights("disabled"))]),
        replace: Some("name"),
        missing_id: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/missing"),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&ecs)),
        delete_forgets: false,
    };
    check(resource("aws_ecs_cluster").as_ref(), cluster, &ctx).await;

    sdk_cluster(&ecs, "host").await;
    let strategy = |provider: &str| {
        Value::List(vec![map(&[
            ("capacity_provider", provider.into()),
            ("weight", 1.into()),
            ("base", 0.into()),
        ])])
    };
    let providers = Case {
        address: "aws_ecs_cluster_capacity_providers.contract",
        config: object(&[
            ("cluster_name", "host".into()),
            (
                "capacity_providers",
                Value::from(vec!["FARGATE", "FARGATE_SPOT"]),
            ),
            ("default_capacity_provider_strategy", strategy("FARGATE")),
        ]),
        update: object(&[(
            "default_capacity_provider_strategy",
            strategy("FARGATE_SPOT"),
        )]),
        replace: Some("cluster_name"),
        missing_id: "missing".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_ecs_cluster_capacity_providers").as_ref(),
        providers,
        &ctx,
    )
    .await;

    let task = Case {
        address: "aws_ecs_task_definition.contract",
        config: object(&[
            ("family", "contract".into()),
            (
                "container_definitions",
                r#"[{"name":"web","image":"nginx:1.27","essential":true,"portMappings":[{"containerPort":80}]}]"#.into(),
            ),
            ("cpu", "256".into()),
            ("memory", "512".into()),
            ("network_mode", "awsvpc".into()),
            ("requires_compatibilities", Value::from(vec!["FARGATE"])),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "contract"), ("Tier", "web")]))]),
        replace: Some("container_definitions"),
        missing_id: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/missing:1"),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&ecs)),
        delete_forgets: false,
    };
    check(resource("aws_ecs_task_definition").as_ref(), task, &ctx).await;

    let (subnet, group) = network(&ec2).await;
    let task_arn = sdk_task_definition(&ecs, "svc", "nginx:1.27").await;
    let service = Case {
        address: "aws_ecs_service.contract",
        config: object(&[
            ("name", "contract".into()),
            ("cluster", "host".into()),
            ("task_definition", task_arn.as_str().into()),
            ("desired_count", 1.into()),
            ("launch_type", "FARGATE".into()),
            (
                "network_configuration",
                map(&[
                    ("subnets", Value::from(vec![subnet.as_str()])),
                    ("security_groups", Value::from(vec![group.as_str()])),
                ]),
            ),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[("desired_count", 2.into())]),
        replace: Some("name"),
        missing_id: format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/host/missing"),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&ecs)),
        delete_forgets: false,
    };
    check(resource("aws_ecs_service").as_ref(), service, &ctx).await;

    covered(
        registry.resource_types(),
        &[
            "aws_ecs_cluster",
            "aws_ecs_cluster_capacity_providers",
            "aws_ecs_task_definition",
            "aws_ecs_service",
        ],
    );
}
