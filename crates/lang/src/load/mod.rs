//! Loads a stack directory (the root module), the module directories it
//! calls, its env file and variable files into a checked [`Stack`],
//! collecting every problem as a spanned diagnostic rather than stopping at
//! the first.
//!
//! The phases, each in its own module: read the files into spanned tables
//! (here); declare what each module has ([`names::Declared`]); build each
//! module's blocks with every expression's names resolved ([`blocks`]);
//! arrange the module tree and its providers ([`tree`]); give the root
//! variables their values ([`variables`]); read the root-only settings
//! ([`settings`]); check what is known before planning ([`checks`]).

mod blocks;
mod checks;
pub(crate) mod names;
mod settings;
pub mod static_eval;
mod tree;
pub(crate) mod variables;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_core::{Address, Mode, Registry};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::didyoumean;
use crate::files::FileCache;
use crate::model::Stack;
use crate::node::{self, Entry, Node};
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Reads `envs/<env>.toml`.
    pub env: Option<String>,
    /// `--var NAME=VALUE`, the highest precedence. The value is read as a
    /// TOML value when it parses as one (`3`, `true`, `["a"]`, `{ a = "b" }`)
    /// and the variable is not a string, else as a string.
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE` (TOML, or JSON for `*.json`), in order: later
    /// files win, and `--var` wins over all of them.
    pub var_files: Vec<PathBuf>,
    /// `CAIRN_VAR_NAME=VALUE` from the environment: the lowest precedence
    /// after defaults. The caller reads the environment, so loading stays
    /// a function of its inputs.
    pub env_vars: Vec<(String, String)>,
}

const ROOT_TABLES: &[&str] = &[
    "stack", "variable", "locals", "provider", "resource", "data", "module", "output", "backend",
    "policy", "import", "moved",
];
const MODULE_TABLES: &[&str] = &["variable", "locals", "resource", "data", "module", "output"];

pub fn load(dir: &Path, opts: &LoadOptions, registry: &Registry) -> Result<Stack, Diagnostics> {
    let mut cx = Cx {
        sources: SourceMap::default(),
        diags: Vec::new(),
        registry,
        parse_failed: false,
        failed: Default::default(),
        files: Arc::new(FileCache::default()),
    };
    let stack = build(&mut cx, dir, opts);
    match stack {
        Some(s) if cx.diags.is_empty() => Ok(Stack {
            sources: cx.sources,
            ..s
        }),
        _ => Err(Diagnostics {
            sources: cx.sources,
            items: cx.diags,
        }),
    }
}

/// What every phase shares: the sources read so far and the problems found.
pub(crate) struct Cx<'r> {
    pub sources: SourceMap,
    pub diags: Vec<Diagnostic>,
    pub registry: &'r Registry,
    /// A file did not parse: what it declared is unknown, so its absence
    /// (no [stack], an undeclared name) is not reported again.
    pub parse_failed: bool,
    /// Variables whose default was reported wrong: they have no value,
    /// which is not reported again.
    pub failed: std::collections::HashSet<(crate::model::ModuleId, String)>,
    pub files: Arc<FileCache>,
}

/// A module directory's tables, before anything in them is interpreted.
#[derive(Default)]
pub(crate) struct RawModule {
    pub dir: PathBuf,
    pub variables: Vec<Entry>,
    /// Every `key = value` of every `[locals]` table.
    pub locals: Vec<Entry>,
    pub resources: Vec<RawResource>,
    pub calls: Vec<Entry>,
    pub outputs: Vec<Entry>,
    /// Root only.
    pub root: RootTables,
}

#[derive(Default)]
pub(crate) struct RootTables {
    pub stack: Vec<Entry>,
    pub providers: Vec<Entry>,
    pub backend: Vec<Entry>,
    pub policy: Vec<Entry>,
    pub imports: Vec<Node>,
    pub moved: Vec<Node>,
}

/// A resource as written, before its expressions are resolved.
pub(crate) struct RawResource {
    pub address: Address,
    pub span: Span,
    pub entries: Vec<Entry>,
}

fn build(cx: &mut Cx, dir: &Path, opts: &LoadOptions) -> Option<Stack> {
    let files = cx.read_dir(dir, "stack");
    let env_entries = match &opts.env {
        Some(env) => cx.read_env(dir, env),
        None => Vec::new(),
    };
    settings::check_env_tables(cx, &env_entries);
    let root = cx.collect(dir, true, &files);
    let (raws, tree) = tree::load_modules(cx, root);
    let declared: Vec<names::Declared> = raws.iter().map(|r| names::Declared::of(cx, r)).collect();
    let children = tree::children(&raws, &tree);
    let modules: Vec<crate::model::Module> = raws
        .iter()
        .enumerate()
        .map(|(id, raw)| blocks::module(cx, raw, id, &declared, &children))
        .collect();
    let tree = tree::arrange(&modules, tree);
    let variables = variables::root_values(cx, &modules[0], &env_entries, opts);
    let root_raw = &raws[0];
    let name = settings::stack_name(cx, &root_raw.root.stack);
    let static_scope =
        static_eval::StaticScope::new(&modules[0], Some(&variables), dir, dir, cx.files.clone());
    let providers = settings::providers(
        cx,
        &root_raw.root.providers,
        &env_entries,
        &static_scope,
        &declared,
    );
    let backend = settings::backend(
        cx,
        &root_raw.root.backend,
        &env_entries,
        &static_scope,
        &declared,
    );
    let policy = settings::policy(cx, &root_raw.root.policy);
    drop(static_scope);
    let mut stack = Stack {
        dir: dir.to_path_buf(),
        name: name.unwrap_or_default(),
        env: opts.env.clone(),
        sources: SourceMap::default(),
        files: cx.files.clone(),
        variables,
        providers,
        backend,
        policy,
        modules,
        tree,
        imports: Vec::new(),
        moved: Vec::new(),
    };
    tree::check_providers(cx, &stack);
    stack.imports = settings::imports(cx, &root_raw.root.imports, &stack, &declared);
    stack.moved = settings::moved(cx, &root_raw.root.moved, &stack);
    checks::known_values(cx, &stack);
    Some(stack)
}

impl<'r> Cx<'r> {
    pub fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Every `*.toml` directly in `dir`, in name order, parsed.
    fn read_dir(&mut self, dir: &Path, what: &str) -> Vec<Vec<Entry>> {
        let listing = match std::fs::read_dir(dir) {
            Ok(l) => l,
            Err(e) => {
                self.err(Diagnostic::new(format!(
                    "cannot read the {what} directory `{}`: {e}",
                    dir.display()
                )));
                return Vec::new();
            }
        };
        let mut paths: Vec<PathBuf> = listing
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            self.err(Diagnostic::new(format!(
                "no {what} files: `{}` has no *.toml file",
                dir.display()
            )));
        }
        paths
            .into_iter()
            .filter_map(|p| self.read_file(p))
            .collect()
    }

    pub fn read_file(&mut self, path: PathBuf) -> Option<Vec<Entry>> {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                self.err(Diagnostic::new(format!(
                    "cannot read `{}`: {e}",
                    path.display()
                )));
                return None;
            }
        };
        let json = path.extension().is_some_and(|x| x == "json");
        let id = self.sources.add(path, text);
        let text = &self.sources.file(id).text;
        let parsed = if json {
            crate::json::parse(id, text)
        } else {
            node::parse(id, text)
        };
        match parsed {
            Ok(entries) => Some(entries),
            Err(d) => {
                self.err(d);
                self.parse_failed = true;
                None
            }
        }
    }

    fn read_env(&mut self, dir: &Path, env: &str) -> Vec<Entry> {
        let path = dir.join("envs").join(format!("{env}.toml"));
        if !path.is_file() {
            let mut known: Vec<String> = std::fs::read_dir(dir.join("envs"))
                .map(|l| {
                    l.filter_map(|e| e.ok())
                        .filter_map(|e| {
                            e.path()
                                .file_stem()
                                .map(|s| s.to_string_lossy().into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            known.sort();
            let hint = if known.is_empty() {
                "the stack has no envs/ directory; create envs/<env>.toml or leave out --env"
                    .to_string()
            } else {
                format!("environments of this stack: {}", known.join(", "))
            };
            self.err(
                Diagnostic::new(format!(
                    "unknown environment `{env}`: `{}` does not exist",
                    path.display()
                ))
                .hint(hint),
            );
            return Vec::new();
        }
        self.read_file(path).unwrap_or_default()
    }

    pub fn expect_table(&mut self, e: &Entry) {
        self.table(e, None);
    }

    /// The entries of `e`, or a "must be a table" error (with an example
    /// of the expected form, when given) and `None`.
    pub fn table<'e>(&mut self, e: &'e Entry, example: Option<&str>) -> Option<&'e [Entry]> {
        let entries = e.node.entries();
        if entries.is_none() {
            let d = Diagnostic::at(
                format!("`{}` must be a table, found {}", e.key, e.node.kind()),
                e.node.span(),
            );
            self.err(match example {
                Some(x) => d.hint(format!("e.g. {x}")),
                None => d,
            });
        }
        entries
    }

    /// The entries of a table whose values must themselves be tables
    /// (`[variable.NAME]`, `[resource.TYPE.NAME]`).
    pub fn subtables<'e>(&mut self, e: &'e Entry, what: &str) -> Vec<&'e Entry> {
        let Some(entries) = self.table(e, None) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for sub in entries {
            if sub.node.entries().is_some() {
                out.push(sub);
            } else {
                self.err(
                    Diagnostic::at(
                        format!(
                            "`{what}.{}` must be a table, found {}",
                            sub.key,
                            sub.node.kind()
                        ),
                        sub.key_span,
                    )
                    .hint(format!(
                        "write it as a table header: `[{what}.{}]`",
                        sub.key
                    )),
                );
            }
        }
        out
    }

    /// Sorts one directory's top-level tables by kind.
    fn collect(&mut self, dir: &Path, is_root: bool, files: &[Vec<Entry>]) -> RawModule {
        let mut m = RawModule {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let mut seen: HashMap<Address, Span> = HashMap::new();
        for entries in files {
            for e in entries {
                let key = e.key.as_str();
                if !is_root && !MODULE_TABLES.contains(&key) && ROOT_TABLES.contains(&key) {
                    let why = match key {
                        "provider" => "modules receive their providers from the stack that calls them (`providers = { ... }` on the module call)",
                        "backend" => "state belongs to the stack, not to a module",
                        "stack" => "a module is named by the `[module.NAME]` call that uses it",
                        _ => "it belongs in the stack directory",
                    };
                    self.err(
                        Diagnostic::at(format!("`[{key}]` is not allowed in a module"), e.key_span)
                            .hint(why),
                    );
                    continue;
                }
                match key {
                    "stack" => m.root.stack.push(e.clone()),
                    "policy" => m.root.policy.push(e.clone()),
                    "backend" => match e.node.entries() {
                        Some(entries) => m.root.backend.extend(entries.iter().cloned()),
                        None => self.expect_table(e),
                    },
                    "provider" => m.root.providers.push(e.clone()),
                    "import" | "moved" => match &e.node {
                        Node::Array(items, _) => {
                            let target = if key == "import" {
                                &mut m.root.imports
                            } else {
                                &mut m.root.moved
                            };
                            target.extend(items.iter().cloned());
                        }
                        other => self.err(
                            Diagnostic::at(
                                format!(
                                    "`{key}` must be an array of tables, found {}",
                                    other.kind()
                                ),
                                e.key_span,
                            )
                            .hint(format!("write each one under a `[[{key}]]` header")),
                        ),
                    },
                    "variable" => m
                        .variables
                        .extend(self.subtables(e, "variable").into_iter().cloned()),
                    "locals" => match e.node.entries() {
                        Some(entries) => m.locals.extend(entries.iter().cloned()),
                        None => self.expect_table(e),
                    },
                    "module" => m
                        .calls
                        .extend(self.subtables(e, "module").into_iter().cloned()),
                    "output" => m
                        .outputs
                        .extend(self.subtables(e, "output").into_iter().cloned()),
                    "resource" | "data" => {
                        let mode = if key == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        };
                        for ty in self.subtables(e, key) {
                            for r in self.subtables(ty, &format!("{key}.{}", ty.key)) {
                                let mut address = Address::managed(ty.key.clone(), r.key.clone());
                                address.mode = mode;
                                let span = r.node.span();
                                if let Some(first) = seen.get(&address) {
                                    self.err(
                                        Diagnostic::at(format!("`{address}` is declared twice"), span)
                                            .note(*first, "first declared here")
                                            .hint("each resource address must be unique across the stack's files; rename one"),
                                    );
                                    continue;
                                }
                                seen.insert(address.clone(), span);
                                m.resources.push(RawResource {
                                    address,
                                    span,
                                    entries: r.node.entries().unwrap_or(&[]).to_vec(),
                                });
                            }
                        }
                    }
                    other => {
                        let known = if is_root { ROOT_TABLES } else { MODULE_TABLES };
                        let hint =
                            didyoumean::hint(other, known.iter().copied()).unwrap_or_default();
                        self.err(
                            Diagnostic::at(format!("unknown table `{other}`"), e.key_span)
                                .hint(hint),
                        );
                    }
                }
            }
        }
        m
    }
}
