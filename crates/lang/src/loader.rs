//! Loads a stack directory into a checked [`Stack`], collecting every
//! problem as a spanned diagnostic rather than stopping at the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use cairn_core::value::PathStep;
use cairn_core::{Address, Mode, Presence, Registry, Type, Value};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::didyoumean;
use crate::expr::{Expr, ExprKind, Reference, Scope, Subject, TemplatePart};
use crate::interp::{self, Piece};
use crate::model::{BackendConfig, OutputBlock, ProviderConfig, ResourceBlock, Stack};
use crate::node::{self, Entry, Node};
use crate::policy::DenyRule;
use crate::source::{SourceMap, Span};

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Reads `envs/<env>.toml`.
    pub env: Option<String>,
    /// `--var NAME=VALUE`, the highest precedence. The value is read as a
    /// TOML value when it parses as one (`3`, `true`, `["a"]`), else as a string.
    pub vars: Vec<(String, String)>,
}

const TOP_LEVEL: &[&str] = &[
    "stack", "variable", "provider", "resource", "data", "output", "backend", "policy",
];
const ENV_TABLES: &[&str] = &["vars", "provider", "backend"];
const LOCAL_BACKEND_KEYS: &[&str] = &["path"];
const S3_BACKEND_KEYS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "profile",
    "assume_role_arn",
    "endpoint_url",
    "kms_key_id",
    "lock_lease",
];
const PROVIDER_KEYS: &[&str] = &[
    "region",
    "profile",
    "assume_role_arn",
    "endpoint_url",
    "default_tags",
];
const VARIABLE_KEYS: &[&str] = &["type", "default", "description", "sensitive"];
const OUTPUT_KEYS: &[&str] = &["value", "description", "sensitive"];
const META_ARGUMENTS: &[&str] = &["depends_on", "timeouts"];

pub fn load(dir: &Path, opts: &LoadOptions, registry: &Registry) -> Result<Stack, Diagnostics> {
    let mut l = Loader {
        sources: SourceMap::default(),
        diags: Vec::new(),
        registry,
        parse_failed: false,
        unset_vars: HashSet::new(),
    };
    let stack = l.run(dir, opts);
    match stack {
        Some(s) if l.diags.is_empty() => Ok(Stack {
            sources: l.sources,
            ..s
        }),
        _ => Err(Diagnostics {
            sources: l.sources,
            items: l.diags,
        }),
    }
}

struct Loader<'a> {
    sources: SourceMap,
    diags: Vec<Diagnostic>,
    registry: &'a Registry,
    /// A file did not parse: what it declared is unknown, so its absence
    /// (no [stack], an undeclared name) is not reported again.
    parse_failed: bool,
    /// Variables declared but without a valid value (already reported).
    unset_vars: HashSet<String>,
}

/// A variable as declared, before its value is chosen.
struct VarDecl {
    ty: Type,
    default: Option<Node>,
    sensitive: bool,
    span: Span,
}

/// A resource as written, before its expressions are resolved.
struct RawResource {
    address: Address,
    span: Span,
    entries: Vec<Entry>,
}

