//! Cross-resource checks, made offline: each provider registers its own
//! (`cairn_core::checks::StackCheck`); this module shows them every module
//! configuration once, with the values known without applying anything
//! (written in the files, or computed from the root's variables), and
//! turns what they find into located diagnostics. Values known only later
//! are not checked here.

use std::collections::{BTreeSet, HashMap};

use cairn_core::checks::{BlockView, Finding, ModuleView};
use cairn_core::{Registry, Value};
use cairn_lang::{Diagnostic, ExprKind, ResourceBlock, Scope, Span, Stack, StaticScope, Subject};

/// Every registered check, for every module configuration once.
pub fn check(stack: &Stack, registry: &Registry) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if registry.checks().is_empty() {
        return out;
    }
    let mut seen = BTreeSet::new();
    for node in &stack.tree {
        if !seen.insert(node.module) {
            continue;
        }
        let scope = StaticScope::of(stack, node.module);
        // Per-instance values of repeated blocks are not known here.
        let blocks: Vec<&ResourceBlock> = stack.modules[node.module]
            .resources
            .iter()
            .filter(|b| b.repetition.is_none())
            .collect();
        let view = view(stack, node, &blocks, &scope);
        for c in registry.checks() {
            out.extend(c.check(&view).into_iter().map(|f| diagnostic(f, &blocks)));
        }
    }
    out
}

fn view(
    stack: &Stack,
    node: &cairn_lang::ModuleNode,
    blocks: &[&ResourceBlock],
    scope: &dyn Scope,
) -> ModuleView {
    let index: HashMap<_, usize> = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| (b.id(), i))
        .collect();
    let default_region = stack.providers.get("aws").and_then(|p| p.region.clone());
    let blocks = blocks
        .iter()
        .map(|b| {
            let region = match stack.providers.get(&stack.provider_of(node, b)) {
                Some(p) => p.region.clone(),
                None => default_region.clone(),
            };
            let mut known = std::collections::BTreeMap::new();
            let mut refs = std::collections::BTreeMap::new();
            let mut values = std::collections::BTreeMap::new();
            for (name, e) in &b.attributes {
                if let Ok(v) = e.eval(scope) {
                    let text = match &v {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
                        Value::Number(n) => Some(n.to_string()),
                        Value::Bool(b) => Some(b.to_string()),
                        _ => None,
                    };
                    if let Some(text) = text {
                        known.insert(name.clone(), text);
                    }
                    if !v.is_unknown() && !v.contains_sensitive() {
                        values.insert(name.clone(), v);
                    }
                }
                if let ExprKind::Ref(r) = &e.kind {
                    if let Subject::Resource(t) = &r.subject {
                        if let Some(i) = index.get(t) {
                            refs.insert(name.clone(), *i);
                        }
                    }
                }
            }
            BlockView {
                address: b.address.to_string(),
                type_name: b.address.type_name.clone(),
                managed: !b.address.is_data(),
                region,
                known,
                values,
                refs,
            }
        })
        .collect();
    ModuleView { blocks }
}

fn span_of(block: &ResourceBlock, attribute: &str) -> Span {
    block
        .attributes
        .get(attribute)
        .map(|e| e.span)
        .unwrap_or(block.span)
}

fn diagnostic(f: Finding, blocks: &[&ResourceBlock]) -> Diagnostic {
    let Some(block) = blocks.get(f.block) else {
        return Diagnostic::new(f.message);
    };
    let mut d = Diagnostic::at(f.message, span_of(block, &f.attribute));
    if let Some((other, attr, text)) = f.note {
        if let Some(b) = blocks.get(other) {
            d = d.note(span_of(b, &attr), text);
        }
    }
    if let Some(h) = f.hint {
        d = d.hint(h);
    }
    d
}
