//! The resource contract (cairn_testkit::resource_contract) for every
//! scheduler type, against moto.

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(object(pairs))
}

#[tokio::test]
async fn every_scheduler_type_keeps_the_contract() {
    let (_moto, _aws, registry) = moto_provider(cairn_provider_scheduler::register);
    let ctx = op_context("aws_scheduler_schedule.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let target = |count: i64| {
        map(&[
            (
                "arn",
                "arn:aws:ecs:eu-west-2:123456789012:cluster/restartix-staging".into(),
            ),
            (
                "role_arn",
                "arn:aws:iam::123456789012:role/restartix-staging-scheduler".into(),
            ),
            (
                "dead_letter_config",
                map(&[(
                    "arn",
                    "arn:aws:sqs:eu-west-2:123456789012:restartix-staging-jobs-dlq".into(),
                )]),
            ),
            (
                "ecs_parameters",
                map(&[
                    (
                        "task_definition_arn",
                        "arn:aws:ecs:eu-west-2:123456789012:task-definition/restartix-core-api:7"
                            .into(),
                    ),
                    ("task_count", count.into()),
                    ("launch_type", "FARGATE".into()),
                    (
                        "network_configuration",
                        map(&[
                            ("subnets", Value::from(vec!["subnet-0a1", "subnet-0b2"])),
                            ("security_groups", Value::from(vec!["sg-0app"])),
                        ]),
                    ),
                ]),
            ),
        ])
    };
    let schedule = Case {
        address: "aws_scheduler_schedule.contract",
        config: object(&[
            ("name", "audit-partition-roll".into()),
            ("schedule_expression", "cron(0 2 1 * ? *)".into()),
            ("flexible_time_window", map(&[("mode", "OFF".into())])),
            ("target", target(1)),
        ]),
        update: object(&[
            ("schedule_expression", "cron(0 3 1 * ? *)".into()),
            (
                "description",
                "Provisions the next 3 monthly partitions".into(),
            ),
            ("state", "DISABLED".into()),
            ("target", target(2)),
        ]),
        replace: Some("name"),
        missing_id: "default/no-such-schedule".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(resource("aws_scheduler_schedule").as_ref(), schedule, &ctx).await;

    covered(registry.resource_types(), &["aws_scheduler_schedule"]);
}
