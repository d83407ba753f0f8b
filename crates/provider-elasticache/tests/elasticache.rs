//! What the contract cannot know about the ElastiCache types, checked
//! through the SDK against moto: what a replication group is created with
//! (encryption, AUTH token, subnet group, failover), that the token never
//! shows, what a refresh costs for one object or many, a group left
//! `deleting` reading as gone, and the calls moto lacks (Modify*,
//! DeleteCacheSubnetGroup) failing as errors that name them.

use aws_sdk_elasticache::types::Tag;
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

fn s<'a>(o: &'a Object, name: &str) -> Option<&'a str> {
    o.get(name).and_then(Value::as_str)
}

/// Two subnets of a new VPC and a security group, made outside cairn.
async fn network(aws: &AwsContext) -> (Vec<String>, String) {
    let ec2 = aws_sdk_ec2::Client::new(aws.sdk_config().await.unwrap());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.31.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.31.1.0/24", "eu-west-2a"),
        ("10.31.2.0/24", "eu-west-2b"),
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
        .group_name("redis")
        .description("redis")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    (subnets, sg.group_id().unwrap().to_string())
}

const TOKEN: &str = "s3cret-t0ken-0123456789";

fn group_config(name: &str, subnet_group: &str, sg: &str) -> Object {
    object(&[
        ("replication_group_id", name.into()),
        ("description", "tracker sessions".into()),
        ("engine", "redis".into()),
        ("engine_version", "7.1".into()),
        ("node_type", "cache.t4g.small".into()),
        ("num_cache_clusters", 2.into()),
        ("port", 6379.into()),
        ("parameter_group_name", "default.redis7".into()),
        ("subnet_group_name", subnet_group.into()),
        ("security_group_ids", Value::from(vec![sg])),
        ("at_rest_encryption_enabled", true.into()),
        ("transit_encryption_enabled", true.into()),
        ("auth_token", Value::sensitive(TOKEN.into())),
        ("auth_token_update_strategy", "ROTATE".into()),
        ("automatic_failover_enabled", true.into()),
        ("multi_az_enabled", true.into()),
        ("snapshot_retention_limit", 7.into()),
        ("snapshot_window", "03:00-04:00".into()),
        ("maintenance_window", "sun:05:00-sun:06:00".into()),
        ("apply_immediately", false.into()),
        ("auto_minor_version_upgrade", true.into()),
        ("tags", tags(&[("Name", name)])),
    ])
}

