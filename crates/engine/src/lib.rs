//! The cairn engine: builds the resource graph from a checked stack,
//! refreshes what state records, plans per instance an action, and applies a
//! plan concurrently while recording every completed operation in state.
//!
//! Generic over providers: it talks to the [`cairn_core::Registry`] only, so
//! its tests and benchmarks run against the in-process provider in
//! [`testing`].

pub mod apply;
pub mod checks;
mod desired;
mod diff;
pub mod error;
pub mod gates;
pub mod graph;
pub mod import;
mod leftovers;
mod moves;
pub mod plan;
pub mod plan_json;
mod refresh;
pub mod render;
pub mod render_markdown;
mod targets;
#[cfg(feature = "testing")]
pub mod testing;
mod values;

pub use apply::{apply, ApplyEvent, ApplyOptions, ApplyOutcome};
pub use error::{EngineError, OperationError};
pub use graph::ConfigGraph;
pub use plan::{
    plan, Action, Drift, Move, OutputChange, Plan, PlanOptions, Reason, ResourceChange,
};
pub use refresh::{refresh, Refreshed};
