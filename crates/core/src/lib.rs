//! The vocabulary every cairn crate shares: addresses, values (with the
//! unknown and sensitive marks), resource schemas and the provider contract.
//!
//! This crate has no I/O and no AWS dependency; it is what the language,
//! engine, state and provider crates agree on.

pub mod address;
pub mod checks;
pub mod provider;
pub mod schema;
pub mod tags;
pub mod value;
mod value_serde;

pub use address::{Address, AddressParseError, InstanceKey, Mode, ModuleStep, Target};
pub use provider::{
    DataSource, OpContext, Progress, ProviderError, Providers, ReadContext, ReadOutcome,
    ReadRequest, Registry, Resource, ValidationIssue,
};
pub use schema::{Attribute, Check, Presence, Schema, Type};
pub use value::{Attrs, Object, PathStep, Value};
