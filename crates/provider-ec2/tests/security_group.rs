//! aws_security_group against moto: the default egress rule is removed,
//! rules are reconciled in place (add, remove, group references), and read
//! back in the shape configurations write them.

mod harness;

use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use harness::{read, Harness};

fn rule(
    from: i64,
    to: i64,
    protocol: &str,
    cidrs: &[&str],
    groups: &[&str],
    description: &str,
) -> Value {
    Value::Map(
        [
            ("from_port".to_string(), Value::from(from)),
            ("to_port".to_string(), Value::from(to)),
            ("protocol".to_string(), Value::from(protocol)),
            ("cidr_blocks".to_string(), Value::from(cidrs.to_vec())),
            ("security_groups".to_string(), Value::from(groups.to_vec())),
            ("description".to_string(), Value::from(description)),
        ]
        .into(),
    )
}

async fn live_rules(h: &Harness, id: &str) -> Vec<(bool, String, Option<i32>)> {
    let out = h
        .ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(id)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut v: Vec<_> = out
        .security_group_rules()
        .iter()
        .map(|r| {
            let src = r
                .cidr_ipv4()
                .map(str::to_string)
                .or_else(|| {
                    r.referenced_group_info()
                        .and_then(|g| g.group_id())
                        .map(str::to_string)
                })
                .unwrap_or_default();
            (r.is_egress().unwrap_or(false), src, r.from_port())
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn security_group_rules_are_reconciled() {
    let h = Harness::start().await;
    let vpc = h.vpc("10.50.0.0/16").await;
    let r = h.resource("aws_security_group");
    let ctx = op_context("aws_security_group.web");
    let planned = object(&[
        ("name", "web".into()),
        ("description", "web tier".into()),
        ("vpc_id", vpc.as_str().into()),
        (
            "ingress",
            Value::List(vec![rule(443, 443, "tcp", &["0.0.0.0/0"], &[], "HTTPS")]),
        ),
        ("egress", Value::Null),
        ("tags", tags(&[("Name", "web")])),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        live_rules(&h, &id).await,
        [(false, "0.0.0.0/0".to_string(), Some(443))],
        "default egress removed"
    );
    let ingress = created["ingress"].as_list().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(
        ingress[0].as_map().unwrap()["description"].as_str(),
        Some("HTTPS")
    );
    assert_eq!(created["egress"].as_list().map(|l| l.len()), Some(0));

    // A second group, referenced by a new rule; the HTTPS rule gains a CIDR
    // and the egress gets an all-protocols rule.
    let other = r
        .create(
            &op_context("aws_security_group.app"),
            &object(&[("name", "app".into()), ("vpc_id", vpc.as_str().into())]),
        )
        .await
        .unwrap();
    let other_id = other["id"].as_str().unwrap().to_string();
    let mut want = created.clone();
    want.insert(
        "ingress".into(),
        Value::List(vec![
            rule(443, 443, "tcp", &["0.0.0.0/0", "10.0.0.0/8"], &[], "HTTPS"),
            rule(8000, 8000, "tcp", &[], &[&other_id], "from app"),
        ]),
    );
    want.insert(
        "egress".into(),
        Value::List(vec![rule(0, 0, "-1", &["0.0.0.0/0"], &[], "")]),
    );
    let updated = r
        .update(
            &ctx,
            &id,
            &created,
            &want,
            &["ingress".into(), "egress".into()],
        )
        .await
        .unwrap();
    let rules = live_rules(&h, &id).await;
    assert_eq!(rules.len(), 4, "{rules:?}");
    assert!(rules.contains(&(false, other_id.clone(), Some(8000))));
    assert!(
        cairn_engine_like_equal(&updated["ingress"], &want["ingress"]),
        "{:?}",
        updated["ingress"]
    );

    // Removing a rule revokes exactly it.
    let mut fewer = updated.clone();
    fewer.insert(
        "ingress".into(),
        Value::List(vec![rule(8000, 8000, "tcp", &[], &[&other_id], "from app")]),
    );
    let after = r
        .update(&ctx, &id, &updated, &fewer, &["ingress".into()])
        .await
        .unwrap();
    let rules = live_rules(&h, &id).await;
    assert_eq!(rules.iter().filter(|r| !r.0).count(), 1, "{rules:?}");
    assert_eq!(after["ingress"].as_list().unwrap().len(), 1);

    // Deleting the referencing group first, then the referenced one.
    r.delete(&ctx, &id, &after).await.unwrap();
    r.delete(&op_context("aws_security_group.app"), &other_id, &other)
        .await
        .unwrap();
    let out = read(r.as_ref(), &[(&id, &after), (&other_id, &other)]).await;
    assert!(out.iter().all(Option::is_none));
}

#[tokio::test]
async fn reversed_ports_are_rejected_offline() {
    let h = Harness::start().await;
    let r = h.resource("aws_security_group");
    let issues = r.validate(&object(&[(
        "ingress",
        Value::List(vec![rule(8443, 443, "tcp", &["0.0.0.0/0"], &[], "")]),
    )]));
    assert_eq!(issues.len(), 1);
    assert!(issues[0].message.contains("greater than"));
}

/// Rules compare as sets of objects whose list fields are sets.
fn cairn_engine_like_equal(a: &Value, b: &Value) -> bool {
    let norm = |v: &Value| {
        let mut rules: Vec<String> = v
            .as_list()
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                let m = r.as_map().unwrap();
                let mut cidrs: Vec<&str> = m["cidr_blocks"]
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                cidrs.sort();
                let mut groups: Vec<&str> = m["security_groups"]
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                groups.sort();
                format!(
                    "{}:{}:{}:{cidrs:?}:{groups:?}:{}",
                    m["protocol"], m["from_port"], m["to_port"], m["description"]
                )
            })
            .collect();
        rules.sort();
        rules
    };
    norm(a) == norm(b)
}
