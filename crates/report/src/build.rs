//! Input -> report: the inventory, the graph, the timeline with per-version
//! diffs and the drift summary, every value passed through [`Secrets`].

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::value::Value;
use cairn_state::{ResourceState, ResourceStatus, StateDiff, StateDocument, WrittenBy};

use crate::graph;
use crate::mask::Secrets;
use crate::model::*;

/// The operation `apply --refresh-only` records: drift accepted into state.
const REFRESH_ONLY: &str = "apply --refresh-only";

/// Key attributes shown per resource, in order of preference; the first
/// few present are shown.
const KEY_ATTRIBUTES: &[&str] = &[
    "name",
    "tags.Name",
    "cidr_block",
    "engine",
    "instance_type",
    "bucket",
    "family",
    "arn",
];
const KEY_ATTRIBUTE_COUNT: usize = 3;
/// Longer key attribute values are cut (the full record is `state show`'s).
const KEY_ATTRIBUTE_WIDTH: usize = 80;

pub fn build(input: &ReportInput) -> (Report, Secrets) {
    let secrets =
        Secrets::collect(std::iter::once(&input.state).chain(input.history.iter().map(|v| &v.doc)));
    let doc = &input.state;
    let inventory = inventory(doc, &secrets);
    let modules = inventory.len();
    let types: BTreeSet<&str> = doc
        .resources
        .values()
        .map(|r| r.type_name.as_str())
        .collect();
    let outputs: Vec<OutputRow> = doc
        .outputs
        .iter()
        .map(|(name, o)| {
            let v = o.value();
            OutputRow {
                name: name.clone(),
                value: secrets.render("", Some(name), &v, &mut Vec::new()),
                sensitive: o.sensitive,
            }
        })
        .collect();
    let timeline = timeline(&input.history, &secrets);
    let drift = drift(&timeline);
    let report = Report {
        format_version: REPORT_FORMAT_VERSION,
        generated_at: input.generated_at.clone(),
        cairn_version: input.cairn_version.clone(),
        stack: doc.stack.clone(),
        env: doc.env.clone(),
        location: input.location.clone(),
        lineage: doc.lineage.clone(),
        point: Point {
            selected_by: input.selected_by.clone(),
            version: input.version_id.clone(),
            serial: doc.serial,
            written_by: doc.written_by.as_ref().map(author),
        },
        summary: Summary {
            resources: doc.resources.len(),
            modules,
            types: types.len(),
            tainted: doc
                .resources
                .values()
                .filter(|r| r.status == ResourceStatus::Tainted)
                .count(),
            outputs: outputs.len(),
            versions: input.history.len(),
        },
        inventory,
        outputs,
        graph: graph::build(doc),
        timeline,
        later_versions: input.later_versions,
        history_warning: input.history_warning.clone(),
        drift,
        verification_note: match &input.verification {
            Some(_) => None,
            None => Some(format!(
                "verification not available{}",
                input
                    .verification_note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_else(|| ": the stored versions were not checked".into())
            )),
        },
        verification: input.verification.clone(),
    };
    (report, secrets)
}

fn author(w: &WrittenBy) -> Author {
    Author {
        who: w.who.clone(),
        when: w.when.clone(),
        operation: w.operation.clone(),
        cairn_version: w.cairn_version.clone(),
    }
}

/// The module path of an address; addresses that do not parse (a state
/// written by a future cairn) are kept, at the root.
pub fn module_of(address: &str) -> String {
    address
        .parse::<cairn_core::Address>()
        .map(|a| a.module_path())
        .unwrap_or_default()
}

fn inventory(doc: &StateDocument, secrets: &Secrets) -> Vec<ModuleInventory> {
    let mut by_module: BTreeMap<String, Vec<ResourceRow>> = BTreeMap::new();
    for (address, rs) in &doc.resources {
        by_module
            .entry(module_of(address))
            .or_default()
            .push(row(address, rs, secrets));
    }
    // The root module sorts first (its path is empty).
    by_module
        .into_iter()
        .map(|(module, resources)| ModuleInventory { module, resources })
        .collect()
}

