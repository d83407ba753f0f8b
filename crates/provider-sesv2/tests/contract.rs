//! The resource contract (cairn_testkit::resource_contract) for every SES v2
//! type, against moto (through the proxy in common/, which corrects one
//! field moto answers malformed).

mod common;

use aws_sdk_sesv2::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

/// Tags a configuration set (id: its name) outside cairn.
fn tag_set_outside(ses: &aws_sdk_sesv2::Client) -> TagOutside {
    let ses = ses.clone();
    Box::new(move |id, set, unset| {
        let ses = ses.clone();
        let arn = format!("arn:aws:ses:eu-west-2:123456789012:configuration-set/{id}");
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                .collect();
            ses.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            ses.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

#[tokio::test]
async fn every_sesv2_type_keeps_the_contract() {
    let (_moto, aws, registry) = common::moto_sesv2().await;
    let ses = aws_sdk_sesv2::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_sesv2_configuration_set.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    // moto implements none of the PutConfigurationSet*Options calls: the
    // in-place change the contract makes here is the tags.
    let set = Case {
        address: "aws_sesv2_configuration_set.contract",
        config: object(&[
            ("configuration_set_name", "restartix-staging".into()),
            (
                "delivery_options",
                Value::Map(object(&[("tls_policy", "REQUIRE".into())])),
            ),
            (
                "reputation_options",
                Value::Map(object(&[("reputation_metrics_enabled", true.into())])),
            ),
            ("tags", tags(&[("Name", "restartix-staging")])),
        ]),
        update: object(&[(
            "tags",
            tags(&[("Name", "restartix-staging"), ("Tier", "mail")]),
        )]),
        replace: Some("configuration_set_name"),
        missing_id: "no-such-set".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(tag_set_outside(&ses)),
        delete_forgets: false,
    };
    check(resource("aws_sesv2_configuration_set").as_ref(), set, &ctx).await;

    // moto keeps an identity's tags under an ARN of its own making
    // (`email-identity/...`, AWS says `identity/...`) and answers
    // GetEmailIdentity with the create call's tags only: tag drift and tag
    // updates of identities cannot be checked here (ses.rs checks the
    // calls), and PutEmailIdentityConfigurationSetAttributes is not
    // implemented, so this case has no in-place change.
    let identity = Case {
        address: "aws_sesv2_email_identity.contract",
        config: object(&[
            (
                "email_identity",
                "notifications-staging.restartix.pro".into(),
            ),
            ("tags", tags(&[("Name", "sender")])),
        ]),
        update: object(&[]),
        replace: Some("email_identity"),
        missing_id: "nobody.example.com".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_sesv2_email_identity").as_ref(),
        identity,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &["aws_sesv2_configuration_set", "aws_sesv2_email_identity"],
    );
}
