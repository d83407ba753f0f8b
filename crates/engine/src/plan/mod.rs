//! Planning: desired (configuration) against live (refreshed state) per
//! resource instance, in graph order so that references see what their
//! targets will look like. Moves and imports are applied to the state the
//! plan starts from; count/for_each and module instances are expanded as
//! the walk reaches them. Drift (live against last recorded) is kept apart
//! from change (configuration against live). A plan is pure data.

use std::collections::HashMap;

use cairn_core::{Address, Object, Providers, Target, Value};
use cairn_lang::{Diagnostic, Scope, Stack};
use cairn_state::StateDocument;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::graph::{ConfigGraph, NodeKind};
pub use crate::moves::Move;

mod adoption;
mod drift;
mod imports;
mod lifecycle;
mod walk;

use crate::refresh::{refresh, Refreshed};
use crate::targets::Selection;
use crate::values::Values;
use adoption::mark_adoptions;
use drift::{drift_and_current, record_refreshed};
pub use imports::block_of;
use imports::read_imports;
use lifecycle::{
    check_deletion_protection, check_prevent_destroy, propagate_create_before_destroy,
    record_lifecycle,
};
use walk::Walk;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Destroy, then create (or the other way round with create_before_destroy).
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
    /// The block is still configured but this instance is not: its key
    /// left `for_each`, its index is past `count`, or its module instance
    /// is gone (the text says which).
    NoInstance(String),
    /// `cairn destroy`.
    Destroy,
    /// An object an interrupted apply created and never recorded, found by
    /// its ownership tags: apply takes it over instead of creating another.
    Adopt(String),
    /// `lifecycle.replace_triggered_by`: this reference changes.
    ReplaceTriggeredBy(String),
    /// The previous object of a create-before-destroy replacement, whose
    /// deletion did not complete.
    Deposed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceChange {
    pub address: Address,
    pub type_name: String,
    /// The provider configuration: `aws`, or an alias such as `aws.prod_db`.
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
    /// Recorded at another address before this plan (`moved`, or count added or removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
    /// Imported into state by this plan, from this id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importing: Option<String>,
    /// A replacement creates the new object before deleting the old.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// Deletes the deposed object with this id, not the current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
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
    /// One entry per resource instance in configuration or state (and per
    /// deposed object), sorted by address.
    pub changes: Vec<ResourceChange>,
    pub drift: Vec<Drift>,
    pub outputs: Vec<OutputChange>,
    /// Objects recorded under a new address by this plan.
    #[serde(default)]
    pub moves: Vec<Move>,
    /// `--target` and `--exclude` as given: the plan covers only part of
    /// the configuration.
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub excludes: Vec<String>,
    /// The state the plan was made against, refreshed, with moves and
    /// imports applied: apply starts from it.
    pub state: StateDocument,
    /// Whether state existed at all before this plan.
    pub state_existed: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub import: usize,
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for ch in &self.changes {
            if ch.importing.is_some() {
                c.import += 1;
            }
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
        self.changes
            .iter()
            .any(|c| c.action != Action::NoOp || c.importing.is_some())
            || !self.moves.is_empty()
    }

    /// Anything apply would do: resource changes, moves, imports, output
    /// changes (for a refresh-only plan: drift to record).
    pub fn has_changes(&self) -> bool {
        if self.refresh_only {
            return !self.drift.is_empty();
        }
        self.has_resource_changes() || self.outputs.iter().any(OutputChange::is_change)
    }

    pub fn change(&self, address: &str) -> Option<&ResourceChange> {
        self.changes
            .iter()
            .find(|c| c.address.to_string() == address && c.deposed.is_none())
    }
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Read every resource in state from AWS first (`--refresh=false` turns
    /// it off: plan against state alone, with no network call).
    pub refresh: bool,
    /// Plan the deletion of everything in state.
    pub destroy: bool,
    /// Report only drift (state against live); plan no configuration change.
    pub refresh_only: bool,
    /// `--target`: only these and what they depend on.
    pub targets: Vec<Target>,
    /// `--exclude`: not these, nor what depends on them.
    pub excludes: Vec<Target>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            refresh: true,
            destroy: false,
            refresh_only: false,
            targets: Vec::new(),
            excludes: Vec::new(),
        }
    }
}

fn is_data(address: &str) -> bool {
    Address::text_is_data(address)
}

/// The default tags of a provider configuration.
pub(crate) fn default_tags(stack: &Stack, provider: &str) -> cairn_core::tags::Tags {
    stack
        .providers
        .get(provider)
        .map(|p| p.default_tags.clone())
        .unwrap_or_default()
}

