//! The graph as an inline SVG picture: boxes coloured by module, curves
//! from each resource to what it depends on (arrowhead at the dependency),
//! a tooltip with the full address, and a link to the inventory row.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::html::escape;
use crate::layout::{self, Layout, NODE_H, NODE_W};
use crate::model::Graph;

/// Module colours: distinct, light enough for dark text.
const PALETTE: &[&str] = &[
    "#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#e0e7ff", "#ccfbf1", "#ffedd5", "#f3e8ff",
    "#e2e8f0", "#fae8ff", "#d1fae5", "#fee2e2",
];
/// Characters that fit in a box at the label sizes used.
const LABEL_CHARS: usize = 30;

/// `link(node id)`: the `#anchor` a node points at, if any.
pub fn render(g: &Graph, link: &dyn Fn(&str) -> Option<String>) -> String {
    let Layout {
        positions,
        width,
        height,
    } = layout::layout(g);
    let mut colours: HashMap<&str, &str> = HashMap::new();
    for node in &g.nodes {
        let next = PALETTE[colours.len() % PALETTE.len()];
        colours.entry(node.module.as_str()).or_insert(next);
    }
    let index: HashMap<&str, usize> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut s = String::with_capacity(512 + g.nodes.len() * 400 + g.edges.len() * 200);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="resource dependency graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>"##,
        w = width.max(1.0),
        h = height.max(1.0)
    );
    s.push_str(r##"<g class="edges" fill="none" stroke="#94a3b8">"##);
    for e in &g.edges {
        let (Some(&f), Some(&t)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        let (fx, fy) = positions[f];
        let (tx, ty) = positions[t];
        // From the user's left edge to the dependency's right edge.
        let (x1, y1) = (fx, fy + NODE_H / 2.0);
        let (x2, y2) = (tx + NODE_W, ty + NODE_H / 2.0);
        let bend = ((x1 - x2).abs() / 2.0).max(30.0);
        let stroke = 1.0 + (e.count as f64).ln().min(4.0);
        let _ = write!(
            s,
            r#"<path d="M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}" stroke-width="{stroke:.1}" marker-end="url(#arrow)"><title>{} → {}{}</title></path>"#,
            x1 - bend,
            x2 + bend,
            escape(&e.from),
            escape(&e.to),
            if e.count > 1 {
                format!(" ({} dependencies)", e.count)
            } else {
                String::new()
            }
        );
    }
    s.push_str("</g><g class=\"nodes\" font-family=\"ui-monospace,Menlo,Consolas,monospace\">");
    for (i, node) in g.nodes.iter().enumerate() {
        let (x, y) = positions[i];
        let fill = colours
            .get(node.module.as_str())
            .copied()
            .unwrap_or(PALETTE[0]);
        let (top, bottom) = if g.collapsed {
            let module = if node.module.is_empty() {
                "(root module)"
            } else {
                node.module.as_str()
            };
            let top = if node.count == 1 {
                node.type_name.clone()
            } else {
                format!("{} × {}", node.type_name, node.count)
            };
            (top, module.to_string())
        } else {
            // The address without its module and type: `public["a"]`.
            let local = node
                .id
                .strip_prefix(&node.module)
                .unwrap_or(&node.id)
                .trim_start_matches('.');
            let name = local
                .strip_prefix(&node.type_name)
                .unwrap_or(local)
                .trim_start_matches('.');
            (name.to_string(), node.type_name.clone())
        };
        let title = if g.collapsed {
            format!("{} ({} resources)", node.id, node.count)
        } else {
            node.id.clone()
        };
        let open = match link(&node.id) {
            Some(href) => format!(r##"<a href="{}">"##, escape(&href)),
            None => String::new(),
        };
        let _ = write!(
            s,
            r##"{open}<g class="node"><title>{}</title><rect x="{x:.1}" y="{y:.1}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="{fill}" stroke="#475569"/><text x="{:.1}" y="{:.1}" font-size="11" fill="#0f172a">{}</text><text x="{:.1}" y="{:.1}" font-size="10" fill="#475569">{}</text></g>{}"##,
            escape(&title),
            x + 8.0,
            y + 15.0,
            escape(&fit(&top)),
            x + 8.0,
            y + 29.0,
            escape(&fit(&bottom)),
            if open.is_empty() { "" } else { "</a>" }
        );
    }
    s.push_str("</g></svg>");
    s
}

/// Cuts a label to the box, keeping its end (the distinguishing part of a
/// long module path or instance key).
fn fit(label: &str) -> String {
    let n = label.chars().count();
    if n <= LABEL_CHARS {
        label.to_string()
    } else {
        let tail: String = label.chars().skip(n - (LABEL_CHARS - 1)).collect();
        format!("…{tail}")
    }
}
