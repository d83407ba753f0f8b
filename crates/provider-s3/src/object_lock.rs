//! `aws_s3_bucket_object_lock_configuration`: the default retention of a
//! bucket created with `object_lock_enabled` (GOVERNANCE or COMPLIANCE, in
//! days or years), in place. Object lock itself cannot be turned off:
//! destroying this resource removes the default retention and leaves the
//! lock enabled, and versions already written keep their retention.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
    ObjectLockRule,
};
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{
    Attribute, Attrs, Check, Object, ProviderError, Schema, Type, ValidationIssue, Value,
};

use crate::config::{is_absent, BucketConfig};

pub struct ObjectLock;

fn retention(config: &Object) -> Option<&Object> {
    config
        .get("rule")
        .and_then(Value::as_map)
        .and_then(|r| r.get("default_retention"))
        .and_then(Value::as_map)
}

async fn put_rule(
    client: &Client,
    bucket: &str,
    rule: Option<ObjectLockRule>,
) -> Result<(), ProviderError> {
    client
        .put_object_lock_configuration()
        .bucket(bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .set_rule(rule)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error("s3:PutObjectLockConfiguration", e))
}

#[async_trait]
impl BucketConfig for ObjectLock {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_object_lock_configuration"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let default_retention = Schema::new()
                .attr(
                    "mode",
                    Attribute::string()
                        .required()
                        .check(Check::OneOf(&["GOVERNANCE", "COMPLIANCE"]))
                        .describe("COMPLIANCE: no one, the root user included, can delete a locked version before its retention ends."),
                )
                .attr("days", Attribute::number())
                .attr("years", Attribute::number());
            let rule = Schema::new().attr(
                "default_retention",
                Attribute::new(Type::object(default_retention)).required(),
            );
            Schema::new()
                .describe("The default retention of a bucket created with `object_lock_enabled` (GOVERNANCE or COMPLIANCE), in place; destroying it removes the default, the lock stays.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr(
                    "object_lock_enabled",
                    Attribute::string()
                        .default("Enabled")
                        .force_new()
                        .check(Check::OneOf(&["Enabled"])),
                )
                .attr("rule", Attribute::new(Type::object(rule)))
                .attr("id", Attribute::string().computed())
        })
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let Some(r) = retention(config) else {
            return Vec::new();
        };
        let issue = |message: String| ValidationIssue {
            attribute: "rule".into(),
            message,
        };
        // Unknown values (from other resources) are checked by AWS.
        let known = |k: &str| r.get(k).is_some_and(|v| !v.is_null());
        let mut issues = Vec::new();
        match (known("days"), known("years")) {
            (true, true) => issues.push(issue(
                "default_retention sets both days and years: set one".into(),
            )),
            (false, false) if !r.values().any(Value::is_unknown) => {
                issues.push(issue("default_retention needs days or years".into()))
            }
            _ => {}
        }
        for k in ["days", "years"] {
            if let Some(n) = r.i64(k).filter(|n| *n < 1) {
                issues.push(issue(format!(
                    "default_retention.{k} is {n}: it must be at least 1"
                )));
            }
        }
        issues
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let out = match client
            .get_object_lock_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("s3:GetObjectLockConfiguration", e);
                return if is_absent(&e) { Ok(None) } else { Err(e) };
            }
        };
        let Some(conf) = out.object_lock_configuration() else {
            return Ok(None);
        };
        let mut obj = Object::new();
        obj.insert(
            "object_lock_enabled".into(),
            Value::from(conf.object_lock_enabled().map(|e| e.as_str())),
        );
        let rule = conf.rule().and_then(|r| r.default_retention()).map(|d| {
            // A period is at least 1; some emulators (moto) answer 0
            // for the one not set.
            let period = |n: Option<i32>| Value::from(n.filter(|n| *n > 0).map(i64::from));
            let retention: Object = [
                (
                    "mode".to_string(),
                    Value::from(d.mode().map(|m| m.as_str())),
                ),
                ("days".to_string(), period(d.days())),
                ("years".to_string(), period(d.years())),
            ]
            .into();
            let rule: Object = [("default_retention".to_string(), Value::Map(retention))].into();
            Value::Map(rule)
        });
        obj.insert("rule".into(), rule.unwrap_or(Value::Null));
        Ok(Some(obj))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let rule = retention(planned).map(|r| {
            ObjectLockRule::builder()
                .default_retention(
                    DefaultRetention::builder()
                        .set_mode(r.str("mode").map(ObjectLockRetentionMode::from))
                        .set_days(r.i64("days").and_then(|n| i32::try_from(n).ok()))
                        .set_years(r.i64("years").and_then(|n| i32::try_from(n).ok()))
                        .build(),
                )
                .build()
        });
        put_rule(client, bucket, rule).await
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        put_rule(client, bucket, None).await
    }
}
