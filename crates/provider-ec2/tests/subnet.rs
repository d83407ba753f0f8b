//! aws_subnet against moto, checked through the SDK.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, tag_map, Harness};

#[tokio::test]
async fn subnet_create_read_update_delete() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.30.0.0/16").await;
    let r = h.resource("aws_subnet");
    let ctx = op_context("aws_subnet.a");
    let planned = object(&[
        ("vpc_id", vpc.as_str().into()),
        ("cidr_block", "10.30.1.0/24".into()),
        ("availability_zone", "eu-west-2a".into()),
        ("map_public_ip_on_launch", true.into()),
        ("tags", tags(&[("Name", "a")])),
        ("id", Value::Unknown),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["availability_zone"].as_str(), Some("eu-west-2a"));
    assert_eq!(created["map_public_ip_on_launch"].as_bool(), Some(true));
    let live = h
        .ec2
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .unwrap();
    let s = &live.subnets()[0];
    assert_eq!(s.map_public_ip_on_launch(), Some(true));
    assert_eq!(
        tag_map(s.tags()).get("cairn:address").map(String::as_str),
        Some("aws_subnet.a")
    );

    // A second subnet in the same batch read, and a missing one.
    let ctx_b = op_context("aws_subnet.b");
    let b = r
        .create(
            &ctx_b,
            &object(&[
                ("vpc_id", vpc.as_str().into()),
                ("cidr_block", "10.30.2.0/24".into()),
            ]),
        )
        .await
        .unwrap();
    let empty = object(&[]);
    let out = read(
        r.as_ref(),
        &[
            (&id, &created),
            ("subnet-0000000000000000f", &empty),
            (b["id"].as_str().unwrap(), &b),
        ],
    )
    .await;
    assert!(out[0].is_some() && out[1].is_none() && out[2].is_some());

    let mut want = created.clone();
    want.insert("map_public_ip_on_launch".into(), false.into());
    let updated = r
        .update(
            &ctx,
            &id,
            &created,
            &want,
            &["map_public_ip_on_launch".into()],
        )
        .await
        .unwrap();
    assert_eq!(updated["map_public_ip_on_launch"].as_bool(), Some(false));
    let live = h
        .ec2
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(live.subnets()[0].map_public_ip_on_launch(), Some(false));

    r.delete(&ctx, &id, &updated).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &updated)]).await[0].is_none());
    r.delete(&ctx, &id, &updated)
        .await
        .expect("deleting what is gone succeeds");
}
