//! The module tree: which directories the stack's `[module.NAME]` calls
//! bring in (each read once, however often it is called), where each is
//! instantiated, and which of the stack's provider configurations each
//! module's blocks end up using.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::model::{Module, ModuleId, ModuleNode, Stack};
use crate::node::Node;

use super::{Cx, RawModule};

/// A module instantiation before its call is checked.
pub(crate) struct RawNode {
    path: Vec<String>,
    module: ModuleId,
    parent: Option<usize>,
}

/// More module instantiations than this is a runaway configuration.
const MAX_NODES: usize = 10_000;

/// The child module of each call, by module and call name.
pub(crate) fn children(raws: &[RawModule], nodes: &[RawNode]) -> Vec<BTreeMap<String, ModuleId>> {
    let mut out = vec![BTreeMap::new(); raws.len()];
    for n in nodes {
        if let (Some(p), Some(name)) = (n.parent, n.path.last()) {
            out[nodes[p].module].insert(name.clone(), n.module);
        }
    }
    out
}

/// Reads every module directory the root calls, directly or not.
pub(crate) fn load_modules(cx: &mut Cx, root: RawModule) -> (Vec<RawModule>, Vec<RawNode>) {
    let mut by_dir: HashMap<PathBuf, ModuleId> = HashMap::new();
    by_dir.insert(canonical(&root.dir), 0);
    let mut raws = vec![root];
    let mut nodes = vec![RawNode {
        path: Vec::new(),
        module: 0,
        parent: None,
    }];
    let mut i = 0;
    while i < nodes.len() {
        let module = nodes[i].module;
        let chain = ancestry(&nodes, i);
        let calls: Vec<_> = raws[module].calls.clone();
        for call in &calls {
            let Some((source, span)) = source_of(cx, call) else {
                continue;
            };
            let dir = normalize(&raws[module].dir.join(&source));
            let local = matches!(source.as_str(), "." | "..")
                || source.starts_with("./")
                || source.starts_with("../")
                || Path::new(&source).is_absolute();
            if !local {
                cx.err(
                    Diagnostic::at(format!("module `{}`: `{source}` is not a local directory", call.key), span)
                        .hint("module sources are directories: write a path starting with ./ or ../ (relative to this file's directory)"),
                );
                continue;
            }
            if !dir.is_dir() {
                cx.err(
                    Diagnostic::at(
                        format!(
                            "module `{}`: the directory `{}` does not exist",
                            call.key,
                            dir.display()
                        ),
                        span,
                    )
                    .hint(sibling_hint(&dir)),
                );
                continue;
            }
            let key = canonical(&dir);
            let child = match by_dir.get(&key) {
                Some(&id) => id,
                None => {
                    let files = cx.read_dir(&dir, "module");
                    let raw = cx.collect(&dir, false, &files);
                    raws.push(raw);
                    let id = raws.len() - 1;
                    by_dir.insert(key, id);
                    id
                }
            };
            if child == 0 || chain.contains(&child) {
                let mut names: Vec<String> = nodes[i]
                    .path
                    .iter()
                    .map(|p| format!("module.{p}"))
                    .collect();
                names.push(format!("module.{}", call.key));
                cx.err(
                    Diagnostic::at(
                        format!(
                            "module cycle: {} calls a module that contains it",
                            names.join(".")
                        ),
                        span,
                    )
                    .hint("a module cannot call itself, directly or through others"),
                );
                continue;
            }
            if nodes.len() >= MAX_NODES {
                cx.err(Diagnostic::at(
                    format!(
                        "more than {MAX_NODES} module instantiations: the module tree is too large"
                    ),
                    span,
                ));
                return (raws, nodes);
            }
            let mut path = nodes[i].path.clone();
            path.push(call.key.clone());
            nodes.push(RawNode {
                path,
                module: child,
                parent: Some(i),
            });
        }
        i += 1;
    }
    (raws, nodes)
}

