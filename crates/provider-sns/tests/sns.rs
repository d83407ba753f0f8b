//! What the contract cannot know about the SNS types, checked through the
//! SDK against moto: a same-named topic that is not this stack's is
//! refused and left alone, a leftover of this address is adopted and
//! brought to the plan, policies compare as JSON, email and https
//! subscriptions, and the calls a batched refresh makes.

use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Resource, Value};
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

#[tokio::test]
async fn a_same_named_topic_of_someone_else_is_refused_and_left_alone() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sns::register);
    let sns = aws_sdk_sns::Client::new(aws.sdk_config().await.unwrap());
    let topic = registry.resource("aws_sns_topic").unwrap();

    let theirs = sns
        .create_topic()
        .name("shared-alarms")
        .attributes("DisplayName", "theirs")
        .send()
        .await
        .unwrap();
    let arn = theirs.topic_arn().unwrap();

    let ctx = op_context("aws_sns_topic.alarms");
    let planned = object(&[
        ("name", "shared-alarms".into()),
        ("display_name", "ours".into()),
        ("fifo_topic", false.into()),
    ]);
    let e = topic.create(&ctx, &planned).await.unwrap_err();
    assert_eq!(e.code, "TopicExists", "{e}");
    assert!(e.partial.is_none(), "nothing of someone else's is recorded");

    let attrs = sns
        .get_topic_attributes()
        .topic_arn(arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs
            .attributes()
            .unwrap()
            .get("DisplayName")
            .map(String::as_str),
        Some("theirs")
    );
    let t = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    assert!(t.tags().is_empty(), "no tag was written: {:?}", t.tags());

    // Another address of this stack does not own it either.
    let mine = topic
        .create(
            &op_context("aws_sns_topic.mine"),
            &object(&[("name", "mine".into())]),
        )
        .await
        .unwrap();
    let e = topic
        .create(
            &op_context("aws_sns_topic.other"),
            &object(&[("name", "mine".into())]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "TopicExists");
    assert!(e.message.contains("aws_sns_topic.mine"), "{e}");
    topic.delete(&ctx, &id(&mine), &mine).await.unwrap();
}

