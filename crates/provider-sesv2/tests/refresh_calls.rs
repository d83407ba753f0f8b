//! What a refresh of the SES v2 types costs, in AWS calls.

mod common;

use cairn_core::{Object, ReadOutcome, ReadRequest, Resource};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{object, op_context};

async fn read(r: &dyn Resource, ids: &[&str]) -> Vec<bool> {
    let prior = Object::new();
    let requests: Vec<ReadRequest> = ids
        .iter()
        .map(|id| ReadRequest { id, prior: &prior })
        .collect();
    r.read(&requests, &Default::default())
        .await
        .unwrap()
        .iter()
        .map(|o| matches!(o, ReadOutcome::Live(_)))
        .collect()
}

#[tokio::test]
async fn a_refresh_reads_each_object_once_and_the_account_once() {
    let (calls, _guard) = Calls::start();
    let (_moto, _aws, registry) = common::moto_sesv2().await;
    let set = registry.resource("aws_sesv2_configuration_set").unwrap();
    let identity = registry.resource("aws_sesv2_email_identity").unwrap();
    for name in ["restartix-staging", "restartix-marketing"] {
        set.create(
            &op_context(&format!(
                "aws_sesv2_configuration_set.{}",
                name.replace('-', "_")
            )),
            &object(&[("configuration_set_name", name.into())]),
        )
        .await
        .unwrap();
    }
    for domain in ["notifications-staging.restartix.pro", "ops@restartix.pro"] {
        identity
            .create(
                &op_context("aws_sesv2_email_identity.sender"),
                &object(&[("email_identity", domain.into())]),
            )
            .await
            .unwrap();
    }
    let made = calls.take();
    assert_eq!(
        made.get("GetCallerIdentity"),
        Some(&1),
        "the account is asked once: {made:?}"
    );

    let live = read(
        set.as_ref(),
        &["restartix-staging", "restartix-marketing", "no-such-set"],
    )
    .await;
    assert_eq!(live, [true, true, false]);
    assert_eq!(
        calls.take(),
        counts(&[("GetConfigurationSet", 3), ("ListTagsForResource", 2)])
    );

    let live = read(
        identity.as_ref(),
        &[
            "notifications-staging.restartix.pro",
            "ops@restartix.pro",
            "nobody.example.com",
        ],
    )
    .await;
    assert_eq!(live, [true, true, false]);
    assert_eq!(calls.take(), counts(&[("GetEmailIdentity", 3)]));
}
