//! aws_instance against moto (the Tracker database host's settings),
//! checked through the SDK.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{owned, read, Harness};

#[tokio::test]
async fn database_host_with_imdsv2_encrypted_root_and_in_place_resize() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.39.0.0/16").await;
    let subnet = h
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.39.10.0/24")
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
        .group_name("db")
        .description("db")
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    let ami = h
        .ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .unwrap()
        .images()[0]
        .image_id()
        .unwrap()
        .to_string();

    let r = h.resource("aws_instance");
    let ctx = op_context("aws_instance.db");
    let planned = object(&[
        ("ami", ami.as_str().into()),
        ("instance_type", "t3.medium".into()),
        ("subnet_id", subnet.as_str().into()),
        ("vpc_security_group_ids", Value::from(vec![sg.clone()])),
        ("associate_public_ip_address", false.into()),
        ("user_data", "#!/bin/sh\necho bootstrap-1\n".into()),
        ("user_data_replace_on_change", true.into()),
        (
            "metadata_options",
            Value::Map(
                [
                    ("http_tokens".to_string(), Value::from("required")),
                    ("http_put_response_hop_limit".to_string(), Value::from(2)),
                    ("http_endpoint".to_string(), Value::from("enabled")),
                ]
                .into(),
            ),
        ),
        (
            "root_block_device",
            Value::Map(
                [
                    ("encrypted".to_string(), Value::from(true)),
                    ("volume_size".to_string(), Value::from(20)),
                    ("volume_type".to_string(), Value::from("gp3")),
                ]
                .into(),
            ),
        ),
        ("volume_tags", tags(&[("Name", "db-root")])),
        ("tags", tags(&[("Name", "tracker-db")])),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["instance_state"].as_str(), Some("running"));
    assert!(created["public_ip"].is_null(), "no public address");

    let live = h
        .ec2
        .describe_instances()
        .instance_ids(&id)
        .send()
        .await
        .unwrap();
    let i = &live.reservations()[0].instances()[0];
    let m = i.metadata_options().unwrap();
    assert_eq!(m.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(m.http_put_response_hop_limit(), Some(2));
    assert_eq!(i.subnet_id(), Some(subnet.as_str()));
    let groups: Vec<_> = i
        .network_interfaces()
        .iter()
        .flat_map(|n| n.groups())
        .chain(i.security_groups())
        .filter_map(|g| g.group_id())
        .collect();
    assert!(groups.contains(&sg.as_str()), "{groups:?}");
    assert_eq!(
        created["vpc_security_group_ids"].as_list().unwrap()[0].as_str(),
        Some(sg.as_str())
    );
    let root = created["root_block_device"].as_map().unwrap();
    assert_eq!(root["encrypted"].as_bool(), Some(true));
    assert_eq!(root["volume_size"].as_i64(), Some(20));
    assert_eq!(
        created["volume_tags"].as_map().unwrap()["Name"].as_str(),
        Some("db-root")
    );

    // User data is read back from AWS (so a change made outside shows).
    let seen = read(r.as_ref(), &[(&id, &created)]).await;
    assert_eq!(
        seen[0].as_ref().unwrap()["user_data"].as_str(),
        Some("#!/bin/sh\necho bootstrap-1\n")
    );

    // User data changes replace it when asked to; otherwise they do not.
    let ud = ["user_data".to_string()];
    assert_eq!(r.replaces_on(&planned, &ud), ud);
    let mut in_place = planned.clone();
    in_place.insert("user_data_replace_on_change".into(), false.into());
    assert!(r.replaces_on(&in_place, &ud).is_empty());

    // A new size: stopped, modified, started again, same instance.
    let mut want = created.clone();
    want.insert("instance_type".into(), "t3.large".into());
    let resized = r
        .update(&ctx, &id, &created, &want, &["instance_type".into()])
        .await
        .unwrap();
    assert_eq!(resized["instance_type"].as_str(), Some("t3.large"));
    assert_eq!(resized["instance_state"].as_str(), Some("running"));
    assert_eq!(resized["user_data"].as_str(), planned["user_data"].as_str());

    // The source/destination check is on unless turned off (a NAT
    // instance), in place.
    assert_eq!(resized["source_dest_check"].as_bool(), Some(true));
    let mut nat = resized.clone();
    nat.insert("source_dest_check".into(), false.into());
    let nat = r
        .update(&ctx, &id, &resized, &nat, &["source_dest_check".into()])
        .await
        .unwrap();
    let check = h
        .ec2
        .describe_instance_attribute()
        .instance_id(&id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::SourceDestCheck)
        .send()
        .await
        .unwrap();
    assert_eq!(
        check.source_dest_check().and_then(|c| c.value()),
        Some(false)
    );
    let seen = read(r.as_ref(), &[(&id, &nat)]).await;
    assert_eq!(
        seen[0].as_ref().unwrap()["source_dest_check"].as_bool(),
        Some(false)
    );

    assert_eq!(owned(r.as_ref(), &ctx).await.len(), 1);
    r.delete(&ctx, &id, &nat).await.unwrap();
    assert!(read(r.as_ref(), &[(&id, &nat)]).await[0].is_none());
    assert!(owned(r.as_ref(), &ctx).await.is_empty());
}
