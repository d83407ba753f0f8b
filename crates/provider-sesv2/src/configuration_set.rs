//! `aws_sesv2_configuration_set`: the id is the name, which forces a new
//! set; each options block changes in place with its own call
//! (PutConfigurationSetDeliveryOptions, ...ReputationOptions,
//! ...SendingOptions, ...SuppressionOptions, ...TrackingOptions), tags with
//! Tag/UntagResource. Every block is optional and computed: SES reports
//! defaults (TLS optional, sending enabled) for a set made without them.
//! `reputation_options.last_fresh_start` is not read: a computed key inside
//! a configured block would differ on every plan (see email_identity.rs).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_sesv2::operation::get_configuration_set::GetConfigurationSetOutput;
use aws_sdk_sesv2::types::{
    DeliveryOptions, ReputationOptions, SendingOptions, SuppressionListReason, SuppressionOptions,
    TlsPolicy, TrackingOptions,
};
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest,
    Resource, Schema, Type, Value,
};

use crate::arns::Arns;
use crate::{from_sdk_tags, ownership, sdk_tags, Ses, READ_CONCURRENCY};

pub struct ConfigurationSet {
    ses: Arc<Ses>,
    arns: Arc<Arns>,
}

impl ConfigurationSet {
    pub fn new(ses: Arc<Ses>, arns: Arc<Arns>) -> Self {
        ConfigurationSet { ses, arns }
    }
}

const BLOCKS: &[&str] = &[
    "delivery_options",
    "reputation_options",
    "sending_options",
    "suppression_options",
    "tracking_options",
];

fn check_reasons(v: &Value) -> Result<(), String> {
    for r in v.as_list().unwrap_or_default() {
        if let Some(s) = r.as_str() {
            if s != "BOUNCE" && s != "COMPLAINT" {
                return Err(format!(
                    "`{s}` is not a suppression reason (BOUNCE, COMPLAINT)"
                ));
            }
        }
    }
    Ok(())
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let delivery = Schema::new()
            .attr(
                "tls_policy",
                Attribute::string().check(Check::OneOf(&["REQUIRE", "OPTIONAL"])),
            )
            .attr("sending_pool_name", Attribute::string());
        let reputation =
            Schema::new().attr("reputation_metrics_enabled", Attribute::bool().default(false));
        let sending = Schema::new().attr("sending_enabled", Attribute::bool().default(true));
        let suppression = Schema::new().attr(
            "suppressed_reasons",
            Attribute::new(Type::list(Type::String)).check(Check::Custom(check_reasons)),
        );
        let tracking =
            Schema::new().attr("custom_redirect_domain", Attribute::string().required());
        let block = |s: Schema| Attribute::new(Type::object(s)).optional_computed();
        Schema::new()
            .describe("An SES configuration set (id: its name, which forces a new one); each options block changes in place.")
            .attr(
                "configuration_set_name",
                Attribute::string().required().force_new(),
            )
            .attr("delivery_options", block(delivery))
            .attr("reputation_options", block(reputation))
            .attr("sending_options", block(sending))
            .attr("suppression_options", block(suppression))
            .attr("tracking_options", block(tracking))
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

fn map(pairs: Vec<(&str, Value)>) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn object(
    name: &str,
    arn: &str,
    out: &GetConfigurationSetOutput,
    live_tags: &tags::Tags,
    default_tags: &tags::Tags,
) -> Object {
    let mut o = Object::new();
    o.insert("id".into(), name.into());
    o.insert("configuration_set_name".into(), name.into());
    o.insert("arn".into(), arn.into());
    o.insert(
        "delivery_options".into(),
        out.delivery_options()
            .map(|d| {
                map(vec![
                    ("tls_policy", d.tls_policy().map(|t| t.as_str()).into()),
                    ("sending_pool_name", d.sending_pool_name().into()),
                ])
            })
            .unwrap_or(Value::Null),
    );
    o.insert(
        "reputation_options".into(),
        out.reputation_options()
            .map(|r| {
                map(vec![(
                    "reputation_metrics_enabled",
                    r.reputation_metrics_enabled().into(),
                )])
            })
            .unwrap_or(Value::Null),
    );
    o.insert(
        "sending_options".into(),
        out.sending_options()
            .map(|s| map(vec![("sending_enabled", s.sending_enabled().into())]))
            .unwrap_or(Value::Null),
    );
    o.insert(
        "suppression_options".into(),
        out.suppression_options()
            .map(|s| {
                let reasons: Vec<Value> = s
                    .suppressed_reasons()
                    .iter()
                    .map(|r| r.as_str().into())
                    .collect();
                map(vec![("suppressed_reasons", Value::List(reasons))])
            })
            .unwrap_or(Value::Null),
    );
    o.insert(
        "tracking_options".into(),
        out.tracking_options()
            .map(|t| {
                map(vec![(
                    "custom_redirect_domain",
                    t.custom_redirect_domain().into(),
                )])
            })
            .unwrap_or(Value::Null),
    );
    tags::set_live(&mut o, live_tags, default_tags);
    o
}

fn block<'a>(o: &'a Object, k: &str) -> Option<&'a Object> {
    o.get(k).and_then(Value::as_map)
}

