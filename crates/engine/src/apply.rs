//! Apply: a ready-queue walk over the operations of a plan, at most
//! `parallelism` in flight. Creates and updates run in dependency order,
//! deletes in reverse; a replace is a delete followed by a create. Values
//! that were unknown at plan time are substituted as operations complete.
//!
//! Every completed operation updates the in-memory state and hands it to the
//! one [`StateWriter`]; on a failure or an interruption no new operation
//! starts, in-flight ones finish, and the final state is awaited.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_core::provider::ReadContext;
use cairn_core::{
    Address, Object, OpContext, Progress, ProviderError, Providers, ReadOutcome, Resource, Value,
};
use cairn_lang::{Diagnostic, Stack};
use cairn_state::{
    Backend, DeposedObject, OutputState, ResourceState, ResourceStatus, StateDocument, StateError,
    StateWriter, Version, WrittenBy,
};
use tokio::task::JoinSet;

use crate::desired::{
    changes, evaluate, ignore_changes, mark_sensitive, planned_new, planned_update, Desired,
};
use crate::diff::diff;
use crate::error::OperationError;
use crate::graph::{ConfigGraph, Node, NodeKind};
use crate::leftovers;
use crate::plan::{Action, Plan, ResourceChange};
use crate::values::Values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Create,
    Update,
    Delete,
    /// A data source read once its arguments are known.
    Read,
}

impl OpKind {
    pub fn verb(&self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Delete => "delete",
            OpKind::Read => "read",
        }
    }
    /// "Creating", "Modifying", "Destroying", as Terraform users read them.
    pub fn progressive(&self) -> &'static str {
        match self {
            OpKind::Create => "Creating",
            OpKind::Update => "Modifying",
            OpKind::Delete => "Destroying",
            OpKind::Read => "Reading",
        }
    }
}

#[derive(Debug, Clone)]
pub enum ApplyEvent {
    Started {
        address: Address,
        op: OpKind,
    },
    StillRunning {
        address: Address,
        op: OpKind,
        elapsed: Duration,
        /// The operation's latest report of what it waits for.
        waiting_for: Option<String>,
    },
    Finished {
        address: Address,
        op: OpKind,
        elapsed: Duration,
        id: Option<String>,
    },
    Failed {
        address: Address,
        op: OpKind,
        elapsed: Duration,
    },
}

pub type EventSink = Arc<dyn Fn(ApplyEvent) + Send + Sync>;

pub struct ApplyOptions {
    pub parallelism: usize,
    /// Set (first Ctrl-C) to stop scheduling new operations.
    pub stop: Arc<AtomicBool>,
    pub events: Option<EventSink>,
    pub written_by: WrittenBy,
    pub timeout: Duration,
    /// How often to report operations that are still running.
    pub progress_interval: Duration,
}

impl ApplyOptions {
    pub fn new(written_by: WrittenBy) -> Self {
        ApplyOptions {
            parallelism: 10,
            stop: Arc::new(AtomicBool::new(false)),
            events: None,
            written_by,
            timeout: Duration::from_secs(20 * 60),
            progress_interval: Duration::from_secs(10),
        }
    }
}

#[derive(Debug)]
pub struct ApplyOutcome {
    pub errors: Vec<OperationError>,
    /// Configuration problems found when substituting values known only now.
    pub diagnostics: Vec<Diagnostic>,
    pub interrupted: bool,
    /// The state could not be written (the apply stopped early if so).
    pub state_error: Option<StateError>,
    pub completed: usize,
    pub state: StateDocument,
    pub version: Option<Version>,
}

impl ApplyOutcome {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty()
            && self.diagnostics.is_empty()
            && !self.interrupted
            && self.state_error.is_none()
    }
}

struct Op {
    change: usize,
    kind: OpKind,
    /// Deletes the previous object of a create-before-destroy replacement
    /// (or a deposed object an earlier apply left), not the current one.
    deposed: Option<String>,
    /// Operations that must finish first.
    waits_for: usize,
    unblocks: Vec<usize>,
}

enum Done {
    Created(Object),
    Updated(Object),
    Deleted,
}

