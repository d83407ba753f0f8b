//! `--target` and `--exclude`: which resource instances a plan covers.
//! A target brings along everything it depends on; an excluded resource
//! takes along everything that depends on it. Resources left out are
//! neither changed nor forgotten: their recorded values stand in for
//! references to them.

use std::collections::{BTreeSet, HashSet};

use cairn_core::{Address, Target};
use cairn_lang::Stack;
use petgraph::graph::NodeIndex;

use crate::graph::{ConfigGraph, NodeKind};

#[derive(Debug, Default)]
pub struct Selection {
    targets: Vec<Target>,
    excludes: Vec<Target>,
    /// Resources included whole: dependencies of a target.
    dependencies: HashSet<NodeIndex>,
    /// Resources left out whole: dependents of an exclusion.
    dependents: HashSet<NodeIndex>,
}

/// Whether a target names a resource configured at `node` (keys aside).
pub(crate) fn names_node(stack: &Stack, graph: &ConfigGraph, t: &Target, node: NodeIndex) -> bool {
    let n = &graph.graph[node];
    let NodeKind::Resource(r) = &n.kind else {
        return false;
    };
    let path = &stack.tree[n.tree].path;
    match t {
        Target::Module(steps) => {
            steps.len() <= path.len() && steps.iter().zip(path).all(|(s, p)| s.name == *p)
        }
        Target::Resource(a) => {
            a.module.len() == path.len()
                && a.module.iter().zip(path).all(|(s, p)| s.name == *p)
                && a.mode == r.mode
                && a.type_name == r.type_name
                && a.name == r.name
        }
    }
}

impl Selection {
    pub fn new(
        stack: &Stack,
        graph: &ConfigGraph,
        targets: &[Target],
        excludes: &[Target],
    ) -> Selection {
        let resources: Vec<NodeIndex> = graph
            .graph
            .node_indices()
            .filter(|n| matches!(graph.graph[*n].kind, NodeKind::Resource(_)))
            .collect();
        let mut dependencies = HashSet::new();
        let mut todo: Vec<NodeIndex> = resources
            .iter()
            .copied()
            .filter(|n| targets.iter().any(|t| names_node(stack, graph, t, *n)))
            .collect();
        let mut seen: BTreeSet<NodeIndex> = todo.iter().copied().collect();
        while let Some(n) = todo.pop() {
            for d in graph.resource_dependencies(n) {
                dependencies.insert(*d);
                if seen.insert(*d) {
                    todo.push(*d);
                }
            }
        }
        let excluded: HashSet<NodeIndex> = resources
            .iter()
            .copied()
            .filter(|n| excludes.iter().any(|t| names_node(stack, graph, t, *n)))
            .collect();
        let mut dependents = HashSet::new();
        let mut changed = true;
        while changed {
            changed = false;
            for n in &resources {
                if dependents.contains(n) {
                    continue;
                }
                if graph
                    .resource_dependencies(*n)
                    .iter()
                    .any(|d| excluded.contains(d) || dependents.contains(d))
                {
                    dependents.insert(*n);
                    changed = true;
                }
            }
        }
        Selection {
            targets: targets.to_vec(),
            excludes: excludes.to_vec(),
            dependencies,
            dependents,
        }
    }

    pub fn is_partial(&self) -> bool {
        !self.targets.is_empty() || !self.excludes.is_empty()
    }

    /// Whether a configured instance (of resource node `node`) is planned.
    pub fn includes(&self, node: NodeIndex, a: &Address) -> bool {
        if self.dependents.contains(&node) || self.excludes.iter().any(|t| t.matches(a)) {
            return false;
        }
        self.targets.is_empty()
            || self.dependencies.contains(&node)
            || self.targets.iter().any(|t| t.matches(a))
    }

    /// Whether an object only state has (to be deleted) is planned.
    pub fn includes_recorded(&self, a: &Address) -> bool {
        !self.excludes.iter().any(|t| t.matches(a))
            && (self.targets.is_empty() || self.targets.iter().any(|t| t.matches(a)))
    }
}
