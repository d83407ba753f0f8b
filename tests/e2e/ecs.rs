//! ECS through the binary, checked through the SDK: a service whose tasks
//! run is drained and deleted by a destroy within its timeout, and an
//! apply killed during the service's create is finished by the next one
//! without a second service.

use cairn_testkit::MotoServer;

use crate::support::{rt, Sandbox};

const STACK: &str = r#"
[stack]
name = "ecs"

[provider.aws]
region = "eu-west-2"

[resource.aws_vpc.main]
cidr_block = "10.72.0.0/16"

[resource.aws_subnet.a]
vpc_id = "${aws_vpc.main.id}"
cidr_block = "10.72.1.0/24"
availability_zone = "eu-west-2a"

[resource.aws_security_group.tasks]
name = "ecs-tasks"
description = "the tasks"
vpc_id = "${aws_vpc.main.id}"

[resource.aws_ecs_cluster.main]
name = "ecs-e2e"
setting = [{ name = "containerInsights", value = "enabled" }]

[resource.aws_ecs_task_definition.web]
family = "web"
cpu = "256"
memory = "512"
network_mode = "awsvpc"
requires_compatibilities = ["FARGATE"]
container_definitions = '${jsonencode([{ name = "web", image = "nginx:1.27", essential = true, portMappings = [{ containerPort = 80 }] }])}'
lifecycle = { create_before_destroy = true }

[resource.aws_ecs_service.web]
name = "web"
cluster = "${aws_ecs_cluster.main.arn}"
task_definition = "${aws_ecs_task_definition.web.arn}"
desired_count = 2
launch_type = "FARGATE"
network_configuration = { subnets = ["${aws_subnet.a.id}"], security_groups = ["${aws_security_group.tasks.id}"] }
timeouts = { delete = "2m" }
"#;

/// The web service as ECS reports it: (status, desired, running).
fn web(sb: &Sandbox) -> Vec<(String, i32, i32)> {
    let out = rt()
        .block_on(
            sb.ecs()
                .describe_services()
                .cluster("ecs-e2e")
                .services("web")
                .send(),
        )
        .unwrap();
    out.services()
        .iter()
        .map(|s| {
            (
                s.status().unwrap_or_default().to_string(),
                s.desired_count(),
                s.running_count(),
            )
        })
        .collect()
}

#[test]
fn a_service_with_running_tasks_is_drained_and_deleted() {
    // Every service on this server runs 2 tasks.
    let sb = Sandbox {
        moto: MotoServer::start_with_env(&[("MOTO_ECS_SERVICE_RUNNING", "2")]),
        ..Sandbox::with_files(&[("main.toml", STACK)])
    };
    sb.run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(web(&sb), [("ACTIVE".to_string(), 2, 2)]);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);

    sb.run(&["destroy", "--auto-approve"]).expect(0);
    let after = web(&sb);
    assert_eq!(after.len(), 1);
    assert_eq!((after[0].0.as_str(), after[0].1), ("INACTIVE", 0));
    let clusters = rt()
        .block_on(sb.ecs().describe_clusters().clusters("ecs-e2e").send())
        .unwrap();
    assert_eq!(clusters.clusters()[0].status(), Some("INACTIVE"));
}

#[test]
fn an_apply_killed_during_the_service_create_is_finished_without_a_second() {
    // The kill must land after CreateService answered and before the state
    // records it: watched on the debug log, retried if it was late.
    for attempt in 0..3 {
        let sb = Sandbox::with_files(&[("main.toml", STACK)]);
        sb.apply_killed_at("CreateService");
        if sb.state("ecs")["resources"]
            .get("aws_ecs_service.web")
            .is_some()
        {
            eprintln!("attempt {attempt}: the kill came after the state write; again");
            continue;
        }
        assert_eq!(web(&sb).len(), 1, "created before the kill");

        sb.run(&["apply", "--auto-approve"]).expect(0);
        let services = rt()
            .block_on(sb.ecs().list_services().cluster("ecs-e2e").send())
            .unwrap();
        assert_eq!(services.service_arns().len(), 1, "adopted, not duplicated");
        assert_eq!(
            sb.state("ecs")["resources"]["aws_ecs_service.web"]["id"].as_str(),
            Some(services.service_arns()[0].as_str())
        );
        sb.run(&["plan", "--detailed-exitcode"]).expect(0);
        return;
    }
    panic!("the kill never landed inside the service's create");
}

#[test]
fn task_and_service_mistakes_ecs_refuses_late_are_caught_before_any_call() {
    // The load balancer sends to a port the container does not map.
    let wrong_port = STACK
        .replace(
            "[resource.aws_ecs_service.web]",
            r#"[resource.aws_lb_target_group.web]
name = "web"
port = 80
protocol = "HTTP"
vpc_id = "${aws_vpc.main.id}"
target_type = "ip"

[resource.aws_ecs_service.web]"#,
        )
        .replace(
            "timeouts = { delete = \"2m\" }",
            "load_balancer = [{ target_group_arn = \"${aws_lb_target_group.web.arn}\", container_name = \"web\", container_port = 8080 }]",
        );
    let sb = Sandbox::with_files(&[("main.toml", &wrong_port)]);
    let out = sb.run(&["plan"]).expect(1);
    assert!(
        out.stderr.contains(
            "the load balancer sends to port 8080 of container `web`, which maps only 80"
        ),
        "{}",
        out.stderr
    );
    let vpcs = rt().block_on(sb.ec2().describe_vpcs().send()).unwrap();
    assert!(
        vpcs.vpcs()
            .iter()
            .all(|v| v.cidr_block() != Some("10.72.0.0/16")),
        "nothing is created"
    );

    // A task size Fargate does not run.
    sb.write(
        "main.toml",
        &STACK.replace("memory = \"512\"", "memory = \"4096\""),
    );
    let out = sb.run(&["validate"]).expect(1);
    assert!(
        out.stderr
            .contains("Fargate runs cpu 256 with memory 512, 1024, 2048, not 4096"),
        "{}",
        out.stderr
    );
}
