//! The quickstart's whole life against moto: validate, plan, apply, a no-op
//! plan, in-place updates, a replacement, a removal and destroy, checked
//! through the AWS SDK after each step.

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Sandbox};

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

#[test]
fn quickstart_lifecycle() {
    let sb = Sandbox::new("quickstart");
    let rt = rt();
    let ec2 = sb.ec2();
    let kms = sb.kms();

    let v = sb.run(&["validate"]).expect(0);
    assert!(v.stdout.contains("is valid"), "{}", v.stdout);

    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 9 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("+ resource \"aws_vpc\" \"main\""),
        "{}",
        plan.stdout
    );

    // Without a terminal and without --auto-approve, apply refuses and
    // changes nothing.
    let refused = sb.run(&["apply"]).expect(1);
    assert!(
        refused.stderr.contains("--auto-approve"),
        "{}",
        refused.stderr
    );
    assert!(!sb.state_file("quickstart").exists());
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(tag_filter("cairn:stack", "quickstart/local"))
                .send(),
        )
        .unwrap();
    assert!(vpcs.vpcs().is_empty());

    let graph = sb.run(&["graph"]).expect(0);
    assert!(
        graph
            .stdout
            .contains("\"aws_subnet.public_a\" -> \"aws_vpc.main\""),
        "{}",
        graph.stdout
    );
    assert!(
        graph
            .stdout
            .contains("\"aws_kms_alias.main\" -> \"aws_kms_key.main\""),
        "{}",
        graph.stdout
    );
    let mermaid = sb.run(&["graph", "--format", "mermaid"]).expect(0);
    assert!(mermaid.stdout.starts_with("graph RL"), "{}", mermaid.stdout);

    let apply = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(
        apply
            .stdout
            .contains("Apply complete! Resources: 9 added, 0 changed, 0 destroyed."),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("aws_vpc.main: Creation complete after"),
        "{}",
        apply.stdout
    );

    let state = sb.state("quickstart");
    let vpc_id = state["resources"]["aws_vpc.main"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key_id = state["resources"]["aws_kms_key.main"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let old_subnet = state["resources"]["aws_subnet.private_b"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(state["serial"].as_u64().map(|s| s >= 1), Some(true));

    // Through the SDK: the VPC exists with its tags, ownership tags included.
    let vpc = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&vpc_id).send())
        .unwrap()
        .vpcs
        .unwrap()
        .remove(0);
    let tags: std::collections::BTreeMap<String, String> = vpc
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert_eq!(tags.get("Name").map(String::as_str), Some("quickstart"));
    assert_eq!(
        tags.get("Environment").map(String::as_str),
        Some("local"),
        "default_tags from the env file"
    );
    assert_eq!(
        tags.get("cairn:stack").map(String::as_str),
        Some("quickstart/local")
    );
    assert_eq!(
        tags.get("cairn:address").map(String::as_str),
        Some("aws_vpc.main")
    );
    let subnets = rt
        .block_on(
            ec2.describe_subnets()
                .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
                .send(),
        )
        .unwrap();
    assert_eq!(subnets.subnets().len(), 4);
    let rotation = rt
        .block_on(kms.get_key_rotation_status().key_id(&key_id).send())
        .unwrap();
    assert!(rotation.key_rotation_enabled());

    let again = sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let out = sb.run(&["output", "vpc_id"]).expect(0);
    assert_eq!(out.stdout.trim(), vpc_id);

    // In-place updates: a tag and key rotation.
    sb.edit(
        "network.toml",
        "tags = { Name = \"quickstart\" }",
        "tags = { Name = \"quickstart-renamed\" }",
    );
    sb.edit(
        "kms.toml",
        "enable_key_rotation = true",
        "enable_key_rotation = false",
    );
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 2 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("aws_vpc.main will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("aws_kms_key.main will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let vpc = rt
        .block_on(ec2.describe_vpcs().vpc_ids(&vpc_id).send())
        .unwrap()
        .vpcs
        .unwrap()
        .remove(0);
    assert!(vpc
        .tags()
        .iter()
        .any(|t| t.key() == Some("Name") && t.value() == Some("quickstart-renamed")));
    let rotation = rt
        .block_on(kms.get_key_rotation_status().key_id(&key_id).send())
        .unwrap();
    assert!(!rotation.key_rotation_enabled());
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    // A force-new change: the subnet is replaced.
    sb.edit(
        "network.toml",
        "cidr_block = \"10.40.0.192/26\"",
        "cidr_block = \"10.40.0.192/27\"",
    );
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("aws_subnet.private_b must be replaced"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("# forces replacement"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let new_subnet = sb.state("quickstart")["resources"]["aws_subnet.private_b"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_subnet, old_subnet);
    let gone = rt.block_on(
        ec2.describe_subnets()
            .filters(
                Filter::builder()
                    .name("subnet-id")
                    .values(&old_subnet)
                    .build(),
            )
            .send(),
    );
    assert!(
        gone.unwrap().subnets().is_empty(),
        "the old subnet is deleted"
    );

    // Removing a resource from the configuration deletes it.
    sb.edit(
        "network.toml",
        "[resource.aws_subnet.private_b]",
        "[resource.aws_subnet.private_b_removed]\n# removed\n",
    );
    let text = std::fs::read_to_string(sb.stack.join("network.toml")).unwrap();
    let cut = text
        .find("[resource.aws_subnet.private_b_removed]")
        .unwrap();
    std::fs::write(sb.stack.join("network.toml"), &text[..cut]).unwrap();
    sb.edit("main.toml", ", \"${aws_subnet.private_b.id}\"", "");
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("aws_subnet.private_b will be destroyed"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 0 to change, 1 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let gone = rt.block_on(
        ec2.describe_subnets()
            .filters(
                Filter::builder()
                    .name("subnet-id")
                    .values(&new_subnet)
                    .build(),
            )
            .send(),
    );
    assert!(gone.unwrap().subnets().is_empty());

    // Destroy: nothing of the stack remains, by id and by ownership tag.
    let destroy = sb.run(&["destroy", "--auto-approve"]).expect(0);
    assert!(
        destroy
            .stdout
            .contains("Destroy complete! Resources: 8 destroyed."),
        "{}",
        destroy.stdout
    );
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(Filter::builder().name("vpc-id").values(&vpc_id).build())
                .send(),
        )
        .unwrap();
    assert!(vpcs.vpcs().is_empty());
    let owned = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(tag_filter("cairn:stack", "quickstart/local"))
                .send(),
        )
        .unwrap();
    assert!(owned.vpcs().is_empty());
    let owned = rt
        .block_on(
            ec2.describe_subnets()
                .filters(tag_filter("cairn:stack", "quickstart/local"))
                .send(),
        )
        .unwrap();
    assert!(owned.subnets().is_empty());
    let owned = rt
        .block_on(
            ec2.describe_security_groups()
                .filters(tag_filter("cairn:stack", "quickstart/local"))
                .send(),
        )
        .unwrap();
    assert!(owned.security_groups().is_empty());
    let owned = rt
        .block_on(
            ec2.describe_internet_gateways()
                .filters(tag_filter("cairn:stack", "quickstart/local"))
                .send(),
        )
        .unwrap();
    assert!(owned.internet_gateways().is_empty());
    let key = rt
        .block_on(kms.describe_key().key_id(&key_id).send())
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("PendingDeletion"));
    let aliases = rt.block_on(kms.list_aliases().send()).unwrap();
    assert!(!aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some("alias/quickstart")));
    assert!(sb.state("quickstart")["resources"]
        .as_object()
        .unwrap()
        .is_empty());
}
