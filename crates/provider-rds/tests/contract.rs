//! The resource contract (cairn_testkit::resource_contract) for every RDS
//! type, against moto.

use aws_sdk_rds::types::{Filter, Tag};
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

/// Tags an object outside cairn, by the ARN of the id the contract has.
fn tag_outside(rds: &aws_sdk_rds::Client, kind: &'static str) -> TagOutside {
    let rds = rds.clone();
    Box::new(move |id, set, unset| {
        let rds = rds.clone();
        Box::pin(async move {
            let arn = arn_of(&rds, kind, id).await;
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            rds.add_tags_to_resource()
                .resource_name(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            rds.remove_tags_from_resource()
                .resource_name(&arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

async fn arn_of(rds: &aws_sdk_rds::Client, kind: &str, id: &str) -> String {
    match kind {
        "instance" => rds
            .describe_db_instances()
            .filters(Filter::builder().name("db-instance-id").values(id).build())
            .send()
            .await
            .unwrap()
            .db_instances()[0]
            .db_instance_arn()
            .unwrap()
            .to_string(),
        "cluster-instance" => rds
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
            .unwrap()
            .db_instances()[0]
            .db_instance_arn()
            .unwrap()
            .to_string(),
        "cluster" => rds
            .describe_db_clusters()
            .db_cluster_identifier(id)
            .send()
            .await
            .unwrap()
            .db_clusters()[0]
            .db_cluster_arn()
            .unwrap()
            .to_string(),
        "subgrp" => rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(id)
            .send()
            .await
            .unwrap()
            .db_subnet_groups()[0]
            .db_subnet_group_arn()
            .unwrap()
            .to_string(),
        "pg" => format!("arn:aws:rds:eu-west-2:123456789012:pg:{id}"),
        "cluster-pg" => format!("arn:aws:rds:eu-west-2:123456789012:cluster-pg:{id}"),
        other => panic!("no ARN for {other}"),
    }
}

fn param(name: &str, value: &str, method: &str) -> Value {
    Value::Map(
        [
            ("name".to_string(), Value::from(name)),
            ("value".to_string(), Value::from(value)),
            ("apply_method".to_string(), Value::from(method)),
        ]
        .into(),
    )
}

fn scaling(min: f64, max: f64, pause: Option<i64>) -> Value {
    Value::Map(
        [
            ("min_capacity".to_string(), Value::Number(min)),
            ("max_capacity".to_string(), Value::Number(max)),
            ("seconds_until_auto_pause".to_string(), Value::from(pause)),
        ]
        .into(),
    )
}

#[tokio::test]
async fn every_rds_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_rds::register);
    let sdk = aws.sdk_config().await.unwrap();
    let rds = aws_sdk_rds::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let ctx = op_context("aws_db_instance.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.20.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.20.1.0/24", "eu-west-2a"),
        ("10.20.2.0/24", "eu-west-2b"),
    ] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet().unwrap().subnet_id().unwrap().to_string());
    }

    let subnet_group = Case {
        address: "aws_db_subnet_group.contract",
        config: object(&[
            ("name", "hub-db".into()),
            ("subnet_ids", Value::from(subnets.clone())),
            ("tags", tags(&[("Name", "hub-db")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "hub-db"), ("Tier", "data")]))]),
        replace: Some("name"),
        missing_id: "no-such-group".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_outside(&rds, "subgrp")),
        delete_forgets: false,
    };
    check(resource("aws_db_subnet_group").as_ref(), subnet_group, &ctx).await;

    let parameter_group = Case {
        address: "aws_db_parameter_group.contract",
        config: object(&[
            ("name", "hub-postgres16".into()),
            ("family", "postgres16".into()),
            (
                "parameter",
                Value::List(vec![param("rds.force_ssl", "1", "immediate")]),
            ),
            ("tags", tags(&[("Name", "hub-postgres16")])),
        ]),
        update: object(&[
            (
                "parameter",
                Value::List(vec![
                    param("rds.force_ssl", "1", "immediate"),
                    param("max_connections", "200", "pending-reboot"),
                ]),
            ),
            (
                "tags",
                tags(&[("Name", "hub-postgres16"), ("Tier", "data")]),
            ),
        ]),
        replace: Some("family"),
        missing_id: "no-such-parameter-group".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_outside(&rds, "pg")),
        delete_forgets: false,
    };
    check(
        resource("aws_db_parameter_group").as_ref(),
        parameter_group,
        &ctx,
    )
    .await;

    let cluster_parameter_group = Case {
        address: "aws_rds_cluster_parameter_group.contract",
        config: object(&[
            ("name", "restartix-staging-aurora16".into()),
            ("family", "aurora-postgresql16".into()),
            (
                "parameter",
                Value::List(vec![param("rds.force_ssl", "1", "immediate")]),
            ),
        ]),
        update: object(&[(
            "parameter",
            Value::List(vec![
                param("rds.force_ssl", "1", "immediate"),
                param(
                    "shared_preload_libraries",
                    "pg_stat_statements",
                    "pending-reboot",
                ),
            ]),
        )]),
        replace: Some("family"),
        missing_id: "no-such-cluster-parameter-group".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_outside(&rds, "cluster-pg")),
        delete_forgets: false,
    };
    check(
        resource("aws_rds_cluster_parameter_group").as_ref(),
        cluster_parameter_group,
        &ctx,
    )
    .await;

    let instance = Case {
        address: "aws_db_instance.contract",
        config: object(&[
            ("identifier", "hub-api-db".into()),
            ("engine", "postgres".into()),
            ("engine_version", "16.3".into()),
            ("instance_class", "db.t4g.micro".into()),
            ("allocated_storage", 20.into()),
            ("db_name", "hub_db".into()),
            ("username", "hub".into()),
            ("manage_master_user_password", true.into()),
            ("storage_encrypted", true.into()),
            ("skip_final_snapshot", true.into()),
            ("tags", tags(&[("Name", "hub-api-db")])),
        ]),
        update: object(&[
            ("backup_retention_period", 7.into()),
            ("copy_tags_to_snapshot", true.into()),
            ("apply_immediately", true.into()),
            ("tags", tags(&[("Name", "hub-api-db"), ("Tier", "data")])),
        ]),
        replace: Some("engine"),
        missing_id: "no-such-db".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&rds, "instance")),
        delete_forgets: false,
    };
    check(resource("aws_db_instance").as_ref(), instance, &ctx).await;

    let cluster = Case {
        address: "aws_rds_cluster.contract",
        config: object(&[
            ("cluster_identifier", "restartix-staging".into()),
            ("engine", "aurora-postgresql".into()),
            ("engine_version", "16.6".into()),
            ("database_name", "restartix".into()),
            ("master_username", "restartix".into()),
            ("manage_master_user_password", true.into()),
            ("storage_encrypted", true.into()),
            (
                "serverlessv2_scaling_configuration",
                scaling(0.0, 2.0, Some(600)),
            ),
            ("skip_final_snapshot", true.into()),
            ("tags", tags(&[("Name", "restartix-staging")])),
        ]),
        update: object(&[
            ("backup_retention_period", 3.into()),
            (
                "serverlessv2_scaling_configuration",
                scaling(0.5, 4.0, None),
            ),
            ("apply_immediately", true.into()),
            (
                "tags",
                tags(&[("Name", "restartix-staging"), ("Tier", "data")]),
            ),
        ]),
        replace: Some("engine"),
        missing_id: "no-such-cluster".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&rds, "cluster")),
        delete_forgets: false,
    };
    check(resource("aws_rds_cluster").as_ref(), cluster, &ctx).await;

    // The cluster instances join, made outside cairn.
    rds.create_db_cluster()
        .db_cluster_identifier("host-cluster")
        .engine("aurora-postgresql")
        .master_username("host")
        .master_user_password("host-password-1")
        .send()
        .await
        .unwrap();
    let member = Case {
        address: "aws_rds_cluster_instance.contract",
        config: object(&[
            ("identifier", "host-cluster-writer".into()),
            ("cluster_identifier", "host-cluster".into()),
            ("instance_class", "db.serverless".into()),
            ("engine", "aurora-postgresql".into()),
            ("tags", tags(&[("Name", "writer")])),
        ]),
        update: object(&[
            ("promotion_tier", 2.into()),
            ("tags", tags(&[("Name", "writer"), ("Tier", "data")])),
        ]),
        replace: Some("cluster_identifier"),
        missing_id: "no-such-instance".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&rds, "cluster-instance")),
        delete_forgets: false,
    };
    check(resource("aws_rds_cluster_instance").as_ref(), member, &ctx).await;

    covered(
        registry.resource_types(),
        &[
            "aws_db_subnet_group",
            "aws_db_parameter_group",
            "aws_rds_cluster_parameter_group",
            "aws_db_instance",
            "aws_rds_cluster",
            "aws_rds_cluster_instance",
        ],
    );
}