#[allow(clippy::too_many_arguments)]
pub async fn apply(
    plan: &Plan,
    stack: &Stack,
    graph: &ConfigGraph,
    providers: &Providers,
    backend: Arc<dyn Backend>,
    version: Option<Version>,
    opts: ApplyOptions,
) -> ApplyOutcome {
    let mut ops = build_ops(plan);
    let mut state = plan.state.clone();
    let writer = StateWriter::spawn(backend, version, opts.written_by.clone());
    let emit = |e: ApplyEvent| {
        if let Some(sink) = &opts.events {
            sink(e)
        }
    };
    // Listed before any create starts, so nothing this apply creates is
    // taken for a leftover.
    let leftovers = leftovers::list(
        &leftovers::kinds(
            ops.iter()
                .filter(|o| o.kind == OpKind::Create)
                .map(|o| &plan.changes[o.change])
                .map(|c| (c.provider.as_str(), c.type_name.as_str())),
        ),
        &state,
        providers,
        &stack.qualified_name(),
    )
    .await;
    let mut values = Values::for_apply(stack, graph);
    let mut diagnostics = prepare_values(&mut values, plan, graph);
    let mut ancestors: HashMap<petgraph::graph::NodeIndex, Vec<petgraph::graph::NodeIndex>> =
        HashMap::new();

    let mut ready: VecDeque<usize> = (0..ops.len()).filter(|&i| ops[i].waits_for == 0).collect();
    let mut running: JoinSet<(usize, Result<Done, ProviderError>)> = JoinSet::new();
    let mut started: HashMap<usize, Instant> = HashMap::new();
    // What each running operation last said it waits for (ctx.progress).
    let waiting: Arc<std::sync::Mutex<HashMap<usize, String>>> = Arc::default();
    let mut errors = Vec::new();
    let mut interrupted = false;
    let mut halted = !diagnostics.is_empty();
    let mut completed = 0;
    // Completed operations not yet handed to the writer.
    let mut unsaved = false;
    let mut ticker = tokio::time::interval(opts.progress_interval);
    ticker.tick().await;

    loop {
        while !halted && running.len() < opts.parallelism.max(1) {
            let Some(i) = ready.pop_front() else { break };
            if opts.stop.load(Ordering::SeqCst) {
                interrupted = true;
                halted = true;
                break;
            }
            if writer.failure().is_some() {
                halted = true;
                break;
            }
            let change = &plan.changes[ops[i].change];
            let kind = ops[i].kind;
            let mut eval = |schema: &cairn_core::Schema| -> Result<Desired, Vec<Diagnostic>> {
                let block = stack.resource(&change.address).ok_or_else(Vec::new)?;
                desired_now(
                    &mut values,
                    &mut ancestors,
                    graph,
                    stack,
                    &change.address,
                    block,
                    schema,
                )
            };
            if kind == OpKind::Read {
                let Some(source) = providers
                    .data_source(&change.provider, &change.type_name)
                    .cloned()
                else {
                    halted = true;
                    break;
                };
                match eval(source.schema()) {
                    Err(mut d) => {
                        diagnostics.append(&mut d);
                        halted = true;
                        break;
                    }
                    Ok(desired) => {
                        emit(ApplyEvent::Started {
                            address: change.address.clone(),
                            op: OpKind::Read,
                        });
                        started.insert(i, Instant::now());
                        running.spawn(async move {
                            (i, source.read(&desired.attrs).await.map(Done::Created))
                        });
                        continue;
                    }
                }
            }
            let Some(resource) = providers
                .resource(&change.provider, &change.type_name)
                .cloned()
            else {
                errors.push(OperationError {
                    address: change.address.clone(),
                    action: kind.verb(),
                    error: ProviderError::new(
                        "cairn",
                        "UnknownType",
                        format!(
                            "provider `{}` offers no `{}`",
                            change.provider, change.type_name
                        ),
                    ),
                });
                halted = true;
                break;
            };
            let key = change.address.to_string();
            let task = match kind {
                OpKind::Delete => match prior_of(&state, &key, ops[i].deposed.as_deref()) {
                    Some((id, prior)) => Task::Delete { id, prior },
                    // Already gone from state (deleted outside cairn): nothing to do.
                    None => Task::Skip,
                },
                // Handled above, before the resource lookup.
                OpKind::Read => Task::Skip,
                OpKind::Create | OpKind::Update => {
                    let desired = match eval(resource.schema()) {
                        Err(mut d) => {
                            diagnostics.append(&mut d);
                            halted = true;
                            break;
                        }
                        Ok(d) => d,
                    };
                    let block = stack.resource(&change.address);
                    let prior = state
                        .resources
                        .get(&key)
                        .map(|r| (r.id.clone(), r.attributes()));
                    match (kind, prior) {
                        (OpKind::Update, Some((id, prior))) => {
                            let mut desired = desired;
                            if let Some(b) = block {
                                ignore_changes(
                                    &mut desired,
                                    &prior,
                                    resource.schema(),
                                    &b.lifecycle.ignore_changes,
                                );
                            }
                            let d = changes(resource.as_ref(), &desired, &prior);
                            if !d.force_new.is_empty() {
                                // A value unknown at plan time turned out to
                                // force a replacement the plan did not show:
                                // the user must see it before it happens.
                                Task::Refuse(replacement_not_planned(&d.force_new))
                            } else if d.is_empty() {
                                Task::Unchanged(prior)
                            } else {
                                let (planned, changed) =
                                    planned_update(resource.schema(), &prior, &desired.attrs, &d);
                                Task::Update {
                                    id,
                                    prior,
                                    planned,
                                    changed,
                                }
                            }
                        }
                        _ => match leftovers.failed.get(&change.type_name) {
                            // Without the listing a create could duplicate
                            // an object an interrupted apply left.
                            Some(e) => Task::Refuse(e.clone()),
                            None => {
                                let planned = planned_new(resource.schema(), &desired);
                                Task::Create {
                                    token: idempotency_token(&state.lineage, &key, &planned),
                                    planned,
                                    adopt: leftovers.by_address.get(&key).map(|l| l.id.clone()),
                                }
                            }
                        },
                    }
                }
            };
            let ctx = OpContext {
                address: change.address.clone(),
                stack: stack.qualified_name(),
                default_tags: stack
                    .providers
                    .get(&change.provider)
                    .map(|p| p.default_tags.clone())
                    .unwrap_or_default(),
                idempotency_token: task.token(),
                timeout: stack
                    .resource(&change.address)
                    .and_then(|b| b.timeouts.get(kind.verb()))
                    .unwrap_or(opts.timeout),
                progress: {
                    let waiting = waiting.clone();
                    Progress::new(move |line| {
                        if let Ok(mut w) = waiting.lock() {
                            w.insert(i, line.to_string());
                        }
                    })
                },
            };
            emit(ApplyEvent::Started {
                address: change.address.clone(),
                op: kind,
            });
            started.insert(i, Instant::now());
            running.spawn(run(i, resource, ctx, task));
        }

        // Copied for the writer only when it can take it: one copy per
        // write, not per completed operation (which grew as the square of
        // the resources).
        if unsaved && !writer.is_busy() {
            writer.submit(state.clone());
            unsaved = false;
        }
        if running.is_empty() {
            break;
        }
        let joined = tokio::select! {
            j = running.join_next() => j,
            _ = writer.written(), if unsaved => continue,
            _ = ticker.tick() => {
                let waiting = waiting.lock().map(|w| w.clone()).unwrap_or_default();
                for (i, t) in &started {
                    let change = &plan.changes[ops[*i].change];
                    emit(ApplyEvent::StillRunning { address: change.address.clone(), op: ops[*i].kind, elapsed: t.elapsed(), waiting_for: waiting.get(i).cloned() });
                }
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                // A panicking provider task: record it like any failure.
                halted = true;
                errors.push(OperationError {
                    address: Address::managed("unknown", "unknown"),
                    action: "apply",
                    error: ProviderError::new("cairn", "InternalError", e.to_string()),
                });
                continue;
            }
        };
        let elapsed = started.remove(&i).map(|t| t.elapsed()).unwrap_or_default();
        if let Ok(mut w) = waiting.lock() {
            w.remove(&i);
        }
        let change = &plan.changes[ops[i].change];
        let key = change.address.to_string();
        let schema = if change.address.is_data() {
            providers
                .data_source(&change.provider, &change.type_name)
                .map(|d| d.schema())
        } else {
            providers
                .resource(&change.provider, &change.type_name)
                .map(|r| r.schema())
        };
        let deps: Vec<String> = change.dependencies.iter().map(|d| d.to_string()).collect();
        match result {
            Ok(Done::Created(mut obj)) | Ok(Done::Updated(mut obj)) => {
                if let Some(s) = schema {
                    mark_sensitive(s, &mut obj);
                }
                carry_marks(&mut obj, change.after.as_ref());
                if let Some(after) = &change.after {
                    cairn_core::tags::keep_configured(&mut obj, after);
                }
                let id = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .or(change.id.as_deref())
                    .unwrap_or_default()
                    .to_string();
                let mut rs =
                    ResourceState::new(&change.type_name, &change.provider, &id, &obj, deps);
                rs.prevent_destroy = stack
                    .resource(&change.address)
                    .is_some_and(|b| b.lifecycle.prevent_destroy);
                carry_deposed(&mut rs, state.resources.get(&key), change);
                state.resources.insert(key, rs);
                values.set_object(&change.address, Value::Map(obj));
                emit(ApplyEvent::Finished {
                    address: change.address.clone(),
                    op: ops[i].kind,
                    elapsed,
                    id: Some(id),
                });
            }
            Ok(Done::Deleted) => {
                match &ops[i].deposed {
                    Some(id) => {
                        if let Some(rs) = state.resources.get_mut(&key) {
                            rs.deposed.retain(|d| d.id != *id);
                        }
                    }
                    None => {
                        state.resources.remove(&key);
                        values.remove_object(&change.address);
                    }
                }
                emit(ApplyEvent::Finished {
                    address: change.address.clone(),
                    op: ops[i].kind,
                    elapsed,
                    id: None,
                });
            }
            Err(e) => {
                if let Some(partial) = &e.partial {
                    // The object exists although the operation failed: record
                    // it (tainted) so that it is never lost; the next plan
                    // replaces it.
                    let id = partial
                        .get("id")
                        .and_then(Value::as_str)
                        .or(change.id.as_deref())
                        .unwrap_or_default()
                        .to_string();
                    let mut rs =
                        ResourceState::new(&change.type_name, &change.provider, &id, partial, deps);
                    rs.status = ResourceStatus::Tainted;
                    carry_deposed(&mut rs, state.resources.get(&key), change);
                    state.resources.insert(key, rs);
                }
                emit(ApplyEvent::Failed {
                    address: change.address.clone(),
                    op: ops[i].kind,
                    elapsed,
                });
                errors.push(OperationError {
                    address: change.address.clone(),
                    action: ops[i].kind.verb(),
                    error: e,
                });
                halted = true;
                unsaved = true;
                continue;
            }
        }
        completed += 1;
        unsaved = true;
        for j in std::mem::take(&mut ops[i].unblocks) {
            ops[j].waits_for -= 1;
            if ops[j].waits_for == 0 {
                ready.push_back(j);
            }
        }
    }

    let unscheduled = ops.iter().filter(|o| o.waits_for > 0).count();
    if !halted && unscheduled > 0 {
        halted = true;
        errors.push(OperationError {
            address: Address::managed("cairn", "apply"),
            action: "apply",
            error: ProviderError::new(
                "cairn",
                "OrderingCycle",
                format!("{unscheduled} operation(s) could not be ordered"),
            ),
        });
    }
    if !halted && !plan.destroy && plan.targets.is_empty() && plan.excludes.is_empty() {
        let (outputs, mut d) = final_outputs(&mut values, &mut ancestors, graph, stack);
        diagnostics.append(&mut d);
        state.outputs = outputs;
    } else if plan.destroy && errors.is_empty() && !interrupted {
        state.outputs.clear();
    }
    writer.submit(state.clone());
    let (version, state_error) = match writer.finish().await {
        Ok(v) => (v, None),
        Err(e) => (None, Some(e)),
    };
    ApplyOutcome {
        errors,
        diagnostics,
        interrupted,
        state_error,
        completed,
        state,
        version,
    }
}

