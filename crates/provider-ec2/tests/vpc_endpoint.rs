//! aws_vpc_endpoint (Gateway and Interface) against moto, checked through
//! the SDK.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{owned, read, tag_map, Harness};

async fn route_table(h: &Harness, vpc: &str) -> String {
    h.ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_string()
}

async fn endpoint(h: &Harness, id: &str) -> aws_sdk_ec2::types::VpcEndpoint {
    h.ec2
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await
        .unwrap()
        .vpc_endpoints()[0]
        .clone()
}

#[tokio::test]
async fn gateway_endpoint_route_tables_change_in_place() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.37.0.0/16").await;
    let (rt_a, rt_b) = (route_table(&h, &vpc).await, route_table(&h, &vpc).await);
    let r = h.resource("aws_vpc_endpoint");
    let ctx = op_context("aws_vpc_endpoint.s3");
    let planned = object(&[
        ("vpc_id", vpc.as_str().into()),
        ("service_name", "com.amazonaws.eu-west-2.s3".into()),
        ("route_table_ids", Value::from(vec![rt_a.clone()])),
        ("tags", tags(&[("Name", "s3")])),
    ]);
    assert!(r.validate(&planned).is_empty());
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["state"].as_str(), Some("available"));
    assert_eq!(created["vpc_endpoint_type"].as_str(), Some("Gateway"));
    let live = endpoint(&h, &id).await;
    assert_eq!(live.route_table_ids(), std::slice::from_ref(&rt_a));
    assert_eq!(
        tag_map(live.tags())
            .get("cairn:address")
            .map(String::as_str),
        Some("aws_vpc_endpoint.s3")
    );

    let mut want = created.clone();
    want.insert("route_table_ids".into(), Value::from(vec![rt_b.clone()]));
    let updated = r
        .update(&ctx, &id, &created, &want, &["route_table_ids".into()])
        .await
        .unwrap();
    assert_eq!(
        endpoint(&h, &id).await.route_table_ids(),
        std::slice::from_ref(&rt_b)
    );
    assert_eq!(owned(r.as_ref(), &ctx).await.len(), 1);
    // Importing has only the id, not the recorded VPC refresh reads by.
    let read_ctx = cairn_core::provider::ReadContext::default();
    match r.import(&id, &read_ctx).await.unwrap() {
        cairn_core::ReadOutcome::Live(o) => assert_eq!(o["vpc_id"].as_str(), Some(vpc.as_str())),
        cairn_core::ReadOutcome::Gone => panic!("import found nothing"),
    }
    assert!(matches!(
        r.import("vpce-0000000000000000", &read_ctx).await.unwrap(),
        cairn_core::ReadOutcome::Gone
    ));

    // moto adds no prefix-list route for a table added by ModifyVpcEndpoint,
    // then fails DeleteVpcEndpoints looking for it: move back to the table
    // the endpoint was created with before deleting.
    let back = r
        .update(&ctx, &id, &updated, &created, &["route_table_ids".into()])
        .await
        .unwrap();
    assert_eq!(
        endpoint(&h, &id).await.route_table_ids(),
        std::slice::from_ref(&rt_a)
    );
    r.delete(&ctx, &id, &back).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &back)]).await[0].is_none());
    assert!(owned(r.as_ref(), &ctx).await.is_empty());
}

#[tokio::test]
async fn interface_endpoint_in_subnets_with_groups() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.38.0.0/16").await;
    let subnet = h
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.38.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let sg = h
        .ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name("endpoints")
        .description("endpoints")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let r = h.resource("aws_vpc_endpoint");
    let ctx = op_context("aws_vpc_endpoint.ecr_api");
    let planned = object(&[
        ("vpc_id", vpc.as_str().into()),
        ("service_name", "com.amazonaws.eu-west-2.ecr.api".into()),
        ("vpc_endpoint_type", "Interface".into()),
        ("subnet_ids", Value::from(vec![subnet.clone()])),
        ("security_group_ids", Value::from(vec![sg.clone()])),
        ("private_dns_enabled", true.into()),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let live = endpoint(&h, &id).await;
    assert_eq!(live.subnet_ids(), std::slice::from_ref(&subnet));
    assert_eq!(live.groups()[0].group_id(), Some(sg.as_str()));
    assert_eq!(created["private_dns_enabled"].as_bool(), Some(true));
    r.delete(&ctx, &id, &created).await.unwrap();

    // Route tables on an Interface endpoint are refused offline.
    let bad = object(&[
        ("vpc_endpoint_type", "Interface".into()),
        ("route_table_ids", Value::from(vec!["rtb-1".to_string()])),
    ]);
    assert_eq!(r.validate(&bad).len(), 1);
}
