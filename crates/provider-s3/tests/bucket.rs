//! An ALB log bucket as the Tracker guide sets it (SSE-S3, public access
//! blocked, 90-day expiry), checked through the SDK; a bucket with objects
//! is deleted only with force_destroy, which empties every version;
//! lifecycle rule shapes AWS would refuse are caught offline.

use aws_sdk_s3::primitives::ByteStream;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[tokio::test]
async fn alb_log_bucket_and_guarded_delete() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_s3::register);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws.sdk_config().await.unwrap())
            .force_path_style(true)
            .build(),
    );
    let r = |t: &str| registry.resource(t).unwrap().clone();
    let ctx = op_context("aws_s3_bucket.alb_logs");
    let bucket = r("aws_s3_bucket")
        .create(&ctx, &object(&[("bucket", "tracker-alb-logs".into())]))
        .await
        .unwrap();
    let on = |b: &str| object(&[("bucket", b.into())]);
    let mut block = on("tracker-alb-logs");
    for k in [
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ] {
        block.insert(k.into(), true.into());
    }
    r("aws_s3_bucket_public_access_block")
        .create(&ctx, &block)
        .await
        .unwrap();
    let mut sse = on("tracker-alb-logs");
    sse.insert(
        "rule".into(),
        map(&[(
            "apply_server_side_encryption_by_default",
            map(&[("sse_algorithm", "AES256".into())]),
        )]),
    );
    r("aws_s3_bucket_server_side_encryption_configuration")
        .create(&ctx, &sse)
        .await
        .unwrap();
    let mut lifecycle = on("tracker-alb-logs");
    lifecycle.insert(
        "rule".into(),
        Value::List(vec![map(&[
            ("id", "expire".into()),
            ("status", "Enabled".into()),
            ("expiration", map(&[("days", 90.into())])),
        ])]),
    );
    let lc = r("aws_s3_bucket_lifecycle_configuration");
    assert!(lc.validate(&lifecycle).is_empty());
    lc.create(&ctx, &lifecycle).await.unwrap();

    let pab = s3
        .get_public_access_block()
        .bucket("tracker-alb-logs")
        .send()
        .await
        .unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .unwrap()
            .block_public_policy(),
        Some(true)
    );
    let enc = s3
        .get_bucket_encryption()
        .bucket("tracker-alb-logs")
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );
    let rules = s3
        .get_bucket_lifecycle_configuration()
        .bucket("tracker-alb-logs")
        .send()
        .await
        .unwrap();
    assert_eq!(rules.rules()[0].expiration().unwrap().days(), Some(90));

    // Offline: a rule without an action, and a transition after expiry.
    let mut bad = on("x");
    bad.insert(
        "rule".into(),
        Value::List(vec![
            map(&[("id", "a".into()), ("status", "Enabled".into())]),
            map(&[
                ("id", "b".into()),
                ("status", "Enabled".into()),
                ("expiration", map(&[("days", 30.into())])),
                (
                    "transition",
                    Value::List(vec![map(&[
                        ("days", 60.into()),
                        ("storage_class", "DEEP_ARCHIVE".into()),
                    ])]),
                ),
            ]),
        ]),
    );
    assert_eq!(lc.validate(&bad).len(), 2, "{:?}", lc.validate(&bad));

    // Objects in it: refused without force_destroy, and the error says how.
    s3.put_object()
        .bucket("tracker-alb-logs")
        .key("alb/1.log")
        .body(ByteStream::from_static(b"log"))
        .send()
        .await
        .unwrap();
    let b = r("aws_s3_bucket");
    let refused = b
        .delete(&ctx, "tracker-alb-logs", &bucket)
        .await
        .unwrap_err();
    assert_eq!(refused.code, "BucketNotEmpty");
    assert!(
        refused.message.contains("force_destroy = true"),
        "{refused}"
    );
    let mut forced = bucket.clone();
    forced.insert("force_destroy".into(), true.into());
    b.delete(&ctx, "tracker-alb-logs", &forced).await.unwrap();
    let left = s3.list_buckets().send().await.unwrap();
    assert!(left
        .buckets()
        .iter()
        .all(|x| x.name() != Some("tracker-alb-logs")));
}

/// The restartix backup bucket: object lock chosen at create, COMPLIANCE
/// retention of 7 years, so a version written to it cannot be deleted,
/// even by `force_destroy`, which says why instead of looping.
#[tokio::test]
async fn compliance_locked_backup_bucket() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_s3::register);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws.sdk_config().await.unwrap())
            .force_path_style(true)
            .build(),
    );
    let r = |t: &str| registry.resource(t).unwrap().clone();
    let ctx = op_context("aws_s3_bucket.backups");
    let name = "restartix-backups-primary-staging";
    let bucket = r("aws_s3_bucket")
        .create(
            &ctx,
            &object(&[
                ("bucket", name.into()),
                ("object_lock_enabled", true.into()),
                ("force_destroy", true.into()),
            ]),
        )
        .await
        .unwrap();
    let lock = r("aws_s3_bucket_object_lock_configuration");
    let retention = |pairs: &[(&str, Value)]| {
        let mut c = object(&[("bucket", name.into())]);
        c.insert("rule".into(), map(&[("default_retention", map(pairs))]));
        c
    };
    let seven_years = retention(&[("mode", "COMPLIANCE".into()), ("years", 7.into())]);
    assert!(lock.validate(&seven_years).is_empty());
    let created = lock.create(&ctx, &seven_years).await.unwrap();
    assert_eq!(
        created.get("object_lock_enabled").and_then(Value::as_str),
        Some("Enabled")
    );

    let live = s3
        .get_object_lock_configuration()
        .bucket(name)
        .send()
        .await
        .unwrap();
    let d = live
        .object_lock_configuration()
        .and_then(|c| c.rule())
        .and_then(|r| r.default_retention())
        .unwrap();
    assert_eq!(d.mode().map(|m| m.as_str()), Some("COMPLIANCE"));
    assert_eq!(d.years(), Some(7));

    // Offline: both periods, neither, and a period below one.
    let both = retention(&[
        ("mode", "COMPLIANCE".into()),
        ("years", 7.into()),
        ("days", 1.into()),
    ]);
    let neither = retention(&[("mode", "COMPLIANCE".into())]);
    let zero = retention(&[("mode", "GOVERNANCE".into()), ("days", 0.into())]);
    for bad in [&both, &neither, &zero] {
        assert_eq!(lock.validate(bad).len(), 1, "{:?}", lock.validate(bad));
    }

    // A version under COMPLIANCE retention outlives force_destroy.
    s3.put_object()
        .bucket(name)
        .key("pg_dump/2026-12-02.gz")
        .body(ByteStream::from_static(b"dump"))
        .send()
        .await
        .unwrap();
    let refused = r("aws_s3_bucket")
        .delete(&ctx, name, &bucket)
        .await
        .unwrap_err();
    assert!(
        refused.message.contains("pg_dump/2026-12-02.gz")
            && refused.message.contains("object lock"),
        "{refused}"
    );
    let still = s3.list_object_versions().bucket(name).send().await.unwrap();
    assert_eq!(still.versions().len(), 1);
}
