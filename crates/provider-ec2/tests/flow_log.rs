//! aws_flow_log against moto, checked through the SDK.

mod harness;

use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, tag_map, Harness};

#[tokio::test]
async fn vpc_flow_log_to_s3_tagged_in_place() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.41.0.0/16").await;
    // The destination bucket must exist (moto checks).
    h.bucket("tracker-flow-logs");
    let r = h.resource("aws_flow_log");
    let ctx = op_context("aws_flow_log.vpc");
    let planned = object(&[
        ("vpc_id", vpc.as_str().into()),
        ("traffic_type", "REJECT".into()),
        ("log_destination_type", "s3".into()),
        ("log_destination", "arn:aws:s3:::tracker-flow-logs".into()),
        ("tags", tags(&[("Name", "vpc")])),
    ]);
    assert!(r.validate(&planned).is_empty());
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["vpc_id"].as_str(), Some(vpc.as_str()));
    assert_eq!(created["traffic_type"].as_str(), Some("REJECT"));
    let live = h
        .ec2
        .describe_flow_logs()
        .flow_log_ids(&id)
        .send()
        .await
        .unwrap();
    let f = &live.flow_logs()[0];
    assert_eq!(f.resource_id(), Some(vpc.as_str()));
    assert_eq!(f.log_destination(), Some("arn:aws:s3:::tracker-flow-logs"));
    assert_eq!(
        tag_map(f.tags()).get("cairn:address").map(String::as_str),
        Some("aws_flow_log.vpc")
    );

    let mut want = created.clone();
    want.insert("tags".into(), tags(&[("Name", "vpc"), ("Audit", "yes")]));
    let updated = r
        .update(&ctx, &id, &created, &want, &["tags".into()])
        .await
        .unwrap();
    assert_eq!(
        updated["tags"].as_map().unwrap()["Audit"].as_str(),
        Some("yes")
    );

    r.delete(&ctx, &id, &updated).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &updated)]).await[0].is_none());

    // To CloudWatch Logs without a role, or watching two things: refused offline.
    let bad = object(&[
        ("vpc_id", vpc.as_str().into()),
        ("subnet_id", "subnet-1".into()),
        (
            "log_destination",
            "arn:aws:logs:eu-west-2:123456789012:log-group:x".into(),
        ),
    ]);
    assert_eq!(r.validate(&bad).len(), 2);
}
