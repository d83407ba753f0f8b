//! The Tracker's web ACL (guide §3.6: REGIONAL, attached to the ALB, AWS
//! managed rule groups at priorities 10 and 20, logging to
//! `aws-waf-logs-tracker-restapi-staging`), checked through the SDK;
//! updates over someone else's change; imports; the offline checks.

mod common;

use aws_sdk_wafv2::types::Scope;
use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Object, ReadOutcome, ReadRequest, Registry, Resource, Schema, Type, Value,
};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use common::{
    alb_arn, choice, log_group_arn, managed_rule, map, plan_diff, planned, rate_rule, same,
    sdk_acl, visibility,
};

const COMMON: &str = "AWSManagedRulesCommonRuleSet";
const BAD_INPUTS: &str = "AWSManagedRulesKnownBadInputsRuleSet";
const LOG_GROUP: &str = "aws-waf-logs-tracker-restapi-staging";

fn tracker_acl() -> Object {
    object(&[
        ("name", "tracker-restapi-staging".into()),
        ("scope", "REGIONAL".into()),
        ("description", "Tracker REST API (staging)".into()),
        ("default_action", choice("allow")),
        (
            "rule",
            Value::List(vec![
                managed_rule(COMMON, 10, "tracker-restapi-staging-common"),
                managed_rule(BAD_INPUTS, 20, "tracker-restapi-staging-bad-inputs"),
            ]),
        ),
        ("visibility_config", visibility("tracker-restapi-staging")),
        ("tags", tags(&[("Name", "tracker-restapi-staging")])),
    ])
}

async fn read(r: &dyn Resource, id: &str, prior: &Object) -> Option<Object> {
    let ctx = ReadContext {
        default_tags: op_context("aws_wafv2_web_acl.x").default_tags,
        stack: "providertest/moto".into(),
    };
    match r
        .read(&[ReadRequest { id, prior }], &ctx)
        .await
        .unwrap()
        .pop()
    {
        Some(ReadOutcome::Live(o)) => Some(o),
        _ => None,
    }
}

