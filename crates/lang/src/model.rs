//! The checked configuration of a stack: what `load` returns and the engine
//! consumes. Variables are already resolved; resource attributes are
//! expressions whose references the engine resolves in graph order.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cairn_core::address::Address;
use cairn_core::value::Value;

use crate::expr::Expr;
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone)]
pub struct Stack {
    /// The stack directory.
    pub dir: PathBuf,
    /// `[stack] name`.
    pub name: String,
    /// The environment chosen with `--env`, if any.
    pub env: Option<String>,
    pub sources: SourceMap,
    /// Every declared variable with its resolved value (sensitive ones marked).
    pub variables: BTreeMap<String, Value>,
    /// Provider configurations by name (`aws`; aliases such as `aws.prod_db` later).
    pub providers: BTreeMap<String, ProviderConfig>,
    pub backend: BackendConfig,
    /// `[policy] deny`: gates every plan of this stack is checked against.
    pub policy: Vec<crate::policy::DenyRule>,
    /// Managed resources and data sources, in file order.
    pub resources: Vec<ResourceBlock>,
    pub outputs: Vec<OutputBlock>,
}

impl Stack {
    /// `stack/env` (or just `stack`), the value of the `cairn:stack` tag.
    pub fn qualified_name(&self) -> String {
        match &self.env {
            Some(env) => format!("{}/{env}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn resource(&self, address: &Address) -> Option<&ResourceBlock> {
        self.resources.iter().find(|r| &r.address == address)
    }

    /// Resources by address, for callers that look up many.
    pub fn resource_index(&self) -> std::collections::HashMap<&Address, &ResourceBlock> {
        self.resources.iter().map(|r| (&r.address, r)).collect()
    }
}

/// `[provider.aws]` after the env file is applied. Values are known strings
/// (variables are allowed and resolved).
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
    pub endpoint_url: Option<String>,
    pub default_tags: BTreeMap<String, String>,
    pub span: Option<Span>,
}

/// `[backend]` after the env file is applied.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// `local` (the default) or `s3`.
    pub kind: String,
    /// Every other key, e.g. `path`, `bucket`, `key`, `region`.
    pub settings: BTreeMap<String, Value>,
    pub span: Option<Span>,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            kind: "local".into(),
            settings: BTreeMap::new(),
            span: None,
        }
    }
}

impl BackendConfig {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Value::as_str)
    }
}

/// One `[resource.TYPE.NAME]` or `[data.TYPE.NAME]` table.
#[derive(Debug, Clone)]
pub struct ResourceBlock {
    /// The configuration address (no instance key until count/for_each).
    pub address: Address,
    /// The table header, e.g. `[resource.aws_vpc.main]`.
    pub span: Span,
    /// The configured attributes (meta-arguments such as `depends_on` removed).
    pub attributes: BTreeMap<String, Expr>,
    /// The span of each attribute's key, for diagnostics about it.
    pub attribute_spans: BTreeMap<String, Span>,
    /// Explicit `depends_on`, each with the span of its string.
    pub depends_on: Vec<(Address, Span)>,
    /// `timeouts`: how long an operation may wait on AWS.
    pub timeouts: Timeouts,
    /// The provider configuration name (`aws`).
    pub provider: String,
}

#[derive(Debug, Clone)]
pub struct OutputBlock {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub span: Span,
}

/// Per-operation bounds on waiting, from a resource's `timeouts` table;
/// unset ones take the engine's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Option<std::time::Duration>,
    pub update: Option<std::time::Duration>,
    pub delete: Option<std::time::Duration>,
}

impl Timeouts {
    /// For `create`, `update` or `delete`.
    pub fn get(&self, operation: &str) -> Option<std::time::Duration> {
        match operation {
            "create" => self.create,
            "update" => self.update,
            "delete" => self.delete,
            _ => None,
        }
    }
}

/// `90s`, `10m`, `2h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (expected e.g. 90s, 10m, 1h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{s}` has an unknown unit (expected s, m or h)")),
    };
    Ok(std::time::Duration::from_secs(secs))
}
