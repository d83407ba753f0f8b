//! The report's two models. The *input* is what the caller gathers (raw
//! state documents, which hold secrets in clear); the *report* is what every
//! renderer reads, built by [`crate::build`] with every value already masked,
//! so no renderer ever sees a secret and none can leak one.
//!
//! The report is also the JSON format (`--format json`): its field names and
//! shapes are stable (see `format_version` and docs/cli.md).

use cairn_state::StateDocument;
use serde::Serialize;

/// The JSON format's version; bumped only on incompatible changes.
pub const REPORT_FORMAT_VERSION: u32 = 1;

// ---------------------------------------------------------------- input

/// Everything a report is made from.
pub struct ReportInput {
    /// Where the state lives (`s3://bucket/key`).
    pub location: String,
    /// RFC 3339: when the report was made.
    pub generated_at: String,
    pub cairn_version: String,
    /// How the point was chosen: `current`, `version V`, `at TIME`.
    pub selected_by: String,
    /// The stored version id of the state at the point, when known.
    pub version_id: Option<String>,
    /// The state at the point.
    pub state: StateDocument,
    /// Stored versions, oldest first, up to and including the point.
    pub history: Vec<VersionInput>,
    /// Versions stored after the point (not shown).
    pub later_versions: usize,
    /// The backend's note on how complete the history is.
    pub history_warning: Option<String>,
    /// `None`: verification was not available to the caller.
    pub verification: Option<Verification>,
    /// Why it was not available, when the caller knows.
    pub verification_note: Option<String>,
}

pub struct VersionInput {
    pub id: String,
    /// RFC 3339, when the backend stored it.
    pub stored: Option<String>,
    pub doc: StateDocument,
}

/// The result of checking every stored version (`cairn_state::verify`),
/// in this crate's own plain terms so the report does not depend on how
/// the check is made.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Every version passed.
    pub whole: bool,
    /// The oldest version that failed.
    pub first_bad: Option<String>,
    /// Oldest first.
    pub versions: Vec<VersionCheck>,
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionCheck {
    pub id: String,
    pub serial: Option<u64>,
    pub stored: Option<String>,
    pub who: Option<String>,
    pub operation: Option<String>,
    pub sha256: String,
    pub problems: Vec<String>,
    /// Facts that are not problems (written before the chain was kept).
    pub notes: Vec<String>,
}

// ---------------------------------------------------------------- report

/// The masked report every renderer reads.
#[derive(Debug, Serialize)]
pub struct Report {
    pub format_version: u32,
    pub generated_at: String,
    pub cairn_version: String,
    pub stack: String,
    pub env: Option<String>,
    pub location: String,
    pub lineage: String,
    pub point: Point,
    pub summary: Summary,
    /// By module path (root first, then sorted); resources sorted by address.
    pub inventory: Vec<ModuleInventory>,
    pub outputs: Vec<OutputRow>,
    pub graph: Graph,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    pub later_versions: usize,
    pub history_warning: Option<String>,
    pub drift: Drift,
    /// `None`: not available; `verification_note` says why.
    pub verification: Option<Verification>,
    pub verification_note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Point {
    pub selected_by: String,
    pub version: Option<String>,
    pub serial: u64,
    pub written_by: Option<Author>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub who: String,
    pub when: String,
    pub operation: String,
    pub cairn_version: String,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub resources: usize,
    pub modules: usize,
    pub types: usize,
    pub tainted: usize,
    pub outputs: usize,
    pub versions: usize,
}

#[derive(Debug, Serialize)]
pub struct ModuleInventory {
    /// `module.network`, or empty for the root module.
    pub module: String,
    pub resources: Vec<ResourceRow>,
}

#[derive(Debug, Serialize)]
pub struct ResourceRow {
    pub address: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub provider: String,
    /// Masked like any attribute (an id can be a secret's copy).
    pub id: String,
    /// `ready` or `tainted`.
    pub status: String,
    /// A few identifying attributes (`name`, `arn`, ...), masked.
    pub key_attributes: Vec<KeyAttribute>,
    pub dependencies: Vec<String>,
    /// Paths whose values the report masked.
    pub masked: Vec<String>,
    /// Objects replaced by create-before-destroy not yet deleted.
    pub deposed: usize,
}

#[derive(Debug, Serialize)]
pub struct KeyAttribute {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct OutputRow {
    pub name: String,
    pub value: String,
    pub sensitive: bool,
}

/// The dependency graph: one node per resource, or per module and type
/// when there are too many to read (`collapsed`).
#[derive(Debug, Serialize)]
pub struct Graph {
    pub collapsed: bool,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

#[derive(Debug, Serialize)]
pub struct GraphNode {
    /// The address, or `module.network/aws_subnet` for a group.
    pub id: String,
    pub module: String,
    #[serde(rename = "type")]
    pub type_name: String,
    /// How many resources the node stands for (1 unless collapsed).
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct GraphEdge {
    /// The node that depends ...
    pub from: String,
    /// ... on this one.
    pub to: String,
    /// How many resource dependencies the edge stands for.
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    /// The HTML anchor of this version's diff (`v3`).
    pub anchor: String,
    pub version: String,
    pub stored: Option<String>,
    pub serial: u64,
    pub written_by: Option<Author>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ChangedResource>,
}

#[derive(Debug, Serialize)]
pub struct ChangedResource {
    pub address: String,
    pub changes: Vec<AttributeChange>,
}

#[derive(Debug, Serialize)]
pub struct AttributeChange {
    /// `tags.Env`.
    pub path: String,
    /// Absent when the attribute was added; masked.
    pub before: Option<String>,
    /// Absent when the attribute was removed; masked.
    pub after: Option<String>,
}

/// What the report knows about drift.
#[derive(Debug, Serialize)]
pub struct Drift {
    /// Whether the result of the last `plan --refresh-only` is recorded
    /// anywhere (cairn's plans write nothing: always false today).
    pub plan_recorded: bool,
    pub note: String,
    /// The newest `apply --refresh-only` at or before the point: drift that
    /// was accepted into state, with its diff in the timeline.
    pub last_accepted: Option<DriftAccepted>,
}

#[derive(Debug, Serialize)]
pub struct DriftAccepted {
    pub anchor: String,
    pub version: String,
    pub serial: u64,
    pub when: Option<String>,
    pub who: Option<String>,
    pub changed: usize,
    pub removed: usize,
}
