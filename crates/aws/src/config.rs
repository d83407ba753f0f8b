//! Provider settings to an `SdkConfig`, loaded once and lazily: building a
//! registry (for `validate`) never touches the network or credential files.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime::client::retries::RetryPartition;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;
use cairn_core::ProviderError;
use tokio::sync::OnceCell;

use crate::throttle::{self, ServiceLimits};

/// `[provider.aws]` after the env file is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
    /// Overrides `AWS_ENDPOINT_URL` (moto, LocalStack).
    pub endpoint_url: Option<String>,
    /// Calls in flight per service (`ec2`, `iam`, ...), over the defaults
    /// of [`throttle::default_max_concurrency`].
    pub max_concurrency: BTreeMap<String, usize>,
    /// Retries of one call after throttling (transient errors get
    /// `throttle::TRANSIENT_ATTEMPTS` at most).
    pub max_retries: Option<u32>,
}

impl AwsSettings {
    /// Terraform's provider retries 25 times; with per-service caps on the
    /// calls in flight, fewer are needed (one call in three throttled fails
    /// a call once in 3^11 tries).
    pub const DEFAULT_MAX_RETRIES: u32 = 10;
}

/// Cheap to clone; every provider crate's clients share one loaded config.
#[derive(Clone)]
pub struct AwsContext {
    inner: Arc<Inner>,
}

struct Inner {
    settings: AwsSettings,
    config: OnceCell<SdkConfig>,
    /// Names this configuration's retry partitions apart from another's
    /// (an alias's account has its own request limits).
    id: usize,
    limits: Mutex<BTreeMap<&'static str, ServiceLimits>>,
}

impl AwsContext {
    pub fn new(settings: AwsSettings) -> Self {
        static NEXT_ID: AtomicUsize = AtomicUsize::new(0);
        AwsContext {
            inner: Arc::new(Inner {
                settings,
                config: OnceCell::new(),
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                limits: Mutex::new(BTreeMap::new()),
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

    /// One service's limits, shared by every client of it built from this
    /// configuration.
    fn limits(&self, service: &'static str) -> ServiceLimits {
        let mut all = self.inner.limits.lock().unwrap_or_else(|e| e.into_inner());
        all.entry(service)
            .or_insert_with(|| {
                let max = self
                    .inner
                    .settings
                    .max_concurrency
                    .get(service)
                    .copied()
                    .unwrap_or_else(|| throttle::default_max_concurrency(service));
                ServiceLimits::new(self.inner.id, service, max)
            })
            .clone()
    }

    /// The retry partition of `service`'s clients (`sdk_client!`).
    pub fn retry_partition(&self, service: &'static str) -> RetryPartition {
        self.limits(service).partition()
    }

    /// The interceptor that adapts `service`'s cap on calls in flight to
    /// throttling (`sdk_client!`).
    pub fn throttle_feedback(
        &self,
        service: &'static str,
    ) -> impl aws_smithy_runtime_api::client::interceptors::Intercept + 'static {
        self.limits(service).feedback()
    }

    /// The HTTP client of `service`'s clients (`sdk_client!`): the SDK's
    /// own, with at most `max_concurrency` calls in flight.
    pub fn http_client(&self, service: &'static str, sdk: &SdkConfig) -> Option<SharedHttpClient> {
        let base = sdk.http_client().or_else(throttle::default_http_client)?;
        Some(self.limits(service).http_client(base))
    }
}

async fn load(s: &AwsSettings) -> Result<SdkConfig, ProviderError> {
    // Standard mode: exponential backoff with full jitter. Not adaptive
    // mode: its client-side rate falls to half a request per second under
    // sustained throttling and recovers slowly (the throttling e2e test took
    // 434 s adaptive, 16 s standard); the per-service caps of `throttle`
    // keep the request rate down instead.
    let retries = s.max_retries.unwrap_or(AwsSettings::DEFAULT_MAX_RETRIES);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(retries + 1));
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
