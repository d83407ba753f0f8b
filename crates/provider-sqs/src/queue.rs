//! `aws_sqs_queue`: the name (or `name_prefix`) and `fifo_queue` force a
//! new queue; every other attribute changes in place with one
//! SetQueueAttributes, tags with TagQueue / UntagQueue. The id is the
//! queue URL, as in Terraform.
//!
//! A queue found already there under the planned name is adopted only when
//! it carries this stack's and this address's ownership tags (an apply
//! that died before recording it); any other is refused and left alone.
//! CreateQueue itself would hand back a same-named queue whose attributes
//! match, and moto would even overwrite its tags, so the name is looked up
//! first.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use cairn_aws::{
    error, read_concurrently, sync_tags, wait_until, write_tag_changes, ReadFuture, Tagging,
    TagsByArn,
};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, ValidationIssue, Value,
};

use crate::{names, Sqs, READ_CONCURRENCY};

pub struct Queue {
    sqs: Arc<Sqs>,
    tagging: Arc<Tagging>,
}

impl Queue {
    pub fn new(sqs: Arc<Sqs>, tagging: Arc<Tagging>) -> Self {
        Queue { sqs, tagging }
    }
}

/// How an attribute is written as an SQS attribute string.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Json,
    Text,
}

/// The attributes that change in place, with their SQS names.
const IN_PLACE: &[(&str, &str, Kind)] = &[
    (
        "content_based_deduplication",
        "ContentBasedDeduplication",
        Kind::Bool,
    ),
    ("deduplication_scope", "DeduplicationScope", Kind::Text),
    ("fifo_throughput_limit", "FifoThroughputLimit", Kind::Text),
    ("delay_seconds", "DelaySeconds", Kind::Int),
    ("max_message_size", "MaximumMessageSize", Kind::Int),
    (
        "message_retention_seconds",
        "MessageRetentionPeriod",
        Kind::Int,
    ),
    (
        "receive_wait_time_seconds",
        "ReceiveMessageWaitTimeSeconds",
        Kind::Int,
    ),
    ("visibility_timeout_seconds", "VisibilityTimeout", Kind::Int),
    ("redrive_policy", "RedrivePolicy", Kind::Json),
    ("redrive_allow_policy", "RedriveAllowPolicy", Kind::Json),
    ("policy", "Policy", Kind::Json),
    (
        "sqs_managed_sse_enabled",
        "SqsManagedSseEnabled",
        Kind::Bool,
    ),
    ("kms_master_key_id", "KmsMasterKeyId", Kind::Text),
    (
        "kms_data_key_reuse_period_seconds",
        "KmsDataKeyReusePeriodSeconds",
        Kind::Int,
    ),
];

/// Attributes SQS accepts only on FIFO queues (a standard queue refuses
/// even their `false`).
const FIFO_ONLY: &[&str] = &[
    "content_based_deduplication",
    "deduplication_scope",
    "fifo_throughput_limit",
];

/// SQS's default for a queue without KMS settings, which it does not
/// report; Terraform reads it the same way.
const DEFAULT_KMS_REUSE_SECONDS: i64 = 300;

