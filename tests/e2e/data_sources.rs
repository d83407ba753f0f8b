//! The production twin's pattern: existing infrastructure read as data
//! (a VPC, its subnets and a security group made outside the stack; the
//! region's zones; an AMI), peered with and routed to, then re-planned to no
//! changes. A data source that matches nothing fails the plan naming its
//! filters. Against moto.

use crate::support::{rt, Sandbox};

const STACK: &str = r#"
[stack]
name = "twin"

[provider.aws]
region = "eu-west-2"

[data.aws_vpc.prod]
tags = { Name = "production" }

[data.aws_subnets.prod]
filter = [{ name = "vpc-id", values = ["${data.aws_vpc.prod.id}"] }]

[data.aws_security_group.prod_db]
name = "prod-db"
vpc_id = "${data.aws_vpc.prod.id}"

[data.aws_availability_zones.all]
state = "available"

[data.aws_ami.linux]
owners = ["amazon"]
most_recent = true
filter = [{ name = "architecture", values = ["x86_64"] }]

[resource.aws_vpc.tracker]
cidr_block = "10.96.0.0/16"

[resource.aws_subnet.db]
vpc_id = "${aws_vpc.tracker.id}"
cidr_block = "10.96.1.0/24"
availability_zone = "${data.aws_availability_zones.all.names[0]}"

[resource.aws_vpc_peering_connection.prod]
vpc_id = "${aws_vpc.tracker.id}"
peer_vpc_id = "${data.aws_vpc.prod.id}"
auto_accept = true

[resource.aws_route_table.tracker]
vpc_id = "${aws_vpc.tracker.id}"

[resource.aws_route.to_prod]
route_table_id = "${aws_route_table.tracker.id}"
destination_cidr_block = "${data.aws_vpc.prod.cidr_block}"
vpc_peering_connection_id = "${aws_vpc_peering_connection.prod.id}"

[output.prod_subnets]
value = "${data.aws_subnets.prod.ids}"

[output.prod_db_sg]
value = "${data.aws_security_group.prod_db.id}"

[output.ami]
value = "${data.aws_ami.linux.id}"
"#;

#[test]
fn existing_infrastructure_is_read_as_data_and_peered_with() {
    let sb = Sandbox::with_files(&[("main.toml", STACK)]);
    let rt = rt();
    let ec2 = sb.ec2();
    let prod = rt
        .block_on(
            ec2.create_vpc()
                .cidr_block("10.210.0.0/16")
                .tag_specifications(
                    aws_sdk_ec2::types::TagSpecification::builder()
                        .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                        .tags(
                            aws_sdk_ec2::types::Tag::builder()
                                .key("Name")
                                .value("production")
                                .build(),
                        )
                        .build(),
                )
                .send(),
        )
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let prod_subnet = rt
        .block_on(
            ec2.create_subnet()
                .vpc_id(&prod)
                .cidr_block("10.210.1.0/24")
                .send(),
        )
        .unwrap()
        .subnet()
        .unwrap()
        .subnet_id()
        .unwrap()
        .to_string();
    let db_sg = rt
        .block_on(
            ec2.create_security_group()
                .vpc_id(&prod)
                .group_name("prod-db")
                .description("production database")
                .send(),
        )
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();

    sb.run(&["apply", "--auto-approve"]).expect(0);
    let out = sb.run(&["output", "--json"]).expect(0);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        out["prod_subnets"]["value"],
        serde_json::json!([prod_subnet])
    );
    assert_eq!(out["prod_db_sg"]["value"], db_sg.as_str());
    assert!(out["ami"]["value"].as_str().unwrap().starts_with("ami-"));

    // Peered with the existing VPC and routed to its CIDR.
    let state = sb.state("twin");
    let pcx = state["resources"]["aws_vpc_peering_connection.prod"]["id"]
        .as_str()
        .unwrap();
    let peering = rt
        .block_on(
            ec2.describe_vpc_peering_connections()
                .vpc_peering_connection_ids(pcx)
                .send(),
        )
        .unwrap();
    let p = &peering.vpc_peering_connections()[0];
    assert_eq!(
        p.accepter_vpc_info().and_then(|v| v.vpc_id()),
        Some(prod.as_str())
    );
    let table = state["resources"]["aws_route_table.tracker"]["id"]
        .as_str()
        .unwrap();
    let routes = rt
        .block_on(ec2.describe_route_tables().route_table_ids(table).send())
        .unwrap();
    assert!(routes.route_tables()[0].routes().iter().any(|r| {
        r.destination_cidr_block() == Some("10.210.0.0/16")
            && r.vpc_peering_connection_id() == Some(pcx)
    }));
    // Data is recorded, never created: the existing VPC is not owned by cairn.
    assert_eq!(state["resources"]["data.aws_vpc.prod"]["id"], prod.as_str());

    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "re-plan is not clean:\n{}", again.stdout);

    // Destroy leaves the existing infrastructure alone.
    sb.run(&["destroy", "--auto-approve"]).expect(0);
    let vpcs = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&prod).send())
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);

    // Nothing matches: a plan error that names the filters.
    sb.edit("main.toml", "Name = \"production\"", "Name = \"nowhere\"");
    let failed = sb.run(&["plan"]).expect(1);
    assert!(
        failed.stderr.contains("data.aws_vpc.prod"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("tag:Name = nowhere"),
        "{}",
        failed.stderr
    );
}
