//! Planning: desired (configuration) against live (refreshed state) per
//! resource instance, in graph order so that references see what their
//! targets will look like. Moves and imports are applied to the state the
//! plan starts from; count/for_each and module instances are expanded as
//! the walk reaches them. Drift (live against last recorded) is kept apart
//! from change (configuration against live). A plan is pure data.

use std::collections::{BTreeMap, HashMap, HashSet};

use cairn_core::provider::ReadContext;
use cairn_core::{Address, Object, Providers, ReadOutcome, Target, Value};
use cairn_lang::{Diagnostic, ModuleNode, ResourceBlock, Scope, Stack};
use cairn_state::{ResourceState, ResourceStatus, StateDocument};
use petgraph::graph::NodeIndex;
use serde::{Deserialize, Serialize};

use crate::desired::{evaluate, ignore_changes, mark_sensitive, planned_new, Desired};
use crate::diff::{diff, same};
use crate::error::{EngineError, OperationError};
use crate::graph::{ConfigGraph, NodeKind};
pub use crate::moves::Move;
use crate::refresh::{refresh, Refreshed};
use crate::targets::Selection;
use crate::values::{Repeat, Values};

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
    address.starts_with("data.") || address.contains(".data.")
}

fn default_tags(stack: &Stack, provider: &str) -> cairn_core::tags::Tags {
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

    let mut walk = Walk {
        stack,
        graph,
        providers,
        opts: &opts,
        selection: &selection,
        state,
        current,
        imports,
        moves: &mut moves,
        changes: Vec::new(),
        planned: HashSet::new(),
        index: HashMap::new(),
        diagnostics: Vec::new(),
        read_errors: Vec::new(),
        instance_cache: HashMap::new(),
    };
    let mut values = Values::for_plan(stack, graph);
    if !opts.destroy {
        for (ni, node) in graph.ordered() {
            let errors = values.ensure(ni);
            walk.diagnostics.extend(errors);
            if let NodeKind::Resource(_) = &node.kind {
                walk.resource(&mut values, ni).await;
            }
        }
    }
    // A failed read is the cause of anything that went wrong after it.
    if !walk.read_errors.is_empty() {
        return Err(EngineError::Operations(walk.read_errors));
    }
    if !walk.diagnostics.is_empty() {
        return Err(EngineError::Config(walk.diagnostics));
    }
    walk.forget_stale_data();
    walk.delete_the_rest()?;
    walk.deposed();
    let Walk {
        mut changes,
        mut state,
        ..
    } = walk;
    propagate_create_before_destroy(&mut changes);
    check_prevent_destroy(stack, &state, &changes)?;
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

/// Per state address: what the object looks like now (`None`: gone).
type Current = BTreeMap<String, Option<Object>>;

/// Drift (live against recorded) per resource, and what each recorded
/// resource looks like now: refreshed, or as recorded.
fn drift_and_current(
    stack: &Stack,
    providers: &Providers,
    state: &StateDocument,
    refreshed: Option<&Refreshed>,
) -> Result<(Vec<Drift>, Current), EngineError> {
    let mut drift = Vec::new();
    let mut current = Current::new();
    for (addr, rs) in &state.resources {
        let recorded = rs.attributes();
        let Some(r) = refreshed.filter(|_| !is_data(addr)) else {
            // Data sources are read again below; without a refresh, live is
            // what was recorded and there is no drift.
            current.insert(addr.clone(), Some(recorded));
            continue;
        };
        let live = r.get(addr).cloned().flatten();
        let address: Address = addr
            .parse()
            .map_err(|_| EngineError::BadAddress(addr.clone()))?;
        let Some(schema) = providers
            .schemas()
            .resource(&rs.type_name)
            .map(|r| r.schema())
        else {
            return Err(EngineError::BadAddress(addr.clone()));
        };
        match &live {
            None => drift.push(Drift {
                address,
                type_name: rs.type_name.clone(),
                kind: DriftKind::Deleted,
                before: recorded.clone(),
                after: None,
            }),
            Some(l) => {
                // Drift is what someone changed that the configuration owns:
                // not computed values, and not optional+computed ones the
                // configuration leaves to others (an SG's rules made by rule
                // resources, a table's separate routes).
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
        current.insert(addr.clone(), live);
    }
    Ok((drift, current))
}

/// Apply starts from the refreshed state: live values recorded, resources
/// gone outside cairn forgotten.
fn record_refreshed(state: &mut StateDocument, current: &Current) {
    for (addr, live) in current.iter().filter(|(a, _)| !is_data(a)) {
        match live {
            Some(obj) => {
                if let Some(rs) = state.resources.get_mut(addr) {
                    let mut updated = ResourceState::new(
                        &rs.type_name,
                        &rs.provider,
                        &rs.id,
                        obj,
                        rs.dependencies.clone(),
                    );
                    updated.status = rs.status;
                    updated.prevent_destroy = rs.prevent_destroy;
                    updated.deposed = std::mem::take(&mut rs.deposed);
                    *rs = updated;
                }
            }
            None => {
                state.resources.remove(addr);
            }
        }
    }
}

/// `[[import]]` blocks whose address state does not have yet: each object
/// is read now and recorded in the state apply starts from, so the plan
/// diffs the configuration against it.
async fn read_imports(
    stack: &Stack,
    providers: &Providers,
    state: &mut StateDocument,
    current: &mut Current,
    selection: &Selection,
    refresh: bool,
) -> Result<HashMap<String, String>, EngineError> {
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    for import in &stack.imports {
        let key = import.to.to_string();
        if state.resources.contains_key(&key)
            || !selection.includes_recorded(&import.to) && selection.is_partial()
        {
            continue;
        }
        if !refresh {
            return Err(EngineError::Config(vec![Diagnostic::at(
                format!(
                    "importing `{key}` needs to read it from AWS, which --refresh=false forbids"
                ),
                import.span,
            )
            .hint("plan without --refresh=false")]));
        }
        let Some((node, block)) = block_of(stack, &import.to) else {
            continue;
        };
        let provider = stack.provider_of(node, block);
        let Some(resource) = providers.resource(&provider, &import.to.type_name) else {
            continue;
        };
        let ctx = ReadContext {
            default_tags: default_tags(stack, &provider),
        };
        match resource.import(&import.id, &ctx).await {
            Ok(ReadOutcome::Live(mut obj)) => {
                mark_sensitive(resource.schema(), &mut obj);
                let id = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or(&import.id)
                    .to_string();
                state.resources.insert(
                    key.clone(),
                    ResourceState::new(&import.to.type_name, &provider, &id, &obj, Vec::new()),
                );
                current.insert(key.clone(), Some(obj));
                out.insert(key, import.id.clone());
            }
            Ok(ReadOutcome::Gone) => errors.push(
                Diagnostic::at(
                    format!(
                        "cannot import `{key}`: no {} with id `{}` exists",
                        import.to.type_name, import.id
                    ),
                    import.span,
                )
                .hint("check the id (and the provider's account and region)"),
            ),
            Err(error) => {
                return Err(EngineError::Operations(vec![OperationError {
                    address: import.to.clone(),
                    action: "import",
                    error,
                }]))
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(EngineError::Config(errors))
    }
}

/// The configured block (and where in the module tree) of an address.
pub fn block_of<'s>(stack: &'s Stack, a: &Address) -> Option<(&'s ModuleNode, &'s ResourceBlock)> {
    let path: Vec<String> = a.module.iter().map(|s| s.name.clone()).collect();
    let (_, node) = stack.module_at(&path)?;
    Some((node, stack.resource(a)?))
}

struct Walk<'p> {
    stack: &'p Stack,
    graph: &'p ConfigGraph,
    providers: &'p Providers,
    opts: &'p PlanOptions,
    selection: &'p Selection,
    state: StateDocument,
    current: Current,
    /// Address -> the id imported this plan.
    imports: HashMap<String, String>,
    moves: &'p mut Vec<Move>,
    changes: Vec<ResourceChange>,
    /// Every configured instance address (planned or left out by targets).
    planned: HashSet<String>,
    /// Address -> its change, for replace_triggered_by.
    index: HashMap<String, usize>,
    diagnostics: Vec<Diagnostic>,
    read_errors: Vec<OperationError>,
    /// Resource node -> the addresses of its instances.
    instance_cache: HashMap<NodeIndex, Vec<Address>>,
}

impl Walk<'_> {
    /// The addresses of every instance of a resource node.
    fn instances_of(&mut self, values: &Values, n: NodeIndex) -> Vec<Address> {
        if let Some(v) = self.instance_cache.get(&n) {
            return v.clone();
        }
        let node = &self.graph.graph[n];
        let NodeKind::Resource(r) = &node.kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, inst) in values.instances(node.tree).iter().enumerate() {
            let Some(e) = values.expansion(node.tree, i, r) else {
                continue;
            };
            for (key, _) in e.instances() {
                out.push(Address {
                    module: inst.path.clone(),
                    mode: r.mode,
                    type_name: r.type_name.clone(),
                    name: r.name.clone(),
                    key,
                });
            }
        }
        self.instance_cache.insert(n, out.clone());
        out
    }

    async fn resource(&mut self, values: &mut Values<'_>, n: NodeIndex) {
        let node = self.graph.graph[n].clone();
        let NodeKind::Resource(r) = &node.kind else {
            return;
        };
        let stack = self.stack;
        let tree_node = &stack.tree[node.tree];
        let Some(block) = stack.modules[tree_node.module].resource(r) else {
            return;
        };
        let provider = stack.provider_of(tree_node, block);
        let mut dependencies: Vec<Address> = Vec::new();
        for d in self.graph.resource_dependencies(n).to_vec() {
            dependencies.extend(self.instances_of(values, d));
        }
        dependencies.sort();
        let instances: Vec<(usize, Option<cairn_core::InstanceKey>, Repeat)> =
            (0..values.instances(node.tree).len())
                .flat_map(|i| {
                    values
                        .expansion(node.tree, i, r)
                        .map(|e| e.instances())
                        .unwrap_or_default()
                        .into_iter()
                        .map(move |(k, rep)| (i, k, rep))
                })
                .collect();
        for (i, key, repeat) in instances {
            let address = Address {
                module: values.instances(node.tree)[i].path.clone(),
                mode: r.mode,
                type_name: r.type_name.clone(),
                name: r.name.clone(),
                key,
            };
            if !address.is_data() {
                let counted = matches!(block.repetition, Some(cairn_lang::Repetition::Count(_)));
                let bare_or_first =
                    address.key.is_none() || address.key == Some(cairn_core::InstanceKey::Int(0));
                if bare_or_first && (block.repetition.is_none() || counted) {
                    if let Some(m) =
                        crate::moves::implied_count_move(&mut self.state, &address, counted)
                    {
                        let (from, to) = (m.from.to_string(), m.to.to_string());
                        if let Some(live) = self.current.remove(&from) {
                            self.current.insert(to, live);
                        }
                        self.moves.push(m);
                    }
                }
            }
            let key_text = address.to_string();
            self.planned.insert(key_text.clone());
            if !self.selection.includes(n, &address) {
                // Left out: its recorded value stands in for references.
                if let Some(obj) = self.current.get(&key_text).cloned().flatten() {
                    values.set_object(&address, Value::Map(obj));
                }
                continue;
            }
            let scope = values.scope(node.tree, i, &repeat);
            let after = if address.is_data() {
                self.data(block, &provider, &address, &scope, &dependencies)
                    .await
            } else {
                self.managed(block, &provider, &address, &scope, &dependencies)
            };
            if let Some(after) = after {
                values.set_object(&address, Value::Map(after));
            }
        }
    }

    async fn data(
        &mut self,
        block: &ResourceBlock,
        provider: &str,
        address: &Address,
        scope: &dyn Scope,
        deps: &[Address],
    ) -> Option<Object> {
        let source = self
            .providers
            .data_source(provider, &address.type_name)?
            .clone();
        let desired = match evaluate(block, source.schema(), scope) {
            Ok(d) => d,
            Err(mut e) => {
                self.diagnostics.append(&mut e);
                return None;
            }
        };
        let key = address.to_string();
        let known = desired.attrs.values().all(Value::is_wholly_known);
        let recorded = self.state.resources.get(&key).map(|r| r.attributes());
        let read = if known && self.opts.refresh {
            match source.read(&desired.attrs).await {
                Ok(obj) => Some(obj),
                Err(error) => {
                    self.read_errors.push(OperationError {
                        address: address.clone(),
                        action: "read",
                        error,
                    });
                    // Its dependents see unknowns, not a cascade of "no
                    // value" errors hiding the cause.
                    return Some(planned_new(source.schema(), &desired));
                }
            }
        } else if !self.opts.refresh {
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
                self.state.resources.insert(
                    key,
                    ResourceState::new(
                        &address.type_name,
                        provider,
                        &id,
                        &obj,
                        deps.iter().map(|d| d.to_string()).collect(),
                    ),
                );
                Some(obj)
            }
            None => {
                // Read during apply, once its arguments are known.
                let after = planned_new(source.schema(), &desired);
                self.push(ResourceChange {
                    address: address.clone(),
                    type_name: address.type_name.clone(),
                    provider: provider.to_string(),
                    action: Action::Read,
                    reasons: Vec::new(),
                    id: None,
                    before: None,
                    after: Some(after.clone()),
                    changed: Vec::new(),
                    dependencies: deps.to_vec(),
                    moved_from: None,
                    importing: None,
                    create_before_destroy: false,
                    deposed: None,
                });
                Some(after)
            }
        }
    }

    fn push(&mut self, c: ResourceChange) {
        self.index.insert(c.address.to_string(), self.changes.len());
        self.changes.push(c);
    }

    fn managed(
        &mut self,
        block: &ResourceBlock,
        provider: &str,
        address: &Address,
        scope: &dyn Scope,
        dependencies: &[Address],
    ) -> Option<Object> {
        let resource = self
            .providers
            .resource(provider, &address.type_name)?
            .clone();
        let schema = resource.schema();
        let mut desired = match evaluate(block, schema, scope) {
            Ok(d) => d,
            Err(mut e) => {
                self.diagnostics.append(&mut e);
                return None;
            }
        };
        // The type's own checks again, now that values the files could not
        // tell (count, for_each, module inputs) are known.
        let issues = resource.validate(&desired.attrs);
        if !issues.is_empty() {
            for issue in issues {
                let span = block
                    .attribute_spans
                    .get(&issue.attribute)
                    .copied()
                    .unwrap_or(block.span);
                self.diagnostics.push(Diagnostic::at(
                    format!(
                        "invalid value for `{}` of {address}: {}",
                        issue.attribute, issue.message
                    ),
                    span,
                ));
            }
            return None;
        }
        let key = address.to_string();
        let recorded = self.state.resources.get(&key);
        let live = self.current.get(&key).cloned().flatten();
        let mut change = ResourceChange {
            address: address.clone(),
            type_name: address.type_name.clone(),
            provider: provider.to_string(),
            action: Action::NoOp,
            reasons: Vec::new(),
            id: recorded.map(|r| r.id.clone()),
            before: live.clone(),
            after: None,
            changed: Vec::new(),
            dependencies: dependencies.to_vec(),
            moved_from: self
                .moves
                .iter()
                .find(|m| m.to == *address)
                .map(|m| m.from.clone()),
            importing: self.imports.get(&key).cloned(),
            create_before_destroy: block.lifecycle.create_before_destroy,
            deposed: None,
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
                ignore_changes(&mut desired, live, schema, &block.lifecycle.ignore_changes);
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
                } else if let Some(trigger) = self.triggered(block, address, scope) {
                    change.action = Action::Replace;
                    change.reasons.push(Reason::ReplaceTriggeredBy(trigger));
                    change.after = Some(planned_new(schema, &desired));
                } else if !d.is_empty() {
                    change.action = Action::Update;
                    change.after = Some(updated(schema, live, &desired, &d.changed));
                } else {
                    change.after = Some(live.clone());
                }
                change.changed = d.changed;
            }
            (None, recorded) => {
                change.action = Action::Create;
                if recorded.is_some() || self.current.contains_key(&key) {
                    change.reasons.push(Reason::Gone);
                    change.before = None;
                }
                change.id = None;
                change.after = Some(planned_new(schema, &desired));
            }
        }
        let after = change.after.clone();
        self.push(change);
        after
    }

    /// The first `replace_triggered_by` reference whose target changes in
    /// this plan, as written.
    fn triggered(
        &self,
        block: &ResourceBlock,
        address: &Address,
        scope: &dyn Scope,
    ) -> Option<String> {
        for e in &block.lifecycle.replace_triggered_by {
            let Some((target, key, attr)) = trigger_target(e, scope) else {
                continue;
            };
            let target_address = Address {
                module: address.module.clone(),
                mode: target.mode,
                type_name: target.type_name,
                name: target.name,
                key,
            };
            let Some(&ci) = self.index.get(&target_address.to_string()) else {
                continue;
            };
            let c = &self.changes[ci];
            let fires = match &attr {
                None => matches!(c.action, Action::Update | Action::Replace | Action::Create),
                Some(a) => c.changed.contains(a) || c.action == Action::Create,
            };
            if fires {
                return Some(self.stack.sources.text(e.span).trim().to_string());
            }
        }
        None
    }

    /// Data sources no longer configured (or all, for destroy) are simply
    /// forgotten: there is nothing to delete.
    fn forget_stale_data(&mut self) {
        let planned = &self.planned;
        let destroy = self.opts.destroy;
        self.state
            .resources
            .retain(|k, _| !is_data(k) || (!destroy && planned.contains(k)));
    }

    /// Everything in state the configuration no longer has (or all of it,
    /// for destroy) is deleted.
    fn delete_the_rest(&mut self) -> Result<(), EngineError> {
        let mut deletes = Vec::new();
        for (key, rs) in &self.state.resources {
            if !self.opts.destroy && self.planned.contains(key) {
                continue;
            }
            let address: Address = key
                .parse()
                .map_err(|_| EngineError::BadAddress(key.clone()))?;
            if !self.selection.includes_recorded(&address) {
                continue;
            }
            let reason = if self.opts.destroy {
                Reason::Destroy
            } else if let Some((_, block)) = block_of(self.stack, &address) {
                Reason::NoInstance(match (&block.repetition, &address.key) {
                    (Some(cairn_lang::Repetition::ForEach(_)), Some(k)) => {
                        format!("its key {k} is not in for_each")
                    }
                    (Some(cairn_lang::Repetition::Count(_)), Some(k)) => {
                        format!("its index {k} is past count")
                    }
                    (None, Some(k)) => {
                        format!("the resource no longer has count or for_each (key {k})")
                    }
                    _ => "its module instance is no longer configured".into(),
                })
            } else {
                Reason::NotInConfig
            };
            deletes.push(ResourceChange {
                type_name: rs.type_name.clone(),
                provider: rs.provider.clone(),
                action: Action::Delete,
                reasons: vec![reason],
                id: Some(rs.id.clone()),
                before: self.current.get(key).cloned().flatten(),
                after: None,
                changed: Vec::new(),
                dependencies: rs
                    .dependencies
                    .iter()
                    .filter_map(|d| d.parse().ok())
                    .collect(),
                moved_from: self
                    .moves
                    .iter()
                    .find(|m| m.to == address)
                    .map(|m| m.from.clone()),
                importing: None,
                create_before_destroy: false,
                deposed: None,
                address,
            });
        }
        for d in deletes {
            self.push(d);
        }
        Ok(())
    }

    /// Objects a create-before-destroy replacement left behind.
    fn deposed(&mut self) {
        let mut out = Vec::new();
        for (key, rs) in &self.state.resources {
            let Ok(address) = key.parse::<Address>() else {
                continue;
            };
            if !self.selection.includes_recorded(&address) && self.selection.is_partial() {
                continue;
            }
            for d in &rs.deposed {
                out.push(ResourceChange {
                    address: address.clone(),
                    type_name: rs.type_name.clone(),
                    provider: rs.provider.clone(),
                    action: Action::Delete,
                    reasons: vec![Reason::Deposed],
                    id: Some(d.id.clone()),
                    before: Some(d.attributes()),
                    after: None,
                    changed: Vec::new(),
                    dependencies: Vec::new(),
                    moved_from: None,
                    importing: None,
                    create_before_destroy: false,
                    deposed: Some(d.id.clone()),
                });
            }
        }
        self.changes.extend(out);
    }
}