fn check_json(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => serde_json::from_str::<serde_json::Value>(s)
            .map(|_| ())
            .map_err(|e| format!("not a JSON document: {e}")),
        _ => Ok(()),
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let json = |d: &'static str| {
            Attribute::new(Type::JsonString)
                .optional_computed()
                .check(Check::Custom(check_json))
                .describe(d)
        };
        Schema::new()
            .describe("An SQS queue (id: its URL); the name and `fifo_queue` force a new queue, every other attribute changes in place with SetQueueAttributes.")
            .attr(
                "name",
                Attribute::string()
                    .optional_computed()
                    .force_new()
                    .describe("Without it, one is made of `name_prefix` (or `cairn-`) and the create's token; a FIFO queue's ends in `.fifo`."),
            )
            .attr("name_prefix", Attribute::string().force_new())
            .attr("fifo_queue", Attribute::bool().default(false).force_new())
            .attr("content_based_deduplication", Attribute::bool().default(false))
            .attr(
                "deduplication_scope",
                Attribute::string()
                    .optional_computed()
                    .check(Check::OneOf(&["messageGroup", "queue"])),
            )
            .attr(
                "fifo_throughput_limit",
                Attribute::string()
                    .optional_computed()
                    .check(Check::OneOf(&["perQueue", "perMessageGroupId"])),
            )
            .attr("delay_seconds", Attribute::number().default(0).check(Check::Range(0, 900)))
            .attr(
                "max_message_size",
                Attribute::number().default(262_144).check(Check::Range(1024, 1_048_576)),
            )
            .attr(
                "message_retention_seconds",
                Attribute::number().default(345_600).check(Check::Range(60, 1_209_600)),
            )
            .attr(
                "receive_wait_time_seconds",
                Attribute::number().default(0).check(Check::Range(0, 20)),
            )
            .attr(
                "visibility_timeout_seconds",
                Attribute::number().default(30).check(Check::Range(0, 43_200)),
            )
            .attr("redrive_policy", json("`{\"deadLetterTargetArn\": ..., \"maxReceiveCount\": N}`; compared as JSON"))
            .attr("redrive_allow_policy", json("which source queues may use this one as their dead-letter queue; compared as JSON"))
            .attr("policy", json("the queue's access policy; compared as JSON"))
            .attr("sqs_managed_sse_enabled", Attribute::bool().optional_computed())
            .attr("kms_master_key_id", Attribute::string())
            .attr(
                "kms_data_key_reuse_period_seconds",
                Attribute::number().optional_computed().check(Check::Range(60, 86_400)),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("url", Attribute::string().computed())
            .with_tags()
    })
}

