//! data `aws_acm_certificate`: an existing certificate by `domain` (its
//! primary domain name), among those of `statuses` (ISSUED by default),
//! `types` and `key_types` (ACM's default, RSA-1024 and RSA-2048, when
//! unset, as in Terraform). Several matches are an error unless
//! `most_recent` picks the newest. One ListCertificates per page, then the
//! tags of the one found.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_acm::types::{CertificateStatus, CertificateSummary, KeyAlgorithm};
use cairn_core::{
    tags, Attribute, Attrs, Check, DataSource, Object, ProviderError, Schema, Type, Value,
};

use crate::common;
use crate::Acm;

const TYPES: &[&str] = &["AMAZON_ISSUED", "IMPORTED", "PRIVATE"];

pub struct CertificateData {
    acm: Arc<Acm>,
}

impl CertificateData {
    pub fn new(acm: Arc<Acm>) -> Self {
        CertificateData { acm }
    }
}

/// Every element of a list is one of `allowed`.
fn each_of(v: &Value, allowed: &[&str]) -> Result<(), String> {
    let bad: Vec<&str> = v
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| !allowed.contains(s))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} not one of {}",
            bad.join(", "),
            allowed.join(", ")
        ))
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe(
                "An existing ACM certificate by `domain`; several matches are an error unless `most_recent = true`.",
            )
            .attr("domain", Attribute::string().required())
            .attr(
                "statuses",
                Attribute::new(Type::list(Type::String))
                    .default(vec!["ISSUED"])
                    .check(Check::Custom(|v| each_of(v, CertificateStatus::values()))),
            )
            .attr(
                "types",
                Attribute::new(Type::list(Type::String))
                    .check(Check::Custom(|v| each_of(v, TYPES))),
            )
            .attr(
                "key_types",
                Attribute::new(Type::set(Type::String))
                    .check(Check::Custom(|v| each_of(v, KeyAlgorithm::values())))
                    .describe("Key algorithms to look among; ACM's default is RSA_1024 and RSA_2048 only."),
            )
            .attr("most_recent", Attribute::bool().default(false))
            .attr("arn", Attribute::string().computed())
            .attr("id", Attribute::string().computed())
            .attr("status", Attribute::string().computed())
            .attr("tags", Attribute::new(Type::map(Type::String)).computed())
    })
}

/// When a certificate became current: valid from (issued or imported),
/// else requested.
fn recency(s: &CertificateSummary) -> (i64, u32) {
    s.not_before()
        .or(s.created_at())
        .or(s.imported_at())
        .map(|t| (t.secs(), t.subsec_nanos()))
        .unwrap_or_default()
}

fn describe_match(s: &CertificateSummary) -> String {
    format!(
        "{} ({}, {}, valid from {})",
        s.certificate_arn().unwrap_or_default(),
        s.status().map(|s| s.as_str()).unwrap_or("?"),
        s.r#type().map(|t| t.as_str()).unwrap_or("?"),
        common::rfc3339(s.not_before()).unwrap_or_else(|| "-".into())
    )
}

#[async_trait]
impl DataSource for CertificateData {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(&self, config: &Object) -> Result<Object, ProviderError> {
        let client = self.acm.client().await?;
        let domain = config.str("domain").unwrap_or_default();
        let mut statuses = config.strings("statuses");
        if statuses.is_empty() {
            statuses.push("ISSUED".into());
        }
        let key_types = config.strings("key_types");
        let types = config.strings("types");
        let summaries = common::list(
            client,
            statuses
                .iter()
                .map(|s| CertificateStatus::from(s.as_str()))
                .collect(),
            (!key_types.is_empty()).then(|| {
                key_types
                    .iter()
                    .map(|k| KeyAlgorithm::from(k.as_str()))
                    .collect()
            }),
        )
        .await?;
        let mut found: Vec<&CertificateSummary> = summaries
            .iter()
            .filter(|s| s.domain_name() == Some(domain))
            .filter(|s| {
                types.is_empty()
                    || s.r#type()
                        .is_some_and(|t| types.iter().any(|w| w == t.as_str()))
            })
            .collect();
        let searched = format!(
            "domain `{domain}` with status {}{}{}",
            statuses.join("|"),
            if types.is_empty() {
                String::new()
            } else {
                format!(", type {}", types.join("|"))
            },
            if key_types.is_empty() {
                String::new()
            } else {
                format!(", key type {}", key_types.join("|"))
            },
        );
        if found.is_empty() {
            return Err(ProviderError::new(
                "acm:ListCertificates",
                "NoMatch",
                format!("no ACM certificate matches {searched}"),
            ));
        }
        if found.len() > 1 && config.bool("most_recent") != Some(true) {
            return Err(ProviderError::new(
                "acm:ListCertificates",
                "TooManyMatches",
                format!(
                    "{} ACM certificates match {searched}: {}; set `most_recent = true` or narrow \
                     `statuses`/`types`/`key_types`",
                    found.len(),
                    found
                        .iter()
                        .map(|s| describe_match(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        found.sort_by_key(|s| recency(s));
        let Some(cert) = found.pop() else {
            return Err(ProviderError::new(
                "acm:ListCertificates",
                "NoMatch",
                format!("no ACM certificate matches {searched}"),
            ));
        };
        let arn = cert.certificate_arn().unwrap_or_default();
        let live = common::tags_of(client, arn).await?.unwrap_or_default();
        let (_, all) = tags::split_live(&live, &tags::Tags::new());
        Ok([
            ("id".to_string(), Value::from(arn)),
            ("arn".to_string(), Value::from(arn)),
            ("domain".to_string(), Value::from(domain)),
            (
                "status".to_string(),
                Value::from(cert.status().map(|s| s.as_str().to_string())),
            ),
            ("statuses".to_string(), Value::from(statuses.clone())),
            (
                "types".to_string(),
                config.get("types").cloned().unwrap_or(Value::Null),
            ),
            (
                "key_types".to_string(),
                config.get("key_types").cloned().unwrap_or(Value::Null),
            ),
            (
                "most_recent".to_string(),
                Value::from(config.bool("most_recent").unwrap_or(false)),
            ),
            ("tags".to_string(), tags::to_value(&all)),
        ]
        .into())
    }
}
