//! `aws_iam_openid_connect_provider`: an OIDC identity provider that CI
//! roles trust (GitHub Actions' `token.actions.githubusercontent.com`).
//! id = the ARN, made of the URL, which forces a new provider; the client
//! ids (audiences) and thumbprints change in place. The URL is its
//! identity: a create retried after a crash finds the provider it made
//! (`EntityAlreadyExists`) and takes it if it carries this address's
//! ownership tags.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use cairn_aws::{error, read_concurrently, sync_tags, ReadFuture};
use cairn_core::provider::ReadContext;
use cairn_core::{
    tags, Attribute, Attrs, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{Iam, READ_CONCURRENCY};

pub struct OpenIdConnectProvider {
    iam: Arc<Iam>,
}

impl OpenIdConnectProvider {
    pub fn new(iam: Arc<Iam>) -> Self {
        OpenIdConnectProvider { iam }
    }
}

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("An IAM OIDC identity provider (CI deploy roles); audiences and thumbprints change in place.")
            .attr(
                "url",
                Attribute::string()
                    .required()
                    .force_new()
                    .describe("https://token.actions.githubusercontent.com"),
            )
            .attr(
                "client_id_list",
                Attribute::new(Type::set(Type::String))
                    .required()
                    .describe("Audiences, e.g. sts.amazonaws.com"),
            )
            .attr(
                "thumbprint_list",
                Attribute::new(Type::list(Type::String))
                    .optional_computed()
                    .describe("SHA-1 thumbprints of the issuer's certificate (40 hex digits); AWS no longer needs them for well-known issuers"),
            )
            .attr("id", Attribute::string().computed())
            .attr("arn", Attribute::string().computed())
            .with_tags()
    })
}

/// The URL as IAM records it (without the scheme) and as configured.
fn same_url(recorded: &str, configured: &str) -> bool {
    recorded.trim_start_matches("https://") == configured.trim_start_matches("https://")
}

fn sdk_tags(t: &tags::Tags) -> Vec<Tag> {
    t.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl OpenIdConnectProvider {
    async fn get(
        &self,
        arn: &str,
        prior: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Option<Object>, ProviderError> {
        let client = self.iam.client().await?;
        let p = match client
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                let e = error("iam:GetOpenIDConnectProvider", e);
                return if cairn_aws::is_not_found(&e) {
                    Ok(None)
                } else {
                    Err(e)
                };
            }
        };
        let url = p.url().unwrap_or_default();
        let mut obj = Object::new();
        obj.insert("id".into(), arn.into());
        obj.insert("arn".into(), arn.into());
        // IAM answers the URL without its scheme; the configured spelling
        // is kept when it names the same issuer.
        obj.insert(
            "url".into(),
            match prior.str("url") {
                Some(u) if same_url(url, u) => u.into(),
                _ => format!("https://{}", url.trim_start_matches("https://")).into(),
            },
        );
        obj.insert(
            "client_id_list".into(),
            Value::from(p.client_id_list().to_vec()),
        );
        obj.insert(
            "thumbprint_list".into(),
            Value::from(p.thumbprint_list().to_vec()),
        );
        let live: tags::Tags = p
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        tags::set_live(&mut obj, &live, default_tags);
        Ok(Some(obj))
    }

    async fn get_written(
        &self,
        arn: &str,
        planned: &Object,
        default_tags: &tags::Tags,
    ) -> Result<Object, ProviderError> {
        self.get(arn, planned, default_tags).await?.ok_or_else(|| {
            ProviderError::new(
                "iam:GetOpenIDConnectProvider",
                "NoSuchEntity",
                format!("OIDC provider {arn} not found after writing it"),
            )
        })
    }

    /// The ARN of the account's provider for `url`, if there is one.
    async fn find(&self, url: &str) -> Result<Option<String>, ProviderError> {
        let client = self.iam.client().await?;
        let host = url.trim_start_matches("https://");
        let out = client
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|e| error("iam:ListOpenIDConnectProviders", e))?;
        Ok(out
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|arn| arn.ends_with(&format!(":oidc-provider/{host}")))
            .map(str::to_string))
    }
}

#[async_trait]
impl Resource for OpenIdConnectProvider {
    fn type_name(&self) -> &'static str {
        "aws_iam_openid_connect_provider"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        if let Some(url) = config.str("url").filter(|u| !u.starts_with("https://")) {
            issues.push(ValidationIssue {
                attribute: "url".into(),
                message: format!("`{url}` must start with https://"),
            });
        }
        if config
            .get("thumbprint_list")
            .is_some_and(Value::is_wholly_known)
        {
            for t in config.strings("thumbprint_list") {
                if t.len() != 40 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
                    issues.push(ValidationIssue {
                        attribute: "thumbprint_list".into(),
                        message: format!("`{t}` is not a SHA-1 thumbprint (40 hex digits)"),
                    });
                }
            }
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        let reads = requests
            .iter()
            .map(|r| Box::pin(self.get(r.id, r.prior, &ctx.default_tags)) as ReadFuture<'_>)
            .collect();
        read_concurrently(reads, READ_CONCURRENCY).await
    }

