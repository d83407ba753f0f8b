//! `aws_sns_topic`: the name (and `fifo_topic`) force a new topic; display
//! name, KMS key, policy, delivery policy and content-based deduplication
//! change in place with SetTopicAttributes. The id is the topic ARN, as in
//! Terraform.
//!
//! CreateTopic is idempotent by name: a create retried after a crash gets
//! the same topic back. The same call would also hand back a same-named
//! topic that is not this stack's, so before anything is changed on it the
//! topic's tags must carry this stack's and this address's ownership tags;
//! otherwise the create fails naming the owner, and the topic is left as
//! it was.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use cairn_aws::{
    delete_with_retry, error, read_concurrently, sync_tags, write_tag_changes, ReadFuture, Tagging,
    TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{json_text, topic_tags, Sns, READ_CONCURRENCY};

pub struct Topic {
    sns: Arc<Sns>,
    tagging: Arc<Tagging>,
}

impl Topic {
    pub fn new(sns: Arc<Sns>, tagging: Arc<Tagging>) -> Self {
        Topic { sns, tagging }
    }
}

/// 1-256 letters, digits, `-` and `_`, and for a FIFO topic `.fifo` at
/// the end (checked with `fifo_topic` in `validate`).
fn name_problem(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    if name.is_empty() || name.len() > 256 {
        return Some(format!(
            "a topic name has 1 to 256 characters, `{name}` has {}",
            name.len()
        ));
    }
    if stem.is_empty()
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Some(format!(
            "`{name}`: a topic name has only letters, digits, `-` and `_` (and `.fifo` at the end of a FIFO topic's)"
        ));
    }
    None
}

fn check_name(v: &Value) -> Result<(), String> {
    match v.as_str().and_then(name_problem) {
        Some(m) => Err(m),
        None => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An SNS topic (id: its ARN); the name and `fifo_topic` force a new one, display name, KMS key, policy and delivery policy change in place.")
            .attr("name", Attribute::string().required().force_new().check(Check::Custom(check_name)))
            .attr("fifo_topic", Attribute::bool().default(false).force_new())
            .attr("content_based_deduplication", Attribute::bool().default(false))
            .attr("display_name", Attribute::string())
            .attr("kms_master_key_id", Attribute::string())
            .attr(
                "policy",
                Attribute::new(Type::JsonString)
                    .optional_computed()
                    .describe("the topic's access policy; unset keeps the one SNS makes"),
            )
            .attr("delivery_policy", Attribute::new(Type::JsonString))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("owner", Attribute::string().computed())
            .with_tags()
    })
}

/// Equal as text, or as JSON documents when both parse.
fn same_text(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (
                serde_json::from_str::<serde_json::Value>(a),
                serde_json::from_str::<serde_json::Value>(b),
            ),
            (Ok(x), Ok(y)) if x == y
        )
}

/// The SetTopicAttributes name of each attribute that changes in place.
const IN_PLACE: &[(&str, &str)] = &[
    ("display_name", "DisplayName"),
    ("kms_master_key_id", "KmsMasterKeyId"),
    ("policy", "Policy"),
    ("delivery_policy", "DeliveryPolicy"),
    ("content_based_deduplication", "ContentBasedDeduplication"),
];

/// The value SNS is given for an attribute of `planned` ("" clears it).
fn sns_value(planned: &Object, name: &str) -> Option<String> {
    match planned.get(name).map(Value::unmarked) {
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        _ if name == "policy" => None,
        _ if name == "content_based_deduplication" => Some("false".into()),
        _ => Some(String::new()),
    }
}

fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

