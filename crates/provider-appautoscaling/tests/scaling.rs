//! aws_appautoscaling_target and aws_appautoscaling_policy against moto,
//! checked through the SDK: an ECS service scaled between 2 and 10 tasks
//! on CPU 70 and memory 80, as the reference estates do.
//!
//! Not testable here: tags of scalable targets (moto implements neither
//! TagResource nor ListTagsForResource for Application Auto Scaling, and
//! ignores the tags RegisterScalableTarget carries).

mod common;

use cairn_testkit::calls::Calls;
use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{MetricType, ServiceNamespace};
use cairn_core::provider::ReadContext;
use cairn_core::{Object, OpContext, ReadOutcome, ReadRequest, Resource, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn target(resource_id: &str, min: i64, max: i64) -> Object {
    object(&[
        ("service_namespace", "ecs".into()),
        ("resource_id", resource_id.into()),
        ("scalable_dimension", "ecs:service:DesiredCount".into()),
        ("min_capacity", min.into()),
        ("max_capacity", max.into()),
        ("tags", tags(&[("Service", "api")])),
    ])
}

fn policy(name: &str, resource_id: &str, metric: &str, value: i64) -> Object {
    object(&[
        ("name", name.into()),
        ("policy_type", "TargetTrackingScaling".into()),
        ("service_namespace", "ecs".into()),
        ("resource_id", resource_id.into()),
        ("scalable_dimension", "ecs:service:DesiredCount".into()),
        (
            "target_tracking_scaling_policy_configuration",
            map(&[
                ("target_value", value.into()),
                (
                    "predefined_metric_specification",
                    map(&[("predefined_metric_type", metric.into())]),
                ),
                ("scale_in_cooldown", 300.into()),
                ("scale_out_cooldown", 60.into()),
                ("disable_scale_in", false.into()),
            ]),
        ),
    ])
}

async fn read(r: &dyn Resource, items: &[(&str, &Object)]) -> Vec<Option<Object>> {
    let requests: Vec<ReadRequest> = items
        .iter()
        .map(|(id, prior)| ReadRequest { id, prior })
        .collect();
    r.read(&requests, &ReadContext::default())
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

fn tracked(o: &Object, key: &str) -> Value {
    o["target_tracking_scaling_policy_configuration"]
        .as_map()
        .unwrap()
        .get(key)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_ecs_service_scales_on_cpu_70_and_memory_80() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_appautoscaling::register);
    let sdk = aws.sdk_config().await.unwrap();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let aas = aws_sdk_applicationautoscaling::Client::new(sdk);
    let services = common::ecs_services(&ecs, "tracker", &["api"]).await;
    let api = services[0].as_str();
    let targets = registry.resource("aws_appautoscaling_target").unwrap();
    let policies = registry.resource("aws_appautoscaling_policy").unwrap();
    let ctx = op_context("aws_appautoscaling_target.api");

    let made = targets.create(&ctx, &target(api, 2, 10)).await.unwrap();
    assert_eq!(
        made["id"].as_str(),
        Some(api),
        "id = resource_id, as Terraform"
    );
    assert!(made["arn"].as_str().unwrap().contains(":scalable-target/"));

    // Capacities change in place by registering again: same target.
    let mut planned = made.clone();
    planned.insert("max_capacity".into(), 20.into());
    let updated = targets
        .update(&ctx, api, &made, &planned, &["max_capacity".into()])
        .await
        .unwrap();
    assert_eq!(updated["arn"].as_str(), made["arn"].as_str());
    let live = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(api)
        .send()
        .await
        .unwrap();
    assert_eq!(live.scalable_targets().len(), 1);
    assert_eq!(live.scalable_targets()[0].min_capacity(), 2);
    assert_eq!(live.scalable_targets()[0].max_capacity(), 20);

    let pctx = op_context("aws_appautoscaling_policy.cpu");
    let cpu = policies
        .create(
            &pctx,
            &policy("api-cpu", api, "ECSServiceAverageCPUUtilization", 70),
        )
        .await
        .unwrap();
    let memory = policies
        .create(
            &op_context("aws_appautoscaling_policy.memory"),
            &policy("api-memory", api, "ECSServiceAverageMemoryUtilization", 80),
        )
        .await
        .unwrap();
    assert_eq!(
        cpu["id"].as_str(),
        Some("api-cpu"),
        "id = name, as Terraform"
    );
    // Target tracking made its own alarms: they are the policy's.
    let alarms = cpu["alarm_arns"].as_list().unwrap();
    assert!(!alarms.is_empty());
    assert!(alarms
        .iter()
        .all(|a| a.as_str().unwrap().contains(":alarm:TargetTracking-")));

    let live = aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(api)
        .send()
        .await
        .unwrap();
    let by_name = |n: &str| {
        live.scaling_policies()
            .iter()
            .find(|p| p.policy_name() == n)
            .and_then(|p| p.target_tracking_scaling_policy_configuration())
            .cloned()
            .unwrap()
    };
    let c = by_name("api-cpu");
    assert_eq!(c.target_value(), 70.0);
    assert_eq!(c.scale_in_cooldown(), Some(300));
    assert_eq!(c.scale_out_cooldown(), Some(60));
    assert_eq!(
        c.predefined_metric_specification()
            .unwrap()
            .predefined_metric_type(),
        &MetricType::EcsServiceAverageCpuUtilization
    );
    assert_eq!(by_name("api-memory").target_value(), 80.0);

    // The target value changes in place (PutScalingPolicy again).
    let mut planned = cpu.clone();
    planned.insert(
        "target_tracking_scaling_policy_configuration".into(),
        map(&[
            ("target_value", 60.into()),
            (
                "predefined_metric_specification",
                map(&[(
                    "predefined_metric_type",
                    "ECSServiceAverageCPUUtilization".into(),
                )]),
            ),
            ("disable_scale_in", false.into()),
        ]),
    );
    policies
        .update(
            &pctx,
            "api-cpu",
            &cpu,
            &planned,
            &["target_tracking_scaling_policy_configuration".into()],
        )
        .await
        .unwrap();
    let fresh = read(
        policies.as_ref(),
        &[("api-cpu", &planned), ("api-memory", &memory)],
    )
    .await;
    let fresh_cpu = fresh[0].as_ref().unwrap();
    assert_eq!(tracked(fresh_cpu, "target_value").as_f64(), Some(60.0));
    // Cooldowns the configuration no longer sets are not compared.
    assert!(tracked(fresh_cpu, "scale_in_cooldown").is_null());
    assert_eq!(
        tracked(fresh[1].as_ref().unwrap(), "scale_in_cooldown").as_i64(),
        Some(300)
    );

    // Terraform's import ids.
    let imported = policies
        .import(
            "ecs/service/tracker/api/ecs:service:DesiredCount/api-memory",
            &ReadContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(imported, ReadOutcome::Live(o) if o["resource_id"].as_str() == Some(api)));
    let imported = targets
        .import(
            "ecs/service/tracker/api/ecs:service:DesiredCount",
            &ReadContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(imported, ReadOutcome::Live(o) if o["max_capacity"].as_i64() == Some(20)));

    // Deleting a policy deletes target tracking's alarms with it (moto
    // does so, as AWS does); deleting twice is fine.
    policies.delete(&pctx, "api-cpu", fresh_cpu).await.unwrap();
    policies.delete(&pctx, "api-cpu", fresh_cpu).await.unwrap();
    assert!(read(policies.as_ref(), &[("api-cpu", fresh_cpu)]).await[0].is_none());
    targets.delete(&ctx, api, &updated).await.unwrap();
    targets.delete(&ctx, api, &updated).await.unwrap();
    let live = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(api)
        .send()
        .await
        .unwrap();
    assert!(live.scalable_targets().is_empty());
}

#[tokio::test]
async fn refresh_is_one_call_per_type_and_same_named_policies_read_apart() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_appautoscaling::register);
    let ecs = aws_sdk_ecs::Client::new(aws.sdk_config().await.unwrap());
    let names: Vec<String> = (0..12).map(|i| format!("svc{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let services = common::ecs_services(&ecs, "estate", &refs).await;
    let targets = registry.resource("aws_appautoscaling_target").unwrap();
    let policies = registry.resource("aws_appautoscaling_policy").unwrap();
    let mut made_targets = Vec::new();
    let mut made_policies = Vec::new();
    for (i, id) in services.iter().enumerate() {
        let ctx = op_context(&format!("aws_appautoscaling_target.s{i}"));
        made_targets.push(targets.create(&ctx, &target(id, 1, 4)).await.unwrap());
        // Every service's policy is called "cpu": a name is unique per
        // target only.
        made_policies.push(
            policies
                .create(
                    &ctx,
                    &policy("cpu", id, "ECSServiceAverageCPUUtilization", 50 + i as i64),
                )
                .await
                .unwrap(),
        );
    }
    let (calls, _guard) = Calls::start();
    let t_items: Vec<(&str, &Object)> = services
        .iter()
        .map(String::as_str)
        .zip(made_targets.iter())
        .collect();
    let p_items: Vec<(&str, &Object)> = made_policies.iter().map(|p| ("cpu", p)).collect();
    let few_t = read(targets.as_ref(), &t_items[..2]).await;
    let few_p = read(policies.as_ref(), &p_items[..2]).await;
    let for_two = calls.take();
    let all_t = read(targets.as_ref(), &t_items).await;
    let all_p = read(policies.as_ref(), &p_items).await;
    let for_twelve = calls.take();
    println!("refresh of 2 targets and 2 policies: {for_two:?}; of 12 and 12: {for_twelve:?}");
    assert!(few_t
        .iter()
        .chain(&all_t)
        .chain(&few_p)
        .all(Option::is_some));
    assert_eq!(
        for_twelve.get("DescribeScalableTargets"),
        Some(&1),
        "{for_twelve:?}"
    );
    assert_eq!(
        for_twelve.get("DescribeScalingPolicies"),
        Some(&1),
        "{for_twelve:?}"
    );
    assert_eq!(
        for_two.get("DescribeScalableTargets"),
        for_twelve.get("DescribeScalableTargets")
    );
    for (i, p) in all_p.iter().enumerate() {
        let p = p.as_ref().unwrap();
        assert_eq!(p["resource_id"].as_str(), Some(services[i].as_str()));
        assert_eq!(tracked(p, "target_value").as_i64(), Some(50 + i as i64));
    }
    // A missing id among them is gone, the rest read.
    let missing = Object::new();
    let mixed = read(
        targets.as_ref(),
        &[("service/estate/none", &missing), t_items[0]],
    )
    .await;
    assert!(mixed[0].is_none() && mixed[1].is_some());
}

#[tokio::test]
async fn a_target_for_a_service_that_never_appears_fails_after_a_bounded_wait() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_appautoscaling::register);
    let ecs = aws_sdk_ecs::Client::new(aws.sdk_config().await.unwrap());
    // The cluster exists; the service never comes.
    common::ecs_services(&ecs, "nowhere", &[]).await;
    let targets = registry.resource("aws_appautoscaling_target").unwrap();
    let ctx = OpContext {
        timeout: Duration::from_secs(2),
        ..op_context("aws_appautoscaling_target.ghost")
    };
    let start = std::time::Instant::now();
    let e = targets
        .create(&ctx, &target("service/nowhere/ghost", 1, 2))
        .await
        .unwrap_err();
    assert_eq!(e.code, "ValidationException");
    assert!(e.message.contains("ECS service doesn't exist"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(10));
}
