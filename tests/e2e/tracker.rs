//! The Tracker network stack (stacks/tracker) against moto: it applies,
//! re-plans to no changes, and destroys, leaving the production VPC it
//! peers with untouched. Checked through the SDK.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use crate::support::{rt, Sandbox};

#[test]
fn the_tracker_network_applies_replans_clean_and_destroys() {
    let sb = Sandbox::new("tracker");
    let rt = rt();
    let ec2 = sb.ec2();
    let production = rt
        .block_on(
            ec2.create_vpc()
                .cidr_block("10.230.0.0/16")
                .tag_specifications(
                    TagSpecification::builder()
                        .resource_type(ResourceType::Vpc)
                        .tags(Tag::builder().key("Name").value("production").build())
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

    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 39 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    // Its resource is not known until the log group exists.
    assert!(plan
        .stdout
        .contains("data.aws_iam_policy_document.flow_logs_write will be read during apply"));
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "re-plan is not clean:\n{}", again.stdout);
    // A nightly drift check finds nothing: what other resources of the
    // stack changed (rules on groups, routes on tables, the NAT's address
    // association) is not drift.
    let drift = sb.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    assert_eq!(drift.code, 0, "drift reported:\n{}", drift.stdout);
    assert!(
        !again.stdout.contains("changed outside"),
        "{}",
        again.stdout
    );

    let state = sb.state("tracker");
    let id = |a: &str| state["resources"][a]["id"].as_str().unwrap().to_string();
    // Flow logs go to the log group through the role.
    let flow = rt
        .block_on(
            ec2.describe_flow_logs()
                .flow_log_ids(id("aws_flow_log.vpc"))
                .send(),
        )
        .unwrap();
    let flow = &flow.flow_logs()[0];
    assert_eq!(flow.resource_id(), Some(id("aws_vpc.main").as_str()));
    assert!(flow
        .log_destination()
        .unwrap()
        .ends_with("log-group:/tracker/vpc-flow-logs"));
    assert!(flow
        .deliver_logs_permission_arn()
        .unwrap()
        .ends_with("role/tracker-vpc-flow-logs"));
    // The private route table reaches the internet through the NAT and
    // production through the peering.
    let private = rt
        .block_on(
            ec2.describe_route_tables()
                .route_table_ids(id("aws_route_table.private"))
                .send(),
        )
        .unwrap();
    let routes = private.route_tables()[0].routes();
    assert!(routes
        .iter()
        .any(|r| r.nat_gateway_id() == Some(id("aws_nat_gateway.main").as_str())));
    assert!(routes.iter().any(|r| {
        r.destination_cidr_block() == Some("10.230.0.0/16")
            && r.vpc_peering_connection_id()
                == Some(id("aws_vpc_peering_connection.production").as_str())
    }));
    // Rules reference each other's groups.
    let db_rules = rt
        .block_on(
            ec2.describe_security_group_rules()
                .filters(
                    Filter::builder()
                        .name("group-id")
                        .values(id("aws_security_group.db"))
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert!(db_rules.security_group_rules().iter().any(|r| {
        r.referenced_group_info().and_then(|g| g.group_id())
            == Some(id("aws_security_group.ecs").as_str())
            && r.from_port() == Some(5432)
    }));

    // The database host: private, IMDSv2 with hop limit 2, its profile.
    let db = rt
        .block_on(
            ec2.describe_instances()
                .instance_ids(id("aws_instance.db"))
                .send(),
        )
        .unwrap();
    let db = &db.reservations()[0].instances()[0];
    assert!(db.public_ip_address().is_none());
    assert_eq!(db.subnet_id(), Some(id("aws_subnet.private_a").as_str()));
    let m = db.metadata_options().unwrap();
    assert_eq!(m.http_tokens().map(|t| t.as_str()), Some("required"));
    assert_eq!(m.http_put_response_hop_limit(), Some(2));
    assert!(db
        .iam_instance_profile()
        .and_then(|p| p.arn())
        .unwrap()
        .ends_with("instance-profile/tracker-db-host"));

    // A new bootstrap revision rebuilds the host, and only the host.
    let bump = sb
        .run(&[
            "plan",
            "--detailed-exitcode",
            "--var",
            "bootstrap_revision=2",
        ])
        .expect(2);
    assert!(
        bump.stdout.contains("aws_instance.db must be replaced"),
        "{}",
        bump.stdout
    );
    assert!(
        bump.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        bump.stdout
    );

    sb.run(&["destroy", "--auto-approve"]).expect(0);
    let ours = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:cairn:stack")
                        .values("tracker/local")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert!(ours.vpcs().is_empty());
    let left = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&production).send())
        .unwrap();
    assert_eq!(
        left.vpcs().len(),
        1,
        "the production VPC is not ours to delete"
    );
}
