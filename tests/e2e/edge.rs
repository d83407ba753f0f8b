//! The edge of an estate through the binary, checked through the SDK:
//! listener rules change priority and trade priorities in one apply, a
//! target group in use is replaced with create_before_destroy, a protected
//! load balancer is not destroyed (exit 1, nothing deleted), and an apply
//! killed during the load balancer's create is finished by the next one
//! without a second load balancer.

use crate::support::{rt, Sandbox};

const STACK: &str = r#"
[stack]
name = "edge"

[provider.aws]
region = "eu-west-2"

[resource.aws_vpc.main]
cidr_block = "10.70.0.0/16"

[resource.aws_subnet.a]
vpc_id = "${aws_vpc.main.id}"
cidr_block = "10.70.1.0/24"
availability_zone = "eu-west-2a"

[resource.aws_subnet.b]
vpc_id = "${aws_vpc.main.id}"
cidr_block = "10.70.2.0/24"
availability_zone = "eu-west-2b"

[resource.aws_security_group.alb]
name = "edge-alb"
description = "the load balancer"
vpc_id = "${aws_vpc.main.id}"

[resource.aws_lb.main]
name = "edge-alb"
subnets = ["${aws_subnet.a.id}", "${aws_subnet.b.id}"]
security_groups = ["${aws_security_group.alb.id}"]
enable_deletion_protection = false

[resource.aws_lb_target_group.api]
name_prefix = "api-"
port = 8000
protocol = "HTTP"
vpc_id = "${aws_vpc.main.id}"
target_type = "ip"
health_check = { path = "/health" }
lifecycle = { create_before_destroy = true }

[resource.aws_lb_target_group.admin]
name_prefix = "adm-"
port = 80
protocol = "HTTP"
vpc_id = "${aws_vpc.main.id}"
target_type = "ip"

[resource.aws_lb_listener.http]
load_balancer_arn = "${aws_lb.main.arn}"
port = 80
default_action = [{ type = "fixed-response", fixed_response = { content_type = "text/plain", message_body = "not here", status_code = "404" } }]

[resource.aws_lb_listener_rule.api]
listener_arn = "${aws_lb_listener.http.arn}"
priority = 10
action = [{ type = "forward", target_group_arn = "${aws_lb_target_group.api.arn}" }]
condition = [{ path_pattern = { values = ["/api/*", "/docs"] } }]

[resource.aws_lb_listener_rule.admin]
listener_arn = "${aws_lb_listener.http.arn}"
priority = 20
action = [{ type = "forward", target_group_arn = "${aws_lb_target_group.admin.arn}" }]
condition = [{ host_header = { values = ["tracker-admin.staging.glimpse.technology"] } }]
"#;