/// An attribute of `obj` as SQS writes it (`None`: not set or not known).
fn sqs_value(obj: &Object, name: &str, kind: Kind) -> Option<String> {
    let v = obj.get(name)?.unmarked();
    match (kind, v) {
        (Kind::Bool, Value::Bool(b)) => Some(b.to_string()),
        (Kind::Int, Value::Number(n)) => Some(format!("{}", *n as i64)),
        (Kind::Json | Kind::Text, Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Equal as SQS stores them: JSON documents compared parsed.
fn same_value(kind: Kind, a: &str, b: &str) -> bool {
    match kind {
        Kind::Json => {
            a == b
                || matches!(
                    (
                        serde_json::from_str::<serde_json::Value>(a),
                        serde_json::from_str::<serde_json::Value>(b),
                    ),
                    (Ok(x), Ok(y)) if x == y
                )
        }
        _ => a == b,
    }
}

/// The attributes a create sends: everything configured, the FIFO-only
/// ones only for a FIFO queue.
fn create_attributes(planned: &Object) -> HashMap<String, String> {
    let fifo = planned.bool("fifo_queue").unwrap_or(false);
    let mut out = HashMap::new();
    for (name, sqs_name, kind) in IN_PLACE {
        if !fifo && FIFO_ONLY.contains(name) {
            continue;
        }
        if let Some(v) = sqs_value(planned, name, *kind).filter(|v| !v.is_empty()) {
            out.insert(sqs_name.to_string(), v);
        }
    }
    if fifo {
        out.insert("FifoQueue".into(), "true".into());
    }
    out
}

/// The attributes an update sends for the `changed` ones: a cleared value
/// is sent empty, which removes it (a redrive policy, a KMS key).
fn update_attributes(planned: &Object, changed: &[String]) -> HashMap<String, String> {
    let fifo = planned.bool("fifo_queue").unwrap_or(false);
    let mut out = HashMap::new();
    for (name, sqs_name, kind) in IN_PLACE {
        if !changed.iter().any(|c| c == name) || (!fifo && FIFO_ONLY.contains(name)) {
            continue;
        }
        let v = sqs_value(planned, name, *kind).unwrap_or_default();
        out.insert(sqs_name.to_string(), v);
    }
    out
}

fn sdk_attributes(m: HashMap<String, String>) -> HashMap<QueueAttributeName, String> {
    m.into_iter()
        .map(|(k, v)| (QueueAttributeName::from(k.as_str()), v))
        .collect()
}

fn is_gone(e: &ProviderError) -> bool {
    e.code == "QueueDoesNotExist"
        || e.code == "AWS.SimpleQueueService.NonExistentQueue"
        || cairn_aws::is_not_found(e)
}

fn deleted_recently(e: &ProviderError) -> bool {
    e.code.ends_with("QueueDeletedRecently")
}

fn object(
    url: &str,
    attrs: &HashMap<String, String>,
    prior: &Object,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
) -> Object {
    let get = |k: &str| attrs.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let int = |k: &str| get(k).and_then(|s| s.parse::<i64>().ok());
    let flag = |k: &str| get(k) == Some("true");
    let name = names::of_url(url);
    let mut obj = Object::new();
    obj.insert("id".into(), url.into());
    obj.insert("url".into(), url.into());
    obj.insert("arn".into(), Value::from(get("QueueArn")));
    obj.insert("name".into(), name.into());
    // An input SQS does not keep, only the name made from it.
    obj.insert(
        "name_prefix".into(),
        match prior.get("name_prefix") {
            Some(_) => prior.str("name_prefix").into(),
            None => names::prefix_of_generated(name).into(),
        },
    );
    obj.insert("fifo_queue".into(), flag("FifoQueue").into());
    for (name, sqs_name, kind) in IN_PLACE {
        let v = match kind {
            Kind::Bool => Value::from(flag(sqs_name)),
            Kind::Int => Value::from(int(sqs_name)),
            Kind::Json | Kind::Text => Value::from(get(sqs_name)),
        };
        obj.insert(name.to_string(), v);
    }
    if int("KmsDataKeyReusePeriodSeconds").is_none() {
        obj.insert(
            "kms_data_key_reuse_period_seconds".into(),
            DEFAULT_KMS_REUSE_SECONDS.into(),
        );
    }
    tags::set_live(&mut obj, live_tags, default_tags);
    obj
}

impl Queue {
    /// Every attribute of one queue (`None`: gone).
    async fn attributes(
        &self,
        url: &str,
    ) -> Result<Option<HashMap<String, String>>, ProviderError> {
        let client = self.sqs.client().await?;
        match client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.attributes()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            )),
            Err(e) => {
                let e = error("sqs:GetQueueAttributes", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn queue_tags(&self, url: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.sqs.client().await?;
        let out = client
            .list_queue_tags()
            .queue_url(url)
            .send()
            .await
            .map_err(|e| error("sqs:ListQueueTags", e))?;
        Ok(out
            .tags()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    /// The URL of the queue named `name` in this account, if there is one.
    async fn url_of(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let client = self.sqs.client().await?;
        match client.get_queue_url().queue_name(name).send().await {
            Ok(out) => Ok(out.queue_url().map(str::to_string)),
            Err(e) => {
                let e = error("sqs:GetQueueUrl", e);
                if is_gone(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn set_attributes(
        &self,
        url: &str,
        attributes: HashMap<String, String>,
    ) -> Result<(), ProviderError> {
        if attributes.is_empty() {
            return Ok(());
        }
        let client = self.sqs.client().await?;
        client
            .set_queue_attributes()
            .queue_url(url)
            .set_attributes(Some(sdk_attributes(attributes)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("sqs:SetQueueAttributes", e))
    }

    /// SQS applies attributes eventually (up to a minute on AWS): waits
    /// until a read shows every one just written, within `timeout`. The
    /// policy is left out: SQS may rewrite a policy document's spelling.
    async fn wait_propagated(
        &self,
        url: &str,
        written: &HashMap<String, String>,
        timeout: Duration,
    ) -> Result<(), ProviderError> {
        let wanted: Vec<(&String, &String, Kind)> = written
            .iter()
            .filter(|(k, _)| k.as_str() != "Policy" && k.as_str() != "FifoQueue")
            .map(|(k, v)| {
                let kind = IN_PLACE
                    .iter()
                    .find(|(_, s, _)| s == k)
                    .map_or(Kind::Text, |(_, _, kind)| *kind);
                (k, v, kind)
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        wait_until(
            &format!("the attributes of SQS queue {url} to apply"),
            timeout,
            Duration::from_secs(2),
            || async {
                let Some(live) = self.attributes(url).await? else {
                    return Ok(None);
                };
                let done = wanted.iter().all(|(k, v, kind)| {
                    let have = live.get(*k).map(String::as_str).unwrap_or("");
                    same_value(*kind, v, have)
                });
                Ok(done.then_some(()))
            },
        )
        .await
    }

    /// One queue with its tags, after a write.
    async fn read_written(
        &self,
        url: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let attrs = self.attributes(url).await?.ok_or_else(|| {
            ProviderError::new(
                "sqs:GetQueueAttributes",
                "NotFound",
                format!("queue {url} not found after writing it"),
            )
        })?;
        let live = self.queue_tags(url).await?;
        Ok(object(url, &attrs, prior, &live, default_tags))
    }

    async fn write_tags(
        &self,
        url: &str,
        desired: &tags::Tags,
        live: &tags::Tags,
    ) -> Result<(), ProviderError> {
        let client = self.sqs.client().await?;
        let tag = |set: tags::Tags| async move {
            client
                .tag_queue()
                .queue_url(url)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("sqs:TagQueue", e))
        };
        let untag = |keys: Vec<String>| async move {
            client
                .untag_queue()
                .queue_url(url)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("sqs:UntagQueue", e))
        };
        write_tag_changes(desired, live, tag, untag).await
    }

    /// Refuses a queue that is not this stack's and address's.
    fn check_owner(ctx: &OpContext, url: &str, live: &tags::Tags) -> Result<(), ProviderError> {
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
            "sqs:CreateQueue",
            "QueueExists",
            format!(
                "a queue named `{}` already exists ({url}) and belongs to {owner}, not to `{}` of `{}`; \
                 nothing was changed. Import it, or choose another name",
                names::of_url(url),
                ctx.address,
                ctx.stack
            ),
        ))
    }

    /// Brings this address's leftover (made from an earlier plan) to
    /// `planned`: every configured attribute, then the tags.
    async fn adopt(
        &self,
        ctx: &OpContext,
        url: &str,
        live_tags: &tags::Tags,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let mut attributes = create_attributes(planned);
        attributes.remove("FifoQueue");
        self.set_attributes(url, attributes.clone()).await?;
        self.write_tags(url, &ctx.create_tags(planned), live_tags)
            .await?;
        self.wait_propagated(url, &attributes, ctx.timeout).await
    }

    /// CreateQueue, retried while SQS still holds the name of a queue
    /// deleted less than a minute ago (a replacement), within `timeout`.
    async fn create_queue(
        &self,
        ctx: &OpContext,
        name: &str,
        attributes: &HashMap<String, String>,
        planned: &Object,
    ) -> Result<String, ProviderError> {
        let client = self.sqs.client().await?;
        let start = Instant::now();
        loop {
            let out = client
                .create_queue()
                .queue_name(name)
                .set_attributes(Some(sdk_attributes(attributes.clone())))
                .set_tags(Some(ctx.create_tags(planned).into_iter().collect()))
                .send()
                .await;
            match out {
                Ok(out) => return cairn_aws::created_id("sqs:CreateQueue", out.queue_url()),
                Err(e) => {
                    let e = error("sqs:CreateQueue", e);
                    if !deleted_recently(&e) || start.elapsed() >= ctx.timeout {
                        return Err(e);
                    }
                    ctx.progress.report(&format!(
                        "waiting for SQS to release the name `{name}` of a queue deleted a moment ago"
                    ));
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    }
}

#[async_trait]
impl Resource for Queue {
    fn type_name(&self) -> &'static str {
        "aws_sqs_queue"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        let mut issue = |attribute: &str, message: String| {
            issues.push(ValidationIssue {
                attribute: attribute.into(),
                message,
            })
        };
        let fifo = config.bool("fifo_queue").unwrap_or(false);
        if config.str("name").is_some() && config.str("name_prefix").is_some() {
            issue(
                "name_prefix",
                "set `name` or `name_prefix`, not both".into(),
            );
        }
        if let Some(m) = config.str("name").and_then(|n| names::problem(n, fifo)) {
            issue("name", m);
        }
        if let Some(p) = config.str("name_prefix") {
            let example = names::generated(Some(p), "00000000-0000-0000-0000-000000000000", fifo);
            if let Some(m) = names::problem(&example, fifo) {
                issue(
                    "name_prefix",
                    format!("names made from `{p}` are invalid: {m}"),
                );
            }
        }
        if !fifo {
            for name in FIFO_ONLY {
                let set = match config.get(*name).map(Value::unmarked) {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::String(_)) => true,
                    _ => false,
                };
                if set {
                    issue(name, "is for FIFO queues (`fifo_queue = true`)".into());
                }
            }
        }
        if config.bool("sqs_managed_sse_enabled") == Some(true)
            && config.str("kms_master_key_id").is_some()
        {
            issue(
                "sqs_managed_sse_enabled",
                "SQS-managed encryption and `kms_master_key_id` exclude each other".into(),
            );
        }
        issues
    }

    /// One GetQueueAttributes per queue (SQS has no batch describe), eight
    /// in flight; tags from one tagging-API listing of the stack's queues,
    /// and a ListQueueTags only for a queue missing from it (imported, or
    /// its ownership tag removed).
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        let owned = if ctx.stack.is_empty() {
            TagsByArn::default()
        } else {
            self.tagging.owned("sqs", &ctx.stack).await?
        };
        let reads = requests
            .iter()
            .map(|r| {
                let owned = &owned;
                Box::pin(async move {
                    let Some(attrs) = self.attributes(r.id).await? else {
                        return Ok(None);
                    };
                    let arn = attrs.get("QueueArn").map(String::as_str).unwrap_or("");
                    let live = match owned.get(arn) {
                        Some(t) => t.clone(),
                        None => self.queue_tags(r.id).await?,
                    };
                    Ok(Some(object(
                        r.id,
                        &attrs,
                        r.prior,
                        &live,
                        &ctx.default_tags,
                    )))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    /// The tagging API answers ARNs; one ListQueues (1,000 a page) turns
    /// them into the URLs that are the ids, and only when there are any.
    async fn owned_by_stack(&self, stack: &str) -> Result<Vec<(String, String)>, ProviderError> {
        let owned = self.tagging.owned("sqs", stack).await?;
        let entries: Vec<(String, String)> = owned
            .iter()
            .filter_map(|(arn, t)| tags::owned_entry(stack, arn, t))
            .collect();
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.sqs.client().await?;
        let pages = client
            .list_queues()
            .max_results(1000)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| error("sqs:ListQueues", e))?;
        let urls: Vec<&str> = pages
            .iter()
            .flat_map(|p| p.queue_urls())
            .map(String::as_str)
            .collect();
        Ok(entries
            .into_iter()
            .filter_map(|(address, arn)| {
                let (account, name) = names::of_arn(&arn)?;
                let url = urls.iter().find(|u| names::url_is(u, account, name))?;
                Some((address, url.to_string()))
            })
            .collect())
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let fifo = planned.bool("fifo_queue").unwrap_or(false);
        let name = match planned.str("name") {
            Some(n) => n.to_string(),
            None => names::generated(planned.str("name_prefix"), &ctx.idempotency_token, fifo),
        };
        if let Some(url) = self.url_of(&name).await? {
            let live_tags = self.queue_tags(&url).await?;
            Self::check_owner(ctx, &url, &live_tags)?;
            self.adopt(ctx, &url, &live_tags, planned)
                .await
                .map_err(|e| e.with_partial_id(&url))?;
            return self
                .read_written(&url, planned, &ctx.default_tags)
                .await
                .map_err(|e| e.with_partial_id(&url));
        }
        let attributes = create_attributes(planned);
        let url = self.create_queue(ctx, &name, &attributes, planned).await?;
        let partial = |e: ProviderError| e.with_partial_id(&url);
        self.wait_propagated(&url, &attributes, ctx.timeout)
            .await
            .map_err(partial)?;
        self.read_written(&url, planned, &ctx.default_tags)
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
        for name in changed {
            let in_place = IN_PLACE.iter().any(|(a, _, _)| a == name) || name == "tags";
            if !in_place {
                return Err(ProviderError::not_updatable(self.type_name(), name));
            }
        }
        let attributes = update_attributes(planned, changed);
        self.set_attributes(id, attributes.clone()).await?;
        if changed.iter().any(|c| c == "tags") {
            let client = self.sqs.client().await?;
            let tag = |set: tags::Tags| async move {
                client
                    .tag_queue()
                    .queue_url(id)
                    .set_tags(Some(set.into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("sqs:TagQueue", e))
            };
            let untag = |keys: Vec<String>| async move {
                client
                    .untag_queue()
                    .queue_url(id)
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| error("sqs:UntagQueue", e))
            };
            sync_tags(ctx, prior, planned, tag, untag).await?;
        }
        self.wait_propagated(id, &attributes, ctx.timeout).await?;
        self.read_written(id, planned, &ctx.default_tags).await
    }

    /// DeleteQueue, then a wait (bounded by the delete timeout) until the
    /// queue reads as gone: AWS takes up to a minute.
    async fn delete(
        &self,
        ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.sqs.client().await?;
        match client.delete_queue().queue_url(id).send().await {
            Ok(_) => {}
            Err(e) => {
                let e = error("sqs:DeleteQueue", e);
                if is_gone(&e) {
                    return Ok(());
                }
                return Err(e);
            }
        }
        wait_until(
            &format!("SQS queue {id} to be deleted"),
            ctx.timeout,
            Duration::from_secs(3),
            || async { Ok(self.attributes(id).await?.is_none().then_some(())) },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_standard_queue_is_never_sent_fifo_attributes() {
        let planned = obj(&[
            ("fifo_queue", false.into()),
            ("content_based_deduplication", false.into()),
            ("delay_seconds", 5.into()),
            ("redrive_policy", Value::Unknown),
        ]);
        let sent = create_attributes(&planned);
        assert_eq!(sent.get("DelaySeconds").map(String::as_str), Some("5"));
        assert!(!sent.contains_key("ContentBasedDeduplication"));
        assert!(!sent.contains_key("FifoQueue"));
        assert!(!sent.contains_key("RedrivePolicy"), "unknown is not sent");

        let fifo = obj(&[
            ("fifo_queue", true.into()),
            ("content_based_deduplication", true.into()),
        ]);
        let sent = create_attributes(&fifo);
        assert_eq!(sent.get("FifoQueue").map(String::as_str), Some("true"));
        assert_eq!(
            sent.get("ContentBasedDeduplication").map(String::as_str),
            Some("true")
        );
    }

    #[test]
    fn a_cleared_redrive_policy_is_sent_empty() {
        let planned = obj(&[
            ("fifo_queue", false.into()),
            ("redrive_policy", Value::Null),
        ]);
        let sent = update_attributes(&planned, &["redrive_policy".to_string()]);
        assert_eq!(sent.get("RedrivePolicy").map(String::as_str), Some(""));
    }

    #[test]
    fn offline_checks_catch_fifo_mistakes() {
        let q = Queue::new(
            Arc::new(Sqs::new(
                cairn_aws::AwsContext::new(Default::default()),
                cairn_aws::sdk_client!(aws_sdk_sqs),
            )),
            Arc::new(Tagging::new(cairn_aws::AwsContext::new(Default::default()))),
        );
        let issues = |pairs: &[(&str, Value)]| {
            q.validate(&obj(pairs))
                .into_iter()
                .map(|i| i.attribute)
                .collect::<Vec<_>>()
        };
        assert!(issues(&[("name", "jobs-dlq".into())]).is_empty());
        assert_eq!(
            issues(&[("name", "jobs".into()), ("fifo_queue", true.into())]),
            ["name"]
        );
        assert_eq!(
            issues(&[
                ("name", "jobs".into()),
                ("content_based_deduplication", true.into())
            ]),
            ["content_based_deduplication"]
        );
        assert_eq!(
            issues(&[("name", "a".into()), ("name_prefix", "b".into())]),
            ["name_prefix"]
        );
        assert_eq!(
            issues(&[
                ("sqs_managed_sse_enabled", true.into()),
                ("kms_master_key_id", "alias/aws/sqs".into())
            ]),
            ["sqs_managed_sse_enabled"]
        );
    }
}
