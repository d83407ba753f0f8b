//! `aws_lb_listener_certificate`: a further certificate on an HTTPS
//! listener, chosen by SNI (the admin site's, beside the listener's
//! default). No tags and no attributes to change: the id is
//! `LISTENER_ARN_CERTIFICATE_ARN`, as in Terraform; adding one twice is
//! harmless, so a retried create is safe.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::Certificate;
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::error;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource, Schema,
    Value,
};

use crate::Elbv2;

pub struct ListenerCertificate {
    elb: Arc<Elbv2>,
}

impl ListenerCertificate {
    pub fn new(elb: Arc<Elbv2>) -> Self {
        ListenerCertificate { elb }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A further certificate on an HTTPS listener, served by SNI.")
            .attr("listener_arn", Attribute::string().required().force_new())
            .attr(
                "certificate_arn",
                Attribute::string().required().force_new(),
            )
            .attr("id", Attribute::string().computed())
    })
}

/// `LISTENER_ARN_CERTIFICATE_ARN`: the listener ARN has no `_`, so the
/// first one splits them.
fn split(id: &str) -> Option<(&str, &str)> {
    id.split_once('_')
}

fn object(listener: &str, certificate: &str) -> Object {
    [
        (
            "id".to_string(),
            Value::from(format!("{listener}_{certificate}")),
        ),
        ("listener_arn".to_string(), Value::from(listener)),
        ("certificate_arn".to_string(), Value::from(certificate)),
    ]
    .into()
}

/// The certificates of a listener (none when it is gone).
async fn certificates(client: &Client, listener: &str) -> Result<HashSet<String>, ProviderError> {
    let mut found = HashSet::new();
    let mut marker = None;
    loop {
        let page = match client
            .describe_listener_certificates()
            .listener_arn(listener)
            .set_marker(marker)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let e = error("elasticloadbalancing:DescribeListenerCertificates", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(found)
                } else {
                    Err(e)
                };
            }
        };
        found.extend(
            page.certificates()
                .iter()
                .filter_map(|c| c.certificate_arn().map(str::to_string)),
        );
        marker = page.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(found);
        }
    }
}

#[async_trait]
impl Resource for ListenerCertificate {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener_certificate"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    // One listing per listener, whatever the number of certificates.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let client = self.elb.client().await?;
        let listeners: BTreeSet<&str> = requests
            .iter()
            .filter_map(|r| split(r.id))
            .map(|(l, _)| l)
            .collect();
        let mut live = std::collections::HashMap::new();
        for l in listeners {
            live.insert(l, certificates(client, l).await?);
        }
        Ok(requests
            .iter()
            .map(|r| match split(r.id) {
                Some((l, c)) if live.get(l).is_some_and(|set| set.contains(c)) => {
                    ReadOutcome::Live(object(l, c))
                }
                _ => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let listener = planned.str("listener_arn").unwrap_or_default();
        let certificate = planned.str("certificate_arn").unwrap_or_default();
        client
            .add_listener_certificates()
            .listener_arn(listener)
            .certificates(Certificate::builder().certificate_arn(certificate).build())
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:AddListenerCertificates", e))?;
        Ok(object(listener, certificate))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        _planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let name = changed
            .first()
            .map(String::as_str)
            .unwrap_or("listener_arn");
        Err(ProviderError::not_updatable(self.type_name(), name))
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        let Some((listener, certificate)) = split(id) else {
            return Ok(());
        };
        match client
            .remove_listener_certificates()
            .listener_arn(listener)
            .certificates(Certificate::builder().certificate_arn(certificate).build())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("elasticloadbalancing:RemoveListenerCertificates", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}
