//! The `ecs-service` module (stacks/modules/ecs-service, from
//! transparent-trust-ecs-fargate.txt) through its example stack
//! (stacks/ecs-service), which calls it twice with the document's
//! production and development shapes: both apply against moto, re-plan
//! clean and are checked through the SDK; one instance's input toggled
//! plans exactly its own deletes; Fargate sizes outside the document's
//! table are refused before anything is made.

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::types::Filter;

use crate::support::{rt, Sandbox};

/// A client of the sandbox's moto in us-east-1, the example's region (the
/// support clients are eu-west-2's).
macro_rules! client {
    ($sb:expr, $sdk:ident) => {
        $sdk::Client::from_conf(
            $sdk::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .endpoint_url($sb.moto.endpoint())
                .credentials_provider(Credentials::new("testing", "testing", None, None, "e2e"))
                .build(),
        )
    };
}

/// One module instance as the example configures it.
struct Shape {
    instance: &'static str,
    cpu: &'static str,
    memory: &'static str,
    desired: i32,
    capacity_provider: &'static str,
    redis: bool,
    exec: bool,
    log_retention: i32,
    kms_logs: bool,
    scaling: (f64, f64),
}

const SHAPES: [Shape; 2] = [
    Shape {
        instance: "production",
        cpu: "1024",
        memory: "2048",
        desired: 3,
        capacity_provider: "FARGATE",
        redis: true,
        exec: false,
        log_retention: 90,
        kms_logs: true,
        scaling: (3.0, 20.0),
    },
    Shape {
        instance: "development",
        cpu: "256",
        memory: "512",
        desired: 1,
        capacity_provider: "FARGATE_SPOT",
        redis: false,
        exec: true,
        log_retention: 7,
        kms_logs: false,
        // Autoscaling off: the count pinned at desired_count.
        scaling: (1.0, 1.0),
    },
];

const ALARMS: [&str; 3] = ["cpu_high", "memory_high", "no_tasks"];

