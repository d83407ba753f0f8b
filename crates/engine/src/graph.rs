//! The configuration graph: one node per named value of every place a
//! module is instantiated (resources and data sources, variables, locals,
//! outputs, module calls), an edge from each dependency to its dependent
//! (references, `depends_on`, `replace_triggered_by`, a module's values
//! after the call that instantiates it). Cycles are reported with every
//! edge and where in the stack files it comes from. Instances (count,
//! for_each, module instances) are expanded during the plan, in this
//! graph's order.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use cairn_lang::{DependsOn, Diagnostic, ResourceRef, Span, Stack, Step, Subject};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NodeKind {
    Resource(ResourceRef),
    Var(String),
    Local(String),
    Output(String),
    /// A module call of this module (expands the child's instances).
    Call(String),
}

/// A named value at one place in the module tree (`tree` indexes
/// [`Stack::tree`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub tree: usize,
    pub kind: NodeKind,
}

/// Why one value depends on another: a reference or `depends_on`, at a span.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub span: Span,
}

pub struct ConfigGraph {
    pub graph: DiGraph<Node, Edge>,
    index: HashMap<Node, NodeIndex>,
    /// Dependencies before dependents.
    order: Vec<NodeIndex>,
    /// Per resource node, the resource nodes it depends on, directly or
    /// through locals, variables, outputs and module calls.
    resource_deps: HashMap<NodeIndex, Vec<NodeIndex>>,
    /// Display names (`module.network.aws_vpc.main`, `local.tags`).
    names: Vec<String>,
}

impl ConfigGraph {
    pub fn build(stack: &Stack) -> Result<ConfigGraph, Vec<Diagnostic>> {
        let mut b = Builder {
            stack,
            graph: DiGraph::new(),
            index: HashMap::new(),
            children: HashMap::new(),
        };
        for (t, n) in stack.tree.iter().enumerate() {
            if let Some((p, ci)) = n.parent {
                let name = stack.modules[stack.tree[p].module].calls[ci].name.clone();
                b.children.insert((p, name), t);
            }
        }
        b.nodes();
        b.edges();
        let Builder { graph, index, .. } = b;
        let names: Vec<String> = graph
            .node_indices()
            .map(|n| display(stack, &graph[n]))
            .collect();
        match toposort(&graph, None) {
            Ok(order) => {
                let mut g = ConfigGraph {
                    graph,
                    index,
                    order,
                    resource_deps: HashMap::new(),
                    names,
                };
                g.resource_deps = g.compute_resource_deps();
                Ok(g)
            }
            Err(_) => Err(cycle_diagnostics(&graph, &names, stack)),
        }
    }

    pub fn node(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    /// Nodes in dependency order (dependencies first).
    pub fn ordered(&self) -> impl Iterator<Item = (NodeIndex, &Node)> + '_ {
        self.order.iter().map(|&n| (n, &self.graph[n]))
    }

    pub fn name(&self, n: NodeIndex) -> &str {
        &self.names[n.index()]
    }

    /// The resource nodes a resource node depends on (transitively through
    /// everything that is not a resource).
    pub fn resource_dependencies(&self, n: NodeIndex) -> &[NodeIndex] {
        self.resource_deps.get(&n).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The values a node is computed from that are not resources, in
    /// dependency order: what must be computed again before the node is.
    pub fn value_ancestors(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            for e in self.graph.edges_directed(x, petgraph::Direction::Incoming) {
                let s = e.source();
                if !matches!(self.graph[s].kind, NodeKind::Resource(_)) && seen.insert(s) {
                    stack.push(s);
                }
            }
        }
        self.order
            .iter()
            .copied()
            .filter(|x| seen.contains(x))
            .collect()
    }

    fn compute_resource_deps(&self) -> HashMap<NodeIndex, Vec<NodeIndex>> {
        let mut out = HashMap::new();
        for n in self.graph.node_indices() {
            if !matches!(self.graph[n].kind, NodeKind::Resource(_)) {
                continue;
            }
            let mut found = BTreeSet::new();
            let mut seen = BTreeSet::new();
            let mut stack = vec![n];
            while let Some(x) = stack.pop() {
                for e in self.graph.edges_directed(x, petgraph::Direction::Incoming) {
                    let s = e.source();
                    if !seen.insert(s) {
                        continue;
                    }
                    if matches!(self.graph[s].kind, NodeKind::Resource(_)) {
                        found.insert(s);
                    } else {
                        stack.push(s);
                    }
                }
            }
            out.insert(n, found.into_iter().collect());
        }
        out
    }

