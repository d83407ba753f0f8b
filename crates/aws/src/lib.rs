//! Shared AWS plumbing for cairn's provider crates: SDK configuration
//! (region, profile, assume role, endpoint), retries and per-service request
//! limits (`throttle`), one debug line per AWS call, error mapping and
//! waiting. No service SDK crate lives here.

mod client;
mod config;
mod delete;
mod errors;
mod gate;
mod logging;
mod reads;
mod tagging;
mod tags;
mod throttle;
mod wait;

pub use client::LazyClient;
pub use config::{AwsContext, AwsSettings};
pub use delete::{delete_with_retry, RetryOn};
pub use errors::{created_id, error, is_not_found};
pub use logging::CallLogger;
pub use reads::{read_concurrently, ReadFuture};
pub use tagging::{Tagging, TagsByArn};
pub use tags::{sync_tags, write_tag_changes};
pub use throttle::{default_max_concurrency, service_key, take_throttled, SERVICES};
pub use wait::wait_until;

/// The SDK's shared configuration, re-exported so provider crates need no
/// direct dependency on aws-types.
pub use aws_types::SdkConfig;
