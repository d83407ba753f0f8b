//! The resource contract (cairn_testkit::resource_contract) for every EFS
//! type, against moto, with the file system's network made outside cairn.

use aws_sdk_efs::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn tag_outside(efs: &aws_sdk_efs::Client) -> TagOutside {
    let efs = efs.clone();
    Box::new(move |id, set, unset| {
        let efs = efs.clone();
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                .collect();
            efs.tag_resource()
                .resource_id(id)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            efs.untag_resource()
                .resource_id(id)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

#[tokio::test]
async fn every_efs_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_efs::register);
    let sdk = aws.sdk_config().await.unwrap();
    let efs = aws_sdk_efs::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let ctx = op_context("aws_efs_file_system.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let fs = Case {
        address: "aws_efs_file_system.contract",
        config: object(&[
            ("encrypted", true.into()),
            (
                "lifecycle_policy",
                map(&[("transition_to_ia", "AFTER_30_DAYS".into())]),
            ),
            ("tags", tags(&[("Name", "anisette")])),
        ]),
        update: object(&[
            (
                "lifecycle_policy",
                map(&[("transition_to_ia", "AFTER_90_DAYS".into())]),
            ),
            ("tags", tags(&[("Name", "anisette"), ("Tier", "data")])),
        ]),
        replace: Some("performance_mode"),
        missing_id: "fs-00000000".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&efs)),
        delete_forgets: false,
    };
    check(resource("aws_efs_file_system").as_ref(), fs, &ctx).await;

    // A file system and its network, made outside cairn.
    let host = efs
        .create_file_system()
        .creation_token("host")
        .send()
        .await
        .unwrap();
    let fs_id = host.file_system_id().to_string();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.70.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.70.1.0/24")
        .send()
        .await
        .unwrap();
    let subnet = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap()
        .to_string();
    let group = |name: &'static str| {
        let (ec2, vpc) = (ec2.clone(), vpc.clone());
        async move {
            let out = ec2
                .create_security_group()
                .vpc_id(vpc)
                .group_name(name)
                .description(name)
                .send()
                .await
                .unwrap();
            out.group_id().unwrap().to_string()
        }
    };
    let (sg_a, sg_b) = (group("efs-a").await, group("efs-b").await);

    let mount = Case {
        address: "aws_efs_mount_target.contract",
        config: object(&[
            ("file_system_id", fs_id.as_str().into()),
            ("subnet_id", subnet.as_str().into()),
            ("security_groups", Value::from(vec![sg_a.as_str()])),
        ]),
        update: object(&[("security_groups", Value::from(vec![sg_b.as_str()]))]),
        replace: Some("subnet_id"),
        missing_id: "fsmt-00000000".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(resource("aws_efs_mount_target").as_ref(), mount, &ctx).await;

    let point = Case {
        address: "aws_efs_access_point.contract",
        config: object(&[
            ("file_system_id", fs_id.as_str().into()),
            (
                "posix_user",
                map(&[("uid", 1000.into()), ("gid", 1000.into())]),
            ),
            (
                "root_directory",
                map(&[
                    ("path", "/anisette".into()),
                    (
                        "creation_info",
                        map(&[
                            ("owner_uid", 1000.into()),
                            ("owner_gid", 1000.into()),
                            ("permissions", "0750".into()),
                        ]),
                    ),
                ]),
            ),
            ("tags", tags(&[("Name", "anisette")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "anisette"), ("Tier", "data")]))]),
        replace: Some("posix_user"),
        missing_id: "fsap-00000000000000000".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&efs)),
        delete_forgets: false,
    };
    check(resource("aws_efs_access_point").as_ref(), point, &ctx).await;

    covered(
        registry.resource_types(),
        &[
            "aws_efs_file_system",
            "aws_efs_mount_target",
            "aws_efs_access_point",
        ],
    );
}