#[tokio::test]
async fn the_trackers_web_acl_protects_the_alb_and_logs_to_its_log_group() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let sdk = aws.sdk_config().await.unwrap();
    let waf = aws_sdk_wafv2::Client::new(sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let acl_type = registry.resource("aws_wafv2_web_acl").unwrap();
    let ctx = op_context("module.waf.aws_wafv2_web_acl.main");

    // The log group, as modules/logs makes it (365 days).
    logs.create_log_group()
        .log_group_name(LOG_GROUP)
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(LOG_GROUP)
        .retention_in_days(365)
        .send()
        .await
        .unwrap();

    let config = tracker_acl();
    assert_eq!(acl_type.validate(&config), vec![]);
    let created = acl_type
        .create(&ctx, &planned(acl_type.schema(), &config))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(created["capacity"].as_f64().is_some());
    assert!(!created["lock_token"].as_str().unwrap().is_empty());

    // What WAF holds.
    let live = waf
        .get_web_acl()
        .name("tracker-restapi-staging")
        .scope(Scope::Regional)
        .id(&id)
        .send()
        .await
        .unwrap();
    let acl = live.web_acl().unwrap();
    assert_eq!(acl.arn(), created["arn"].as_str().unwrap());
    assert!(acl.default_action().unwrap().allow().is_some());
    assert_eq!(acl.description(), Some("Tracker REST API (staging)"));
    let mut rules: Vec<_> = acl.rules().iter().collect();
    rules.sort_by_key(|r| r.priority());
    let groups: Vec<(i32, &str, &str)> = rules
        .iter()
        .map(|r| {
            let m = r
                .statement()
                .unwrap()
                .managed_rule_group_statement()
                .unwrap();
            assert!(r.override_action().unwrap().none().is_some());
            assert!(r.action().is_none());
            (r.priority(), m.vendor_name(), m.name())
        })
        .collect();
    assert_eq!(groups, [(10, "AWS", COMMON), (20, "AWS", BAD_INPUTS)]);
    assert_eq!(
        rules[0].visibility_config().unwrap().metric_name(),
        "tracker-restapi-staging-common"
    );
    let visibility = acl.visibility_config().unwrap();
    assert!(visibility.cloud_watch_metrics_enabled() && visibility.sampled_requests_enabled());
    assert_eq!(visibility.metric_name(), "tracker-restapi-staging");
    let tagged = waf
        .list_tags_for_resource()
        .resource_arn(acl.arn())
        .send()
        .await
        .unwrap();
    let tag_keys: Vec<&str> = tagged
        .tag_info_for_resource()
        .unwrap()
        .tag_list()
        .iter()
        .map(|t| t.key())
        .collect();
    for key in ["Name", "Team", "cairn:stack", "cairn:address"] {
        assert!(tag_keys.contains(&key), "{key} missing from {tag_keys:?}");
    }

    // A refresh reads back what was configured: the next plan is clean.
    let fresh = read(acl_type.as_ref(), &id, &created).await.unwrap();
    assert_eq!(
        plan_diff(acl_type.schema(), &config, &fresh),
        Vec::<String>::new()
    );

    // Logging to the Tracker's log group.
    let logging_type = registry
        .resource("aws_wafv2_web_acl_logging_configuration")
        .unwrap();
    let logging_config = object(&[
        ("resource_arn", created["arn"].clone()),
        (
            "log_destination_configs",
            Value::List(vec![log_group_arn(LOG_GROUP).into()]),
        ),
        (
            "redacted_fields",
            Value::List(vec![map(&[(
                "single_header",
                map(&[("name", "authorization".into())]),
            )])]),
        ),
    ]);
    assert_eq!(logging_type.validate(&logging_config), vec![]);
    let logging = logging_type
        .create(
            &op_context("module.waf.aws_wafv2_web_acl_logging_configuration.main"),
            &planned(logging_type.schema(), &logging_config),
        )
        .await
        .unwrap();
    assert_eq!(logging["id"].as_str(), created["arn"].as_str());
    let held = waf
        .get_logging_configuration()
        .resource_arn(acl.arn())
        .send()
        .await
        .unwrap();
    let held = held.logging_configuration().unwrap();
    assert_eq!(held.log_destination_configs(), [log_group_arn(LOG_GROUP)]);
    assert_eq!(
        held.redacted_fields()[0].single_header().unwrap().name(),
        "authorization"
    );
    let group = logs
        .describe_log_groups()
        .log_group_name_prefix(LOG_GROUP)
        .send()
        .await
        .unwrap();
    assert_eq!(group.log_groups()[0].retention_in_days(), Some(365));
    let fresh_logging = read(logging_type.as_ref(), acl.arn(), &logging)
        .await
        .unwrap();
    assert_eq!(
        plan_diff(logging_type.schema(), &logging_config, &fresh_logging),
        Vec::<String>::new()
    );

    // Attached to the ALB.
    let association_type = registry.resource("aws_wafv2_web_acl_association").unwrap();
    let alb = alb_arn("tracker-restapi-staging");
    let association_config = object(&[
        ("resource_arn", alb.as_str().into()),
        ("web_acl_arn", created["arn"].clone()),
    ]);
    assert_eq!(association_type.validate(&association_config), vec![]);
    let association = association_type
        .create(
            &op_context("module.waf.aws_wafv2_web_acl_association.alb"),
            &planned(association_type.schema(), &association_config),
        )
        .await
        .unwrap();
    assert_eq!(
        association["id"].as_str().unwrap(),
        format!("{},{alb}", acl.arn())
    );
    let protecting = waf
        .get_web_acl_for_resource()
        .resource_arn(&alb)
        .send()
        .await
        .unwrap();
    assert_eq!(protecting.web_acl().unwrap().arn(), acl.arn());

    // Destroy in the engine's order: association, logging, ACL.
    let assoc_id = association["id"].as_str().unwrap();
    association_type
        .delete(&ctx, assoc_id, &association)
        .await
        .unwrap();
    assert!(waf
        .get_web_acl_for_resource()
        .resource_arn(&alb)
        .send()
        .await
        .unwrap()
        .web_acl()
        .is_none());
    logging_type
        .delete(&ctx, acl.arn(), &logging)
        .await
        .unwrap();
    let e = waf
        .get_logging_configuration()
        .resource_arn(acl.arn())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_wafv2::error::ProvideErrorMetadata::code(&e),
        Some("WAFNonexistentItemException")
    );
    acl_type.delete(&ctx, &id, &fresh).await.unwrap();
    assert!(read(acl_type.as_ref(), &id, &fresh).await.is_none());
}

