//! The walk: each resource node in graph order, each of its instances
//! planned against what is live, then what only state still has.

use std::collections::{HashMap, HashSet};

use cairn_core::{Address, Object, Providers, Value};
use cairn_lang::{Diagnostic, ResourceBlock, Scope, Stack};
use cairn_state::{ResourceState, ResourceStatus, StateDocument};
use petgraph::graph::NodeIndex;

use super::drift::Current;
use super::imports::block_of;
use super::{is_data, Action, Move, PlanOptions, Reason, ResourceChange};
use crate::desired::{
    changes, evaluate, ignore_changes, mark_sensitive, planned_new, planned_update,
};
use crate::diff::diff;
use crate::error::{EngineError, OperationError};
use crate::graph::{ConfigGraph, NodeKind};
use crate::targets::Selection;
use crate::values::{Repeat, Values};

pub(super) struct Walk<'p> {
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
    diagnostics: Vec<Diagnostic>,
    read_errors: Vec<OperationError>,
    /// Resource node -> the addresses of its instances.
    instance_cache: HashMap<NodeIndex, Vec<Address>>,
}

impl<'p> Walk<'p> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        stack: &'p Stack,
        graph: &'p ConfigGraph,
        providers: &'p Providers,
        opts: &'p PlanOptions,
        selection: &'p Selection,
        state: StateDocument,
        current: Current,
        imports: HashMap<String, String>,
        moves: &'p mut Vec<Move>,
    ) -> Self {
        Walk {
            stack,
            graph,
            providers,
            opts,
            selection,
            state,
            current,
            imports,
            moves,
            changes: Vec::new(),
            planned: HashSet::new(),
            diagnostics: Vec::new(),
            read_errors: Vec::new(),
            instance_cache: HashMap::new(),
        }
    }

    pub(super) fn report(&mut self, errors: Vec<Diagnostic>) {
        self.diagnostics.extend(errors);
    }

    /// After every resource node: what only state still has is deleted,
    /// deposed objects too. The changes, and the state apply starts from.
    pub(super) fn finish(mut self) -> Result<(Vec<ResourceChange>, StateDocument), EngineError> {
        // A failed read is the cause of anything that went wrong after it.
        if !self.read_errors.is_empty() {
            return Err(EngineError::Operations(self.read_errors));
        }
        if !self.diagnostics.is_empty() {
            return Err(EngineError::Config(self.diagnostics));
        }
        self.forget_stale_data();
        self.delete_the_rest()?;
        self.deposed();
        Ok((self.changes, self.state))
    }

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

    /// The instances node `n`'s instances depend on, by the module
    /// instance they are reachable from. Values flow between two blocks
    /// only within one instance of the deepest module enclosing both, so
    /// `module.m[3].aws_subnet.a` depends on `module.m[3].aws_vpc.main`, not
    /// on the VPC of every instance of `module.m` (which made a plan's
    /// dependencies grow as the square of the instances).
    fn dependencies_by_instance(&mut self, values: &mut Values<'_>, n: NodeIndex) -> Dependencies {
        let own_path = &self.stack.tree[self.graph.graph[n].tree].path;
        let mut deps = Dependencies::default();
        for d in self.graph.resource_dependencies(n).to_vec() {
            let path = &self.stack.tree[self.graph.graph[d].tree].path;
            let shared = own_path
                .iter()
                .zip(path)
                .take_while(|(a, b)| a == b)
                .count();
            for address in self.instances_of(values, d) {
                deps.within
                    .entry(address.module[..shared.min(address.module.len())].to_vec())
                    .or_default()
                    .push(address);
            }
        }
        deps
    }

    pub(super) async fn resource(&mut self, values: &mut Values<'_>, n: NodeIndex) {
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
        let dependencies = self.dependencies_by_instance(values, n);
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
            let key_text = address.to_string();
            // Recorded where it is configured: nothing to move (the common case).
            if !address.is_data() && !self.state.resources.contains_key(&key_text) {
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
            self.planned.insert(key_text.clone());
            if !self.selection.includes(n, &address) {
                // Left out: its recorded value stands in for references.
                if let Some(obj) = self.current.get(&key_text).cloned().flatten() {
                    values.set_object(&address, Value::Map(obj));
                }
                continue;
            }
            let dependencies = dependencies.of(&address.module);
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
        // Taken, not copied: each address is planned once, and what is
        // left (`None`) still says the object was looked for.
        let live = self.current.get_mut(&key).and_then(Option::take);
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
                let d = changes(resource.as_ref(), &desired, live);
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
                    change.after = Some(planned_update(schema, live, &desired.attrs, &d).0);
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
            // Planned already: the graph orders the target first. Rare
            // enough that a search is cheaper than an index of every change.
            let Some(c) = self
                .changes
                .iter()
                .rev()
                .find(|c| c.address == target_address)
            else {
                continue;
            };
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

/// A resource block's dependencies, as `dependencies_by_instance` sorts
/// them.
#[derive(Default)]
struct Dependencies {
    /// By the instance of the deepest module enclosing both blocks (the
    /// root: an empty path).
    within: HashMap<Vec<cairn_core::ModuleStep>, Vec<Address>>,
}

impl Dependencies {
    /// Those of an instance in `module`.
    fn of(&self, module: &[cairn_core::ModuleStep]) -> Vec<Address> {
        let mut out = Vec::new();
        for depth in 0..=module.len() {
            if let Some(found) = self.within.get(&module[..depth]) {
                out.extend(found.iter().cloned());
            }
        }
        out.sort();
        out
    }
}
