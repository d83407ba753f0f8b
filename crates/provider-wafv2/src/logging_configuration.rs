//! `aws_wafv2_web_acl_logging_configuration`: where a web ACL logs (one
//! CloudWatch Logs log group, S3 bucket or Firehose stream, whose name must
//! start with `aws-waf-logs-`) and which headers it keeps out of the logs.
//! id = the web ACL's ARN, which forces a new configuration; the rest
//! changes in place (PutLoggingConfiguration replaces the whole of it, so
//! a create retried after a crash is safe).
//!
//! Refresh lists the logging configurations of each scope once per page
//! (ListLoggingConfigurations) instead of asking per ACL.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_wafv2::types::{FieldToMatch, LoggingConfiguration as SdkLogging, Scope, SingleHeader};
use cairn_aws::error;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Type, ValidationIssue, Value,
};

use crate::common::{invalid, is_gone, map, scope_of_arn};
use crate::Wafv2;

/// The prefix WAF requires of every logging destination's name.
pub const PREFIX: &str = "aws-waf-logs-";

pub struct LoggingConfiguration {
    waf: Arc<Wafv2>,
}

impl LoggingConfiguration {
    pub fn new(waf: Arc<Wafv2>) -> Self {
        LoggingConfiguration { waf }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let header = Schema::new().attr(
            "name",
            Attribute::string()
                .required()
                .describe("The header to redact, in lower case."),
        );
        let field = Schema::new().attr("single_header", Attribute::new(Type::object(header)));
        Schema::new()
            .describe("Where a web ACL logs (a log group, bucket or Firehose stream named aws-waf-logs-...), in place; redacted headers.")
            .attr(
                "resource_arn",
                Attribute::string()
                    .required()
                    .force_new()
                    .describe("The web ACL's ARN."),
            )
            .attr(
                "log_destination_configs",
                Attribute::new(Type::set(Type::String))
                    .required()
                    .describe("Exactly one ARN: a CloudWatch Logs log group, S3 bucket or Firehose delivery stream whose name starts with aws-waf-logs-."),
            )
            .attr(
                "redacted_fields",
                Attribute::new(Type::list(Type::object(field)))
                    .describe("Parts of requests kept out of the logs: `single_header = { name = \"authorization\" }`."),
            )
            .attr(
                "id",
                Attribute::string()
                    .computed()
                    .describe("The web ACL's ARN."),
            )
    })
}

/// What is wrong with a logging destination, if anything: WAF accepts only
/// a log group, bucket or delivery stream whose name starts with
/// `aws-waf-logs-`.
pub fn destination_problem(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [head, _partition, service, _region, _account, resource] = parts.as_slice() else {
        return Some(format!("`{arn}` is not an ARN"));
    };
    if *head != "arn" {
        return Some(format!("`{arn}` is not an ARN"));
    }
    let (kind, name) = match *service {
        "logs" => match resource.strip_prefix("log-group:") {
            Some(rest) => ("log group", rest.trim_end_matches(":*")),
            None => return Some(format!("`{arn}` is a CloudWatch Logs ARN but not a log group's")),
        },
        "s3" => ("S3 bucket", resource.split('/').next().unwrap_or_default()),
        "firehose" => match resource.strip_prefix("deliverystream/") {
            Some(name) => ("Firehose delivery stream", name),
            None => return Some(format!("`{arn}` is a Firehose ARN but not a delivery stream's")),
        },
        _ => {
            return Some(format!(
                "`{arn}` is not the ARN of a CloudWatch Logs log group, S3 bucket or Firehose delivery stream"
            ))
        }
    };
    (!name.starts_with(PREFIX)).then(|| {
        format!(
            "the {kind} name `{name}` must start with `{PREFIX}`: WAF logs to no other destination"
        )
    })
}

fn object(c: &SdkLogging) -> Object {
    let fields = c
        .redacted_fields()
        .iter()
        .map(|f| {
            // Other kinds of field (method, query string, ...) read as an
            // empty entry: a difference from the configuration, not silence.
            let header = f
                .single_header()
                .map_or(Value::Null, |h| map([("name", h.name().into())]));
            map([("single_header", header)])
        })
        .collect();
    [
        ("id".to_string(), Value::from(c.resource_arn())),
        ("resource_arn".to_string(), Value::from(c.resource_arn())),
        (
            "log_destination_configs".to_string(),
            Value::from(c.log_destination_configs().to_vec()),
        ),
        ("redacted_fields".to_string(), Value::List(fields)),
    ]
    .into()
}