/// What a `replace_triggered_by` entry names: the resource, the instance
/// (a literal key, or `count.index` / `each.key` evaluated here) and the
/// attribute, if one is named.
fn trigger_target(
    e: &cairn_lang::Expr,
    scope: &dyn Scope,
) -> Option<(
    cairn_lang::ResourceRef,
    Option<cairn_core::InstanceKey>,
    Option<String>,
)> {
    use cairn_core::InstanceKey;
    use cairn_lang::{ExprKind, Step, Subject};
    match &e.kind {
        ExprKind::Ref(r) => {
            let Subject::Resource(t) = &r.subject else {
                return None;
            };
            let mut steps = r.path.iter().peekable();
            let key = match steps.peek() {
                Some(Step::Index(i)) => Some(InstanceKey::Int(*i as u64)),
                Some(Step::Key(k)) => Some(InstanceKey::Str(k.clone())),
                _ => None,
            };
            if key.is_some() {
                steps.next();
            }
            let attr = steps.find_map(|s| match s {
                Step::Attr(a) => Some(a.clone()),
                _ => None,
            });
            Some((t.clone(), key, attr))
        }
        ExprKind::Index(target, k) => {
            let (t, _, _) = trigger_target(target, scope)?;
            let key = match k.eval(scope).ok()?.unmarked() {
                Value::Number(n) if *n >= 0.0 => Some(InstanceKey::Int(*n as u64)),
                Value::String(s) => Some(InstanceKey::Str(s.clone())),
                _ => None,
            };
            Some((t, key, None))
        }
        ExprKind::GetAttr(target, name) => {
            let (t, key, attr) = trigger_target(target, scope)?;
            Some((t, key, attr.or_else(|| Some(name.clone()))))
        }
        _ => None,
    }
}

