//! `aws_s3_bucket_lifecycle_configuration`: the bucket's lifecycle rules
//! (expiration, transitions to colder storage classes, noncurrent version
//! expiration), replaced as a whole in place. Rule shapes AWS would refuse
//! are caught offline.

use std::sync::OnceLock;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, Transition, TransitionStorageClass,
};
use aws_sdk_s3::Client;
use cairn_aws::error;
use cairn_core::{
    Attribute, Attrs, Check, Object, ProviderError, Schema, Type, ValidationIssue, Value,
};

use crate::config::{is_absent, BucketConfig};

pub struct Lifecycle;

const STORAGE_CLASSES: &[&str] = &[
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
];

fn rules(config: &Object) -> Vec<&Object> {
    config
        .get("rule")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .collect()
}

fn days(m: Option<&Object>, key: &str) -> Option<i32> {
    m.and_then(|m| m.i64(key)).map(|d| d as i32)
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn invalid(e: impl std::fmt::Display) -> ProviderError {
    ProviderError::new(
        "s3:PutBucketLifecycleConfiguration",
        "InvalidRequest",
        e.to_string(),
    )
}

#[async_trait]
impl BucketConfig for Lifecycle {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_lifecycle_configuration"
    }

    fn schema(&self) -> &'static Schema {
        static S: OnceLock<Schema> = OnceLock::new();
        S.get_or_init(|| {
            let transition = Schema::new()
                .attr("days", Attribute::number().required().check(Check::Range(0, 36500)))
                .attr(
                    "storage_class",
                    Attribute::string().required().check(Check::OneOf(STORAGE_CLASSES)),
                );
            let rule = Schema::new()
                .attr("id", Attribute::string().required())
                .attr(
                    "status",
                    Attribute::string().required().check(Check::OneOf(&["Enabled", "Disabled"])),
                )
                .attr("filter", Attribute::new(Type::object(Schema::new().attr("prefix", Attribute::string()))))
                .attr(
                    "expiration",
                    Attribute::new(Type::object(
                        Schema::new().attr("days", Attribute::number().check(Check::Range(1, 36500))),
                    )),
                )
                .attr("transition", Attribute::new(Type::list(Type::object(transition))))
                .attr(
                    "noncurrent_version_expiration",
                    Attribute::new(Type::object(Schema::new().attr(
                        "noncurrent_days",
                        Attribute::number().check(Check::Range(1, 36500)),
                    ))),
                );
            Schema::new()
                .describe("A bucket's lifecycle rules (expiration, transitions such as GLACIER_IR or DEEP_ARCHIVE), replaced as a whole in place.")
                .attr("bucket", Attribute::string().required().force_new())
                .attr("rule", Attribute::new(Type::list(Type::object(rule))).required())
                .attr("id", Attribute::string().computed())
        })
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let rules = rules(config);
        let mut ids = std::collections::HashSet::new();
        for r in &rules {
            let id = r.str("id").unwrap_or("");
            if !id.is_empty() && !ids.insert(id) {
                issues.push(ValidationIssue {
                    attribute: "rule".into(),
                    message: format!("two rules have the id `{id}`"),
                });
            }
            let acts = ["expiration", "transition", "noncurrent_version_expiration"]
                .iter()
                .any(|k| r.get(*k).is_some_and(|v| !v.is_null()));
            if !acts {
                issues.push(ValidationIssue {
                    attribute: "rule".into(),
                    message: format!("rule `{id}` has no action: set expiration, transition or noncurrent_version_expiration"),
                });
            }
            let expire = r
                .get("expiration")
                .and_then(Value::as_map)
                .and_then(|e| e.i64("days"));
            for t in r
                .get("transition")
                .and_then(Value::as_list)
                .unwrap_or_default()
            {
                let td = t.as_map().and_then(|t| t.i64("days"));
                if let (Some(td), Some(ed)) = (td, expire) {
                    if td >= ed {
                        issues.push(ValidationIssue {
                            attribute: "rule".into(),
                            message: format!("rule `{id}` moves objects after {td} days but expires them after {ed}: the transition never happens"),
                        });
                    }
                }
            }
        }
        issues
    }

    async fn get(&self, client: &Client, bucket: &str) -> Result<Option<Object>, ProviderError> {
        let out = match client
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("s3:GetBucketLifecycleConfiguration", e);
                return if is_absent(&e) { Ok(None) } else { Err(e) };
            }
        };
        let rules: Vec<Value> = out
            .rules()
            .iter()
            .map(|r| {
                // An empty prefix is no filter: read back as none.
                let prefix = r
                    .filter()
                    .and_then(|f| f.prefix())
                    .filter(|p| !p.is_empty());
                let transitions: Vec<Value> = r
                    .transitions()
                    .iter()
                    .map(|t| {
                        map(vec![
                            ("days", Value::from(t.days().map(i64::from))),
                            (
                                "storage_class",
                                Value::from(t.storage_class().map(|c| c.as_str())),
                            ),
                        ])
                    })
                    .collect();
                map(vec![
                    ("id", Value::from(r.id())),
                    ("status", Value::from(r.status().as_str())),
                    (
                        "filter",
                        prefix.map_or(Value::Null, |p| map(vec![("prefix", Value::from(p))])),
                    ),
                    (
                        "expiration",
                        r.expiration()
                            .and_then(|e| e.days())
                            .map_or(Value::Null, |d| {
                                map(vec![("days", Value::from(i64::from(d)))])
                            }),
                    ),
                    ("transition", Value::List(transitions)),
                    (
                        "noncurrent_version_expiration",
                        r.noncurrent_version_expiration()
                            .and_then(|n| n.noncurrent_days())
                            .map_or(Value::Null, |d| {
                                map(vec![("noncurrent_days", Value::from(i64::from(d)))])
                            }),
                    ),
                ])
            })
            .collect();
        Ok(Some([("rule".to_string(), Value::List(rules))].into()))
    }

    async fn put(
        &self,
        client: &Client,
        bucket: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let mut built = Vec::new();
        for r in rules(planned) {
            let filter = LifecycleRuleFilter::builder()
                .prefix(
                    r.get("filter")
                        .and_then(Value::as_map)
                        .and_then(|f| f.str("prefix"))
                        .unwrap_or(""),
                )
                .build();
            let expiration = days(r.get("expiration").and_then(Value::as_map), "days")
                .map(|d| LifecycleExpiration::builder().days(d).build());
            let transitions: Vec<Transition> = r
                .get("transition")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_map)
                .map(|t| {
                    Transition::builder()
                        .set_days(days(Some(t), "days"))
                        .storage_class(TransitionStorageClass::from(
                            t.str("storage_class").unwrap_or("GLACIER"),
                        ))
                        .build()
                })
                .collect();
            let noncurrent = days(
                r.get("noncurrent_version_expiration")
                    .and_then(Value::as_map),
                "noncurrent_days",
            )
            .map(|d| {
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(d)
                    .build()
            });
            built.push(
                LifecycleRule::builder()
                    .id(r.str("id").unwrap_or_default())
                    .status(ExpirationStatus::from(r.str("status").unwrap_or("Enabled")))
                    .filter(filter)
                    .set_expiration(expiration)
                    .set_transitions((!transitions.is_empty()).then_some(transitions))
                    .set_noncurrent_version_expiration(noncurrent)
                    .build()
                    .map_err(invalid)?,
            );
        }
        let configuration = BucketLifecycleConfiguration::builder()
            .set_rules(Some(built))
            .build()
            .map_err(invalid)?;
        client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(configuration)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:PutBucketLifecycleConfiguration", e))
    }

    async fn remove(
        &self,
        client: &Client,
        bucket: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        client
            .delete_bucket_lifecycle()
            .bucket(bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("s3:DeleteBucketLifecycle", e))
    }
}
