//! One `debug` line per AWS call (`CAIRN_LOG=debug`): service, operation,
//! HTTP status and duration. Never the request or response body, which can
//! hold secrets.

use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

#[derive(Debug, Default, Clone, Copy)]
pub struct CallLogger;

#[derive(Debug, Clone)]
struct CallStart {
    at: Instant,
    attempts: u32,
}

impl Storable for CallStart {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallLogger {
    fn name(&self) -> &'static str {
        "cairn::aws::CallLogger"
    }

    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Runs once per attempt: the first sets the start, retries count.
        let next = match cfg.load::<CallStart>() {
            Some(s) => CallStart {
                at: s.at,
                attempts: s.attempts + 1,
            },
            None => CallStart {
                at: Instant::now(),
                attempts: 1,
            },
        };
        cfg.interceptor_state().store_put(next);
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let start = cfg.load::<CallStart>();
        let ms = start
            .map(|s| s.at.elapsed().as_millis() as u64)
            .unwrap_or(0);
        let attempts = start.map(|s| s.attempts).unwrap_or(0);
        let status = ctx.response().map(|r| r.status().as_u16()).unwrap_or(0);
        tracing::debug!(target: "cairn::aws", service = %service, operation = %operation, status, attempts, ms, "aws call");
        Ok(())
    }
}