/// The path without `.` and `x/..` steps, for display and comparison.
fn normalize(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// The module ids from the root down to node `i`.
fn ancestry(nodes: &[RawNode], mut i: usize) -> Vec<ModuleId> {
    let mut out = vec![nodes[i].module];
    while let Some(p) = nodes[i].parent {
        out.push(nodes[p].module);
        i = p;
    }
    out
}

fn source_of(cx: &mut Cx, call: &crate::node::Entry) -> Option<(String, crate::source::Span)> {
    let entries = call.node.entries().unwrap_or(&[]);
    match entries.iter().find(|e| e.key == "source") {
        Some(e) => match &e.node {
            Node::Str { value, span, .. } => Some((value.clone(), *span)),
            other => {
                cx.err(Diagnostic::at(
                    format!(
                        "`source` must be a string (a directory), found {}",
                        other.kind()
                    ),
                    other.span(),
                ));
                None
            }
        },
        None => {
            cx.err(
                Diagnostic::at(format!("module `{}` has no `source`", call.key), call.node.span())
                    .hint("add `source = \"../modules/NAME\"`: the module's directory, relative to this file's"),
            );
            None
        }
    }
}

fn sibling_hint(dir: &Path) -> String {
    let (Some(parent), Some(name)) = (dir.parent(), dir.file_name()) else {
        return String::new();
    };
    let siblings: Vec<String> = std::fs::read_dir(parent)
        .map(|l| {
            l.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    crate::didyoumean::hint(&name.to_string_lossy(), siblings.iter().map(String::as_str))
        .unwrap_or_default()
}

/// The tree with each node's call and provider mapping. A node whose call
/// could not be built (already reported) is left out with its subtree.
pub(crate) fn arrange(modules: &[Module], raw: Vec<RawNode>) -> Vec<ModuleNode> {
    let mut out: Vec<ModuleNode> = Vec::with_capacity(raw.len());
    // Raw index -> index in `out`.
    let mut placed: Vec<Option<usize>> = vec![None; raw.len()];
    for (ri, n) in raw.iter().enumerate() {
        let Some(parent_raw) = n.parent else {
            placed[ri] = Some(out.len());
            out.push(ModuleNode {
                path: Vec::new(),
                module: 0,
                parent: None,
                providers: BTreeMap::new(),
            });
            continue;
        };
        let Some(parent) = placed[parent_raw] else {
            continue;
        };
        let name = n.path.last().cloned().unwrap_or_default();
        let parent_module = out[parent].module;
        let Some(ci) = modules[parent_module]
            .calls
            .iter()
            .position(|c| c.name == name)
        else {
            continue;
        };
        let call = &modules[parent_module].calls[ci];
        let resolve = |local: &str| -> String {
            out[parent]
                .providers
                .get(local)
                .cloned()
                .unwrap_or_else(|| local.to_string())
        };
        // The default provider is passed down implicitly; aliases only
        // when the call says so.
        let mut providers = BTreeMap::new();
        providers.insert("aws".to_string(), resolve("aws"));
        for (child_name, (caller_name, _)) in &call.providers {
            providers.insert(child_name.clone(), resolve(caller_name));
        }
        placed[ri] = Some(out.len());
        out.push(ModuleNode {
            path: n.path.clone(),
            module: n.module,
            parent: Some((parent, ci)),
            providers,
        });
    }
    out
}

/// Every provider a block or a module call names must reach one of the
/// stack's provider configurations.
pub(crate) fn check_providers(cx: &mut Cx, stack: &Stack) {
    let configured: Vec<&str> = stack.providers.keys().map(String::as_str).collect();
    let known = |name: &str| name == "aws" || stack.providers.contains_key(name);
    for node in &stack.tree {
        let module = &stack.modules[node.module];
        for call in &module.calls {
            for (child, (caller, span)) in &call.providers {
                let reachable = if node.parent.is_none() {
                    known(caller)
                } else {
                    caller == "aws" || node.providers.contains_key(caller)
                };
                if !reachable {
                    let hint = if node.parent.is_none() {
                        crate::didyoumean::hint(caller, configured.iter().copied()).unwrap_or_else(
                            || format!("configure it with a [provider.{caller}] table"),
                        )
                    } else {
                        "a module can pass on only the providers its own caller gave it".into()
                    };
                    cx.err(
                        Diagnostic::at(
                            format!("module `{}` is given provider `{caller}` as `{child}`, but `{caller}` is not configured here", call.name),
                            *span,
                        )
                        .hint(hint),
                    );
                }
            }
        }
        for block in &module.resources {
            let ok = if node.parent.is_none() {
                known(&block.provider)
            } else {
                node.providers.contains_key(&block.provider)
            };
            if ok {
                continue;
            }
            let d = if node.parent.is_none() {
                Diagnostic::at(
                    format!(
                        "`{}` uses provider `{}`, which is not configured",
                        block.address, block.provider
                    ),
                    block.span,
                )
                .hint(
                    crate::didyoumean::hint(&block.provider, configured.iter().copied())
                        .unwrap_or_else(|| {
                            format!(
                                "configure it: `[provider.{}]` with its region, profile or role",
                                block.provider
                            )
                        }),
                )
            } else {
                Diagnostic::at(
                    format!(
                        "`{}` in {} uses provider `{}`, which the module's caller does not pass",
                        block.address,
                        node.display(),
                        block.provider
                    ),
                    block.span,
                )
                .hint(format!(
                    "pass it on the call: `providers = {{ \"{}\" = \"aws.NAME\" }}` in [module.{}]",
                    block.provider,
                    node.path.last().cloned().unwrap_or_default()
                ))
            };
            cx.err(d);
        }
    }
}
