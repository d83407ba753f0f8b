//! One `.tf` file's top-level blocks to the sections of one stack file:
//! `terraform` (backend, required_providers), `provider`, `variable`,
//! `locals`, `resource`, `data`, `module`, `output`, `import`, `moved`.

use std::ops::Range;

use cairn_core::Mode;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::{Decorate, Span};

use crate::blocks::{self, Meta};
use crate::expr;
use crate::problems::FileCx;
use crate::toml_out::{Section, Val};
use crate::Schemas;

/// What converting a file needs besides the file: the schemas, whether it
/// is the root module, and how a module call's `source` is written in the
/// output (`Err`: why it cannot be).
pub(crate) struct FileEnv<'a> {
    pub schemas: &'a dyn Schemas,
    pub is_root: bool,
    pub module_source: &'a dyn Fn(&str) -> Result<String, String>,
}

/// Leaves a comment where a construct was not converted, so that a
/// `--partial` conversion shows the gap in place.
fn refuse(
    cx: &mut FileCx,
    out: &mut Vec<Section>,
    span: Option<Range<usize>>,
    construct: String,
    why: &str,
) {
    out.push(Section::comment(format!(
        "cairn convert: {construct} ({}) not converted: {why}",
        cx.at(span.clone())
    )));
    cx.problem(span, construct, why);
}

fn labels(b: &Block) -> Vec<&str> {
    b.labels.iter().map(|l| l.as_str()).collect()
}

pub(crate) fn file(cx: &mut FileCx, env: &FileEnv, body: &Body) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut locals_at: Option<usize> = None;
    let mut pending: Vec<String> = Vec::new();
    for s in body.iter() {
        let b = match s {
            Structure::Block(b) => b,
            Structure::Attribute(a) => {
                cx.problem(
                    a.key.span(),
                    format!("attribute {}", a.key.as_str()),
                    "a Terraform file holds only blocks at its top level",
                );
                continue;
            }
        };
        let span = b.ident.span();
        let ls = labels(b);
        let before = out.len();
        match (b.ident.as_str(), ls.as_slice()) {
            ("terraform", []) => terraform(cx, env, b, &mut out),
            ("provider", [name]) => provider(cx, env, b, name, &mut out),
            ("variable", [name]) => variable(cx, b, name, &mut out),
            ("locals", []) => {
                let i = *locals_at.get_or_insert_with(|| {
                    out.push(Section::table(&["locals"]));
                    out.len() - 1
                });
                for a in b.body.attributes() {
                    let v = expr::value(cx, &a.value);
                    out[i].set(a.key.as_str(), v);
                }
            }
            ("resource", [ty, name]) => resource(cx, env, b, Mode::Managed, ty, name, &mut out),
            ("data", [ty, name]) => resource(cx, env, b, Mode::Data, ty, name, &mut out),
            ("module", [name]) => module(cx, env, b, name, &mut out),
            ("output", [name]) => output(cx, b, name, &mut out),
            ("import", []) if env.is_root => import(cx, b, &mut out),
            ("moved", []) if env.is_root => moved(cx, b, &mut out),
            ("import" | "moved", []) => refuse(
                cx,
                &mut out,
                span,
                b.ident.as_str().to_string(),
                "cairn reads [[import]] and [[moved]] only in the stack: write it there, with the module's path in the address",
            ),
            ("check", _) => refuse(
                cx,
                &mut out,
                span,
                format!("check {}", ls.join(" ")),
                "cairn has no check blocks: a variable's validation rule, or a check in CI, can stand in",
            ),
            ("removed", _) => refuse(
                cx,
                &mut out,
                span,
                "removed".into(),
                "cairn has no removed blocks: `cairn state rm` forgets an object without destroying it",
            ),
            (other, _) => refuse(
                cx,
                &mut out,
                span,
                format!("block {other} {}", ls.join(" ")).trim_end().to_string(),
                "not a Terraform block cairn converts",
            ),
        }
        // The block's comments stay with what it became; those of a block
        // that became nothing (`terraform`) go to the next one.
        pending.extend(comments_above(b));
        if let Some(first) = out.get_mut(before) {
            pending.append(&mut first.comments);
            first.comments = std::mem::take(&mut pending);
        }
    }
    out
}

