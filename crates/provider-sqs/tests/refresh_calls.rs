//! What a refresh and the ownership listing of `aws_sqs_queue` cost, in
//! AWS calls, and FIFO queues named from a `name_prefix`.

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName;
use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Resource, Value};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{moto_provider, object, op_context};

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

#[tokio::test]
async fn fifo_queues_from_a_prefix_and_what_a_refresh_costs() {
    // Counting from the start: the per-call event's callsite then registers
    // with this test's subscriber in place.
    let (calls, _guard) = Calls::start();
    let (_moto, aws, registry) = moto_provider(cairn_provider_sqs::register);
    let sqs = aws_sdk_sqs::Client::new(aws.sdk_config().await.unwrap());
    let queue = registry.resource("aws_sqs_queue").unwrap();

    let fifo = queue
        .create(
            &op_context("aws_sqs_queue.orders"),
            &planned(
                queue.as_ref(),
                &[
                    ("name_prefix", "orders-".into()),
                    ("fifo_queue", true.into()),
                    ("content_based_deduplication", true.into()),
                    ("deduplication_scope", "messageGroup".into()),
                    ("fifo_throughput_limit", "perMessageGroupId".into()),
                ],
            ),
        )
        .await
        .unwrap();
    let name = s(&fifo, "name").to_string();
    assert!(
        name.starts_with("orders-") && name.ends_with(".fifo"),
        "{name}"
    );
    assert_eq!(s(&fifo, "name_prefix"), "orders-");
    let live = attributes(&sqs, s(&fifo, "url")).await;
    assert_eq!(live["FifoQueue"], "true");
    assert_eq!(live["ContentBasedDeduplication"], "true");
    assert_eq!(live["FifoThroughputLimit"], "perMessageGroupId");

    let mut ids = vec![s(&fifo, "id").to_string()];
    for n in ["a", "b"] {
        let q = queue
            .create(
                &op_context(&format!("aws_sqs_queue.{n}")),
                &planned(queue.as_ref(), &[("name", format!("jobs-{n}").into())]),
            )
            .await
            .unwrap();
        ids.push(s(&q, "id").to_string());
    }
    // Made outside cairn and imported: no ownership tags.
    let outside = sqs
        .create_queue()
        .queue_name("imported")
        .send()
        .await
        .unwrap();
    let outside_url = outside.queue_url().unwrap().to_string();
    let gone = ids[2].replace("jobs-b", "no-such-queue");

    // Three owned queues: the tagging listing once, one GetQueueAttributes
    // each; the imported queue adds its ListQueueTags; a missing queue
    // costs its GetQueueAttributes and is Gone.
    calls.take();
    let mut all: Vec<&str> = ids.iter().map(String::as_str).collect();
    all.push(&outside_url);
    all.push(&gone);
    let read_back = read(queue.as_ref(), &all).await;
    assert!(read_back[..4].iter().all(Option::is_some));
    assert!(read_back[4].is_none());
    assert_eq!(
        calls.take(),
        counts(&[
            ("GetQueueAttributes", 5),
            ("GetResources", 1),
            ("ListQueueTags", 1)
        ])
    );
    let imported = read_back[3].as_ref().unwrap();
    assert!(imported.get("name_prefix").is_some_and(Value::is_null));
    assert_eq!(
        s(read_back[0].as_ref().unwrap(), "name_prefix"),
        "orders-",
        "inferred from the name"
    );

    // The ownership listing: GetResources and one ListQueues, whatever the
    // number of queues.
    let owned = queue.owned_by_stack("providertest/moto").await.unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("GetResources", 1), ("ListQueues", 1)])
    );
    let mut owned: Vec<(String, String)> = owned;
    owned.sort();
    assert_eq!(
        owned,
        vec![
            ("aws_sqs_queue.a".to_string(), ids[1].clone()),
            ("aws_sqs_queue.b".to_string(), ids[2].clone()),
            ("aws_sqs_queue.orders".to_string(), ids[0].clone()),
        ]
    );
}
