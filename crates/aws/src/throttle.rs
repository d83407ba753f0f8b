//! Staying within AWS's request limits, per service: a cap on the calls in
//! flight to each service (`max_concurrency`), a retry quota of its own for
//! each, and a record of the throttling answers seen, so the CLI can say
//! when an apply is waiting on AWS rather than on its own work.
//!
//! Retries themselves are the SDK's standard mode (set in `config`):
//! exponential backoff with full jitter. A throttling answer is retried up
//! to `max_retries` times and costs no retry quota, so a long throttling
//! storm slows an apply down without failing it; a transient error (5xx,
//! timeout) gets `TRANSIENT_ATTEMPTS` attempts and the SDK's quota, so a
//! broken endpoint still fails fast.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use aws_smithy_runtime::client::retries::classifiers::run_classifiers_on_ctx;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::classifiers::{RetryAction, RetryReason};
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::{ErrorKind, RetryConfig};

use crate::gate::Gate;

/// Every service a provider crate builds a client for, by the name
/// `max_concurrency` takes (the SDK crate's name without `aws_sdk_`).
pub const SERVICES: &[&str] = &[
    "acm",
    "applicationautoscaling",
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "ecr",
    "ecs",
    "efs",
    "elasticache",
    "elasticloadbalancingv2",
    "iam",
    "kms",
    "memorydb",
    "rds",
    "resourcegroupstagging",
    "s3",
    "scheduler",
    "secretsmanager",
    "servicediscovery",
    "sesv2",
    "sns",
    "sqs",
    "sts",
    "wafv2",
];

/// Calls in flight per service unless `max_concurrency` says otherwise:
/// below the burst of each service's request-rate bucket, so a large apply
/// does not spend its retries on throttling. IAM and STS are global,
/// account-wide control planes with low limits.
pub fn default_max_concurrency(service: &str) -> usize {
    match service {
        "iam" | "sts" | "resourcegroupstagging" => 4,
        "ec2" | "s3" => 20,
        _ => 10,
    }
}

/// `aws_sdk_ec2` -> `ec2` (what `sdk_client!` passes).
pub fn service_key(sdk_crate: &'static str) -> &'static str {
    sdk_crate.strip_prefix("aws_sdk_").unwrap_or(sdk_crate)
}

/// One service's limits within one provider configuration.
#[derive(Clone)]
pub(crate) struct ServiceLimits {
    gate: Arc<Gate>,
    partition: RetryPartition,
}

impl ServiceLimits {
    pub(crate) fn new(context: usize, service: &str, max_concurrency: usize) -> Self {
        // Throttling retries cost nothing from the quota (the backoff and
        // the cap on calls in flight pace them); other retries cost the
        // SDK's defaults.
        let bucket = TokenBucket::builder().throttling_retry_cost(0).build();
        ServiceLimits {
            gate: Arc::new(Gate::new(max_concurrency)),
            partition: RetryPartition::custom(format!("cairn-{context}-{service}"))
                .token_bucket(bucket)
                .build(),
        }
    }

    pub(crate) fn partition(&self) -> RetryPartition {
        self.partition.clone()
    }

    /// `base` with at most the gate's cap of requests in flight at once.
    pub(crate) fn http_client(&self, base: SharedHttpClient) -> SharedHttpClient {
        SharedHttpClient::new(Limited {
            inner: base,
            gate: self.gate.clone(),
        })
    }

    /// What tells the gate how the service's calls fare.
    pub(crate) fn feedback(&self) -> Feedback {
        Feedback {
            gate: self.gate.clone(),
        }
    }
}

/// The HTTP client the SDK would use by itself, built once per process so
/// every service shares its connection pool.
pub(crate) fn default_http_client() -> Option<SharedHttpClient> {
    static CLIENT: OnceLock<Option<SharedHttpClient>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let plugin = aws_smithy_runtime::client::defaults::default_http_client_plugin_v2(
                BehaviorVersion::latest(),
            )?;
            plugin
                .runtime_components(&RuntimeComponentsBuilder::new("cairn"))
                .http_client()
        })
        .clone()
}

#[derive(Debug)]
struct Limited {
    inner: SharedHttpClient,
    gate: Arc<Gate>,
}

impl HttpClient for Limited {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(LimitedConnector {
            inner: self.inner.http_connector(settings, components),
            gate: self.gate.clone(),
        })
    }
}

#[derive(Debug)]
struct LimitedConnector {
    inner: SharedHttpConnector,
    gate: Arc<Gate>,
}

impl HttpConnector for LimitedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let gate = self.gate.clone();
        HttpConnectorFuture::new(async move {
            // Held for the exchange only: a retry's backoff waits outside.
            let _pass = gate.enter().await;
            inner.call(request).await
        })
    }
}

/// Attempts of one call that fails with anything but throttling: the
/// SDK's standard mode's own default.
pub const TRANSIENT_ATTEMPTS: u32 = 5;

/// After each attempt of a service's call: a throttling answer halves the
/// service's cap on calls in flight, is counted and logged; a success
/// helps raise the cap again; another failure ends the retries after
/// `TRANSIENT_ATTEMPTS`.
#[derive(Debug)]
pub(crate) struct Feedback {
    gate: Arc<Gate>,
}

impl Intercept for Feedback {
    fn name(&self) -> &'static str {
        "cairn::aws::Feedback"
    }

    fn read_after_attempt(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !ctx.inner().is_failed() {
            self.gate.succeeded();
            return Ok(());
        }
        let throttled = matches!(
            run_classifiers_on_ctx(rc.retry_classifiers(), ctx.inner()),
            RetryAction::RetryIndicated(RetryReason::RetryableError {
                kind: ErrorKind::ThrottlingError,
                ..
            })
        );
        if !throttled {
            // The SDK's retry strategy reads the attempts it may make from
            // the config bag after this hook: the layer set here wins.
            let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
            if attempts >= TRANSIENT_ATTEMPTS {
                if let Some(retry) = cfg.load::<RetryConfig>().cloned() {
                    cfg.interceptor_state()
                        .store_put(retry.with_max_attempts(attempts));
                }
            }
        } else {
            self.gate.throttled();
            let (service, operation) = cfg
                .load::<Metadata>()
                .map(|m| (m.service(), m.name()))
                .unwrap_or_default();
            record_throttled(service);
            tracing::info!(target: "cairn::aws", service, operation, "throttled by AWS; retrying after a backoff");
        }
        Ok(())
    }
}

/// Throttling answers seen since the last [`take_throttled`], by service.
static THROTTLED: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

pub(crate) fn record_throttled(service: &str) {
    if let Ok(mut seen) = THROTTLED.lock() {
        *seen.entry(service.to_string()).or_default() += 1;
    }
}

/// The throttling answers AWS gave since the last call (process-wide), by
/// service: each was retried after a backoff. Progress output polls this.
pub fn take_throttled() -> BTreeMap<String, u64> {
    THROTTLED
        .lock()
        .map(|mut seen| std::mem::take(&mut *seen))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_keys_are_the_sdk_crate_names() {
        assert_eq!(service_key("aws_sdk_ec2"), "ec2");
        assert_eq!(
            service_key("aws_sdk_elasticloadbalancingv2"),
            "elasticloadbalancingv2"
        );
        assert!(SERVICES.windows(2).all(|w| w[0] < w[1]), "kept sorted");
    }
}
