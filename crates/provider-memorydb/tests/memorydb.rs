//! What the contract cannot know about the MemoryDB types, checked through
//! the SDK against moto: what a cluster is made with, that an engine the
//! describe leaves out does not show as a change, adoption of this
//! address's leftover and refusal of someone else's same-named cluster,
//! shards changed in place, a subnet group held by a cluster, the call
//! moto lacks (UpdateSubnetGroup) failing as an error naming it, and what
//! a refresh costs.

use std::time::Duration;

use cairn_aws::AwsContext;
use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Resource, Value};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn read_ctx() -> ReadContext {
    ReadContext {
        default_tags: [("Team".to_string(), "platform".to_string())].into(),
        stack: "providertest/moto".into(),
    }
}

async fn read(r: &dyn Resource, items: &[(&str, &Object)]) -> Vec<Option<Object>> {
    let requests: Vec<ReadRequest> = items
        .iter()
        .map(|(id, prior)| ReadRequest { id, prior })
        .collect();
    r.read(&requests, &read_ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

fn id(o: &Object) -> String {
    o.get("id").and_then(Value::as_str).unwrap().to_string()
}

/// Two subnets of a new VPC and a security group, made outside cairn.
async fn network(aws: &AwsContext) -> (Vec<String>, String) {
    let ec2 = aws_sdk_ec2::Client::new(aws.sdk_config().await.unwrap());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.33.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.33.1.0/24", "eu-west-2a"),
        ("10.33.2.0/24", "eu-west-2b"),
    ] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }
    let sg = ec2
        .create_security_group()
        .group_name("valkey")
        .description("valkey")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    (subnets, sg.group_id().unwrap().to_string())
}