impl<'a> Loader<'a> {
    fn err(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn read_files(&mut self, dir: &Path) -> Vec<(PathBuf, Vec<Entry>)> {
        let listing = match std::fs::read_dir(dir) {
            Ok(l) => l,
            Err(e) => {
                self.err(Diagnostic::new(format!(
                    "cannot read the stack directory `{}`: {e}",
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
                "no stack files: `{}` has no *.toml file",
                dir.display()
            )));
        }
        paths
            .into_iter()
            .filter_map(|p| self.read_file(p))
            .collect()
    }

    fn read_file(&mut self, path: PathBuf) -> Option<(PathBuf, Vec<Entry>)> {
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
        let id = self.sources.add(path.clone(), text);
        match node::parse(id, &self.sources.file(id).text.clone()) {
            Ok(entries) => Some((path, entries)),
            Err(d) => {
                self.err(d);
                self.parse_failed = true;
                None
            }
        }
    }

    fn run(&mut self, dir: &Path, opts: &LoadOptions) -> Option<Stack> {
        let files = self.read_files(dir);
        let env_entries = match &opts.env {
            Some(env) => self.read_env(dir, env),
            None => Vec::new(),
        };

        let mut stack_name: Option<(String, Span)> = None;
        let mut decls: BTreeMap<String, VarDecl> = BTreeMap::new();
        let mut provider_entries: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        let mut backend_entries: Vec<Entry> = Vec::new();
        let mut raw_resources: Vec<RawResource> = Vec::new();
        let mut raw_outputs: Vec<(String, Span, Vec<Entry>)> = Vec::new();
        let mut seen: HashMap<Address, Span> = HashMap::new();
        let mut policy: Vec<DenyRule> = Vec::new();

        for (_, entries) in &files {
            for e in entries {
                match e.key.as_str() {
                    "stack" => self.stack_table(e, &mut stack_name),
                    "policy" => self.policy_table(e, &mut policy),
                    "variable" => {
                        for v in self.subtables(e, "variable") {
                            if let Some(d) = self.variable(v) {
                                decls.insert(v.key.clone(), d);
                            }
                        }
                    }
                    "provider" => {
                        for p in self.subtables(e, "provider") {
                            if p.key != "aws" {
                                self.err(
                                    Diagnostic::at(
                                        format!("unknown provider `{}`", p.key),
                                        p.key_span,
                                    )
                                    .hint("the only provider is `aws`"),
                                );
                                continue;
                            }
                            provider_entries
                                .entry(p.key.clone())
                                .or_default()
                                .extend(p.node.entries().unwrap_or(&[]).iter().cloned());
                        }
                    }
                    "backend" => match e.node.entries() {
                        Some(entries) => backend_entries.extend(entries.iter().cloned()),
                        None => self.expect_table(e),
                    },
                    "resource" | "data" => {
                        let mode = if e.key == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        };
                        for ty in self.subtables(e, &e.key) {
                            for r in self.subtables(ty, &format!("{}.{}", e.key, ty.key)) {
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
                                raw_resources.push(RawResource {
                                    address,
                                    span,
                                    entries: r.node.entries().unwrap_or(&[]).to_vec(),
                                });
                            }
                        }
                    }
                    "output" => {
                        for o in self.subtables(e, "output") {
                            raw_outputs.push((
                                o.key.clone(),
                                o.node.span(),
                                o.node.entries().unwrap_or(&[]).to_vec(),
                            ));
                        }
                    }
                    other => {
                        let hint =
                            didyoumean::hint(other, TOP_LEVEL.iter().copied()).unwrap_or_default();
                        self.err(
                            Diagnostic::at(format!("unknown table `{other}`"), e.key_span)
                                .hint(hint),
                        );
                    }
                }
            }
        }

        // The env file: [vars], and field-by-field overrides of provider and backend.
        let mut env_vars: Vec<&Entry> = Vec::new();
        for e in &env_entries {
            match e.key.as_str() {
                "vars" => match e.node.entries() {
                    Some(v) => env_vars.extend(v.iter()),
                    None => self.expect_table(e),
                },
                "provider" => {
                    for p in self.subtables(e, "provider") {
                        if p.key != "aws" {
                            self.err(
                                Diagnostic::at(format!("unknown provider `{}`", p.key), p.key_span)
                                    .hint("the only provider is `aws`"),
                            );
                            continue;
                        }
                        provider_entries
                            .entry(p.key.clone())
                            .or_default()
                            .extend(p.node.entries().unwrap_or(&[]).iter().cloned());
                    }
                }
                "backend" => match e.node.entries() {
                    Some(entries) => backend_entries.extend(entries.iter().cloned()),
                    None => self.expect_table(e),
                },
                other => {
                    let hint =
                        didyoumean::hint(other, ENV_TABLES.iter().copied()).unwrap_or_default();
                    self.err(
                        Diagnostic::at(
                            format!("unknown table `{other}` in an env file"),
                            e.key_span,
                        )
                        .hint(hint),
                    );
                }
            }
        }

        let variables =
            self.variable_values(&decls, &env_vars, opts, files.first().map(|(_, e)| e));
        let name = match stack_name {
            Some((n, _)) => n,
            None => {
                let span = self
                    .sources
                    .files()
                    .next()
                    .map(|(id, _)| Span::new(id, 0..0));
                let mut d = Diagnostic::new("the stack has no `[stack]` table with a `name`")
                    .hint("add `[stack]` with `name = \"...\"` to one of its files");
                d.span = span;
                if !self.parse_failed {
                    self.err(d);
                }
                String::new()
            }
        };

        let providers = self.providers(provider_entries, &variables);
        let backend = self.backend(backend_entries, &variables);
        let declared: HashSet<Address> = raw_resources.iter().map(|r| r.address.clone()).collect();
        let resources: Vec<ResourceBlock> = raw_resources
            .iter()
            .filter_map(|r| self.resource(r, &variables, &declared, &raw_resources))
            .collect();
        let outputs = raw_outputs
            .into_iter()
            .filter_map(|(name, span, entries)| {
                self.output(name, span, &entries, &variables, &declared, &raw_resources)
            })
            .collect();

        Some(Stack {
            dir: dir.to_path_buf(),
            name,
            env: opts.env.clone(),
            sources: SourceMap::default(),
            variables,
            providers,
            backend,
            policy,
            resources,
            outputs,
        })
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
        self.read_file(path).map(|(_, e)| e).unwrap_or_default()
    }

    fn expect_table(&mut self, e: &Entry) {
        self.err(Diagnostic::at(
            format!("`{}` must be a table, found {}", e.key, e.node.kind()),
            e.node.span(),
        ));
    }

    /// The entries of a table whose values must themselves be tables
    /// (`[variable.NAME]`, `[resource.TYPE.NAME]`).
    fn subtables<'e>(&mut self, e: &'e Entry, what: &str) -> Vec<&'e Entry> {
        let Some(entries) = e.node.entries() else {
            self.expect_table(e);
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

    /// `[policy] deny = ["delete:aws_kms_key", ...]`: gates every run enforces.
    fn policy_table(&mut self, e: &Entry, policy: &mut Vec<DenyRule>) {
        let Some(entries) = e.node.entries() else {
            return self.expect_table(e);
        };
        for f in entries {
            if f.key != "deny" {
                let hint = didyoumean::hint(&f.key, ["deny"]).unwrap_or_default();
                self.err(
                    Diagnostic::at(format!("unknown key `{}` in [policy]", f.key), f.key_span)
                        .hint(hint),
                );
                continue;
            }
            let Node::Array(items, _) = &f.node else {
                self.err(
                    Diagnostic::at(
                        format!(
                            "`deny` must be an array of strings, found {}",
                            f.node.kind()
                        ),
                        f.node.span(),
                    )
                    .hint("e.g. deny = [\"delete:aws_kms_key\", \"replace:module.network.*\"]"),
                );
                continue;
            };
            for item in items {
                match item.as_str().map(DenyRule::parse) {
                    Some(Ok(rule)) => policy.push(rule),
                    Some(Err(why)) => {
                        self.err(Diagnostic::at("invalid deny rule", item.span()).hint(why))
                    }
                    None => self.err(Diagnostic::at(
                        format!("a deny rule must be a string, found {}", item.kind()),
                        item.span(),
                    )),
                }
            }
        }
    }

    fn stack_table(&mut self, e: &Entry, name: &mut Option<(String, Span)>) {
        let Some(entries) = e.node.entries() else {
            return self.expect_table(e);
        };
        for f in entries {
            match (f.key.as_str(), &f.node) {
                ("name", Node::Str { value, span, .. }) => {
                    if let Some((_, first)) = name {
                        self.err(
                            Diagnostic::at("the stack's name is set twice", *span)
                                .note(*first, "first set here"),
                        );
                    } else if value.is_empty()
                        || !value
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        self.err(
                            Diagnostic::at("invalid stack name", *span)
                                .hint("use letters, digits, `-` and `_`"),
                        );
                    } else {
                        *name = Some((value.clone(), *span));
                    }
                }
                ("name", other) => self.err(Diagnostic::at(
                    format!("`name` must be a string, found {}", other.kind()),
                    other.span(),
                )),
                (other, _) => {
                    let hint = didyoumean::hint(other, ["name"]).unwrap_or_default();
                    self.err(
                        Diagnostic::at(format!("unknown key `{other}` in [stack]"), f.key_span)
                            .hint(hint),
                    );
                }
            }
        }
    }

