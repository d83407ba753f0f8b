//! The network shapes of the reference estates (public and private subnets,
//! NAT through an Elastic IP, route tables with inline and separate routes,
//! security groups that reference each other through separate rules)
//! apply, re-plan to no changes, and destroy cleanly. Against moto.

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Sandbox};

const STACK: &str = r#"
[stack]
name = "net"

[provider.aws]
region = "eu-west-2"
default_tags = { Project = "tracker" }

[resource.aws_vpc.main]
cidr_block = "10.95.0.0/16"
enable_dns_hostnames = true

[resource.aws_subnet.public_a]
vpc_id = "${aws_vpc.main.id}"
cidr_block = "10.95.0.0/24"
availability_zone = "eu-west-2a"
map_public_ip_on_launch = true

[resource.aws_subnet.private_a]
vpc_id = "${aws_vpc.main.id}"
cidr_block = "10.95.10.0/24"
availability_zone = "eu-west-2a"

[resource.aws_internet_gateway.main]
vpc_id = "${aws_vpc.main.id}"

[resource.aws_eip.nat]
tags = { Name = "nat" }

[resource.aws_nat_gateway.main]
subnet_id = "${aws_subnet.public_a.id}"
allocation_id = "${aws_eip.nat.id}"
depends_on = ["aws_internet_gateway.main"]

[resource.aws_route_table.public]
vpc_id = "${aws_vpc.main.id}"
route = [{ cidr_block = "0.0.0.0/0", gateway_id = "${aws_internet_gateway.main.id}" }]

[resource.aws_route_table.private]
vpc_id = "${aws_vpc.main.id}"

[resource.aws_route.private_default]
route_table_id = "${aws_route_table.private.id}"
destination_cidr_block = "0.0.0.0/0"
nat_gateway_id = "${aws_nat_gateway.main.id}"

[resource.aws_route_table_association.public_a]
subnet_id = "${aws_subnet.public_a.id}"
route_table_id = "${aws_route_table.public.id}"

[resource.aws_route_table_association.private_a]
subnet_id = "${aws_subnet.private_a.id}"
route_table_id = "${aws_route_table.private.id}"

[resource.aws_security_group.alb]
name = "tracker-alb"
description = "ALB"
vpc_id = "${aws_vpc.main.id}"

[resource.aws_security_group.app]
name = "tracker-app"
description = "App tasks"
vpc_id = "${aws_vpc.main.id}"

[resource.aws_vpc_security_group_ingress_rule.alb_https]
security_group_id = "${aws_security_group.alb.id}"
ip_protocol = "tcp"
from_port = 443
to_port = 443
cidr_ipv4 = "0.0.0.0/0"
description = "HTTPS from anywhere"

[resource.aws_vpc_security_group_egress_rule.alb_to_app]
security_group_id = "${aws_security_group.alb.id}"
ip_protocol = "tcp"
from_port = 8080
to_port = 8080
referenced_security_group_id = "${aws_security_group.app.id}"
description = "to the app"

[resource.aws_vpc_security_group_ingress_rule.app_from_alb]
security_group_id = "${aws_security_group.app.id}"
ip_protocol = "tcp"
from_port = 8080
to_port = 8080
referenced_security_group_id = "${aws_security_group.alb.id}"
description = "from the ALB"
"#;

#[test]
fn the_reference_network_applies_replans_clean_and_destroys() {
    let sb = Sandbox::with_files(&[("main.toml", STACK)]);
    sb.run(&["validate"]).expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let replan = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(replan.code, 0, "re-plan is not clean:\n{}", replan.stdout);

    let rt = rt();
    let ec2 = sb.ec2();
    let state = sb.state("net");
    let id = |a: &str| state["resources"][a]["id"].as_str().unwrap().to_string();
    let private = rt
        .block_on(
            ec2.describe_route_tables()
                .route_table_ids(id("aws_route_table.private"))
                .send(),
        )
        .unwrap();
    let table = &private.route_tables()[0];
    assert!(table
        .routes()
        .iter()
        .any(|r| r.nat_gateway_id() == Some(id("aws_nat_gateway.main").as_str())));
    assert!(table
        .associations()
        .iter()
        .any(|a| a.subnet_id() == Some(id("aws_subnet.private_a").as_str())));

    // A changed route target is an in-place update of the table.
    sb.edit(
        "main.toml",
        "route = [{ cidr_block = \"0.0.0.0/0\", gateway_id = \"${aws_internet_gateway.main.id}\" }]",
        "route = [{ cidr_block = \"0.0.0.0/0\", gateway_id = \"${aws_internet_gateway.main.id}\" }, { cidr_block = \"10.200.0.0/16\", nat_gateway_id = \"${aws_nat_gateway.main.id}\" }]",
    );
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("aws_route_table.public will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    sb.run(&["destroy", "--auto-approve"]).expect(0);
    let tag = || {
        Filter::builder()
            .name("tag:cairn:stack")
            .values("net")
            .build()
    };
    assert!(rt
        .block_on(ec2.describe_vpcs().filters(tag()).send())
        .unwrap()
        .vpcs()
        .is_empty());
    let nat = rt
        .block_on(ec2.describe_nat_gateways().filter(tag()).send())
        .unwrap();
    assert!(nat
        .nat_gateways()
        .iter()
        .all(|g| g.state().map(|s| s.as_str()) == Some("deleted")));
    let eips = rt
        .block_on(ec2.describe_addresses().filters(tag()).send())
        .unwrap();
    assert!(eips.addresses().is_empty());
}