#[tokio::test]
async fn a_cluster_is_made_as_configured_and_an_unreported_engine_is_no_change() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_memorydb::register);
    let mdb = aws_sdk_memorydb::Client::new(aws.sdk_config().await.unwrap());
    let (subnets, sg) = network(&aws).await;
    let subnet_group = registry.resource("aws_memorydb_subnet_group").unwrap();
    let cluster = registry.resource("aws_memorydb_cluster").unwrap();

    let sn = subnet_group
        .create(
            &op_context("aws_memorydb_subnet_group.valkey"),
            &object(&[
                ("name", "tracker-valkey".into()),
                ("description", "Managed by Terraform".into()),
                ("subnet_ids", Value::from(subnets.clone())),
            ]),
        )
        .await
        .unwrap();
    assert!(sn
        .get("vpc_id")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("vpc-")));

    let planned = object(&[
        ("name", "tracker-valkey".into()),
        ("description", "tracker production cache".into()),
        ("node_type", "db.t4g.small".into()),
        ("num_shards", 1.into()),
        ("num_replicas_per_shard", 1.into()),
        ("acl_name", "open-access".into()),
        ("engine", "valkey".into()),
        ("engine_version", "7.0".into()),
        ("tls_enabled", true.into()),
        ("security_group_ids", Value::from(vec![sg.as_str()])),
        ("subnet_group_name", "tracker-valkey".into()),
        ("port", 6379.into()),
        ("snapshot_retention_limit", 7.into()),
        ("snapshot_window", "03:00-04:00".into()),
        ("maintenance_window", "sun:05:00-sun:06:00".into()),
        ("auto_minor_version_upgrade", true.into()),
        ("data_tiering", false.into()),
        ("tags", tags(&[("Name", "valkey")])),
    ]);
    let ctx = op_context("aws_memorydb_cluster.valkey");
    let created = cluster.create(&ctx, &planned).await.unwrap();

    let live = mdb
        .describe_clusters()
        .cluster_name("tracker-valkey")
        .show_shard_details(true)
        .send()
        .await
        .unwrap();
    let c = &live.clusters()[0];
    assert_eq!(c.status(), Some("available"));
    assert_eq!(c.tls_enabled(), Some(true));
    assert_eq!(c.subnet_group_name(), Some("tracker-valkey"));
    assert_eq!(
        c.security_groups()[0].security_group_id(),
        Some(sg.as_str())
    );
    assert_eq!(c.shards()[0].number_of_nodes(), Some(2));
    assert_eq!(c.engine_patch_version(), Some("7.0.7"));
    // The premise of keeping the recorded engine: moto says nothing of it.
    assert_eq!(c.engine(), None);

    let endpoint = created
        .get("cluster_endpoint")
        .and_then(Value::as_list)
        .and_then(|l| l.first())
        .and_then(Value::as_map)
        .unwrap();
    assert!(endpoint
        .get("address")
        .and_then(Value::as_str)
        .is_some_and(|a| a.starts_with("clustercfg.tracker-valkey.")));
    assert_eq!(endpoint.get("port").and_then(Value::as_i64), Some(6379));
    assert_eq!(
        created
            .get("shards")
            .and_then(Value::as_list)
            .map(<[Value]>::len),
        Some(1)
    );

    // A refresh reads what was planned: nothing to change, the engine
    // included.
    let fresh = read(cluster.as_ref(), &[("tracker-valkey", &created)]).await;
    let fresh = fresh[0].as_ref().unwrap();
    for (name, want) in &planned {
        let got = fresh.get(name).unwrap_or(&Value::Null);
        assert!(
            got.same_as(want) || name == "tags",
            "`{name}` reads {got:?}, planned {want:?}"
        );
    }
    // Imported with nothing recorded, the engine is unknown to cairn:
    // null, not a guess.
    let imported = read(cluster.as_ref(), &[("tracker-valkey", &Object::new())]).await;
    assert!(imported[0]
        .as_ref()
        .unwrap()
        .get("engine")
        .unwrap()
        .is_null());

    // Shards and replicas change in place, with UpdateCluster.
    let mut more = created.clone();
    more.insert("num_shards".into(), 2.into());
    let updated = cluster
        .update(
            &ctx,
            "tracker-valkey",
            &created,
            &more,
            &["num_shards".into()],
        )
        .await
        .unwrap();
    assert_eq!(updated.get("num_shards").and_then(Value::as_i64), Some(2));
    let live = mdb
        .describe_clusters()
        .cluster_name("tracker-valkey")
        .send()
        .await
        .unwrap();
    assert_eq!(live.clusters()[0].number_of_shards(), Some(2));
    assert!(updated.get("engine").unwrap().same_as(&"valkey".into()));

    // The subnet group is held by the cluster until it is gone.
    let short = cairn_core::OpContext {
        timeout: Duration::from_secs(1),
        ..op_context("aws_memorydb_subnet_group.valkey")
    };
    let e = subnet_group
        .delete(&short, "tracker-valkey", &sn)
        .await
        .unwrap_err();
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("memorydb:DeleteSubnetGroup", "SubnetGroupInUseFault"),
        "{e}"
    );
    cluster
        .delete(&ctx, "tracker-valkey", &updated)
        .await
        .unwrap();
    subnet_group
        .delete(&short, "tracker-valkey", &sn)
        .await
        .unwrap();
    assert!(mdb
        .describe_subnet_groups()
        .subnet_group_name("tracker-valkey")
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn a_leftover_is_adopted_and_someone_elses_cluster_is_refused() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_memorydb::register);
    let mdb = aws_sdk_memorydb::Client::new(aws.sdk_config().await.unwrap());
    let cluster = registry.resource("aws_memorydb_cluster").unwrap();
    let ctx = op_context("aws_memorydb_cluster.valkey");
    let planned = object(&[
        ("name_prefix", "valkey-".into()),
        ("node_type", "db.t4g.small".into()),
        ("acl_name", "open-access".into()),
    ]);
    let first = cluster.create(&ctx, &planned).await.unwrap();
    assert!(id(&first).starts_with("valkey-2f1e6c52"), "{first:?}");
    assert!(first.get("name_prefix").unwrap().same_as(&"valkey-".into()));
    // The apply died before recording it: the retried create meets it.
    let again = cluster.create(&ctx, &planned).await.unwrap();
    assert_eq!(id(&first), id(&again));
    let all = mdb.describe_clusters().send().await.unwrap();
    assert_eq!(all.clusters().len(), 1, "no second cluster");

    // Another address of the stack does not own it.
    let other = op_context("aws_memorydb_cluster.other");
    let named = object(&[
        ("name", id(&first).into()),
        ("node_type", "db.t4g.small".into()),
        ("acl_name", "open-access".into()),
    ]);
    let e = cluster.create(&other, &named).await.unwrap_err();
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("memorydb:CreateCluster", "AlreadyExists"),
        "{e}"
    );
    assert!(e.message.contains("aws_memorydb_cluster.valkey"), "{e}");
    assert!(e.partial.is_none(), "nothing of another's is recorded");

    // Nor one made outside cairn; it is left as it was.
    mdb.create_cluster()
        .cluster_name("theirs")
        .node_type("db.r6g.large")
        .acl_name("open-access")
        .send()
        .await
        .unwrap();
    let e = cluster
        .create(
            &ctx,
            &object(&[
                ("name", "theirs".into()),
                ("node_type", "db.t4g.small".into()),
                ("acl_name", "open-access".into()),
            ]),
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("nothing cairn manages"), "{e}");
    let theirs = mdb
        .describe_clusters()
        .cluster_name("theirs")
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.clusters()[0].node_type(), Some("db.r6g.large"));
}