/// The comment lines written above a block, without their markers.
fn comments_above(b: &Block) -> Vec<String> {
    let Some(prefix) = b.decor().prefix() else {
        return Vec::new();
    };
    let text: &str = prefix;
    text.lines()
        .map(str::trim)
        .filter_map(|l| {
            l.strip_prefix('#')
                .or_else(|| l.strip_prefix("//"))
                .map(|c| c.strip_prefix(' ').unwrap_or(c).trim_end().to_string())
        })
        .collect()
}

fn terraform(cx: &mut FileCx, env: &FileEnv, b: &Block, out: &mut Vec<Section>) {
    for inner in b.body.blocks() {
        let span = inner.ident.span();
        match inner.ident.as_str() {
            "backend" if env.is_root => backend(cx, inner, out),
            "backend" => cx.note(format!(
                "{}: a backend in a module is ignored (Terraform ignores it too)",
                cx.at(span)
            )),
            "required_providers" => {
                for a in inner.body.attributes() {
                    let name = a.key.as_str();
                    if !matches!(name, "aws" | "random") {
                        cx.problem(
                            a.key.span(),
                            format!("required provider {name}"),
                            "cairn has the aws and random providers only",
                        );
                    }
                }
            }
            "cloud" => cx.problem(
                span,
                "terraform cloud",
                "cairn keeps state in a local file or S3: write a [backend]",
            ),
            "provider_meta" => {}
            other => cx.problem(
                span,
                format!("terraform {other}"),
                "not a setting cairn converts",
            ),
        }
    }
}

/// `x/terraform.tfstate` -> `x/cairn.json`, anything else gets
/// `.cairn.json`: cairn's state is another format and must never replace
/// Terraform's while both exist.
fn state_key(key: &str) -> String {
    match key.strip_suffix("terraform.tfstate") {
        Some(prefix) => format!("{prefix}cairn.json"),
        None => format!("{key}.cairn.json"),
    }
}

fn string_attr(cx: &mut FileCx, a: &Attribute) -> Option<String> {
    match &a.value {
        Expression::String(s) => Some(s.as_str().to_string()),
        other => {
            cx.problem(
                other.span(),
                format!("{} = ...", a.key.as_str()),
                "expected a plain string here",
            );
            None
        }
    }
}

fn backend(cx: &mut FileCx, b: &Block, out: &mut Vec<Section>) {
    let span = b.ident.span();
    let kind = b.labels.first().map(|l| l.as_str()).unwrap_or("");
    if !matches!(kind, "s3" | "local") {
        refuse(
            cx,
            out,
            span,
            format!("backend \"{kind}\""),
            "cairn's backends are local and s3: move the state to S3, or start with local state",
        );
        return;
    }
    let mut sec = Section::table(&["backend"]);
    sec.set("type", Val::Str(kind.into()));
    let mut dropped = Vec::new();
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let key = a.key.as_str();
                match (kind, key) {
                    ("s3", "bucket" | "region" | "profile" | "kms_key_id") => {
                        sec.set(key, expr::value(cx, &a.value))
                    }
                    ("s3", "role_arn") => sec.set("assume_role_arn", expr::value(cx, &a.value)),
                    ("s3", "endpoint") => sec.set("endpoint_url", expr::value(cx, &a.value)),
                    ("s3", "key") | ("local", "path") => {
                        if let Some(k) = string_attr(cx, a) {
                            let new = state_key(&k);
                            cx.note(format!(
                                "{}: the state {key} `{k}` became `{new}`: cairn never writes over Terraform's state",
                                cx.at(a.key.span())
                            ));
                            sec.set(key, Val::Str(new));
                        }
                    }
                    _ => dropped.push(key.to_string()),
                }
            }
            Structure::Block(inner) => match (kind, inner.ident.as_str()) {
                ("s3", "assume_role") => {
                    for a in inner.body.attributes() {
                        if a.key.as_str() == "role_arn" {
                            sec.set("assume_role_arn", expr::value(cx, &a.value));
                        } else {
                            dropped.push(format!("assume_role.{}", a.key.as_str()));
                        }
                    }
                }
                ("s3", "endpoints") => {
                    for a in inner.body.attributes() {
                        if a.key.as_str() == "s3" {
                            sec.set("endpoint_url", expr::value(cx, &a.value));
                        } else {
                            dropped.push(format!("endpoints.{}", a.key.as_str()));
                        }
                    }
                }
                (_, other) => dropped.push(other.to_string()),
            },
        }
    }
    if !dropped.is_empty() {
        cx.note(format!(
            "{}: backend settings dropped: {} (cairn's S3 backend locks with a lease object and always encrypts; docs/state.md)",
            cx.at(span),
            dropped.join(", ")
        ));
    }
    out.push(sec);
}

