//! The resource graph of the report: nodes are resources and edges the
//! state's `dependencies`. Past [`NODE_LIMIT`] resources a picture of every
//! one is unreadable, so the graph collapses to one node per module and
//! type (with counts), and past [`GROUP_LIMIT`] of those, to one per module.

use std::collections::BTreeMap;

use cairn_state::StateDocument;

use crate::build::module_of;
use crate::model::{Graph, GraphEdge, GraphNode};

pub const NODE_LIMIT: usize = 100;
pub const GROUP_LIMIT: usize = 150;

/// (address, type) -> (node id, module, type).
type NodeOf = Box<dyn Fn(&str, &str) -> (String, String, String)>;

pub fn build(doc: &StateDocument) -> Graph {
    let key_of: NodeOf = if doc.resources.len() <= NODE_LIMIT {
        Box::new(|address, type_name| {
            (
                address.to_string(),
                module_of(address),
                type_name.to_string(),
            )
        })
    } else {
        let groups: std::collections::BTreeSet<(String, &str)> = doc
            .resources
            .iter()
            .map(|(a, r)| (module_of(a), r.type_name.as_str()))
            .collect();
        if groups.len() <= GROUP_LIMIT {
            Box::new(|address, type_name| {
                let module = module_of(address);
                let id = group_id(&module, type_name);
                (id, module, type_name.to_string())
            })
        } else {
            Box::new(|address, _| {
                let module = module_of(address);
                let id = group_id(&module, "*");
                (id, module, "*".to_string())
            })
        }
    };
    let collapsed = doc.resources.len() > NODE_LIMIT;
    // Address -> node id, computed once: module_of parses the address.
    let mut node_of: BTreeMap<&str, String> = BTreeMap::new();
    let mut nodes: BTreeMap<String, GraphNode> = BTreeMap::new();
    for (address, rs) in &doc.resources {
        let (id, module, type_name) = key_of(address, &rs.type_name);
        nodes
            .entry(id.clone())
            .or_insert_with(|| GraphNode {
                id: id.clone(),
                module,
                type_name,
                count: 0,
            })
            .count += 1;
        node_of.insert(address.as_str(), id);
    }
    let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (address, rs) in &doc.resources {
        let Some(from) = node_of.get(address.as_str()) else {
            continue;
        };
        for dep in &rs.dependencies {
            // A dependency on something no longer in state draws nothing.
            let Some(to) = node_of.get(dep.as_str()) else {
                continue;
            };
            // Dependencies inside one group are its own business.
            if from != to {
                *edges.entry((from.clone(), to.clone())).or_default() += 1;
            }
        }
    }
    Graph {
        collapsed,
        nodes: nodes.into_values().collect(),
        edges: edges
            .into_iter()
            .map(|((from, to), count)| GraphEdge { from, to, count })
            .collect(),
    }
}

pub fn group_id(module: &str, type_name: &str) -> String {
    if module.is_empty() {
        type_name.to_string()
    } else {
        format!("{module}/{type_name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_core::{Object, Value};
    use cairn_state::ResourceState;

    fn state(n: usize) -> StateDocument {
        let mut doc = StateDocument::new("s", None);
        let attrs: Object = [("name".to_string(), Value::from("x"))].into();
        doc.resources.insert(
            "module.net.aws_vpc.this".into(),
            ResourceState::new("aws_vpc", "aws", "vpc-1", &attrs, vec![]),
        );
        for i in 0..n {
            doc.resources.insert(
                format!("module.net.aws_subnet.s[{i}]"),
                ResourceState::new(
                    "aws_subnet",
                    "aws",
                    &format!("subnet-{i}"),
                    &attrs,
                    vec!["module.net.aws_vpc.this".into(), "aws_gone.x".into()],
                ),
            );
        }
        doc
    }

    #[test]
    fn small_estates_draw_every_resource() {
        let g = build(&state(3));
        assert!(!g.collapsed);
        assert_eq!(g.nodes.len(), 4);
        assert_eq!(g.edges.len(), 3, "dangling dependencies draw nothing");
        assert_eq!(g.edges[0].to, "module.net.aws_vpc.this");
    }

    #[test]
    fn big_estates_collapse_to_module_and_type_groups_with_counts() {
        let g = build(&state(300));
        assert!(g.collapsed);
        let counts: Vec<(&str, usize)> = g.nodes.iter().map(|n| (n.id.as_str(), n.count)).collect();
        assert_eq!(
            counts,
            [("module.net/aws_subnet", 300), ("module.net/aws_vpc", 1)]
        );
        assert_eq!(g.edges.len(), 1);
        assert_eq!(g.edges[0].count, 300);
    }
}
