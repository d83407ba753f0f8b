//! What a refresh of `aws_scheduler_schedule` costs, in AWS calls.

use cairn_core::{Object, ReadOutcome, ReadRequest, Value};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{moto_provider, object, op_context};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(object(pairs))
}

#[tokio::test]
async fn a_refresh_reads_each_schedule_once() {
    let (calls, _guard) = Calls::start();
    let (_moto, _aws, registry) = moto_provider(cairn_provider_scheduler::register);
    let schedule = registry.resource("aws_scheduler_schedule").unwrap();
    let target = map(&[
        ("arn", "arn:aws:sqs:eu-west-2:123456789012:jobs".into()),
        (
            "role_arn",
            "arn:aws:iam::123456789012:role/scheduler".into(),
        ),
        (
            "retry_policy",
            map(&[
                ("maximum_event_age_in_seconds", 3600.into()),
                ("maximum_retry_attempts", 3.into()),
            ]),
        ),
    ]);
    let mut ids = Vec::new();
    for name in [
        "audit-partition-roll",
        "usage-quota-reset",
        "usage-summary-rollup",
    ] {
        let created = schedule
            .create(
                &op_context(&format!(
                    "aws_scheduler_schedule.{}",
                    name.replace('-', "_")
                )),
                &object(&[
                    ("name", name.into()),
                    ("group_name", "default".into()),
                    ("schedule_expression", "cron(0 2 1 * ? *)".into()),
                    ("flexible_time_window", map(&[("mode", "OFF".into())])),
                    ("target", target.clone()),
                ]),
            )
            .await
            .unwrap();
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    ids.push("default/no-such-schedule".into());
    calls.take();

    let prior = Object::new();
    let requests: Vec<ReadRequest> = ids
        .iter()
        .map(|id| ReadRequest { id, prior: &prior })
        .collect();
    let out = schedule.read(&requests, &Default::default()).await.unwrap();
    assert!(out[..3].iter().all(|o| matches!(o, ReadOutcome::Live(_))));
    assert!(matches!(out[3], ReadOutcome::Gone));
    // No batch read: one GetSchedule each, the missing one included.
    assert_eq!(calls.take(), counts(&[("GetSchedule", 4)]));
    let ReadOutcome::Live(first) = &out[0] else {
        panic!("gone")
    };
    let retry = first["target"].as_map().unwrap()["retry_policy"]
        .as_map()
        .unwrap();
    assert_eq!(retry["maximum_retry_attempts"].as_i64(), Some(3));
}
