//! `aws_lb_listener`: a port of a load balancer and what it does by
//! default (redirect HTTP to HTTPS, forward, answer fixed). Port,
//! protocol, certificate, SSL policy and default actions change in place
//! (one ModifyListener); an HTTPS listener needs a certificate.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener as SdkListener, ProtocolEnum};
use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{created_id, error, Tagging};
use cairn_core::provider::ReadContext;
use cairn_core::tags::{self, Tags};
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, ValidationIssue, Value,
};

use crate::{actions, describe_by_arns, Elbv2};

pub struct Listener {
    elb: Arc<Elbv2>,
    tagging: Arc<Tagging>,
}

impl Listener {
    pub fn new(elb: Arc<Elbv2>, tagging: Arc<Tagging>) -> Self {
        Listener { elb, tagging }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A load balancer listener (HTTP redirect, HTTPS with a certificate, forward or fixed-response default); in place.")
            .attr("load_balancer_arn", Attribute::string().required().force_new())
            .attr("port", Attribute::number().required().check(Check::Range(1, 65535)))
            .attr(
                "protocol",
                Attribute::string()
                    .default("HTTP")
                    .check(Check::OneOf(&["HTTP", "HTTPS"])),
            )
            .attr("ssl_policy", Attribute::string().optional_computed())
            .attr("certificate_arn", Attribute::string())
            .attr(
                "default_action",
                Attribute::new(actions::action_type()).required(),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn object(l: &SdkListener, live_tags: &Tags, default_tags: &Tags) -> Object {
    let arn = l.listener_arn().unwrap_or_default();
    let https = l.protocol() == Some(&ProtocolEnum::Https);
    let mut o = Object::new();
    o.insert("id".into(), arn.into());
    o.insert("arn".into(), arn.into());
    o.insert(
        "load_balancer_arn".into(),
        Value::from(l.load_balancer_arn()),
    );
    o.insert("port".into(), Value::from(l.port()));
    o.insert(
        "protocol".into(),
        Value::from(l.protocol().map(|p| p.as_str())),
    );
    // Some emulators report a policy on HTTP listeners too.
    o.insert(
        "ssl_policy".into(),
        Value::from(l.ssl_policy().filter(|_| https)),
    );
    o.insert(
        "certificate_arn".into(),
        Value::from(l.certificates().first().and_then(|c| c.certificate_arn())),
    );
    o.insert(
        "default_action".into(),
        actions::from_sdk(l.default_actions()),
    );
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

fn certificates(planned: &Object) -> Option<Vec<Certificate>> {
    planned
        .str("certificate_arn")
        .map(|c| vec![Certificate::builder().certificate_arn(c).build()])
}

impl Listener {
    /// The listeners of these ARNs that exist. One unknown ARN fails a
    /// describe by ARNs: then the listeners of each load balancer they
    /// were recorded on are listed instead.
    async fn describe(
        &self,
        requests: &[(&str, Option<&str>)],
    ) -> Result<HashMap<String, SdkListener>, ProviderError> {
        let client = self.elb.client().await?;
        let arns: Vec<&str> = requests.iter().map(|(arn, _)| *arn).collect();
        describe_by_arns(
            &arns,
            |l: &SdkListener| l.listener_arn(),
            |chunk| async move {
                client
                    .describe_listeners()
                    .set_listener_arns(Some(chunk))
                    .send()
                    .await
                    .map(|p| p.listeners().to_vec())
                    .map_err(|e| error("elasticloadbalancing:DescribeListeners", e))
            },
            || async {
                let lbs: BTreeSet<&str> = requests.iter().filter_map(|(_, lb)| *lb).collect();
                let mut all = Vec::new();
                for lb in lbs {
                    all.extend(of_load_balancer(client, lb).await?.into_values());
                }
                Ok(all)
            },
        )
        .await
    }

    async fn read_one(&self, arn: &str, default_tags: &Tags) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let l = self
            .describe(&[(arn, None)])
            .await?
            .remove(arn)
            .ok_or_else(|| {
                ProviderError::new(
                    "elasticloadbalancing:DescribeListeners",
                    "ListenerNotFound",
                    format!("listener {arn} not found after writing it"),
                )
            })?;
        let live = crate::tags::of(client, &[arn])
            .await?
            .remove(arn)
            .unwrap_or_default();
        Ok(object(&l, &live, default_tags))
    }
}

/// The listeners of a load balancer (none when it is gone), by ARN.
pub async fn of_load_balancer(
    client: &Client,
    lb: &str,
) -> Result<HashMap<String, SdkListener>, ProviderError> {
    let pages: Result<Vec<SdkListener>, _> = client
        .describe_listeners()
        .load_balancer_arn(lb)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await;
    match pages {
        Ok(all) => Ok(all
            .into_iter()
            .filter_map(|l| Some((l.listener_arn()?.to_string(), l)))
            .collect()),
        Err(e) => {
            let e = error("elasticloadbalancing:DescribeListeners", e);
            if cairn_aws::is_not_found(&e) {
                Ok(HashMap::new())
            } else {
                Err(e)
            }
        }
    }
}

/// The listeners of this stack's load balancers (found by their ownership
/// tags in one listing), by ARN.
pub async fn of_stack(
    client: &Client,
    tagging: &Tagging,
    stack: &str,
) -> Result<HashMap<String, SdkListener>, ProviderError> {
    let lbs = tagging
        .owned("elasticloadbalancing:loadbalancer", stack)
        .await?;
    let mut all = HashMap::new();
    for (lb, _) in lbs.iter() {
        all.extend(of_load_balancer(client, lb).await?);
    }
    Ok(all)
}

#[async_trait]
impl Resource for Listener {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = actions::validate("default_action", config.get("default_action"));
        if config.str("protocol") == Some("HTTPS")
            && config.get("certificate_arn").is_none_or(Value::is_null)
        {
            issues.push(ValidationIssue {
                attribute: "certificate_arn".into(),
                message: "an HTTPS listener needs `certificate_arn`".into(),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let client = self.elb.client().await?;
        let wanted: Vec<(&str, Option<&str>)> = requests
            .iter()
            .map(|r| (r.id, r.prior.str("load_balancer_arn")))
            .collect();
        let found = self.describe(&wanted).await?;
        let live: Vec<&str> = found.keys().map(String::as_str).collect();
        let tags = crate::tags::of(client, &live).await?;
        Ok(requests
            .iter()
            .map(|r| match found.get(r.id) {
                Some(l) => ReadOutcome::Live(object(
                    l,
                    &tags.get(r.id).cloned().unwrap_or_default(),
                    &ctx.default_tags,
                )),
                None => ReadOutcome::Gone,
            })
            .collect())
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let client = self.elb.client().await?;
        let listeners = of_stack(client, &self.tagging, stack).await?;
        let arns: Vec<&str> = listeners.keys().map(String::as_str).collect();
        Ok(crate::tags::owned(
            &crate::tags::of(client, &arns).await?,
            stack,
        ))
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let out = client
            .create_listener()
            .set_load_balancer_arn(planned.str("load_balancer_arn").map(str::to_string))
            .set_port(planned.i64("port").and_then(|p| i32::try_from(p).ok()))
            .protocol(ProtocolEnum::from(
                planned.str("protocol").unwrap_or("HTTP"),
            ))
            .set_ssl_policy(planned.str("ssl_policy").map(str::to_string))
            .set_certificates(certificates(planned))
            .set_default_actions(Some(actions::to_sdk(planned.get("default_action"))))
            .set_tags(Some(crate::tags::sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("elasticloadbalancing:CreateListener", e))?;
        let arn = created_id(
            "elasticloadbalancing:CreateListener",
            out.listeners().first().and_then(|l| l.listener_arn()),
        )?;
        let live = crate::tags::of(client, &[&arn])
            .await
            .map_err(|e| e.with_partial_id(&arn))?
            .remove(&arn)
            .unwrap_or_default();
        match out.listeners().first() {
            Some(l) => Ok(object(l, &live, &ctx.default_tags)),
            None => self.read_one(&arn, &ctx.default_tags).await,
        }
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.elb.client().await?;
        let mut modify = false;
        for name in changed {
            match name.as_str() {
                "port" | "protocol" | "ssl_policy" | "certificate_arn" | "default_action" => {
                    modify = true
                }
                "tags" => crate::tags::sync(client, ctx, id, prior, planned).await?,
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        if modify {
            let https = planned.str("protocol") == Some("HTTPS");
            client
                .modify_listener()
                .listener_arn(id)
                .set_port(planned.i64("port").and_then(|p| i32::try_from(p).ok()))
                .protocol(ProtocolEnum::from(
                    planned.str("protocol").unwrap_or("HTTP"),
                ))
                .set_ssl_policy(
                    planned
                        .str("ssl_policy")
                        .filter(|_| https)
                        .map(str::to_string),
                )
                .set_certificates(certificates(planned).filter(|_| https))
                .set_default_actions(Some(actions::to_sdk(planned.get("default_action"))))
                .send()
                .await
                .map_err(|e| error("elasticloadbalancing:ModifyListener", e))?;
        }
        self.read_one(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.elb.client().await?;
        // Gone already is done.
        cairn_aws::delete_with_retry("load balancer listener", &[], || async {
            client
                .delete_listener()
                .listener_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("elasticloadbalancing:DeleteListener", e))
        })
        .await
    }
}
