//! Engine errors. Each names what the user needs: the resource address, the
//! AWS operation and its error code and message, or a span in a stack file.

use cairn_core::{Address, ProviderError};
use cairn_lang::Diagnostic;

/// A provider operation that failed for one resource.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{address}: {error}")]
pub struct OperationError {
    pub address: Address,
    /// `create`, `update`, `delete`, `read`.
    pub action: &'static str,
    pub error: ProviderError,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Problems in the stack found while building the graph or evaluating
    /// expressions (cycles, values that fail checks once known).
    #[error("the stack has {} error(s)", .0.len())]
    Config(Vec<Diagnostic>),
    #[error("{} operation(s) failed", .0.len())]
    Operations(Vec<OperationError>),
    /// State records a resource of a type no provider offers.
    #[error(
        "state records `{address}` of type `{type_name}`, which no configured provider offers"
    )]
    UnknownType { address: String, type_name: String },
    /// State records a resource of a provider configuration the stack no
    /// longer has.
    #[error(
        "state records `{address}` as managed through provider `{provider}`, which the stack no longer configures; restore [provider.{provider}] until it is destroyed"
    )]
    UnknownProvider { address: String, provider: String },
    #[error("state records an invalid address `{0}`")]
    BadAddress(String),
}
