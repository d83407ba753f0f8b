//! `aws_sesv2_email_identity`: the id is the identity (a domain or an
//! address), which forces a new one; `configuration_set_name` changes in
//! place with PutEmailIdentityConfigurationSetAttributes, tags with
//! Tag/UntagResource. Computed: `arn` (made as Terraform makes it),
//! `identity_type`, `verified_for_sending_status` and the Easy DKIM state
//! in `dkim_signing_attributes` (`tokens` are the three CNAMEs to publish).
//!
//! `dkim_signing_attributes` is read-only here: the engine compares nested
//! blocks key by key and has no notion of a computed key inside a
//! configured block, so a configured block would differ from the live one
//! (status, tokens) on every plan. Key length and BYODKIM belong to
//! `aws_sesv2_email_identity_dkim_signing_attributes`.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_sesv2::operation::get_email_identity::GetEmailIdentityOutput;
use aws_smithy_types::date_time::Format;
use cairn_aws::{error, read_concurrently, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, Value,
};

use crate::arns::Arns;
use crate::{from_sdk_tags, ownership, sdk_tags, Ses, READ_CONCURRENCY};

pub struct EmailIdentity {
    ses: Arc<Ses>,
    arns: Arc<Arns>,
}

impl EmailIdentity {
    pub fn new(ses: Arc<Ses>, arns: Arc<Arns>) -> Self {
        EmailIdentity { ses, arns }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let dkim = Schema::new()
            .attr("current_signing_key_length", Attribute::string().computed())
            .attr("next_signing_key_length", Attribute::string().computed())
            .attr("last_key_generation_timestamp", Attribute::string().computed())
            .attr("signing_attributes_origin", Attribute::string().computed())
            .attr("status", Attribute::string().computed())
            .attr("tokens", Attribute::new(Type::list(Type::String)).computed());
        Schema::new()
            .describe("An SES identity (a domain or an email address; id: the identity); the identity forces a new one, the configuration set changes in place. Easy DKIM tokens are read, not configured.")
            .attr("email_identity", Attribute::string().required().force_new())
            .attr("configuration_set_name", Attribute::string())
            .attr(
                "dkim_signing_attributes",
                Attribute::new(Type::object(dkim))
                    .computed()
                    .describe("Easy DKIM as SES reports it; `tokens` are the CNAME records to publish"),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .attr("identity_type", Attribute::string().computed())
            .attr("verified_for_sending_status", Attribute::bool().computed())
            .with_tags()
    })
}