#[tokio::test]
async fn an_update_over_someone_elses_change_re_reads_the_lock_token() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let waf = aws_sdk_wafv2::Client::new(aws.sdk_config().await.unwrap());
    let acl_type = registry.resource("aws_wafv2_web_acl").unwrap();
    let ctx = op_context("aws_wafv2_web_acl.main");
    let created = acl_type
        .create(&ctx, &planned(acl_type.schema(), &tracker_acl()))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let recorded_token = created["lock_token"].as_str().unwrap();

    // Someone changes the ACL in the console after cairn recorded it: the
    // recorded lock token is stale.
    let current = waf
        .get_web_acl()
        .name("tracker-restapi-staging")
        .scope(Scope::Regional)
        .id(id)
        .send()
        .await
        .unwrap();
    let acl = current.web_acl().unwrap();
    waf.update_web_acl()
        .name(acl.name())
        .scope(Scope::Regional)
        .id(id)
        .lock_token(recorded_token)
        .default_action(acl.default_action().unwrap().clone())
        .set_rules(Some(acl.rules().to_vec()))
        .visibility_config(acl.visibility_config().unwrap().clone())
        .description("changed in the console")
        .send()
        .await
        .unwrap();
    let stale = waf
        .update_web_acl()
        .name(acl.name())
        .scope(Scope::Regional)
        .id(id)
        .lock_token(recorded_token)
        .default_action(acl.default_action().unwrap().clone())
        .visibility_config(acl.visibility_config().unwrap().clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_wafv2::error::ProvideErrorMetadata::code(&stale),
        Some("WAFOptimisticLockException"),
        "the recorded token is stale"
    );

    // cairn's update, planned from the stale record, still goes through.
    let mut target = created.clone();
    target.insert("default_action".into(), choice("block"));
    let mut rules = tracker_acl()["rule"].as_list().unwrap().to_vec();
    rules.push(rate_rule("per-ip", 30, 2000));
    target.insert("rule".into(), Value::List(rules));
    let changed = ["default_action".to_string(), "rule".to_string()];
    let updated = acl_type
        .update(&ctx, id, &created, &target, &changed)
        .await
        .unwrap();
    assert_ne!(updated["lock_token"].as_str(), Some(recorded_token));

    let live = waf
        .get_web_acl()
        .name("tracker-restapi-staging")
        .scope(Scope::Regional)
        .id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(live.lock_token(), updated["lock_token"].as_str());
    let acl = live.web_acl().unwrap();
    assert!(acl.default_action().unwrap().block().is_some());
    let rate = acl.rules().iter().find(|r| r.name() == "per-ip").unwrap();
    assert_eq!(rate.priority(), 30);
    assert!(rate.action().unwrap().block().is_some());
    let limit = rate.statement().unwrap().rate_based_statement().unwrap();
    assert_eq!(limit.limit(), 2000);
    // The whole ACL is written: the console's description is overwritten
    // with the configured one.
    assert_eq!(acl.description(), Some("Tracker REST API (staging)"));

    // allow -> block is a change the plan sees, and the read is clean
    // against the new configuration.
    let schema = acl_type.schema();
    let ty = &schema.get("default_action").unwrap().ty;
    assert!(!same(ty, &choice("allow"), &choice("block")));
    // Why a map and not an object with `allow` and `block` blocks: the plan
    // compares an empty block like an unset one, so as an object the switch
    // would be invisible.
    let empty = || Attribute::new(Type::object(Schema::new()));
    let as_object = Type::object(Schema::new().attr("allow", empty()).attr("block", empty()));
    assert!(same(&as_object, &choice("allow"), &choice("block")));
    let mut config = tracker_acl();
    config.insert("default_action".into(), choice("block"));
    config.insert("rule".into(), target["rule"].clone());
    let fresh = read(acl_type.as_ref(), id, &updated).await.unwrap();
    assert_eq!(plan_diff(schema, &config, &fresh), Vec::<String>::new());
    assert_eq!(
        plan_diff(schema, &tracker_acl(), &fresh),
        ["default_action", "rule"]
    );

    acl_type.delete(&ctx, id, &updated).await.unwrap();
}

