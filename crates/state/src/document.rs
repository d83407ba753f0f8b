//! The state document: what cairn knows about the infrastructure it manages.
//! JSON, pretty-printed with stable (sorted) ordering so that it reads well
//! in a diff. See docs/state.md.

use std::collections::BTreeMap;

use cairn_core::value::{Object, Path, PathStep, Value};
use serde::{Deserialize, Serialize};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDocument {
    pub format_version: u32,
    /// Set once when the state is first written; a write with another
    /// lineage is refused (it is a different stack's state).
    pub lineage: String,
    /// Incremented on every write.
    pub serial: u64,
    pub stack: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<WrittenBy>,
    /// The hash chain (docs/state.md): [`sha256_hex`] of the exact stored
    /// bytes of the version this one replaced, set by the backend's `write`
    /// (the one place that knows what it replaces). `None` for the first
    /// version, and in versions written before cairn kept the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_sha256: Option<String>,
    /// Keyed by address in Terraform notation.
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
    /// The other tool's state this lineage began from (`cairn migrate`),
    /// kept in every later version so the record says where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrated_from: Option<MigratedFrom>,
    /// Set when the sensitive values are sealed (`seal`): they read `null`
    /// here and live in this ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::seal::Encryption>,
}

/// Provenance of a migrated state: the Terraform state it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigratedFrom {
    /// `terraform`.
    pub tool: String,
    pub lineage: String,
    pub serial: u64,
    /// The version of the tool that wrote it.
    pub version: String,
    /// SHA-256 of the state file as read, hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrittenBy {
    pub who: String,
    /// RFC 3339.
    pub when: String,
    pub operation: String,
    pub cairn_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_id: Option<String>,
}

impl WrittenBy {
    /// This record, stamped with the current time.
    pub fn now(&self) -> WrittenBy {
        WrittenBy {
            when: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    #[default]
    Ready,
    /// Created but not completely configured (a follow-up call failed): the
    /// next plan replaces it.
    Tainted,
}

impl ResourceStatus {
    fn is_ready(&self) -> bool {
        *self == ResourceStatus::Ready
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    #[serde(rename = "type")]
    pub type_name: String,
    pub provider: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "ResourceStatus::is_ready")]
    pub status: ResourceStatus,
    /// Raw attribute values (marks removed; see `sensitive_paths`).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Paths to sensitive values inside `attributes`, e.g. `[["password"]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Vec<serde_json::Value>>,
    /// Addresses this resource depended on when it was last written: deletes
    /// run in the reverse of this order even after the config is gone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// `lifecycle.prevent_destroy` as last configured: kept here so that
    /// removing the resource's block does not lift the protection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prevent_destroy: bool,
    /// Objects replaced with `create_before_destroy` whose deletion has not
    /// completed yet: the next plan deletes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedObject>,
}

/// The previous object of a create-before-destroy replacement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeposedObject {
    pub id: String,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive_paths: Vec<Vec<serde_json::Value>>,
}

impl DeposedObject {
    pub fn of(rs: &ResourceState) -> Self {
        DeposedObject {
            id: rs.id.clone(),
            attributes: rs.attributes.clone(),
            sensitive_paths: rs.sensitive_paths.clone(),
        }
    }

    pub fn attributes(&self) -> Object {
        restore(&self.attributes, &self.sensitive_paths)
    }
}

fn restore(
    attributes: &serde_json::Map<String, serde_json::Value>,
    sensitive: &[Vec<serde_json::Value>],
) -> Object {
    let mut v = Value::from_json(&serde_json::Value::Object(attributes.clone()));
    let paths: Vec<Path> = sensitive.iter().filter_map(|p| path_from_json(p)).collect();
    v.mark_paths(&paths);
    match v {
        Value::Map(m) => m,
        _ => Object::new(),
    }
}

