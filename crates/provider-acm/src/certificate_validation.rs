//! `aws_acm_certificate_validation`: no AWS object, a wait. Create returns
//! once the certificate is issued, i.e. once its DNS validation records
//! are in the domain's DNS; while it waits it reports which records are
//! still pending, and when the create timeout runs out it fails naming
//! them, so whoever runs the DNS knows what to add before applying again.
//! id = the certificate ARN. As in Terraform, it reads as gone when the
//! certificate is gone or no longer issued (expired, revoked), and
//! destroying it only forgets it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_acm::types::CertificateDetail;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, Value,
};

use crate::common;
use crate::Acm;

const OPERATION: &str = "aws_acm_certificate_validation:create";

pub struct CertificateValidation {
    acm: Arc<Acm>,
}

impl CertificateValidation {
    pub fn new(acm: Arc<Acm>) -> Self {
        CertificateValidation { acm }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe(
                "Waits (up to the create timeout) until a certificate is issued, reporting the DNS records still pending; destroying it only forgets it.",
            )
            .attr("certificate_arn", Attribute::string().required().force_new())
            .attr(
                "validation_record_fqdns",
                Attribute::new(Type::set(Type::String))
                    .force_new()
                    .describe("The names of the validation records created for it; when set, every record of the certificate must be among them."),
            )
            .attr("id", Attribute::string().computed())
    })
}

fn object(arn: &str, fqdns: Option<&Value>) -> Object {
    [
        ("id".to_string(), Value::from(arn)),
        ("certificate_arn".to_string(), Value::from(arn)),
        (
            "validation_record_fqdns".to_string(),
            fqdns.cloned().unwrap_or(Value::Null),
        ),
    ]
    .into()
}

/// The pause before the next look: short at first (ACM often issues
/// within a minute of the records appearing), then every 10 s.
fn pause(polls: usize) -> Duration {
    const SECONDS: [u64; 4] = [2, 3, 5, 8];
    Duration::from_secs(SECONDS.get(polls).copied().unwrap_or(10))
}

/// What a pending certificate waits for, in one line: the DNS records ACM
/// has not seen yet, or the e-mail approval.
pub fn waiting_for(d: &CertificateDetail) -> String {
    let domain = d.domain_name().unwrap_or_default();
    let records = common::records(d);
    if records.is_empty() {
        let emails: Vec<&str> = d
            .domain_validation_options()
            .iter()
            .flat_map(|v| v.validation_emails().iter().map(String::as_str))
            .collect();
        return if emails.is_empty() {
            format!("waiting for validation of {domain}")
        } else {
            format!(
                "waiting for e-mail validation of {domain}: someone must approve the mail ACM sent to {}",
                emails.join(", ")
            )
        };
    }
    let distinct = common::distinct(&records);
    let pending: Vec<String> = distinct
        .iter()
        .filter(|r| !r.validated)
        .map(|r| r.line())
        .collect();
    if pending.is_empty() {
        return format!(
            "waiting for ACM to issue the certificate of {domain} (its DNS records are validated)"
        );
    }
    format!(
        "waiting for DNS validation of {domain}: {} of {} record{} pending: {}",
        pending.len(),
        distinct.len(),
        if distinct.len() == 1 { "" } else { "s" },
        pending.join("; ")
    )
}

