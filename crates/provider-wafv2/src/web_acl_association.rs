//! `aws_wafv2_web_acl_association`: a REGIONAL web ACL attached to a
//! resource (an ALB, an API Gateway stage, ...). Both ARNs force a new
//! association; id = `web_acl_arn,resource_arn` (Terraform's form).
//! Associating the same pair again is harmless, so a create retried after
//! a crash is safe.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use cairn_aws::{error, read_concurrently, wait_until, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    ValidationIssue, Value,
};

use crate::common::{is_gone, scope_of_arn};
use crate::Wafv2;

const READ_CONCURRENCY: usize = 8;
/// How often a create asks again while WAF cannot see the resource yet.
const UNAVAILABLE_POLL: Duration = Duration::from_secs(5);

pub struct WebAclAssociation {
    waf: Arc<Wafv2>,
}

impl WebAclAssociation {
    pub fn new(waf: Arc<Wafv2>) -> Self {
        WebAclAssociation { waf }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("Attaches a REGIONAL web ACL to a load balancer, API Gateway stage or other regional resource; waits until WAF can see a just-created resource.")
            .attr(
                "resource_arn",
                Attribute::string()
                    .required()
                    .force_new()
                    .describe("The ARN of the ALB (or API stage, ...) to protect."),
            )
            .attr("web_acl_arn", Attribute::string().required().force_new())
            .attr(
                "id",
                Attribute::string()
                    .computed()
                    .describe("`web_acl_arn,resource_arn`."),
            )
    })
}

fn object(web_acl_arn: &str, resource_arn: &str) -> Object {
    [
        (
            "id".to_string(),
            Value::from(format!("{web_acl_arn},{resource_arn}")),
        ),
        ("web_acl_arn".to_string(), Value::from(web_acl_arn)),
        ("resource_arn".to_string(), Value::from(resource_arn)),
    ]
    .into()
}

/// `(web_acl_arn, resource_arn)` of an id.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(',')
        .filter(|(a, r)| !a.is_empty() && !r.is_empty())
}

impl WebAclAssociation {
    /// Whether `resource_arn` is protected by `web_acl_arn`.
    async fn get(
        &self,
        web_acl_arn: &str,
        resource_arn: &str,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.waf.client().await?;
        let out = match client
            .get_web_acl_for_resource()
            .resource_arn(resource_arn)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = error("wafv2:GetWebACLForResource", e);
                return if is_gone(&e) { Ok(None) } else { Err(e) };
            }
        };
        // No ACL, or another one: this association is gone.
        Ok(out
            .web_acl()
            .filter(|acl| acl.arn() == web_acl_arn)
            .map(|_| object(web_acl_arn, resource_arn)))
    }
}

#[async_trait]
impl Resource for WebAclAssociation {
    fn type_name(&self) -> &'static str {
        "aws_wafv2_web_acl_association"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        match config.str("web_acl_arn") {
            Some(arn) if scope_of_arn(arn) != Some("REGIONAL") => vec![ValidationIssue {
                attribute: "web_acl_arn".into(),
                message: format!(
                    "`{arn}` is not the ARN of a REGIONAL web ACL (…:regional/webacl/NAME/ID); a CLOUDFRONT web ACL is attached through the distribution's web_acl_id"
                ),
            }],
            _ => Vec::new(),
        }
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| {
                Box::pin(async move {
                    match split_id(r.id) {
                        Some((acl, resource)) => self.get(acl, resource).await,
                        None => Ok(None),
                    }
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    // WAF cannot see a load balancer for a little while after its
    // creation (`WAFUnavailableEntityException`): asked again until it
    // can, within the operation's timeout. The response is empty and the
    // object is its two ARNs: no read-back.
    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.waf.client().await?;
        let web_acl_arn = planned.str("web_acl_arn").unwrap_or_default();
        let resource_arn = planned.str("resource_arn").unwrap_or_default();
        let what = format!("WAF to see {resource_arn} (to associate {web_acl_arn})");
        wait_until(&what, ctx.timeout, UNAVAILABLE_POLL, || async {
            match client
                .associate_web_acl()
                .web_acl_arn(web_acl_arn)
                .resource_arn(resource_arn)
                .send()
                .await
            {
                Ok(_) => Ok(Some(())),
                Err(e) => {
                    let e = error("wafv2:AssociateWebACL", e);
                    if e.code == "WAFUnavailableEntityException" {
                        Ok(None)
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .await?;
        Ok(object(web_acl_arn, resource_arn))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        _planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let first = changed
            .first()
            .map(String::as_str)
            .unwrap_or("resource_arn");
        Err(ProviderError::not_updatable(self.type_name(), first))
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.waf.client().await?;
        let (Some(web_acl_arn), Some(resource_arn)) = (
            prior
                .str("web_acl_arn")
                .or_else(|| split_id(id).map(|(a, _)| a)),
            prior
                .str("resource_arn")
                .or_else(|| split_id(id).map(|(_, r)| r)),
        ) else {
            return Ok(());
        };
        // Only this pair: a resource already protected by another ACL (a
        // replacement created before this delete) is left alone.
        if self.get(web_acl_arn, resource_arn).await?.is_none() {
            return Ok(());
        }
        match client
            .disassociate_web_acl()
            .resource_arn(resource_arn)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("wafv2:DisassociateWebACL", e);
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
    fn the_id_is_both_arns_as_terraform_writes_it() {
        let o = object("arn:acl", "arn:lb");
        assert_eq!(o.str("id"), Some("arn:acl,arn:lb"));
        assert_eq!(split_id("arn:acl,arn:lb"), Some(("arn:acl", "arn:lb")));
        assert_eq!(split_id("no-comma"), None);
        assert_eq!(split_id(",arn:lb"), None);
    }
}