fn row(address: &str, rs: &ResourceState, secrets: &Secrets) -> ResourceRow {
    let attrs = rs.attributes();
    let mut masked = Vec::new();
    // Every attribute goes through the masker, so `masked` lists every
    // masked path, not just those among the key attributes.
    let mut rendered: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in &attrs {
        rendered.insert(k.as_str(), secrets.render(k, Some(k), v, &mut masked));
    }
    let id = secrets.render(
        "id",
        Some("id"),
        &Value::from(rs.id.as_str()),
        &mut Vec::new(),
    );
    let mut key_attributes = Vec::new();
    for name in KEY_ATTRIBUTES {
        if key_attributes.len() == KEY_ATTRIBUTE_COUNT {
            break;
        }
        let value = match name.split_once('.') {
            Some((map, key)) => attrs
                .get(map)
                .and_then(|m| m.unmarked().as_map())
                .and_then(|m| m.get(key))
                .map(|v| secrets.render(name, Some(key), v, &mut Vec::new()))
                .filter(|_| !attrs.get(map).is_some_and(Value::is_sensitive)),
            None => rendered.get(name).cloned(),
        };
        if let Some(value) = value.filter(|v| v != "null" && v != "\"\"") {
            key_attributes.push(KeyAttribute {
                name: name.to_string(),
                value: cut(&unquote(&value), KEY_ATTRIBUTE_WIDTH),
            });
        }
    }
    ResourceRow {
        address: address.to_string(),
        type_name: rs.type_name.clone(),
        provider: rs.provider.clone(),
        id: unquote(&id),
        status: match rs.status {
            ResourceStatus::Ready => "ready".into(),
            ResourceStatus::Tainted => "tainted".into(),
        },
        key_attributes,
        dependencies: rs.dependencies.clone(),
        masked,
        deposed: rs.deposed.len(),
    }
}

/// `"abc"` -> `abc`: a table cell needs no quotes around a plain string.
fn unquote(s: &str) -> String {
    match s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') && !inner.contains('\\') => inner.to_string(),
        _ => s.to_string(),
    }
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

/// Newest first, each against the version before it (the oldest against
/// nothing: everything in it counts as added).
fn timeline(history: &[VersionInput], secrets: &Secrets) -> Vec<TimelineEntry> {
    let mut out = Vec::with_capacity(history.len());
    for (i, v) in history.iter().enumerate() {
        let empty;
        let older = match i.checked_sub(1).and_then(|j| history.get(j)) {
            Some(o) => &o.doc,
            None => {
                empty = StateDocument {
                    resources: Default::default(),
                    ..v.doc.clone()
                };
                &empty
            }
        };
        let d = StateDiff::between(older, &v.doc);
        let changed = d
            .changed
            .iter()
            .map(|c| ChangedResource {
                address: c.address.clone(),
                changes: c
                    .changes
                    .iter()
                    .map(|ch| {
                        let key = ch.path.rsplit(['.', '[']).next();
                        let shown = |v: &Option<Value>| {
                            v.as_ref()
                                .map(|v| secrets.render(&ch.path, key, v, &mut Vec::new()))
                        };
                        // A path under a secret-named key (`master_user_secret.arn`)
                        // is masked whole too.
                        let under_secret = ch.path.split(['.', '[']).any(crate::mask::secret_key);
                        let mask = |s: Option<String>| {
                            s.map(|s| {
                                if under_secret && s.starts_with('"') {
                                    crate::mask::MASK.to_string()
                                } else {
                                    s
                                }
                            })
                        };
                        AttributeChange {
                            path: ch.path.clone(),
                            before: mask(shown(&ch.before)),
                            after: mask(shown(&ch.after)),
                        }
                    })
                    .collect(),
            })
            .collect();
        out.push(TimelineEntry {
            anchor: format!("v{}", i + 1),
            version: v.id.clone(),
            stored: v.stored.clone(),
            serial: v.doc.serial,
            written_by: v.doc.written_by.as_ref().map(author),
            added: d.added,
            removed: d.removed,
            changed,
        });
    }
    out.reverse();
    out
}

fn drift(timeline: &[TimelineEntry]) -> Drift {
    let last_accepted = timeline
        .iter()
        .find(|e| {
            e.written_by
                .as_ref()
                .is_some_and(|w| w.operation == REFRESH_ONLY)
        })
        .map(|e| DriftAccepted {
            anchor: e.anchor.clone(),
            version: e.version.clone(),
            serial: e.serial,
            when: e.written_by.as_ref().map(|w| w.when.clone()),
            who: e.written_by.as_ref().map(|w| w.who.clone()),
            changed: e.changed.len(),
            removed: e.removed.len(),
        });
    Drift {
        plan_recorded: false,
        note: "not recorded: `cairn plan --refresh-only` writes nothing, so the drift it last found is not kept anywhere; drift accepted with `cairn apply --refresh-only` is a state version, shown below when there is one".into(),
        last_accepted,
    }
}
