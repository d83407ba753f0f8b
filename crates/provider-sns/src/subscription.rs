//! `aws_sns_topic_subscription`: topic, protocol and endpoint force a new
//! subscription; `raw_message_delivery` and `filter_policy` change in place
//! with SetSubscriptionAttributes. The id is the subscription ARN.
//!
//! Subscriptions carry no tags. One exists once per (topic, protocol,
//! endpoint): Subscribe with the same three answers the existing ARN, so a
//! create retried after a crash adopts what the first made (by identity).
//!
//! Email (and unconfirmed http/https) subscriptions wait for their
//! endpoint to confirm. They are created with `ReturnSubscriptionArn`, so
//! they have their real ARN from the start, and read with
//! `pending_confirmation = true` until confirmed. ListSubscriptionsByTopic
//! shows such a subscription with the ARN `PendingConfirmation`, so the
//! read asks GetSubscriptionAttributes about ids the listing does not name
//! while the topic has pending entries. SNS refuses to delete a pending
//! subscription (it expires by itself after three days): destroying one
//! succeeds and leaves it to expire.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{json_text, Sns, READ_CONCURRENCY};

pub struct Subscription {
    sns: Arc<Sns>,
}

impl Subscription {
    pub fn new(sns: Arc<Sns>) -> Self {
        Subscription { sns }
    }
}

const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
];

/// The ARN ListSubscriptionsByTopic shows for an unconfirmed subscription.
const PENDING: &str = "PendingConfirmation";

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("A subscription of an endpoint to an SNS topic (id: its ARN); topic, protocol and endpoint force a new one, raw message delivery and filter policy change in place; an email subscription reads `pending_confirmation = true` until confirmed.")
            .attr("topic_arn", Attribute::string().required().force_new())
            .attr("protocol", Attribute::string().required().force_new().check(Check::OneOf(PROTOCOLS)))
            .attr("endpoint", Attribute::string().required().force_new())
            .attr("raw_message_delivery", Attribute::bool().default(false))
            .attr("filter_policy", Attribute::new(Type::JsonString))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner_id", Attribute::string().computed())
            .attr("pending_confirmation", Attribute::bool().computed())
            .attr("confirmation_was_authenticated", Attribute::bool().computed())
    })
}

/// The topic of a subscription ARN (`<topic arn>:<uuid>`).
fn topic_of(arn: &str) -> Option<&str> {
    arn.rsplit_once(':')
        .map(|(topic, _)| topic)
        .filter(|t| t.starts_with("arn:") && t.split(':').count() == 6)
}

fn object(arn: &str, attrs: &HashMap<String, String>) -> Object {
    let get = |k: &str| attrs.get(k).map(String::as_str);
    let flag = |k: &str| Value::from(get(k) == Some("true"));
    let mut obj = Object::new();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("topic_arn".into(), Value::from(get("TopicArn")));
    obj.insert("protocol".into(), Value::from(get("Protocol")));
    obj.insert("endpoint".into(), Value::from(get("Endpoint")));
    obj.insert("owner_id".into(), Value::from(get("Owner")));
    obj.insert("raw_message_delivery".into(), flag("RawMessageDelivery"));
    obj.insert(
        "filter_policy".into(),
        Value::from(json_text(get("FilterPolicy"))),
    );
    obj.insert("pending_confirmation".into(), flag("PendingConfirmation"));
    obj.insert(
        "confirmation_was_authenticated".into(),
        flag("ConfirmationWasAuthenticated"),
    );
    obj
}

/// What ListSubscriptionsByTopic says about one topic.
#[derive(Default)]
struct Listed {
    arns: HashSet<String>,
    /// (protocol, endpoint) of its unconfirmed subscriptions.
    pending: HashSet<(String, String)>,
}