    fn resource_nodes(&self) -> Vec<NodeIndex> {
        let mut nodes: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|n| matches!(self.graph[*n].kind, NodeKind::Resource(_)))
            .collect();
        nodes.sort_by(|a, b| self.names[a.index()].cmp(&self.names[b.index()]));
        nodes
    }

    /// Resource-to-resource edges (dependency, dependent) by name, sorted.
    fn resource_edges(&self) -> Vec<(&str, &str)> {
        let mut edges: Vec<(&str, &str)> = Vec::new();
        for n in self.resource_nodes() {
            for d in self.resource_dependencies(n) {
                edges.push((self.name(*d), self.name(n)));
            }
        }
        edges.sort();
        edges
    }

    /// Graphviz DOT of the resources, dependents pointing at their
    /// dependencies (as Terraform draws it).
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph cairn {\n  rankdir = \"RL\";\n");
        for n in self.resource_nodes() {
            let _ = writeln!(out, "  \"{}\";", escape(self.name(n)));
        }
        for (from, to) in self.resource_edges() {
            let _ = writeln!(out, "  \"{}\" -> \"{}\";", escape(to), escape(from));
        }
        out.push_str("}\n");
        out
    }

    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("graph RL\n");
        let ids: HashMap<&str, usize> = self
            .resource_nodes()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (self.name(n), i))
            .collect();
        let mut names: Vec<(&&str, &usize)> = ids.iter().collect();
        names.sort_by_key(|(_, i)| **i);
        for (name, i) in names {
            let _ = writeln!(out, "  n{i}[\"{}\"]", name.replace('"', "#quot;"));
        }
        for (from, to) in self.resource_edges() {
            let _ = writeln!(out, "  n{} --> n{}", ids[to], ids[from]);
        }
        out
    }
}

struct Builder<'s> {
    stack: &'s Stack,
    graph: DiGraph<Node, Edge>,
    index: HashMap<Node, NodeIndex>,
    /// (tree node, call name) -> the child's tree node.
    children: HashMap<(usize, String), usize>,
}

