//! Refresh is batched: a no-op plan makes the same number of AWS calls for
//! 5 subnets as for 60 (one Describe per type and chunk, not per resource).
//! Counted from the per-call debug log (`CAIRN_LOG=debug`).

use crate::support::Sandbox;

fn stack(subnets: usize) -> String {
    let mut s = String::from(
        "[stack]\nname = \"calls\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.97.0.0/16\"\n",
    );
    for i in 0..subnets {
        s.push_str(&format!(
            "\n[resource.aws_subnet.s{i:02}]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.97.{i}.0/24\"\n"
        ));
    }
    s
}

/// A stack of `n` log groups and one KMS key, all tagged by cairn: their
/// tags come from one tagging-API listing, not one call per resource.
fn tagged_stack(n: usize) -> String {
    let mut s = String::from(
        "[stack]\nname = \"tags\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_kms_key.k]\ndescription = \"k\"\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "\n[resource.aws_cloudwatch_log_group.g{i:02}]\nname = \"/cairn/calls/g{i:02}\"\ntags = {{ Team = \"t\" }}\n"
        ));
    }
    s
}

/// AWS calls of a no-op plan, by operation.
fn calls_of_a_noop_plan(subnets: usize) -> Vec<String> {
    noop_plan_calls(&stack(subnets))
}

fn noop_plan_calls(stack: &str) -> Vec<String> {
    let sb = Sandbox::with_files(&[("main.toml", stack)]);
    sb.run(&["apply", "--auto-approve", "--parallelism", "20"])
        .expect(0);
    let out = sb
        .command(&["plan", "--detailed-exitcode"])
        .env("CAIRN_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "the re-plan is a no-op");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut ops: Vec<String> = log
        .lines()
        .filter(|l| l.contains("aws call"))
        .filter_map(|l| l.split("operation=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    ops.sort();
    ops
}

#[test]
fn a_noop_plan_reads_each_type_in_one_batch() {
    let small = calls_of_a_noop_plan(5);
    let large = calls_of_a_noop_plan(60);
    assert_eq!(
        small, large,
        "calls must not grow with the number of resources"
    );
    assert_eq!(
        large.iter().filter(|o| *o == "DescribeSubnets").count(),
        1,
        "{large:?}"
    );
    assert!(large.len() <= 8, "{large:?}");
}

#[test]
fn tags_of_log_groups_and_keys_are_read_in_one_listing() {
    let small = noop_plan_calls(&tagged_stack(2));
    let large = noop_plan_calls(&tagged_stack(12));
    assert_eq!(
        small, large,
        "calls must not grow with the number of log groups"
    );
    assert!(
        !large
            .iter()
            .any(|o| o == "ListTagsForResource" || o == "ListResourceTags"),
        "{large:?}"
    );
    assert_eq!(
        large.iter().filter(|o| *o == "DescribeLogGroups").count(),
        1,
        "{large:?}"
    );
}
