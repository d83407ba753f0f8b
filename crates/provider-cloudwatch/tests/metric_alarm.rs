//! aws_cloudwatch_metric_alarm against moto, checked through the SDK: the
//! ECS estate's alarms, takeover rules, target tracking's own alarms, and
//! the calls a refresh makes.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Resource, Value};
use cairn_testkit::calls::Calls;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn dims(service: &str) -> Value {
    Value::Map(
        [
            ("ClusterName".to_string(), Value::from("tracker")),
            ("ServiceName".to_string(), Value::from(service)),
        ]
        .into(),
    )
}

fn alarm(name: &str, namespace: &str, metric: &str, op: &str, threshold: i64) -> Object {
    object(&[
        ("alarm_name", name.into()),
        ("comparison_operator", op.into()),
        ("evaluation_periods", 2.into()),
        ("metric_name", metric.into()),
        ("namespace", namespace.into()),
        ("period", 60.into()),
        ("statistic", "Average".into()),
        ("threshold", threshold.into()),
        ("dimensions", dims("api")),
        ("treat_missing_data", "missing".into()),
        ("actions_enabled", true.into()),
        (
            "alarm_actions",
            Value::from(vec!["arn:aws:sns:eu-west-2:123456789012:alerts"]),
        ),
        ("tags", tags(&[("Service", "api")])),
    ])
}

