//! The resource contract (cairn_testkit::resource_contract) for every
//! Secrets Manager type, against moto.

use aws_sdk_secretsmanager::types::Tag;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

#[tokio::test]
async fn every_secretsmanager_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_secretsmanager::register);
    let sm = aws_sdk_secretsmanager::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_secretsmanager_secret.contract");

    let c = sm.clone();
    let secret = Case {
        address: "aws_secretsmanager_secret.contract",
        config: object(&[
            ("name", "tracker/staging/contract".into()),
            ("description", "contract".into()),
            ("recovery_window_in_days", 0.into()),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[
            ("description", "updated".into()),
            ("tags", tags(&[("Name", "contract"), ("Tier", "data")])),
        ]),
        replace: Some("name"),
        missing_id: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:none-AbCdEf".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(Box::new(move |arn, set, unset| {
            let c = c.clone();
            Box::pin(async move {
                let set = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect();
                c.tag_resource()
                    .secret_id(arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .unwrap();
                c.untag_resource()
                    .secret_id(arn)
                    .set_tag_keys(Some(unset))
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    check(
        registry
            .resource("aws_secretsmanager_secret")
            .unwrap()
            .as_ref(),
        secret,
        &ctx,
    )
    .await;

    let holder = sm
        .create_secret()
        .name("tracker/staging/db")
        .send()
        .await
        .unwrap();
    let arn = holder.arn().unwrap().to_string();
    let version = Case {
        address: "aws_secretsmanager_secret_version.contract",
        config: object(&[
            ("secret_id", arn.as_str().into()),
            ("secret_string", "s3cr3t-value".into()),
        ]),
        update: object(&[]),
        replace: Some("secret_string"),
        missing_id: format!("{arn}|00000000-0000-4000-8000-000000000000"),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        // A version stays in the secret's history until the secret goes.
        delete_forgets: true,
    };
    check(
        registry
            .resource("aws_secretsmanager_secret_version")
            .unwrap()
            .as_ref(),
        version,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_secretsmanager_secret",
            "aws_secretsmanager_secret_version",
        ],
    );
}
