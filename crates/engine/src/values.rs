//! The values of a configuration at one moment of a plan or an apply: which
//! module instances exist (count/for_each on module calls), each instance's
//! variables, locals and outputs, each resource's instance keys, and the
//! object of every resource instance (planned, or real once applied).
//!
//! Nodes are computed in the graph's order with [`Values::ensure`]. During a
//! plan every value is computed once. During an apply, instance keys are
//! fixed (they were known at plan time) but variables, locals and outputs
//! are computed again before each operation, from the objects as they are
//! then, so that values known only after an earlier operation reach it.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use cairn_core::{Address, InstanceKey, ModuleStep, Value};
use cairn_lang::{Diagnostic, Expr, Repetition, ResourceRef, Scope, Stack, Subject};
use petgraph::graph::NodeIndex;

use crate::graph::{ConfigGraph, NodeKind};

/// `count.index`, or `each.key` and `each.value`, of an instance.
#[derive(Debug, Clone)]
pub enum Repeat {
    None,
    Count(u64),
    Each(String, Value),
}

impl Repeat {
    pub fn of(key: &Option<InstanceKey>, value: &Value) -> Repeat {
        match key {
            None => Repeat::None,
            Some(InstanceKey::Int(i)) => Repeat::Count(*i),
            Some(InstanceKey::Str(s)) => Repeat::Each(s.clone(), value.clone()),
        }
    }
}

/// One instance of a module (the root has exactly one).
#[derive(Debug, Clone)]
pub struct ModuleInstance {
    pub path: Vec<ModuleStep>,
    /// The instance of the parent tree node it is inside.
    pub parent: Option<usize>,
    /// The call's count/for_each for this instance: its inputs see it.
    pub repeat: Repeat,
}

/// The instance keys of a resource in one module instance.
#[derive(Debug, Clone)]
pub enum Expansion {
    Single,
    Repeated {
        for_each: bool,
        keys: Vec<(InstanceKey, Value)>,
    },
}

impl Expansion {
    pub fn instances(&self) -> Vec<(Option<InstanceKey>, Repeat)> {
        match self {
            Expansion::Single => vec![(None, Repeat::None)],
            Expansion::Repeated { keys, .. } => keys
                .iter()
                .map(|(k, v)| (Some(k.clone()), Repeat::of(&Some(k.clone()), v)))
                .collect(),
        }
    }
}

#[derive(Default)]
struct InstanceData {
    vars: HashMap<String, Value>,
    locals: HashMap<String, Value>,
    outputs: HashMap<String, Value>,
    expansions: HashMap<ResourceRef, Expansion>,
    objects: HashMap<ResourceRef, BTreeMap<Option<InstanceKey>, Value>>,
}

pub struct Values<'a> {
    pub stack: &'a Stack,
    pub graph: &'a ConfigGraph,
    /// Per tree node: its instances, once its call has been expanded.
    modules: Vec<Option<Vec<ModuleInstance>>>,
    data: Vec<Vec<InstanceData>>,
    by_path: HashMap<Vec<ModuleStep>, (usize, usize)>,
    /// (tree node, call name) -> the child's tree node.
    children: HashMap<(usize, String), usize>,
    /// Plan: compute each value once. Apply: compute named values again.
    remember: bool,
}

impl<'a> Values<'a> {
    pub fn for_plan(stack: &'a Stack, graph: &'a ConfigGraph) -> Self {
        Self::new(stack, graph, true)
    }

    pub fn for_apply(stack: &'a Stack, graph: &'a ConfigGraph) -> Self {
        Self::new(stack, graph, false)
    }

    fn new(stack: &'a Stack, graph: &'a ConfigGraph, remember: bool) -> Self {
        let n = stack.tree.len();
        let mut modules = vec![None; n];
        let mut data: Vec<Vec<InstanceData>> = (0..n).map(|_| Vec::new()).collect();
        modules[0] = Some(vec![ModuleInstance {
            path: Vec::new(),
            parent: None,
            repeat: Repeat::None,
        }]);
        data[0].push(InstanceData::default());
        let mut children = HashMap::new();
        for (t, tn) in stack.tree.iter().enumerate() {
            if let Some((p, ci)) = tn.parent {
                children.insert(
                    (
                        p,
                        stack.modules[stack.tree[p].module].calls[ci].name.clone(),
                    ),
                    t,
                );
            }
        }
        Values {
            stack,
            graph,
            modules,
            data,
            by_path: [(Vec::new(), (0, 0))].into(),
            children,
            remember,
        }
    }