fn sdk_configuration(arn: &str, planned: &Object) -> Result<SdkLogging, ProviderError> {
    const OP: &str = "wafv2:PutLoggingConfiguration";
    let fields = planned
        .get("redacted_fields")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_map)
        .map(|f| {
            let name = f
                .get("single_header")
                .and_then(Value::as_map)
                .and_then(|h| h.str("name"))
                .ok_or_else(|| invalid(OP, "each of redacted_fields needs single_header.name"))?;
            Ok(FieldToMatch::builder()
                .single_header(
                    SingleHeader::builder()
                        .name(name)
                        .build()
                        .map_err(|e| invalid(OP, e))?,
                )
                .build())
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    SdkLogging::builder()
        .resource_arn(arn)
        .set_log_destination_configs(Some(planned.strings("log_destination_configs")))
        .set_redacted_fields((!fields.is_empty()).then_some(fields))
        .build()
        .map_err(|e| invalid(OP, e))
}

impl LoggingConfiguration {
    /// The logging configurations of a scope by web ACL ARN: one call per
    /// page of 100.
    async fn list(&self, scope: &str) -> Result<HashMap<String, SdkLogging>, ProviderError> {
        let client = self.waf.client().await?;
        let mut out = HashMap::new();
        let mut marker: Option<String> = None;
        loop {
            let page = client
                .list_logging_configurations()
                .scope(Scope::from(scope))
                .limit(100)
                .set_next_marker(marker.take())
                .send()
                .await
                .map_err(|e| error("wafv2:ListLoggingConfigurations", e))?;
            for c in page.logging_configurations() {
                out.insert(c.resource_arn().to_string(), c.clone());
            }
            match page.next_marker() {
                Some(m) if !m.is_empty() && !page.logging_configurations().is_empty() => {
                    marker = Some(m.to_string())
                }
                _ => return Ok(out),
            }
        }
    }

    async fn put(&self, arn: &str, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.waf.client().await?;
        let out = client
            .put_logging_configuration()
            .logging_configuration(sdk_configuration(arn, planned)?)
            .send()
            .await
            .map_err(|e| error("wafv2:PutLoggingConfiguration", e))?;
        // The response is the whole configuration: no read-back.
        out.logging_configuration().map(object).ok_or_else(|| {
            ProviderError::new(
                "wafv2:PutLoggingConfiguration",
                "InvalidResponse",
                format!("the response carries no logging configuration for {arn}"),
            )
        })
    }
}

#[async_trait]
impl Resource for LoggingConfiguration {
    fn type_name(&self) -> &'static str {
        "aws_wafv2_web_acl_logging_configuration"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.to_string(),
                message,
            })
        };
        if let Some(arn) = config.str("resource_arn") {
            if scope_of_arn(arn).is_none() {
                issue(
                    "resource_arn",
                    format!("`{arn}` is not the ARN of a web ACL (…:regional/webacl/NAME/ID or …:global/webacl/NAME/ID)"),
                );
            }
        }
        if let Some(destinations) = config
            .get("log_destination_configs")
            .and_then(Value::as_list)
        {
            if destinations.len() != 1 {
                issue(
                    "log_destination_configs",
                    format!(
                        "a web ACL logs to exactly one destination, not {}",
                        destinations.len()
                    ),
                );
            }
            // Values not known yet (another resource's ARN) are checked
            // when they are, at plan time.
            for (i, d) in destinations.iter().enumerate() {
                if let Some(problem) = d.as_str().and_then(destination_problem) {
                    issue(
                        "log_destination_configs",
                        format!("log_destination_configs[{i}]: {problem}"),
                    );
                }
            }
        }
        let fields = config
            .get("redacted_fields")
            .and_then(Value::as_list)
            .unwrap_or_default();
        for (i, f) in fields.iter().enumerate() {
            let Some(f) = f.as_map() else { continue };
            match f.get("single_header") {
                Some(v) if v.is_unknown() => {}
                Some(v) if !v.is_null() => {
                    if let Some(name) = v.as_map().and_then(|h| h.str("name")) {
                        if name != name.to_lowercase() {
                            issue(
                                "redacted_fields",
                                format!("redacted_fields[{i}].single_header.name `{name}` must be in lower case"),
                            );
                        }
                    }
                }
                _ => issue(
                    "redacted_fields",
                    format!("redacted_fields[{i}] needs `single_header = {{ name = \"...\" }}`"),
                ),
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut by_scope: BTreeMap<&str, HashMap<String, SdkLogging>> = BTreeMap::new();
        for r in requests {
            if let Some(scope) = scope_of_arn(r.id) {
                if !by_scope.contains_key(scope) {
                    let listed = self.list(scope).await?;
                    by_scope.insert(scope, listed);
                }
            }
        }
        Ok(requests
            .iter()
            .map(|r| {
                scope_of_arn(r.id)
                    .and_then(|s| by_scope.get(s))
                    .and_then(|listed| listed.get(r.id))
                    .map_or(ReadOutcome::Gone, |c| ReadOutcome::Live(object(c)))
            })
            .collect())
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        self.put(planned.str("resource_arn").unwrap_or_default(), planned)
            .await
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        match changed
            .iter()
            .find(|c| !matches!(c.as_str(), "log_destination_configs" | "redacted_fields"))
        {
            Some(other) => Err(ProviderError::not_updatable(self.type_name(), other)),
            None => self.put(id, planned).await,
        }
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.waf.client().await?;
        match client
            .delete_logging_configuration()
            .resource_arn(id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("wafv2:DeleteLoggingConfiguration", e);
                if is_gone(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_must_carry_the_waf_prefix() {
        let ok = [
            "arn:aws:logs:eu-west-2:123456789012:log-group:aws-waf-logs-tracker-restapi-staging",
            "arn:aws:logs:eu-west-2:123456789012:log-group:aws-waf-logs-tracker:*",
            "arn:aws:s3:::aws-waf-logs-bucket",
            "arn:aws:s3:::aws-waf-logs-bucket/prefix",
            "arn:aws:firehose:eu-west-2:123456789012:deliverystream/aws-waf-logs-stream",
        ];
        for arn in ok {
            assert_eq!(destination_problem(arn), None, "{arn}");
        }
        let group =
            destination_problem("arn:aws:logs:eu-west-2:123456789012:log-group:/aws/waf/tracker")
                .unwrap();
        assert!(
            group.contains("log group name `/aws/waf/tracker`"),
            "{group}"
        );
        assert!(group.contains("aws-waf-logs-"), "{group}");
        assert!(destination_problem("arn:aws:s3:::tracker-logs")
            .unwrap()
            .contains("S3 bucket"));
        assert!(
            destination_problem("arn:aws:firehose:eu-west-2:123456789012:deliverystream/waf")
                .unwrap()
                .contains("Firehose")
        );
        assert!(destination_problem("arn:aws:sqs:eu-west-2:1:queue").is_some());
        assert!(destination_problem("not-an-arn").is_some());
    }
}
