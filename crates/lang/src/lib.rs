//! The cairn stack language: a stack directory of TOML files (plus an env
//! file) loaded into a checked [`Stack`], or every problem found as spanned
//! [`Diagnostic`]s. Checking is offline: it needs only the provider schemas
//! in a [`cairn_core::Registry`].

pub mod diagnostic;
mod didyoumean;
pub mod expr;
mod interp;
mod loader;
pub mod model;
mod node;
pub mod policy;
pub mod source;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use expr::{EvalError, Expr, ExprKind, Reference, Scope, Subject, TemplatePart};
pub use loader::{load, LoadOptions};
pub use model::{
    parse_duration, BackendConfig, OutputBlock, ProviderConfig, ResourceBlock, Stack, Timeouts,
};
pub use policy::DenyRule;
pub use source::{FileId, SourceMap, Span};