/// The id and attributes a delete works from: the current object, or the
/// deposed one with this id.
fn prior_of(state: &StateDocument, key: &str, deposed: Option<&str>) -> Option<(String, Object)> {
    let rs = state.resources.get(key)?;
    match deposed {
        None => Some((rs.id.clone(), rs.attributes())),
        Some(id) => rs
            .deposed
            .iter()
            .find(|d| d.id == id)
            .map(|d| (d.id.clone(), d.attributes())),
    }
}

/// Instance keys as planned, and every object as the plan left it, so
/// that evaluation during apply starts where the plan ended.
fn prepare_values(values: &mut Values, plan: &Plan, graph: &ConfigGraph) -> Vec<Diagnostic> {
    let mut initial: HashMap<String, Object> = plan
        .state
        .resources
        .iter()
        .map(|(k, rs)| (k.clone(), rs.attributes()))
        .collect();
    for c in plan.changes.iter().filter(|c| c.deposed.is_none()) {
        if let Some(after) = &c.after {
            initial.insert(c.address.to_string(), after.clone());
        }
    }
    let mut errors = Vec::new();
    for (ni, node) in graph.ordered() {
        errors.extend(values.ensure(ni));
        let NodeKind::Resource(r) = &node.kind else {
            continue;
        };
        for i in 0..values.instances(node.tree).len() {
            let Some(e) = values.expansion(node.tree, i, r) else {
                continue;
            };
            let path = values.instances(node.tree)[i].path.clone();
            for (key, _) in e.instances() {
                let a = Address {
                    module: path.clone(),
                    mode: r.mode,
                    type_name: r.type_name.clone(),
                    name: r.name.clone(),
                    key,
                };
                if let Some(obj) = initial.remove(&a.to_string()) {
                    values.set_object(&a, Value::Map(obj));
                }
            }
        }
    }
    errors
}

