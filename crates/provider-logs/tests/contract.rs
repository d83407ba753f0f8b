//! The resource contract (cairn_testkit::resource_contract) for every
//! CloudWatch Logs type, against moto.

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

#[tokio::test]
async fn every_logs_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_logs::register);
    let logs = aws_sdk_cloudwatchlogs::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_cloudwatch_log_group.contract");

    let region_arn = "arn:aws:logs:eu-west-2:123456789012:log-group:";
    let case = Case {
        address: "aws_cloudwatch_log_group.contract",
        config: object(&[
            ("name", "/contract/logs".into()),
            ("retention_in_days", Value::from(30)),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[
            ("retention_in_days", Value::from(90)),
            ("tags", tags(&[("Name", "contract"), ("Tier", "audit")])),
        ]),
        replace: Some("name"),
        missing_id: "/contract/none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(Box::new(move |name, set, unset| {
            let logs = logs.clone();
            let arn = format!("{region_arn}{name}");
            Box::pin(async move {
                logs.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .unwrap();
                logs.untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(unset))
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    let r = registry.resource("aws_cloudwatch_log_group").unwrap();
    check(r.as_ref(), case, &ctx).await;
    covered(registry.resource_types(), &["aws_cloudwatch_log_group"]);
}
