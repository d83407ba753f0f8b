//! `aws_acm_certificate`: a public certificate requested from ACM. Every
//! argument but `tags` forces a new certificate (a new ARN, so
//! `create_before_destroy` works as is). Create requests it with its tags
//! and an idempotency token, then waits until ACM has published the DNS
//! validation records (`domain_validation_options`), which a stack outputs
//! for whoever runs the domain's DNS; `aws_acm_certificate_validation`
//! waits for the certificate to be issued.
//!
//! Refresh lists the region's certificates (ListCertificates, every status
//! and key type, 1,000 per page) and takes the tags of this stack's ones
//! from one tagging-API listing. A certificate's names, validation method
//! and records never change, so DescribeCertificate is called only for a
//! certificate whose recorded records are incomplete (or on import). A
//! certificate whose validation timed out (ACM gives up after 72 hours)
//! reads as gone, as in Terraform: the next plan requests a new one.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_acm::types::{
    CertificateDetail, CertificateSummary, KeyAlgorithm, Tag, ValidationMethod,
};
use cairn_aws::{
    created_id, delete_with_retry, error, read_concurrently, sync_tags, wait_until, ReadFuture,
    RetryOn, Tagging, TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::common::{self, Record};
use crate::Acm;

const READ_CONCURRENCY: usize = 8;

/// ACM's default quota of domain names per certificate (adjustable up to
/// 100 through Service Quotas).
pub const DEFAULT_SAN_QUOTA: usize = 10;

/// How long a delete retries a certificate still in use (a listener
/// deleted a moment ago lets go of it within seconds to minutes); the
/// delete timeout if shorter.
const IN_USE_RETRY: Duration = Duration::from_secs(300);

/// The key algorithms RequestCertificate accepts (the others exist only
/// for imported certificates).
const REQUESTABLE_KEYS: &[&str] = &["RSA_2048", "EC_prime256v1", "EC_secp384r1"];

/// The resource type name, for the resource tagging API.
const TAGGING_TYPE: &str = "acm";

pub struct Certificate {
    acm: Arc<Acm>,
    tagging: Arc<Tagging>,
}

impl Certificate {
    pub fn new(acm: Arc<Acm>, tagging: Arc<Tagging>) -> Self {
        Certificate { acm, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let record = Schema::new()
            .attr("domain_name", Attribute::string().computed())
            .attr("resource_record_name", Attribute::string().computed())
            .attr("resource_record_type", Attribute::string().computed())
            .attr("resource_record_value", Attribute::string().computed());
        Schema::new()
            .describe(
                "A public ACM certificate; create waits until the DNS validation records are published (`domain_validation_options`), not for issuance (see `aws_acm_certificate_validation`); only tags change in place.",
            )
            .attr(
                "domain_name",
                Attribute::string()
                    .required()
                    .force_new()
                    .check(Check::Custom(check_domain)),
            )
            .attr(
                "subject_alternative_names",
                Attribute::new(Type::set(Type::String))
                    .optional_computed()
                    .force_new()
                    .check(Check::Custom(check_names))
                    .describe("Further names the certificate covers (at most 10 with ACM's default quota); `domain_name` need not be repeated."),
            )
            .attr(
                "validation_method",
                Attribute::string()
                    .default("DNS")
                    .force_new()
                    .check(Check::OneOf(&["DNS", "EMAIL"]))
                    .describe("DNS or EMAIL. With EMAIL, ACM mails the domain's contacts; cairn does not wait for anyone to approve it (an `aws_acm_certificate_validation` does)."),
            )
            .attr(
                "key_algorithm",
                Attribute::string()
                    .default("RSA_2048")
                    .force_new()
                    .check(Check::OneOf(REQUESTABLE_KEYS)),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr(
                "status",
                Attribute::string()
                    .computed()
                    .describe("PENDING_VALIDATION, ISSUED, ..."),
            )
            .attr(
                "domain_validation_options",
                Attribute::new(Type::set(Type::object(record)))
                    .computed()
                    .describe("The DNS record ACM checks for each name (DNS validation): what to add at the domain's DNS provider."),
            )
            .attr(
                "validation_emails",
                Attribute::new(Type::list(Type::String))
                    .computed()
                    .describe("The addresses ACM mails (EMAIL validation)."),
            )
            .attr("not_after", Attribute::string().computed())
            .attr("not_before", Attribute::string().computed())
            .attr("type", Attribute::string().computed())
            .with_tags()
    })
}

/// Why ACM would refuse `name` as a domain name, if it would: at most 253
/// characters, labels of letters, digits and inner hyphens (at most 63
/// each), at least two of them, and a wildcard only as the whole leftmost
/// label.
pub fn domain_problem(name: &str) -> Option<String> {
    if name.len() > 253 {
        return Some(format!(
            "`{name}` is {} characters long; a domain name has at most 253",
            name.len()
        ));
    }
    if name.ends_with('.') {
        return Some(format!("`{name}` must not end with a period"));
    }
    let rest = name.strip_prefix("*.").unwrap_or(name);
    if rest.contains('*') {
        return Some(format!(
            "`{name}`: a wildcard is allowed only as the whole leftmost label (`*.example.com`)"
        ));
    }
    let labels: Vec<&str> = rest.split('.').collect();
    if labels.len() < 2 {
        return Some(format!(
            "`{name}` is not a fully qualified domain name (example.com)"
        ));
    }
    for label in labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Some(format!(
                "`{name}`: label `{label}` must be 1 to 63 letters, digits or inner hyphens"
            ));
        }
    }
    None
}

