//! The resource contract (cairn_testkit::resource_contract) for every KMS
//! type, against moto.

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

#[tokio::test]
async fn every_kms_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_kms::register);
    let kms = aws_sdk_kms::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_kms_key.contract");

    let tagger = kms.clone();
    let key = Case {
        address: "aws_kms_key.contract",
        config: object(&[
            ("description", "contract".into()),
            ("deletion_window_in_days", Value::from(7)),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[
            ("description", "contract, updated".into()),
            ("enable_key_rotation", true.into()),
            ("tags", tags(&[("Name", "contract"), ("Tier", "data")])),
        ]),
        replace: Some("key_usage"),
        missing_id: "00000000-0000-4000-8000-000000000000".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(Box::new(move |id, set, unset| {
            let kms = tagger.clone();
            Box::pin(async move {
                let set = set
                    .into_iter()
                    .map(|(k, v)| {
                        aws_sdk_kms::types::Tag::builder()
                            .tag_key(k)
                            .tag_value(v)
                            .build()
                            .unwrap()
                    })
                    .collect();
                kms.tag_resource()
                    .key_id(id)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .unwrap();
                kms.untag_resource()
                    .key_id(id)
                    .set_tag_keys(Some(unset))
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    check(
        registry.resource("aws_kms_key").unwrap().as_ref(),
        key,
        &ctx,
    )
    .await;

    let target = |desc: &'static str| {
        let kms = kms.clone();
        async move {
            let out = kms.create_key().description(desc).send().await.unwrap();
            out.key_metadata().unwrap().key_id().to_string()
        }
    };
    let (first, second) = (target("a").await, target("b").await);
    let alias = Case {
        address: "aws_kms_alias.contract",
        config: object(&[
            ("name", "alias/contract".into()),
            ("target_key_id", first.as_str().into()),
        ]),
        update: object(&[("target_key_id", second.as_str().into())]),
        replace: Some("name"),
        missing_id: "alias/none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        registry.resource("aws_kms_alias").unwrap().as_ref(),
        alias,
        &ctx,
    )
    .await;

    covered(registry.resource_types(), &["aws_kms_key", "aws_kms_alias"]);
}
