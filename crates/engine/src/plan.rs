//! Planning: desired (configuration) against live (refreshed state) per
//! resource, in dependency order so that references see what their targets
//! will look like. Drift (live against last recorded) is kept apart from
//! change (configuration against live). A plan is pure data.

use std::collections::BTreeMap;

use cairn_core::provider::ReadContext;
use cairn_core::{Address, Object, Registry, Value};
use cairn_lang::{Diagnostic, Stack};
use cairn_state::{ResourceStatus, StateDocument};
use serde::{Deserialize, Serialize};

use crate::diff::{diff, same};
use crate::error::EngineError;
use crate::graph::ConfigGraph;
use crate::refresh::{refresh, Refreshed};
use crate::scope::{evaluate, mark_sensitive, planned_new, Objects};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Destroy, then create (the default for force-new changes).
    Replace,
    Delete,
    /// A data source whose arguments are known only during apply.
    Read,
}

impl Action {
    pub fn verb(&self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// These changed attributes cannot be updated in place.
    ForceNew(Vec<String>),
    /// Recorded in state but deleted outside cairn: it will be created again.
    Gone,
    /// A previous apply created it but could not finish configuring it.
    Tainted,
    /// In state but no longer in the configuration.
    NotInConfig,
    /// `cairn destroy`.
    Destroy,
    /// An object an interrupted apply created and never recorded, found by
    /// its ownership tags: apply takes it over instead of creating another.
    Adopt(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: Address,
    pub type_name: String,
    pub provider: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
    /// The id of the existing object (updates, replaces, deletes).
    pub id: Option<String>,
    pub before: Option<Object>,
    /// The planned attributes, with `Unknown` for what apply will tell.
    pub after: Option<Object>,
    /// Attributes that change (updates and replaces).
    pub changed: Vec<String>,
    /// Resources this one depends on: from the configuration for creates and
    /// updates, from state for deletes.
    pub dependencies: Vec<Address>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// Deleted outside cairn.
    Deleted,
    /// These attributes differ from what state recorded.
    Changed(Vec<String>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Drift {
    pub address: Address,
    pub type_name: String,
    pub kind: DriftKind,
    pub before: Object,
    pub after: Option<Object>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Value,
}

impl OutputChange {
    pub fn is_change(&self) -> bool {
        match &self.before {
            Some(b) => !b.same_as(&self.after) || b.is_sensitive() != self.after.is_sensitive(),
            None => true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub stack: String,
    pub env: Option<String>,
    pub destroy: bool,
    /// Only drift: no configuration changes; applying it records the
    /// refreshed state.
    #[serde(default)]
    pub refresh_only: bool,
    /// One entry per resource in configuration or state, sorted by address.
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub outputs: Vec<OutputChange>,
    /// The state the plan was made against, refreshed: apply starts from it.
    pub state: StateDocument,
    /// Whether state existed at all before this plan.
    pub state_existed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for ch in &self.changes {
            match ch.action {
                Action::Create => c.add += 1,
                Action::Update => c.change += 1,
                Action::Replace => {
                    c.add += 1;
                    c.destroy += 1
                }
                Action::Delete => c.destroy += 1,
                Action::NoOp | Action::Read => {}
            }
        }
        c
    }

    pub fn has_resource_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// Anything apply would do: resource changes or output changes (for a
    /// refresh-only plan: drift to record).
    pub fn has_changes(&self) -> bool {
        if self.refresh_only {
            return !self.drift.is_empty();
        }
        self.has_resource_changes() || self.outputs.iter().any(OutputChange::is_change)
    }

    pub fn change(&self, address: &str) -> Option<&ResourceChange> {
        self.changes
            .iter()
            .find(|c| c.address.to_string() == address)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Read every resource in state from AWS first (`--refresh=false` turns
    /// it off: plan against state alone, with no network call).
    pub refresh: bool,
    /// Plan the deletion of everything in state.
    pub destroy: bool,
    /// Report only drift (state against live); plan no configuration change.
    pub refresh_only: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            refresh: true,
            destroy: false,
            refresh_only: false,
        }
    }
}

pub async fn plan(
    stack: &Stack,
    graph: &ConfigGraph,
    registry: &Registry,
    prior: Option<StateDocument>,
    opts: PlanOptions,
) -> Result<Plan, EngineError> {
    let state_existed = prior.is_some();
    let mut state = prior.unwrap_or_else(|| StateDocument::new(&stack.name, stack.env.as_deref()));
    let default_tags = stack
        .providers
        .get("aws")
        .map(|p| p.default_tags.clone())
        .unwrap_or_default();
    let refreshed: Option<Refreshed> = if opts.refresh && !state.resources.is_empty() {
        Some(refresh(&state, registry, &ReadContext { default_tags }).await?)
    } else {
        None
    };

    let mut drift = Vec::new();
    // What each recorded resource looks like now: refreshed, or as recorded.
    let mut current: BTreeMap<String, Option<Object>> = BTreeMap::new();
    for (addr, rs) in &state.resources {
        let recorded = rs.attributes();
        // Data sources are read again below, not refreshed.
        if is_data(addr) {
            current.insert(addr.clone(), Some(recorded));
            continue;
        }
        let Some(r) = &refreshed else {
            // Not refreshed: live is what was recorded, and there is no drift.
            current.insert(addr.clone(), Some(recorded));
            continue;
        };
        let live = r.get(addr).cloned().flatten();
        if let (Some(schema), Ok(address)) = (
            registry.resource(&rs.type_name).map(|r| r.schema()),
            addr.parse::<Address>(),
        ) {
            match &live {
                None => drift.push(Drift {
                    address,
                    type_name: rs.type_name.clone(),
                    kind: DriftKind::Deleted,
                    before: recorded.clone(),
                    after: None,
                }),
                Some(l) => {
                    // Drift is what someone changed that the configuration
                    // owns: not computed values, and not optional+computed
                    // ones the configuration leaves to others (an SG's rules
                    // made by rule resources, a table's separate routes).
                    let block = stack.resource(&address);
                    let owned = |n: &str, a: &cairn_core::Attribute| {
                        a.is_configurable()
                            && (a.presence != cairn_core::Presence::OptionalComputed
                                || block.is_none_or(|b| b.attributes.contains_key(n)))
                    };
                    let changed: Vec<String> = schema
                        .attributes
                        .iter()
                        .filter(|(n, a)| owned(n, a))
                        .filter(|(n, a)| {
                            let null = Value::Null;
                            !same(
                                &a.ty,
                                recorded.get(**n).unwrap_or(&null),
                                l.get(**n).unwrap_or(&null),
                            )
                        })
                        .map(|(n, _)| n.to_string())
                        .collect();
                    if !changed.is_empty() {
                        drift.push(Drift {
                            address,
                            type_name: rs.type_name.clone(),
                            kind: DriftKind::Changed(changed),
                            before: recorded.clone(),
                            after: Some(l.clone()),
                        });
                    }
                }
            }
        } else {
            return Err(EngineError::BadAddress(addr.clone()));
        }
        current.insert(addr.clone(), live);
    }

    // Apply starts from the refreshed state: live values recorded, resources
    // gone outside cairn forgotten.
    if refreshed.is_some() {
        for (addr, live) in current.iter().filter(|(a, _)| !is_data(a)) {
            match live {
                Some(obj) => {
                    if let Some(rs) = state.resources.get_mut(addr) {
                        let mut updated = cairn_state::ResourceState::new(
                            &rs.type_name,
                            &rs.provider,
                            &rs.id,
                            obj,
                            rs.dependencies.clone(),
                        );
                        updated.status = rs.status;
                        *rs = updated;
                    }
                }
                None => {
                    state.resources.remove(addr);
                }
            }
        }
    }

    let mut changes = Vec::new();
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut read_errors = Vec::new();
    let mut objects = Objects::default();

    let blocks = stack.resource_index();
    if opts.refresh_only {
        return Ok(Plan {
            stack: stack.name.clone(),
            env: stack.env.clone(),
            destroy: false,
            refresh_only: true,
            changes: Vec::new(),
            drift,
            outputs: Vec::new(),
            state,
            state_existed,
        });
    }
    if !opts.destroy {
        for address in graph.ordered() {
            let Some(block) = blocks.get(address).copied() else {
                continue;
            };
            if address.is_data() {
                let Some(source) = registry.data_source(&address.type_name) else {
                    continue;
                };
                let desired = match evaluate(block, source.schema(), &objects) {
                    Ok(d) => d,
                    Err(mut e) => {
                        diagnostics.append(&mut e);
                        continue;
                    }
                };
                let key = address.to_string();
                let known = desired.attrs.values().all(Value::is_wholly_known);
                let recorded = state.resources.get(&key).map(|r| r.attributes());
                let deps: Vec<Address> = graph.dependencies(address).into_iter().cloned().collect();
                let read = if known && opts.refresh {
                    match source.read(&desired.attrs).await {
                        Ok(obj) => Some(obj),
                        Err(error) => {
                            read_errors.push(crate::error::OperationError {
                                address: address.clone(),
                                action: "read",
                                error,
                            });
                            // Its dependents see unknowns, not a cascade of
                            // "no value" errors hiding the cause.
                            objects.set(address.clone(), &planned_new(source.schema(), &desired));
                            continue;
                        }
                    }
                } else if !opts.refresh {
                    // No network: what the last apply read, if anything.
                    recorded
                } else {
                    None
                };
                match read {
                    Some(mut obj) => {
                        mark_sensitive(source.schema(), &mut obj);
                        let id = obj
                            .get("id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        state.resources.insert(
                            key,
                            cairn_state::ResourceState::new(
                                &address.type_name,
                                &block.provider,
                                &id,
                                &obj,
                                deps.iter().map(|d| d.to_string()).collect(),
                            ),
                        );
                        objects.set(address.clone(), &obj);
                    }
                    None => {
                        // Read during apply, once its arguments are known.
                        let after = planned_new(source.schema(), &desired);
                        objects.set(address.clone(), &after);
                        changes.push(ResourceChange {
                            address: address.clone(),
                            type_name: address.type_name.clone(),
                            provider: block.provider.clone(),
                            action: Action::Read,
                            reasons: Vec::new(),
                            id: None,
                            before: None,
                            after: Some(after),
                            changed: Vec::new(),
                            dependencies: deps,
                        });
                    }
                }
                continue;
            }
            let Some(resource) = registry.resource(&address.type_name) else {
                continue;
            };
            let schema = resource.schema();
            let desired = match evaluate(block, schema, &objects) {
                Ok(d) => d,
                Err(mut e) => {
                    diagnostics.append(&mut e);
                    continue;
                }
            };
            let key = address.to_string();
            let recorded = state.resources.get(&key);
            let live = current.get(&key).cloned().flatten();
            let dependencies: Vec<Address> =
                graph.dependencies(address).into_iter().cloned().collect();
            let mut change = ResourceChange {
                address: address.clone(),
                type_name: address.type_name.clone(),
                provider: block.provider.clone(),
                action: Action::NoOp,
                reasons: Vec::new(),
                id: recorded.map(|r| r.id.clone()),
                before: live.clone(),
                after: None,
                changed: Vec::new(),
                dependencies,
            };
            match (&live, recorded) {
                (Some(live), Some(rs)) if rs.status == ResourceStatus::Tainted => {
                    change.action = Action::Replace;
                    change.reasons.push(Reason::Tainted);
                    change.changed = diff(
                        schema,
                        &desired.attrs,
                        &|n| desired.configured.contains(n),
                        live,
                    )
                    .changed;
                    change.after = Some(planned_new(schema, &desired));
                }
                (Some(live), _) => {
                    let mut d = diff(
                        schema,
                        &desired.attrs,
                        &|n| desired.configured.contains(n),
                        live,
                    );
                    for extra in resource.replaces_on(&desired.attrs, &d.changed) {
                        if !d.force_new.contains(&extra) {
                            d.force_new.push(extra);
                        }
                    }
                    if !d.force_new.is_empty() {
                        change.action = Action::Replace;
                        change.reasons.push(Reason::ForceNew(d.force_new.clone()));
                        change.after = Some(planned_new(schema, &desired));
                    } else if !d.is_empty() {
                        change.action = Action::Update;
                        let mut after = live.clone();
                        for name in &d.changed {
                            after.insert(
                                name.clone(),
                                desired.attrs.get(name).cloned().unwrap_or_default(),
                            );
                        }
                        // tags_all is tags over default_tags: it changes with tags.
                        if d.changed.iter().any(|c| c == "tags") && schema.get("tags_all").is_some()
                        {
                            after.insert("tags_all".into(), Value::Unknown);
                        }
                        change.after = Some(after);
                    } else {
                        change.after = Some(live.clone());
                    }
                    change.changed = d.changed;
                }
                (None, recorded) => {
                    change.action = Action::Create;
                    if recorded.is_some() || current.contains_key(&key) {
                        change.reasons.push(Reason::Gone);
                        change.before = None;
                    }
                    change.id = None;
                    change.after = Some(planned_new(schema, &desired));
                }
            }
            if let Some(after) = &change.after {
                objects.set(address.clone(), after);
            }
            changes.push(change);
        }
    }
    // A failed read is the cause of anything that went wrong after it.
    if !read_errors.is_empty() {
        return Err(EngineError::Operations(read_errors));
    }
    if !diagnostics.is_empty() {
        return Err(EngineError::Config(diagnostics));
    }
    // Data sources no longer configured (or all, for destroy) are simply
    // forgotten: there is nothing to delete.
    let stale: Vec<String> = state
        .resources
        .keys()
        .filter(|k| is_data(k))
        .filter(|k| {
            opts.destroy
                || k.parse::<Address>()
                    .map_or(true, |a| !blocks.contains_key(&a))
        })
        .cloned()
        .collect();
    for k in stale {
        state.resources.remove(&k);
    }

    // Everything in state that the configuration no longer has (or all of
    // it, for destroy) is deleted.
    for (key, rs) in &state.resources {
        let address: Address = key
            .parse()
            .map_err(|_| EngineError::BadAddress(key.clone()))?;
        if !opts.destroy && blocks.contains_key(&address) {
            continue;
        }
        changes.push(ResourceChange {
            type_name: rs.type_name.clone(),
            provider: rs.provider.clone(),
            action: Action::Delete,
            reasons: vec![if opts.destroy {
                Reason::Destroy
            } else {
                Reason::NotInConfig
            }],
            id: Some(rs.id.clone()),
            before: current.get(key).cloned().flatten(),
            after: None,
            changed: Vec::new(),
            dependencies: rs
                .dependencies
                .iter()
                .filter_map(|d| d.parse().ok())
                .collect(),
            address,
        });
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    if opts.refresh {
        mark_adoptions(&mut changes, &state, registry, &stack.qualified_name()).await?;
    }

    let outputs = if opts.destroy {
        Vec::new()
    } else {
        plan_outputs(stack, &state, &objects)?
    };
    Ok(Plan {
        stack: stack.name.clone(),
        env: stack.env.clone(),
        destroy: opts.destroy,
        refresh_only: false,
        changes,
        drift,
        outputs,
        state,
        state_existed,
    })
}

/// Creates whose object already exists, tagged with this stack and address
/// but missing from state (an apply died between creating and recording
/// it), say so: one ownership listing per type that has creates.
async fn mark_adoptions(
    changes: &mut [ResourceChange],
    state: &StateDocument,
    registry: &Registry,
    stack: &str,
) -> Result<(), EngineError> {
    let mut types: Vec<&str> = changes
        .iter()
        .filter(|c| c.action == Action::Create && !c.address.is_data())
        .map(|c| c.type_name.as_str())
        .collect();
    types.sort_unstable();
    types.dedup();
    let known: std::collections::HashSet<&str> =
        state.resources.values().map(|r| r.id.as_str()).collect();
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for t in types {
        let Some(resource) = registry.resource(t) else {
            continue;
        };
        // The notice is a courtesy: apply adopts leftovers either way, so a
        // failed listing only costs the notice.
        let owned = match resource.owned_by_stack(stack).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("could not list {t} objects left by an interrupted apply: {e}");
                continue;
            }
        };
        for (address, id) in owned {
            if !known.contains(id.as_str()) {
                found.insert(address, id);
            }
        }
    }
    for c in changes.iter_mut().filter(|c| c.action == Action::Create) {
        if let Some(id) = found.get(&c.address.to_string()) {
            c.reasons.push(Reason::Adopt(id.clone()));
        }
    }
    Ok(())
}

fn is_data(address: &str) -> bool {
    address.starts_with("data.") || address.contains(".data.")
}

fn plan_outputs(
    stack: &Stack,
    state: &StateDocument,
    objects: &Objects,
) -> Result<Vec<OutputChange>, EngineError> {
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    for o in &stack.outputs {
        match evaluate_output(o, objects) {
            Ok(after) => out.push(OutputChange {
                name: o.name.clone(),
                before: state.outputs.get(&o.name).map(|s| s.value()),
                after,
            }),
            Err(d) => diagnostics.push(d),
        }
    }
    if diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(EngineError::Config(diagnostics))
    }
}

/// Evaluates an output. A sensitive value in an output not declared
/// `sensitive = true` is an error, so a secret cannot reach `cairn output`
/// unnoticed.
pub fn evaluate_output(
    o: &cairn_lang::OutputBlock,
    scope: &dyn cairn_lang::Scope,
) -> Result<Value, Diagnostic> {
    let v = o
        .value
        .eval(scope)
        .map_err(|e| Diagnostic::at(e.message, e.span))?;
    if v.contains_sensitive() && !o.sensitive {
        return Err(Diagnostic::at(
            format!("output `{}` refers to a sensitive value", o.name),
            o.value.span,
        )
        .hint("add `sensitive = true` to the output if showing it masked is intended"));
    }
    Ok(if o.sensitive { Value::sensitive(v) } else { v })
}
