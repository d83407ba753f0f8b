//! The state file as Terraform writes it (format version 4).

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum TfStateError {
    #[error("not a Terraform state: {0}")]
    Json(#[from] serde_json::Error),
    #[error("Terraform state format {found} is not supported: cairn reads format 4 (Terraform 0.12 and later); run `terraform state pull` with a current Terraform to upgrade it")]
    Version { found: u64 },
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct State {
    #[serde(default)]
    pub terraform_version: String,
    #[serde(default)]
    pub serial: u64,
    #[serde(default)]
    pub lineage: String,
    #[serde(default)]
    pub outputs: BTreeMap<String, RawOutput>,
    #[serde(default)]
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawOutput {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Resource {
    /// `module.a["x"].module.b`; absent in the root module.
    #[serde(default)]
    pub module: Option<String>,
    /// `managed` or `data`.
    pub mode: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    /// `provider["registry.terraform.io/hashicorp/aws"]` with `.ALIAS`.
    pub provider: String,
    #[serde(default)]
    pub instances: Vec<Instance>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Instance {
    #[serde(default)]
    pub index_key: Option<serde_json::Value>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub deposed: Option<String>,
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub sensitive_attributes: Vec<Vec<PathStep>>,
    #[serde(default)]
    pub dependencies: Vec<String>,
}

/// `{"type": "get_attr", "value": "password"}` or
/// `{"type": "index", "value": {"value": 0, "type": "number"}}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PathStep {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: serde_json::Value,
}

impl State {
    pub fn parse(text: &str) -> Result<State, TfStateError> {
        // The version first, so that another format is named as such
        // rather than as a missing field.
        #[derive(Deserialize)]
        struct Probe {
            version: u64,
        }
        let probe: Probe = serde_json::from_str(text)?;
        if probe.version != 4 {
            return Err(TfStateError::Version {
                found: probe.version,
            });
        }
        Ok(serde_json::from_str(text)?)
    }
}

impl Instance {
    /// Terraform's sensitive paths as cairn records them: attribute names
    /// and map keys as strings, list positions as numbers.
    pub fn sensitive_paths(&self) -> Vec<Vec<serde_json::Value>> {
        self.sensitive_attributes
            .iter()
            .map(|path| {
                path.iter()
                    .map(|step| match step.kind.as_str() {
                        "index" => step.value.get("value").cloned().unwrap_or_default(),
                        _ => step.value.clone(),
                    })
                    .collect()
            })
            .collect()
    }
}
