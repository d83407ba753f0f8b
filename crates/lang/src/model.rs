//! The checked configuration of a stack: what `load` returns and the engine
//! consumes. The stack directory is the root module; `[module.NAME]` calls
//! bring in module directories, each loaded once however often it is
//! called. Every name in every expression is resolved against the module
//! it is written in; values are computed by the engine in graph order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use cairn_core::address::{Address, ModuleStep, Target};
use cairn_core::value::{PathStep, Value};

use crate::expr::{Expr, ResourceRef};
use crate::files::FileCache;
use crate::source::{SourceMap, Span};
use crate::types::VarType;

/// A module configuration's index in [`Stack::modules`]; the root is 0.
pub type ModuleId = usize;

#[derive(Debug, Clone)]
pub struct Stack {
    /// The stack directory.
    pub dir: PathBuf,
    /// `[stack] name`.
    pub name: String,
    /// The environment chosen with `--env`, if any.
    pub env: Option<String>,
    pub sources: SourceMap,
    /// Files read by file() and templatefile(), kept so a saved plan holds them.
    pub files: Arc<FileCache>,
    /// The root module's variables with their values (converted to their
    /// types, validated, sensitive ones marked).
    pub variables: BTreeMap<String, Value>,
    /// Provider configurations by name: `aws`, and aliases such as `aws.prod_db`.
    pub providers: BTreeMap<String, ProviderConfig>,
    pub backend: BackendConfig,
    /// `[policy] deny`: gates every plan of this stack is checked against.
    pub policy: Vec<crate::policy::DenyRule>,
    /// Module configurations; `modules[0]` is the stack directory itself.
    pub modules: Vec<Module>,
    /// Every place a module is instantiated (static module paths), the root
    /// first and every parent before its children.
    pub tree: Vec<ModuleNode>,
    pub imports: Vec<ImportBlock>,
    pub moved: Vec<MovedBlock>,
}

/// A module as it sits in the tree: the root, or a `[module.NAME]` call
/// (which may expand to several instances with count/for_each).
#[derive(Debug, Clone)]
pub struct ModuleNode {
    /// Call names from the root: `[]`, `["network"]`, `["app", "logs"]`.
    pub path: Vec<String>,
    pub module: ModuleId,
    /// The parent's index in [`Stack::tree`] and the call's index in the
    /// parent module's `calls`.
    pub parent: Option<(usize, usize)>,
    /// Provider names as the module's blocks write them (`aws`, `aws.peer`)
    /// to the stack's provider configurations (`aws`, `aws.prod_db`).
    pub providers: BTreeMap<String, String>,
}

