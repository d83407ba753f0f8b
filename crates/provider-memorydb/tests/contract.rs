//! The resource contract (cairn_testkit::resource_contract) for every
//! MemoryDB type, against moto, with the network made outside cairn.
//! moto has no UpdateSubnetGroup: the subnet group's in-place change is
//! its tags.

use aws_sdk_memorydb::types::Tag;
use cairn_aws::AwsContext;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn tag_outside(mdb: &aws_sdk_memorydb::Client, kind: &str) -> TagOutside {
    let mdb = mdb.clone();
    let prefix = format!("arn:aws:memorydb:eu-west-2:123456789012:{kind}/");
    Box::new(move |id, set, unset| {
        let mdb = mdb.clone();
        let arn = format!("{prefix}{id}");
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            mdb.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            mdb.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

/// Two subnets of a new VPC, made outside cairn.
async fn subnets(aws: &AwsContext) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(aws.sdk_config().await.unwrap());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.32.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut out = Vec::new();
    for (cidr, zone) in [
        ("10.32.1.0/24", "eu-west-2a"),
        ("10.32.2.0/24", "eu-west-2b"),
    ] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        out.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    out
}

#[tokio::test]
async fn every_memorydb_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_memorydb::register);
    let mdb = aws_sdk_memorydb::Client::new(aws.sdk_config().await.unwrap());
    let ids = subnets(&aws).await;
    let ctx = op_context("aws_memorydb_subnet_group.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let subnet_group = Case {
        address: "aws_memorydb_subnet_group.contract",
        config: object(&[
            ("name", "contract-subnets".into()),
            ("subnet_ids", ids.into()),
            ("tags", tags(&[("Name", "valkey")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "valkey"), ("Tier", "data")]))]),
        replace: Some("name"),
        missing_id: "no-such-subnet-group".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_outside(&mdb, "subnetgroup")),
        delete_forgets: false,
    };
    check(
        resource("aws_memorydb_subnet_group").as_ref(),
        subnet_group,
        &ctx,
    )
    .await;

    let cluster = Case {
        address: "aws_memorydb_cluster.contract",
        config: object(&[
            ("name", "contract-valkey".into()),
            ("node_type", "db.t4g.small".into()),
            ("acl_name", "open-access".into()),
            ("engine", "valkey".into()),
            ("num_shards", 1.into()),
            ("num_replicas_per_shard", 1.into()),
            ("tags", tags(&[("Name", "valkey")])),
        ]),
        update: object(&[
            ("description", "tracker production cache".into()),
            ("num_replicas_per_shard", 2.into()),
            ("snapshot_retention_limit", 3.into()),
            ("tags", tags(&[("Name", "valkey"), ("Tier", "data")])),
        ]),
        replace: Some("tls_enabled"),
        missing_id: "no-such-cluster".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_outside(&mdb, "cluster")),
        delete_forgets: false,
    };
    check(resource("aws_memorydb_cluster").as_ref(), cluster, &ctx).await;

    covered(
        registry.resource_types(),
        &["aws_memorydb_cluster", "aws_memorydb_subnet_group"],
    );
}