impl Builder<'_> {
    fn add(&mut self, n: Node) {
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
    }

    fn nodes(&mut self) {
        let stack = self.stack;
        for (t, tn) in stack.tree.iter().enumerate() {
            let m = &stack.modules[tn.module];
            for v in m.variables.keys() {
                self.add(Node {
                    tree: t,
                    kind: NodeKind::Var(v.clone()),
                });
            }
            for l in m.locals.keys() {
                self.add(Node {
                    tree: t,
                    kind: NodeKind::Local(l.clone()),
                });
            }
            for r in &m.resources {
                self.add(Node {
                    tree: t,
                    kind: NodeKind::Resource(r.id()),
                });
            }
            for o in &m.outputs {
                self.add(Node {
                    tree: t,
                    kind: NodeKind::Output(o.name.clone()),
                });
            }
            for c in &m.calls {
                self.add(Node {
                    tree: t,
                    kind: NodeKind::Call(c.name.clone()),
                });
            }
        }
    }

    fn edge(&mut self, from: &Node, to: &Node, span: Span) {
        if let (Some(&a), Some(&b)) = (self.index.get(from), self.index.get(to)) {
            self.graph.update_edge(a, b, Edge { span });
        }
    }

    /// The nodes one reference (in tree node `t`) depends on.
    fn targets(&self, t: usize, r: &cairn_lang::Reference) -> Vec<Node> {
        let node = |kind| vec![Node { tree: t, kind }];
        match &r.subject {
            Subject::Var(v) => node(NodeKind::Var(v.clone())),
            Subject::Local(l) => node(NodeKind::Local(l.clone())),
            Subject::Resource(res) => node(NodeKind::Resource(res.clone())),
            Subject::Module(c) => {
                let Some(&child) = self.children.get(&(t, c.clone())) else {
                    return Vec::new();
                };
                let module = &self.stack.modules[self.stack.tree[child].module];
                // `module.x.out` (or `module.x[k].out`) needs one output.
                let out = r.path.iter().find_map(|s| match s {
                    Step::Attr(a) => Some(a.clone()),
                    _ => None,
                });
                match out.filter(|o| module.output(o).is_some()) {
                    Some(o) => vec![Node {
                        tree: child,
                        kind: NodeKind::Output(o),
                    }],
                    None => module
                        .outputs
                        .iter()
                        .map(|o| Node {
                            tree: child,
                            kind: NodeKind::Output(o.name.clone()),
                        })
                        .collect(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn expr_edges(&mut self, t: usize, expr: &cairn_lang::Expr, to: &Node) {
        for r in expr.references() {
            for from in self.targets(t, r) {
                self.edge(&from, to, r.span);
            }
        }
    }

    /// Every resource node at or below tree node `t`.
    fn subtree_resources(&self, t: usize) -> Vec<Node> {
        let stack = self.stack;
        let mut out = Vec::new();
        for (i, n) in stack.tree.iter().enumerate() {
            let mut p = Some(i);
            while let Some(x) = p {
                if x == t {
                    out.extend(stack.modules[n.module].resources.iter().map(|r| Node {
                        tree: i,
                        kind: NodeKind::Resource(r.id()),
                    }));
                    break;
                }
                p = stack.tree[x].parent.map(|(pp, _)| pp);
            }
        }
        out
    }

    fn depends_on_edges(&mut self, t: usize, deps: &[(DependsOn, Span)], to: &Node) {
        for (d, span) in deps {
            let from: Vec<Node> = match d {
                DependsOn::Resource(r) => vec![Node {
                    tree: t,
                    kind: NodeKind::Resource(r.clone()),
                }],
                DependsOn::Module(c) => match self.children.get(&(t, c.clone())) {
                    Some(&child) => self.subtree_resources(child),
                    None => Vec::new(),
                },
            };
            for f in from {
                self.edge(&f, to, *span);
            }
        }
    }

    fn edges(&mut self) {
        let stack = self.stack;
        for (t, tn) in stack.tree.iter().enumerate() {
            let m = &stack.modules[tn.module];
            let here = |kind| Node { tree: t, kind };
            // Everything in a module instance comes after the call that
            // instantiates it; its variables come from the call's inputs.
            if let Some((p, ci)) = tn.parent {
                let call = &stack.modules[stack.tree[p].module].calls[ci];
                let call_node = Node {
                    tree: p,
                    kind: NodeKind::Call(call.name.clone()),
                };
                let mut inside: Vec<Node> = Vec::new();
                inside.extend(m.variables.keys().map(|v| here(NodeKind::Var(v.clone()))));
                inside.extend(m.locals.keys().map(|l| here(NodeKind::Local(l.clone()))));
                inside.extend(m.resources.iter().map(|r| here(NodeKind::Resource(r.id()))));
                inside.extend(
                    m.outputs
                        .iter()
                        .map(|o| here(NodeKind::Output(o.name.clone()))),
                );
                inside.extend(m.calls.iter().map(|c| here(NodeKind::Call(c.name.clone()))));
                for n in &inside {
                    self.edge(&call_node, n, call.span);
                }
                for (v, expr) in &call.inputs {
                    self.expr_edges(p, expr, &here(NodeKind::Var(v.clone())));
                }
            }
            for (l, local) in &m.locals {
                self.expr_edges(t, &local.expr, &here(NodeKind::Local(l.clone())));
            }
            for o in &m.outputs {
                self.expr_edges(t, &o.value, &here(NodeKind::Output(o.name.clone())));
            }
            for c in &m.calls {
                let to = here(NodeKind::Call(c.name.clone()));
                if let Some(r) = &c.repetition {
                    self.expr_edges(t, r.expr(), &to);
                }
                self.depends_on_edges(t, &c.depends_on, &to);
            }
            for r in &m.resources {
                let to = here(NodeKind::Resource(r.id()));
                for expr in r.attributes.values() {
                    self.expr_edges(t, expr, &to);
                }
                if let Some(rep) = &r.repetition {
                    self.expr_edges(t, rep.expr(), &to);
                }
                for expr in &r.lifecycle.replace_triggered_by {
                    self.expr_edges(t, expr, &to);
                }
                self.depends_on_edges(t, &r.depends_on, &to);
            }
        }
    }
}

/// `module.network.aws_vpc.main`, `local.tags`, `module.app.var.image`.
pub fn display(stack: &Stack, n: &Node) -> String {
    let prefix = stack.tree[n.tree].display();
    let name = match &n.kind {
        NodeKind::Resource(r) => r.to_string(),
        NodeKind::Var(v) => format!("var.{v}"),
        NodeKind::Local(l) => format!("local.{l}"),
        NodeKind::Output(o) => format!("output.{o}"),
        NodeKind::Call(c) => format!("module.{c}"),
    };
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}.{name}")
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Where a node is declared, for the cycle's header.
fn declared_at(stack: &Stack, n: &Node) -> Option<Span> {
    let tn = &stack.tree[n.tree];
    let m = &stack.modules[tn.module];
    match &n.kind {
        NodeKind::Resource(r) => m.resource(r).map(|b| b.span),
        NodeKind::Var(v) => m.variables.get(v).map(|d| d.span),
        NodeKind::Local(l) => m.locals.get(l).map(|l| l.span),
        NodeKind::Output(o) => m.output(o).map(|o| o.span),
        NodeKind::Call(c) => m.call(c).map(|c| c.span),
    }
}

/// One diagnostic per cycle: `a -> b -> a`, with a note at each edge's span.
fn cycle_diagnostics(
    graph: &DiGraph<Node, Edge>,
    names: &[String],
    stack: &Stack,
) -> Vec<Diagnostic> {
    let name = |n: NodeIndex| names[n.index()].as_str();
    let mut out = Vec::new();
    let mut sccs: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .collect();
    for scc in &mut sccs {
        scc.sort_by(|a, b| name(*a).cmp(name(*b)));
    }
    sccs.sort_by(|a, b| name(a[0]).cmp(name(b[0])));
    for scc in sccs {
        let cycle = find_cycle(graph, names, &scc);
        let listed: Vec<&str> = cycle
            .iter()
            .chain(cycle.first())
            .map(|n| name(*n))
            .collect();
        let only_resources = cycle
            .iter()
            .all(|n| matches!(graph[*n].kind, NodeKind::Resource(_)));
        let mut d = Diagnostic::new(format!("dependency cycle: {}", listed.join(" -> "))).hint(if only_resources {
            "break the cycle: for security groups that reference each other, use separate rule resources"
        } else {
            "break the cycle: a value cannot depend on itself, directly or through other values"
        });
        d.span = declared_at(stack, &graph[cycle[0]]);
        d.label = Some("this is part of the cycle".into());
        if matches!(graph[cycle[0]].kind, NodeKind::Resource(_)) {
            d.label = Some("this resource is part of the cycle".into());
        }
        for pair in cycle.iter().zip(cycle.iter().cycle().skip(1)) {
            // The cycle is listed dependents-first: `a -> b` means a depends on b.
            let (dependent, dependency) = (*pair.0, *pair.1);
            if let Some(e) = graph.find_edge(dependency, dependent) {
                d = d.note(
                    graph[e].span,
                    format!("{} depends on {}", name(dependent), name(dependency)),
                );
            }
        }
        out.push(d);
    }
    out
}

/// The shortest cycle through the smallest node of a strongly connected
/// component, following dependent -> dependency edges (breadth-first).
fn find_cycle(graph: &DiGraph<Node, Edge>, names: &[String], scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let start = scc[0];
    let deps = |n: NodeIndex| {
        let mut v: Vec<NodeIndex> = graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .map(|e| e.source())
            .filter(|m| scc.contains(m))
            .collect();
        v.sort_by(|a, b| names[a.index()].cmp(&names[b.index()]));
        v
    };
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for m in deps(n) {
            if m == start {
                let mut path = vec![n];
                let mut cur = n;
                while let Some(&p) = parent.get(&cur) {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return path;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    vec![start]
}