#[test]
fn both_instances_apply_replan_clean_and_one_instances_alarms_go_alone() {
    let sb = Sandbox::new("ecs-service");
    let rt = rt();
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout
            .contains("Plan: 80 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let again = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.code, 0,
        "re-plan is not clean:\n{}\n{}",
        again.stdout, again.stderr
    );

    let state = sb.state("ecs-service");
    let attrs = |a: &str| -> serde_json::Value {
        let v = &state["resources"][a]["attributes"];
        assert!(!v.is_null(), "{a} is not in state");
        v.clone()
    };
    let id = |a: &str| attrs(a)["id"].as_str().unwrap().to_string();
    let key_arn = attrs("aws_kms_key.this")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let topic = id("aws_sns_topic.alerts");
    let alb_group = id("aws_security_group.alb");
    let mut private = vec![
        id("aws_subnet.private[\"us-east-1a\"]"),
        id("aws_subnet.private[\"us-east-1b\"]"),
    ];
    private.sort();
    let outputs: serde_json::Value =
        serde_json::from_str(&sb.run(&["output", "--json"]).expect(0).stdout).unwrap();

    let ecs = client!(sb, aws_sdk_ecs);
    let ec2 = client!(sb, aws_sdk_ec2);
    let logs = client!(sb, aws_sdk_cloudwatchlogs);
    let elb = client!(sb, aws_sdk_elasticloadbalancingv2);
    for shape in &SHAPES {
        let i = shape.instance;
        let module = |a: &str| format!("module.{i}.{a}");
        let cluster = format!("transparent-trust-cluster-{i}");
        let service_name = format!("transparent-trust-service-{i}");

        // The cluster, with Container Insights.
        let clusters = rt
            .block_on(
                ecs.describe_clusters()
                    .clusters(&cluster)
                    .include(aws_sdk_ecs::types::ClusterField::Settings)
                    .send(),
            )
            .unwrap();
        assert_eq!(clusters.clusters().len(), 1, "{i}: {clusters:?}");
        let c = &clusters.clusters()[0];
        assert_eq!(c.status(), Some("ACTIVE"), "{i}");
        assert!(
            c.settings().iter().any(
                |s| s.name().map(|n| n.as_str()) == Some("containerInsights")
                    && s.value() == Some("enabled")
            ),
            "{i}: {c:?}"
        );

        // The service: private, behind its own target group, the task's
        // security group, the shape's count and capacity provider.
        let services = rt
            .block_on(
                ecs.describe_services()
                    .cluster(&cluster)
                    .services(&service_name)
                    .send(),
            )
            .unwrap();
        assert_eq!(services.services().len(), 1, "{i}: {services:?}");
        let s = &services.services()[0];
        assert_eq!(s.status(), Some("ACTIVE"), "{i}");
        assert_eq!(s.desired_count(), shape.desired, "{i}");
        let target_group = id(&format!("aws_lb_target_group.app[\"{i}\"]"));
        let lb = &s.load_balancers()[0];
        assert_eq!(lb.target_group_arn(), Some(target_group.as_str()), "{i}");
        assert_eq!(lb.container_name(), Some("app"), "{i}");
        assert_eq!(lb.container_port(), Some(3000), "{i}");
        let network = s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .unwrap();
        assert_eq!(
            network.assign_public_ip().map(|a| a.as_str()),
            Some("DISABLED"),
            "{i}"
        );
        let mut subnets = network.subnets().to_vec();
        subnets.sort();
        assert_eq!(subnets, private, "{i}");
        let tasks_group = id(&module("aws_security_group.tasks"));
        assert_eq!(
            network.security_groups(),
            std::slice::from_ref(&tasks_group),
            "{i}"
        );
        // moto ignores a capacity provider strategy (it reports EC2):
        // what was sent is in state.
        assert_eq!(
            attrs(&module("aws_ecs_service.this"))["capacity_provider_strategy"][0]
                ["capacity_provider"],
            shape.capacity_provider,
            "{i}"
        );

        // The task definition: size, the Next.js container on 3000, its
        // secrets by reference, NEXTAUTH_URL, the health check.
        let family = rt
            .block_on(
                ecs.describe_task_definition()
                    .task_definition(format!("transparent-trust-{i}"))
                    .send(),
            )
            .unwrap();
        let task = family.task_definition().unwrap();
        assert_eq!(
            (task.cpu(), task.memory()),
            (Some(shape.cpu), Some(shape.memory)),
            "{i}"
        );
        let container = &task.container_definitions()[0];
        assert_eq!(container.name(), Some("app"), "{i}");
        assert!(
            container
                .image()
                .unwrap()
                .ends_with(&format!("/transparent-trust-{i}:latest")),
            "{i}: {:?}",
            container.image()
        );
        assert_eq!(
            container.port_mappings()[0].container_port(),
            Some(3000),
            "{i}"
        );
        let secret = |name: &str| id(&format!("aws_secretsmanager_secret.this[\"{i}/{name}\"]"));
        let mut secrets: Vec<(String, String)> = container
            .secrets()
            .iter()
            .map(|s| (s.name().to_string(), s.value_from().to_string()))
            .collect();
        secrets.sort();
        let mut expected = vec![
            ("ANTHROPIC_API_KEY".to_string(), secret("anthropic")),
            ("DATABASE_URL".to_string(), secret("database")),
            ("ENCRYPTION_KEY".to_string(), secret("encryption-key")),
            (
                "GOOGLE_CLIENT_ID".to_string(),
                format!("{}:client_id::", secret("google-oauth")),
            ),
            (
                "GOOGLE_CLIENT_SECRET".to_string(),
                format!("{}:client_secret::", secret("google-oauth")),
            ),
            ("NEXTAUTH_SECRET".to_string(), secret("nextauth")),
        ];
        if shape.redis {
            expected.push(("REDIS_URL".to_string(), secret("redis")));
        }
        expected.sort();
        assert_eq!(secrets, expected, "{i}");
        let url = if i == "production" {
            "https://app.example.com"
        } else {
            "https://dev.app.example.com"
        };
        assert!(
            container
                .environment()
                .iter()
                .any(|e| e.name() == Some("NEXTAUTH_URL") && e.value() == Some(url)),
            "{i}: {:?}",
            container.environment()
        );
        let check = container.health_check().unwrap().command().join(" ");
        assert!(
            check.contains("http://localhost:3000/api/health"),
            "{i}: {check}"
        );
        assert_eq!(
            container
                .linux_parameters()
                .and_then(|l| l.init_process_enabled())
                .unwrap_or(false),
            shape.exec,
            "{i}: ECS Exec wants an init process"
        );

        // The tasks accept 3000 from the load balancer's group only.
        let rules = rt
            .block_on(
                ec2.describe_security_group_rules()
                    .filters(
                        Filter::builder()
                            .name("group-id")
                            .values(&tasks_group)
                            .build(),
                    )
                    .send(),
            )
            .unwrap();
        let ingress: Vec<(Option<i32>, Option<String>)> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(false))
            .map(|r| {
                (
                    r.from_port(),
                    r.referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(String::from),
                )
            })
            .collect();
        assert_eq!(ingress, [(Some(3000), Some(alb_group.clone()))], "{i}");
        let mut egress: Vec<(Option<i32>, Option<String>)> = rules
            .security_group_rules()
            .iter()
            .filter(|r| r.is_egress() == Some(true))
            .map(|r| (r.from_port(), r.cidr_ipv4().map(String::from)))
            .collect();
        egress.sort();
        assert_eq!(
            egress,
            [
                (Some(443), Some("0.0.0.0/0".to_string())),
                (Some(5432), Some("10.30.0.0/16".to_string())),
                (Some(6379), Some("10.30.0.0/16".to_string())),
            ],
            "{i}"
        );

        // Logs: the shape's retention, the stack's key in production.
        let groups = rt
            .block_on(
                logs.describe_log_groups()
                    .log_group_name_prefix(format!("/aws/ecs/transparent-trust-{i}"))
                    .send(),
            )
            .unwrap();
        assert_eq!(groups.log_groups().len(), 1, "{i}");
        let group = &groups.log_groups()[0];
        assert_eq!(group.retention_in_days(), Some(shape.log_retention), "{i}");
        assert_eq!(
            group.kms_key_id(),
            shape.kms_logs.then_some(key_arn.as_str()),
            "{i}"
        );

        // The target group the service is behind: 3000, the app's health path.
        let tgs = rt
            .block_on(
                elb.describe_target_groups()
                    .target_group_arns(&target_group)
                    .send(),
            )
            .unwrap();
        assert_eq!(tgs.target_groups()[0].port(), Some(3000), "{i}");
        assert_eq!(
            tgs.target_groups()[0].health_check_path(),
            Some("/api/health"),
            "{i}"
        );

        // Autoscaling and alarms (recorded: moto's Application Auto Scaling
        // and CloudWatch are read by cairn's refresh, which re-planned clean).
        let target = attrs(&module("aws_appautoscaling_target.this"));
        assert_eq!(
            (
                target["min_capacity"].as_f64(),
                target["max_capacity"].as_f64()
            ),
            (Some(shape.scaling.0), Some(shape.scaling.1)),
            "{i}"
        );
        let scaled = i == "production";
        for policy in ["cpu", "memory"] {
            let address = module(&format!("aws_appautoscaling_policy.{policy}[0]"));
            assert_eq!(!state["resources"][&address].is_null(), scaled, "{address}");
        }
        for alarm in ALARMS {
            let address = module(&format!("aws_cloudwatch_metric_alarm.{alarm}[0]"));
            let recorded = &state["resources"][&address];
            assert_eq!(!recorded.is_null(), i == "production", "{address}");
            if !recorded.is_null() {
                assert_eq!(
                    recorded["attributes"]["alarm_actions"],
                    serde_json::json!([topic]),
                    "{address}"
                );
            }
        }
        // ECR: the stack's key in production, AES256 in development.
        let repository = attrs(&module("aws_ecr_repository.this"));
        let encryption = &repository["encryption_configuration"];
        let encryption = if encryption.is_array() {
            &encryption[0]
        } else {
            encryption
        };
        assert_eq!(
            encryption["encryption_type"],
            if i == "production" { "KMS" } else { "AES256" },
            "{i}: {encryption}"
        );

        // The document's outputs, per instance.
        assert_eq!(
            outputs["deployment_info"]["value"][i]["capacity_provider"], shape.capacity_provider,
            "{i}"
        );
        assert_eq!(
            outputs["deployment_info"]["value"][i]["service"],
            service_name.as_str()
        );
        assert_eq!(
            outputs["useful_commands"]["value"][i]["exec"].is_string(),
            shape.exec,
            "{i}: {}",
            outputs["useful_commands"]
        );
        assert!(outputs["useful_commands"]["value"][i]["deploy"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "--cluster {cluster} --service {service_name} --force-new-deployment"
            )));
        assert!(outputs["ecr_repository_urls"]["value"][i]
            .as_str()
            .unwrap()
            .ends_with(&format!("/transparent-trust-{i}")));
    }

    // Production's alarms off: exactly its three alarms are deleted,
    // nothing else changes (development has none to lose).
    let toggle = sb
        .run(&["plan", "--json", "--var", "production_alarms=false"])
        .expect(0);
    let json: serde_json::Value = serde_json::from_str(&toggle.stdout).unwrap();
    let mut changes: Vec<(String, String, String)> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["mode"] == "managed" && c["change"]["actions"] != serde_json::json!(["no-op"])
        })
        .map(|c| {
            (
                c["address"].as_str().unwrap_or("").to_string(),
                c["change"]["actions"].to_string(),
                c["action_reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    changes.sort();
    let expected: Vec<(String, String, String)> = ALARMS
        .iter()
        .map(|a| {
            (
                format!("module.production.aws_cloudwatch_metric_alarm.{a}[0]"),
                r#"["delete"]"#.to_string(),
                "delete_because_count_index".to_string(),
            )
        })
        .collect();
    assert_eq!(changes, expected, "{}", toggle.stdout);
    assert_eq!(json["summary"]["add"], 0);
    assert_eq!(json["summary"]["change"], 0);
    assert_eq!(json["summary"]["destroy"], 3);

    sb.run(&[
        "apply",
        "--auto-approve",
        "--var",
        "production_alarms=false",
    ])
    .expect(0);
    sb.run(&[
        "plan",
        "--detailed-exitcode",
        "--var",
        "production_alarms=false",
    ])
    .expect(0);
    let state = sb.state("ecs-service");
    for alarm in ALARMS {
        assert!(state["resources"]
            [&format!("module.production.aws_cloudwatch_metric_alarm.{alarm}[0]")]
            .is_null());
    }
    assert!(!state["resources"]["module.production.aws_ecs_service.this"].is_null());
    // Back on: the three come back, nothing else.
    let back = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        back.stdout
            .contains("Plan: 3 to add, 0 to change, 0 to destroy."),
        "{}",
        back.stdout
    );
}

#[test]
fn fargate_sizes_outside_the_documents_table_are_refused_before_anything_is_made() {
    let sb = Sandbox::new("ecs-service");
    // A memory size no Fargate CPU takes: the variable's own validation.
    sb.edit("ecs.toml", "task_memory = 512", "task_memory = 1000");
    let out = sb.run(&["validate"]).expect(1);
    assert!(
        out.stderr
            .contains("Fargate task_memory is 512, or 1024 to 30720 in 1024 MB steps"),
        "{}",
        out.stderr
    );
    // A CPU value outside the table.
    sb.edit("ecs.toml", "task_memory = 1000", "task_memory = 512");
    sb.edit("ecs.toml", "task_cpu = 256", "task_cpu = 300");
    let out = sb.run(&["validate"]).expect(1);
    assert!(
        out.stderr
            .contains("Fargate task_cpu is 256 (.25 vCPU), 512, 1024, 2048 or 4096 (4 vCPU)"),
        "{}",
        out.stderr
    );
    // Both valid alone, not together: the task definition's check, when
    // the plan knows both.
    sb.edit("ecs.toml", "task_cpu = 300", "task_cpu = 256");
    sb.edit("ecs.toml", "task_memory = 512", "task_memory = 4096");
    let out = sb.run(&["plan"]).expect(1);
    assert!(
        out.stderr
            .contains("Fargate runs cpu 256 with memory 512, 1024, 2048, not 4096"),
        "{}",
        out.stderr
    );
    let ec2 = client!(sb, aws_sdk_ec2);
    let vpcs = rt().block_on(ec2.describe_vpcs().send()).unwrap();
    assert!(
        vpcs.vpcs()
            .iter()
            .all(|v| v.cidr_block() != Some("10.30.0.0/16")),
        "nothing is created"
    );
}
