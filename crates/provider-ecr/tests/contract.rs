//! The resource contract (cairn_testkit::resource_contract) for every ECR
//! type, against moto.

use aws_sdk_ecr::types::Tag;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

const KEEP_30: &str = r#"{"rules":[{"rulePriority":1,"description":"keep the 30 most recent","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":30},"action":{"type":"expire"}}]}"#;
const KEEP_10: &str = r#"{"rules":[{"rulePriority":1,"description":"keep the 10 most recent","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}"#;

#[tokio::test]
async fn every_ecr_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_ecr::register);
    let ecr = aws_sdk_ecr::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_ecr_repository.contract");

    let c = ecr.clone();
    let repository = Case {
        address: "aws_ecr_repository.contract",
        config: object(&[
            ("name", "tracker-api".into()),
            ("image_tag_mutability", "IMMUTABLE".into()),
            ("tags", tags(&[("Name", "api")])),
        ]),
        update: object(&[
            ("image_tag_mutability", "MUTABLE".into()),
            (
                "image_scanning_configuration",
                cairn_core::Value::Map([("scan_on_push".to_string(), true.into())].into()),
            ),
            ("tags", tags(&[("Name", "api"), ("Tier", "app")])),
        ]),
        replace: Some("encryption_configuration"),
        missing_id: "tracker-none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(Box::new(move |name, set, unset| {
            let c = c.clone();
            Box::pin(async move {
                let arn = format!("arn:aws:ecr:eu-west-2:123456789012:repository/{name}");
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
    check(
        registry.resource("aws_ecr_repository").unwrap().as_ref(),
        repository,
        &ctx,
    )
    .await;

    ecr.create_repository()
        .repository_name("tracker-web")
        .send()
        .await
        .unwrap();
    let policy = Case {
        address: "aws_ecr_lifecycle_policy.contract",
        config: object(&[
            ("repository", "tracker-web".into()),
            ("policy", KEEP_30.into()),
        ]),
        update: object(&[("policy", KEEP_10.into())]),
        replace: Some("repository"),
        missing_id: "tracker-none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        registry
            .resource("aws_ecr_lifecycle_policy")
            .unwrap()
            .as_ref(),
        policy,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &["aws_ecr_repository", "aws_ecr_lifecycle_policy"],
    );
}
