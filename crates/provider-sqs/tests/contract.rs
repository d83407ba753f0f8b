//! The resource contract (cairn_testkit::resource_contract) for every SQS
//! type, against moto.

use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn tag_outside(sqs: &aws_sdk_sqs::Client) -> TagOutside {
    let sqs = sqs.clone();
    Box::new(move |id, set, unset| {
        let sqs = sqs.clone();
        Box::pin(async move {
            sqs.tag_queue()
                .queue_url(id)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .unwrap();
            sqs.untag_queue()
                .queue_url(id)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

#[tokio::test]
async fn every_sqs_type_keeps_the_contract() {
    let (moto, aws, registry) = moto_provider(cairn_provider_sqs::register);
    let sqs = aws_sdk_sqs::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_sqs_queue.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let queue = Case {
        address: "aws_sqs_queue.contract",
        config: object(&[
            ("name", "jobs-dlq".into()),
            ("message_retention_seconds", 1_209_600.into()),
            ("tags", tags(&[("Name", "jobs-dlq")])),
        ]),
        update: object(&[
            ("visibility_timeout_seconds", 120.into()),
            ("delay_seconds", 10.into()),
            ("tags", tags(&[("Name", "jobs-dlq"), ("Tier", "ops")])),
        ]),
        replace: Some("name"),
        missing_id: format!("{}/123456789012/no-such-queue", moto.endpoint()),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&sqs)),
        delete_forgets: false,
    };
    check(resource("aws_sqs_queue").as_ref(), queue, &ctx).await;

    covered(registry.resource_types(), &["aws_sqs_queue"]);
}