async fn read(r: &dyn Resource, ids: &[&str], stack: &str) -> Vec<Option<Object>> {
    let prior = Object::new();
    let requests: Vec<ReadRequest> = ids
        .iter()
        .map(|id| ReadRequest { id, prior: &prior })
        .collect();
    let ctx = ReadContext {
        stack: stack.into(),
        ..Default::default()
    };
    r.read(&requests, &ctx)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

async fn put_outside(cw: &aws_sdk_cloudwatch::Client, name: &str, tags: &[(&str, &str)]) {
    cw.put_metric_alarm()
        .alarm_name(name)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .evaluation_periods(5)
        .metric_name("CPUUtilization")
        .namespace("AWS/ECS")
        .period(300)
        .statistic(Statistic::Maximum)
        .threshold(99.0)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_ecs_estates_alarms_are_made_as_configured_and_changed_in_place() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_cloudwatch::register);
    let cw = aws_sdk_cloudwatch::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_cloudwatch_metric_alarm").unwrap();
    let ctx = op_context("aws_cloudwatch_metric_alarm.api_cpu");

    let cpu = alarm(
        "api-cpu-high",
        "AWS/ECS",
        "CPUUtilization",
        "GreaterThanThreshold",
        80,
    );
    let memory = alarm(
        "api-memory-high",
        "AWS/ECS",
        "MemoryUtilization",
        "GreaterThanThreshold",
        80,
    );
    let mut tasks = alarm(
        "api-no-running-tasks",
        "ECS/ContainerInsights",
        "RunningTaskCount",
        "LessThanThreshold",
        1,
    );
    tasks.insert("treat_missing_data".into(), "breaching".into());
    tasks.insert("statistic".into(), "Minimum".into());
    let mut made = Vec::new();
    for (address, planned) in [
        ("api_cpu", &cpu),
        ("api_memory", &memory),
        ("api_tasks", &tasks),
    ] {
        let ctx = op_context(&format!("aws_cloudwatch_metric_alarm.{address}"));
        made.push(r.create(&ctx, planned).await.unwrap());
    }
    assert!(made[0]["arn"]
        .as_str()
        .unwrap()
        .ends_with(":alarm:api-cpu-high"));

    let live = cw
        .describe_alarms()
        .alarm_names("api-no-running-tasks")
        .send()
        .await
        .unwrap();
    let a = &live.metric_alarms()[0];
    assert_eq!(a.namespace(), Some("ECS/ContainerInsights"));
    assert_eq!(a.metric_name(), Some("RunningTaskCount"));
    assert_eq!(a.treat_missing_data(), Some("breaching"));
    assert_eq!(a.statistic(), Some(&Statistic::Minimum));
    assert_eq!(a.threshold(), Some(1.0));
    let mut d: Vec<(String, String)> = a
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap().into(), d.value().unwrap().into()))
        .collect();
    d.sort();
    assert_eq!(
        d,
        [
            ("ClusterName".to_string(), "tracker".to_string()),
            ("ServiceName".to_string(), "api".to_string())
        ]
    );
    let arn = made[0]["arn"].as_str().unwrap().to_string();
    let t = cw
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(t.tags().iter().any(|t| t.key() == Some("cairn:address")
        && t.value() == Some("aws_cloudwatch_metric_alarm.api_cpu")));

    // In place: PutMetricAlarm with the whole alarm; the tags stay.
    let mut planned = made[0].clone();
    planned.insert("threshold".into(), 90.into());
    planned.insert("datapoints_to_alarm".into(), 2.into());
    planned.insert("actions_enabled".into(), false.into());
    let updated = r
        .update(
            &ctx,
            "api-cpu-high",
            &made[0],
            &planned,
            &[
                "actions_enabled".into(),
                "datapoints_to_alarm".into(),
                "threshold".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(updated["threshold"].as_f64(), Some(90.0));
    let live = cw
        .describe_alarms()
        .alarm_names("api-cpu-high")
        .send()
        .await
        .unwrap();
    let a = &live.metric_alarms()[0];
    assert_eq!(a.threshold(), Some(90.0));
    assert_eq!(a.datapoints_to_alarm(), Some(2));
    assert_eq!(a.actions_enabled(), Some(false));
    let fresh = read(r.as_ref(), &["api-cpu-high"], &ctx.stack).await;
    let fresh = fresh[0].as_ref().unwrap();
    assert_eq!(
        fresh["tags"].as_map().unwrap()["Service"].as_str(),
        Some("api")
    );
    assert_eq!(fresh["datapoints_to_alarm"].as_i64(), Some(2));

    // The alarm name forces a new alarm: never sent to update.
    let e = r
        .update(
            &ctx,
            "api-cpu-high",
            &made[0],
            &planned,
            &["alarm_name".into()],
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "NotUpdatable");
}

#[tokio::test]
async fn an_alarm_made_elsewhere_is_refused_and_a_leftover_of_this_address_adopted() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_cloudwatch::register);
    let cw = aws_sdk_cloudwatch::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_cloudwatch_metric_alarm").unwrap();
    let ctx = op_context("aws_cloudwatch_metric_alarm.api_cpu");

    put_outside(&cw, "someone-elses", &[("Owner", "them")]).await;
    let e = r
        .create(
            &ctx,
            &alarm(
                "someone-elses",
                "AWS/ECS",
                "CPUUtilization",
                "GreaterThanThreshold",
                80,
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "ResourceAlreadyExists");
    let live = cw
        .describe_alarms()
        .alarm_names("someone-elses")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.metric_alarms()[0].threshold(),
        Some(99.0),
        "left as it was"
    );

    // What an apply killed after PutMetricAlarm left: this address's tags.
    put_outside(
        &cw,
        "api-cpu-high",
        &[
            ("cairn:stack", "providertest/moto"),
            ("cairn:address", "aws_cloudwatch_metric_alarm.api_cpu"),
        ],
    )
    .await;
    let owned = r.owned_by_stack("providertest/moto").await.unwrap();
    assert_eq!(
        owned,
        [(
            "aws_cloudwatch_metric_alarm.api_cpu".to_string(),
            "api-cpu-high".to_string()
        )]
    );
    let adopted = r
        .create(
            &ctx,
            &alarm(
                "api-cpu-high",
                "AWS/ECS",
                "CPUUtilization",
                "GreaterThanThreshold",
                80,
            ),
        )
        .await
        .unwrap();
    assert_eq!(adopted["threshold"].as_f64(), Some(80.0));
    assert_eq!(
        adopted["tags"].as_map().unwrap()["Service"].as_str(),
        Some("api")
    );
    let live = cw
        .describe_alarms()
        .alarm_names("api-cpu-high")
        .send()
        .await
        .unwrap();
    assert_eq!(live.metric_alarms()[0].threshold(), Some(80.0));
    assert_eq!(live.metric_alarms()[0].period(), Some(60));
}

