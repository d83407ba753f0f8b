//! The resource contract (cairn_testkit::resource_contract) for every ACM
//! type, against moto.

use aws_sdk_acm::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

const MISSING: &str =
    "arn:aws:acm:eu-west-2:123456789012:certificate/00000000-0000-4000-8000-000000000000";

#[tokio::test]
async fn every_acm_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_acm::register);
    let acm = aws_sdk_acm::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_acm_certificate.contract");

    let c = acm.clone();
    let certificate = Case {
        address: "aws_acm_certificate.contract",
        config: object(&[
            ("domain_name", "contract.staging.glimpse.technology".into()),
            (
                "subject_alternative_names",
                Value::from(vec!["www.contract.staging.glimpse.technology"]),
            ),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[("tags", tags(&[("Name", "contract"), ("Tier", "edge")]))]),
        replace: Some("domain_name"),
        missing_id: MISSING.into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(Box::new(move |arn, set, unset| {
            let c = c.clone();
            Box::pin(async move {
                let set = set
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                    .collect();
                c.add_tags_to_certificate()
                    .certificate_arn(arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .unwrap();
                let unset = unset
                    .into_iter()
                    .map(|k| Tag::builder().key(k).build().unwrap())
                    .collect();
                c.remove_tags_from_certificate()
                    .certificate_arn(arn)
                    .set_tags(Some(unset))
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    check(
        registry.resource("aws_acm_certificate").unwrap().as_ref(),
        certificate,
        &ctx,
    )
    .await;

    // A certificate of its own to validate (moto issues it at once).
    let arn = acm
        .request_certificate()
        .domain_name("validated.staging.glimpse.technology")
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    let validation = Case {
        address: "aws_acm_certificate_validation.contract",
        config: object(&[("certificate_arn", arn.as_str().into())]),
        update: object(&[]),
        replace: Some("certificate_arn"),
        missing_id: MISSING.into(),
        // Nothing is created: a second create waits again and returns the
        // same id (the certificate's ARN).
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: true,
    };
    check(
        registry
            .resource("aws_acm_certificate_validation")
            .unwrap()
            .as_ref(),
        validation,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &["aws_acm_certificate", "aws_acm_certificate_validation"],
    );
}
