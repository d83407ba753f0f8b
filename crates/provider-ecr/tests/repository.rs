//! aws_ecr_repository as the Tracker guide sets it (KMS-encrypted,
//! immutable tags, scan on push), checked through the SDK; a repository
//! holding images is deleted only with force_delete; the data source.

use cairn_core::{Object, OpContext, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn kms_encrypted_immutable_repository_and_guarded_delete() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_ecr::register);
    let ecr = aws_sdk_ecr::Client::new(aws.sdk_config().await.unwrap());
    let r = registry.resource("aws_ecr_repository").unwrap();
    let ctx: OpContext = op_context("aws_ecr_repository.api");
    let key = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-4000-8000-000000000001";
    let planned: Object = object(&[
        ("name", "tracker-api".into()),
        ("image_tag_mutability", "IMMUTABLE".into()),
        (
            "image_scanning_configuration",
            map(&[("scan_on_push", true.into())]),
        ),
        (
            "encryption_configuration",
            map(&[("encryption_type", "KMS".into()), ("kms_key", key.into())]),
        ),
        ("force_delete", false.into()),
        ("tags", tags(&[("Name", "api")])),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    assert!(created["repository_url"]
        .as_str()
        .unwrap()
        .ends_with("/tracker-api"));
    let live = ecr
        .describe_repositories()
        .repository_names("tracker-api")
        .send()
        .await
        .unwrap();
    let repo = &live.repositories()[0];
    assert_eq!(
        repo.image_tag_mutability().map(|m| m.as_str()),
        Some("IMMUTABLE")
    );
    assert!(repo.image_scanning_configuration().unwrap().scan_on_push());
    let enc = repo.encryption_configuration().unwrap();
    assert_eq!(enc.encryption_type().as_str(), "KMS");
    assert_eq!(enc.kms_key(), Some(key));

    // The data source finds it by name; an unknown name is a clear error.
    let data = registry.data_source("aws_ecr_repository").unwrap();
    let found = data
        .read(&object(&[("name", "tracker-api".into())]))
        .await
        .unwrap();
    assert_eq!(found["arn"].as_str(), created["arn"].as_str());
    let missing = data
        .read(&object(&[("name", "nope".into())]))
        .await
        .unwrap_err();
    assert!(
        missing.message.contains("no repository named `nope`"),
        "{missing}"
    );

    // An image in it: delete refuses without force_delete, and says how.
    ecr.put_image()
        .repository_name("tracker-api")
        .image_tag("sha-1")
        .image_manifest(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:0"},"layers":[]}"#)
        .send()
        .await
        .unwrap();
    let refused = r.delete(&ctx, "tracker-api", &created).await.unwrap_err();
    assert_eq!(refused.code, "RepositoryNotEmptyException");
    assert!(refused.message.contains("force_delete = true"), "{refused}");
    let mut forced = created.clone();
    forced.insert("force_delete".into(), true.into());
    r.delete(&ctx, "tracker-api", &forced).await.unwrap();
    assert!(ecr
        .describe_repositories()
        .send()
        .await
        .unwrap()
        .repositories()
        .is_empty());
}
