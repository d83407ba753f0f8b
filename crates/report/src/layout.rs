//! A layered layout of the report's graph, computed here so the page needs
//! no layout library: each node's column is the length of the longest
//! dependency chain below it (what it depends on is always to its left),
//! and nodes in a column are ordered by the mean row of their neighbours,
//! a few sweeps each way, which removes most crossings in graphs of the
//! sizes the report draws (at most a few hundred nodes).

use std::collections::HashMap;

use crate::model::Graph;

pub const NODE_W: f64 = 210.0;
pub const NODE_H: f64 = 36.0;
pub const GAP_X: f64 = 64.0;
pub const GAP_Y: f64 = 12.0;
pub const MARGIN: f64 = 16.0;
const SWEEPS: usize = 4;

pub struct Layout {
    /// Top-left corner of each node, indexed like `Graph::nodes`.
    pub positions: Vec<(f64, f64)>,
    pub width: f64,
    pub height: f64,
}

pub fn layout(g: &Graph) -> Layout {
    let n = g.nodes.len();
    let index: HashMap<&str, usize> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.id.as_str(), i))
        .collect();
    // deps[i]: what node i depends on; users[i]: what depends on it.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in &g.edges {
        if let (Some(&f), Some(&t)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            deps[f].push(t);
            users[t].push(f);
        }
    }
    let layer = layers(&deps, &users);
    let columns = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut cols: Vec<Vec<usize>> = vec![Vec::new(); columns];
    // Nodes arrive sorted by id, so a module's nodes start out together.
    for (i, &l) in layer.iter().enumerate() {
        cols[l].push(i);
    }
    let mut row = vec![0.0_f64; n];
    let place = |cols: &[Vec<usize>], row: &mut [f64]| {
        for col in cols {
            for (r, &i) in col.iter().enumerate() {
                row[i] = r as f64;
            }
        }
    };
    place(&cols, &mut row);
    for sweep in 0..SWEEPS {
        // Forward sweeps order by what a node depends on, backward ones by
        // what depends on it.
        let (order, neighbours): (Vec<usize>, &Vec<Vec<usize>>) = if sweep % 2 == 0 {
            ((1..columns).collect(), &deps)
        } else {
            ((0..columns.saturating_sub(1)).rev().collect(), &users)
        };
        for c in order {
            let mut keyed: Vec<(f64, usize)> = cols[c]
                .iter()
                .map(|&i| {
                    let ns = &neighbours[i];
                    let key = if ns.is_empty() {
                        row[i]
                    } else {
                        ns.iter().map(|&j| row[j]).sum::<f64>() / ns.len() as f64
                    };
                    (key, i)
                })
                .collect();
            // Stable: ties keep their current order.
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            cols[c] = keyed.into_iter().map(|(_, i)| i).collect();
            for (r, &i) in cols[c].iter().enumerate() {
                row[i] = r as f64;
            }
        }
    }
    let mut positions = vec![(0.0, 0.0); n];
    let tallest = cols.iter().map(Vec::len).max().unwrap_or(0);
    for (c, col) in cols.iter().enumerate() {
        // Short columns are centred against the tallest.
        let offset = (tallest - col.len()) as f64 * (NODE_H + GAP_Y) / 2.0;
        for (r, &i) in col.iter().enumerate() {
            positions[i] = (
                MARGIN + c as f64 * (NODE_W + GAP_X),
                MARGIN + offset + r as f64 * (NODE_H + GAP_Y),
            );
        }
    }
    Layout {
        positions,
        width: 2.0 * MARGIN + columns as f64 * (NODE_W + GAP_X)
            - if columns > 0 { GAP_X } else { 0.0 },
        height: 2.0 * MARGIN + tallest as f64 * (NODE_H + GAP_Y),
    }
}

/// Longest path from a node with no dependencies, by a topological walk
/// (Kahn). State dependencies never form a cycle, but a hand-edited state
/// might: nodes on a cycle stay in the column they had reached.
fn layers(deps: &[Vec<usize>], users: &[Vec<usize>]) -> Vec<usize> {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    while let Some(i) = ready.pop() {
        for &u in &users[i] {
            layer[u] = layer[u].max(layer[i] + 1);
            waiting[u] -= 1;
            if waiting[u] == 0 {
                ready.push(u);
            }
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GraphEdge, GraphNode};

    fn graph(nodes: &[&str], edges: &[(&str, &str)]) -> Graph {
        Graph {
            collapsed: false,
            nodes: nodes
                .iter()
                .map(|id| GraphNode {
                    id: id.to_string(),
                    module: String::new(),
                    type_name: "t".into(),
                    count: 1,
                })
                .collect(),
            edges: edges
                .iter()
                .map(|(f, t)| GraphEdge {
                    from: f.to_string(),
                    to: t.to_string(),
                    count: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn dependencies_sit_left_of_what_uses_them() {
        let g = graph(
            &["a_vpc", "b_subnet", "c_instance", "d_other"],
            &[
                ("b_subnet", "a_vpc"),
                ("c_instance", "b_subnet"),
                ("c_instance", "a_vpc"),
            ],
        );
        let l = layout(&g);
        let x = |i: usize| l.positions[i].0;
        assert!(x(0) < x(1) && x(1) < x(2), "{:?}", l.positions);
        assert_eq!(
            x(3),
            x(0),
            "a node without dependencies is in the first column"
        );
        assert!(l.width >= x(2) + NODE_W);
    }

    #[test]
    fn cycles_do_not_hang_the_layout() {
        let g = graph(&["a", "b"], &[("a", "b"), ("b", "a")]);
        let l = layout(&g);
        assert_eq!(l.positions.len(), 2);
    }
}