impl ResourceState {
    pub fn new(
        type_name: &str,
        provider: &str,
        id: &str,
        attributes: &Object,
        dependencies: Vec<String>,
    ) -> Self {
        let value = Value::Map(attributes.clone());
        let sensitive_paths = value
            .sensitive_paths()
            .iter()
            .map(|p| path_to_json(p))
            .collect();
        let attributes = match value.to_json() {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        ResourceState {
            type_name: type_name.to_string(),
            provider: provider.to_string(),
            id: id.to_string(),
            status: ResourceStatus::Ready,
            attributes,
            sensitive_paths,
            dependencies,
            prevent_destroy: false,
            deposed: Vec::new(),
        }
    }

    /// The attributes with their sensitive marks restored.
    pub fn attributes(&self) -> Object {
        restore(&self.attributes, &self.sensitive_paths)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: serde_json::Value,
    #[serde(default)]
    pub sensitive: bool,
}

impl OutputState {
    pub fn new(v: &Value) -> Self {
        OutputState {
            value: v.to_json(),
            sensitive: v.contains_sensitive(),
        }
    }
    pub fn value(&self) -> Value {
        let v = Value::from_json(&self.value);
        if self.sensitive {
            Value::sensitive(v)
        } else {
            v
        }
    }
}

fn path_to_json(p: &[PathStep]) -> Vec<serde_json::Value> {
    p.iter()
        .map(|s| match s {
            PathStep::Key(k) => serde_json::Value::String(k.clone()),
            PathStep::Index(i) => serde_json::Value::from(*i),
        })
        .collect()
}

fn path_from_json(p: &[serde_json::Value]) -> Option<Path> {
    p.iter()
        .map(|s| match s {
            serde_json::Value::String(k) => Some(PathStep::Key(k.clone())),
            serde_json::Value::Number(n) => n.as_u64().map(|i| PathStep::Index(i as usize)),
            _ => None,
        })
        .collect()
}

impl StateDocument {
    pub fn new(stack: &str, env: Option<&str>) -> Self {
        StateDocument {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            stack: stack.to_string(),
            env: env.map(str::to_string),
            written_by: None,
            previous_sha256: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            migrated_from: None,
            encryption: None,
        }
    }

    /// Records the resource at `from` under `to` (which must be free), and
    /// points whatever depended on `from` at `to`. False if `from` is absent.
    pub fn rename(&mut self, from: &str, to: &str) -> bool {
        let Some(rs) = self.resources.remove(from) else {
            return false;
        };
        self.resources.insert(to.to_string(), rs);
        for other in self.resources.values_mut() {
            for d in other.dependencies.iter_mut().filter(|d| *d == from) {
                *d = to.to_string();
            }
        }
        true
    }

    pub fn to_json_pretty(&self) -> String {
        // Serialising plain maps and strings cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Whether two documents record the same thing, whatever version each
    /// was chained to: a copy into another backend links to what that
    /// backend held, so its `previous_sha256` differs from the source's.
    pub fn same_record(&self, other: &StateDocument) -> bool {
        let unchained = |d: &StateDocument| StateDocument {
            previous_sha256: None,
            ..d.clone()
        };
        unchained(self) == unchained(other)
    }
}

/// The digest of the hash chain and of the local backend's version token:
/// lowercase hex SHA-256 of the exact bytes stored, nothing normalised.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_keep_their_marks_through_state() {
        let attrs: Object = [
            ("id".to_string(), Value::from("db-1")),
            ("password".to_string(), Value::sensitive("hunter2".into())),
        ]
        .into();
        let rs = ResourceState::new("aws_db", "aws", "db-1", &attrs, vec![]);
        assert_eq!(
            rs.sensitive_paths,
            vec![vec![serde_json::Value::from("password")]]
        );
        let back = rs.attributes();
        assert!(back["password"].is_sensitive());
        assert!(!back["id"].is_sensitive());
    }

    #[test]
    fn documents_round_trip_and_print_stably() {
        let mut doc = StateDocument::new("quickstart", Some("local"));
        let attrs: Object = [("cidr_block".to_string(), Value::from("10.0.0.0/16"))].into();
        doc.resources.insert(
            "aws_vpc.main".into(),
            ResourceState::new("aws_vpc", "aws", "vpc-1", &attrs, vec![]),
        );
        let text = doc.to_json_pretty();
        assert_eq!(StateDocument::from_json(&text).unwrap(), doc);
        assert_eq!(
            text,
            StateDocument::from_json(&text).unwrap().to_json_pretty()
        );
        assert!(text.find("\"format_version\"").unwrap() < text.find("\"resources\"").unwrap());
    }
}