impl Subscription {
    /// The subscriptions of one topic (one call per page of 100); `None`
    /// when the topic is gone (and its subscriptions with it).
    async fn list(&self, topic: &str) -> Result<Option<Listed>, ProviderError> {
        let client = self.sns.client().await?;
        let pages = client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await;
        let pages = match pages {
            Ok(p) => p,
            Err(e) => {
                let e = error("sns:ListSubscriptionsByTopic", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let mut listed = Listed::default();
        for s in pages.iter().flat_map(|p| p.subscriptions()) {
            match s.subscription_arn() {
                Some(PENDING) => {
                    listed.pending.insert((
                        s.protocol().unwrap_or_default().to_string(),
                        s.endpoint().unwrap_or_default().to_string(),
                    ));
                }
                Some(arn) => {
                    listed.arns.insert(arn.to_string());
                }
                None => {}
            }
        }
        Ok(Some(listed))
    }

    /// The attributes of one subscription (`None`: gone).
    async fn attributes(
        &self,
        arn: &str,
    ) -> Result<Option<HashMap<String, String>>, ProviderError> {
        let client = self.sns.client().await?;
        match client
            .get_subscription_attributes()
            .subscription_arn(arn)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.attributes().cloned().unwrap_or_default())),
            Err(e) => {
                let e = error("sns:GetSubscriptionAttributes", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn read_written(&self, arn: &str) -> Result<Object, ProviderError> {
        match self.attributes(arn).await? {
            Some(a) => Ok(object(arn, &a)),
            None => Err(ProviderError::new(
                "sns:GetSubscriptionAttributes",
                "NotFound",
                format!("subscription {arn} not found after writing it"),
            )),
        }
    }

    async fn set_attribute(
        &self,
        arn: &str,
        name: &str,
        value: String,
    ) -> Result<(), ProviderError> {
        let client = self.sns.client().await?;
        client
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("sns:SetSubscriptionAttributes", e))
    }

    /// The ARN of the confirmed subscription of `topic` with this protocol
    /// and endpoint, if there is one.
    async fn find(
        &self,
        topic: &str,
        protocol: &str,
        endpoint: &str,
    ) -> Result<Option<String>, ProviderError> {
        let client = self.sns.client().await?;
        let pages = client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("sns:ListSubscriptionsByTopic", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.subscriptions())
            .find(|s| {
                s.protocol() == Some(protocol)
                    && s.endpoint() == Some(endpoint)
                    && s.subscription_arn().is_some_and(|a| a != PENDING)
            })
            .and_then(|s| s.subscription_arn().map(str::to_string)))
    }
}

fn raw(planned: &Object) -> String {
    planned
        .bool("raw_message_delivery")
        .unwrap_or(false)
        .to_string()
}

fn filter(planned: &Object) -> String {
    planned
        .get("filter_policy")
        .map(Value::unmarked)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

#[async_trait]
impl Resource for Subscription {
    fn type_name(&self) -> &'static str {
        "aws_sns_topic_subscription"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let issue = |attribute: &str, message: String| ValidationIssue {
            attribute: attribute.into(),
            message,
        };
        if let Some(t) = config.str("topic_arn") {
            if !(t.starts_with("arn:") && t.split(':').count() == 6) {
                issues.push(issue("topic_arn", format!("`{t}` is not a topic ARN")));
            }
        }
        let protocol = config.str("protocol");
        if let (Some(p), Some(e)) = (protocol, config.str("endpoint")) {
            let ok = match p {
                "http" => e.starts_with("http://"),
                "https" => e.starts_with("https://"),
                "email" | "email-json" => e.contains('@'),
                "sqs" | "lambda" | "application" => e.starts_with("arn:"),
                _ => true,
            };
            if !ok {
                issues.push(issue(
                    "endpoint",
                    format!("`{e}` is not an endpoint of the `{p}` protocol"),
                ));
            }
        }
        if config.bool("raw_message_delivery") == Some(true)
            && protocol.is_some_and(|p| !matches!(p, "sqs" | "http" | "https"))
        {
            issues.push(issue(
                "raw_message_delivery",
                "raw message delivery is for the sqs, http and https protocols".into(),
            ));
        }
        issues
    }

    /// One ListSubscriptionsByTopic per distinct topic (the topic is in
    /// the subscription ARN) says which exist; raw delivery and filter
    /// policy need a GetSubscriptionAttributes per existing subscription.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let mut topics: BTreeMap<&str, Option<Listed>> = BTreeMap::new();
        for r in requests {
            if let Some(t) = topic_of(r.id) {
                if !topics.contains_key(t) {
                    topics.insert(t, self.list(t).await?);
                }
            }
        }
        let reads = requests
            .iter()
            .map(|r| {
                let listed = topic_of(r.id)
                    .and_then(|t| topics.get(t))
                    .and_then(Option::as_ref);
                let worth_asking = listed.is_some_and(|l| {
                    l.arns.contains(r.id)
                        || (!l.pending.is_empty()
                            && match (r.prior.str("protocol"), r.prior.str("endpoint")) {
                                (Some(p), Some(e)) => {
                                    l.pending.contains(&(p.to_string(), e.to_string()))
                                }
                                // An import: no recorded protocol to match.
                                _ => true,
                            })
                });
                Box::pin(async move {
                    if !worth_asking {
                        return Ok(None);
                    }
                    Ok(self.attributes(r.id).await?.map(|a| object(r.id, &a)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sns.client().await?;
        let topic = planned.str("topic_arn").unwrap_or_default();
        let protocol = planned.str("protocol").unwrap_or_default();
        let endpoint = planned.str("endpoint").unwrap_or_default();
        let mut attributes = HashMap::new();
        if planned.bool("raw_message_delivery") == Some(true) {
            attributes.insert("RawMessageDelivery".to_string(), "true".to_string());
        }
        if !filter(planned).is_empty() {
            attributes.insert("FilterPolicy".to_string(), filter(planned));
        }
        let out = client
            .subscribe()
            .topic_arn(topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .set_attributes((!attributes.is_empty()).then_some(attributes))
            .send()
            .await;
        let arn = match out {
            Ok(out) => cairn_aws::created_id("sns:Subscribe", out.subscription_arn())?,
            Err(e) => {
                let e = error("sns:Subscribe", e);
                // The same subscription with other attributes (a retry
                // after a crash, or made outside cairn): there can be
                // only one, so it is adopted and given these attributes.
                if e.code != "InvalidParameter" || !e.message.contains("already exists") {
                    return Err(e);
                }
                match self.find(topic, protocol, endpoint).await? {
                    Some(arn) => arn,
                    None => return Err(e),
                }
            }
        };
        let partial = |e: ProviderError| e.with_partial_id(&arn);
        let live = self.read_written(&arn).await.map_err(partial)?;
        // Adopted with other values: bring it to this configuration.
        let mut wrote = false;
        if live.bool("raw_message_delivery") != planned.bool("raw_message_delivery").or(Some(false))
        {
            self.set_attribute(&arn, "RawMessageDelivery", raw(planned))
                .await
                .map_err(partial)?;
            wrote = true;
        }
        let (want, have) = (
            filter(planned),
            live.str("filter_policy").unwrap_or_default(),
        );
        if want != have && !same_json(&want, have) {
            self.set_attribute(&arn, "FilterPolicy", filter(planned))
                .await
                .map_err(partial)?;
            wrote = true;
        }
        if !wrote {
            return Ok(live);
        }
        self.read_written(&arn).await.map_err(partial)
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        for name in changed {
            match name.as_str() {
                "raw_message_delivery" => {
                    self.set_attribute(id, "RawMessageDelivery", raw(planned))
                        .await?
                }
                "filter_policy" => {
                    self.set_attribute(id, "FilterPolicy", filter(planned))
                        .await?
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_written(id).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sns.client().await?;
        match client.unsubscribe().subscription_arn(id).send().await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = error("sns:Unsubscribe", e);
                if cairn_aws::is_not_found(&e)
                    // SNS keeps an unconfirmed subscription until it
                    // expires (three days) and refuses to delete it.
                    || (e.code == "InvalidParameter" && e.message.contains("pending confirmation"))
                {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }
}

fn same_json(a: &str, b: &str) -> bool {
    matches!(
        (
            serde_json::from_str::<serde_json::Value>(a),
            serde_json::from_str::<serde_json::Value>(b),
        ),
        (Ok(x), Ok(y)) if x == y
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_topic_is_read_from_the_subscription_arn() {
        assert_eq!(
            topic_of(
                "arn:aws:sns:eu-west-2:123456789012:alarms:5f1d7a8e-0c1b-4b8e-9a51-3d2c1b0a9f8e"
            ),
            Some("arn:aws:sns:eu-west-2:123456789012:alarms")
        );
        assert_eq!(topic_of("PendingConfirmation"), None);
        assert_eq!(topic_of("arn:aws:sns:eu-west-2:123456789012:alarms"), None);
    }

    #[test]
    fn endpoints_must_fit_their_protocol() {
        let s = Subscription::new(Arc::new(Sns::new(
            cairn_aws::AwsContext::new(Default::default()),
            cairn_aws::sdk_client!(aws_sdk_sns),
        )));
        let v = |p: &str, e: &str, raw: bool| {
            let config: Object = [
                (
                    "topic_arn".to_string(),
                    Value::from("arn:aws:sns:eu-west-2:123456789012:alarms"),
                ),
                ("protocol".to_string(), Value::from(p)),
                ("endpoint".to_string(), Value::from(e)),
                ("raw_message_delivery".to_string(), Value::from(raw)),
            ]
            .into();
            s.validate(&config).len()
        };
        assert_eq!(v("email", "ops@example.com", false), 0);
        assert_eq!(v("https", "https://hooks.example.com/sns", true), 0);
        assert_eq!(v("https", "http://hooks.example.com/sns", false), 1);
        assert_eq!(v("email", "ops@example.com", true), 1);
        assert_eq!(v("sqs", "queue", false), 1);
    }
}