#[tokio::test]
async fn target_trackings_own_alarms_are_never_listed_or_read() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_cloudwatch::register);
    let cw = aws_sdk_cloudwatch::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_cloudwatch_metric_alarm").unwrap();
    let name = "TargetTracking-service/tracker/api-AlarmHigh-5f1c";
    // Even carrying this stack's tags (copied by hand, say).
    put_outside(
        &cw,
        name,
        &[
            ("cairn:stack", "providertest/moto"),
            ("cairn:address", "aws_cloudwatch_metric_alarm.x"),
        ],
    )
    .await;
    assert!(r
        .owned_by_stack("providertest/moto")
        .await
        .unwrap()
        .is_empty());
    assert!(read(r.as_ref(), &[name], "providertest/moto").await[0].is_none());
    assert!(r
        .validate(&object(&[("alarm_name", name.into())]))
        .is_empty());
    let v = r
        .schema()
        .get("alarm_name")
        .unwrap()
        .checks
        .iter()
        .any(|c| c.run(&name.into()).is_err());
    assert!(v, "validate refuses the name offline");
}

#[tokio::test]
async fn refresh_reads_alarms_and_their_tags_in_one_call_each_per_page() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_cloudwatch::register);
    let cw = aws_sdk_cloudwatch::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_cloudwatch_metric_alarm").unwrap();
    let stack = "providertest/moto";
    let mut names = Vec::new();
    for i in 0..25 {
        let name = format!("svc{i:02}-cpu-high");
        let ctx = op_context(&format!("aws_cloudwatch_metric_alarm.svc{i:02}"));
        r.create(
            &ctx,
            &alarm(
                &name,
                "AWS/ECS",
                "CPUUtilization",
                "GreaterThanThreshold",
                80,
            ),
        )
        .await
        .unwrap();
        names.push(name);
    }
    let ids: Vec<&str> = names.iter().map(String::as_str).collect();

    let (calls, _guard) = Calls::start();
    let three = read(r.as_ref(), &ids[..3], stack).await;
    let for_three = calls.take();
    let all = read(r.as_ref(), &ids, stack).await;
    let for_25 = calls.take();
    assert!(three.iter().chain(&all).all(Option::is_some));
    println!("refresh of 3 alarms: {for_three:?}; of 25: {for_25:?}");
    assert_eq!(
        for_three, for_25,
        "calls do not grow with the number of alarms"
    );
    assert_eq!(for_25.get("DescribeAlarms"), Some(&1));
    // One tagging-API listing (moto answers one page and then an empty
    // one, so the paginator makes two requests; the count is fixed).
    assert!(
        for_25.get("GetResources").is_some_and(|n| *n <= 2),
        "{for_25:?}"
    );
    assert_eq!(for_25.len(), 2, "{for_25:?}");

    // Alarms the stack's listing does not hold (imported ones): one
    // ListTagsForResource each, which is what reading every alarm's tags
    // that way would cost.
    for i in 0..5 {
        put_outside(&cw, &format!("imported{i}"), &[("Owner", "ops")]).await;
    }
    let imported: Vec<String> = (0..5).map(|i| format!("imported{i}")).collect();
    let imported: Vec<&str> = imported.iter().map(String::as_str).collect();
    let got = read(r.as_ref(), &imported, stack).await;
    let for_imported = calls.take();
    println!("refresh of 5 imported alarms: {for_imported:?}");
    assert_eq!(
        got[0].as_ref().unwrap()["tags"].as_map().unwrap()["Owner"].as_str(),
        Some("ops")
    );
    assert_eq!(for_imported.get("ListTagsForResource"), Some(&5));
    assert_eq!(for_imported.get("DescribeAlarms"), Some(&1));
}
