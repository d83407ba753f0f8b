//! aws_vpc against moto, checked through the SDK.

mod harness;

use aws_sdk_ec2::types::VpcAttributeName;
use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, tag_map, Harness};

#[tokio::test]
async fn vpc_create_read_update_delete() {
    let h = Harness::start().await;
    let r = h.resource("aws_vpc");
    let ctx = op_context("aws_vpc.main");
    let planned = object(&[
        ("cidr_block", "10.20.0.0/16".into()),
        ("instance_tenancy", "default".into()),
        ("enable_dns_support", true.into()),
        ("enable_dns_hostnames", true.into()),
        ("tags", tags(&[("Name", "main")])),
        ("id", Value::Unknown),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    // Listed as this stack's, under its address, for the plan's "adopt".
    let owned = r.owned_by_stack("providertest/moto").await.unwrap();
    assert_eq!(owned, [("aws_vpc.main".to_string(), id.clone())]);
    assert!(r.owned_by_stack("another/stack").await.unwrap().is_empty());
    assert_eq!(created["cidr_block"].as_str(), Some("10.20.0.0/16"));
    assert!(created["arn"]
        .as_str()
        .unwrap()
        .contains(&format!("vpc/{id}")));
    assert!(created["default_security_group_id"]
        .as_str()
        .unwrap()
        .starts_with("sg-"));
    assert!(created["main_route_table_id"]
        .as_str()
        .unwrap()
        .starts_with("rtb-"));
    assert_eq!(
        created["tags"].as_map().unwrap().len(),
        1,
        "own tags only: {:?}",
        created["tags"]
    );
    assert_eq!(
        created["tags_all"].as_map().unwrap().len(),
        2,
        "own and default tags"
    );

    // The SDK sees the tags (ownership included, from the create call) and DNS hostnames on.
    let live = h.ec2.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let t = tag_map(live.vpcs()[0].tags());
    assert_eq!(
        t.get("cairn:stack").map(String::as_str),
        Some("providertest/moto")
    );
    assert_eq!(
        t.get("cairn:address").map(String::as_str),
        Some("aws_vpc.main")
    );
    assert_eq!(t.get("Team").map(String::as_str), Some("platform"));
    let dns = h
        .ec2
        .describe_vpc_attribute()
        .vpc_id(&id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        dns.enable_dns_hostnames().and_then(|a| a.value()),
        Some(true)
    );

    // One batch: the live VPC and a missing one, which is just gone.
    let empty = object(&[]);
    let outcomes = read(
        r.as_ref(),
        &[(&id, &created), ("vpc-0123456789abcdef0", &empty)],
    )
    .await;
    assert!(outcomes[0].is_some() && outcomes[1].is_none());

    // In place: DNS hostnames off, a tag changed and one added.
    let mut want = created.clone();
    want.insert("enable_dns_hostnames".into(), false.into());
    want.insert(
        "tags".into(),
        tags(&[("Name", "renamed"), ("Tier", "core")]),
    );
    let updated = r
        .update(
            &ctx,
            &id,
            &created,
            &want,
            &["enable_dns_hostnames".into(), "tags".into()],
        )
        .await
        .unwrap();
    assert_eq!(updated["enable_dns_hostnames"].as_bool(), Some(false));
    let live = h.ec2.describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let t = tag_map(live.vpcs()[0].tags());
    assert_eq!(t.get("Name").map(String::as_str), Some("renamed"));
    assert_eq!(t.get("Tier").map(String::as_str), Some("core"));
    assert!(
        t.contains_key("cairn:stack"),
        "ownership tags survive tag updates"
    );

    r.delete(&ctx, &id, &updated).await.unwrap();
    let gone = h
        .ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(gone.vpcs().is_empty());
    assert!(read(r.as_ref(), &[(&id, &updated)]).await[0].is_none());
    r.delete(&ctx, &id, &updated)
        .await
        .expect("deleting what is gone succeeds");
}
