//! Provider settings to an `SdkConfig`, loaded once and lazily: building a
//! registry (for `validate`) never touches the network or credential files.

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_types::SdkConfig;
use cairn_core::ProviderError;
use tokio::sync::OnceCell;

/// `[provider.aws]` after the env file is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
    /// Overrides `AWS_ENDPOINT_URL` (moto, LocalStack).
    pub endpoint_url: Option<String>,
}

/// Cheap to clone; every provider crate's clients share one loaded config.
#[derive(Clone)]
pub struct AwsContext {
    inner: Arc<Inner>,
}

struct Inner {
    settings: AwsSettings,
    config: OnceCell<SdkConfig>,
}

impl AwsContext {
    pub fn new(settings: AwsSettings) -> Self {
        AwsContext {
            inner: Arc::new(Inner {
                settings,
                config: OnceCell::new(),
            }),
        }
    }

    pub fn settings(&self) -> &AwsSettings {
        &self.inner.settings
    }

    /// The loaded configuration: the standard credential chain (environment,
    /// profile, SSO, web identity, IMDS), then the stack's settings on top.
    pub async fn sdk_config(&self) -> Result<&SdkConfig, ProviderError> {
        self.inner
            .config
            .get_or_try_init(|| load(&self.inner.settings))
            .await
    }
}

async fn load(s: &AwsSettings) -> Result<SdkConfig, ProviderError> {
    // Standard mode retries throttling and transient errors with jittered
    // exponential backoff.
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &s.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    let mut config = loader.load().await;
    if config.region().is_none() {
        return Err(ProviderError::new(
            "config",
            "NoRegion",
            "no AWS region is configured: set `region` in [provider.aws] or AWS_REGION",
        ));
    }
    if let Some(arn) = &s.assume_role_arn {
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn.clone())
            .session_name("cairn")
            .configure(&config)
            .build()
            .await;
        config = config
            .into_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            )
            .build();
    }
    tracing::debug!(target: "cairn::aws", region = ?config.region(), endpoint = ?config.endpoint_url(), "AWS configuration loaded");
    Ok(config)
}