pub async fn plan(
    stack: &Stack,
    graph: &ConfigGraph,
    providers: &Providers,
    prior: Option<StateDocument>,
    opts: PlanOptions,
) -> Result<Plan, EngineError> {
    let state_existed = prior.is_some();
    let mut state = prior.unwrap_or_else(|| StateDocument::new(&stack.name, stack.env.as_deref()));
    let selection = Selection::new(stack, graph, &opts.targets, &opts.excludes);
    check_targets(stack, graph, &state, &opts)?;
    let mut moves = if opts.destroy || opts.refresh_only {
        Vec::new()
    } else {
        crate::moves::apply_moved_blocks(&mut state, &stack.moved).map_err(EngineError::Config)?
    };
    let refreshed: Option<Refreshed> = if opts.refresh && !state.resources.is_empty() {
        Some(refresh(&state, providers, stack).await?)
    } else {
        None
    };
    let (drift, mut current) = drift_and_current(stack, providers, &state, refreshed.as_ref())?;
    if refreshed.is_some() {
        record_refreshed(&mut state, &current);
    }
    if opts.refresh_only {
        return Ok(Plan {
            stack: stack.name.clone(),
            env: stack.env.clone(),
            destroy: false,
            refresh_only: true,
            changes: Vec::new(),
            drift,
            outputs: Vec::new(),
            moves: Vec::new(),
            targets: Vec::new(),
            excludes: Vec::new(),
            state,
            state_existed,
        });
    }
    let imports = if opts.destroy {
        HashMap::new()
    } else {
        read_imports(
            stack,
            providers,
            &mut state,
            &mut current,
            &selection,
            opts.refresh,
        )
        .await?
    };

    let mut walk = Walk::new(
        stack, graph, providers, &opts, &selection, state, current, imports, &mut moves,
    );
    let mut values = Values::for_plan(stack, graph);
    if !opts.destroy {
        for (ni, node) in graph.ordered() {
            walk.report(values.ensure(ni));
            if let NodeKind::Resource(_) = &node.kind {
                walk.resource(&mut values, ni).await;
            }
        }
    }
    let (mut changes, mut state) = walk.finish()?;
    propagate_create_before_destroy(&mut changes);
    check_prevent_destroy(stack, &state, &changes)?;
    check_deletion_protection(stack, providers, &changes)?;
    changes.sort_by(|a, b| a.address.cmp(&b.address).then(a.deposed.cmp(&b.deposed)));
    if opts.refresh {
        mark_adoptions(&mut changes, &state, providers, &stack.qualified_name()).await;
    }
    record_lifecycle(stack, &mut state);
    let outputs = if opts.destroy || selection.is_partial() {
        Vec::new()
    } else {
        stack
            .root()
            .outputs
            .iter()
            .map(|o| OutputChange {
                name: o.name.clone(),
                before: state.outputs.get(&o.name).map(|s| s.value()),
                after: values.output(&o.name).cloned().unwrap_or(Value::Unknown),
            })
            .collect()
    };
    Ok(Plan {
        stack: stack.name.clone(),
        env: stack.env.clone(),
        destroy: opts.destroy,
        refresh_only: false,
        changes,
        drift,
        outputs,
        moves,
        targets: opts.targets.iter().map(|t| t.to_string()).collect(),
        excludes: opts.excludes.iter().map(|t| t.to_string()).collect(),
        state,
        state_existed,
    })
}

/// A `--target` or `--exclude` that names nothing is a mistake to report,
/// not an empty plan.
fn check_targets(
    stack: &Stack,
    graph: &ConfigGraph,
    state: &StateDocument,
    opts: &PlanOptions,
) -> Result<(), EngineError> {
    let mut errors = Vec::new();
    for (flag, list) in [("--target", &opts.targets), ("--exclude", &opts.excludes)] {
        for t in list.iter() {
            let in_state = state
                .resources
                .keys()
                .filter_map(|k| k.parse::<Address>().ok())
                .any(|a| t.matches(&a));
            let in_config = graph
                .graph
                .node_indices()
                .any(|n| crate::targets::names_node(stack, graph, t, n));
            if !in_state && !in_config {
                errors.push(
                    Diagnostic::new(format!(
                        "{flag} {t}: nothing in the configuration or the state has this address"
                    ))
                    .hint("see `cairn state list` for what state records"),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Config(errors))
    }
}

/// Evaluates an output. A sensitive value in an output not declared
/// `sensitive = true` is an error, so a secret cannot reach `cairn output`
/// unnoticed.
pub fn evaluate_output(
    o: &cairn_lang::OutputBlock,
    scope: &dyn Scope,
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
