//! The root module's variable values. Lowest precedence first: the
//! variable's `default`, `CAIRN_VAR_NAME` in the environment, the env
//! file's `[vars]`, each `--var-file` in order, each `--var` in order. The
//! value that wins is converted to the variable's type and checked against
//! its validation rules, and errors point at where the value came from.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use cairn_core::Value;

use crate::diagnostic::Diagnostic;
use crate::didyoumean;
use crate::eval::Scope;
use crate::expr::Subject;
use crate::model::{Module, VariableDecl};
use crate::node::{Entry, Node};
use crate::source::Span;
use crate::types::VarType;

use super::{blocks, Cx, LoadOptions};

/// Where a value came from, for errors about it.
struct Chosen {
    value: Value,
    /// As written in an env or variable file.
    node: Option<Node>,
    origin: String,
}

pub(crate) fn root_values(
    cx: &mut Cx,
    module: &Module,
    env_entries: &[Entry],
    opts: &LoadOptions,
) -> BTreeMap<String, Value> {
    let decls = &module.variables;
    let mut chosen: BTreeMap<String, Chosen> = BTreeMap::new();
    for (name, raw) in &opts.env_vars {
        // The environment is shared by every stack: names this stack does
        // not declare are not an error.
        if let Some(d) = decls.get(name) {
            chosen.insert(
                name.clone(),
                Chosen {
                    value: parse_raw(raw, &d.ty),
                    node: None,
                    origin: format!("CAIRN_VAR_{name}"),
                },
            );
        }
    }
    for e in env_entries.iter().filter(|e| e.key == "vars") {
        match e.node.entries() {
            Some(vars) => from_file(cx, vars, decls, &mut chosen),
            None => cx.expect_table(e),
        }
    }
    for path in &opts.var_files {
        if !path.is_file() {
            cx.err(Diagnostic::new(format!(
                "--var-file {}: no such file",
                path.display()
            )));
            continue;
        }
        if let Some(entries) = cx.read_file(path.to_path_buf()) {
            from_file(cx, &entries, decls, &mut chosen);
        }
    }
    for (name, raw) in &opts.vars {
        match decls.get(name) {
            None => {
                let hint =
                    didyoumean::hint(name, decls.keys().map(String::as_str)).unwrap_or_default();
                cx.err(
                    Diagnostic::new(format!(
                        "--var {name}: the stack declares no variable `{name}`"
                    ))
                    .hint(hint),
                );
            }
            Some(d) => {
                chosen.insert(
                    name.clone(),
                    Chosen {
                        value: parse_raw(raw, &d.ty),
                        node: None,
                        origin: format!("--var {name}"),
                    },
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    for (name, d) in decls {
        let (value, span, origin) = match chosen.remove(name) {
            // Marked before converting, so no error can show a secret.
            Some(c) => {
                let raw = if d.sensitive {
                    Value::sensitive(c.value.clone())
                } else {
                    c.value.clone()
                };
                match d.ty.convert(&raw) {
                    Ok(v) => (v, c.node.as_ref().map(Node::span), c.origin),
                    Err(m) => {
                        let message =
                            format!("wrong type for variable `{}`: {}", m.at(name), m.message);
                        cx.err(match &c.node {
                            Some(n) => Diagnostic::at(message, n.at(&m.steps).span()),
                            None => Diagnostic::new(format!("{}: {message}", c.origin)),
                        });
                        continue;
                    }
                }
            }
            None => match &d.default {
                Some(v) => (v.clone(), d.default_span, "the default".to_string()),
                None => {
                    if !cx.parse_failed && !cx.failed.contains(&(0, name.clone())) {
                        cx.err(Diagnostic::at(format!("variable `{name}` has no value"), d.span).hint(
                            "give it a `default`, set it in the env file's [vars] or a --var-file, pass --var NAME=VALUE, or set CAIRN_VAR_NAME",
                        ));
                    }
                    continue;
                }
            },
        };
        let scope = ValidationScope {
            name,
            value: &value,
            dir: &module.dir,
            files: cx.files.clone(),
        };
        if let Err(d) = check(d, &scope, span, &origin) {
            cx.err(d);
            continue;
        }
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

fn from_file(
    cx: &mut Cx,
    entries: &[Entry],
    decls: &BTreeMap<String, VariableDecl>,
    chosen: &mut BTreeMap<String, Chosen>,
) {
    for e in entries {
        if !decls.contains_key(&e.key) {
            let hint = didyoumean::hint(&e.key, decls.keys().map(String::as_str))
                .unwrap_or_else(|| "declare it with a [variable.NAME] table in the stack".into());
            cx.err(
                Diagnostic::at(
                    format!("`{}` is not a declared variable", e.key),
                    e.key_span,
                )
                .hint(hint),
            );
            continue;
        }
        if let Some(value) = blocks::literal(cx, &e.node) {
            chosen.insert(
                e.key.clone(),
                Chosen {
                    value,
                    node: Some(e.node.clone()),
                    origin: String::new(),
                },
            );
        }
    }
}

/// A value from the command line or the environment: a string for a string
/// variable, else read as a TOML value when it parses as one.
fn parse_raw(raw: &str, ty: &VarType) -> Value {
    if *ty == VarType::String {
        return Value::String(raw.to_string());
    }
    raw.parse::<toml_edit::Value>()
        .ok()
        .map(|v| toml_to_value(&v))
        .unwrap_or_else(|| Value::String(raw.to_string()))
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

/// The scope of a validation rule: the one variable, and `path.*`.
pub struct ValidationScope<'a> {
    pub name: &'a str,
    pub value: &'a Value,
    pub dir: &'a Path,
    pub files: std::sync::Arc<crate::files::FileCache>,
}

impl Scope for ValidationScope<'_> {
    fn get(&self, s: &Subject) -> Result<Cow<'_, Value>, String> {
        match s {
            Subject::Var(n) if n == self.name => Ok(Cow::Borrowed(self.value)),
            s @ (Subject::PathModule | Subject::PathRoot | Subject::PathCwd) => {
                crate::files::path_value(s, self.dir, self.dir)
                    .map(Cow::Owned)
                    .ok_or_else(|| "no path".to_string())
            }
            other => Err(format!("`{other}` cannot be used in a validation rule")),
        }
    }
    fn module_dir(&self) -> &Path {
        self.dir
    }
    fn files(&self) -> &dyn cairn_functions::FileSource {
        self.files.as_ref()
    }
}

/// Checks a value against its variable's validation rules. The error
/// points at where the value came from (`span`, else the declaration,
/// naming `origin`) with a note at the rule that refused it. A rule whose
/// condition is not known yet (a module input known only after apply)
/// passes.
pub fn check(
    decl: &VariableDecl,
    scope: &dyn Scope,
    span: Option<Span>,
    origin: &str,
) -> Result<(), Diagnostic> {
    for rule in &decl.validations {
        let verdict = rule.condition.eval(scope).map_err(|e| {
            Diagnostic::at(
                format!(
                    "the validation rule of `{}` failed: {}",
                    decl.name, e.message
                ),
                e.span,
            )
        })?;
        if verdict.is_unknown() {
            continue;
        }
        match verdict.as_bool() {
            Some(true) => continue,
            Some(false) => {}
            None => {
                return Err(Diagnostic::at(
                    format!(
                        "the validation condition of `{}` must be true or false, found a {}",
                        decl.name,
                        verdict.kind()
                    ),
                    rule.condition.span,
                ))
            }
        }
        let message = match rule.error_message.eval(scope) {
            Ok(m) if m.contains_sensitive() => {
                "(the error message is not shown: it contains a sensitive value)".into()
            }
            Ok(m) => m.as_str().map(str::to_string).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let message = if message.is_empty() {
            "the value does not satisfy the variable's validation rule".to_string()
        } else {
            message
        };
        let text = format!("invalid value for variable `{}`: {message}", decl.name);
        let d = match span {
            Some(span) => Diagnostic::at(text, span),
            None => Diagnostic::at(format!("{text} (from {origin})"), decl.span),
        };
        return Err(d.note(rule.condition.span, "the rule"));
    }
    Ok(())
}
