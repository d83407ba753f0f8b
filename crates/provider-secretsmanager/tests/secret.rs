//! Secrets as the Tracker guide sets them (on the stack's KMS key), the
//! value sensitive in what cairn returns, and a name inside its recovery
//! window refused with a message that says how to get out; checked
//! through the SDK.

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context};

#[tokio::test]
async fn secrets_on_a_kms_key_values_sensitive_and_the_recovery_window_explained() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_secretsmanager::register);
    let sm = aws_sdk_secretsmanager::Client::new(aws.sdk_config().await.unwrap());
    let secret = registry.resource("aws_secretsmanager_secret").unwrap();
    let version = registry
        .resource("aws_secretsmanager_secret_version")
        .unwrap();
    let ctx = op_context("aws_secretsmanager_secret.db");
    let key = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-4000-8000-000000000001";
    let planned = object(&[
        ("name", "tracker/staging/postgres-password".into()),
        ("kms_key_id", key.into()),
        ("recovery_window_in_days", Value::from(7)),
    ]);
    let created = secret.create(&ctx, &planned).await.unwrap();
    let arn = created["arn"].as_str().unwrap().to_string();
    let live = sm.describe_secret().secret_id(&arn).send().await.unwrap();
    assert_eq!(live.kms_key_id(), Some(key));

    let vctx = op_context("aws_secretsmanager_secret_version.db");
    let stored = version
        .create(
            &vctx,
            &object(&[
                ("secret_id", arn.as_str().into()),
                ("secret_string", "hunter2-but-longer".into()),
            ]),
        )
        .await
        .unwrap();
    assert!(stored["secret_string"].is_sensitive());
    assert!(!format!("{}", stored["secret_string"]).contains("hunter2"));
    let value = sm.get_secret_value().secret_id(&arn).send().await.unwrap();
    assert_eq!(value.secret_string(), Some("hunter2-but-longer"));

    // Deleted with a recovery window: the name stays taken, and a new
    // create says why and what to do.
    secret.delete(&ctx, &arn, &created).await.unwrap();
    let err = secret.create(&ctx, &planned).await.unwrap_err();
    assert_eq!(err.code, "SecretPendingDeletion", "{err}");
    assert!(
        err.message.contains("restore-secret")
            && err.message.contains("--force-delete-without-recovery"),
        "{err}"
    );
}