/// Priority of each rule on the listener, by the target group it forwards
/// to (read through the SDK).
fn priorities(sb: &Sandbox) -> Vec<(String, String)> {
    let elb = sb.elb();
    let rt = rt();
    let lbs = rt.block_on(elb.describe_load_balancers().send()).unwrap();
    let lb = lbs.load_balancers()[0].load_balancer_arn().unwrap();
    let listeners = rt
        .block_on(elb.describe_listeners().load_balancer_arn(lb).send())
        .unwrap();
    let listener = listeners.listeners()[0].listener_arn().unwrap();
    let rules = rt
        .block_on(elb.describe_rules().listener_arn(listener).send())
        .unwrap();
    let mut out: Vec<(String, String)> = rules
        .rules()
        .iter()
        .filter(|r| r.is_default() != Some(true))
        .map(|r| {
            let group = r.actions()[0].target_group_arn().unwrap_or_default();
            let name = group.split('/').nth(1).unwrap_or_default();
            (name[..4].to_string(), r.priority().unwrap().to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn rules_move_and_trade_priorities_and_groups_in_use_are_replaced() {
    let sb = Sandbox::with_files(&[("main.toml", STACK)]);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(
        priorities(&sb),
        [("adm-".into(), "20".into()), ("api-".into(), "10".into())]
    );

    // A move in place: the rule keeps its ARN.
    let before = sb.state("edge")["resources"]["aws_lb_listener_rule.api"]["id"].clone();
    sb.edit("main.toml", "priority = 10", "priority = 15");
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        sb.state("edge")["resources"]["aws_lb_listener_rule.api"]["id"],
        before
    );
    assert_eq!(
        priorities(&sb),
        [("adm-".into(), "20".into()), ("api-".into(), "15".into())]
    );

    // Two rules trade priorities in one apply.
    sb.edit("main.toml", "priority = 15", "priority = 99");
    sb.edit("main.toml", "priority = 20", "priority = 15");
    sb.edit("main.toml", "priority = 99", "priority = 20");
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(
        priorities(&sb),
        [("adm-".into(), "15".into()), ("api-".into(), "20".into())]
    );
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    // A new port forces a new group; the rule forwarding to it moves to the
    // new group before the old one is deleted (AWS refuses to delete a
    // group in use).
    let old_group = sb.state("edge")["resources"]["aws_lb_target_group.api"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sb.edit("main.toml", "port = 8000", "port = 8080");
    let plan = sb.run(&["plan"]).expect(0);
    assert!(
        plan.stdout
            .contains("aws_lb_target_group.api must be replaced"),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let groups = rt()
        .block_on(sb.elb().describe_target_groups().send())
        .unwrap();
    let names: Vec<&str> = groups
        .target_groups()
        .iter()
        .filter_map(|g| g.target_group_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(groups
        .target_groups()
        .iter()
        .all(|g| g.target_group_arn() != Some(old_group.as_str())));
    assert!(groups.target_groups().iter().any(|g| g
        .target_group_name()
        .unwrap()
        .starts_with("api-")
        && g.port() == Some(8080)));
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_protected_load_balancer_is_not_destroyed() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        &STACK.replace(
            "enable_deletion_protection = false",
            "enable_deletion_protection = true",
        ),
    )]);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let refused = sb.run(&["destroy", "--auto-approve"]).expect(1);
    assert!(
        refused.stderr.contains("enable_deletion_protection")
            && refused.stderr.contains("aws_lb.main"),
        "{}",
        refused.stderr
    );
    // Refused before any call: everything is still there.
    let lbs = rt()
        .block_on(sb.elb().describe_load_balancers().send())
        .unwrap();
    assert_eq!(lbs.load_balancers().len(), 1);
    let rules = sb.state("edge")["resources"].as_object().unwrap().len();
    assert_eq!(rules, 10);
    // A replacement is refused the same way.
    sb.edit(
        "main.toml",
        "name = \"edge-alb\"\nsubnets",
        "name = \"edge-alb2\"\nsubnets",
    );
    let plan = sb.run(&["plan"]).expect(1);
    assert!(
        plan.stderr.contains("it must be replaced"),
        "{}",
        plan.stderr
    );

    // Turning protection off first, then destroying, works.
    sb.edit(
        "main.toml",
        "name = \"edge-alb2\"\nsubnets",
        "name = \"edge-alb\"\nsubnets",
    );
    sb.edit(
        "main.toml",
        "enable_deletion_protection = true",
        "enable_deletion_protection = false",
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["destroy", "--auto-approve"]).expect(0);
    let lbs = rt()
        .block_on(sb.elb().describe_load_balancers().send())
        .unwrap();
    assert!(lbs.load_balancers().is_empty());
}

#[test]
fn an_apply_killed_during_the_load_balancer_create_is_finished_without_a_second() {
    // The kill must land after CreateLoadBalancer answered and before the
    // state records it: watched on the debug log, retried if it was late.
    for attempt in 0..3 {
        let sb = Sandbox::with_files(&[("main.toml", STACK)]);
        sb.apply_killed_at("CreateLoadBalancer");
        let recorded = sb.state("edge")["resources"].get("aws_lb.main").is_some();
        if recorded {
            eprintln!("attempt {attempt}: the kill came after the state write; again");
            continue;
        }
        let lbs = rt()
            .block_on(sb.elb().describe_load_balancers().send())
            .unwrap();
        assert_eq!(lbs.load_balancers().len(), 1, "created before the kill");

        sb.run(&["apply", "--auto-approve"]).expect(0);
        let lbs = rt()
            .block_on(sb.elb().describe_load_balancers().send())
            .unwrap();
        assert_eq!(lbs.load_balancers().len(), 1, "adopted, not duplicated");
        assert_eq!(
            sb.state("edge")["resources"]["aws_lb.main"]["id"].as_str(),
            lbs.load_balancers()[0].load_balancer_arn()
        );
        sb.run(&["plan", "--detailed-exitcode"]).expect(0);
        return;
    }
    panic!("the kill never landed inside the load balancer's create");
}

#[test]
fn rule_mistakes_aws_refuses_are_caught_before_any_call() {
    let duplicate = STACK.replace("priority = 20", "priority = 10");
    let sb = Sandbox::with_files(&[("main.toml", &duplicate)]);
    let out = sb.run(&["plan"]).expect(1);
    assert!(
        out.stderr
            .contains("priority 10 is already used on this listener")
            && out.stderr.contains("aws_lb_listener_rule.api has it"),
        "{}",
        out.stderr
    );
    let lbs = rt()
        .block_on(sb.elb().describe_load_balancers().send())
        .unwrap();
    assert!(lbs.load_balancers().is_empty());

    let six = STACK.replace(
        r#"values = ["/api/*", "/docs"]"#,
        r#"values = ["/api/*", "/api/v1/*", "/docs", "/redoc", "/openapi.json", "/health"]"#,
    );
    sb.write("main.toml", &six);
    let out = sb.run(&["validate"]).expect(1);
    assert!(
        out.stderr
            .contains("the conditions hold 6 values; AWS allows at most 5 per rule"),
        "{}",
        out.stderr
    );
}