/// The planned object of an in-place update: live, with the changed
/// attributes as desired.
pub fn updated(
    schema: &cairn_core::Schema,
    live: &Object,
    desired: &Desired,
    changed: &[String],
) -> Object {
    let mut after = live.clone();
    for name in changed {
        after.insert(
            name.clone(),
            desired.attrs.get(name).cloned().unwrap_or_default(),
        );
    }
    // tags_all is tags over default_tags: it changes with tags.
    if changed.iter().any(|c| c == "tags") && schema.get("tags_all").is_some() {
        after.insert("tags_all".into(), Value::Unknown);
    }
    after
}

/// A create-before-destroy replacement whose dependency is replaced too
/// needs that dependency replaced the same way, or the order cannot hold
/// (as in Terraform).
fn propagate_create_before_destroy(changes: &mut [ResourceChange]) {
    let index: HashMap<String, usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.deposed.is_none())
        .map(|(i, c)| (c.address.to_string(), i))
        .collect();
    let mut todo: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].create_before_destroy && changes[i].action == Action::Replace)
        .collect();
    while let Some(i) = todo.pop() {
        for d in changes[i].dependencies.clone() {
            if let Some(&j) = index.get(&d.to_string()) {
                if changes[j].action == Action::Replace && !changes[j].create_before_destroy {
                    changes[j].create_before_destroy = true;
                    todo.push(j);
                }
            }
        }
    }
}