/// Settings of `provider "aws"` that are dropped with a note: credentials
/// are never copied, and the rest has no cairn setting.
const PROVIDER_DROPPED: &[&str] = &[
    "access_key",
    "secret_key",
    "token",
    "shared_credentials_files",
    "shared_config_files",
    "skip_credentials_validation",
    "skip_metadata_api_check",
    "skip_region_validation",
    "skip_requesting_account_id",
    "s3_use_path_style",
    "s3_force_path_style",
    "max_retries",
    "allowed_account_ids",
    "forbidden_account_ids",
    "retry_mode",
];

fn provider(cx: &mut FileCx, env: &FileEnv, b: &Block, name: &str, out: &mut Vec<Section>) {
    let span = b.ident.span();
    if name == "random" {
        return;
    }
    if name != "aws" {
        refuse(
            cx,
            out,
            span,
            format!("provider \"{name}\""),
            "cairn has the aws and random providers only",
        );
        return;
    }
    if !env.is_root {
        refuse(
            cx,
            out,
            span,
            "provider \"aws\" in a module".into(),
            "a cairn module gets its providers from its caller: configure it in the stack and pass it with `providers`",
        );
        return;
    }
    let alias = b
        .body
        .get_attribute("alias")
        .and_then(|a| a.value.as_str().map(str::to_string));
    let mut sec = match &alias {
        Some(a) => Section::table(&["provider", "aws", a]),
        None => Section::table(&["provider", "aws"]),
    };
    let mut dropped = Vec::new();
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                "alias" => {}
                key @ ("region" | "profile") => sec.set(key, expr::value(cx, &a.value)),
                key if PROVIDER_DROPPED.contains(&key) || key.starts_with("skip_") => {
                    dropped.push(key.to_string())
                }
                key => cx.problem(
                    a.key.span(),
                    format!("provider aws {key}"),
                    "not a provider setting cairn has",
                ),
            },
            Structure::Block(inner) => match inner.ident.as_str() {
                "assume_role" => {
                    for a in inner.body.attributes() {
                        if a.key.as_str() == "role_arn" {
                            sec.set("assume_role_arn", expr::value(cx, &a.value));
                        } else {
                            dropped.push(format!("assume_role.{}", a.key.as_str()));
                        }
                    }
                }
                "default_tags" => {
                    if let Some(t) = inner.body.get_attribute("tags") {
                        sec.set("default_tags", expr::value(cx, &t.value));
                    }
                }
                "endpoints" => endpoints(cx, inner, &mut sec),
                other => cx.problem(
                    inner.ident.span(),
                    format!("provider aws {other}"),
                    "not a provider setting cairn has",
                ),
            },
        }
    }
    if !dropped.is_empty() {
        cx.note(format!(
            "{}: provider settings dropped: {} (credentials come from the profile, the role or the environment, never from the files)",
            cx.at(span),
            dropped.join(", ")
        ));
    }
    out.push(sec);
}

