//! What the contract cannot know about the SES v2 types, checked through
//! the SDK against moto: the estate's configuration set and sender domain,
//! identities' ARNs and tag writes, and same-named objects of someone
//! else's refused and left alone.

mod common;

use aws_sdk_sesv2::types::{Tag, TlsPolicy};
use cairn_core::{Object, Resource, Value};
use cairn_testkit::fixtures::{object, op_context, tags};

fn s<'a>(o: &'a Object, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn block(pairs: &[(&str, Value)]) -> Value {
    Value::Map(object(pairs))
}

/// As the engine plans a create: nested defaults filled in.
fn planned(r: &dyn Resource, pairs: &[(&str, Value)]) -> Object {
    let mut o = object(pairs);
    for (name, attr) in &r.schema().attributes {
        if let Some(v) = o.get_mut(*name) {
            attr.prepare(v);
        }
    }
    o
}

#[tokio::test]
async fn the_estates_configuration_set_and_sender_domain() {
    let (_moto, aws, registry) = common::moto_sesv2().await;
    let ses = aws_sdk_sesv2::Client::new(aws.sdk_config().await.unwrap());
    let set = registry.resource("aws_sesv2_configuration_set").unwrap();
    let identity = registry.resource("aws_sesv2_email_identity").unwrap();

    let ctx = op_context("module.email_ses.aws_sesv2_configuration_set.this");
    let created = set
        .create(
            &ctx,
            &planned(
                set.as_ref(),
                &[
                    ("configuration_set_name", "restartix-staging".into()),
                    (
                        "delivery_options",
                        block(&[("tls_policy", "REQUIRE".into())]),
                    ),
                    (
                        "reputation_options",
                        block(&[("reputation_metrics_enabled", true.into())]),
                    ),
                    ("sending_options", block(&[])),
                    (
                        "suppression_options",
                        block(&[(
                            "suppressed_reasons",
                            Value::from(vec!["BOUNCE", "COMPLAINT"]),
                        )]),
                    ),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(s(&created, "id"), "restartix-staging");
    assert_eq!(
        s(&created, "arn"),
        "arn:aws:ses:eu-west-2:123456789012:configuration-set/restartix-staging"
    );
    let live = ses
        .get_configuration_set()
        .configuration_set_name("restartix-staging")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.delivery_options().and_then(|d| d.tls_policy()),
        Some(&TlsPolicy::Require)
    );
    assert!(live
        .reputation_options()
        .unwrap()
        .reputation_metrics_enabled());
    assert!(
        live.sending_options().unwrap().sending_enabled(),
        "`{{}}` means enabled"
    );
    assert_eq!(
        live.suppression_options()
            .unwrap()
            .suppressed_reasons()
            .len(),
        2
    );
    let reasons = created["suppression_options"].as_map().unwrap()["suppressed_reasons"].clone();
    assert_eq!(reasons.as_list().map(<[Value]>::len), Some(2));

    let domain = "notifications-staging.restartix.pro";
    let ictx = op_context("module.email_ses.aws_sesv2_email_identity.sender");
    let sender = identity
        .create(
            &ictx,
            &planned(
                identity.as_ref(),
                &[
                    ("email_identity", domain.into()),
                    ("configuration_set_name", "restartix-staging".into()),
                    ("tags", tags(&[("Name", "sender")])),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(s(&sender, "id"), domain);
    assert_eq!(s(&sender, "identity_type"), "DOMAIN");
    assert_eq!(
        s(&sender, "arn"),
        format!("arn:aws:ses:eu-west-2:123456789012:identity/{domain}")
    );
    let dkim = sender["dkim_signing_attributes"].as_map().unwrap();
    assert_eq!(
        dkim["status"].as_str(),
        Some("NOT_STARTED"),
        "moto makes no tokens"
    );
    let live = ses
        .get_email_identity()
        .email_identity(domain)
        .send()
        .await
        .unwrap();
    assert_eq!(live.configuration_set_name(), Some("restartix-staging"));
    let live_tags: Vec<(&str, &str)> = live.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(live_tags.contains(&("Name", "sender")), "{live_tags:?}");
    assert!(live_tags.contains(&(
        "cairn:address",
        "module.email_ses.aws_sesv2_email_identity.sender"
    )));

    // A tag update goes to the identity's AWS ARN.
    let mut next = sender.clone();
    next.insert("tags".into(), tags(&[("Name", "sender"), ("Tier", "mail")]));
    identity
        .update(&ictx, domain, &sender, &next, &["tags".into()])
        .await
        .unwrap();
    let t = ses
        .list_tags_for_resource()
        .resource_arn(s(&sender, "arn"))
        .send()
        .await
        .unwrap();
    assert!(
        t.tags()
            .iter()
            .any(|t| t.key() == "Tier" && t.value() == "mail"),
        "{:?}",
        t.tags()
    );

    for _ in 0..2 {
        identity.delete(&ictx, domain, &sender).await.unwrap();
        set.delete(&ctx, "restartix-staging", &created)
            .await
            .unwrap();
    }
    // (moto answers ListEmailIdentities and ListConfigurationSets with a
    // 404 page.)
    let e = ses
        .get_email_identity()
        .email_identity(domain)
        .send()
        .await
        .unwrap_err();
    assert!(e.into_service_error().is_not_found_exception());
    let left = ses
        .get_configuration_set()
        .configuration_set_name("restartix-staging")
        .send()
        .await;
    assert!(left.is_err(), "deleted: {left:?}");
}

#[tokio::test]
async fn same_named_objects_of_someone_else_are_refused_and_left_alone() {
    let (_moto, aws, registry) = common::moto_sesv2().await;
    let ses = aws_sdk_sesv2::Client::new(aws.sdk_config().await.unwrap());
    let set = registry.resource("aws_sesv2_configuration_set").unwrap();
    let identity = registry.resource("aws_sesv2_email_identity").unwrap();

    let owner = Tag::builder().key("Owner").value("them").build().unwrap();
    ses.create_configuration_set()
        .configuration_set_name("shared")
        .tags(owner.clone())
        .send()
        .await
        .unwrap();
    ses.create_email_identity()
        .email_identity("shared.example.com")
        .tags(owner)
        .send()
        .await
        .unwrap();

    let e = set
        .create(
            &op_context("aws_sesv2_configuration_set.mine"),
            &planned(set.as_ref(), &[("configuration_set_name", "shared".into())]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "AlreadyExistsException", "{e}");
    assert!(e.partial.is_none());
    let t = ses
        .list_tags_for_resource()
        .resource_arn("arn:aws:ses:eu-west-2:123456789012:configuration-set/shared")
        .send()
        .await
        .unwrap();
    assert_eq!(t.tags().len(), 1, "no tag written: {:?}", t.tags());

    let e = identity
        .create(
            &op_context("aws_sesv2_email_identity.mine"),
            &planned(
                identity.as_ref(),
                &[
                    ("email_identity", "shared.example.com".into()),
                    ("configuration_set_name", "shared".into()),
                ],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "AlreadyExistsException", "{e}");
    let live = ses
        .get_email_identity()
        .email_identity("shared.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(live.configuration_set_name(), None, "left as it was");
}
