//! The resource contract (cairn_testkit::resource_contract) for every
//! CloudWatch type, against moto.

use aws_sdk_cloudwatch::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn tag_outside(cw: &aws_sdk_cloudwatch::Client) -> TagOutside {
    let cw = cw.clone();
    Box::new(move |name, set, unset| {
        let cw = cw.clone();
        Box::pin(async move {
            let found = cw.describe_alarms().alarm_names(name).send().await.unwrap();
            let arn = found.metric_alarms()[0].alarm_arn().unwrap().to_string();
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            cw.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            cw.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

fn map(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    )
}

#[tokio::test]
async fn every_cloudwatch_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_cloudwatch::register);
    let cw = aws_sdk_cloudwatch::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_cloudwatch_metric_alarm.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let alarm = Case {
        address: "aws_cloudwatch_metric_alarm.contract",
        config: object(&[
            ("alarm_name", "contract-api-cpu-high".into()),
            ("comparison_operator", "GreaterThanThreshold".into()),
            ("evaluation_periods", 2.into()),
            ("metric_name", "CPUUtilization".into()),
            ("namespace", "AWS/ECS".into()),
            ("period", 60.into()),
            ("statistic", "Average".into()),
            ("threshold", 80.into()),
            (
                "dimensions",
                map(&[("ClusterName", "contract"), ("ServiceName", "api")]),
            ),
            ("alarm_description", "API CPU above 80%".into()),
            ("tags", tags(&[("Name", "api-cpu")])),
        ]),
        update: object(&[
            ("threshold", 90.into()),
            ("evaluation_periods", 3.into()),
            ("datapoints_to_alarm", 2.into()),
            ("treat_missing_data", "breaching".into()),
            (
                "alarm_actions",
                Value::from(vec!["arn:aws:sns:eu-west-2:123456789012:alerts"]),
            ),
            ("tags", tags(&[("Name", "api-cpu"), ("Tier", "ops")])),
        ]),
        replace: Some("alarm_name"),
        missing_id: "no-such-alarm".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&cw)),
        delete_forgets: false,
    };
    check(
        resource("aws_cloudwatch_metric_alarm").as_ref(),
        alarm,
        &ctx,
    )
    .await;

    covered(registry.resource_types(), &["aws_cloudwatch_metric_alarm"]);
}