    async fn create(&self, ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        const OP: &str = "iam:CreateOpenIDConnectProvider";
        let client = self.iam.client().await?;
        let url = planned.str("url").unwrap_or_default();
        let thumbprints = planned
            .get("thumbprint_list")
            .filter(|v| v.is_wholly_known() && !v.is_null())
            .map(|_| planned.strings("thumbprint_list"));
        let created = client
            .create_open_id_connect_provider()
            .url(url)
            .set_client_id_list(Some(planned.strings("client_id_list")))
            .set_thumbprint_list(thumbprints)
            .set_tags(Some(sdk_tags(&ctx.create_tags(planned))))
            .send()
            .await;
        match created {
            Ok(out) => {
                let arn = cairn_aws::created_id(OP, out.open_id_connect_provider_arn())?;
                self.get_written(&arn, planned, &ctx.default_tags)
                    .await
                    .map_err(|e| e.with_partial_id(&arn))
            }
            Err(e) => {
                let e = error(OP, e);
                if e.code != "EntityAlreadyExists" {
                    return Err(e);
                }
                // One provider per issuer and account: take it only if an
                // interrupted apply of this address made it.
                let Some(arn) = self.find(url).await? else {
                    return Err(e);
                };
                let prior = self.get_written(&arn, planned, &ctx.default_tags).await?;
                if !ctx.owns(&self.tags_of(&arn).await?) {
                    return Err(ProviderError {
                        message: format!(
                            "{}: the account already has an OIDC provider for {url} ({arn}), not this stack's; import it",
                            e.message
                        ),
                        ..e
                    });
                }
                let changed = ["client_id_list", "thumbprint_list", "tags"].map(String::from);
                self.update(ctx, &arn, &prior, planned, &changed).await
            }
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
        let client = self.iam.client().await?;
        for name in changed {
            match name.as_str() {
                "client_id_list" => {
                    let before = prior.strings("client_id_list");
                    let after = planned.strings("client_id_list");
                    for add in after.iter().filter(|c| !before.contains(c)) {
                        client
                            .add_client_id_to_open_id_connect_provider()
                            .open_id_connect_provider_arn(id)
                            .client_id(add)
                            .send()
                            .await
                            .map_err(|e| error("iam:AddClientIDToOpenIDConnectProvider", e))?;
                    }
                    for remove in before.iter().filter(|c| !after.contains(c)) {
                        client
                            .remove_client_id_from_open_id_connect_provider()
                            .open_id_connect_provider_arn(id)
                            .client_id(remove)
                            .send()
                            .await
                            .map_err(|e| error("iam:RemoveClientIDFromOpenIDConnectProvider", e))?;
                    }
                }
                "thumbprint_list" => {
                    if planned
                        .get("thumbprint_list")
                        .is_some_and(Value::is_wholly_known)
                    {
                        client
                            .update_open_id_connect_provider_thumbprint()
                            .open_id_connect_provider_arn(id)
                            .set_thumbprint_list(Some(planned.strings("thumbprint_list")))
                            .send()
                            .await
                            .map_err(|e| error("iam:UpdateOpenIDConnectProviderThumbprint", e))?;
                    }
                }
                "tags" => {
                    let tag = |set: tags::Tags| async move {
                        client
                            .tag_open_id_connect_provider()
                            .open_id_connect_provider_arn(id)
                            .set_tags(Some(sdk_tags(&set)))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("iam:TagOpenIDConnectProvider", e))
                    };
                    let untag = |keys: Vec<String>| async move {
                        client
                            .untag_open_id_connect_provider()
                            .open_id_connect_provider_arn(id)
                            .set_tag_keys(Some(keys))
                            .send()
                            .await
                            .map(|_| ())
                            .map_err(|e| error("iam:UntagOpenIDConnectProvider", e))
                    };
                    sync_tags(ctx, prior, planned, tag, untag).await?;
                }
                other => return Err(ProviderError::not_updatable(self.type_name(), other)),
            }
        }
        self.get_written(id, planned, &ctx.default_tags).await
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        let client = self.iam.client().await?;
        // Gone already is done.
        cairn_aws::delete_with_retry("OIDC provider", &[], || async {
            client
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error("iam:DeleteOpenIDConnectProvider", e))
        })
        .await
    }
}

impl OpenIdConnectProvider {
    async fn tags_of(&self, arn: &str) -> Result<tags::Tags, ProviderError> {
        let client = self.iam.client().await?;
        let out = client
            .list_open_id_connect_provider_tags()
            .open_id_connect_provider_arn(arn)
            .send()
            .await
            .map_err(|e| error("iam:ListOpenIDConnectProviderTags", e))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_issuer_is_the_same_with_or_without_its_scheme() {
        assert!(super::same_url(
            "token.actions.githubusercontent.com",
            "https://token.actions.githubusercontent.com"
        ));
        assert!(!super::same_url("a.example.com", "https://b.example.com"));
    }
}
