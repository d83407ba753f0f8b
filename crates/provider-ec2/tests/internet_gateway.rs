//! aws_internet_gateway against moto: attach on create, move between VPCs
//! in place, detach on delete.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, Harness};

#[tokio::test]
async fn internet_gateway_attach_move_delete() {
    let h = Harness::start().await;
    let vpc_a = h.vpc("10.40.0.0/16").await;
    let vpc_b = h.vpc("10.41.0.0/16").await;
    let r = h.resource("aws_internet_gateway");
    let ctx = op_context("aws_internet_gateway.main");
    let created = r
        .create(
            &ctx,
            &object(&[
                ("vpc_id", vpc_a.as_str().into()),
                ("tags", tags(&[("Name", "igw")])),
                ("id", Value::Unknown),
            ]),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["vpc_id"].as_str(), Some(vpc_a.as_str()));
    let attached = |out: aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput| {
        out.internet_gateways()[0].attachments().iter().filter_map(|a| a.vpc_id().map(str::to_string)).collect::<Vec<_>>()
    };
    assert_eq!(
        attached(
            h.ec2
                .describe_internet_gateways()
                .internet_gateway_ids(&id)
                .send()
                .await
                .unwrap()
        ),
        [vpc_a.as_str()]
    );

    let mut want = created.clone();
    want.insert("vpc_id".into(), vpc_b.as_str().into());
    let moved = r
        .update(&ctx, &id, &created, &want, &["vpc_id".into()])
        .await
        .unwrap();
    assert_eq!(moved["vpc_id"].as_str(), Some(vpc_b.as_str()));
    assert_eq!(
        attached(
            h.ec2
                .describe_internet_gateways()
                .internet_gateway_ids(&id)
                .send()
                .await
                .unwrap()
        ),
        [vpc_b.as_str()]
    );

    r.delete(&ctx, &id, &moved).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &moved)]).await[0].is_none());
    // The VPC it was attached to can be deleted now: nothing is left attached.
    h.ec2.delete_vpc().vpc_id(&vpc_b).send().await.unwrap();
}