/// A resource instance's desired attributes now: the values it is computed
/// from (variables, locals, module outputs) are computed again first, from
/// the objects as they are after the operations that completed.
fn desired_now(
    values: &mut Values,
    ancestors: &mut HashMap<petgraph::graph::NodeIndex, Vec<petgraph::graph::NodeIndex>>,
    graph: &ConfigGraph,
    stack: &Stack,
    address: &Address,
    block: &cairn_lang::ResourceBlock,
    schema: &cairn_core::Schema,
) -> Result<Desired, Vec<Diagnostic>> {
    let path: Vec<String> = address.module.iter().map(|s| s.name.clone()).collect();
    let tree = stack
        .module_at(&path)
        .map(|(t, _)| t)
        .ok_or_else(Vec::new)?;
    let node = graph
        .node(&Node {
            tree,
            kind: NodeKind::Resource(block.id()),
        })
        .ok_or_else(Vec::new)?;
    let mut errors = Vec::new();
    for a in ancestors
        .entry(node)
        .or_insert_with(|| graph.value_ancestors(node))
        .clone()
    {
        errors.extend(values.ensure(a));
    }
    // Its own instances' `each.value`, from the values now known.
    errors.extend(values.ensure(node));
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some((instance, repeat)) = values.instance_of(address) else {
        return Err(vec![Diagnostic::new(format!(
            "`{address}` is not an instance of the configuration as planned; plan again"
        ))]);
    };
    evaluate(block, schema, &values.scope(tree, instance, &repeat))
}