/// `lifecycle.prevent_destroy`, from the configuration or as state
/// recorded it: a plan that would destroy such a resource fails.
fn check_prevent_destroy(
    stack: &Stack,
    state: &StateDocument,
    changes: &[ResourceChange],
) -> Result<(), EngineError> {
    let mut errors = Vec::new();
    for c in changes {
        if !matches!(c.action, Action::Replace | Action::Delete) || c.deposed.is_some() {
            continue;
        }
        let block = stack.resource(&c.address);
        // The configuration decides when the block exists; state keeps the
        // protection of a block that was removed.
        let protected = match block {
            Some(b) => b.lifecycle.prevent_destroy,
            None => state
                .resources
                .get(&c.address.to_string())
                .is_some_and(|r| r.prevent_destroy),
        };
        if !protected {
            continue;
        }
        let why = match (c.action, c.reasons.first()) {
            (Action::Replace, Some(Reason::ForceNew(attrs))) => format!(
                "it must be replaced: {} cannot change in place",
                attrs.join(", ")
            ),
            (Action::Replace, Some(Reason::ReplaceTriggeredBy(r))) => {
                format!("it must be replaced: replace_triggered_by {r}")
            }
            (Action::Replace, _) => "it must be replaced".into(),
            (_, Some(Reason::Destroy)) => "this is a destroy".into(),
            (_, Some(Reason::NoInstance(why))) => why.clone(),
            _ => "it is no longer in the configuration".into(),
        };
        let message = format!(
            "`{}` has lifecycle.prevent_destroy set, and this plan would destroy it ({why})",
            c.address
        );
        errors.push(match block {
            Some(b) => Diagnostic::at(message, b.span).hint(
                "if destroying it is intended, set prevent_destroy = false and apply first; otherwise keep what forces the replacement, or leave it out with --exclude",
            ),
            None => Diagnostic::new(message).hint(
                "state recorded the protection when the block was configured: to destroy it on purpose, restore the block with prevent_destroy = false, apply, then remove the block",
            ),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Config(errors))
    }
}

/// The state apply starts from carries each configured resource's
/// prevent_destroy, so that the protection outlives its block.
fn record_lifecycle(stack: &Stack, state: &mut StateDocument) {
    for (key, rs) in state.resources.iter_mut() {
        if let Some(b) = key
            .parse::<Address>()
            .ok()
            .and_then(|a| stack.resource(&a).cloned())
        {
            rs.prevent_destroy = b.lifecycle.prevent_destroy;
        }
    }
}

/// Creates whose object already exists, tagged with this stack and address
/// but missing from state (an apply died between creating and recording
/// it), say so: one ownership listing per provider and type with creates.
async fn mark_adoptions(
    changes: &mut [ResourceChange],
    state: &StateDocument,
    providers: &Providers,
    stack: &str,
) {
    let mut kinds: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.action == Action::Create && !c.address.is_data())
        .map(|c| (c.provider.as_str(), c.type_name.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let kinds: Vec<(String, String)> = kinds
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let known: HashSet<&str> = state.resources.values().map(|r| r.id.as_str()).collect();
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (p, t) in &kinds {
        let Some(resource) = providers.resource(p, t) else {
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