impl ModuleNode {
    /// `module.a.module.b`, or an empty string at the root.
    pub fn display(&self) -> String {
        self.path
            .iter()
            .map(|p| format!("module.{p}"))
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[derive(Debug, Clone, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub variables: BTreeMap<String, VariableDecl>,
    pub locals: BTreeMap<String, LocalValue>,
    /// Managed resources and data sources, in file order.
    pub resources: Vec<ResourceBlock>,
    pub calls: Vec<ModuleCall>,
    pub outputs: Vec<OutputBlock>,
    /// Position of each resource in `resources`: lookups by reference are
    /// on every plan's hot path.
    pub index: std::collections::HashMap<ResourceRef, usize>,
}

impl Module {
    pub fn resource(&self, r: &ResourceRef) -> Option<&ResourceBlock> {
        self.index.get(r).map(|&i| &self.resources[i])
    }
    pub fn call(&self, name: &str) -> Option<&ModuleCall> {
        self.calls.iter().find(|c| c.name == name)
    }
    pub fn output(&self, name: &str) -> Option<&OutputBlock> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct VariableDecl {
    pub name: String,
    pub ty: VarType,
    pub default: Option<Value>,
    /// Where the default is written.
    pub default_span: Option<Span>,
    pub sensitive: bool,
    pub description: Option<String>,
    pub validations: Vec<Validation>,
    /// The name in `[variable.NAME]`.
    pub span: Span,
}

/// `[[variable.NAME.validation]]`.
#[derive(Debug, Clone)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct LocalValue {
    pub expr: Expr,
    /// The key in `[locals]`.
    pub span: Span,
}

/// `count` or `for_each` on a resource, data source or module call.
#[derive(Debug, Clone)]
pub enum Repetition {
    Count(Expr),
    ForEach(Expr),
}

impl Repetition {
    pub fn expr(&self) -> &Expr {
        match self {
            Repetition::Count(e) | Repetition::ForEach(e) => e,
        }
    }
    pub fn keyword(&self) -> &'static str {
        match self {
            Repetition::Count(_) => "count",
            Repetition::ForEach(_) => "for_each",
        }
    }
}

/// One `[resource.TYPE.NAME]` or `[data.TYPE.NAME]` table.
#[derive(Debug, Clone)]
pub struct ResourceBlock {
    /// The configuration address within its module (no module path, no key).
    pub address: Address,
    /// The table header, e.g. `[resource.aws_vpc.main]`.
    pub span: Span,
    /// The configured attributes (meta-arguments removed).
    pub attributes: BTreeMap<String, Expr>,
    /// The span of each attribute's key, for diagnostics about it.
    pub attribute_spans: BTreeMap<String, Span>,
    pub depends_on: Vec<(DependsOn, Span)>,
    /// `timeouts`: how long an operation may wait on AWS.
    pub timeouts: Timeouts,
    /// The provider as this module names it: `aws` or `aws.ALIAS`.
    pub provider: String,
    pub repetition: Option<Repetition>,
    pub lifecycle: Lifecycle,
}

impl ResourceBlock {
    pub fn id(&self) -> ResourceRef {
        ResourceRef {
            mode: self.address.mode,
            type_name: self.address.type_name.clone(),
            name: self.address.name.clone(),
        }
    }
}

/// A `depends_on` entry: a resource of the same module, or a module call
/// (everything in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependsOn {
    Resource(ResourceRef),
    Module(String),
}

/// Terraform's `lifecycle` meta-argument.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    /// A plan that would destroy the resource fails (also recorded in
    /// state, so removing the block does not lift the protection).
    pub prevent_destroy: bool,
    /// A replacement creates the new object before destroying the old.
    pub create_before_destroy: bool,
    /// Attribute paths whose configured values are not enforced on
    /// existing objects; `all` ignores every attribute.
    pub ignore_changes: IgnoreChanges,
    /// References whose change replaces this resource: a resource (any
    /// change) or one of its attributes.
    pub replace_triggered_by: Vec<Expr>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    Paths(Vec<Vec<PathStep>>),
}

/// One `[module.NAME]` table.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    pub name: String,
    pub span: Span,
    /// As written.
    pub source: String,
    pub module: ModuleId,
    /// Values for the child's variables, evaluated in the caller's scope.
    pub inputs: BTreeMap<String, Expr>,
    pub input_spans: BTreeMap<String, Span>,
    pub repetition: Option<Repetition>,
    /// `providers = { aws = "aws.prod_db" }`: the child's name to the caller's.
    pub providers: BTreeMap<String, (String, Span)>,
    pub depends_on: Vec<(DependsOn, Span)>,
}

#[derive(Debug, Clone)]
pub struct OutputBlock {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub span: Span,
}

/// `[[import]] to = "aws_vpc.main", id = "vpc-..."`: adopt an existing
/// object into state at that address.
#[derive(Debug, Clone)]
pub struct ImportBlock {
    pub to: Address,
    pub id: String,
    pub span: Span,
}

/// `[[moved]] from = "...", to = "..."`: the object recorded at `from` is
/// now configured at `to` (a resource, an instance, or a whole module).
#[derive(Debug, Clone)]
pub struct MovedBlock {
    pub from: Target,
    pub to: Target,
    pub span: Span,
}

/// `[provider.aws]` (or an alias) after the env file is applied. Values are
/// known strings (variables and locals are allowed and resolved).
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
    pub endpoint_url: Option<String>,
    pub default_tags: BTreeMap<String, String>,
    /// Calls in flight per AWS service; the env file's entries come last,
    /// so a later entry for a service wins.
    pub max_concurrency: Vec<ServiceLimit>,
    pub max_retries: Option<u32>,
    pub span: Option<Span>,
}