/// The root outputs once everything is applied; only wholly known values
/// are recorded.
fn final_outputs(
    values: &mut Values,
    ancestors: &mut HashMap<petgraph::graph::NodeIndex, Vec<petgraph::graph::NodeIndex>>,
    graph: &ConfigGraph,
    stack: &Stack,
) -> (
    std::collections::BTreeMap<String, OutputState>,
    Vec<Diagnostic>,
) {
    let mut outputs = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for o in &stack.root().outputs {
        let Some(node) = graph.node(&Node {
            tree: 0,
            kind: NodeKind::Output(o.name.clone()),
        }) else {
            continue;
        };
        for a in ancestors
            .entry(node)
            .or_insert_with(|| graph.value_ancestors(node))
            .clone()
        {
            errors.extend(values.ensure(a));
        }
        errors.extend(values.ensure(node));
        if let Some(v) = values.output(&o.name) {
            if v.is_wholly_known() {
                outputs.insert(o.name.clone(), OutputState::new(v));
            }
        }
    }
    (outputs, errors)
}

enum Task {
    Create {
        planned: Object,
        token: String,
        /// The id of an object an interrupted apply created for this
        /// address and never recorded.
        adopt: Option<String>,
    },
    Update {
        id: String,
        prior: Object,
        planned: Object,
        changed: Vec<String>,
    },
    Unchanged(Object),
    /// Not run: the operation would do something the plan did not show.
    Refuse(ProviderError),
    Delete {
        id: String,
        prior: Object,
    },
    Skip,
}

impl Task {
    fn token(&self) -> String {
        match self {
            Task::Create { token, .. } => token.clone(),
            _ => String::new(),
        }
    }
}