#[tokio::test]
async fn a_leftover_topic_is_adopted_and_brought_to_the_plan() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sns::register);
    let sns = aws_sdk_sns::Client::new(aws.sdk_config().await.unwrap());
    let topic = registry.resource("aws_sns_topic").unwrap();
    let ctx = op_context("aws_sns_topic.alarms");

    let first = topic
        .create(
            &ctx,
            &object(&[("name", "alarms".into()), ("display_name", "old".into())]),
        )
        .await
        .unwrap();
    // The apply died before recording it; the next plan says otherwise.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"alarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}"#;
    let again = topic
        .create(
            &ctx,
            &object(&[
                ("name", "alarms".into()),
                ("display_name", "new".into()),
                ("policy", policy.into()),
                ("tags", tags(&[("Name", "alarms")])),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(id(&first), id(&again), "the same topic, not another");

    let attrs = sns
        .get_topic_attributes()
        .topic_arn(id(&again))
        .send()
        .await
        .unwrap();
    let attrs = attrs.attributes().unwrap();
    assert_eq!(attrs.get("DisplayName").map(String::as_str), Some("new"));
    let live: serde_json::Value = serde_json::from_str(&attrs["Policy"]).unwrap();
    assert_eq!(
        live,
        serde_json::from_str::<serde_json::Value>(policy).unwrap()
    );
    let t = sns
        .list_tags_for_resource()
        .resource_arn(id(&again))
        .send()
        .await
        .unwrap();
    let t: Vec<(&str, &str)> = t.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(t.contains(&("Name", "alarms")), "{t:?}");
    assert!(
        t.contains(&("cairn:address", "aws_sns_topic.alarms")),
        "{t:?}"
    );
    topic.delete(&ctx, &id(&again), &again).await.unwrap();
}

#[tokio::test]
async fn email_and_https_subscriptions_and_what_a_refresh_costs() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sns::register);
    let sns = aws_sdk_sns::Client::new(aws.sdk_config().await.unwrap());
    let topic = registry.resource("aws_sns_topic").unwrap();
    let sub = registry.resource("aws_sns_topic_subscription").unwrap();
    let ctx = op_context("aws_sns_topic.alarms");

    let mut topics = Vec::new();
    for name in ["alarms-a", "alarms-b", "alarms-c"] {
        let t = topic
            .create(
                &op_context(&format!("aws_sns_topic.{}", name.replace('-', "_"))),
                &object(&[("name", name.into())]),
            )
            .await
            .unwrap();
        topics.push(id(&t));
    }
    let mut subs = Vec::new();
    for (i, t) in topics.iter().take(2).enumerate() {
        let email = sub
            .create(
                &ctx,
                &object(&[
                    ("topic_arn", t.as_str().into()),
                    ("protocol", "email".into()),
                    ("endpoint", format!("ops{i}@example.com").into()),
                ]),
            )
            .await
            .unwrap();
        // moto confirms at once; AWS would say true until the mail is
        // answered (the ARN is real either way: ReturnSubscriptionArn).
        assert_eq!(
            email.get("pending_confirmation").and_then(Value::as_bool),
            Some(false)
        );
        let https = sub
            .create(
                &ctx,
                &object(&[
                    ("topic_arn", t.as_str().into()),
                    ("protocol", "https".into()),
                    ("endpoint", format!("https://hooks.example.com/{i}").into()),
                    ("raw_message_delivery", true.into()),
                    (
                        "filter_policy",
                        r#"{"severity": ["critical", "high"]}"#.into(),
                    ),
                ]),
            )
            .await
            .unwrap();
        let attrs = sns
            .get_subscription_attributes()
            .subscription_arn(id(&https))
            .send()
            .await
            .unwrap();
        let attrs = attrs.attributes().unwrap();
        assert_eq!(
            attrs.get("RawMessageDelivery").map(String::as_str),
            Some("true")
        );
        assert_eq!(attrs.get("Protocol").map(String::as_str), Some("https"));
        let fp: serde_json::Value = serde_json::from_str(&attrs["FilterPolicy"]).unwrap();
        assert_eq!(fp, serde_json::json!({"severity": ["critical", "high"]}));
        subs.push(id(&email));
        subs.push(id(&https));
    }

    // Topics: ListTopics (one page), the tagging listing once, one
    // GetTopicAttributes per topic.
    let (calls, _guard) = Calls::start();
    let ids: Vec<&str> = topics.iter().map(String::as_str).collect();
    let read_topics = read(topic.as_ref(), &ids).await;
    assert!(read_topics.iter().all(Option::is_some));
    assert_eq!(
        calls.take(),
        counts(&[
            ("GetResources", 1),
            ("GetTopicAttributes", 3),
            ("ListTopics", 1)
        ])
    );

    // Subscriptions: one listing per topic, one GetSubscriptionAttributes
    // per subscription; a deleted topic's subscriptions are gone without
    // a call each.
    sns.delete_topic()
        .topic_arn(&topics[1])
        .send()
        .await
        .unwrap();
    let ids: Vec<&str> = subs.iter().map(String::as_str).collect();
    let read_subs = read(sub.as_ref(), &ids).await;
    assert!(read_subs[0].is_some() && read_subs[1].is_some());
    assert!(read_subs[2].is_none() && read_subs[3].is_none());
    assert_eq!(
        calls.take(),
        counts(&[
            ("GetSubscriptionAttributes", 2),
            ("ListSubscriptionsByTopic", 2)
        ])
    );

    // Destroy: twice is fine.
    for s in &subs[..2] {
        sub.delete(&ctx, s, &Object::new()).await.unwrap();
        sub.delete(&ctx, s, &Object::new()).await.unwrap();
    }
    let left = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topics[0])
        .send()
        .await
        .unwrap();
    assert!(left.subscriptions().is_empty());
}