fn object(
    identity: &str,
    arn: &str,
    out: &GetEmailIdentityOutput,
    default_tags: &tags::Tags,
) -> Object {
    let mut o = Object::new();
    o.insert("id".into(), identity.into());
    o.insert("email_identity".into(), identity.into());
    o.insert("arn".into(), arn.into());
    o.insert(
        "configuration_set_name".into(),
        out.configuration_set_name()
            .filter(|s| !s.is_empty())
            .into(),
    );
    o.insert(
        "identity_type".into(),
        out.identity_type().map(|t| t.as_str()).into(),
    );
    o.insert(
        "verified_for_sending_status".into(),
        out.verified_for_sending_status().into(),
    );
    let dkim = out.dkim_attributes().map(|d| {
        let text = |s: Option<&str>| Value::from(s.filter(|s| !s.is_empty()));
        Value::Map(
            [
                (
                    "current_signing_key_length",
                    text(d.current_signing_key_length().map(|k| k.as_str())),
                ),
                (
                    "next_signing_key_length",
                    text(d.next_signing_key_length().map(|k| k.as_str())),
                ),
                (
                    "last_key_generation_timestamp",
                    Value::from(
                        d.last_key_generation_timestamp()
                            .and_then(|t| t.fmt(Format::DateTime).ok()),
                    ),
                ),
                (
                    "signing_attributes_origin",
                    text(d.signing_attributes_origin().map(|o| o.as_str())),
                ),
                ("status", text(d.status().map(|s| s.as_str()))),
                ("tokens", Value::from(d.tokens().to_vec())),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        )
    });
    o.insert(
        "dkim_signing_attributes".into(),
        dkim.unwrap_or(Value::Null),
    );
    tags::set_live(&mut o, &from_sdk_tags(out.tags()), default_tags);
    o
}

impl EmailIdentity {
    async fn get(&self, identity: &str) -> Result<Option<GetEmailIdentityOutput>, ProviderError> {
        let client = self.ses.client().await?;
        match client
            .get_email_identity()
            .email_identity(identity)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e) => {
                let e = error("ses:GetEmailIdentity", e);
                if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn read_written(
        &self,
        identity: &str,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        let out = self.get(identity).await?.ok_or_else(|| {
            ProviderError::new(
                "ses:GetEmailIdentity",
                "NotFound",
                format!("identity {identity} not found after writing it"),
            )
        })?;
        let arn = self.arns.ses(&format!("identity/{identity}")).await?;
        Ok(object(identity, &arn, &out, default_tags))
    }

    async fn put_configuration_set(
        &self,
        identity: &str,
        name: Option<&str>,
    ) -> Result<(), ProviderError> {
        let client = self.ses.client().await?;
        client
            .put_email_identity_configuration_set_attributes()
            .email_identity(identity)
            .set_configuration_set_name(name.map(str::to_string))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error("ses:PutEmailIdentityConfigurationSetAttributes", e))
    }
}

#[async_trait]
impl Resource for EmailIdentity {
    fn type_name(&self) -> &'static str {
        "aws_sesv2_email_identity"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    /// One GetEmailIdentity per identity (no batch read; it carries the
    /// tags, so nothing more), eight in flight.
    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| {
                Box::pin(async move {
                    let Some(out) = self.get(r.id).await? else {
                        return Ok(None);
                    };
                    let arn = self.arns.ses(&format!("identity/{}", r.id)).await?;
                    Ok(Some(object(r.id, &arn, &out, &ctx.default_tags)))
                }) as ReadFuture<'_>
            })
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let identity = planned
            .str("email_identity")
            .unwrap_or_default()
            .to_string();
        let wanted_set = planned.str("configuration_set_name");
        if let Some(live) = self.get(&identity).await? {
            let live_tags = from_sdk_tags(live.tags());
            ownership::check_owner(
                ctx,
                "ses:CreateEmailIdentity",
                &format!("the SES identity `{identity}`"),
                &live_tags,
            )?;
            let partial = |e: ProviderError| e.with_partial_id(&identity);
            if live.configuration_set_name().filter(|s| !s.is_empty()) != wanted_set {
                self.put_configuration_set(&identity, wanted_set)
                    .await
                    .map_err(partial)?;
            }
            let arn = self
                .arns
                .ses(&format!("identity/{identity}"))
                .await
                .map_err(partial)?;
            crate::write_tags(&self.ses, &arn, &ctx.create_tags(planned), &live_tags)
                .await
                .map_err(partial)?;
            return self
                .read_written(&identity, &ctx.default_tags)
                .await
                .map_err(partial);
        }
        let client = self.ses.client().await?;
        client
            .create_email_identity()
            .email_identity(&identity)
            .set_configuration_set_name(wanted_set.map(str::to_string))
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await
            .map_err(|e| error("ses:CreateEmailIdentity", e))?;
        self.read_written(&identity, &ctx.default_tags)
            .await
            .map_err(|e| e.with_partial_id(&identity))
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
            match name.as_str() {
                "configuration_set_name" => {
                    self.put_configuration_set(id, planned.str("configuration_set_name"))
                        .await?
                }
                "tags" => {
                    let arn = self.arns.ses(&format!("identity/{id}")).await?;
                    crate::sync_tags(&self.ses, ctx, &arn, prior, planned).await?;
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
        let client = self.ses.client().await?;
        cairn_aws::delete_with_retry("SES identity", &[], || async {
            client
                .delete_email_identity()
                .email_identity(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("ses:DeleteEmailIdentity", e))
        })
        .await
    }
}
