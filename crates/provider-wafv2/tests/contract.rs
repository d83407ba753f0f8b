//! The resource contract (cairn_testkit::resource_contract) for every
//! WAFv2 type, against moto.

mod common;

use aws_sdk_wafv2::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};
use common::{
    alb_arn, choice, log_group_arn, managed_rule, map, rate_rule, regional_acl_arn, sdk_acl,
    visibility,
};

const MISSING_ID: &str = "00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn every_wafv2_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_wafv2::register);
    let waf = aws_sdk_wafv2::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_wafv2_web_acl.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let common_rules = "AWSManagedRulesCommonRuleSet";
    let mut overridden = managed_rule(common_rules, 10, "common");
    if let Value::Map(rule) = &mut overridden {
        rule.insert("override_action".into(), choice("count"));
        rule.insert(
            "statement".into(),
            map(&[(
                "managed_rule_group_statement",
                map(&[
                    ("name", common_rules.into()),
                    ("vendor_name", "AWS".into()),
                    (
                        "rule_action_override",
                        Value::List(vec![map(&[
                            ("name", "SizeRestrictions_BODY".into()),
                            ("action_to_use", choice("count")),
                        ])]),
                    ),
                ]),
            )]),
        );
    }
    let c = waf.clone();
    let acl = Case {
        address: "aws_wafv2_web_acl.contract",
        config: object(&[
            ("name", "contract-acl".into()),
            ("scope", "REGIONAL".into()),
            ("default_action", choice("allow")),
            (
                "rule",
                Value::List(vec![managed_rule(common_rules, 10, "common")]),
            ),
            ("visibility_config", visibility("contract-acl")),
            ("tags", tags(&[("Name", "waf")])),
        ]),
        update: object(&[
            ("description", "edge protection".into()),
            ("default_action", choice("block")),
            (
                "rule",
                Value::List(vec![overridden, rate_rule("per-ip", 20, 2000)]),
            ),
            ("tags", tags(&[("Name", "waf"), ("Tier", "edge")])),
        ]),
        replace: Some("name"),
        missing_id: MISSING_ID.into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(Box::new(move |id, set, unset| {
            let c = c.clone();
            Box::pin(async move {
                let arn = regional_acl_arn("contract-acl", id);
                let set = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                    .collect();
                c.tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .unwrap();
                c.untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(unset))
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    check(resource("aws_wafv2_web_acl").as_ref(), acl, &ctx).await;

    let (_, protecting) = sdk_acl(&waf, "contract-protecting").await;
    let (_, other) = sdk_acl(&waf, "contract-other").await;
    let association = Case {
        address: "aws_wafv2_web_acl_association.contract",
        config: object(&[
            ("web_acl_arn", protecting.as_str().into()),
            ("resource_arn", alb_arn("contract").into()),
        ]),
        // Both ARNs force a new association.
        update: object(&[]),
        replace: Some("web_acl_arn"),
        missing_id: format!(
            "{},{}",
            regional_acl_arn("none", MISSING_ID),
            alb_arn("none")
        ),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_wafv2_web_acl_association").as_ref(),
        association,
        &ctx,
    )
    .await;

    let logging = Case {
        address: "aws_wafv2_web_acl_logging_configuration.contract",
        config: object(&[
            ("resource_arn", other.as_str().into()),
            (
                "log_destination_configs",
                Value::List(vec![log_group_arn("aws-waf-logs-contract").into()]),
            ),
        ]),
        update: object(&[
            (
                "log_destination_configs",
                Value::List(vec![log_group_arn("aws-waf-logs-contract-2").into()]),
            ),
            (
                "redacted_fields",
                Value::List(vec![map(&[(
                    "single_header",
                    map(&[("name", "authorization".into())]),
                )])]),
            ),
        ]),
        replace: Some("resource_arn"),
        missing_id: regional_acl_arn("none", MISSING_ID),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_wafv2_web_acl_logging_configuration").as_ref(),
        logging,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_wafv2_web_acl",
            "aws_wafv2_web_acl_association",
            "aws_wafv2_web_acl_logging_configuration",
        ],
    );
}