    fn variable(&mut self, v: &Entry) -> Option<VarDecl> {
        let mut decl = VarDecl {
            ty: Type::Any,
            default: None,
            sensitive: false,
            span: v.key_span,
        };
        for f in v.node.entries().unwrap_or(&[]) {
            match f.key.as_str() {
                "type" => match f.node.as_str().and_then(parse_type) {
                    Some(t) => decl.ty = t,
                    None => self.err(
                        Diagnostic::at("invalid variable type", f.node.span())
                            .hint("expected one of: string, number, bool, list, map, object, any, list(string), map(string), set(string)"),
                    ),
                },
                "default" => decl.default = Some(f.node.clone()),
                "description" => {
                    if f.node.as_str().is_none() {
                        self.err(Diagnostic::at("`description` must be a string", f.node.span()));
                    }
                }
                "sensitive" => match f.node {
                    Node::Bool(b, _) => decl.sensitive = b,
                    _ => self.err(Diagnostic::at("`sensitive` must be true or false", f.node.span())),
                },
                other => {
                    let hint = didyoumean::hint(other, VARIABLE_KEYS.iter().copied()).unwrap_or_default();
                    self.err(Diagnostic::at(format!("unknown key `{other}` in variable `{}`", v.key), f.key_span).hint(hint));
                }
            }
        }
        Some(decl)
    }