#[tokio::test]
async fn a_replication_group_is_made_as_configured_and_its_token_never_shows() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let ec = aws_sdk_elasticache::Client::new(aws.sdk_config().await.unwrap());
    let (subnets, sg) = network(&aws).await;
    let subnet_group = registry.resource("aws_elasticache_subnet_group").unwrap();
    let group = registry
        .resource("aws_elasticache_replication_group")
        .unwrap();

    let sn = subnet_group
        .create(
            &op_context("aws_elasticache_subnet_group.cache"),
            &object(&[
                ("name", "Tracker-Cache".into()),
                ("description", "Managed by Terraform".into()),
                ("subnet_ids", Value::from(subnets.clone())),
            ]),
        )
        .await
        .unwrap();
    // ElastiCache keeps names in lower case; so does the id.
    assert_eq!(id(&sn), "tracker-cache");
    assert!(
        s(&sn, "vpc_id").is_some_and(|v| v.starts_with("vpc-")),
        "{sn:?}"
    );

    let ctx = op_context("aws_elasticache_replication_group.cache");
    let planned = group_config("tracker-cache", "tracker-cache", &sg);
    let created = group.create(&ctx, &planned).await.unwrap();

    let live = ec
        .describe_replication_groups()
        .replication_group_id("tracker-cache")
        .send()
        .await
        .unwrap();
    let g = &live.replication_groups()[0];
    assert_eq!(g.status(), Some("available"));
    assert_eq!(g.cache_node_type(), Some("cache.t4g.small"));
    // moto ignores NumCacheClusters without cluster mode (it makes
    // ReplicasPerNodeGroup + 1 members): one member, whatever was asked.
    assert_eq!(g.member_clusters().len(), 1);
    assert_eq!(g.transit_encryption_enabled(), Some(true));
    assert_eq!(g.at_rest_encryption_enabled(), Some(true));
    assert_eq!(g.auth_token_enabled(), Some(true), "the token was sent");
    assert_eq!(g.automatic_failover().map(|a| a.as_str()), Some("enabled"));
    assert_eq!(g.multi_az().map(|a| a.as_str()), Some("enabled"));
    assert_eq!(g.snapshot_retention_limit(), Some(7));

    assert_eq!(s(&created, "arn"), g.arn());
    // The group is read as it is, not as it was asked for: a plan would
    // show the missing replica (AWS makes both).
    assert_eq!(
        created.get("num_cache_clusters").and_then(Value::as_i64),
        Some(1)
    );
    assert!(s(&created, "primary_endpoint_address").is_some_and(|a| a.starts_with("master.")));
    // (moto answers no ReaderEndpoint; AWS does.)
    assert_eq!(created.get("port").and_then(Value::as_i64), Some(6379));
    let token = created.get("auth_token").unwrap();
    assert!(token.is_sensitive(), "the token is marked sensitive");
    assert!(!Value::Map(created.clone()).to_string().contains(TOKEN));

    // A refresh with nothing changed reads what was planned (the member
    // settings moto does not list are the recorded ones).
    let fresh = read(group.as_ref(), &[(&id(&created), &created)]).await;
    let fresh = fresh[0].as_ref().unwrap();
    for (name, want) in &planned {
        let got = fresh.get(name).unwrap_or(&Value::Null);
        assert!(
            got.same_as(want) || name == "tags" || name == "num_cache_clusters",
            "`{name}` reads {got:?}, planned {want:?}"
        );
    }
    assert!(fresh.get("auth_token").unwrap().is_sensitive());
    assert_eq!(
        cairn_core::tags::from_value(fresh.get("tags"))
            .get("Name")
            .map(String::as_str),
        Some("tracker-cache")
    );

    // A group without a token (made outside cairn) reads without one, so
    // a recorded token is not kept on AWS's silence.
    ec.create_replication_group()
        .replication_group_id("no-token")
        .replication_group_description("x")
        .send()
        .await
        .unwrap();
    let prior = object(&[("auth_token", Value::sensitive(TOKEN.into()))]);
    let read_back = read(group.as_ref(), &[("no-token", &prior)]).await;
    assert!(read_back[0]
        .as_ref()
        .unwrap()
        .get("auth_token")
        .unwrap()
        .is_null());
}