async fn run(
    i: usize,
    resource: Arc<dyn Resource>,
    ctx: OpContext,
    task: Task,
) -> (usize, Result<Done, ProviderError>) {
    let started = Instant::now();
    let result = match task {
        Task::Create { planned, adopt, .. } => {
            create_or_adopt(resource.as_ref(), &ctx, &planned, adopt.as_deref())
                .await
                .map(Done::Created)
        }
        Task::Update {
            id,
            prior,
            planned,
            changed,
        } => resource
            .update(&ctx, &id, &prior, &planned, &changed)
            .await
            .map(Done::Updated),
        Task::Unchanged(prior) => Ok(Done::Updated(prior)),
        Task::Refuse(e) => Err(e),
        Task::Delete { id, prior } => resource
            .delete(&ctx, &id, &prior)
            .await
            .map(|_| Done::Deleted),
        Task::Skip => Ok(Done::Deleted),
    };
    tracing::debug!(address = %ctx.address, ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "operation finished");
    (i, result)
}

/// Creates the object, unless an earlier apply that died before recording it
/// already did (`adopt`, from the listing at the start of the apply): then
/// that object is read and brought up to date. One that has gone since, or
/// is in a terminal "deleted" state, is created afresh.
async fn create_or_adopt(
    resource: &dyn Resource,
    ctx: &OpContext,
    planned: &Object,
    adopt: Option<&str>,
) -> Result<Object, ProviderError> {
    let Some(id) = adopt else {
        return resource.create(ctx, planned).await;
    };
    let read_ctx = ReadContext {
        default_tags: ctx.default_tags.clone(),
        stack: ctx.stack.clone(),
    };
    let ReadOutcome::Live(live) = resource.import(id, &read_ctx).await? else {
        return resource.create(ctx, planned).await;
    };
    tracing::info!(address = %ctx.address, id, "adopting an object left by an interrupted apply");
    let configured = |n: &str| {
        planned
            .get(n)
            .is_some_and(|v| !v.is_null() && !v.is_unknown())
    };
    let d = diff(resource.schema(), planned, &configured, &live);
    // Force-new differences cannot be fixed in place; the next plan shows them.
    let (target, changed) = planned_update(resource.schema(), &live, planned, &d);
    if changed.is_empty() {
        return Ok(live);
    }
    resource.update(ctx, id, &live, &target, &changed).await
}

fn replacement_not_planned(force_new: &[String]) -> ProviderError {
    ProviderError::new(
        "cairn",
        "ReplacementNotPlanned",
        format!(
            "the plan updates this resource in place, but with the values known now `{}` \
             forces a replacement; nothing was changed: run `cairn plan` again to review it",
            force_new.join("`, `")
        ),
    )
}

/// Sensitive marks of the planned values survive into the recorded object
/// (a password that came from a sensitive variable stays sensitive).
fn carry_marks(obj: &mut Object, planned: Option<&Object>) {
    let Some(planned) = planned else { return };
    for (name, v) in planned {
        if v.contains_sensitive() {
            if let Some(slot) = obj.get_mut(name) {
                if !slot.is_sensitive() {
                    *slot = Value::sensitive(std::mem::take(slot));
                }
            }
        }
    }
}

/// The same stack, lineage, address and planned attributes give the same
/// token, so a create retried after a crash does not make a second object
/// where the API honours client tokens.
fn idempotency_token(lineage: &str, address: &str, planned: &Object) -> String {
    let known: serde_json::Map<String, serde_json::Value> = planned
        .iter()
        .filter(|(_, v)| v.is_wholly_known())
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let material = format!("{lineage}\n{address}\n{}", serde_json::Value::Object(known));
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, material.as_bytes()).to_string()
}