fn object(
    arn: &str,
    attrs: &HashMap<String, String>,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
) -> Object {
    let get = |k: &str| attrs.get(k).map(String::as_str);
    let text = |k: &str| Value::from(get(k).filter(|s| !s.is_empty()));
    let flag = |k: &str| Value::from(get(k) == Some("true"));
    let mut obj = Object::new();
    obj.insert("id".into(), arn.into());
    obj.insert("arn".into(), arn.into());
    obj.insert("name".into(), name_of(arn).into());
    obj.insert("owner".into(), text("Owner"));
    obj.insert("fifo_topic".into(), flag("FifoTopic"));
    obj.insert(
        "content_based_deduplication".into(),
        flag("ContentBasedDeduplication"),
    );
    obj.insert("display_name".into(), text("DisplayName"));
    obj.insert("kms_master_key_id".into(), text("KmsMasterKeyId"));
    obj.insert("policy".into(), Value::from(json_text(get("Policy"))));
    obj.insert(
        "delivery_policy".into(),
        Value::from(json_text(get("DeliveryPolicy"))),
    );
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl Topic {
    /// The ARN of every topic in the region: one ListTopics per page of 100.
    async fn list(&self) -> Result<HashSet<String>, ProviderError> {
        let client = self.sns.client().await?;
        let pages = client
            .list_topics()
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("sns:ListTopics", e))?;
        Ok(pages
            .iter()
            .flat_map(|p| p.topics())
            .filter_map(|t| t.topic_arn().map(str::to_string))
            .collect())
    }

    /// The attributes of one topic (`None`: gone).
    async fn attributes(
        &self,
        arn: &str,
    ) -> Result<Option<HashMap<String, String>>, ProviderError> {
        let client = self.sns.client().await?;
        match client.get_topic_attributes().topic_arn(arn).send().await {
            Ok(out) => Ok(Some(out.attributes().cloned().unwrap_or_default())),
            Err(e) => {
                let e = error("sns:GetTopicAttributes", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// One topic with its tags, after a write.
    async fn read_written(
        &self,
        arn: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let attrs = self.attributes(arn).await?.ok_or_else(|| {
            ProviderError::new(
                "sns:GetTopicAttributes",
                "NotFound",
                format!("topic {arn} not found after writing it"),
            )
        })?;
        let live = topic_tags(&self.sns, arn).await?;
        Ok(object(arn, &attrs, &live, default_tags))
    }

    async fn set_attribute(
        &self,
        arn: &str,
        name: &str,
        value: String,
    ) -> Result<(), ProviderError> {
        let client = self.sns.client().await?;
        client
            .set_topic_attributes()
            .topic_arn(arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("sns:SetTopicAttributes", e))
    }

    /// The ARN of the topic named `name`, if there is one (a listing).
    async fn find(&self, name: &str) -> Result<Option<String>, ProviderError> {
        Ok(self.list().await?.into_iter().find(|a| name_of(a) == name))
    }

    /// Brings a topic create found already there (a leftover of this
    /// address, made from an earlier plan) to `planned`: the attributes
    /// that differ, then the tags. A fresh topic needs no call. Whether
    /// anything was written.
    async fn converge(
        &self,
        ctx: &OpContext,
        arn: &str,
        live: &Object,
        live_tags: &tags::Tags,
        planned: &Object,
    ) -> Result<bool, ProviderError> {
        let mut wrote = false;
        for (name, sns_name) in IN_PLACE {
            let Some(want) = sns_value(planned, name) else {
                continue;
            };
            let have = sns_value(live, name).unwrap_or_default();
            if !same_text(&want, &have) {
                self.set_attribute(arn, sns_name, want).await?;
                wrote = true;
            }
        }
        let desired = ctx.create_tags(planned);
        if tags::changes(&desired, live_tags) == (tags::Tags::new(), Vec::new()) {
            return Ok(wrote);
        }
        let client = self.sns.client().await?;
        let tag = |set: tags::Tags| async move {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("sns:TagResource", e))
        };
        let untag = |keys: Vec<String>| async move {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("sns:UntagResource", e))
        };
        write_tag_changes(&desired, live_tags, tag, untag).await?;
        Ok(true)
    }

    /// Refuses a topic that is not this stack's and address's.
    fn check_owner(ctx: &OpContext, arn: &str, live: &tags::Tags) -> Result<(), ProviderError> {
        if ctx.owns(live) {
            return Ok(());
        }
        let owner = match live.get(tags::STACK_TAG) {
            Some(stack) => format!(
                "stack `{stack}` ({})",
                live.get(tags::ADDRESS_TAG)
                    .map_or("no address", String::as_str)
            ),
            None => "nothing cairn manages".to_string(),
        };
        Err(ProviderError::new(
            "sns:CreateTopic",
            "TopicExists",
            format!(
                "a topic named `{}` already exists ({arn}) and belongs to {owner}, not to `{}` of `{}`; \
                 nothing was changed. Import it, or choose another name",
                name_of(arn),
                ctx.address,
                ctx.stack
            ),
        ))
    }
}

#[async_trait]
impl Resource for Topic {
    fn type_name(&self) -> &'static str {
        "aws_sns_topic"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let fifo = config.bool("fifo_topic").unwrap_or(false);
        if let Some(name) = config.str("name") {
            if fifo != name.ends_with(".fifo") {
                issues.push(ValidationIssue {
                    attribute: "name".into(),
                    message: if fifo {
                        format!("a FIFO topic's name ends with `.fifo`: `{name}` does not")
                    } else {
                        format!("`{name}` ends with `.fifo`, which only a FIFO topic's name may (set `fifo_topic = true`)")
                    },
                });
            }
        }
        if !fifo && config.bool("content_based_deduplication") == Some(true) {
            issues.push(ValidationIssue {
                attribute: "content_based_deduplication".into(),
                message: "content-based deduplication is for FIFO topics (`fifo_topic = true`)"
                    .into(),
            });
        }
        issues
    }

    /// ListTopics (one call per 100 topics) says which exist; attributes
    /// need a GetTopicAttributes per topic (SNS has no batch form); tags
    /// come from one tagging-API listing of the stack's topics, and only a
    /// topic missing from it (imported, or its ownership tag removed) costs
    /// a ListTagsForResource.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let all = self.list().await?;
        let owned = if requests.iter().any(|r| all.contains(r.id)) {
            self.tagging.owned("sns", &ctx.stack).await?
        } else {
            TagsByArn::default()
        };
        let reads = requests
            .iter()
            .map(|r| {
                let exists = all.contains(r.id);
                let owned = &owned;
                Box::pin(async move {
                    if !exists {
                        return Ok(None);
                    }
                    let Some(attrs) = self.attributes(r.id).await? else {
                        return Ok(None);
                    };
                    let live = match owned.get(r.id) {
                        Some(t) => t.clone(),
                        None => topic_tags(&self.sns, r.id).await?,
                    };
                    Ok(Some(object(r.id, &attrs, &live, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        Ok(self
            .tagging
            .owned("sns", stack)
            .await?
            .iter()
            // Topic ARNs only: arn:aws:sns:region:account:name.
            .filter(|(arn, _)| arn.split(':').count() == 6)
            .filter_map(|(arn, t)| tags::owned_entry(stack, arn, t))
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let client = self.sns.client().await?;
        let name = planned.str("name").unwrap_or_default().to_string();
        let fifo = planned.bool("fifo_topic").unwrap_or(false);
        let mut attributes: HashMap<String, String> = HashMap::new();
        for (attr, sns_name) in IN_PLACE {
            match sns_value(planned, attr) {
                Some(v) if !v.is_empty() && v != "false" => {
                    attributes.insert(sns_name.to_string(), v);
                }
                _ => {}
            }
        }
        if fifo {
            attributes.insert("FifoTopic".into(), "true".into());
        }
        let created = client
            .create_topic()
            .name(&name)
            .set_attributes((!attributes.is_empty()).then_some(attributes))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        let arn = match created {
            Ok(out) => cairn_aws::created_id("sns:CreateTopic", out.topic_arn())?,
            Err(e) => {
                let e = error("sns:CreateTopic", e);
                // AWS refuses a same-named topic whose attributes or tags
                // differ ("already exists with different tags"): ours
                // from an interrupted apply (made from an earlier plan),
                // or someone else's. Only ours is adopted, below.
                if e.code != "InvalidParameter" || !e.message.contains("already exists") {
                    return Err(e);
                }
                match self.find(&name).await? {
                    Some(arn) => arn,
                    None => return Err(e),
                }
            }
        };
        // The same name gives the existing topic back, unchanged (moto
        // does so whatever the tags): it must be this address's.
        let live_tags = topic_tags(&self.sns, &arn).await?;
        Self::check_owner(ctx, &arn, &live_tags)?;
        let partial = |e: ProviderError| e.with_partial_id(&arn);
        let attrs = self.attributes(&arn).await.map_err(partial)?;
        let Some(attrs) = attrs else {
            return Err(ProviderError::new(
                "sns:GetTopicAttributes",
                "NotFound",
                format!("topic {arn} not found after creating it"),
            ));
        };
        let obj = object(&arn, &attrs, &live_tags, &ctx.default_tags);
        if !self
            .converge(ctx, &arn, &obj, &live_tags, planned)
            .await
            .map_err(partial)?
        {
            return Ok(obj);
        }
        self.read_written(&arn, &ctx.default_tags)
            .await
            .map_err(partial)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        id: &str,
        prior: &Object,
        planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        let client = self.sns.client().await?;
        for name in changed {
            if let Some((_, sns_name)) = IN_PLACE.iter().find(|(a, _)| a == name) {
                let value = sns_value(planned, name).unwrap_or_default();
                self.set_attribute(id, sns_name, value).await?;
                continue;
            }
            match name.as_str() {
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        client
                            .tag_resource()
                            .resource_arn(id)
                            .set_tags(Some(sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("sns:TagResource", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_resource()
                            .resource_arn(id)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("sns:UntagResource", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.read_written(id, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sns.client().await?;
        // Deleting a topic deletes its subscriptions; nothing holds it.
        delete_with_retry("SNS topic", &[], || async {
            client
                .delete_topic()
                .topic_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("sns:DeleteTopic", e))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_are_checked_offline() {
        assert!(name_problem("tracker-alarms").is_none());
        assert!(name_problem("orders.fifo").is_none());
        assert!(name_problem("").is_some());
        assert!(name_problem("has space").is_some());
        assert!(name_problem(".fifo").is_some());
        assert!(name_problem(&"a".repeat(257)).is_some());
        let t = |name: &str, fifo: bool| {
            let topic = Topic::new(
                Arc::new(Sns::new(
                    cairn_aws::AwsContext::new(Default::default()),
                    cairn_aws::sdk_client!(aws_sdk_sns),
                )),
                Arc::new(Tagging::new(cairn_aws::AwsContext::new(Default::default()))),
            );
            let config: Object = [
                ("name".to_string(), Value::from(name)),
                ("fifo_topic".to_string(), Value::from(fifo)),
            ]
            .into();
            topic.validate(&config).len()
        };
        assert_eq!(t("alarms", false), 0);
        assert_eq!(t("alarms.fifo", true), 0);
        assert_eq!(t("alarms.fifo", false), 1);
        assert_eq!(t("alarms", true), 1);
    }
}