/// cairn has one `endpoint_url` for every service: per-service endpoints
/// convert only when they are all the same.
fn endpoints(cx: &mut FileCx, b: &Block, sec: &mut Section) {
    let mut seen: Option<(String, Val)> = None;
    for a in b.body.attributes() {
        let text = cx.slice(a.value.span()).to_string();
        match &seen {
            None => seen = Some((text, expr::value(cx, &a.value))),
            Some((first, _)) if *first == text => {}
            Some(_) => {
                cx.problem(
                    b.ident.span(),
                    "provider aws endpoints",
                    "the services have different endpoints; cairn has one endpoint_url for all",
                );
                return;
            }
        }
    }
    if let Some((_, v)) = seen {
        sec.set("endpoint_url", v);
    }
}

fn variable(cx: &mut FileCx, b: &Block, name: &str, out: &mut Vec<Section>) {
    let mut sec = Section::table(&["variable", name]);
    let mut rules = Vec::new();
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                "type" => {
                    let t = expr::strip_comments(cx.slice(a.value.span()));
                    sec.set("type", Val::Str(t));
                }
                key @ ("default" | "description" | "sensitive") => {
                    sec.set(key, expr::value(cx, &a.value))
                }
                "nullable" => {
                    if a.value.as_bool() == Some(false) {
                        cx.note(format!(
                            "{}: variable {name}: `nullable = false` dropped (cairn has no such setting): a null value is not replaced by the default",
                            cx.at(a.key.span())
                        ));
                    }
                }
                key => cx.problem(
                    a.key.span(),
                    format!("variable {name} {key}"),
                    "not a variable setting cairn has",
                ),
            },
            Structure::Block(v) if v.ident.as_str() == "validation" => {
                let mut rule = Section::array_table(&["variable", name, "validation"]);
                for a in v.body.attributes() {
                    match a.key.as_str() {
                        key @ ("condition" | "error_message") => {
                            rule.set(key, expr::value(cx, &a.value))
                        }
                        key => cx.problem(
                            a.key.span(),
                            format!("validation {key}"),
                            "not a validation setting",
                        ),
                    }
                }
                rules.push(rule);
            }
            Structure::Block(other) => cx.problem(
                other.ident.span(),
                format!("variable {name} {}", other.ident.as_str()),
                "not a variable setting cairn has",
            ),
        }
    }
    out.push(sec);
    out.extend(rules);
}

fn resource(
    cx: &mut FileCx,
    env: &FileEnv,
    b: &Block,
    mode: Mode,
    ty: &str,
    name: &str,
    out: &mut Vec<Section>,
) {
    let span = b.ident.span();
    let (table, kind, meta) = match mode {
        Mode::Managed => ("resource", "resource", Meta::Resource),
        Mode::Data => ("data", "data source", Meta::Data),
    };
    let construct = format!("{table} \"{ty}\" \"{name}\"");
    if matches!(ty, "terraform_data" | "null_resource") {
        refuse(
            cx,
            out,
            span,
            construct,
            "cairn has no terraform_data or null_resource: they only run provisioners or hold values (a local does)",
        );
        return;
    }
    let schema = match mode {
        Mode::Managed => env.schemas.resource(ty),
        Mode::Data => env.schemas.data(ty),
    };
    let Some(schema) = schema else {
        refuse(
            cx,
            out,
            span,
            construct,
            &format!("cairn has no {kind} type `{ty}`"),
        );
        return;
    };
    let mut sec = Section::table(&[table, ty, name]);
    sec.entries = blocks::entries(cx, schema, ty, &b.body, meta);
    out.push(sec);
}

/// A registry or git address, rather than a local directory.
fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

