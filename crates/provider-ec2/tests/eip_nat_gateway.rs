//! aws_eip and aws_nat_gateway against moto, checked through the SDK.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{owned, read, tag_map, Harness};

#[tokio::test]
async fn eip_allocate_tag_and_release() {
    let h = Harness::start().await;
    let r = h.resource("aws_eip");
    let ctx = op_context("aws_eip.nat");
    let created = r
        .create(&ctx, &object(&[("tags", tags(&[("Name", "nat")]))]))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("eipalloc-"), "{id}");
    assert_eq!(created["domain"].as_str(), Some("vpc"));
    assert!(created["public_ip"].as_str().is_some());
    let live = h
        .ec2
        .describe_addresses()
        .allocation_ids(&id)
        .send()
        .await
        .unwrap();
    let tags_live = tag_map(live.addresses()[0].tags());
    assert_eq!(tags_live.get("Name").map(String::as_str), Some("nat"));
    assert_eq!(
        tags_live.get("cairn:address").map(String::as_str),
        Some("aws_eip.nat")
    );

    let mut want = created.clone();
    want.insert("tags".into(), tags(&[("Name", "nat"), ("Tier", "public")]));
    let updated = r
        .update(&ctx, &id, &created, &want, &["tags".into()])
        .await
        .unwrap();
    assert_eq!(
        updated["tags"].as_map().unwrap()["Tier"].as_str(),
        Some("public")
    );

    let empty = object(&[]);
    let out = read(
        r.as_ref(),
        &[(&id, &updated), ("eipalloc-00000000000000000", &empty)],
    )
    .await;
    assert!(out[0].is_some() && out[1].is_none());

    r.delete(&ctx, &id, &updated).await.unwrap();
    let left = h.ec2.describe_addresses().send().await.unwrap();
    assert!(left
        .addresses()
        .iter()
        .all(|a| a.allocation_id() != Some(id.as_str())));
    r.delete(&ctx, &id, &updated)
        .await
        .expect("releasing what is gone succeeds");
}

#[tokio::test]
async fn nat_gateway_waits_until_available_and_until_deleted() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.31.0.0/16").await;
    let subnet = h
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.31.1.0/24")
        .send()
        .await
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let eip = h
        .resource("aws_eip")
        .create(&op_context("aws_eip.nat"), &object(&[]))
        .await
        .unwrap();
    let allocation = eip["id"].as_str().unwrap().to_string();

    let r = h.resource("aws_nat_gateway");
    let ctx = op_context("aws_nat_gateway.main");
    let planned = object(&[
        ("subnet_id", subnet.as_str().into()),
        ("allocation_id", allocation.as_str().into()),
        ("tags", tags(&[("Name", "main")])),
        ("id", Value::Unknown),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["allocation_id"].as_str(), Some(allocation.as_str()));
    assert_eq!(created["connectivity_type"].as_str(), Some("public"));
    let live = h
        .ec2
        .describe_nat_gateways()
        .nat_gateway_ids(&id)
        .send()
        .await
        .unwrap();
    let g = &live.nat_gateways()[0];
    assert_eq!(g.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(g.subnet_id(), Some(subnet.as_str()));
    assert_eq!(
        tag_map(g.tags()).get("cairn:address").map(String::as_str),
        Some("aws_nat_gateway.main")
    );

    // Another address's gateway in the same stack is never handed over
    // (moto ignores tag filters on DescribeNatGateways).
    let eip2 = h
        .ec2
        .allocate_address()
        .send()
        .await
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    r.create(
        &op_context("aws_nat_gateway.other"),
        &object(&[
            ("subnet_id", subnet.as_str().into()),
            ("allocation_id", eip2.as_str().into()),
        ]),
    )
    .await
    .unwrap();
    // Found by its ownership tags, as an interrupted apply's leftover would be.
    assert_eq!(owned(r.as_ref(), &ctx).await, std::slice::from_ref(&id));

    r.delete(&ctx, &id, &created).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &created)]).await[0].is_none());
    assert!(owned(r.as_ref(), &ctx).await.is_empty());
    // With the gateway gone, its address can be released.
    h.resource("aws_eip")
        .delete(&op_context("aws_eip.nat"), &allocation, &eip)
        .await
        .unwrap();
}