/// Turns the plan's changes into operations with their ordering edges.
fn build_ops(plan: &Plan) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    // Creates, updates and reads of each address; deletes of its current
    // object (for create_before_destroy, of the object it replaces); and
    // deletes of objects an earlier replacement left deposed.
    let mut create_or_update: HashMap<&Address, usize> = HashMap::new();
    let mut delete: HashMap<&Address, usize> = HashMap::new();
    let mut deposed: HashMap<&Address, Vec<usize>> = HashMap::new();
    for (ci, c) in plan.changes.iter().enumerate() {
        let mut push = |kind, deposed: Option<String>| {
            ops.push(Op {
                change: ci,
                kind,
                deposed,
                waits_for: 0,
                unblocks: Vec::new(),
            });
            ops.len() - 1
        };
        match c.action {
            Action::NoOp => {}
            Action::Create => {
                create_or_update.insert(&c.address, push(OpKind::Create, None));
            }
            Action::Update => {
                create_or_update.insert(&c.address, push(OpKind::Update, None));
            }
            Action::Read => {
                create_or_update.insert(&c.address, push(OpKind::Read, None));
            }
            Action::Delete if c.deposed.is_some() => {
                let op = push(OpKind::Delete, c.deposed.clone());
                deposed.entry(&c.address).or_default().push(op);
            }
            Action::Delete => {
                delete.insert(&c.address, push(OpKind::Delete, None));
            }
            Action::Replace if c.create_before_destroy => {
                create_or_update.insert(&c.address, push(OpKind::Create, None));
                delete.insert(&c.address, push(OpKind::Delete, c.id.clone()));
            }
            Action::Replace => {
                delete.insert(&c.address, push(OpKind::Delete, None));
                create_or_update.insert(&c.address, push(OpKind::Create, None));
            }
        }
    }
    let cbd = |a: &Address| {
        plan.changes.iter().any(|c| {
            c.address == *a
                && c.deposed.is_none()
                && c.action == Action::Replace
                && c.create_before_destroy
        })
    };
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for c in plan.changes.iter().filter(|c| c.deposed.is_none()) {
        if let Some(&op) = create_or_update.get(&c.address) {
            for dep in &c.dependencies {
                if let Some(&before) = create_or_update.get(dep) {
                    edges.push((before, op));
                }
                // The object a create-before-destroy replaces goes only
                // after what depended on it points at the new one.
                if let Some(&old) = delete.get(dep) {
                    if cbd(dep) {
                        edges.push((op, old));
                    }
                }
            }
            if let Some(&del) = delete.get(&c.address) {
                if cbd(&c.address) {
                    edges.push((op, del));
                } else {
                    edges.push((del, op));
                }
            }
        }
        if let Some(&del) = delete.get(&c.address) {
            // A resource is deleted only after everything that depended on
            // it (as state recorded) is deleted.
            let recorded = plan.state.resources.get(&c.address.to_string());
            for dep in recorded.map(|r| r.dependencies.as_slice()).unwrap_or(&[]) {
                if let Some(&dep_del) = dep
                    .parse::<Address>()
                    .ok()
                    .as_ref()
                    .and_then(|a| delete.get(a))
                {
                    edges.push((del, dep_del));
                }
            }
        }
        // Objects left deposed go before anything else at their address.
        for &dd in deposed.get(&c.address).map(Vec::as_slice).unwrap_or(&[]) {
            for op in create_or_update
                .get(&c.address)
                .into_iter()
                .chain(delete.get(&c.address))
            {
                edges.push((dd, *op));
            }
        }
    }
    // A resource that is only deleted (not replaced) goes after the updates
    // of what used to depend on it: they stop referring to it first.
    for c in &plan.changes {
        let Some(&update) = create_or_update.get(&c.address) else {
            continue;
        };
        if c.action != Action::Update {
            continue;
        }
        let recorded = plan.state.resources.get(&c.address.to_string());
        for dep in recorded.map(|r| r.dependencies.as_slice()).unwrap_or(&[]) {
            let Ok(dep) = dep.parse::<Address>() else {
                continue;
            };
            if let (Some(&del), false) = (delete.get(&dep), create_or_update.contains_key(&dep)) {
                edges.push((update, del));
            }
        }
    }
    edges.sort_unstable();
    edges.dedup();
    for (before, after) in edges {
        if before != after {
            ops[before].unblocks.push(after);
            ops[after].waits_for += 1;
        }
    }
    ops
}

/// The new record of an instance keeps the deposed objects of the old one;
/// the old object of a create-before-destroy replacement joins them, to
/// wait (recorded) for its own delete.
fn carry_deposed(rs: &mut ResourceState, old: Option<&ResourceState>, change: &ResourceChange) {
    let Some(old) = old else { return };
    rs.deposed = old.deposed.clone();
    if change.action == Action::Replace && change.create_before_destroy && old.id != rs.id {
        rs.deposed.push(DeposedObject::of(old));
    }
}
