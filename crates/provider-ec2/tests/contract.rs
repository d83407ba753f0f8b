//! The resource contract (cairn_testkit::resource_contract) for every EC2
//! type, against moto. Prerequisites are made outside cairn, through the
//! SDK; tags changed "outside cairn" go through CreateTags/DeleteTags.

mod harness;

use aws_sdk_ec2::types::Tag;
use cairn_core::{Object, Value};
use cairn_testkit::fixtures::{object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};
use harness::Harness;

fn tag_outside(ec2: &aws_sdk_ec2::Client) -> Option<TagOutside> {
    let ec2 = ec2.clone();
    Some(Box::new(move |id, set, unset| {
        let ec2 = ec2.clone();
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            ec2.create_tags()
                .resources(id)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            if !unset.is_empty() {
                let unset = unset
                    .into_iter()
                    .map(|k| Tag::builder().key(k).build())
                    .collect();
                ec2.delete_tags()
                    .resources(id)
                    .set_tags(Some(unset))
                    .send()
                    .await
                    .unwrap();
            }
        })
    }))
}

fn case(
    address: &'static str,
    config: Object,
    update: Object,
    replace: Option<&'static str>,
    missing_id: &str,
) -> Case {
    Case {
        address,
        config,
        update,
        replace,
        missing_id: missing_id.into(),
        leftovers: Leftovers::Listed,
        tag_outside: None,
        delete_forgets: false,
    }
}

fn list(items: &[&str]) -> Value {
    Value::from(items.to_vec())
}