#[tokio::test]
async fn a_retried_create_adopts_its_own_acl_and_refuses_a_strangers() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let waf = aws_sdk_wafv2::Client::new(aws.sdk_config().await.unwrap());
    let acl_type = registry.resource("aws_wafv2_web_acl").unwrap();
    let ctx = op_context("aws_wafv2_web_acl.main");
    let plan = planned(acl_type.schema(), &tracker_acl());
    let first = acl_type.create(&ctx, &plan).await.unwrap();
    let again = acl_type.create(&ctx, &plan).await.unwrap();
    assert_eq!(again["id"].as_str(), first["id"].as_str());
    let listed = waf
        .list_web_acls()
        .scope(Scope::Regional)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.web_acls().len(), 1, "no second ACL");

    // Another address (or stack) with the same name: not adopted.
    let other = acl_type
        .create(&op_context("aws_wafv2_web_acl.other"), &plan)
        .await
        .unwrap_err();
    assert!(other.message.contains("is not this stack's"), "{other}");
    // One made outside cairn: not adopted either.
    sdk_acl(&waf, "made-by-hand").await;
    let mut hand = plan.clone();
    hand.insert("name".into(), "made-by-hand".into());
    assert!(acl_type.create(&ctx, &hand).await.is_err());
}

#[tokio::test]
async fn imports_take_terraforms_id_name_scope_or_a_bare_id() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let waf = aws_sdk_wafv2::Client::new(aws.sdk_config().await.unwrap());
    let acl_type = registry.resource("aws_wafv2_web_acl").unwrap();
    let (id, arn) = sdk_acl(&waf, "imported").await;
    let ctx = ReadContext::default();
    for import_id in [format!("{id}/imported/REGIONAL"), id.clone()] {
        match acl_type.import(&import_id, &ctx).await.unwrap() {
            ReadOutcome::Live(o) => {
                assert_eq!(o["arn"].as_str(), Some(arn.as_str()));
                assert_eq!(o["scope"].as_str(), Some("REGIONAL"));
                assert_eq!(o["name"].as_str(), Some("imported"));
            }
            ReadOutcome::Gone => panic!("{import_id} not found"),
        }
    }
    let gone = acl_type
        .import(
            "00000000-0000-4000-8000-000000000000/imported/REGIONAL",
            &ctx,
        )
        .await
        .unwrap();
    assert!(matches!(gone, ReadOutcome::Gone));
    let bad = acl_type
        .import(&format!("{id}/imported/GLOBAL"), &ctx)
        .await
        .unwrap_err();
    assert_eq!(bad.code, "InvalidImportId");
}

#[tokio::test]
async fn an_association_replaced_by_another_acl_is_not_undone_by_its_delete() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let waf = aws_sdk_wafv2::Client::new(aws.sdk_config().await.unwrap());
    let association_type = registry.resource("aws_wafv2_web_acl_association").unwrap();
    let ctx = op_context("aws_wafv2_web_acl_association.alb");
    let (_, old) = sdk_acl(&waf, "old").await;
    let (_, new) = sdk_acl(&waf, "new").await;
    let alb = alb_arn("tracker");
    let config = |acl: &str| {
        object(&[
            ("resource_arn", alb.as_str().into()),
            ("web_acl_arn", acl.into()),
        ])
    };
    let first = association_type
        .create(&ctx, &planned(association_type.schema(), &config(&old)))
        .await
        .unwrap();
    // create_before_destroy: the new association is made first, and on AWS
    // it takes the resource over (moto's AssociateWebACL appends instead,
    // so the takeover is done by hand); then the old one is deleted, which
    // must leave the new one in place.
    waf.disassociate_web_acl()
        .resource_arn(&alb)
        .send()
        .await
        .unwrap();
    waf.associate_web_acl()
        .web_acl_arn(&new)
        .resource_arn(&alb)
        .send()
        .await
        .unwrap();
    let second = object(&[
        ("id", format!("{new},{alb}").into()),
        ("resource_arn", alb.as_str().into()),
        ("web_acl_arn", new.as_str().into()),
    ]);
    let first_id = first["id"].as_str().unwrap();
    assert!(read(association_type.as_ref(), first_id, &first)
        .await
        .is_none());
    association_type
        .delete(&ctx, first_id, &first)
        .await
        .unwrap();
    let protecting = waf
        .get_web_acl_for_resource()
        .resource_arn(&alb)
        .send()
        .await
        .unwrap();
    assert_eq!(protecting.web_acl().unwrap().arn(), new);
    let second_id = second["id"].as_str().unwrap();
    assert!(read(association_type.as_ref(), second_id, &second)
        .await
        .is_some());
}

/// A registry built offline: validate makes no network call.
fn offline() -> Registry {
    let aws = AwsContext::new(AwsSettings {
        endpoint_url: Some("http://127.0.0.1:9".into()),
        region: Some("eu-west-2".into()),
        ..Default::default()
    });
    let mut registry = Registry::default();
    cairn_provider_wafv2::register(&mut registry, &aws);
    registry
}

