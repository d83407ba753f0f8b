//! What the ACM types share: listing the region's certificates (one call
//! per page of 1,000, every status and key type), describing one, its tags,
//! and the DNS validation records of a described certificate.

use std::collections::HashMap;

use aws_sdk_acm::primitives::{DateTime, DateTimeFormat};
use aws_sdk_acm::types::{
    CertificateDetail, CertificateStatus, CertificateSummary, Filters, KeyAlgorithm, Tag,
};
use aws_sdk_acm::Client;
use cairn_aws::{error, is_not_found};
use cairn_core::tags::Tags;
use cairn_core::ProviderError;

/// ListCertificates's largest page.
const PAGE: i32 = 1000;

/// Every certificate of the region, by ARN: every status, and every key
/// algorithm (without `Includes.keyTypes` ACM leaves out RSA-3072/4096 and
/// EC certificates). One call per page of 1,000.
pub async fn list_all(
    client: &Client,
) -> Result<HashMap<String, CertificateSummary>, ProviderError> {
    let statuses = CertificateStatus::values()
        .iter()
        .map(|s| CertificateStatus::from(*s))
        .collect();
    let summaries = list(client, statuses, Some(all_key_types())).await?;
    Ok(summaries
        .into_iter()
        .filter_map(|s| Some((s.certificate_arn()?.to_string(), s)))
        .collect())
}

/// The certificates of these statuses and key algorithms (ACM's default,
/// RSA-1024 and RSA-2048, when `key_types` is `None`).
pub async fn list(
    client: &Client,
    statuses: Vec<CertificateStatus>,
    key_types: Option<Vec<KeyAlgorithm>>,
) -> Result<Vec<CertificateSummary>, ProviderError> {
    let includes = key_types.map(|k| Filters::builder().set_key_types(Some(k)).build());
    client
        .list_certificates()
        .set_certificate_statuses(Some(statuses))
        .set_includes(includes)
        .max_items(PAGE)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| error("acm:ListCertificates", e))
}

/// A key algorithm as RequestCertificate spells it: DescribeCertificate
/// and ListCertificates answer `RSA-2048`, `EC-prime256v1` on AWS.
pub fn key_algorithm(k: &KeyAlgorithm) -> String {
    let s = k.as_str().replace('-', "_");
    KeyAlgorithm::values()
        .iter()
        .find(|v| v.eq_ignore_ascii_case(&s))
        .map_or(s, |v| v.to_string())
}

/// ACM gave up validating it (72 hours without the records): as in
/// Terraform, such a certificate counts as gone, and the next plan
/// requests a new one.
pub fn timed_out(status: Option<&CertificateStatus>) -> bool {
    status.is_some_and(|s| s.as_str() == "VALIDATION_TIMED_OUT")
}

pub fn all_key_types() -> Vec<KeyAlgorithm> {
    KeyAlgorithm::values()
        .iter()
        .map(|k| KeyAlgorithm::from(*k))
        .collect()
}

/// The certificate `arn`; `None` when it does not exist.
pub async fn describe(
    client: &Client,
    arn: &str,
) -> Result<Option<CertificateDetail>, ProviderError> {
    match client
        .describe_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(out.certificate),
        Err(e) => {
            let e = error("acm:DescribeCertificate", e);
            if is_not_found(&e) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// The tags of `arn`; `None` when the certificate does not exist.
pub async fn tags_of(client: &Client, arn: &str) -> Result<Option<Tags>, ProviderError> {
    match client
        .list_tags_for_certificate()
        .certificate_arn(arn)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.tags()
                .iter()
                .map(|t| {
                    (
                        t.key().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
        )),
        Err(e) => {
            let e = error("acm:ListTagsForCertificate", e);
            if is_not_found(&e) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

pub fn sdk_tags(t: &Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// A timestamp as Terraform records it (RFC 3339).
pub fn rfc3339(t: Option<&DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

/// One DNS record ACM checks to validate a domain name of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub domain: String,
    pub name: String,
    pub kind: String,
    pub value: String,
    /// ACM has seen the record (`SUCCESS`).
    pub validated: bool,
}

impl Record {
    /// `_x.tracker.example.com CNAME _y.acm-validations.aws`, without the
    /// trailing dots, as one would type it into a DNS provider.
    pub fn line(&self) -> String {
        format!(
            "{} {} {}",
            self.name.trim_end_matches('.'),
            self.kind,
            self.value.trim_end_matches('.')
        )
    }
}

/// The DNS validation records of a described certificate, one per domain
/// name that has one, ordered by domain name.
pub fn records(d: &CertificateDetail) -> Vec<Record> {
    let mut out: Vec<Record> = d
        .domain_validation_options()
        .iter()
        .filter_map(|v| {
            let r = v.resource_record()?;
            Some(Record {
                domain: v.domain_name().to_string(),
                name: r.name().to_string(),
                kind: r.r#type().as_str().to_string(),
                value: r.value().to_string(),
                validated: v
                    .validation_status()
                    .is_some_and(|s| s.as_str() == "SUCCESS"),
            })
        })
        .collect();
    out.sort_by(|a, b| a.domain.cmp(&b.domain));
    out
}

/// Records that differ, by name: a wildcard and its base domain
/// (`*.example.com`, `example.com`) share one record.
pub fn distinct(records: &[Record]) -> Vec<&Record> {
    let mut seen = std::collections::HashSet::new();
    records
        .iter()
        .filter(|r| seen.insert(r.name.trim_end_matches('.').to_ascii_lowercase()))
        .collect()
}