#[tokio::test]
async fn a_refresh_lists_once_and_reads_tags_per_object() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_memorydb::register);
    let (subnets, _) = network(&aws).await;
    let subnet_group = registry.resource("aws_memorydb_subnet_group").unwrap();
    let cluster = registry.resource("aws_memorydb_cluster").unwrap();
    let mut sns = Vec::new();
    let mut clusters = Vec::new();
    for i in 0..4 {
        sns.push(
            subnet_group
                .create(
                    &op_context(&format!("aws_memorydb_subnet_group.s{i}")),
                    &object(&[
                        ("name", format!("subnets-{i}").into()),
                        ("subnet_ids", Value::from(subnets.clone())),
                    ]),
                )
                .await
                .unwrap(),
        );
        clusters.push(
            cluster
                .create(
                    &op_context(&format!("aws_memorydb_cluster.c{i}")),
                    &object(&[
                        ("name", format!("valkey-{i}").into()),
                        ("node_type", "db.t4g.small".into()),
                        ("acl_name", "open-access".into()),
                        ("subnet_group_name", format!("subnets-{i}").into()),
                    ]),
                )
                .await
                .unwrap(),
        );
    }

    let (calls, _guard) = Calls::start();
    for n in [1, 4] {
        let items: Vec<(String, &Object)> = clusters[..n].iter().map(|c| (id(c), c)).collect();
        let items: Vec<(&str, &Object)> = items.iter().map(|(i, o)| (i.as_str(), *o)).collect();
        assert!(read(cluster.as_ref(), &items)
            .await
            .iter()
            .all(Option::is_some));
        assert_eq!(
            calls.take(),
            counts(&[("DescribeClusters", 1), ("ListTags", n)]),
            "{n} cluster(s)"
        );
        let items: Vec<(String, &Object)> = sns[..n].iter().map(|c| (id(c), c)).collect();
        let items: Vec<(&str, &Object)> = items.iter().map(|(i, o)| (i.as_str(), *o)).collect();
        assert!(read(subnet_group.as_ref(), &items)
            .await
            .iter()
            .all(Option::is_some));
        assert_eq!(
            calls.take(),
            counts(&[("DescribeSubnetGroups", 1), ("ListTags", n)]),
            "{n} subnet group(s)"
        );
    }
    // A missing one costs nothing beyond the listing.
    let gone = read(cluster.as_ref(), &[("no-such-cluster", &Object::new())]).await;
    assert!(gone[0].is_none());
    assert_eq!(calls.take(), counts(&[("DescribeClusters", 1)]));
}

#[tokio::test]
async fn changing_a_subnet_group_in_place_calls_update_subnet_group() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_memorydb::register);
    let (subnets, _) = network(&aws).await;
    let subnet_group = registry.resource("aws_memorydb_subnet_group").unwrap();
    let ctx = op_context("aws_memorydb_subnet_group.valkey");
    let sn = subnet_group
        .create(
            &ctx,
            &object(&[
                ("name", "valkey".into()),
                ("description", "Managed by Terraform".into()),
                ("subnet_ids", Value::from(subnets[..1].to_vec())),
            ]),
        )
        .await
        .unwrap();
    let mut planned = sn.clone();
    planned.insert("subnet_ids".into(), Value::from(subnets.clone()));
    let e = subnet_group
        .update(&ctx, "valkey", &sn, &planned, &["subnet_ids".into()])
        .await
        .unwrap_err();
    // moto lacks the call; AWS has it.
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("memorydb:UpdateSubnetGroup", "Unsupported"),
        "{e}"
    );
    let e = subnet_group
        .update(&ctx, "valkey", &sn, &planned, &["name".into()])
        .await
        .unwrap_err();
    assert_eq!(e.code, "NotUpdatable");
}