    fn variable_values(
        &mut self,
        decls: &BTreeMap<String, VarDecl>,
        env_vars: &[&Entry],
        opts: &LoadOptions,
        _first: Option<&Vec<Entry>>,
    ) -> BTreeMap<String, Value> {
        let mut values: BTreeMap<String, (Value, Span)> = BTreeMap::new();
        for (name, d) in decls {
            if let Some(n) = &d.default {
                if let Some(v) = self.literal(n) {
                    values.insert(name.clone(), (v, n.span()));
                }
            }
        }
        for e in env_vars {
            if !decls.contains_key(&e.key) {
                let hint = didyoumean::hint(&e.key, decls.keys().map(String::as_str))
                    .unwrap_or_else(|| {
                        "declare it with a [variable.NAME] table in the stack".into()
                    });
                self.err(
                    Diagnostic::at(
                        format!("`{}` is not a declared variable", e.key),
                        e.key_span,
                    )
                    .hint(hint),
                );
                continue;
            }
            if let Some(v) = self.literal(&e.node) {
                values.insert(e.key.clone(), (v, e.node.span()));
            }
        }
        let mut out = BTreeMap::new();
        for (name, raw) in &opts.vars {
            match decls.get(name) {
                None => {
                    let hint = didyoumean::hint(name, decls.keys().map(String::as_str))
                        .unwrap_or_default();
                    self.err(
                        Diagnostic::new(format!(
                            "--var {name}: the stack declares no variable `{name}`"
                        ))
                        .hint(hint),
                    );
                }
                Some(d) => {
                    let parsed = match d.ty {
                        Type::String => Value::String(raw.clone()),
                        _ => raw
                            .parse::<toml_edit::Value>()
                            .ok()
                            .map(|v| toml_to_value(&v))
                            .unwrap_or_else(|| Value::String(raw.clone())),
                    };
                    if let Err(m) = d.ty.check(&parsed) {
                        self.err(Diagnostic::new(format!(
                            "--var {name}: expected {}, found {}",
                            m.expected, m.found
                        )));
                    }
                    out.insert(name.clone(), parsed);
                }
            }
        }
        for (name, d) in decls {
            if self.unset_vars.contains(name) {
                continue;
            }
            let value = match out.remove(name) {
                Some(v) => v,
                None => match values.remove(name) {
                    Some((v, span)) => {
                        if let Err(m) = d.ty.check(&v) {
                            self.err(Diagnostic::at(
                                format!(
                                    "wrong type for variable `{name}`{}: expected {}, found {}",
                                    m.path, m.expected, m.found
                                ),
                                span,
                            ));
                            self.unset_vars.insert(name.clone());
                            continue;
                        }
                        v
                    }
                    None => {
                        self.err(
                            Diagnostic::at(format!("variable `{name}` has no value"), d.span)
                                .hint("give it a `default`, set it in the env file's [vars], or pass --var NAME=VALUE"),
                        );
                        self.unset_vars.insert(name.clone());
                        continue;
                    }
                },
            };
            out.insert(
                name.clone(),
                if d.sensitive {
                    Value::sensitive(value)
                } else {
                    value
                },
            );
        }
        out
    }

    /// A plain TOML value (no references allowed), e.g. a variable's default.
    fn literal(&mut self, n: &Node) -> Option<Value> {
        Some(match n {
            Node::Str { value, .. } => Value::String(value.clone()),
            Node::Int(i, _) => Value::Number(*i as f64),
            Node::Float(f, _) => Value::Number(*f),
            Node::Bool(b, _) => Value::Bool(*b),
            Node::Array(items, _) => Value::List(
                items
                    .iter()
                    .map(|i| self.literal(i))
                    .collect::<Option<_>>()?,
            ),
            Node::Table(entries, _) => Value::Map(
                entries
                    .iter()
                    .map(|e| Some((e.key.clone(), self.literal(&e.node)?)))
                    .collect::<Option<_>>()?,
            ),
            Node::Datetime(span) => {
                self.err(Diagnostic::at(
                    "datetimes are not supported; write the value as a string",
                    *span,
                ));
                return None;
            }
        })
    }

    /// Converts a node to an expression: strings are parsed for `${}`;
    /// variables are substituted; other references are kept and checked.
    fn expr(
        &mut self,
        n: &Node,
        vars: &BTreeMap<String, Value>,
        declared: &HashSet<Address>,
        raws: &[RawResource],
    ) -> Option<Expr> {
        let span = n.span();
        Some(match n {
            Node::Str {
                value,
                span,
                content,
            } => return self.string_expr(value, *span, *content, vars, declared, raws),
            Node::Array(items, _) => Expr {
                kind: ExprKind::List(
                    items
                        .iter()
                        .map(|i| self.expr(i, vars, declared, raws))
                        .collect::<Option<_>>()?,
                ),
                span,
            },
            Node::Table(entries, _) => Expr {
                kind: ExprKind::Map(
                    entries
                        .iter()
                        .map(|e| Some((e.key.clone(), self.expr(&e.node, vars, declared, raws)?)))
                        .collect::<Option<_>>()?,
                ),
                span,
            },
            other => Expr::literal(self.literal(other)?, span),
        })
    }

