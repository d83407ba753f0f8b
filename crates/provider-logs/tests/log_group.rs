//! aws_cloudwatch_log_group against moto, checked through the SDK.

use cairn_core::provider::ReadContext;
use cairn_core::{ReadOutcome, ReadRequest, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

#[tokio::test]
async fn log_group_retention_and_tags_in_place() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_logs::register);
    let logs = aws_sdk_cloudwatchlogs::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_cloudwatch_log_group").unwrap();
    let ctx = op_context("aws_cloudwatch_log_group.flow");
    let planned = object(&[
        ("name", "/tracker/vpc-flow".into()),
        ("retention_in_days", Value::from(30)),
        ("tags", tags(&[("Name", "flow")])),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    assert_eq!(created["retention_in_days"].as_i64(), Some(30));
    assert!(created["arn"]
        .as_str()
        .unwrap()
        .ends_with("log-group:/tracker/vpc-flow"));
    let live = logs
        .describe_log_groups()
        .log_group_name_prefix("/tracker/vpc-flow")
        .send()
        .await
        .unwrap();
    assert_eq!(live.log_groups()[0].retention_in_days(), Some(30));
    let arn = created["arn"].as_str().unwrap().to_string();
    let live_tags = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        live_tags
            .tags()
            .unwrap()
            .get("cairn:address")
            .map(String::as_str),
        Some("aws_cloudwatch_log_group.flow")
    );

    let mut want = created.clone();
    want.insert("retention_in_days".into(), Value::from(90));
    want.insert("tags".into(), tags(&[("Name", "flow"), ("Tier", "audit")]));
    let updated = r
        .update(
            &ctx,
            "/tracker/vpc-flow",
            &created,
            &want,
            &["retention_in_days".into(), "tags".into()],
        )
        .await
        .unwrap();
    assert_eq!(updated["retention_in_days"].as_i64(), Some(90));
    assert_eq!(
        updated["tags"].as_map().unwrap()["Tier"].as_str(),
        Some("audit")
    );

    // A retried create of our own group is the same group.
    assert!(r.create(&ctx, &planned).await.is_ok());

    let read = |id: &'static str| {
        let r = r.clone();
        let prior = updated.clone();
        async move {
            r.read(
                &[ReadRequest { id, prior: &prior }],
                &ReadContext::default(),
            )
            .await
            .unwrap()
            .remove(0)
        }
    };
    assert!(matches!(
        read("/tracker/vpc-flow").await,
        ReadOutcome::Live(_)
    ));
    assert!(matches!(read("/tracker/none").await, ReadOutcome::Gone));
    r.delete(&ctx, "/tracker/vpc-flow", &updated).await.unwrap();
    assert!(matches!(read("/tracker/vpc-flow").await, ReadOutcome::Gone));
    r.delete(&ctx, "/tracker/vpc-flow", &updated)
        .await
        .expect("deleting what is gone succeeds");
}