/// `validation_record_fqdns`, when given, must name every DNS record of
/// the certificate (Terraform's check): a missing one is a record nobody
/// said they created.
fn check_fqdns(d: &CertificateDetail, fqdns: &[String]) -> Result<(), ProviderError> {
    if fqdns.is_empty() {
        return Ok(());
    }
    if let Some(method) = d
        .domain_validation_options()
        .iter()
        .filter_map(|v| v.validation_method())
        .find(|m| m.as_str() != "DNS")
    {
        return Err(ProviderError::new(
            OPERATION,
            "InvalidConfiguration",
            format!(
                "`validation_record_fqdns` is only for DNS validation; this certificate uses {}",
                method.as_str()
            ),
        ));
    }
    let given: Vec<String> = fqdns
        .iter()
        .map(|f| f.trim_end_matches('.').to_ascii_lowercase())
        .collect();
    let missing: Vec<String> = common::records(d)
        .iter()
        .filter(|r| !given.contains(&r.name.trim_end_matches('.').to_ascii_lowercase()))
        .map(|r| format!("{} ({})", r.name.trim_end_matches('.'), r.domain))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ProviderError::new(
            OPERATION,
            "InvalidConfiguration",
            format!(
                "`validation_record_fqdns` lacks the DNS validation record{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        ))
    }
}

impl CertificateValidation {
    async fn describe(&self, arn: &str) -> Result<CertificateDetail, ProviderError> {
        let client = self.acm.client().await?;
        common::describe(client, arn).await?.ok_or_else(|| {
            ProviderError::new(
                "acm:DescribeCertificate",
                "ResourceNotFoundException",
                format!("certificate {arn} does not exist (in this provider's region)"),
            )
        })
    }
}

#[async_trait]
impl Resource for CertificateValidation {
    fn type_name(&self) -> &'static str {
        "aws_acm_certificate_validation"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    /// One listing of the region's certificates for every validation: live
    /// while its certificate exists and is issued.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let client = self.acm.client().await?;
        let listed = common::list_all(client).await?;
        Ok(requests
            .iter()
            .map(|r| {
                let issued = listed
                    .get(r.id)
                    .and_then(|s| s.status())
                    .is_some_and(|s| s.as_str() == "ISSUED");
                if issued {
                    ReadOutcome::Live(object(r.id, r.prior.get("validation_record_fqdns")))
                } else {
                    ReadOutcome::Gone
                }
            })
            .collect())
    }

    // Nothing is created, so a second create simply waits again (and
    // returns at once for an issued certificate).
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let arn = planned.str("certificate_arn").unwrap_or_default();
        let start = Instant::now();
        let mut d = self.describe(arn).await?;
        if let Some(t) = d.r#type().filter(|t| t.as_str() != "AMAZON_ISSUED") {
            return Err(ProviderError::new(
                OPERATION,
                "InvalidConfiguration",
                format!(
                    "certificate {arn} has type {}: only a certificate ACM issues is validated",
                    t.as_str()
                ),
            ));
        }
        check_fqdns(&d, &planned.strings("validation_record_fqdns"))?;
        let mut polls = 0;
        loop {
            let status = d.status().map(|s| s.as_str()).unwrap_or("UNKNOWN");
            match status {
                "ISSUED" => {
                    return Ok(object(arn, planned.get("validation_record_fqdns")));
                }
                "PENDING_VALIDATION" => {}
                "VALIDATION_TIMED_OUT" => {
                    return Err(ProviderError::new(
                        OPERATION,
                        status,
                        format!(
                            "certificate {arn} is VALIDATION_TIMED_OUT: ACM saw no validation \
                             record for 72 hours and will not issue it; the next plan requests \
                             a new certificate (this one reads as gone): add its records within \
                             72 hours"
                        ),
                    ));
                }
                "FAILED" => {
                    let reason = d
                        .failure_reason()
                        .map(|r| format!(" ({})", r.as_str()))
                        .unwrap_or_default();
                    return Err(ProviderError::new(
                        OPERATION,
                        status,
                        format!(
                            "certificate {arn} is FAILED{reason}: ACM will not issue it; fix \
                             the cause (e.g. a CAA record that does not allow amazon.com) and \
                             replace the certificate"
                        ),
                    ));
                }
                other => {
                    return Err(ProviderError::new(
                        OPERATION,
                        other,
                        format!(
                            "certificate {arn} is {other}: there is nothing to validate; \
                             replace the certificate to get a new one"
                        ),
                    ));
                }
            }
            let waiting = waiting_for(&d);
            ctx.progress.report(&waiting);
            let elapsed = start.elapsed();
            if elapsed >= ctx.timeout {
                return Err(ProviderError {
                    retryable: true,
                    ..ProviderError::new(
                        "wait",
                        "Timeout",
                        format!(
                            "certificate {arn} is still PENDING_VALIDATION after {}s ({waiting}). \
                             Add the pending records at the domain's DNS provider and apply \
                             again: the certificate is already in state, only this wait is \
                             repeated (`timeouts = {{ create = \"...\" }}` waits longer)",
                            elapsed.as_secs()
                        ),
                    )
                });
            }
            tokio::time::sleep(pause(polls).min(ctx.timeout.saturating_sub(elapsed))).await;
            polls += 1;
            d = self.describe(arn).await?;
        }
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        _planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        Err(ProviderError::not_updatable(
            self.type_name(),
            changed.first().map(String::as_str).unwrap_or("(none)"),
        ))
    }

    /// Nothing to delete: the certificate is its own resource.
    async fn delete(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        Ok(())
    }
}