/// What a block means, for comparing a leftover's with the plan's: nulls,
/// `false` and empty lists are the same as unset.
fn meaning(v: Option<&Object>) -> serde_json::Value {
    fn prune(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            J::Object(o) => J::Object(
                o.into_iter()
                    .map(|(k, v)| (k, prune(v)))
                    .filter(|(_, v)| {
                        !matches!(v, J::Null | J::Bool(false))
                            && !v.as_array().is_some_and(Vec::is_empty)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
    v.map_or(serde_json::Value::Null, |m| {
        prune(Value::Map(m.clone()).to_json())
    })
}

fn delivery(b: &Object) -> DeliveryOptions {
    DeliveryOptions::builder()
        .set_tls_policy(b.str("tls_policy").map(TlsPolicy::from))
        .set_sending_pool_name(b.str("sending_pool_name").map(str::to_string))
        .build()
}

fn suppression(b: &Object) -> SuppressionOptions {
    SuppressionOptions::builder()
        .set_suppressed_reasons(Some(
            b.strings("suppressed_reasons")
                .iter()
                .map(|r| SuppressionListReason::from(r.as_str()))
                .collect(),
        ))
        .build()
}

fn tracking(b: &Object) -> Result<TrackingOptions, ProviderError> {
    TrackingOptions::builder()
        .set_custom_redirect_domain(b.str("custom_redirect_domain").map(str::to_string))
        .build()
        .map_err(|e| ProviderError::new("ses:TrackingOptions", "InvalidRequest", e.to_string()))
}

fn not_found(e: &ProviderError) -> bool {
    cairn_aws::is_not_found(e) || e.code == "ConfigurationSetDoesNotExist"
}

impl ConfigurationSet {
    async fn get(&self, name: &str) -> Result<Option<GetConfigurationSetOutput>, ProviderError> {
        let client = self.ses.client().await?;
        match client
            .get_configuration_set()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) => {
                let e = error("ses:GetConfigurationSet", e);
                if not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The tags of one set: GetConfigurationSet carries them on AWS, but
    /// moto answers only those of the create call there, so they are read
    /// where both keep them current.
    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.ses.client().await?;
        let out = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| error("ses:ListTagsForResource", e))?;
        Ok(from_sdk_tags(out.tags()))
    }

    async fn read_one(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let Some(out) = self.get(name).await? else {
            return Ok(None);
        };
        let arn = self.arns.ses(&format!("configuration-set/{name}")).await?;
        let live = self.tags_of(&arn).await?;
        Ok(Some(object(name, &arn, &out, &live, default_tags)))
    }

    async fn read_written(
        &self,
        name: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.read_one(name, default_tags).await?.ok_or_else(|| {
            ProviderError::new(
                "ses:GetConfigurationSet",
                "NotFound",
                format!("configuration set {name} not found after writing it"),
            )
        })
    }

    /// Writes one options block of `planned` (unset: SES's defaults).
    async fn put_block(
        &self,
        name: &str,
        which: &str,
        planned: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ses.client().await?;
        let empty = Object::new();
        let b = block(planned, which).unwrap_or(&empty);
        match which {
            "delivery_options" => client
                .put_configuration_set_delivery_options()
                .configuration_set_name(name)
                .set_tls_policy(b.str("tls_policy").map(TlsPolicy::from))
                .set_sending_pool_name(b.str("sending_pool_name").map(str::to_string))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:PutConfigurationSetDeliveryOptions", e)),
            "reputation_options" => client
                .put_configuration_set_reputation_options()
                .configuration_set_name(name)
                .reputation_metrics_enabled(b.bool("reputation_metrics_enabled").unwrap_or(false))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:PutConfigurationSetReputationOptions", e)),
            "sending_options" => client
                .put_configuration_set_sending_options()
                .configuration_set_name(name)
                .sending_enabled(b.bool("sending_enabled").unwrap_or(true))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:PutConfigurationSetSendingOptions", e)),
            "suppression_options" => client
                .put_configuration_set_suppression_options()
                .configuration_set_name(name)
                .set_suppressed_reasons(suppression(b).suppressed_reasons.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:PutConfigurationSetSuppressionOptions", e)),
            "tracking_options" => client
                .put_configuration_set_tracking_options()
                .configuration_set_name(name)
                .set_custom_redirect_domain(b.str("custom_redirect_domain").map(str::to_string))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:PutConfigurationSetTrackingOptions", e)),
            other => Err(ProviderError::not_updatable(
                "aws_sesv2_configuration_set",
                other,
            )),
        }
    }
}

#[async_trait]
impl Resource for ConfigurationSet {
    fn type_name(&self) -> &'static str {
        "aws_sesv2_configuration_set"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    /// GetConfigurationSet and ListTagsForResource per set (no batch read;
    /// see `tags_of`), eight sets in flight.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| Box::pin(self.read_one(r.id, &ctx.default_tags)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let name = planned
            .str("configuration_set_name")
            .unwrap_or_default()
            .to_string();
        if let Some(live) = self.read_one(&name, &ctx.default_tags).await? {
            let arn = live.str("arn").unwrap_or_default().to_string();
            let live_tags = self.tags_of(&arn).await?;
            ownership::check_owner(
                ctx,
                "ses:CreateConfigurationSet",
                &format!("the SES configuration set `{name}`"),
                &live_tags,
            )?;
            let partial = |e: ProviderError| e.with_partial_id(&name);
            for which in BLOCKS {
                let wanted = block(planned, which);
                if wanted.is_some() && meaning(wanted) != meaning(block(&live, which)) {
                    self.put_block(&name, which, planned)
                        .await
                        .map_err(partial)?;
                }
            }
            crate::write_tags(&self.ses, &arn, &ctx.create_tags(planned), &live_tags)
                .await
                .map_err(partial)?;
            return self
                .read_written(&name, &ctx.default_tags)
                .await
                .map_err(partial);
        }
        let client = self.ses.client().await?;
        client
            .create_configuration_set()
            .configuration_set_name(&name)
            .set_delivery_options(block(planned, "delivery_options").map(delivery))
            .set_reputation_options(block(planned, "reputation_options").map(|b| {
                ReputationOptions::builder()
                    .reputation_metrics_enabled(
                        b.bool("reputation_metrics_enabled").unwrap_or(false),
                    )
                    .build()
            }))
            .set_sending_options(block(planned, "sending_options").map(|b| {
                SendingOptions::builder()
                    .sending_enabled(b.bool("sending_enabled").unwrap_or(true))
                    .build()
            }))
            .set_suppression_options(block(planned, "suppression_options").map(suppression))
            .set_tracking_options(
                block(planned, "tracking_options")
                    .map(tracking)
                    .transpose()?,
            )
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("ses:CreateConfigurationSet", e))?;
        self.read_written(&name, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&name))
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
            if BLOCKS.contains(&name.as_str()) {
                self.put_block(id, name, planned).await?;
            } else if name == "tags" {
                let arn = self.arns.ses(&format!("configuration-set/{id}")).await?;
                crate::sync_tags(&self.ses, ctx, &arn, prior, planned).await?;
            } else {
                return Err(ProviderError::not_updatable(self.type_name(), name));
            }
        }
        self.read_written(id, &ctx.default_tags).await
    }

    /// DeleteConfigurationSet; a set that is no longer there afterwards is
    /// deleted, whatever the call said (moto answers a missing set with a
    /// bare HTTP 500 rather than NotFoundException).
    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.ses.client().await?;
        let deleted = client
            .delete_configuration_set()
            .configuration_set_name(id)
            .send()
            .await
            .map_err(|e| error("ses:DeleteConfigurationSet", e));
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => match self.get(id).await? {
                None => Ok(()),
                Some(_) => Err(e),
            },
        }
    }
}