/// One `max_concurrency` entry: the service is checked against the
/// provider kit's list when the registry is configured.
#[derive(Debug, Clone)]
pub struct ServiceLimit {
    pub service: String,
    pub limit: usize,
    pub span: Span,
}

/// `[backend]` after the env file is applied.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// `local` (the default) or `s3`.
    pub kind: String,
    /// Every other key but `encryption`, e.g. `path`, `bucket`, `region`.
    pub settings: BTreeMap<String, Value>,
    pub encryption: Option<StateEncryption>,
    pub span: Option<Span>,
}

/// `encryption = { kms_key_id = "...", fallback = { kms_key_id = "..." } }`:
/// the KMS key that seals state and saved plans, and the previous one,
/// accepted for reading while switching keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEncryption {
    pub kms_key_id: String,
    pub fallback: Option<String>,
}

impl StateEncryption {
    /// The setting's value, or what is wrong with it.
    pub fn from_value(v: &Value) -> Result<StateEncryption, String> {
        let key_of = |v: &Value| {
            v.as_map()
                .and_then(|m| m.get("kms_key_id"))
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
        };
        let map = v.as_map().ok_or("is not a table")?;
        if let Some(k) = map
            .keys()
            .find(|k| !["kms_key_id", "fallback"].contains(&k.as_str()))
        {
            return Err(format!("has an unknown key `{k}`"));
        }
        let kms_key_id = key_of(v).ok_or("has no `kms_key_id`")?;
        let fallback = match map.get("fallback") {
            Some(f) => Some(key_of(f).ok_or("has a `fallback` without `kms_key_id`")?),
            None => None,
        };
        Ok(StateEncryption {
            kms_key_id,
            fallback,
        })
    }
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            kind: "local".into(),
            settings: BTreeMap::new(),
            encryption: None,
            span: None,
        }
    }
}

impl BackendConfig {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).and_then(Value::as_str)
    }
}

impl Stack {
    /// `stack/env` (or just `stack`), the value of the `cairn:stack` tag.
    pub fn qualified_name(&self) -> String {
        match &self.env {
            Some(env) => format!("{}/{env}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn root(&self) -> &Module {
        &self.modules[0]
    }

    /// The module configuration at a static module path.
    pub fn module_at(&self, path: &[String]) -> Option<(usize, &ModuleNode)> {
        self.tree.iter().enumerate().find(|(_, n)| n.path == path)
    }

    /// The block an address (of any instance, in any module instance) was
    /// configured by.
    pub fn resource(&self, address: &Address) -> Option<&ResourceBlock> {
        let path: Vec<String> = address.module.iter().map(|s| s.name.clone()).collect();
        let (_, node) = self.module_at(&path)?;
        let wanted = ResourceRef {
            mode: address.mode,
            type_name: address.type_name.clone(),
            name: address.name.clone(),
        };
        self.modules[node.module].resource(&wanted)
    }

    /// Every resource block with the static module path it sits at.
    pub fn all_resources(&self) -> impl Iterator<Item = (&ModuleNode, &ResourceBlock)> + '_ {
        self.tree
            .iter()
            .flat_map(move |n| self.modules[n.module].resources.iter().map(move |r| (n, r)))
    }

    /// How many resource blocks the configuration has, across modules.
    pub fn resource_count(&self) -> usize {
        self.tree
            .iter()
            .map(|n| self.modules[n.module].resources.len())
            .sum()
    }

    /// The stack's provider configuration a block in module `node` uses.
    pub fn provider_of(&self, node: &ModuleNode, block: &ResourceBlock) -> String {
        node.providers
            .get(&block.provider)
            .cloned()
            .unwrap_or_else(|| block.provider.clone())
    }
}

/// A module instance path with keys, for display: `module.a["x"].module.b`.
pub fn module_instance_display(steps: &[ModuleStep]) -> String {
    steps
        .iter()
        .map(|s| match &s.key {
            Some(k) => format!("module.{}{k}", s.name),
            None => format!("module.{}", s.name),
        })
        .collect::<Vec<_>>()
        .join(".")
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