    /// The instances of a tree node (none if its call could not expand).
    pub fn instances(&self, tree: usize) -> &[ModuleInstance] {
        self.modules[tree].as_deref().unwrap_or(&[])
    }

    pub fn expansion(&self, tree: usize, instance: usize, r: &ResourceRef) -> Option<&Expansion> {
        self.data[tree].get(instance)?.expansions.get(r)
    }

    /// The scope of a block in one module instance, with its own repetition.
    pub fn scope<'s>(
        &'s self,
        tree: usize,
        instance: usize,
        repeat: &'s Repeat,
    ) -> InstanceScope<'s, 'a> {
        InstanceScope {
            values: self,
            tree,
            instance,
            repeat,
        }
    }

    fn locate(&self, a: &Address) -> Option<(usize, usize)> {
        self.by_path.get(&a.module).copied()
    }

    pub fn set_object(&mut self, a: &Address, v: Value) {
        if let Some((t, i)) = self.locate(a) {
            let r = ResourceRef {
                mode: a.mode,
                type_name: a.type_name.clone(),
                name: a.name.clone(),
            };
            self.data[t][i]
                .objects
                .entry(r)
                .or_default()
                .insert(a.key.clone(), v);
        }
    }

    pub fn remove_object(&mut self, a: &Address) {
        if let Some((t, i)) = self.locate(a) {
            let r = ResourceRef {
                mode: a.mode,
                type_name: a.type_name.clone(),
                name: a.name.clone(),
            };
            if let Some(m) = self.data[t][i].objects.get_mut(&r) {
                m.remove(&a.key);
            }
        }
    }

    /// The value of a root output, once ensured.
    pub fn output(&self, name: &str) -> Option<&Value> {
        self.data[0].first()?.outputs.get(name)
    }

    /// Computes a node for every instance of its module. A value that
    /// fails is reported and stands as unknown, so nothing after it
    /// reports the same cause again.
    pub fn ensure(&mut self, n: NodeIndex) -> Vec<Diagnostic> {
        let graph = self.graph;
        let node = &graph.graph[n];
        let t = node.tree;
        let count = self.instances(t).len();
        let mut errors = Vec::new();
        if let NodeKind::Call(c) = &node.kind {
            if let Some(&child) = self.children.get(&(t, c.clone())) {
                if self.modules[child].is_none() {
                    errors.extend(self.expand_call(t, c, child));
                } else if !self.remember {
                    errors.extend(self.refresh_call(t, c, child));
                }
            }
            return errors;
        }
        let m = &self.stack.modules[self.stack.tree[t].module];
        for i in 0..count {
            match &node.kind {
                NodeKind::Var(v) => {
                    if self.remember && self.data[t][i].vars.contains_key(v) {
                        continue;
                    }
                    let value = match self.var_value(t, i, v) {
                        Ok(value) => value,
                        Err(d) => {
                            errors.push(d);
                            Value::Unknown
                        }
                    };
                    self.data[t][i].vars.insert(v.clone(), value);
                }
                NodeKind::Local(l) => {
                    if self.remember && self.data[t][i].locals.contains_key(l) {
                        continue;
                    }
                    let Some(local) = m.locals.get(l) else {
                        continue;
                    };
                    let value = self.eval_or_report(&local.expr, t, i, &mut errors);
                    self.data[t][i].locals.insert(l.clone(), value);
                }
                NodeKind::Output(o) => {
                    if self.remember && self.data[t][i].outputs.contains_key(o) {
                        continue;
                    }
                    let Some(out) = m.output(o) else { continue };
                    let value =
                        match crate::plan::evaluate_output(out, &self.scope(t, i, &Repeat::None)) {
                            Ok(v) => v,
                            Err(d) => {
                                errors.push(d);
                                Value::Unknown
                            }
                        };
                    self.data[t][i].outputs.insert(o.clone(), value);
                }
                NodeKind::Resource(r) => {
                    let known = self.data[t][i].expansions.get(r);
                    // During apply the keys stay as planned, but `each.value`
                    // may hold what earlier operations made known.
                    if known.is_some()
                        && (self.remember || matches!(known, Some(Expansion::Single)))
                    {
                        continue;
                    }
                    let Some(block) = m.resource(r) else { continue };
                    if block.repetition.is_none() {
                        self.data[t][i]
                            .expansions
                            .insert(r.clone(), Expansion::Single);
                        continue;
                    }
                    let label = crate::graph::display(self.stack, node);
                    match self.expand(block.repetition.as_ref(), t, i, &label) {
                        Ok(e) => {
                            if let Some(old) = self.data[t][i].expansions.get(r) {
                                if !same_keys(old, &e) {
                                    errors.push(Diagnostic::new(format!(
                                        "the instances of {label} differ from the plan's; plan again"
                                    )));
                                    continue;
                                }
                            }
                            self.data[t][i].expansions.insert(r.clone(), e);
                        }
                        Err(d) => errors.push(d),
                    }
                }
                NodeKind::Call(_) => {}
            }
        }
        errors
    }

    fn eval_or_report(&self, e: &Expr, t: usize, i: usize, errors: &mut Vec<Diagnostic>) -> Value {
        match e.eval(&self.scope(t, i, &Repeat::None)) {
            Ok(v) => v,
            Err(err) => {
                errors.push(Diagnostic::at(err.message, err.span));
                Value::Unknown
            }
        }
    }

    /// A module variable's value: the call's input (evaluated in the
    /// caller, with the call's count/each), converted to the variable's
    /// type and checked against its rules; or its default.
    fn var_value(&self, t: usize, i: usize, v: &str) -> Result<Value, Diagnostic> {
        let tn = &self.stack.tree[t];
        let Some((p, ci)) = tn.parent else {
            return Ok(self
                .stack
                .variables
                .get(v)
                .cloned()
                .unwrap_or(Value::Unknown));
        };
        let module = &self.stack.modules[tn.module];
        let Some(decl) = module.variables.get(v) else {
            return Ok(Value::Unknown);
        };
        let call = &self.stack.modules[self.stack.tree[p].module].calls[ci];
        let inst = &self.instances(t)[i];
        let Some(expr) = call.inputs.get(v) else {
            return Ok(decl
                .default
                .clone()
                .map(|d| {
                    if decl.sensitive {
                        Value::sensitive(d)
                    } else {
                        d
                    }
                })
                .unwrap_or(Value::Null));
        };
        let parent = inst.parent.unwrap_or(0);
        let raw = expr
            .eval(&self.scope(p, parent, &inst.repeat))
            .map_err(|e| Diagnostic::at(e.message, e.span))?;
        let raw = if decl.sensitive {
            Value::sensitive(raw)
        } else {
            raw
        };
        let value = decl.ty.convert(&raw).map_err(|m| {
            Diagnostic::at(
                format!(
                    "wrong type for variable `{}` of {}: {}",
                    m.at(v),
                    cairn_lang::model::module_instance_display(&inst.path),
                    m.message
                ),
                expr.at(&m.steps).span,
            )
        })?;
        if value.is_wholly_known() {
            let scope = cairn_lang::ValidationScope {
                name: v,
                value: &value,
                dir: &module.dir,
                files: self.stack.files.clone(),
            };
            cairn_lang::check_variable(decl, &scope, Some(expr.span), "")?;
        }
        Ok(value)
    }

    /// The instance keys of a repeated block, which must be known now.
    fn expand(
        &self,
        rep: Option<&Repetition>,
        t: usize,
        i: usize,
        what: &str,
    ) -> Result<Expansion, Diagnostic> {
        let Some(rep) = rep else {
            return Ok(Expansion::Single);
        };
        let scope = self.scope(t, i, &Repeat::None);
        let value = rep
            .expr()
            .eval(&scope)
            .map_err(|e| Diagnostic::at(e.message, e.span))?;
        match cairn_lang::expand::keys(rep, &value) {
            Ok(Some(keys)) => Ok(Expansion::Repeated {
                for_each: matches!(rep, Repetition::ForEach(_)),
                keys,
            }),
            Ok(None) => Err(self.unknown_repetition(rep, &scope, what)),
            Err(why) => Err(Diagnostic::at(why, rep.expr().span)),
        }
    }

    /// The plan error for a count/for_each known only after apply, naming
    /// the references that are not known yet.
    fn unknown_repetition(&self, rep: &Repetition, scope: &dyn Scope, what: &str) -> Diagnostic {
        let e = rep.expr();
        let mut unknown: Vec<String> = Vec::new();
        let mut first_resource: Option<String> = None;
        for r in e.references() {
            let alone = Expr {
                kind: cairn_lang::ExprKind::Ref(r.clone()),
                span: r.span,
            };
            if alone
                .eval(scope)
                .map(|v| !v.is_wholly_known())
                .unwrap_or(false)
            {
                let text = self.stack.sources.text(r.span).to_string();
                if !unknown.contains(&text) {
                    unknown.push(text);
                }
                if let (None, Subject::Resource(res)) = (&first_resource, &r.subject) {
                    first_resource = Some(res.to_string());
                }
            }
        }
        let which = if unknown.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                unknown
                    .iter()
                    .map(|u| format!("`{u}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let keyword = rep.keyword();
        let first = first_resource.unwrap_or_else(|| "ADDRESS".into());
        Diagnostic::at(
            format!("the `{keyword}` of {what} depends on values known only after apply{which}"),
            e.span,
        )
        .label(format!("{keyword} must be known when planning"))
        .hint(format!(
            "base {keyword} on values known before apply (variables, literals, data sources), e.g. a map with literal keys; or apply what it depends on first: `cairn apply --target {first}`, then the rest"
        ))
    }

    fn expand_call(&mut self, t: usize, c: &str, child: usize) -> Vec<Diagnostic> {
        let module = &self.stack.modules[self.stack.tree[t].module];
        let Some(call) = module.call(c) else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        let mut instances = Vec::new();
        for i in 0..self.instances(t).len() {
            let parent_path = self.instances(t)[i].path.clone();
            let what = format!(
                "{}module.{c}",
                if parent_path.is_empty() {
                    String::new()
                } else {
                    format!(
                        "{}.",
                        cairn_lang::model::module_instance_display(&parent_path)
                    )
                }
            );
            match self.expand(call.repetition.as_ref(), t, i, &what) {
                Ok(e) => {
                    for (key, repeat) in e.instances() {
                        let mut path = parent_path.clone();
                        path.push(ModuleStep {
                            name: c.to_string(),
                            key,
                        });
                        instances.push(ModuleInstance {
                            path,
                            parent: Some(i),
                            repeat,
                        });
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        for (idx, inst) in instances.iter().enumerate() {
            self.by_path.insert(inst.path.clone(), (child, idx));
        }
        self.data[child] = instances.iter().map(|_| InstanceData::default()).collect();
        self.modules[child] = Some(instances);
        errors
    }

    /// The module instance an address is in, and its repetition values.
    pub fn instance_of(&self, a: &Address) -> Option<(usize, Repeat)> {
        let (t, i) = self.locate(a)?;
        let r = ResourceRef {
            mode: a.mode,
            type_name: a.type_name.clone(),
            name: a.name.clone(),
        };
        let repeat = match self.data[t][i].expansions.get(&r)? {
            Expansion::Single => Repeat::None,
            Expansion::Repeated { keys, .. } => {
                let (k, v) = keys.iter().find(|(k, _)| Some(k) == a.key.as_ref())?;
                Repeat::of(&Some(k.clone()), v)
            }
        };
        debug_assert!(t < self.data.len());
        Some((i, repeat))
    }

    /// During apply: the call's `each.value` for its instances again, from
    /// the values as they are now (the instances themselves are fixed).
    fn refresh_call(&mut self, t: usize, c: &str, child: usize) -> Vec<Diagnostic> {
        let module = &self.stack.modules[self.stack.tree[t].module];
        let Some(rep) = module.call(c).and_then(|c| c.repetition.as_ref()) else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        for i in 0..self.instances(t).len() {
            match self.expand(Some(rep), t, i, c) {
                Ok(e) => {
                    for (key, repeat) in e.instances() {
                        if let Some(inst) = self.modules[child].as_mut().and_then(|list| {
                            list.iter_mut().find(|m| {
                                m.parent == Some(i) && m.path.last().map(|s| &s.key) == Some(&key)
                            })
                        }) {
                            inst.repeat = repeat;
                        }
                    }
                }
                Err(d) => errors.push(d),
            }
        }
        errors
    }

    /// The whole value of a resource (all instances) in a module instance.
    fn resource_value(&self, t: usize, i: usize, r: &ResourceRef) -> Cow<'_, Value> {
        let d = &self.data[t][i];
        let objects = d.objects.get(r);
        let get = |k: &Option<InstanceKey>| objects.and_then(|o| o.get(k));
        match d.expansions.get(r) {
            None | Some(Expansion::Single) => match get(&None) {
                Some(v) => Cow::Borrowed(v),
                None => Cow::Owned(Value::Unknown),
            },
            Some(Expansion::Repeated {
                for_each: false,
                keys,
            }) => Cow::Owned(Value::List(
                keys.iter()
                    .map(|(k, _)| get(&Some(k.clone())).cloned().unwrap_or(Value::Unknown))
                    .collect(),
            )),
            Some(Expansion::Repeated {
                for_each: true,
                keys,
            }) => Cow::Owned(Value::Map(
                keys.iter()
                    .map(|(k, _)| {
                        let name = match k {
                            InstanceKey::Str(s) => s.clone(),
                            InstanceKey::Int(n) => n.to_string(),
                        };
                        (
                            name,
                            get(&Some(k.clone())).cloned().unwrap_or(Value::Unknown),
                        )
                    })
                    .collect(),
            )),
        }
    }

    /// The outputs of a module call's instances inside instance `i` of `t`.
    fn module_value(&self, t: usize, i: usize, c: &str) -> Result<Value, String> {
        let Some(&child) = self.children.get(&(t, c.to_string())) else {
            return Err(format!("`module.{c}` has no value here"));
        };
        let module = &self.stack.modules[self.stack.tree[child].module];
        let Some(instances) = self.modules[child].as_ref() else {
            return Ok(Value::Unknown);
        };
        let object = |ci: usize| {
            Value::Map(
                module
                    .outputs
                    .iter()
                    .map(|o| {
                        let v = self.data[child][ci]
                            .outputs
                            .get(&o.name)
                            .cloned()
                            .unwrap_or(Value::Unknown);
                        (o.name.clone(), v)
                    })
                    .collect(),
            )
        };
        let mine: Vec<(usize, &ModuleInstance)> = instances
            .iter()
            .enumerate()
            .filter(|(_, m)| m.parent == Some(i))
            .collect();
        let call = self.stack.modules[self.stack.tree[t].module].call(c);
        Ok(match call.and_then(|c| c.repetition.as_ref()) {
            None => mine
                .first()
                .map(|(ci, _)| object(*ci))
                .unwrap_or(Value::Unknown),
            Some(Repetition::Count(_)) => {
                Value::List(mine.iter().map(|(ci, _)| object(*ci)).collect())
            }
            Some(Repetition::ForEach(_)) => Value::Map(
                mine.iter()
                    .map(|(ci, m)| {
                        let key = match m.path.last().and_then(|s| s.key.clone()) {
                            Some(InstanceKey::Str(s)) => s,
                            Some(InstanceKey::Int(n)) => n.to_string(),
                            None => String::new(),
                        };
                        (key, object(*ci))
                    })
                    .collect(),
            ),
        })
    }
}

fn same_keys(a: &Expansion, b: &Expansion) -> bool {
    match (a, b) {
        (Expansion::Single, Expansion::Single) => true,
        (Expansion::Repeated { keys: x, .. }, Expansion::Repeated { keys: y, .. }) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.0 == q.0)
        }
        _ => false,
    }
}

/// What an expression in one instance sees.
pub struct InstanceScope<'s, 'a> {
    values: &'s Values<'a>,
    tree: usize,
    instance: usize,
    repeat: &'s Repeat,
}

impl Scope for InstanceScope<'_, '_> {
    fn get(&self, s: &Subject) -> Result<Cow<'_, Value>, String> {
        let v = self.values;
        let d = v
            .data
            .get(self.tree)
            .and_then(|d| d.get(self.instance))
            .ok_or_else(|| format!("`{s}` has no value here"))?;
        match s {
            Subject::Var(n) => d
                .vars
                .get(n)
                .map(Cow::Borrowed)
                .ok_or_else(|| format!("`var.{n}` has no value yet")),
            Subject::Local(n) => d
                .locals
                .get(n)
                .map(Cow::Borrowed)
                .ok_or_else(|| format!("`local.{n}` has no value yet")),
            Subject::Resource(r) => Ok(v.resource_value(self.tree, self.instance, r)),
            Subject::Module(c) => v.module_value(self.tree, self.instance, c).map(Cow::Owned),
            Subject::CountIndex => match self.repeat {
                Repeat::Count(i) => Ok(Cow::Owned(Value::Number(*i as f64))),
                _ => Err("`count.index` is only available in a block with `count`".into()),
            },
            Subject::EachKey => match self.repeat {
                Repeat::Each(k, _) => Ok(Cow::Owned(Value::String(k.clone()))),
                _ => Err("`each.key` is only available in a block with `for_each`".into()),
            },
            Subject::EachValue => match self.repeat {
                Repeat::Each(_, value) => Ok(Cow::Borrowed(value)),
                _ => Err("`each.value` is only available in a block with `for_each`".into()),
            },
            p @ (Subject::PathModule | Subject::PathRoot | Subject::PathCwd) => {
                cairn_lang::files::path_value(p, self.module_dir(), &v.stack.dir)
                    .map(Cow::Owned)
                    .ok_or_else(|| format!("`{p}` has no value here"))
            }
            other => Err(format!("`{other}` has no value here")),
        }
    }

    fn module_dir(&self) -> &Path {
        let tn = &self.values.stack.tree[self.tree];
        &self.values.stack.modules[tn.module].dir
    }

    fn files(&self) -> &dyn cairn_lang::FileSource {
        self.values.stack.files.as_ref()
    }
}
