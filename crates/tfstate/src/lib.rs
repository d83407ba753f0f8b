//! A Terraform state (format version 4, as `terraform state pull` prints
//! it) read and mapped to cairn: each instance's address (module path,
//! `count`/`for_each` key, `data.`), provider configuration (`aws` or
//! `aws.ALIAS`), id where cairn's differs from Terraform's, sensitive
//! attribute paths, dependencies (Terraform records resources; cairn
//! records instances) and outputs. Nothing here reads AWS or writes state:
//! `cairn migrate` re-reads every object live and writes the result.

mod address;
mod ids;
mod raw;
mod shape;

use std::collections::BTreeMap;

use cairn_core::Schema;

pub use raw::TfStateError;

/// A Terraform state as read.
#[derive(Debug, Clone)]
pub struct TerraformState {
    pub lineage: String,
    pub serial: u64,
    pub terraform_version: String,
    raw: raw::State,
}

/// One instance, in cairn's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// As Terraform names it (`module.net.aws_subnet.a[0]`), for messages.
    pub terraform_address: String,
    /// As cairn names it (the same notation).
    pub address: String,
    pub type_name: String,
    pub data: bool,
    /// `aws` or `aws.ALIAS`.
    pub provider: String,
    /// cairn's id; `terraform_id` when the two agree.
    pub id: String,
    pub terraform_id: String,
    /// Terraform's values, reshaped to cairn's schema (a nested block
    /// Terraform keeps as a list of one is one table; attributes cairn does
    /// not have are left out): the prior of the live read.
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Paths of values Terraform marked sensitive, as cairn records them.
    pub sensitive_paths: Vec<Vec<serde_json::Value>>,
    /// Instance addresses this one depends on.
    pub dependencies: Vec<String>,
}

/// An output value.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub value: serde_json::Value,
    pub sensitive: bool,
}

/// Why an instance cannot be carried over. A migration with any refusal
/// writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{address}: cairn has no {kind} type `{type_name}`")]
    UnsupportedType {
        address: String,
        kind: &'static str,
        type_name: String,
    },
    #[error("{address}: provider `{provider}` is not one cairn runs (only hashicorp/aws, and hashicorp/random for random_* types)")]
    UnsupportedProvider { address: String, provider: String },
    #[error("{address}: provider configuration `{provider}` lives in a module; cairn configures providers in the stack only (pass them to the module)")]
    ModuleProvider { address: String, provider: String },
    #[error("{address} is tainted: Terraform would replace it; run `terraform apply` (or untaint it) before migrating")]
    Tainted { address: String },
    #[error("{address} has a deposed object (an interrupted create_before_destroy); finish it with `terraform apply` before migrating")]
    Deposed { address: String },
}

/// Looks up the schema of a resource type (`data = false`) or data source.
pub type SchemaLookup<'a> = &'a dyn Fn(&str, bool) -> Option<&'a Schema>;

impl TerraformState {
    /// Parses a state document; any format but 4 is refused.
    pub fn read(text: &str) -> Result<TerraformState, TfStateError> {
        let raw = raw::State::parse(text)?;
        Ok(TerraformState {
            lineage: raw.lineage.clone(),
            serial: raw.serial,
            terraform_version: raw.terraform_version.clone(),
            raw,
        })
    }

    /// Every instance in cairn's terms, or every reason some cannot be.
    pub fn map(&self, schema: SchemaLookup) -> Result<Vec<Instance>, Vec<Refusal>> {
        let mut refusals = Vec::new();
        let mut out = Vec::new();
        // Terraform's dependencies name resources; each expands to the
        // instances it has.
        let mut instances_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &self.raw.resources {
            for i in &r.instances {
                instances_of
                    .entry(address::resource(r))
                    .or_default()
                    .push(address::instance(r, i.index_key.as_ref()));
            }
        }
        for r in &self.raw.resources {
            let data = r.mode == "data";
            for i in &r.instances {
                let addr = address::instance(r, i.index_key.as_ref());
                let Some(schema) = schema(&r.type_name, data) else {
                    refusals.push(Refusal::UnsupportedType {
                        address: addr,
                        kind: if data { "data source" } else { "resource" },
                        type_name: r.type_name.clone(),
                    });
                    continue;
                };
                let provider = match address::provider(&r.provider, &r.type_name) {
                    Ok(p) => p,
                    Err(refusal) => {
                        refusals.push(refusal(addr));
                        continue;
                    }
                };
                if i.status.as_deref() == Some("tainted") {
                    refusals.push(Refusal::Tainted { address: addr });
                    continue;
                }
                if i.deposed.is_some() {
                    refusals.push(Refusal::Deposed { address: addr });
                    continue;
                }
                let terraform_id = i
                    .attributes
                    .get("id")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let mut dependencies: Vec<String> = i
                    .dependencies
                    .iter()
                    .flat_map(|d| instances_of.get(d).cloned().unwrap_or_default())
                    .collect();
                dependencies.sort();
                dependencies.dedup();
                out.push(Instance {
                    terraform_address: addr.clone(),
                    id: ids::cairn_id(&r.type_name, &terraform_id, &i.attributes),
                    terraform_id,
                    attributes: shape::to_schema(schema, &i.attributes),
                    sensitive_paths: i.sensitive_paths(),
                    address: addr,
                    type_name: r.type_name.clone(),
                    data,
                    provider,
                    dependencies,
                });
            }
        }
        if refusals.is_empty() {
            Ok(out)
        } else {
            Err(refusals)
        }
    }

    /// The root module's outputs.
    pub fn outputs(&self) -> BTreeMap<String, Output> {
        self.raw
            .outputs
            .iter()
            .map(|(name, o)| {
                (
                    name.clone(),
                    Output {
                        value: o.value.clone(),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect()
    }
}
