//! An apply killed with SIGKILL part-way leaves a state file that parses, and
//! the next apply completes without duplicating anything: objects created
//! but not yet recorded are found by their ownership tags and adopted.

use std::time::{Duration, Instant};

use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Sandbox};

const SUBNETS: usize = 48;

fn stack() -> String {
    let mut s = String::from(
        "[stack]\nname = \"interrupt\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.50.0.0/20\"\n",
    );
    for i in 0..SUBNETS {
        s.push_str(&format!(
            "\n[resource.aws_subnet.s{i:02}]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.50.{}.{}/28\"\n",
            i / 16,
            (i % 16) * 16
        ));
    }
    s
}

#[test]
fn sigkill_mid_apply_then_apply_again_has_no_duplicates() {
    let sb = Sandbox::with_files(&[("main.toml", &stack())]);
    let state_file = sb.state_file("interrupt");
    let mut child = sb
        .command(&["apply", "--auto-approve", "--parallelism", "2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();

    // Kill once a few resources are recorded, well before the end.
    let deadline = Instant::now() + Duration::from_secs(60);
    let recorded_at_kill = loop {
        assert!(Instant::now() < deadline, "apply never recorded a resource");
        if let Ok(text) = std::fs::read_to_string(&state_file) {
            let n = serde_json::from_str::<serde_json::Value>(&text)
                .map(|v| v["resources"].as_object().map_or(0, |r| r.len()))
                .unwrap_or(0);
            if n >= 4 {
                child.kill().unwrap();
                child.wait().unwrap();
                break n;
            }
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "apply finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(
        recorded_at_kill < SUBNETS + 1,
        "the kill came too late to test anything"
    );

    // The state left behind parses and names only real objects.
    let text = std::fs::read_to_string(&state_file).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).expect("state parses after SIGKILL");
    assert!(state["resources"].as_object().unwrap().len() >= 4);

    // The lock of the killed process is taken over (its holder is gone).
    let again = sb.run(&["apply", "--auto-approve"]).expect(0);
    assert!(
        again.stderr.contains("stale state lock"),
        "{}",
        again.stderr
    );

    let ec2 = sb.ec2();
    let rt = rt();
    let stack_tag = || {
        Filter::builder()
            .name("tag:cairn:stack")
            .values("interrupt")
            .build()
    };
    let vpcs = rt
        .block_on(ec2.describe_vpcs().filters(stack_tag()).send())
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "exactly one VPC");
    let subnets = rt
        .block_on(ec2.describe_subnets().filters(stack_tag()).send())
        .unwrap();
    assert_eq!(subnets.subnets().len(), SUBNETS, "no duplicate subnets");

    let state = sb.state("interrupt");
    let resources = state["resources"].as_object().unwrap();
    assert_eq!(resources.len(), SUBNETS + 1);
    let mut ids: Vec<&str> = resources
        .values()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), SUBNETS + 1, "every object recorded exactly once");
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

