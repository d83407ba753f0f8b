//! aws_vpc_security_group_ingress_rule and ..._egress_rule against moto,
//! checked through the SDK.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, tag_map, Harness};

#[tokio::test]
async fn rules_reference_groups_change_in_place_and_adopt_duplicates() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.33.0.0/16").await;
    let alb = h.security_group(&vpc, "alb").await;
    let app = h.security_group(&vpc, "app").await;

    let ingress = h.resource("aws_vpc_security_group_ingress_rule");
    let ctx = op_context("aws_vpc_security_group_ingress_rule.app_from_alb");
    let planned = object(&[
        ("security_group_id", app.as_str().into()),
        ("ip_protocol", "tcp".into()),
        ("from_port", Value::from(8080)),
        ("to_port", Value::from(8080)),
        ("referenced_security_group_id", alb.as_str().into()),
        ("description", "from the ALB".into()),
        ("tags", tags(&[("Name", "app-from-alb")])),
    ]);
    assert!(ingress.validate(&planned).is_empty());
    let created = ingress.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("sgr-"), "{id}");
    assert_eq!(created["description"].as_str(), Some("from the ALB"));
    assert_eq!(
        created["referenced_security_group_id"].as_str(),
        Some(alb.as_str())
    );
    let live = h
        .ec2
        .describe_security_group_rules()
        .security_group_rule_ids(&id)
        .send()
        .await
        .unwrap();
    let rule = &live.security_group_rules()[0];
    assert_eq!(rule.is_egress(), Some(false));
    assert_eq!(rule.from_port(), Some(8080));
    assert_eq!(
        tag_map(rule.tags())
            .get("cairn:address")
            .map(String::as_str),
        Some("aws_vpc_security_group_ingress_rule.app_from_alb")
    );

    // A retried create finds the rule it made and adopts it.
    let again = ingress.create(&ctx, &planned).await.unwrap();
    assert_eq!(again["id"].as_str(), Some(id.as_str()));

    // The port moves in place: same rule id.
    let mut want = created.clone();
    want.insert("from_port".into(), Value::from(8081));
    want.insert("to_port".into(), Value::from(8081));
    let updated = ingress
        .update(
            &ctx,
            &id,
            &created,
            &want,
            &["from_port".into(), "to_port".into()],
        )
        .await
        .unwrap();
    assert_eq!(updated["id"].as_str(), Some(id.as_str()));
    let live = h
        .ec2
        .describe_security_group_rules()
        .security_group_rule_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(live.security_group_rules()[0].from_port(), Some(8081));

    // Egress, all protocols, to a CIDR: no ports.
    let egress = h.resource("aws_vpc_security_group_egress_rule");
    let ectx = op_context("aws_vpc_security_group_egress_rule.alb_out");
    let out_rule = egress
        .create(
            &ectx,
            &object(&[
                ("security_group_id", alb.as_str().into()),
                ("ip_protocol", "-1".into()),
                ("cidr_ipv4", "10.33.0.0/16".into()),
            ]),
        )
        .await
        .unwrap();
    assert!(out_rule["from_port"].is_null());
    let out_id = out_rule["id"].as_str().unwrap().to_string();

    // One batch: both ingress ids plus a missing one; an egress id is not
    // an ingress rule.
    let empty = object(&[]);
    let found = read(
        ingress.as_ref(),
        &[
            (&id, &updated),
            ("sgr-00000000000000000", &empty),
            (&out_id, &out_rule),
        ],
    )
    .await;
    assert!(found[0].is_some() && found[1].is_none() && found[2].is_none());

    ingress.delete(&ctx, &id, &updated).await.unwrap();
    egress.delete(&ectx, &out_id, &out_rule).await.unwrap();
    let left = h
        .ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(&app)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(left
        .security_group_rules()
        .iter()
        .all(|r| r.security_group_rule_id() != Some(id.as_str())));
    ingress
        .delete(&ctx, &id, &updated)
        .await
        .expect("revoking what is gone succeeds");

    // Offline checks.
    let bad = object(&[
        ("security_group_id", app.as_str().into()),
        ("ip_protocol", "tcp".into()),
        ("from_port", Value::from(443)),
        ("to_port", Value::from(80)),
    ]);
    let issues = ingress.validate(&bad);
    assert_eq!(issues.len(), 2, "{issues:?}");
}
