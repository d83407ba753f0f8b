//! What the contract cannot know about `aws_sqs_queue`, checked through the
//! SDK against moto: a dead-letter redrive policy compares as JSON, a
//! same-named queue of someone else's is refused and left alone, a leftover
//! of this address is adopted and brought to the plan (FIFO queues and
//! what a refresh costs: refresh_calls.rs).

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName;
use cairn_core::{Object, Resource, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn s<'a>(o: &'a Object, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// As the engine plans a create: the schema's defaults filled in.
fn planned(r: &dyn Resource, pairs: &[(&str, Value)]) -> Object {
    let mut o = object(pairs);
    for (name, attr) in &r.schema().attributes {
        if let (None, Some(d)) = (o.get(*name), &attr.default) {
            o.insert(name.to_string(), d.clone());
        }
    }
    o
}

async fn attributes(sqs: &aws_sdk_sqs::Client, url: &str) -> HashMap<String, String> {
    sqs.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
        .collect()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[tokio::test]
async fn a_dead_letter_queue_is_wired_by_its_redrive_policy_compared_as_json() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sqs::register);
    let sqs = aws_sdk_sqs::Client::new(aws.sdk_config().await.unwrap());
    let queue = registry.resource("aws_sqs_queue").unwrap();

    let dlq = queue
        .create(
            &op_context("aws_sqs_queue.jobs_dlq"),
            &planned(
                queue.as_ref(),
                &[
                    ("name", "restartix-staging-jobs-dlq".into()),
                    ("message_retention_seconds", 1_209_600.into()),
                ],
            ),
        )
        .await
        .unwrap();
    let dlq_arn = s(&dlq, "arn").to_string();
    assert!(
        dlq_arn.ends_with(":restartix-staging-jobs-dlq"),
        "{dlq_arn}"
    );
    assert_eq!(s(&dlq, "id"), s(&dlq, "url"));

    // Written with spaces and keys in another order than SQS answers.
    let redrive = format!(r#"{{ "maxReceiveCount": 4, "deadLetterTargetArn": "{dlq_arn}" }}"#);
    let ctx = op_context("aws_sqs_queue.jobs");
    let jobs = queue
        .create(
            &ctx,
            &planned(
                queue.as_ref(),
                &[
                    ("name", "restartix-staging-jobs".into()),
                    ("visibility_timeout_seconds", 300.into()),
                    ("receive_wait_time_seconds", 20.into()),
                    ("redrive_policy", redrive.as_str().into()),
                ],
            ),
        )
        .await
        .unwrap();
    let live = attributes(&sqs, s(&jobs, "url")).await;
    assert_eq!(json(&live["RedrivePolicy"]), json(&redrive));
    assert_eq!(live["VisibilityTimeout"], "300");
    assert_eq!(live["ReceiveMessageWaitTimeSeconds"], "20");
    assert_eq!(
        live["MaximumMessageSize"], "262144",
        "Terraform's default is sent"
    );
    assert_eq!(json(s(&jobs, "redrive_policy")), json(&redrive));
    assert_eq!(
        jobs.get("kms_data_key_reuse_period_seconds")
            .and_then(Value::as_i64),
        Some(300)
    );

    // Raising maxReceiveCount in place; then removing the policy.
    let raised = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":10}}"#);
    let mut next = jobs.clone();
    next.insert("redrive_policy".into(), raised.as_str().into());
    let updated = queue
        .update(
            &ctx,
            s(&jobs, "id"),
            &jobs,
            &next,
            &["redrive_policy".into()],
        )
        .await
        .unwrap();
    assert_eq!(s(&updated, "id"), s(&jobs, "id"), "same queue");
    let live = attributes(&sqs, s(&jobs, "url")).await;
    assert_eq!(json(&live["RedrivePolicy"])["maxReceiveCount"], 10);

    next.insert("redrive_policy".into(), "".into());
    queue
        .update(
            &ctx,
            s(&jobs, "id"),
            &updated,
            &next,
            &["redrive_policy".into()],
        )
        .await
        .unwrap();
    let live = attributes(&sqs, s(&jobs, "url")).await;
    assert!(!live.contains_key("RedrivePolicy"), "{live:?}");

    for q in [&jobs, &dlq] {
        queue.delete(&ctx, s(q, "id"), q).await.unwrap();
        queue.delete(&ctx, s(q, "id"), q).await.unwrap();
    }
    let left = sqs.list_queues().send().await.unwrap();
    assert!(left.queue_urls().is_empty(), "{:?}", left.queue_urls());
}

#[tokio::test]
async fn a_same_named_queue_of_someone_else_is_refused_and_left_alone() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sqs::register);
    let sqs = aws_sdk_sqs::Client::new(aws.sdk_config().await.unwrap());
    let queue = registry.resource("aws_sqs_queue").unwrap();

    let theirs = sqs
        .create_queue()
        .queue_name("shared-jobs")
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .tags("Owner", "them")
        .send()
        .await
        .unwrap();
    let url = theirs.queue_url().unwrap();

    let ctx = op_context("aws_sqs_queue.jobs");
    let e = queue
        .create(
            &ctx,
            &planned(
                queue.as_ref(),
                &[
                    ("name", "shared-jobs".into()),
                    ("visibility_timeout_seconds", 45.into()),
                ],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "QueueExists", "{e}");
    assert!(e.partial.is_none(), "nothing of someone else's is recorded");
    let t = sqs.list_queue_tags().queue_url(url).send().await.unwrap();
    let t = t.tags().unwrap();
    assert_eq!(t.len(), 1, "no tag was written or replaced: {t:?}");
    assert_eq!(t.get("Owner").map(String::as_str), Some("them"));

    // Another address of this stack does not own a queue either.
    queue
        .create(
            &op_context("aws_sqs_queue.mine"),
            &planned(queue.as_ref(), &[("name", "mine".into())]),
        )
        .await
        .unwrap();
    let e = queue
        .create(
            &op_context("aws_sqs_queue.other"),
            &planned(queue.as_ref(), &[("name", "mine".into())]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "QueueExists");
    assert!(e.message.contains("aws_sqs_queue.mine"), "{e}");
}

#[tokio::test]
async fn a_leftover_queue_is_adopted_and_brought_to_the_plan() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sqs::register);
    let sqs = aws_sdk_sqs::Client::new(aws.sdk_config().await.unwrap());
    let queue = registry.resource("aws_sqs_queue").unwrap();
    let ctx = op_context("aws_sqs_queue.jobs");

    let first = queue
        .create(
            &ctx,
            &planned(
                queue.as_ref(),
                &[("name", "jobs".into()), ("delay_seconds", 5.into())],
            ),
        )
        .await
        .unwrap();
    // The apply died before recording it; the next plan says otherwise.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"scheduler","Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"*"}]}"#;
    let again = queue
        .create(
            &ctx,
            &planned(
                queue.as_ref(),
                &[
                    ("name", "jobs".into()),
                    ("delay_seconds", 30.into()),
                    ("policy", policy.into()),
                    ("tags", tags(&[("Name", "jobs")])),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        s(&first, "id"),
        s(&again, "id"),
        "the same queue, not another"
    );
    let live = attributes(&sqs, s(&again, "url")).await;
    assert_eq!(live["DelaySeconds"], "30");
    assert_eq!(json(&live["Policy"]), json(policy));
    let t = sqs
        .list_queue_tags()
        .queue_url(s(&again, "url"))
        .send()
        .await
        .unwrap();
    let t = t.tags().unwrap();
    assert_eq!(t.get("Name").map(String::as_str), Some("jobs"));
    assert_eq!(
        t.get("cairn:address").map(String::as_str),
        Some("aws_sqs_queue.jobs")
    );
    let listed = sqs.list_queues().send().await.unwrap();
    assert_eq!(listed.queue_urls().len(), 1);
}
