//! AWS's request limits: an apply through a proxy that answers one call in
//! three with the service's throttling error (EC2's `RequestLimitExceeded`,
//! IAM's `Throttling`, CloudWatch Logs' `ThrottlingException`) finishes,
//! says that AWS throttled it, and leaves every object exactly once (checked
//! on moto directly, behind the proxy); the next plan is a no-op.

use crate::moto_client;
use crate::support::Sandbox;

const SUBNETS: usize = 40;
const GROUPS: usize = 15;
const ROLES: usize = 8;
const LOG_GROUPS: usize = 12;

fn stack() -> String {
    let mut s = String::from(
        "[stack]\nname = \"throttled\"\n\n[provider.aws]\nregion = \"eu-west-2\"\nmax_concurrency = { ec2 = 8, iam = 2 }\n\n[resource.aws_vpc.main]\ncidr_block = \"10.98.0.0/16\"\n",
    );
    for i in 0..SUBNETS {
        s.push_str(&format!(
            "\n[resource.aws_subnet.s{i:02}]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.98.{i}.0/24\"\n"
        ));
    }
    for i in 0..GROUPS {
        s.push_str(&format!(
            "\n[resource.aws_security_group.g{i:02}]\nname = \"throttled-{i:02}\"\ndescription = \"g\"\nvpc_id = \"${{aws_vpc.main.id}}\"\n"
        ));
    }
    let trust = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ecs-tasks.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"#;
    for i in 0..ROLES {
        s.push_str(&format!(
            "\n[resource.aws_iam_role.r{i:02}]\nname = \"throttled-{i:02}\"\nassume_role_policy = \"{trust}\"\n"
        ));
    }
    for i in 0..LOG_GROUPS {
        s.push_str(&format!(
            "\n[resource.aws_cloudwatch_log_group.l{i:02}]\nname = \"/throttled/{i:02}\"\n"
        ));
    }
    s
}

#[test]
fn a_throttled_apply_finishes_with_every_object_once() {
    let sb = Sandbox::with_files(&[("main.toml", &stack())]);
    let proxy = cairn_testkit::throttling_proxy::start(sb.moto.port(), 3);
    let through_proxy = |args: &[&str]| {
        sb.command(args)
            .env("AWS_ENDPOINT_URL", proxy.endpoint())
            .output()
            .unwrap()
    };

    let out = through_proxy(&["apply", "--auto-approve", "--parallelism", "20"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        proxy.throttled() > 20,
        "the proxy throttled {} calls",
        proxy.throttled()
    );
    assert!(
        stderr.contains("AWS throttled") && stderr.contains("every one was retried"),
        "{stderr}"
    );

    let rt = crate::support::rt();
    let ec2 = moto_client!(sb, aws_sdk_ec2, "eu-west-2");
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("cidr")
                        .values("10.98.0.0/16")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "one VPC");
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    let in_vpc = aws_sdk_ec2::types::Filter::builder()
        .name("vpc-id")
        .values(&vpc)
        .build();
    let subnets = rt
        .block_on(ec2.describe_subnets().filters(in_vpc.clone()).send())
        .unwrap();
    assert_eq!(subnets.subnets().len(), SUBNETS);
    let groups = rt
        .block_on(ec2.describe_security_groups().filters(in_vpc).send())
        .unwrap();
    let named = groups
        .security_groups()
        .iter()
        .filter(|g| g.group_name().is_some_and(|n| n.starts_with("throttled-")))
        .count();
    assert_eq!(named, GROUPS);
    let iam = moto_client!(sb, aws_sdk_iam, "eu-west-2");
    let roles = rt.block_on(iam.list_roles().send()).unwrap();
    let roles = roles
        .roles()
        .iter()
        .filter(|r| r.role_name().starts_with("throttled-"))
        .count();
    assert_eq!(roles, ROLES);
    let logs = moto_client!(sb, aws_sdk_cloudwatchlogs, "eu-west-2");
    let log_groups = rt
        .block_on(
            logs.describe_log_groups()
                .log_group_name_prefix("/throttled/")
                .send(),
        )
        .unwrap();
    assert_eq!(log_groups.log_groups().len(), LOG_GROUPS);

    let state = sb.state("throttled");
    assert_eq!(
        state["resources"].as_object().map(|r| r.len()),
        Some(1 + SUBNETS + GROUPS + ROLES + LOG_GROUPS),
        "every object recorded once"
    );

    let replan = through_proxy(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        replan.status.code(),
        Some(0),
        "the re-plan through the proxy is a no-op: {}",
        String::from_utf8_lossy(&replan.stdout)
    );
}

#[test]
fn an_unknown_service_in_max_concurrency_is_an_error_at_its_line() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        "[stack]\nname = \"x\"\n\n[provider.aws]\nregion = \"eu-west-2\"\nmax_concurrency = { ec3 = 4 }\n",
    )]);
    let out = sb.run(&["validate"]).expect(1);
    let stderr = out.stderr;
    assert!(stderr.contains("main.toml:6:"), "{stderr}");
    assert!(
        stderr.contains("`ec3`") && stderr.contains("ec2"),
        "{stderr}"
    );
}