fn check_domain(v: &Value) -> Result<(), String> {
    match v.as_str().and_then(domain_problem) {
        Some(p) => Err(p),
        None => Ok(()),
    }
}

fn check_names(v: &Value) -> Result<(), String> {
    let problems: Vec<String> = v
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.as_str().and_then(domain_problem))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// ACM's idempotency token (at most 32 characters of `\w`) from the
/// operation's: the same planned create gives the same token, so a request
/// retried after a crash returns the certificate the first one made (for
/// an hour, on AWS) instead of requesting a second.
pub fn acm_token(token: &str) -> Option<String> {
    let word: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    match word.len() {
        0 => None,
        1..=32 => Some(word),
        // Longer than ACM takes: two FNV-1a hashes of the whole token.
        _ => {
            let fnv = |seed: u64| {
                token.bytes().fold(seed, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
                })
            };
            Some(format!(
                "{:016x}{:016x}",
                fnv(0xcbf2_9ce4_8422_2325),
                fnv(0x6c62_272e_07bb_0142)
            ))
        }
    }
}

/// The names a certificate covers, lowercased: its domain and its SANs.
fn names(domain: &str, sans: &[String]) -> BTreeSet<String> {
    std::iter::once(domain)
        .chain(sans.iter().map(String::as_str))
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The SANs to record: AWS lists the domain name among them, and recording
/// it would show as a change against a configuration that does not repeat
/// it (Terraform drops it too); kept when the configuration lists it.
fn stored_sans(domain: &str, live: &[String], wanted: &Object) -> Value {
    let keep_domain = wanted
        .strings("subject_alternative_names")
        .iter()
        .any(|s| s.eq_ignore_ascii_case(domain));
    let sans: BTreeSet<&str> = live
        .iter()
        .map(String::as_str)
        .filter(|s| keep_domain || !s.eq_ignore_ascii_case(domain))
        .collect();
    Value::from(sans.into_iter().collect::<Vec<_>>())
}

fn records_value(records: &[Record]) -> Value {
    Value::List(
        records
            .iter()
            .map(|r| {
                Value::Map(
                    [
                        ("domain_name".to_string(), Value::from(r.domain.as_str())),
                        (
                            "resource_record_name".to_string(),
                            Value::from(r.name.as_str()),
                        ),
                        (
                            "resource_record_type".to_string(),
                            Value::from(r.kind.as_str()),
                        ),
                        (
                            "resource_record_value".to_string(),
                            Value::from(r.value.as_str()),
                        ),
                    ]
                    .into(),
                )
            })
            .collect(),
    )
}

/// The certificate as cairn records it, from DescribeCertificate. `wanted`
/// (the planned or prior object) decides whether the SANs list the domain.
fn object_from_detail(
    d: &CertificateDetail,
    live_tags: &tags::Tags,
    wanted: &Object,
    default_tags: &tags::Tags,
) -> Object {
    let arn = d.certificate_arn().unwrap_or_default();
    let domain = d.domain_name().unwrap_or_default();
    let validation = d.domain_validation_options();
    let method = validation
        .iter()
        .find_map(|v| v.validation_method())
        .map(|m| m.as_str().to_string())
        .or_else(|| wanted.str("validation_method").map(str::to_string));
    let emails: BTreeSet<&str> = validation
        .iter()
        .flat_map(|v| v.validation_emails().iter().map(String::as_str))
        .collect();
    let mut obj = Object::new();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("domain_name".into(), domain.into());
    obj.insert(
        "subject_alternative_names".into(),
        stored_sans(domain, d.subject_alternative_names(), wanted),
    );
    obj.insert("validation_method".into(), Value::from(method));
    obj.insert(
        "key_algorithm".into(),
        Value::from(
            d.key_algorithm()
                .map(common::key_algorithm)
                .or_else(|| wanted.str("key_algorithm").map(str::to_string)),
        ),
    );
    obj.insert(
        "status".into(),
        Value::from(d.status().map(|s| s.as_str().to_string())),
    );
    obj.insert(
        "domain_validation_options".into(),
        records_value(&common::records(d)),
    );
    obj.insert(
        "validation_emails".into(),
        Value::from(emails.into_iter().collect::<Vec<_>>()),
    );
    obj.insert(
        "not_after".into(),
        Value::from(common::rfc3339(d.not_after())),
    );
    obj.insert(
        "not_before".into(),
        Value::from(common::rfc3339(d.not_before())),
    );
    obj.insert(
        "type".into(),
        Value::from(d.r#type().map(|t| t.as_str().to_string())),
    );
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

/// The certificate from its ListCertificates summary and what was recorded
/// of it: names, validation method and records never change for an ARN;
/// status, validity and tags are taken fresh.
fn object_from_summary(
    s: &CertificateSummary,
    prior: &Object,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
) -> Object {
    let mut obj = prior.clone();
    let arn = s.certificate_arn().unwrap_or_default();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert(
        "status".into(),
        Value::from(s.status().map(|s| s.as_str().to_string())),
    );
    if let Some(k) = s.key_algorithm() {
        obj.insert("key_algorithm".into(), common::key_algorithm(k).into());
    }
    if let Some(t) = s.r#type() {
        obj.insert("type".into(), t.as_str().into());
    }
    obj.insert(
        "not_after".into(),
        Value::from(common::rfc3339(s.not_after())),
    );
    obj.insert(
        "not_before".into(),
        Value::from(common::rfc3339(s.not_before())),
    );
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

/// Whether the recorded object already holds everything DescribeCertificate
/// would add to the summary: the same certificate, and for DNS validation a
/// record for every name (ACM publishes them a few seconds after the
/// request, and they never change after).
fn prior_is_complete(prior: &Object, s: &CertificateSummary) -> bool {
    let Some(domain) = prior.str("domain_name") else {
        return false;
    };
    if !s
        .domain_name()
        .is_some_and(|d| d.eq_ignore_ascii_case(domain))
        || prior
            .get("subject_alternative_names")
            .and_then(Value::as_list)
            .is_none()
    {
        return false;
    }
    match prior.str("validation_method") {
        Some("DNS") => {
            let covered: BTreeSet<String> = prior
                .get("domain_validation_options")
                .and_then(Value::as_list)
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_map)
                .filter(|r| r.str("resource_record_name").is_some_and(|n| !n.is_empty()))
                .filter_map(|r| r.str("domain_name").map(str::to_ascii_lowercase))
                .collect();
            names(domain, &prior.strings("subject_alternative_names"))
                .iter()
                .all(|n| covered.contains(n))
        }
        Some("EMAIL") => !prior.strings("validation_emails").is_empty(),
        _ => false,
    }
}

/// A delete still refused after the retries: what uses the certificate.
pub fn in_use_message(arn: &str, users: &[String], aws: &str) -> String {
    if users.is_empty() {
        format!(
            "certificate {arn} is still in use ({aws}); ACM names no user now: a load balancer \
             listener or distribution removed a moment ago may still hold it, apply again in a \
             few minutes"
        )
    } else {
        format!(
            "certificate {arn} is still in use by {}: take it off them first (a listener's \
             `certificate_arn`, an `aws_lb_listener_certificate`, a distribution's viewer \
             certificate) and apply again",
            users.join(", ")
        )
    }
}

impl Certificate {
    /// Waits (bounded by the create's timeout) until ACM has published a
    /// DNS validation record for every name; for EMAIL validation, until
    /// the certificate can be described.
    async fn wait_for_records(
        &self,
        ctx: &OpContext,
        arn: &str,
        names: &BTreeSet<String>,
        dns: bool,
    ) -> Result<CertificateDetail, ProviderError> {
        let client = self.acm.client().await?;
        let what = format!("ACM to publish the DNS validation records of certificate {arn}");
        wait_until(&what, ctx.timeout, Duration::from_secs(2), || async move {
            // Not found yet: ACM answers for a new ARN a moment later.
            let Some(d) = common::describe(client, arn).await? else {
                ctx.progress
                    .report(&format!("waiting for certificate {arn} to appear"));
                return Ok(None);
            };
            if !dns {
                return Ok(Some(d));
            }
            let have: BTreeSet<String> = common::records(&d)
                .iter()
                .map(|r| r.domain.to_ascii_lowercase())
                .collect();
            let pending: Vec<&str> = names
                .iter()
                .filter(|n| !have.contains(*n))
                .map(String::as_str)
                .collect();
            if pending.is_empty() {
                return Ok(Some(d));
            }
            ctx.progress.report(&format!(
                "waiting for ACM to publish the DNS validation records: {} of {} names pending: {}",
                pending.len(),
                names.len(),
                pending.join(", ")
            ));
            Ok(None)
        })
        .await
    }

    /// Reads one listed certificate: from its summary and the recorded
    /// object where that is complete, else described.
    async fn read_one(
        &self,
        summary: &CertificateSummary,
        prior: &Object,
        owned: &TagsByArn,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.acm.client().await?;
        let arn = summary.certificate_arn().unwrap_or_default();
        if common::timed_out(summary.status()) {
            return Ok(None);
        }
        let live = match owned.get(arn) {
            Some(t) => t.clone(),
            None => match common::tags_of(client, arn).await? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
        if prior_is_complete(prior, summary) {
            return Ok(Some(object_from_summary(
                summary,
                prior,
                &live,
                default_tags,
            )));
        }
        Ok(common::describe(client, arn)
            .await?
            .filter(|d| !common::timed_out(d.status()))
            .map(|d| object_from_detail(&d, &live, prior, default_tags)))
    }
}

/// RequestCertificate's LimitExceededException, with the quotas it may be.
fn explain_limit(e: ProviderError) -> ProviderError {
    if e.code != "LimitExceededException" {
        return e;
    }
    ProviderError {
        message: format!(
            "{}: ACM's default quotas are {DEFAULT_SAN_QUOTA} domain names per certificate and a \
             yearly number of requested certificates; Service Quotas can raise both",
            e.message
        ),
        ..e
    }
}

#[async_trait]
impl Resource for Certificate {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let sans = config
            .get("subject_alternative_names")
            .map(Value::unmarked)
            .and_then(Value::as_list)
            .unwrap_or_default();
        if sans.len() > DEFAULT_SAN_QUOTA {
            issues.push(ValidationIssue {
                attribute: "subject_alternative_names".into(),
                message: format!(
                    "{} names, but ACM's default quota is {DEFAULT_SAN_QUOTA} domain names per \
                     certificate (an account can raise it up to 100 through Service Quotas); \
                     split them over several certificates",
                    sans.len()
                ),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let client = self.acm.client().await?;
        let listed = common::list_all(client).await?;
        // Tags of the stack's certificates in one listing; any other
        // certificate's (imported, ownership tags removed) on its own.
        let owned = if requests.iter().any(|r| listed.contains_key(r.id)) {
            self.tagging
                .owned(TAGGING_TYPE, &ctx.stack)
                .await
                .unwrap_or_default()
        } else {
            TagsByArn::default()
        };
        let reads = requests
            .iter()
            .map(|r| {
                let summary = listed.get(r.id);
                let owned = &owned;
                Box::pin(async move {
                    match summary {
                        Some(s) => self.read_one(s, r.prior, owned, &ctx.default_tags).await,
                        None => Ok(None),
                    }
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // A certificate has no name to find it by: its ownership tags (one
    // tagging-API listing) find what an interrupted apply left, and the
    // idempotency token makes a retried request return it.
    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        self.tagging.owned_entries(TAGGING_TYPE, stack).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.acm.client().await?;
        let domain = planned.str("domain_name").unwrap_or_default();
        let sans = planned.strings("subject_alternative_names");
        let method = planned.str("validation_method").unwrap_or("DNS");
        let all_tags = ctx.create_tags(planned);
        // No `Options`: the default (certificate transparency logging on)
        // is what ACM does without them.
        let out = client
            .request_certificate()
            .domain_name(domain)
            .validation_method(ValidationMethod::from(method))
            .set_subject_alternative_names((!sans.is_empty()).then(|| sans.clone()))
            .key_algorithm(KeyAlgorithm::from(
                planned.str("key_algorithm").unwrap_or("RSA_2048"),
            ))
            .set_idempotency_token(acm_token(&ctx.idempotency_token))
            .set_tags(Some(common::sdk_tags(&all_tags)))
            .send()
            .await
            .map_err(|e| explain_limit(error("acm:RequestCertificate", e)))?;
        let arn = created_id("acm:RequestCertificate", out.certificate_arn())?;
        let detail = self
            .wait_for_records(ctx, &arn, &names(domain, &sans), method == "DNS")
            .await
            .map_err(|e| e.with_partial_id(&arn))?;
        Ok(object_from_detail(
            &detail,
            &all_tags,
            planned,
            &ctx.default_tags,
        ))
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.acm.client().await?;
        for name in changed {
            match name.as_str() {
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        client
                            .add_tags_to_certificate()
                            .certificate_arn(id)
                            .set_tags(Some(common::sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("acm:AddTagsToCertificate", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        // A tag without a value removes the key whatever
                        // its value.
                        let keys = keys
                            .into_iter()
                            .filter_map(|k| Tag::builder().key(k).build().ok())
                            .collect();
                        client
                            .remove_tags_from_certificate()
                            .certificate_arn(id)
                            .set_tags(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("acm:RemoveTagsFromCertificate", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        // Tags are all that changed, and they are now the planned ones.
        let mut obj = prior.clone();
        tags::set_live(&mut obj, &ctx.create_tags(planned), &ctx.default_tags);
        Ok(obj)
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.acm.client().await?;
        // A load balancer listener deleted a moment ago holds the
        // certificate for a while: ResourceInUseException is retried.
        let within = ctx.timeout.min(IN_USE_RETRY);
        let deleted = delete_with_retry(
            &format!("certificate {id}"),
            &[RetryOn::new("ResourceInUseException", within)],
            || async move {
                client
                    .delete_certificate()
                    .certificate_arn(id)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("acm:DeleteCertificate", e))
            },
        )
        .await;
        match deleted {
            Err(e) if e.code == "ResourceInUseException" => {
                let users = common::describe(client, id)
                    .await
                    .ok()
                    .flatten()
                    .map(|d| d.in_use_by().to_vec())
                    .unwrap_or_default();
                Err(ProviderError {
                    message: in_use_message(id, &users, &e.message),
                    ..e
                })
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acm_tokens_are_at_most_32_word_characters_and_stable() {
        let uuid = "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d";
        assert_eq!(
            acm_token(uuid).as_deref(),
            Some("2f1e6c527a4c4c1e9d7e0d8a3f1b2c3d")
        );
        let long = "stack/env aws_acm_certificate.tracker 0123456789abcdef0123456789";
        let t = acm_token(long).unwrap();
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(acm_token(long), Some(t));
        assert_ne!(acm_token(long), acm_token(&format!("{long}x")));
        assert_eq!(acm_token(""), None);
    }

    #[test]
    fn domain_names_follow_acms_rules() {
        assert_eq!(domain_problem("tracker.staging.glimpse.technology"), None);
        assert_eq!(domain_problem("*.staging.glimpse.technology"), None);
        assert!(domain_problem("tracker.*.glimpse.technology")
            .unwrap()
            .contains("leftmost label"));
        assert!(domain_problem("**.glimpse.technology").is_some());
        assert!(domain_problem("localhost").is_some());
        assert!(domain_problem("glimpse.technology.").is_some());
        assert!(domain_problem("-x.glimpse.technology").is_some());
        let long = format!("{}.technology", vec!["a".repeat(60); 4].join("."));
        assert!(domain_problem(&long).unwrap().contains("at most 253"));
    }

    #[test]
    fn the_domain_is_stored_among_the_sans_only_when_configured_there() {
        let live = vec![
            "tracker.example.com".to_string(),
            "www.example.com".to_string(),
        ];
        let none = Object::new();
        assert!(stored_sans("tracker.example.com", &live, &none)
            .same_as(&Value::from(vec!["www.example.com"])));
        let listed: Object = [(
            "subject_alternative_names".to_string(),
            Value::from(vec!["tracker.example.com", "www.example.com"]),
        )]
        .into();
        assert!(stored_sans("tracker.example.com", &live, &listed)
            .same_as(&Value::from(vec!["tracker.example.com", "www.example.com"])));
    }

    #[test]
    fn key_algorithms_are_spelled_as_requested() {
        for (aws, cairn) in [
            ("RSA-2048", "RSA_2048"),
            ("EC-prime256v1", "EC_prime256v1"),
            ("EC_secp384r1", "EC_secp384r1"),
        ] {
            assert_eq!(common::key_algorithm(&KeyAlgorithm::from(aws)), cairn);
        }
    }

    #[test]
    fn an_in_use_error_names_the_users() {
        let arn = "arn:aws:acm:eu-west-2:123456789012:certificate/x";
        let lb = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/tracker/1";
        let m = in_use_message(arn, &[lb.to_string()], "in use");
        assert!(m.contains(lb) && m.contains("apply again"), "{m}");
        let m = in_use_message(arn, &[], "in use");
        assert!(m.contains("a few minutes"), "{m}");
    }
}
