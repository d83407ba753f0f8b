//! The resource contract (cairn_testkit::resource_contract) for every
//! ElastiCache type, against moto, with the network made outside cairn.
//!
//! moto has no ModifyReplicationGroup nor ModifyCacheSubnetGroup, so each
//! row's in-place change is its tags; and no DeleteCacheSubnetGroup, so
//! the subnet group's row runs alone and must fail at exactly that step.

use aws_sdk_elasticache::types::Tag;
use cairn_aws::AwsContext;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn tag_outside(ec: &aws_sdk_elasticache::Client, region_account: &str, kind: &str) -> TagOutside {
    let ec = ec.clone();
    let prefix = format!("arn:aws:elasticache:{region_account}:{kind}:");
    Box::new(move |id, set, unset| {
        let ec = ec.clone();
        let arn = format!("{prefix}{id}");
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            ec.add_tags_to_resource()
                .resource_name(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            ec.remove_tags_from_resource()
                .resource_name(&arn)
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
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut out = Vec::new();
    for (cidr, zone) in [
        ("10.30.1.0/24", "eu-west-2a"),
        ("10.30.2.0/24", "eu-west-2b"),
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

const REGION_ACCOUNT: &str = "eu-west-2:123456789012";

#[tokio::test]
async fn the_replication_group_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let ec = aws_sdk_elasticache::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_elasticache_replication_group.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let group = Case {
        address: "aws_elasticache_replication_group.contract",
        config: object(&[
            ("replication_group_id", "contract-cache".into()),
            ("description", "tracker sessions".into()),
            ("node_type", "cache.t4g.micro".into()),
            ("num_cache_clusters", 1.into()),
            ("at_rest_encryption_enabled", true.into()),
            ("tags", tags(&[("Name", "sessions")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "sessions"), ("Tier", "cache")]))]),
        replace: Some("port"),
        missing_id: "no-such-group".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&ec, REGION_ACCOUNT, "replicationgroup")),
        delete_forgets: false,
    };
    check(
        resource("aws_elasticache_replication_group").as_ref(),
        group,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_elasticache_replication_group",
            // Its row is the test below, which moto cannot finish.
            "aws_elasticache_subnet_group",
        ],
    );
}

/// Every clause up to the delete holds; the delete is the one moto lacks,
/// and it fails naming the call, not as something else.
#[tokio::test]
#[should_panic(
    expected = "aws_elasticache_subnet_group: delete failed: elasticache:DeleteCacheSubnetGroup failed: Unsupported"
)]
async fn the_subnet_group_keeps_the_contract_up_to_the_delete_moto_lacks() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let ec = aws_sdk_elasticache::Client::new(aws.sdk_config().await.unwrap());
    let ids = subnets(&aws).await;
    let ctx = op_context("aws_elasticache_subnet_group.contract");
    let resource = registry.resource("aws_elasticache_subnet_group").unwrap();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let subnet_group = Case {
        address: "aws_elasticache_subnet_group.contract",
        config: object(&[
            ("name", "Contract-Cache".into()),
            ("subnet_ids", ids.into()),
            ("tags", tags(&[("Name", "cache")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "cache"), ("Tier", "data")]))]),
        replace: Some("name"),
        missing_id: "no-such-subnet-group".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&ec, REGION_ACCOUNT, "subnetgroup")),
        delete_forgets: false,
    };
    check(resource.as_ref(), subnet_group, &ctx).await;
}