/// Instances and NAT gateways: moto ignores RunInstances' client token, so
/// what keeps a second apply from duplicating them is adoption by
/// ownership tags.
#[test]
fn sigkill_while_creating_instances_and_nat_gateways_then_no_duplicates() {
    const INSTANCES: usize = 12;
    let mut text = String::from(
        "[stack]\nname = \"killcompute\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[data.aws_ami.linux]\nowners = [\"amazon\"]\nmost_recent = true\n\n[resource.aws_vpc.main]\ncidr_block = \"10.51.0.0/16\"\n\n[resource.aws_subnet.a]\nvpc_id = \"${aws_vpc.main.id}\"\ncidr_block = \"10.51.0.0/24\"\n",
    );
    for n in 0..2 {
        text.push_str(&format!(
            "\n[resource.aws_eip.nat{n}]\n\n[resource.aws_nat_gateway.n{n}]\nsubnet_id = \"${{aws_subnet.a.id}}\"\nallocation_id = \"${{aws_eip.nat{n}.id}}\"\n"
        ));
    }
    for i in 0..INSTANCES {
        text.push_str(&format!(
            "\n[resource.aws_instance.i{i:02}]\nami = \"${{data.aws_ami.linux.id}}\"\ninstance_type = \"t3.micro\"\nsubnet_id = \"${{aws_subnet.a.id}}\"\n"
        ));
    }
    let sb = Sandbox::with_files(&[("main.toml", &text)]);
    let state_file = sb.state_file("killcompute");
    let mut child = sb
        .command(&["apply", "--auto-approve", "--parallelism", "2"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            Instant::now() < deadline,
            "apply never recorded an instance"
        );
        let recorded = std::fs::read_to_string(&state_file)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|v| {
                v["resources"].as_object().map_or(0, |r| {
                    r.keys().filter(|k| k.starts_with("aws_instance.")).count()
                })
            })
            .unwrap_or(0);
        if recorded >= 2 {
            child.kill().unwrap();
            child.wait().unwrap();
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "apply finished before it could be interrupted"
        );
        std::thread::sleep(Duration::from_millis(2));
    }

    sb.run(&["apply", "--auto-approve"]).expect(0);
    let rt = rt();
    let ec2 = sb.ec2();
    let tag = || {
        Filter::builder()
            .name("tag:cairn:stack")
            .values("killcompute")
            .build()
    };
    let running: usize = rt
        .block_on(
            ec2.describe_instances()
                .filters(tag())
                .filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .values("running")
                        .build(),
                )
                .send(),
        )
        .unwrap()
        .reservations()
        .iter()
        .map(|r| r.instances().len())
        .sum();
    assert_eq!(running, INSTANCES, "no duplicate instances");
    let nats = rt
        .block_on(ec2.describe_nat_gateways().filter(tag()).send())
        .unwrap();
    let live = nats
        .nat_gateways()
        .iter()
        .filter(|g| g.state().map(|s| s.as_str()) == Some("available"))
        .count();
    let described: Vec<String> = nats
        .nat_gateways()
        .iter()
        .map(|g| {
            format!(
                "{:?} {:?} {:?} {:?}",
                g.nat_gateway_id(),
                g.state(),
                g.nat_gateway_addresses()
                    .first()
                    .and_then(|a| a.allocation_id()),
                g.tags()
                    .iter()
                    .filter_map(|t| t.value())
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert_eq!(
        live,
        2,
        "no duplicate NAT gateways: {described:#?}\nstate: {}",
        serde_json::to_string_pretty(&sb.state("killcompute")["resources"]).unwrap()
    );
    let state = sb.state("killcompute");
    let ids: std::collections::BTreeSet<&str> = state["resources"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        ids.len(),
        state["resources"].as_object().unwrap().len(),
        "every object recorded exactly once"
    );
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

/// What an apply that died between creating a VPC and recording it leaves:
/// the plan says it will adopt it, and apply does, creating no second one.
#[test]
fn the_plan_says_which_leftover_it_will_adopt() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        "[stack]\nname = \"leftover\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.52.0.0/16\"\n",
    )]);
    let rt = rt();
    let ec2 = sb.ec2();
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let orphan = rt
        .block_on(
            ec2.create_vpc()
                .cidr_block("10.52.0.0/16")
                .tag_specifications(
                    aws_sdk_ec2::types::TagSpecification::builder()
                        .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
                        .tags(tag("cairn:stack", "leftover"))
                        .tags(tag("cairn:address", "aws_vpc.main"))
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
    let plan = sb.run(&["plan"]).expect(0);
    assert!(
        plan.stdout.contains("aws_vpc.main will be adopted"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!("adopts {orphan}")),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        sb.state("leftover")["resources"]["aws_vpc.main"]["id"],
        orphan.as_str()
    );
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:cairn:stack")
                        .values("leftover")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "adopted, not duplicated");
}
