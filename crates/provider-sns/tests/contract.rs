//! The resource contract (cairn_testkit::resource_contract) for every SNS
//! type, against moto.

use aws_sdk_sns::types::Tag;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn tag_outside(sns: &aws_sdk_sns::Client) -> TagOutside {
    let sns = sns.clone();
    Box::new(move |id, set, unset| {
        let sns = sns.clone();
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                .collect();
            sns.tag_resource()
                .resource_arn(id)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            sns.untag_resource()
                .resource_arn(id)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

#[tokio::test]
async fn every_sns_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_sns::register);
    let sns = aws_sdk_sns::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_sns_topic.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let topic = Case {
        address: "aws_sns_topic.contract",
        config: object(&[
            ("name", "tracker-alarms".into()),
            ("display_name", "Tracker alarms".into()),
            ("tags", tags(&[("Name", "alarms")])),
        ]),
        update: object(&[
            ("display_name", "Tracker staging alarms".into()),
            (
                "delivery_policy",
                r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5}}}"#.into(),
            ),
            ("tags", tags(&[("Name", "alarms"), ("Tier", "ops")])),
        ]),
        replace: Some("name"),
        missing_id: "arn:aws:sns:eu-west-2:123456789012:no-such-topic".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&sns)),
        delete_forgets: false,
    };
    check(resource("aws_sns_topic").as_ref(), topic, &ctx).await;

    // The topic subscriptions subscribe to, made outside cairn.
    let host = sns.create_topic().name("host").send().await.unwrap();
    let topic_arn = host.topic_arn().unwrap().to_string();

    let subscription = Case {
        address: "aws_sns_topic_subscription.contract",
        config: object(&[
            ("topic_arn", topic_arn.as_str().into()),
            ("protocol", "https".into()),
            ("endpoint", "https://hooks.example.com/alarms".into()),
        ]),
        update: object(&[
            ("raw_message_delivery", true.into()),
            ("filter_policy", r#"{"severity":["critical"]}"#.into()),
        ]),
        replace: Some("endpoint"),
        missing_id: format!("{topic_arn}:00000000-0000-0000-0000-000000000000"),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_sns_topic_subscription").as_ref(),
        subscription,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &["aws_sns_topic", "aws_sns_topic_subscription"],
    );
}
