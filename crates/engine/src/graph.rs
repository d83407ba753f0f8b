//! The resource graph: one node per configured resource, an edge from each
//! dependency to its dependent (references and `depends_on`). Cycles are
//! reported with every edge and where in the stack files it comes from.

use std::collections::HashMap;
use std::fmt::Write;

use cairn_core::Address;
use cairn_lang::{Diagnostic, Span, Stack};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// Why one resource depends on another: a reference or `depends_on`, at a span.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub span: Span,
}

pub struct ConfigGraph {
    pub graph: DiGraph<Address, Edge>,
    index: HashMap<Address, NodeIndex>,
    /// Dependencies before dependents.
    order: Vec<NodeIndex>,
}

impl ConfigGraph {
    pub fn build(stack: &Stack) -> Result<ConfigGraph, Vec<Diagnostic>> {
        let mut graph = DiGraph::with_capacity(stack.resources.len(), stack.resources.len() * 2);
        let mut index = HashMap::with_capacity(stack.resources.len());
        for r in &stack.resources {
            index.insert(r.address.clone(), graph.add_node(r.address.clone()));
        }
        for r in &stack.resources {
            let to = index[&r.address];
            for expr in r.attributes.values() {
                for reference in expr.references() {
                    if let Some(&from) = index.get(reference.address()) {
                        graph.update_edge(
                            from,
                            to,
                            Edge {
                                span: reference.span,
                            },
                        );
                    }
                }
            }
            for (dep, span) in &r.depends_on {
                if let Some(&from) = index.get(dep) {
                    graph.update_edge(from, to, Edge { span: *span });
                }
            }
        }
        match toposort(&graph, None) {
            Ok(order) => Ok(ConfigGraph {
                graph,
                index,
                order,
            }),
            Err(_) => Err(cycle_diagnostics(&graph, stack)),
        }
    }

    pub fn node(&self, a: &Address) -> Option<NodeIndex> {
        self.index.get(a).copied()
    }

    /// Addresses in dependency order (dependencies first).
    pub fn ordered(&self) -> impl Iterator<Item = &Address> + '_ {
        self.order.iter().map(|&n| &self.graph[n])
    }

    /// The direct dependencies of a resource.
    pub fn dependencies(&self, a: &Address) -> Vec<&Address> {
        let Some(n) = self.node(a) else {
            return Vec::new();
        };
        let mut deps: Vec<&Address> = self
            .graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .map(|e| &self.graph[e.source()])
            .collect();
        deps.sort();
        deps
    }

    /// Graphviz DOT, dependents pointing at their dependencies (as Terraform draws it).
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph cairn {\n  rankdir = \"RL\";\n");
        for n in self.sorted_nodes() {
            let _ = writeln!(out, "  \"{}\";", escape(&self.graph[n].to_string()));
        }
        for (from, to) in self.sorted_edges() {
            let _ = writeln!(out, "  \"{}\" -> \"{}\";", escape(&to), escape(&from));
        }
        out.push_str("}\n");
        out
    }

    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("graph RL\n");
        let ids: HashMap<String, usize> = self
            .sorted_nodes()
            .into_iter()
            .enumerate()
            .map(|(i, n)| (self.graph[n].to_string(), i))
            .collect();
        let mut names: Vec<(&String, &usize)> = ids.iter().collect();
        names.sort_by_key(|(_, i)| **i);
        for (name, i) in names {
            let _ = writeln!(out, "  n{i}[\"{}\"]", name.replace('"', "#quot;"));
        }
        for (from, to) in self.sorted_edges() {
            let _ = writeln!(out, "  n{} --> n{}", ids[&to], ids[&from]);
        }
        out
    }

    fn sorted_nodes(&self) -> Vec<NodeIndex> {
        let mut nodes: Vec<NodeIndex> = self.graph.node_indices().collect();
        nodes.sort_by(|a, b| self.graph[*a].cmp(&self.graph[*b]));
        nodes
    }

    fn sorted_edges(&self) -> Vec<(String, String)> {
        let mut edges: Vec<(String, String)> = self
            .graph
            .edge_references()
            .map(|e| {
                (
                    self.graph[e.source()].to_string(),
                    self.graph[e.target()].to_string(),
                )
            })
            .collect();
        edges.sort();
        edges
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One diagnostic per cycle: `a -> b -> a`, with a note at each edge's span.
fn cycle_diagnostics(graph: &DiGraph<Address, Edge>, stack: &Stack) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut sccs: Vec<Vec<NodeIndex>> = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| scc.len() > 1 || graph.contains_edge(scc[0], scc[0]))
        .collect();
    for scc in &mut sccs {
        scc.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
    }
    sccs.sort_by(|a, b| graph[a[0]].cmp(&graph[b[0]]));
    for scc in sccs {
        let cycle = find_cycle(graph, &scc);
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|n| graph[*n].to_string())
            .collect();
        let first = &graph[cycle[0]];
        let header = stack.resource(first).map(|r| r.span);
        let mut d = Diagnostic::new(format!("dependency cycle: {}", names.join(" -> ")))
            .hint("break the cycle: for security groups that reference each other, use separate rule resources");
        d.span = header;
        d.label = Some("this resource is part of the cycle".into());
        for pair in cycle.iter().zip(cycle.iter().cycle().skip(1)) {
            // The cycle is listed dependents-first: `a -> b` means a depends on b.
            let (dependent, dependency) = (*pair.0, *pair.1);
            if let Some(e) = graph.find_edge(dependency, dependent) {
                d = d.note(
                    graph[e].span,
                    format!("{} depends on {}", graph[dependent], graph[dependency]),
                );
            }
        }
        out.push(d);
    }
    out
}

/// The shortest cycle through the smallest node of a strongly connected
/// component, following dependent -> dependency edges (breadth-first).
fn find_cycle(graph: &DiGraph<Address, Edge>, scc: &[NodeIndex]) -> Vec<NodeIndex> {
    let start = scc[0];
    let deps = |n: NodeIndex| {
        let mut v: Vec<NodeIndex> = graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .map(|e| e.source())
            .filter(|m| scc.contains(m))
            .collect();
        v.sort_by(|a, b| graph[*a].cmp(&graph[*b]));
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
            if m != start && !parent.contains_key(&m) {
                parent.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    vec![start]
}