    fn string_expr(
        &mut self,
        value: &str,
        span: Span,
        content: Option<Span>,
        vars: &BTreeMap<String, Value>,
        declared: &HashSet<Address>,
        raws: &[RawResource],
    ) -> Option<Expr> {
        // Offsets inside the string map to the source only when the string
        // has no escapes; otherwise point at the whole string.
        let at = |r: std::ops::Range<usize>| content.map(|c| c.narrow(r)).unwrap_or(span);
        let pieces = match interp::parse(value) {
            Ok(p) => p,
            Err(e) => {
                self.err(
                    Diagnostic::at(e.message, at(e.range)).hint("write `$${` for a literal `${`"),
                );
                return None;
            }
        };
        let mut parts = Vec::new();
        let mut ok = true;
        let single = pieces.len() == 1;
        for p in pieces {
            match p {
                Piece::Lit(s) => parts.push(TemplatePart::Lit(s)),
                Piece::Ref(r) => {
                    match self.reference(&r, at(r.range.clone()), vars, declared, raws) {
                        Some(e) => parts.push(TemplatePart::Interp(e)),
                        None => ok = false,
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        Some(match parts.as_slice() {
            [TemplatePart::Lit(s)] => Expr::literal(Value::String(s.clone()), span),
            [TemplatePart::Interp(e)] if single => Expr {
                kind: e.kind.clone(),
                span,
            },
            _ => Expr {
                kind: ExprKind::Template(parts),
                span,
            },
        })
    }

    fn reference(
        &mut self,
        r: &interp::RawRef,
        span: Span,
        vars: &BTreeMap<String, Value>,
        declared: &HashSet<Address>,
        raws: &[RawResource],
    ) -> Option<Expr> {
        let key = |s: Option<&PathStep>| match s {
            Some(PathStep::Key(k)) => Some(k.clone()),
            _ => None,
        };
        match r.root.as_str() {
            "var" => {
                let Some(name) = key(r.steps.first()) else {
                    self.err(Diagnostic::at("expected a variable name: `var.NAME`", span));
                    return None;
                };
                let Some(v) = vars.get(&name) else {
                    if self.unset_vars.contains(&name) || self.parse_failed {
                        return None;
                    }
                    let hint = didyoumean::hint(&name, vars.keys().map(String::as_str))
                        .unwrap_or_else(|| format!("declare it with a [variable.{name}] table"));
                    self.err(
                        Diagnostic::at(format!("reference to undeclared variable `{name}`"), span)
                            .hint(hint),
                    );
                    return None;
                };
                let mut value = v.clone();
                for step in &r.steps[1..] {
                    let sensitive = value.is_sensitive();
                    let next = match (value.unmarked(), step) {
                        (Value::Map(m), PathStep::Key(k)) => m.get(k).cloned(),
                        (Value::List(l), PathStep::Index(i)) => l.get(*i).cloned(),
                        _ => None,
                    };
                    let Some(next) = next else {
                        self.err(Diagnostic::at(
                            format!("variable `{name}` has no element {}", step_text(step)),
                            span,
                        ));
                        return None;
                    };
                    value = if sensitive {
                        Value::sensitive(next)
                    } else {
                        next
                    };
                }
                Some(Expr::literal(value, span))
            }
            "module" | "local" | "count" | "each" | "path" | "terraform" => {
                self.err(Diagnostic::at(
                    format!("`{}.` references are not supported yet", r.root),
                    span,
                ));
                None
            }
            root => {
                let (mode, ty, rest) = if root == "data" {
                    let Some(ty) = key(r.steps.first()) else {
                        self.err(Diagnostic::at("expected `data.TYPE.NAME`", span));
                        return None;
                    };
                    (Mode::Data, ty, &r.steps[1..])
                } else {
                    (Mode::Managed, root.to_string(), &r.steps[..])
                };
                let Some(name) = key(rest.first()) else {
                    self.err(Diagnostic::at(
                        format!(
                            "expected `{}{ty}.NAME`",
                            if mode == Mode::Data { "data." } else { "" }
                        ),
                        span,
                    ));
                    return None;
                };
                let mut address = Address::managed(ty.clone(), name);
                address.mode = mode;
                if !declared.contains(&address) {
                    let mut names: Vec<String> = declared.iter().map(|a| a.to_string()).collect();
                    names.sort();
                    let hint =
                        didyoumean::hint(&address.to_string(), names.iter().map(String::as_str))
                            .unwrap_or_else(|| "declare it, or check the spelling".into());
                    self.err(
                        Diagnostic::at(
                            format!("reference to undeclared resource `{address}`"),
                            span,
                        )
                        .hint(hint),
                    );
                    return None;
                }
                let path = rest[1..].to_vec();
                if let (Some(PathStep::Key(attr)), Some(schema)) =
                    (path.first(), self.registry.schema(mode, &ty))
                {
                    if schema.get(attr).is_none() {
                        let hint = didyoumean::hint(attr, schema.names()).unwrap_or_default();
                        self.err(
                            Diagnostic::at(format!("`{ty}` has no attribute `{attr}`"), span)
                                .hint(hint),
                        );
                        return None;
                    }
                }
                let _ = raws;
                Some(Expr {
                    kind: ExprKind::Ref(Reference {
                        subject: Subject::Object(address),
                        path,
                        span,
                    }),
                    span,
                })
            }
        }
    }

    fn resource(
        &mut self,
        r: &RawResource,
        vars: &BTreeMap<String, Value>,
        declared: &HashSet<Address>,
        raws: &[RawResource],
    ) -> Option<ResourceBlock> {
        let ty = &r.address.type_name;
        let schema = match (r.address.mode, self.registry.schema(r.address.mode, ty)) {
            (_, Some(s)) => s,
            (Mode::Managed, None) => {
                let hint = didyoumean::hint(ty, self.registry.resource_types()).unwrap_or_default();
                self.err(
                    Diagnostic::at(format!("unknown resource type `{ty}`"), r.span).hint(hint),
                );
                return None;
            }
            (Mode::Data, None) => {
                let known: Vec<&str> = self.registry.data_source_types().collect();
                let hint = didyoumean::hint(ty, known.iter().copied()).unwrap_or_else(|| {
                    if known.is_empty() {
                        "no data sources are available yet".into()
                    } else {
                        String::new()
                    }
                });
                self.err(
                    Diagnostic::at(format!("unknown data source type `{ty}`"), r.span).hint(hint),
                );
                return None;
            }
        };
        let mut block = ResourceBlock {
            address: r.address.clone(),
            span: r.span,
            attributes: BTreeMap::new(),
            attribute_spans: BTreeMap::new(),
            depends_on: Vec::new(),
            timeouts: Default::default(),
            provider: "aws".into(),
        };
        let before = self.diags.len();
        // Required attributes an unknown key was probably meant to be: their
        // absence is the same mistake, reported once.
        let mut meant: HashSet<&str> = HashSet::new();
        for e in &r.entries {
            if e.key == "depends_on" {
                self.depends_on(e, declared, &mut block);
                continue;
            }
            if e.key == "timeouts" {
                self.timeouts(e, &mut block);
                continue;
            }
            let Some(attr) = schema.get(&e.key) else {
                if let Some(s) = didyoumean::suggest(&e.key, schema.names()) {
                    meant.insert(s);
                }
                let hint =
                    didyoumean::hint(&e.key, schema.names().chain(META_ARGUMENTS.iter().copied()))
                        .unwrap_or_default();
                self.err(
                    Diagnostic::at(
                        format!(
                            "unknown attribute `{}` for {} `{ty}`",
                            e.key,
                            kind_name(r.address.mode)
                        ),
                        e.key_span,
                    )
                    .hint(hint),
                );
                continue;
            };
            if attr.presence == Presence::Computed {
                self.err(
                    Diagnostic::at(
                        format!("`{}` is computed by AWS and cannot be set", e.key),
                        e.key_span,
                    )
                    .hint(format!(
                        "remove it; read it elsewhere as `${{{}.{}}}`",
                        r.address, e.key
                    )),
                );
                continue;
            }
            let Some(expr) = self.expr(&e.node, vars, declared, raws) else {
                continue;
            };
            // Every reference unknown: what is known (literals, variables)
            // gets its type and value checks now.
            let value = expr.eval(&AllUnknown).unwrap_or(Value::Unknown);
            if let Err(m) = attr.ty.check(&value) {
                self.err(
                    Diagnostic::at(
                        format!(
                            "wrong type for `{}{}`: expected {}, found {}",
                            e.key, m.path, m.expected, m.found
                        ),
                        e.node.span(),
                    )
                    .label(format!("expected {}", m.expected)),
                );
            } else {
                self.nested_required(&attr.ty, &value, &e.key, e.node.span());
                for check in &attr.checks {
                    if let Err(m) = check.run(&value) {
                        self.err(Diagnostic::at(
                            format!("invalid value for `{}`: {m}", e.key),
                            e.node.span(),
                        ));
                    }
                }
            }
            block.attribute_spans.insert(e.key.clone(), e.key_span);
            block.attributes.insert(e.key.clone(), expr);
        }
        for (name, attr) in &schema.attributes {
            if attr.presence == Presence::Required
                && !meant.contains(name)
                && !block.attributes.contains_key(*name)
                && !r.entries.iter().any(|e| e.key == *name)
            {
                self.err(
                    Diagnostic::at(
                        format!("`{}` is missing the required attribute `{name}`", r.address),
                        r.span,
                    )
                    .hint(format!("add `{name} = ...` ({})", attr.ty)),
                );
            }
        }
        if self.diags.len() == before {
            self.cross_checks(r, &block);
        }
        Some(block)
    }

    /// Required keys inside nested blocks (security group rules, ...).
    fn nested_required(&mut self, ty: &Type, v: &Value, name: &str, span: Span) {
        match (ty, v.unmarked()) {
            (Type::List(t) | Type::Set(t), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.nested_required(t, item, &format!("{name}[{i}]"), span);
                }
            }
            (Type::Object(schema), Value::Map(m)) => {
                for (k, a) in &schema.attributes {
                    if a.presence == Presence::Required && !m.contains_key(*k) {
                        self.err(
                            Diagnostic::at(
                                format!("`{name}` is missing the required attribute `{k}`"),
                                span,
                            )
                            .hint(format!("add `{k} = ...` ({})", a.ty)),
                        );
                    }
                }
                for (k, item) in m {
                    if let Some(a) = schema.get(k) {
                        self.nested_required(&a.ty, item, &format!("{name}.{k}"), span);
                        for check in &a.checks {
                            if let Err(msg) = check.run(item) {
                                self.err(Diagnostic::at(
                                    format!("invalid value for `{name}.{k}`: {msg}"),
                                    span,
                                ));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The resource type's own checks across attributes, on known values.
    fn cross_checks(&mut self, r: &RawResource, block: &ResourceBlock) {
        let Some(resource) = (r.address.mode == Mode::Managed)
            .then(|| self.registry.resource(&r.address.type_name))
            .flatten()
        else {
            return;
        };
        let obj: cairn_core::Object = block
            .attributes
            .iter()
            .map(|(k, e)| (k.clone(), e.eval(&AllUnknown).unwrap_or(Value::Unknown)))
            .collect();
        for issue in resource.validate(&obj) {
            let span = block
                .attribute_spans
                .get(&issue.attribute)
                .copied()
                .unwrap_or(r.span);
            self.err(Diagnostic::at(
                format!("invalid value for `{}`: {}", issue.attribute, issue.message),
                span,
            ));
        }
    }

    /// `timeouts = { create = "10m", update = "5m", delete = "20m" }`.
    fn timeouts(&mut self, e: &Entry, block: &mut ResourceBlock) {
        let Some(entries) = e.node.entries() else {
            return self.err(
                Diagnostic::at(
                    format!("`timeouts` must be a table, found {}", e.node.kind()),
                    e.node.span(),
                )
                .hint("e.g. timeouts = { create = \"10m\", delete = \"20m\" }"),
            );
        };
        for t in entries {
            let slot = match t.key.as_str() {
                "create" => &mut block.timeouts.create,
                "update" => &mut block.timeouts.update,
                "delete" => &mut block.timeouts.delete,
                other => {
                    let hint =
                        didyoumean::hint(other, ["create", "update", "delete"]).unwrap_or_default();
                    self.err(
                        Diagnostic::at(format!("unknown timeout `{other}`"), t.key_span).hint(hint),
                    );
                    continue;
                }
            };
            match t.node.as_str().map(crate::model::parse_duration) {
                Some(Ok(d)) => *slot = Some(d),
                Some(Err(why)) => self.err(Diagnostic::at(why, t.node.span())),
                None => self.err(Diagnostic::at(
                    format!(
                        "a timeout must be a string like \"10m\", found {}",
                        t.node.kind()
                    ),
                    t.node.span(),
                )),
            }
        }
    }

    fn depends_on(&mut self, e: &Entry, declared: &HashSet<Address>, block: &mut ResourceBlock) {
        let Node::Array(items, _) = &e.node else {
            self.err(
                Diagnostic::at(
                    "`depends_on` must be a list of resource addresses",
                    e.node.span(),
                )
                .hint("e.g. depends_on = [\"aws_vpc.main\"]"),
            );
            return;
        };
        for item in items {
            let Node::Str { value, span, .. } = item else {
                self.err(Diagnostic::at(
                    "expected a resource address as a string",
                    item.span(),
                ));
                continue;
            };
            match value.parse::<Address>() {
                Ok(a) if declared.contains(&a) => block.depends_on.push((a, *span)),
                Ok(a) => {
                    let mut names: Vec<String> = declared.iter().map(|d| d.to_string()).collect();
                    names.sort();
                    let hint = didyoumean::hint(&a.to_string(), names.iter().map(String::as_str))
                        .unwrap_or_default();
                    self.err(
                        Diagnostic::at(
                            format!("`depends_on` names undeclared resource `{a}`"),
                            *span,
                        )
                        .hint(hint),
                    );
                }
                Err(err) => self.err(
                    Diagnostic::at(format!("`depends_on`: {}", err.reason), *span)
                        .hint("write an address such as \"aws_vpc.main\""),
                ),
            }
        }
    }

    fn output(
        &mut self,
        name: String,
        span: Span,
        entries: &[Entry],
        vars: &BTreeMap<String, Value>,
        declared: &HashSet<Address>,
        raws: &[RawResource],
    ) -> Option<OutputBlock> {
        let mut value = None;
        let mut description = None;
        let mut sensitive = false;
        for e in entries {
            match e.key.as_str() {
                "value" => value = self.expr(&e.node, vars, declared, raws),
                "description" => description = e.node.as_str().map(str::to_string),
                "sensitive" => match e.node {
                    Node::Bool(b, _) => sensitive = b,
                    _ => self.err(Diagnostic::at(
                        "`sensitive` must be true or false",
                        e.node.span(),
                    )),
                },
                other => {
                    let hint =
                        didyoumean::hint(other, OUTPUT_KEYS.iter().copied()).unwrap_or_default();
                    self.err(
                        Diagnostic::at(
                            format!("unknown key `{other}` in output `{name}`"),
                            e.key_span,
                        )
                        .hint(hint),
                    );
                }
            }
        }
        if !entries.iter().any(|e| e.key == "value") {
            self.err(Diagnostic::at(
                format!("output `{name}` has no `value`"),
                span,
            ));
        }
        Some(OutputBlock {
            name,
            value: value?,
            description,
            sensitive,
            span,
        })
    }

    /// A provider or backend field: a string, variables allowed.
    fn setting(&mut self, e: &Entry, vars: &BTreeMap<String, Value>) -> Option<Value> {
        let expr = self.expr(&e.node, vars, &HashSet::new(), &[])?;
        match expr.eval(&AllUnknown) {
            Ok(v) if v.is_wholly_known() => Some(v),
            _ => {
                self.err(Diagnostic::at(
                    format!(
                        "`{}` must be known before planning: only variables may be referenced here",
                        e.key
                    ),
                    e.node.span(),
                ));
                None
            }
        }
    }

    fn providers(
        &mut self,
        entries: BTreeMap<String, Vec<Entry>>,
        vars: &BTreeMap<String, Value>,
    ) -> BTreeMap<String, ProviderConfig> {
        let mut out = BTreeMap::new();
        for (name, fields) in entries {
            let mut p = ProviderConfig {
                span: fields.first().map(|f| f.key_span),
                ..Default::default()
            };
            for f in &fields {
                if !PROVIDER_KEYS.contains(&f.key.as_str()) {
                    let hint =
                        didyoumean::hint(&f.key, PROVIDER_KEYS.iter().copied()).unwrap_or_default();
                    self.err(
                        Diagnostic::at(
                            format!("unknown key `{}` in [provider.{name}]", f.key),
                            f.key_span,
                        )
                        .hint(hint),
                    );
                    continue;
                }
                let Some(v) = self.setting(f, vars) else {
                    continue;
                };
                if f.key == "default_tags" {
                    match v.unmarked() {
                        Value::Map(m) => {
                            for (k, tv) in m {
                                match tv.as_str() {
                                    Some(s) => {
                                        p.default_tags.insert(k.clone(), s.to_string());
                                    }
                                    None => self.err(Diagnostic::at(
                                        format!("default tag `{k}` must be a string"),
                                        f.node.span(),
                                    )),
                                }
                            }
                        }
                        _ => self.err(Diagnostic::at(
                            "`default_tags` must be a table of strings",
                            f.node.span(),
                        )),
                    }
                    continue;
                }
                let Some(s) = v.as_str().map(str::to_string) else {
                    self.err(Diagnostic::at(
                        format!("`{}` must be a string", f.key),
                        f.node.span(),
                    ));
                    continue;
                };
                match f.key.as_str() {
                    "region" => p.region = Some(s),
                    "profile" => p.profile = Some(s),
                    "assume_role_arn" => p.assume_role_arn = Some(s),
                    _ => p.endpoint_url = Some(s),
                }
            }
            out.insert(name, p);
        }
        out
    }

    fn backend(&mut self, entries: Vec<Entry>, vars: &BTreeMap<String, Value>) -> BackendConfig {
        let mut b = BackendConfig {
            span: entries.first().map(|e| e.key_span),
            ..Default::default()
        };
        for e in &entries {
            let Some(v) = self.setting(e, vars) else {
                continue;
            };
            if e.key == "type" {
                match v.as_str() {
                    Some(t @ ("local" | "s3")) => b.kind = t.to_string(),
                    _ => self.err(
                        Diagnostic::at("unknown backend type", e.node.span())
                            .hint("expected `local` or `s3`"),
                    ),
                }
            } else {
                b.settings.insert(e.key.clone(), v);
            }
        }
        let known: &[&str] = match b.kind.as_str() {
            "s3" => S3_BACKEND_KEYS,
            _ => LOCAL_BACKEND_KEYS,
        };
        for e in entries.iter().filter(|e| e.key != "type") {
            if !known.contains(&e.key.as_str()) {
                let hint = didyoumean::hint(&e.key, known.iter().copied()).unwrap_or_default();
                self.err(
                    Diagnostic::at(
                        format!("unknown key `{}` for the {} backend", e.key, b.kind),
                        e.key_span,
                    )
                    .hint(hint),
                );
            }
        }
        if b.kind == "s3" {
            for required in ["bucket", "key"] {
                if !b.settings.contains_key(required) {
                    if let Some(span) = b.span {
                        self.err(
                            Diagnostic::at(format!("the s3 backend needs `{required}`"), span)
                                .hint(format!(
                                "add `{required} = \"...\"` to [backend] here or in the env file"
                            )),
                        );
                    }
                }
            }
        }
        b
    }
}

fn kind_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Managed => "resource type",
        Mode::Data => "data source",
    }
}

fn step_text(s: &PathStep) -> String {
    match s {
        PathStep::Key(k) => format!("`{k}`"),
        PathStep::Index(i) => format!("[{i}]"),
    }
}

/// Every reference is unknown: evaluation then yields what is known without
/// any other resource.
struct AllUnknown;

impl Scope for AllUnknown {
    fn object(&self, _: &Address) -> Option<Value> {
        Some(Value::Unknown)
    }
}

fn parse_type(s: &str) -> Option<Type> {
    let s = s.trim();
    let simple = |t: &str| match t {
        "string" => Some(Type::String),
        "number" => Some(Type::Number),
        "bool" => Some(Type::Bool),
        "any" => Some(Type::Any),
        "list" => Some(Type::list(Type::Any)),
        "set" => Some(Type::set(Type::Any)),
        "map" | "object" => Some(Type::map(Type::Any)),
        _ => None,
    };
    if let Some(t) = simple(s) {
        return Some(t);
    }
    let (outer, inner) = s.strip_suffix(')')?.split_once('(')?;
    let inner = parse_type(inner)?;
    match outer.trim() {
        "list" => Some(Type::list(inner)),
        "set" => Some(Type::set(inner)),
        "map" => Some(Type::map(inner)),
        _ => None,
    }
}

fn toml_to_value(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as V;
    match v {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::Number(*i.value() as f64),
        V::Float(f) => Value::Number(*f.value()),
        V::Boolean(b) => Value::Bool(*b.value()),
        V::Datetime(d) => Value::String(d.value().to_string()),
        V::Array(a) => Value::List(a.iter().map(toml_to_value).collect()),
        V::InlineTable(t) => Value::Map(
            t.iter()
                .map(|(k, v)| (k.to_string(), toml_to_value(v)))
                .collect(),
        ),
    }
}