fn module(cx: &mut FileCx, env: &FileEnv, b: &Block, name: &str, out: &mut Vec<Section>) {
    let span = b.ident.span();
    let construct = format!("module \"{name}\"");
    let source = b
        .body
        .get_attribute("source")
        .and_then(|a| a.value.as_str().map(str::to_string));
    let Some(source) = source else {
        refuse(
            cx,
            out,
            span,
            construct,
            "a module call needs a plain string `source`",
        );
        return;
    };
    if !is_local(&source) {
        refuse(
            cx,
            out,
            span,
            construct,
            &format!("source `{source}` is not a local directory: cairn reads local modules only; vendor it into a directory and call that"),
        );
        return;
    }
    let mut sec = Section::table(&["module", name]);
    match (env.module_source)(&source) {
        Ok(s) => sec.set("source", Val::Str(s)),
        Err(why) => {
            refuse(cx, out, span, construct, &why);
            return;
        }
    }
    for a in b.body.attributes() {
        let key = a.key.as_str();
        match key {
            "source" => {}
            "version" => cx.problem(
                a.key.span(),
                format!("module \"{name}\" version"),
                "a version applies to registry modules only; cairn reads local directories",
            ),
            "count" | "for_each" => sec.set(key, expr::value(cx, &a.value)),
            "depends_on" => sec.set(
                key,
                Val::Array(blocks::references(cx, &a.value, "depends_on")),
            ),
            "providers" => {
                let Expression::Object(obj) = &a.value else {
                    cx.problem(
                        a.value.span(),
                        "module providers",
                        "expected { aws = aws.x }",
                    );
                    continue;
                };
                let mut t = Vec::new();
                for (k, v) in obj.iter() {
                    let k = cx.slice(k.span()).trim().to_string();
                    match expr::reference(cx, v.expr()) {
                        Some(r) => t.push((k, Val::Str(r))),
                        None => cx.problem(
                            v.expr().span(),
                            "module providers",
                            "expected a provider reference such as aws.west",
                        ),
                    }
                }
                sec.set(key, Val::Table(t));
            }
            _ => sec.set(key, expr::value(cx, &a.value)),
        }
    }
    for inner in b.body.blocks() {
        cx.problem(
            inner.ident.span(),
            format!("module \"{name}\" {}", inner.ident.as_str()),
            "a module call has no nested blocks cairn converts",
        );
    }
    out.push(sec);
}

fn output(cx: &mut FileCx, b: &Block, name: &str, out: &mut Vec<Section>) {
    let mut sec = Section::table(&["output", name]);
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                key @ ("value" | "description" | "sensitive") => {
                    sec.set(key, expr::value(cx, &a.value))
                }
                key => cx.problem(
                    a.key.span(),
                    format!("output {name} {key}"),
                    "not an output setting cairn has",
                ),
            },
            Structure::Block(inner) => cx.problem(
                inner.ident.span(),
                format!("output {name} {}", inner.ident.as_str()),
                "cairn has no preconditions on outputs",
            ),
        }
    }
    out.push(sec);
}

fn import(cx: &mut FileCx, b: &Block, out: &mut Vec<Section>) {
    let mut sec = Section::array_table(&["import"]);
    for a in b.body.attributes() {
        match a.key.as_str() {
            "to" => match expr::reference(cx, &a.value) {
                Some(r) => sec.set("to", Val::Str(r)),
                None => cx.problem(a.value.span(), "import to", "expected a resource address"),
            },
            "id" => sec.set("id", expr::value(cx, &a.value)),
            key => cx.problem(
                a.key.span(),
                format!("import {key}"),
                "cairn's [[import]] has `to` and `id` only: write one per instance",
            ),
        }
    }
    out.push(sec);
}

fn moved(cx: &mut FileCx, b: &Block, out: &mut Vec<Section>) {
    let mut sec = Section::array_table(&["moved"]);
    for a in b.body.attributes() {
        match a.key.as_str() {
            key @ ("from" | "to") => match expr::reference(cx, &a.value) {
                Some(r) => sec.set(key, Val::Str(r)),
                None => cx.problem(
                    a.value.span(),
                    format!("moved {key}"),
                    "expected an address",
                ),
            },
            key => cx.problem(a.key.span(), format!("moved {key}"), "not a moved setting"),
        }
    }
    out.push(sec);
}