fn issues(r: &dyn Resource, config: &Object) -> Vec<(String, String)> {
    r.validate(config)
        .into_iter()
        .map(|i| (i.attribute, i.message))
        .collect()
}

#[test]
fn offline_checks_name_the_attribute_and_the_rule() {
    let registry = offline();
    let acl_type = registry.resource("aws_wafv2_web_acl").unwrap();

    // Two rules at priority 10.
    let mut config = tracker_acl();
    config.insert(
        "rule".into(),
        Value::List(vec![
            managed_rule(COMMON, 10, "common"),
            managed_rule(BAD_INPUTS, 10, "bad-inputs"),
        ]),
    );
    let found = issues(acl_type.as_ref(), &config);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "rule");
    assert!(found[0].1.contains("priority 10"), "{}", found[0].1);
    assert!(found[0].1.contains(BAD_INPUTS), "{}", found[0].1);

    // The same name twice, a managed group with `action`, a rate rule
    // without one, a bad metric name, and both default actions.
    let mut with_action = managed_rule(BAD_INPUTS, 20, "bad inputs");
    if let Value::Map(r) = &mut with_action {
        r.remove("override_action");
        r.insert("action".into(), choice("block"));
    }
    let mut no_action = rate_rule("per-ip", 30, 2000);
    if let Value::Map(r) = &mut no_action {
        r.remove("action");
    }
    config.insert(
        "rule".into(),
        Value::List(vec![
            managed_rule(COMMON, 10, "common"),
            managed_rule(COMMON, 11, "common-2"),
            with_action,
            no_action,
        ]),
    );
    config.insert(
        "default_action".into(),
        map(&[
            ("allow", Value::Map(Object::new())),
            ("block", Value::Map(Object::new())),
        ]),
    );
    let found = issues(acl_type.as_ref(), &config);
    let text = format!("{found:?}");
    assert!(
        found
            .iter()
            .any(|(a, m)| a == "default_action" && m.contains("exactly one")),
        "{text}"
    );
    assert!(
        found
            .iter()
            .any(|(a, m)| a == "rule" && m.contains("both named")),
        "{text}"
    );
    assert!(
        found
            .iter()
            .any(|(a, m)| a == "rule" && m.contains(BAD_INPUTS) && m.contains("not `action`")),
        "{text}"
    );
    assert!(
        found
            .iter()
            .any(|(a, m)| a == "rule" && m.contains("bad inputs") && m.contains("metric name")),
        "{text}"
    );
    assert!(
        found
            .iter()
            .any(|(a, m)| a == "rule" && m.contains("`per-ip`") && m.contains("needs an `action`")),
        "{text}"
    );

    // A logging destination without the prefix; an unknown one passes.
    let logging_type = registry
        .resource("aws_wafv2_web_acl_logging_configuration")
        .unwrap();
    let acl_arn = common::regional_acl_arn("tracker", "00000000-0000-4000-8000-000000000001");
    let logging = |destination: Value| {
        object(&[
            ("resource_arn", acl_arn.as_str().into()),
            ("log_destination_configs", Value::List(vec![destination])),
        ])
    };
    let found = issues(
        logging_type.as_ref(),
        &logging(log_group_arn("/aws/waf/tracker-restapi-staging").into()),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "log_destination_configs");
    assert!(found[0].1.contains("aws-waf-logs-"), "{}", found[0].1);
    assert!(
        found[0].1.contains("/aws/waf/tracker-restapi-staging"),
        "{}",
        found[0].1
    );
    assert_eq!(
        issues(logging_type.as_ref(), &logging(Value::Unknown)),
        vec![]
    );
    assert_eq!(
        issues(
            logging_type.as_ref(),
            &logging(log_group_arn(LOG_GROUP).into())
        ),
        vec![]
    );
    let bucket = issues(
        logging_type.as_ref(),
        &logging("arn:aws:s3:::tracker-waf-logs".into()),
    );
    assert!(bucket[0].1.contains("S3 bucket"), "{bucket:?}");

    // A CLOUDFRONT ACL is not associated this way.
    let association_type = registry.resource("aws_wafv2_web_acl_association").unwrap();
    let found = issues(
        association_type.as_ref(),
        &object(&[
            (
                "web_acl_arn",
                "arn:aws:wafv2:us-east-1:123456789012:global/webacl/cdn/1".into(),
            ),
            ("resource_arn", alb_arn("x").into()),
        ]),
    );
    assert_eq!(found[0].0, "web_acl_arn");
}
