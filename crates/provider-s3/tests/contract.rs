//! The resource contract (cairn_testkit::resource_contract) for every S3
//! type, against moto.

use aws_sdk_s3::types::{Tag, Tagging};
use cairn_core::{Object, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn config_case(
    address: &'static str,
    bucket: &str,
    config: &[(&str, Value)],
    update: Object,
) -> Case {
    let mut c = object(config);
    c.insert("bucket".into(), bucket.into());
    Case {
        address,
        config: c,
        update,
        replace: Some("bucket"),
        missing_id: "cairn-no-such-bucket".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    }
}

fn rule(days: i64) -> Value {
    Value::List(vec![map(&[
        ("id", "logs".into()),
        ("status", "Enabled".into()),
        ("filter", map(&[("prefix", "alb/".into())])),
        ("expiration", map(&[("days", days.into())])),
        (
            "transition",
            Value::List(vec![map(&[
                ("days", 30.into()),
                ("storage_class", "GLACIER_IR".into()),
            ])]),
        ),
    ])])
}

#[tokio::test]
async fn every_s3_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_s3::register);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws.sdk_config().await.unwrap())
            .force_path_style(true)
            .build(),
    );
    let ctx = op_context("aws_s3_bucket.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let c = s3.clone();
    let bucket = Case {
        address: "aws_s3_bucket.contract",
        config: object(&[
            ("bucket", "cairn-contract-logs".into()),
            ("tags", tags(&[("Name", "logs")])),
        ]),
        update: object(&[
            ("force_destroy", true.into()),
            ("tags", tags(&[("Name", "logs"), ("Tier", "audit")])),
        ]),
        replace: Some("bucket"),
        missing_id: "cairn-no-such-bucket".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(Box::new(move |bucket, set, unset| {
            let c = c.clone();
            Box::pin(async move {
                // S3 has no tag/untag: read the set, change it, put it back.
                let live = c.get_bucket_tagging().bucket(bucket).send().await.unwrap();
                let mut all: Vec<(String, String)> = live
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .filter(|(k, _)| !unset.contains(k))
                    .collect();
                all.extend(set);
                let set = all
                    .into_iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                    .collect();
                let tagging = Tagging::builder().set_tag_set(Some(set)).build().unwrap();
                c.put_bucket_tagging()
                    .bucket(bucket)
                    .tagging(tagging)
                    .send()
                    .await
                    .unwrap();
            })
        })),
        delete_forgets: false,
    };
    check(resource("aws_s3_bucket").as_ref(), bucket, &ctx).await;

    let host = "cairn-contract-host";
    s3.create_bucket()
        .bucket(host)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let versioning = Case {
        // Destroying suspends versioning: a versioned bucket cannot go back.
        delete_forgets: true,
        ..config_case(
            "aws_s3_bucket_versioning.contract",
            host,
            &[(
                "versioning_configuration",
                map(&[("status", "Enabled".into())]),
            )],
            object(&[(
                "versioning_configuration",
                map(&[("status", "Suspended".into())]),
            )]),
        )
    };
    check(
        resource("aws_s3_bucket_versioning").as_ref(),
        versioning,
        &ctx,
    )
    .await;

    let sse = |algorithm: &str| {
        map(&[(
            "apply_server_side_encryption_by_default",
            map(&[("sse_algorithm", algorithm.into())]),
        )])
    };
    let encryption = config_case(
        "aws_s3_bucket_server_side_encryption_configuration.contract",
        host,
        &[("rule", sse("AES256"))],
        object(&[("rule", sse("aws:kms"))]),
    );
    check(
        resource("aws_s3_bucket_server_side_encryption_configuration").as_ref(),
        encryption,
        &ctx,
    )
    .await;

    let block = config_case(
        "aws_s3_bucket_public_access_block.contract",
        host,
        &[
            ("block_public_acls", true.into()),
            ("block_public_policy", true.into()),
        ],
        object(&[
            ("ignore_public_acls", true.into()),
            ("restrict_public_buckets", true.into()),
        ]),
    );
    check(
        resource("aws_s3_bucket_public_access_block").as_ref(),
        block,
        &ctx,
    )
    .await;

    let lifecycle = config_case(
        "aws_s3_bucket_lifecycle_configuration.contract",
        host,
        &[("rule", rule(90))],
        object(&[("rule", rule(120))]),
    );
    check(
        resource("aws_s3_bucket_lifecycle_configuration").as_ref(),
        lifecycle,
        &ctx,
    )
    .await;

    let statement = |action: &str| {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecure",
                "Effect": "Deny",
                "Principal": "*",
                "Action": action,
                "Resource": format!("arn:aws:s3:::{host}/*"),
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        })
        .to_string()
    };
    let policy = config_case(
        "aws_s3_bucket_policy.contract",
        host,
        &[("policy", statement("s3:GetObject").into())],
        object(&[("policy", statement("s3:*").into())]),
    );
    check(resource("aws_s3_bucket_policy").as_ref(), policy, &ctx).await;

    let ownership = |o: &str| map(&[("object_ownership", o.into())]);
    let controls = config_case(
        "aws_s3_bucket_ownership_controls.contract",
        host,
        &[("rule", ownership("BucketOwnerEnforced"))],
        object(&[("rule", ownership("BucketOwnerPreferred"))]),
    );
    check(
        resource("aws_s3_bucket_ownership_controls").as_ref(),
        controls,
        &ctx,
    )
    .await;

    // Object lock is chosen when the bucket is created.
    let locked = "cairn-contract-locked";
    s3.create_bucket()
        .bucket(locked)
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let retention = |key: &str, n: i64| {
        map(&[(
            "default_retention",
            map(&[("mode", "COMPLIANCE".into()), (key, n.into())]),
        )])
    };
    let lock = Case {
        // The lock outlives the resource: destroying removes the default
        // retention only.
        delete_forgets: true,
        ..config_case(
            "aws_s3_bucket_object_lock_configuration.contract",
            locked,
            &[("rule", retention("days", 30))],
            object(&[("rule", retention("years", 1))]),
        )
    };
    check(
        resource("aws_s3_bucket_object_lock_configuration").as_ref(),
        lock,
        &ctx,
    )
    .await;
    let live = s3
        .get_object_lock_configuration()
        .bucket(locked)
        .send()
        .await
        .unwrap();
    let conf = live.object_lock_configuration().unwrap();
    assert_eq!(
        conf.object_lock_enabled(),
        Some(&aws_sdk_s3::types::ObjectLockEnabled::Enabled)
    );

    covered(
        registry.resource_types(),
        &[
            "aws_s3_bucket",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_policy",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_object_lock_configuration",
        ],
    );
}
