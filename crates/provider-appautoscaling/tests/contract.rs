//! The resource contract (cairn_testkit::resource_contract) for every
//! Application Auto Scaling type, against moto, with the ECS service they
//! scale made outside cairn.

mod common;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn tracking(target: i64, metric: &str) -> Value {
    map(&[
        ("target_value", target.into()),
        (
            "predefined_metric_specification",
            map(&[("predefined_metric_type", metric.into())]),
        ),
        ("scale_in_cooldown", 300.into()),
        ("scale_out_cooldown", 60.into()),
    ])
}

#[tokio::test]
async fn every_appautoscaling_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_appautoscaling::register);
    let sdk = aws.sdk_config().await.unwrap();
    let ecs = aws_sdk_ecs::Client::new(sdk);
    let aas = aws_sdk_applicationautoscaling::Client::new(sdk);
    let ctx = op_context("aws_appautoscaling_target.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();
    let services = common::ecs_services(&ecs, "contract", &["api", "worker"]).await;

    // Tags: moto implements neither TagResource nor ListTagsForResource for
    // Application Auto Scaling, so no tag drift case (tests/scaling.rs).
    let target = Case {
        address: "aws_appautoscaling_target.contract",
        config: object(&[
            ("service_namespace", "ecs".into()),
            ("resource_id", services[0].as_str().into()),
            ("scalable_dimension", "ecs:service:DesiredCount".into()),
            ("min_capacity", 1.into()),
            ("max_capacity", 3.into()),
            ("tags", tags(&[("Name", "api")])),
        ]),
        update: object(&[("min_capacity", 2.into()), ("max_capacity", 10.into())]),
        replace: Some("resource_id"),
        missing_id: "service/contract/none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(resource("aws_appautoscaling_target").as_ref(), target, &ctx).await;

    // The policy's target, registered outside cairn.
    aas.register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&services[1])
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .min_capacity(2)
        .max_capacity(10)
        .send()
        .await
        .unwrap();
    let policy = Case {
        address: "aws_appautoscaling_policy.contract",
        config: object(&[
            ("name", "worker-cpu".into()),
            ("policy_type", "TargetTrackingScaling".into()),
            ("service_namespace", "ecs".into()),
            ("resource_id", services[1].as_str().into()),
            ("scalable_dimension", "ecs:service:DesiredCount".into()),
            (
                "target_tracking_scaling_policy_configuration",
                tracking(70, "ECSServiceAverageCPUUtilization"),
            ),
        ]),
        update: object(&[(
            "target_tracking_scaling_policy_configuration",
            tracking(60, "ECSServiceAverageCPUUtilization"),
        )]),
        replace: Some("name"),
        missing_id: "no-such-policy".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(resource("aws_appautoscaling_policy").as_ref(), policy, &ctx).await;

    covered(
        registry.resource_types(),
        &["aws_appautoscaling_target", "aws_appautoscaling_policy"],
    );
}