#[tokio::test]
async fn every_ec2_type_keeps_the_contract() {
    let h = Harness::start().await;
    let ec2 = &h.ec2;
    let ctx = op_context("aws_vpc.contract");
    let mut done: Vec<&str> = Vec::new();
    let mut run = |c: Case, tagged: bool| {
        let ty = c.address.split('.').next().unwrap_or_default();
        let r = h.resource(ty);
        let c = Case {
            tag_outside: if tagged { tag_outside(ec2) } else { None },
            ..c
        };
        done.push(r.type_name());
        let ctx = ctx.clone();
        async move { check(r.as_ref(), c, &ctx).await }
    };

    // Prerequisites, made outside cairn.
    let vpc = h.vpc("10.60.0.0/16").await;
    let peer = h.vpc("10.61.0.0/16").await;
    let (sub_a, sub_b) = (
        h.subnet(&vpc, "10.60.1.0/24").await,
        h.subnet(&vpc, "10.60.2.0/24").await,
    );
    let table = || async {
        let out = ec2.create_route_table().vpc_id(&vpc).send().await.unwrap();
        out.route_table()
            .and_then(|t| t.route_table_id())
            .unwrap()
            .to_string()
    };
    let (rt_a, rt_b) = (table().await, table().await);
    let sg_a = h.security_group(&vpc, "a").await;
    let igw = h.internet_gateway(&vpc).await;
    let allocation = h.address().await;
    let ami = h.ami().await;
    h.bucket("contract-flow-logs");
    let name = |n: &str| tags(&[("Name", n)]);
    let renamed = |n: &str| tags(&[("Name", n), ("Tier", "contract")]);

    run(
        case(
            "aws_vpc.contract",
            object(&[("cidr_block", "10.70.0.0/16".into()), ("tags", name("vpc"))]),
            object(&[
                ("enable_dns_hostnames", true.into()),
                ("tags", renamed("vpc")),
            ]),
            Some("cidr_block"),
            "vpc-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_subnet.contract",
            object(&[
                ("vpc_id", vpc.as_str().into()),
                ("cidr_block", "10.60.9.0/24".into()),
                ("tags", name("subnet")),
            ]),
            object(&[
                ("map_public_ip_on_launch", true.into()),
                ("tags", renamed("subnet")),
            ]),
            Some("cidr_block"),
            "subnet-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_internet_gateway.contract",
            object(&[("vpc_id", peer.as_str().into()), ("tags", name("igw"))]),
            object(&[("tags", renamed("igw"))]),
            None,
            "igw-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_eip.contract",
            object(&[("tags", name("eip"))]),
            object(&[("tags", renamed("eip"))]),
            Some("domain"),
            "eipalloc-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_nat_gateway.contract",
            object(&[
                ("subnet_id", sub_a.as_str().into()),
                ("allocation_id", allocation.as_str().into()),
                ("tags", name("nat")),
            ]),
            object(&[("tags", renamed("nat"))]),
            Some("subnet_id"),
            "nat-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_route_table.contract",
            object(&[("vpc_id", vpc.as_str().into()), ("tags", name("rt"))]),
            object(&[("tags", renamed("rt"))]),
            Some("vpc_id"),
            "rtb-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        Case {
            leftovers: Leftovers::ByIdentity,
            ..case(
                "aws_route.contract",
                object(&[
                    ("route_table_id", rt_a.as_str().into()),
                    ("destination_cidr_block", "0.0.0.0/0".into()),
                    ("gateway_id", igw.as_str().into()),
                ]),
                object(&[]),
                Some("destination_cidr_block"),
                &format!("{rt_b}_0.0.0.0/0"),
            )
        },
        false,
    )
    .await;
    run(
        Case {
            leftovers: Leftovers::ByIdentity,
            ..case(
                "aws_route_table_association.contract",
                object(&[
                    ("route_table_id", rt_a.as_str().into()),
                    ("subnet_id", sub_b.as_str().into()),
                ]),
                object(&[("route_table_id", rt_b.as_str().into())]),
                Some("subnet_id"),
                "rtbassoc-0000000000000000a",
            )
        },
        false,
    )
    .await;
    run(
        case(
            "aws_security_group.contract",
            object(&[
                ("name", "contract".into()),
                ("description", "contract".into()),
                ("vpc_id", vpc.as_str().into()),
                ("tags", name("sg")),
            ]),
            object(&[("tags", renamed("sg"))]),
            Some("name"),
            "sg-0000000000000000a",
        ),
        true,
    )
    .await;
    for (address, port) in [
        ("aws_vpc_security_group_ingress_rule.contract", 443),
        ("aws_vpc_security_group_egress_rule.contract", 5432),
    ] {
        run(
            Case {
                leftovers: Leftovers::ByIdentity,
                ..case(
                    address,
                    object(&[
                        ("security_group_id", sg_a.as_str().into()),
                        ("ip_protocol", "tcp".into()),
                        ("from_port", Value::from(port)),
                        ("to_port", Value::from(port)),
                        ("cidr_ipv4", "10.60.0.0/16".into()),
                    ]),
                    object(&[("description", "updated".into())]),
                    Some("security_group_id"),
                    "sgr-0000000000000000a",
                )
            },
            false,
        )
        .await;
    }
    run(
        case(
            "aws_vpc_endpoint.contract",
            object(&[
                ("vpc_id", vpc.as_str().into()),
                ("service_name", "com.amazonaws.eu-west-2.s3".into()),
                ("route_table_ids", list(&[&rt_a])),
                ("tags", name("s3")),
            ]),
            object(&[("tags", renamed("s3"))]),
            Some("service_name"),
            "vpce-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_flow_log.contract",
            object(&[
                ("vpc_id", vpc.as_str().into()),
                ("traffic_type", "REJECT".into()),
                ("log_destination_type", "s3".into()),
                ("log_destination", "arn:aws:s3:::contract-flow-logs".into()),
                ("tags", name("flow")),
            ]),
            object(&[("tags", renamed("flow"))]),
            Some("traffic_type"),
            "fl-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_vpc_peering_connection.contract",
            object(&[
                ("vpc_id", vpc.as_str().into()),
                ("peer_vpc_id", peer.as_str().into()),
                ("auto_accept", true.into()),
                ("tags", name("peering")),
            ]),
            object(&[("tags", renamed("peering"))]),
            Some("peer_vpc_id"),
            "pcx-0000000000000000a",
        ),
        true,
    )
    .await;
    run(
        case(
            "aws_instance.contract",
            object(&[
                ("ami", ami.as_str().into()),
                ("instance_type", "t3.micro".into()),
                ("subnet_id", sub_a.as_str().into()),
                ("vpc_security_group_ids", list(&[&sg_a])),
                ("tags", name("host")),
            ]),
            // Not the security groups: moto adds the new groups to the
            // primary interface's instead of replacing them.
            object(&[
                ("instance_type", "t3.small".into()),
                ("tags", renamed("host")),
            ]),
            Some("ami"),
            "i-0000000000000000a",
        ),
        true,
    )
    .await;

    // The accepter side of a connection requested outside cairn.
    let third = h.vpc("10.62.0.0/16").await;
    let pcx = ec2
        .create_vpc_peering_connection()
        .vpc_id(&third)
        .peer_vpc_id(&peer)
        .send()
        .await
        .unwrap()
        .vpc_peering_connection()
        .and_then(|p| p.vpc_peering_connection_id())
        .unwrap()
        .to_string();
    run(
        Case {
            leftovers: Leftovers::ByIdentity,
            delete_forgets: true,
            ..case(
                "aws_vpc_peering_connection_accepter.contract",
                object(&[
                    ("vpc_peering_connection_id", pcx.as_str().into()),
                    ("auto_accept", true.into()),
                    ("tags", name("accepter")),
                ]),
                object(&[("tags", renamed("accepter"))]),
                Some("vpc_peering_connection_id"),
                "pcx-0000000000000000b",
            )
        },
        false,
    )
    .await;

    covered(h.registry.resource_types(), &done);
}
