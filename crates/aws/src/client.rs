//! One SDK client per service and provider configuration, built on first
//! use: building a registry makes no network call (so `validate` runs
//! offline), and every resource type of a service shares the client.

use aws_types::SdkConfig;
use cairn_core::ProviderError;
use tokio::sync::OnceCell;

use crate::AwsContext;

pub struct LazyClient<C> {
    aws: AwsContext,
    build: fn(&AwsContext, &SdkConfig) -> C,
    client: OnceCell<C>,
}

impl<C> LazyClient<C> {
    /// `build` makes the client from the loaded configuration; use
    /// [`sdk_client!`](crate::sdk_client) so every call is logged.
    pub fn new(aws: AwsContext, build: fn(&AwsContext, &SdkConfig) -> C) -> Self {
        LazyClient {
            aws,
            build,
            client: OnceCell::new(),
        }
    }

    /// The client; the first call loads the configuration (credentials,
    /// region, endpoint), which can fail.
    pub async fn client(&self) -> Result<&C, ProviderError> {
        self.client
            .get_or_try_init(|| async {
                let sdk = self.aws.sdk_config().await?;
                Ok((self.build)(&self.aws, sdk))
            })
            .await
    }

    /// The provider configuration the client is built from.
    pub fn aws(&self) -> &AwsContext {
        &self.aws
    }

    /// The region the client talks to (for ARNs), empty if not configured.
    pub async fn region(&self) -> String {
        match self.aws.sdk_config().await {
            Ok(c) => c.region().map(|r| r.to_string()).unwrap_or_default(),
            Err(_) => String::new(),
        }
    }
}

/// The builder of a service's client with cairn's call logging, the
/// service's share of the request limits (`max_concurrency`, its own retry
/// quota) and, optionally, settings of its own:
/// `LazyClient::new(aws, sdk_client!(aws_sdk_kms))`,
/// `sdk_client!(aws_sdk_s3, |b, sdk| b.force_path_style(true))`.
#[macro_export]
macro_rules! sdk_client {
    ($sdk:ident) => {
        $crate::sdk_client!($sdk, |b, _| b)
    };
    ($sdk:ident, $customize:expr) => {
        |aws: &$crate::AwsContext, sdk: &$crate::SdkConfig| {
            let service = $crate::service_key(stringify!($sdk));
            let mut builder = $sdk::config::Builder::from(sdk)
                .interceptor($crate::CallLogger)
                .interceptor(aws.throttle_feedback(service))
                .retry_partition(aws.retry_partition(service));
            if let Some(http) = aws.http_client(service, sdk) {
                builder = builder.http_client(http);
            }
            let customize: fn($sdk::config::Builder, &$crate::SdkConfig) -> $sdk::config::Builder =
                $customize;
            $sdk::Client::from_conf(customize(builder, sdk).build())
        }
    };
}
