//! The cairn stack language: a stack directory of TOML files (plus an env
//! file, variable files and the module directories it calls) loaded into a
//! checked [`Stack`], or every problem found as spanned [`Diagnostic`]s.
//! Expressions inside `${ }` follow HCL's syntax; [`eval`] computes them
//! against a [`Scope`] the engine supplies. Loading is offline: it needs
//! only the provider schemas in a [`cairn_core::Registry`].

pub mod diagnostic;
mod didyoumean;
pub mod eval;
pub mod expand;
pub mod expr;
pub mod files;
mod json;
pub mod json_schema;
mod load;
pub mod model;
mod node;
pub mod parse;
pub mod policy;
pub mod source;
pub mod types;

pub use cairn_functions::FileSource;
pub use diagnostic::{Diagnostic, Diagnostics};
pub use eval::{EvalError, Scope};
pub use expr::{Expr, ExprKind, Reference, ResourceRef, Step, Subject, TemplatePart};
pub use load::static_eval::StaticScope;
pub use load::variables::{check as check_variable, ValidationScope};
pub use load::{load, LoadOptions};
pub use model::{
    parse_duration, BackendConfig, DependsOn, IgnoreChanges, ImportBlock, Lifecycle, Module,
    ModuleCall, ModuleId, ModuleNode, MovedBlock, OutputBlock, ProviderConfig, Repetition,
    ResourceBlock, ServiceLimit, Stack, StateEncryption, Timeouts, VariableDecl,
};
pub use policy::DenyRule;
pub use source::{FileId, SourceMap, Span};
