//! What the contract cannot know about `aws_scheduler_schedule`, checked
//! through the SDK against moto: the estate's ECS schedule (flexible window
//! OFF, dead-letter queue, awsvpc network), an update that changes one
//! attribute still sends the whole definition (UpdateSchedule replaces it),
//! dates in UTC, leftovers adopted by their deterministic name and a
//! same-named schedule of someone else's refused.

use aws_sdk_scheduler::types::{AssignPublicIp, FlexibleTimeWindowMode, ScheduleState};
use cairn_core::{Object, Resource, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(object(pairs))
}

fn s<'a>(o: &'a Object, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or_default()
}

const CLUSTER: &str = "arn:aws:ecs:eu-west-2:123456789012:cluster/restartix-staging";
const ROLE: &str = "arn:aws:iam::123456789012:role/restartix-staging-scheduler";
const DLQ: &str = "arn:aws:sqs:eu-west-2:123456789012:restartix-staging-jobs-dlq";
const TASK: &str = "arn:aws:ecs:eu-west-2:123456789012:task-definition/restartix-core-api:7";

fn ecs_target(input: &str) -> Value {
    map(&[
        ("arn", CLUSTER.into()),
        ("role_arn", ROLE.into()),
        ("input", input.into()),
        ("dead_letter_config", map(&[("arn", DLQ.into())])),
        (
            "ecs_parameters",
            map(&[
                ("task_definition_arn", TASK.into()),
                ("launch_type", "FARGATE".into()),
                ("platform_version", "LATEST".into()),
                ("propagate_tags", "TASK_DEFINITION".into()),
                ("tags", map(&[("Job", "check-providers".into())])),
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
}

/// Without the entries the plan compares as unset (null, `[]`, `{}`,
/// `false`).
fn pruned(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    let empty = |v: &J| match v {
        J::Null | J::Bool(false) => true,
        J::Array(a) => a.is_empty(),
        J::Object(o) => o.is_empty(),
        _ => false,
    };
    match v {
        J::Object(o) => J::Object(
            o.into_iter()
                .map(|(k, v)| (k, pruned(v)))
                .filter(|(_, v)| !empty(v))
                .collect(),
        ),
        J::Array(a) => J::Array(a.into_iter().map(pruned).collect()),
        other => other,
    }
}

/// As the engine plans a create: every attribute prepared (nested
/// defaults, canonical dates), top-level defaults filled in.
fn planned(r: &dyn Resource, pairs: &[(&str, Value)]) -> Object {
    let mut o = object(pairs);
    for (name, attr) in &r.schema().attributes {
        match o.get_mut(*name) {
            Some(v) => attr.prepare(v),
            None => {
                if let Some(d) = &attr.default {
                    o.insert(name.to_string(), d.clone());
                }
            }
        }
    }
    o
}

#[tokio::test]
async fn the_estates_ecs_schedule_and_an_update_that_sends_the_whole_definition() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_scheduler::register);
    let sdk = aws_sdk_scheduler::Client::new(aws.sdk_config().await.unwrap());
    let schedule = registry.resource("aws_scheduler_schedule").unwrap();
    let ctx = op_context("module.scheduled_tasks.aws_scheduler_schedule.task[\"check-providers\"]");

    let config = planned(
        schedule.as_ref(),
        &[
            ("name", "restartix-staging-check-providers".into()),
            ("schedule_expression", "rate(5 minutes)".into()),
            ("flexible_time_window", map(&[("mode", "OFF".into())])),
            ("target", ecs_target(r#"{"containerOverrides":[]}"#)),
        ],
    );
    let created = schedule.create(&ctx, &config).await.unwrap();
    assert_eq!(
        s(&created, "id"),
        "default/restartix-staging-check-providers"
    );
    assert!(s(&created, "arn").ends_with(":schedule/default/restartix-staging-check-providers"));

    let live = sdk
        .get_schedule()
        .name("restartix-staging-check-providers")
        .send()
        .await
        .unwrap();
    let window = live.flexible_time_window().unwrap();
    assert_eq!(window.mode(), &FlexibleTimeWindowMode::Off);
    assert_eq!(window.maximum_window_in_minutes(), None);
    let target = live.target().unwrap();
    assert_eq!(target.dead_letter_config().and_then(|d| d.arn()), Some(DLQ));
    let ecs = target.ecs_parameters().unwrap();
    assert_eq!(ecs.task_count(), Some(1), "Terraform's default is sent");
    let vpc = ecs
        .network_configuration()
        .unwrap()
        .awsvpc_configuration()
        .unwrap();
    assert_eq!(vpc.subnets(), ["subnet-0a1", "subnet-0b2"]);
    assert_eq!(vpc.assign_public_ip(), Some(&AssignPublicIp::Disabled));
    assert_eq!(
        ecs.tags()[0].get("Job").map(String::as_str),
        Some("check-providers")
    );

    // A refresh right after reads what the plan holds: no change.
    let fresh = schedule
        .read(
            &[cairn_core::ReadRequest {
                id: s(&created, "id"),
                prior: &created,
            }],
            &Default::default(),
        )
        .await
        .unwrap();
    let cairn_core::ReadOutcome::Live(fresh) = &fresh[0] else {
        panic!("gone")
    };
    for k in [
        "target",
        "flexible_time_window",
        "schedule_expression",
        "state",
    ] {
        assert_eq!(
            fresh.get(k).map(|v| pruned(v.to_json())),
            config.get(k).map(|v| pruned(v.to_json())),
            "{k}"
        );
    }

    // One attribute changes; the target must survive UpdateSchedule.
    let mut next = created.clone();
    next.insert("schedule_expression".into(), "rate(1 minute)".into());
    next.insert("start_date".into(), "2031-01-01T02:00:00+02:00".into());
    schedule
        .schema()
        .get("start_date")
        .unwrap()
        .prepare(next.get_mut("start_date").unwrap());
    let updated = schedule
        .update(
            &ctx,
            s(&created, "id"),
            &created,
            &next,
            &["schedule_expression".into(), "start_date".into()],
        )
        .await
        .unwrap();
    assert_eq!(s(&updated, "start_date"), "2031-01-01T00:00:00Z");
    let live = sdk
        .get_schedule()
        .name("restartix-staging-check-providers")
        .send()
        .await
        .unwrap();
    assert_eq!(live.schedule_expression(), Some("rate(1 minute)"));
    assert_eq!(live.state(), Some(&ScheduleState::Enabled));
    let target = live.target().unwrap();
    assert_eq!(target.dead_letter_config().and_then(|d| d.arn()), Some(DLQ));
    assert_eq!(
        target.ecs_parameters().map(|e| e.task_definition_arn()),
        Some(TASK)
    );
    assert_eq!(target.input(), Some(r#"{"containerOverrides":[]}"#));

    // Flexible, then off again; disabled.
    let mut flexible = updated.clone();
    flexible.insert(
        "flexible_time_window".into(),
        map(&[
            ("mode", "FLEXIBLE".into()),
            ("maximum_window_in_minutes", 15.into()),
        ]),
    );
    flexible.insert("state".into(), "DISABLED".into());
    schedule
        .update(
            &ctx,
            s(&created, "id"),
            &updated,
            &flexible,
            &["flexible_time_window".into(), "state".into()],
        )
        .await
        .unwrap();
    let live = sdk
        .get_schedule()
        .name("restartix-staging-check-providers")
        .send()
        .await
        .unwrap();
    let window = live.flexible_time_window().unwrap();
    assert_eq!(window.mode(), &FlexibleTimeWindowMode::Flexible);
    assert_eq!(window.maximum_window_in_minutes(), Some(15));
    assert_eq!(live.state(), Some(&ScheduleState::Disabled));

    schedule
        .delete(&ctx, s(&created, "id"), &created)
        .await
        .unwrap();
    schedule
        .delete(&ctx, s(&created, "id"), &created)
        .await
        .unwrap();
    let left = sdk.list_schedules().send().await.unwrap();
    assert!(left.schedules().is_empty());
}

#[tokio::test]
async fn a_leftover_is_adopted_by_its_name_and_someone_elses_is_refused() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_scheduler::register);
    let sdk = aws_sdk_scheduler::Client::new(aws.sdk_config().await.unwrap());
    let schedule = registry.resource("aws_scheduler_schedule").unwrap();
    let ctx = op_context("aws_scheduler_schedule.usage_quota_reset");

    // A name made from the prefix and the create's token: the retried
    // create asks for the same one and adopts it, brought to the new plan.
    let first = schedule
        .create(
            &ctx,
            &planned(
                schedule.as_ref(),
                &[
                    ("name_prefix", "quota-".into()),
                    ("schedule_expression", "cron(5 0 1 * ? *)".into()),
                    ("flexible_time_window", map(&[("mode", "OFF".into())])),
                    ("target", ecs_target("{}")),
                ],
            ),
        )
        .await
        .unwrap();
    assert!(s(&first, "name").starts_with("quota-"));
    assert_eq!(s(&first, "name_prefix"), "quota-");
    let again = schedule
        .create(
            &ctx,
            &planned(
                schedule.as_ref(),
                &[
                    ("name_prefix", "quota-".into()),
                    ("description", "Resets quota counters".into()),
                    ("schedule_expression", "cron(10 0 1 * ? *)".into()),
                    ("flexible_time_window", map(&[("mode", "OFF".into())])),
                    ("target", ecs_target("{}")),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        s(&first, "id"),
        s(&again, "id"),
        "the same schedule, not another"
    );
    let live = sdk
        .get_schedule()
        .name(s(&again, "name"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.schedule_expression(), Some("cron(10 0 1 * ? *)"));
    assert_eq!(live.description(), Some("Resets quota counters"));
    assert_eq!(
        sdk.list_schedules().send().await.unwrap().schedules().len(),
        1
    );

    // Someone else's schedule of the planned name invokes another target.
    let theirs = aws_sdk_scheduler::types::Target::builder()
        .arn("arn:aws:lambda:eu-west-2:123456789012:function:theirs")
        .role_arn(ROLE)
        .build()
        .unwrap();
    sdk.create_schedule()
        .name("usage-summary-rollup")
        .schedule_expression("cron(0 3 1 * ? *)")
        .flexible_time_window(
            aws_sdk_scheduler::types::FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .target(theirs)
        .send()
        .await
        .unwrap();
    let e = schedule
        .create(
            &op_context("aws_scheduler_schedule.usage_summary_rollup"),
            &planned(
                schedule.as_ref(),
                &[
                    ("name", "usage-summary-rollup".into()),
                    ("schedule_expression", "cron(0 4 1 * ? *)".into()),
                    ("flexible_time_window", map(&[("mode", "OFF".into())])),
                    ("target", ecs_target("{}")),
                ],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "ConflictException", "{e}");
    assert!(e.partial.is_none());
    let live = sdk
        .get_schedule()
        .name("usage-summary-rollup")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.schedule_expression(),
        Some("cron(0 3 1 * ? *)"),
        "left alone"
    );
}