#[tokio::test]
async fn a_refresh_costs_the_same_for_one_object_or_many() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let ec = aws_sdk_elasticache::Client::new(aws.sdk_config().await.unwrap());
    let (subnets, sg) = network(&aws).await;
    let subnet_group = registry.resource("aws_elasticache_subnet_group").unwrap();
    let group = registry
        .resource("aws_elasticache_replication_group")
        .unwrap();

    let mut sns = Vec::new();
    let mut groups = Vec::new();
    for i in 0..4 {
        let sn = subnet_group
            .create(
                &op_context(&format!("aws_elasticache_subnet_group.s{i}")),
                &object(&[
                    ("name", format!("subnets-{i}").into()),
                    ("subnet_ids", Value::from(subnets.clone())),
                ]),
            )
            .await
            .unwrap();
        sns.push(sn);
        let g = group
            .create(
                &op_context(&format!("aws_elasticache_replication_group.g{i}")),
                &object(&[
                    ("replication_group_id", format!("cache-{i}").into()),
                    ("description", "x".into()),
                    ("subnet_group_name", format!("subnets-{i}").into()),
                    ("security_group_ids", Value::from(vec![sg.as_str()])),
                    ("auto_minor_version_upgrade", true.into()),
                ]),
            )
            .await
            .unwrap();
        groups.push(g);
    }

    let (calls, _guard) = Calls::start();
    for n in [1, 4] {
        let items: Vec<(String, &Object)> = groups[..n].iter().map(|g| (id(g), g)).collect();
        let items: Vec<(&str, &Object)> = items.iter().map(|(i, o)| (i.as_str(), *o)).collect();
        assert!(read(group.as_ref(), &items)
            .await
            .iter()
            .all(Option::is_some));
        assert_eq!(
            calls.take(),
            counts(&[
                ("DescribeCacheClusters", 1),
                ("DescribeReplicationGroups", 1),
                ("GetResources", 1),
            ]),
            "{n} replication group(s)"
        );
        let items: Vec<(String, &Object)> = sns[..n].iter().map(|g| (id(g), g)).collect();
        let items: Vec<(&str, &Object)> = items.iter().map(|(i, o)| (i.as_str(), *o)).collect();
        assert!(read(subnet_group.as_ref(), &items)
            .await
            .iter()
            .all(Option::is_some));
        assert_eq!(
            calls.take(),
            counts(&[("DescribeCacheSubnetGroups", 1), ("GetResources", 1)]),
            "{n} subnet group(s)"
        );
    }

    // A group whose ownership tag was removed (or one imported) is not in
    // the stack's tag listing: it costs a ListTagsForResource of its own.
    let arn = s(&groups[0], "arn").unwrap().to_string();
    ec.remove_tags_from_resource()
        .resource_name(&arn)
        .tag_keys("cairn:stack")
        .send()
        .await
        .unwrap();
    ec.add_tags_to_resource()
        .resource_name(&arn)
        .tags(Tag::builder().key("Owner").value("ops").build())
        .send()
        .await
        .unwrap();
    let items: Vec<(String, &Object)> = groups.iter().map(|g| (id(g), g)).collect();
    let items: Vec<(&str, &Object)> = items.iter().map(|(i, o)| (i.as_str(), *o)).collect();
    let read_all = read(group.as_ref(), &items).await;
    assert_eq!(
        calls.take(),
        counts(&[
            ("DescribeCacheClusters", 1),
            ("DescribeReplicationGroups", 1),
            ("GetResources", 1),
            ("ListTagsForResource", 1),
        ])
    );
    let t = cairn_core::tags::from_value(read_all[0].as_ref().unwrap().get("tags"));
    assert_eq!(t.get("Owner").map(String::as_str), Some("ops"), "{t:?}");

    // Nothing live to read: no member or tag listing at all.
    let none = read(group.as_ref(), &[("no-such-group", &Object::new())]).await;
    assert!(none[0].is_none());
    assert_eq!(calls.take(), counts(&[("DescribeReplicationGroups", 1)]));
}

#[tokio::test]
async fn a_group_left_deleting_reads_gone_and_deletes_again() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let ec = aws_sdk_elasticache::Client::new(aws.sdk_config().await.unwrap());
    let group = registry
        .resource("aws_elasticache_replication_group")
        .unwrap();
    let ctx = op_context("aws_elasticache_replication_group.cache");
    let config = object(&[
        ("replication_group_id", "doomed".into()),
        ("description", "x".into()),
    ]);
    let created = group.create(&ctx, &config).await.unwrap();

    group.delete(&ctx, "doomed", &created).await.unwrap();
    let live = ec
        .describe_replication_groups()
        .replication_group_id("doomed")
        .send()
        .await
        .unwrap();
    assert_eq!(live.replication_groups()[0].status(), Some("deleting"));
    assert!(read(group.as_ref(), &[("doomed", &created)]).await[0].is_none());
    group.delete(&ctx, "doomed", &created).await.unwrap();

    // moto keeps the id taken for good, so a replacement under the same
    // id fails there (AWS frees it once the wait above ends): the error
    // names the call and AWS's code.
    let e = group.create(&ctx, &config).await.unwrap_err();
    assert_eq!(e.operation, "elasticache:CreateReplicationGroup");
    assert_eq!(e.code, "ReplicationGroupAlreadyExists", "{e}");
}

