//! aws_kms_key and aws_kms_alias against moto, checked through the SDK.

use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Registry, Resource, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::MotoServer;

async fn setup() -> (MotoServer, Registry, aws_sdk_kms::Client) {
    let (moto, aws, registry) = moto_provider(cairn_provider_kms::register);
    let client = aws_sdk_kms::Client::new(aws.sdk_config().await.unwrap());
    (moto, registry, client)
}

async fn read_one(r: &dyn Resource, id: &str, prior: &Object) -> Option<Object> {
    let out = r
        .read(&[ReadRequest { id, prior }], &ReadContext::default())
        .await
        .unwrap();
    match out.into_iter().next() {
        Some(ReadOutcome::Live(o)) => Some(o),
        _ => None,
    }
}

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#;

#[tokio::test]
async fn key_create_update_schedule_deletion() {
    let (_moto, registry, kms) = setup().await;
    let r = registry.resource("aws_kms_key").unwrap().clone();
    let ctx = op_context("aws_kms_key.main");
    let planned = object(&[
        ("description", "data key".into()),
        ("key_usage", "ENCRYPT_DECRYPT".into()),
        ("customer_master_key_spec", "SYMMETRIC_DEFAULT".into()),
        ("enable_key_rotation", true.into()),
        ("is_enabled", true.into()),
        ("deletion_window_in_days", 7.into()),
        ("policy", POLICY.into()),
        ("tags", tags(&[("Name", "data")])),
        ("id", Value::Unknown),
    ]);
    let created = r.create(&ctx, &planned).await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["key_id"].as_str(), Some(id.as_str()));
    assert_eq!(created["enable_key_rotation"].as_bool(), Some(true));
    assert_eq!(
        created["deletion_window_in_days"].as_i64(),
        Some(7),
        "kept from the plan"
    );
    assert!(kms
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    let live_tags = kms.list_resource_tags().key_id(&id).send().await.unwrap();
    assert!(live_tags
        .tags()
        .iter()
        .any(|t| t.tag_key() == "cairn:address" && t.tag_value() == "aws_kms_key.main"));

    let mut want = created.clone();
    want.insert("enable_key_rotation".into(), false.into());
    want.insert("description".into(), "renamed".into());
    want.insert("tags".into(), tags(&[("Name", "data"), ("Tier", "1")]));
    let updated = r
        .update(
            &ctx,
            &id,
            &created,
            &want,
            &[
                "description".into(),
                "enable_key_rotation".into(),
                "tags".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(updated["description"].as_str(), Some("renamed"));
    assert!(!kms
        .get_key_rotation_status()
        .key_id(&id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled());
    assert_eq!(updated["tags"].as_map().unwrap().len(), 2);
    assert!(read_one(r.as_ref(), &id, &updated).await.is_some());

    r.delete(&ctx, &id, &updated).await.unwrap();
    let state = kms.describe_key().key_id(&id).send().await.unwrap();
    assert_eq!(
        state
            .key_metadata()
            .and_then(|m| m.key_state())
            .map(|s| s.as_str()),
        Some("PendingDeletion")
    );
    assert!(
        read_one(r.as_ref(), &id, &updated).await.is_none(),
        "a key pending deletion is gone"
    );
    r.delete(&ctx, &id, &updated)
        .await
        .expect("deleting again succeeds");
}

#[tokio::test]
async fn alias_points_and_moves_between_keys() {
    let (_moto, registry, kms) = setup().await;
    let key_a = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    let key_b = kms
        .create_key()
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_id()
        .to_string();
    let r = registry.resource("aws_kms_alias").unwrap().clone();
    let ctx = op_context("aws_kms_alias.main");
    let created = r
        .create(
            &ctx,
            &object(&[
                ("name", "alias/app".into()),
                ("target_key_id", key_a.as_str().into()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(created["id"].as_str(), Some("alias/app"));
    assert!(created["arn"].as_str().unwrap().ends_with(":alias/app"));

    let mut want = created.clone();
    want.insert("target_key_id".into(), key_b.as_str().into());
    let moved = r
        .update(
            &ctx,
            "alias/app",
            &created,
            &want,
            &["target_key_id".into()],
        )
        .await
        .unwrap();
    assert_eq!(moved["target_key_id"].as_str(), Some(key_b.as_str()));
    let aliases = kms.list_aliases().send().await.unwrap();
    let a = aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some("alias/app"))
        .unwrap();
    assert_eq!(a.target_key_id(), Some(key_b.as_str()));

    let empty = object(&[]);
    let out = r
        .read(
            &[
                ReadRequest {
                    id: "alias/app",
                    prior: &moved,
                },
                ReadRequest {
                    id: "alias/missing",
                    prior: &empty,
                },
            ],
            &ReadContext::default(),
        )
        .await
        .unwrap();
    assert!(matches!(out[0], ReadOutcome::Live(_)) && matches!(out[1], ReadOutcome::Gone));

    r.delete(&ctx, "alias/app", &moved).await.unwrap();
    assert!(read_one(r.as_ref(), "alias/app", &moved).await.is_none());
    r.delete(&ctx, "alias/app", &moved)
        .await
        .expect("deleting again succeeds");
}

#[tokio::test]
async fn alias_names_are_checked_offline() {
    let (_moto, registry, _) = setup().await;
    let schema = registry.resource("aws_kms_alias").unwrap().schema();
    let check = &schema.get("name").unwrap().checks[0];
    assert!(check.run(&"app".into()).is_err());
    assert!(check.run(&"alias/aws/ebs".into()).is_err());
    assert!(check.run(&"alias/app".into()).is_ok());
}