#[tokio::test]
async fn the_calls_moto_lacks_fail_as_errors_naming_them() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elasticache::register);
    let (subnets, _) = network(&aws).await;
    let subnet_group = registry.resource("aws_elasticache_subnet_group").unwrap();
    let group = registry
        .resource("aws_elasticache_replication_group")
        .unwrap();
    let ctx = op_context("aws_elasticache_replication_group.cache");

    let g = group
        .create(
            &ctx,
            &object(&[
                ("replication_group_id", "cache".into()),
                ("description", "old".into()),
                ("num_cache_clusters", 1.into()),
            ]),
        )
        .await
        .unwrap();
    let mut planned = g.clone();
    planned.insert("description".into(), "new".into());
    let e = group
        .update(&ctx, "cache", &g, &planned, &["description".into()])
        .await
        .unwrap_err();
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("elasticache:ModifyReplicationGroup", "Unsupported"),
        "{e}"
    );
    assert!(!e.retryable);
    let mut planned = g.clone();
    planned.insert("num_cache_clusters".into(), 2.into());
    let e = group
        .update(&ctx, "cache", &g, &planned, &["num_cache_clusters".into()])
        .await
        .unwrap_err();
    assert_eq!(e.operation, "elasticache:IncreaseReplicaCount", "{e}");
    let e = group
        .update(&ctx, "cache", &g, &planned, &["port".into()])
        .await
        .unwrap_err();
    assert_eq!(e.code, "NotUpdatable", "{e}");

    let sctx = op_context("aws_elasticache_subnet_group.cache");
    let sn = subnet_group
        .create(
            &sctx,
            &object(&[
                ("name", "cache".into()),
                ("description", "Managed by Terraform".into()),
                ("subnet_ids", Value::from(subnets[..1].to_vec())),
            ]),
        )
        .await
        .unwrap();
    let mut planned = sn.clone();
    planned.insert("subnet_ids".into(), Value::from(subnets.clone()));
    let e = subnet_group
        .update(&sctx, "cache", &sn, &planned, &["subnet_ids".into()])
        .await
        .unwrap_err();
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("elasticache:ModifyCacheSubnetGroup", "Unsupported"),
        "{e}"
    );
    let e = subnet_group.delete(&sctx, "cache", &sn).await.unwrap_err();
    assert_eq!(
        (e.operation.as_str(), e.code.as_str()),
        ("elasticache:DeleteCacheSubnetGroup", "Unsupported"),
        "{e}"
    );
}

#[test]
fn offline_checks_catch_what_aws_would_refuse() {
    let mut registry = cairn_core::Registry::default();
    cairn_provider_elasticache::register(&mut registry, &AwsContext::new(Default::default()));
    let group = registry
        .resource("aws_elasticache_replication_group")
        .unwrap();
    let issues = group.validate(&object(&[
        ("auth_token", Value::sensitive(TOKEN.into())),
        ("transit_encryption_enabled", false.into()),
        ("automatic_failover_enabled", true.into()),
        ("num_cache_clusters", 1.into()),
        ("multi_az_enabled", true.into()),
    ]));
    let attrs: Vec<&str> = issues.iter().map(|i| i.attribute.as_str()).collect();
    assert_eq!(attrs, ["auth_token", "automatic_failover_enabled"]);
    assert!(issues.iter().all(|i| !i.message.contains(TOKEN)));
    let issues = group.validate(&object(&[
        ("auth_token", Value::Unknown),
        ("transit_encryption_enabled", true.into()),
        ("multi_az_enabled", true.into()),
        ("automatic_failover_enabled", false.into()),
    ]));
    let attrs: Vec<&str> = issues.iter().map(|i| i.attribute.as_str()).collect();
    assert_eq!(attrs, ["multi_az_enabled"]);
}
