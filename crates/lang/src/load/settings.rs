//! The root module's settings: `[stack]`, `[provider.aws]` and its
//! aliases, `[backend]`, `[policy]`, `[[import]]` and `[[moved]]`, with the
//! env file's overrides. Provider and backend values may use variables and
//! locals; they must be known before planning.

use std::collections::BTreeMap;

use cairn_core::{Address, Target, Value};

use crate::diagnostic::Diagnostic;
use crate::didyoumean;
use crate::eval::Scope;
use crate::model::{
    BackendConfig, ImportBlock, MovedBlock, ProviderConfig, ServiceLimit, Stack, StateEncryption,
};
use crate::node::{Entry, Node};
use crate::policy::DenyRule;
use crate::source::Span;

use super::names::{Allow, Declared, Resolver};
use super::static_eval::StaticScope;
use super::Cx;

const ENV_TABLES: &[&str] = &["vars", "provider", "backend"];
const PROVIDER_KEYS: &[&str] = &[
    "region",
    "profile",
    "assume_role_arn",
    "endpoint_url",
    "default_tags",
    "max_concurrency",
    "max_retries",
];
/// Keys of `[provider.aws]` whose value is a table; any other table there
/// is an alias.
const PROVIDER_TABLES: &[&str] = &["default_tags", "max_concurrency"];
const LOCAL_BACKEND_KEYS: &[&str] = &["path", "encryption"];
const S3_BACKEND_KEYS: &[&str] = &[
    "bucket",
    "key",
    "region",
    "profile",
    "assume_role_arn",
    "endpoint_url",
    "kms_key_id",
    "lock_lease",
    "encryption",
];

pub(crate) fn stack_name(cx: &mut Cx, tables: &[Entry]) -> Option<String> {
    let mut name: Option<(String, Span)> = None;
    for e in tables {
        let Some(entries) = cx.table(e, None) else {
            continue;
        };
        for f in entries {
            match (f.key.as_str(), &f.node) {
                ("name", Node::Str { value, span, .. }) => {
                    if let Some((_, first)) = &name {
                        cx.err(
                            Diagnostic::at("the stack's name is set twice", *span)
                                .note(*first, "first set here"),
                        );
                    } else if value.is_empty()
                        || !value
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    {
                        cx.err(
                            Diagnostic::at("invalid stack name", *span)
                                .hint("use letters, digits, `-` and `_`"),
                        );
                    } else {
                        name = Some((value.clone(), *span));
                    }
                }
                ("name", other) => cx.err(Diagnostic::at(
                    format!("`name` must be a string, found {}", other.kind()),
                    other.span(),
                )),
                (other, _) => {
                    let hint = didyoumean::hint(other, ["name"]).unwrap_or_default();
                    cx.err(
                        Diagnostic::at(format!("unknown key `{other}` in [stack]"), f.key_span)
                            .hint(hint),
                    );
                }
            }
        }
    }
    if name.is_none() && !cx.parse_failed {
        let span = cx.sources.files().next().map(|(id, _)| Span::new(id, 0..0));
        let mut d = Diagnostic::new("the stack has no `[stack]` table with a `name`")
            .hint("add `[stack]` with `name = \"...\"` to one of its files");
        d.span = span;
        cx.err(d);
    }
    name.map(|(n, _)| n)
}

/// The env file may hold only `[vars]`, `[provider.aws]` and `[backend]`.
pub(crate) fn check_env_tables(cx: &mut Cx, env_entries: &[Entry]) {
    for e in env_entries {
        if !ENV_TABLES.contains(&e.key.as_str()) {
            let hint = didyoumean::hint(&e.key, ENV_TABLES.iter().copied()).unwrap_or_default();
            cx.err(
                Diagnostic::at(
                    format!("unknown table `{}` in an env file", e.key),
                    e.key_span,
                )
                .hint(hint),
            );
        }
    }
}

/// A setting's value: any expression of variables and locals, known now.
fn setting(cx: &mut Cx, e: &Entry, scope: &StaticScope, declared: &[Declared]) -> Option<Value> {
    let mut expr = super::blocks::expr_of(cx, &e.node)?;
    let empty = BTreeMap::new();
    let ok = Resolver {
        cx,
        declared: &declared[0],
        all: declared,
        children: &empty,
        allow: Allow::settings(),
    }
    .resolve(&mut expr);
    if !ok {
        return None;
    }
    match expr.eval(scope as &dyn Scope) {
        Ok(v) if v.is_wholly_known() => Some(v),
        Ok(_) => {
            cx.err(Diagnostic::at(
                format!(
                    "`{}` must be known before planning: it depends on a variable without a value",
                    e.key
                ),
                e.node.span(),
            ));
            None
        }
        Err(err) => {
            cx.err(Diagnostic::at(err.message, err.span));
            None
        }
    }
}

/// `[provider.aws]` and `[provider.aws.ALIAS]` from the stack's files,
/// then the env file's, field by field (default tags key by key).
pub(crate) fn providers(
    cx: &mut Cx,
    tables: &[Entry],
    env_entries: &[Entry],
    scope: &StaticScope,
    declared: &[Declared],
) -> BTreeMap<String, ProviderConfig> {
    let mut fields: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    fields.entry("aws".into()).or_default();
    for e in tables
        .iter()
        .chain(env_entries.iter().filter(|e| e.key == "provider"))
    {
        for p in cx.subtables(e, "provider") {
            if p.key != "aws" {
                cx.err(
                    Diagnostic::at(format!("unknown provider `{}`", p.key), p.key_span)
                        .hint("the only provider is `aws`"),
                );
                continue;
            }
            for f in p.node.entries().unwrap_or(&[]) {
                if !PROVIDER_TABLES.contains(&f.key.as_str()) && matches!(f.node, Node::Table(..)) {
                    fields
                        .entry(format!("aws.{}", f.key))
                        .or_default()
                        .extend(f.node.entries().unwrap_or(&[]).iter().cloned());
                } else {
                    fields.entry("aws".into()).or_default().push(f.clone());
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for (name, fields) in fields {
        let mut p = ProviderConfig {
            span: fields.first().map(|f| f.key_span),
            ..Default::default()
        };
        for f in &fields {
            if !PROVIDER_KEYS.contains(&f.key.as_str()) {
                let hint =
                    didyoumean::hint(&f.key, PROVIDER_KEYS.iter().copied()).unwrap_or_default();
                cx.err(
                    Diagnostic::at(
                        format!("unknown key `{}` in [provider.{name}]", f.key),
                        f.key_span,
                    )
                    .hint(hint),
                );
                continue;
            }
            let Some(v) = setting(cx, f, scope, declared) else {
                continue;
            };
            // Null (a variable left unset) leaves the setting unset.
            if v.is_null() {
                continue;
            }
            if v.contains_sensitive() {
                cx.err(Diagnostic::at(
                    format!(
                        "`{}` of [provider.{name}] comes from a sensitive value",
                        f.key
                    ),
                    f.node.span(),
                ));
                continue;
            }
            if f.key == "default_tags" {
                match v.as_map() {
                    Some(m) => {
                        for (k, tv) in m {
                            match tv.as_str() {
                                Some(s) => {
                                    p.default_tags.insert(k.clone(), s.to_string());
                                }
                                None => cx.err(Diagnostic::at(
                                    format!("default tag `{k}` must be a string"),
                                    f.node.span(),
                                )),
                            }
                        }
                    }
                    None => cx.err(Diagnostic::at(
                        "`default_tags` must be a table of strings",
                        f.node.span(),
                    )),
                }
                continue;
            }
            if f.key == "max_concurrency" {
                match v.as_map() {
                    Some(m) => {
                        for (service, n) in m {
                            match n.as_i64().filter(|n| (1..=1000).contains(n)) {
                                Some(n) => p.max_concurrency.push(ServiceLimit {
                                    service: service.clone(),
                                    limit: n as usize,
                                    span: f.node.span(),
                                }),
                                None => cx.err(Diagnostic::at(
                                    format!("`max_concurrency.{service}` must be a whole number from 1 to 1000"),
                                    f.node.span(),
                                )),
                            }
                        }
                    }
                    None => cx.err(
                        Diagnostic::at("`max_concurrency` must be a table", f.node.span())
                            .hint("for example `max_concurrency = { ec2 = 20, iam = 4 }`"),
                    ),
                }
                continue;
            }
            if f.key == "max_retries" {
                match v.as_i64().filter(|n| (0..=100).contains(n)) {
                    Some(n) => p.max_retries = Some(n as u32),
                    None => cx.err(Diagnostic::at(
                        "`max_retries` must be a whole number from 0 to 100",
                        f.node.span(),
                    )),
                }
                continue;
            }
            let Some(s) = v.as_str().map(str::to_string) else {
                cx.err(Diagnostic::at(
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

pub(crate) fn backend(
    cx: &mut Cx,
    entries: &[Entry],
    env_entries: &[Entry],
    scope: &StaticScope,
    declared: &[Declared],
) -> BackendConfig {
    let mut all: Vec<Entry> = entries.to_vec();
    for e in env_entries.iter().filter(|e| e.key == "backend") {
        match e.node.entries() {
            Some(entries) => all.extend(entries.iter().cloned()),
            None => cx.expect_table(e),
        }
    }
    let mut b = BackendConfig {
        span: all.first().map(|e| e.key_span),
        ..Default::default()
    };
    for e in &all {
        let Some(v) = setting(cx, e, scope, declared) else {
            continue;
        };
        if e.key == "type" {
            match v.as_str() {
                Some(t @ ("local" | "s3")) => b.kind = t.to_string(),
                _ => cx.err(
                    Diagnostic::at("unknown backend type", e.node.span())
                        .hint("expected `local` or `s3`"),
                ),
            }
        } else if e.key == "encryption" {
            match StateEncryption::from_value(&v) {
                Ok(enc) => b.encryption = Some(enc),
                Err(why) => cx.err(
                    Diagnostic::at(format!("`encryption` {why}"), e.node.span()).hint(
                        "expected `encryption = { kms_key_id = \"alias/...\" }`, optionally with `fallback = { kms_key_id = \"...\" }`",
                    ),
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
    for e in all.iter().filter(|e| e.key != "type") {
        if !known.contains(&e.key.as_str()) {
            let hint = didyoumean::hint(&e.key, known.iter().copied()).unwrap_or_default();
            cx.err(
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
                    cx.err(
                        Diagnostic::at(format!("the s3 backend needs `{required}`"), span).hint(
                            format!(
                                "add `{required} = \"...\"` to [backend] here or in the env file"
                            ),
                        ),
                    );
                }
            }
        }
    }
    b
}

/// `[policy] deny = ["delete:aws_kms_key", ...]`: gates every run enforces.
pub(crate) fn policy(cx: &mut Cx, tables: &[Entry]) -> Vec<DenyRule> {
    let mut policy = Vec::new();
    for e in tables {
        let Some(entries) = cx.table(e, None) else {
            continue;
        };
        for f in entries {
            if f.key != "deny" {
                let hint = didyoumean::hint(&f.key, ["deny"]).unwrap_or_default();
                cx.err(
                    Diagnostic::at(format!("unknown key `{}` in [policy]", f.key), f.key_span)
                        .hint(hint),
                );
                continue;
            }
            let Node::Array(items, _) = &f.node else {
                cx.err(
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
                        cx.err(Diagnostic::at("invalid deny rule", item.span()).hint(why))
                    }
                    None => cx.err(Diagnostic::at(
                        format!("a deny rule must be a string, found {}", item.kind()),
                        item.span(),
                    )),
                }
            }
        }
    }
    policy
}

/// The fields of an `[[import]]` or `[[moved]]` table.
fn fields<'n>(cx: &mut Cx, item: &'n Node, what: &str, known: &[&str]) -> Option<&'n [Entry]> {
    let Some(entries) = item.entries() else {
        cx.err(Diagnostic::at(
            format!("each `{what}` must be a table"),
            item.span(),
        ));
        return None;
    };
    for e in entries {
        if !known.contains(&e.key.as_str()) {
            let hint = didyoumean::hint(&e.key, known.iter().copied()).unwrap_or_default();
            cx.err(
                Diagnostic::at(format!("unknown key `{}` in [[{what}]]", e.key), e.key_span)
                    .hint(hint),
            );
        }
    }
    for k in known {
        if !entries.iter().any(|e| e.key == *k) {
            cx.err(Diagnostic::at(
                format!("[[{what}]] needs `{k}`"),
                item.span(),
            ));
            return None;
        }
    }
    Some(entries)
}

fn string_field<'n>(cx: &mut Cx, entries: &'n [Entry], key: &str) -> Option<(&'n str, Span)> {
    let e = entries.iter().find(|e| e.key == key)?;
    match &e.node {
        Node::Str { value, span, .. } => Some((value, *span)),
        other => {
            cx.err(Diagnostic::at(
                format!("`{key}` must be a string"),
                other.span(),
            ));
            None
        }
    }
}

/// Whether a configured block (or module call) exists at a target, ignoring
/// instance keys, and whether the target's keys fit its repetition.
fn configured(stack: &Stack, t: &Target) -> Result<(), String> {
    let (steps, resource) = match t {
        Target::Module(steps) => (steps.as_slice(), None),
        Target::Resource(a) => (a.module.as_slice(), Some(a)),
    };
    let path: Vec<String> = steps.iter().map(|s| s.name.clone()).collect();
    let Some((_, node)) = stack.module_at(&path) else {
        return Err(format!(
            "the configuration has no module {}",
            Target::Module(steps.to_vec())
        ));
    };
    let Some(a) = resource else {
        return Ok(());
    };
    let module = &stack.modules[node.module];
    let wanted = crate::expr::ResourceRef {
        mode: a.mode,
        type_name: a.type_name.clone(),
        name: a.name.clone(),
    };
    if module.resource(&wanted).is_none() {
        let names: Vec<String> = module
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        let hint = didyoumean::suggest(&wanted.to_string(), names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "the configuration has no resource `{}`{hint}",
            a.config_address()
        ));
    }
    Ok(())
}

pub(crate) fn imports(
    cx: &mut Cx,
    items: &[Node],
    stack: &Stack,
    declared: &[Declared],
) -> Vec<ImportBlock> {
    let scope = StaticScope::of(stack, 0);
    let mut out: Vec<ImportBlock> = Vec::new();
    for item in items {
        let Some(entries) = fields(cx, item, "import", &["to", "id"]) else {
            continue;
        };
        let Some((to, to_span)) = string_field(cx, entries, "to") else {
            continue;
        };
        let address = match to.parse::<Address>() {
            Ok(a) => a,
            Err(e) => {
                cx.err(
                    Diagnostic::at(format!("`to`: {}", e.reason), to_span)
                        .hint("e.g. to = \"aws_vpc.main\""),
                );
                continue;
            }
        };
        if let Err(why) = configured(stack, &Target::Resource(address.config_address())) {
            cx.err(
                Diagnostic::at(format!("cannot import into `{address}`: {why}"), to_span).hint(
                    "add the resource block the object should be managed by, then import into it",
                ),
            );
            continue;
        }
        if let Some(block) = stack.resource(&address) {
            let keyed = block.repetition.is_some();
            if keyed != address.key.is_some() {
                let why = if keyed {
                    format!(
                        "`{}` sets {}: name one instance, e.g. `{}[\"KEY\"]`",
                        address.config_address(),
                        block.repetition.as_ref().map(|r| r.keyword()).unwrap_or(""),
                        address
                    )
                } else {
                    format!(
                        "`{}` has no count or for_each: leave out the instance key",
                        address.config_address()
                    )
                };
                cx.err(
                    Diagnostic::at(format!("cannot import into `{address}`"), to_span).hint(why),
                );
                continue;
            }
            if address.is_data() {
                cx.err(Diagnostic::at(
                    "data sources are read, not imported",
                    to_span,
                ));
                continue;
            }
        }
        let Some(id_entry) = entries.iter().find(|e| e.key == "id") else {
            continue;
        };
        let Some(id) = setting(cx, id_entry, &scope, declared) else {
            continue;
        };
        let Some(id) = id.as_str().map(str::to_string) else {
            cx.err(Diagnostic::at(
                "`id` must be a string: the object's id in AWS",
                id_entry.node.span(),
            ));
            continue;
        };
        if let Some(first) = out.iter().find(|i| i.to == address) {
            cx.err(
                Diagnostic::at(format!("`{address}` is imported twice"), to_span)
                    .note(first.span, "first import"),
            );
            continue;
        }
        out.push(ImportBlock {
            to: address,
            id,
            span: item.span(),
        });
    }
    out
}

pub(crate) fn moved(cx: &mut Cx, items: &[Node], stack: &Stack) -> Vec<MovedBlock> {
    let mut out = Vec::new();
    for item in items {
        let Some(entries) = fields(cx, item, "moved", &["from", "to"]) else {
            continue;
        };
        let (Some((from, from_span)), Some((to, to_span))) = (
            string_field(cx, entries, "from"),
            string_field(cx, entries, "to"),
        ) else {
            continue;
        };
        let parse = |cx: &mut Cx, s: &str, span: Span| match s.parse::<Target>() {
            Ok(t) => Some(t),
            Err(e) => {
                cx.err(Diagnostic::at(e.reason, span).hint(
                    "e.g. \"aws_vpc.this\", \"module.network.aws_vpc.this\" or \"module.old\"",
                ));
                None
            }
        };
        let (Some(from_t), Some(to_t)) = (parse(cx, from, from_span), parse(cx, to, to_span))
        else {
            continue;
        };
        match (&from_t, &to_t) {
            (Target::Resource(a), Target::Resource(b))
                if a.type_name != b.type_name || a.mode != b.mode =>
            {
                cx.err(Diagnostic::at(
                    format!("cannot move `{a}` to `{b}`: a move keeps the resource type"),
                    to_span,
                ));
                continue;
            }
            (Target::Resource(_), Target::Resource(_)) | (Target::Module(_), Target::Module(_)) => {
            }
            _ => {
                cx.err(Diagnostic::at(
                    "`from` and `to` must both be resources or both be modules",
                    item.span(),
                ));
                continue;
            }
        }
        if let Err(why) = configured(stack, &to_t) {
            cx.err(Diagnostic::at(
                format!("cannot move to `{to_t}`: {why}"),
                to_span,
            ));
            continue;
        }
        // Keys aside, `from` must be gone from the configuration; a keyed
        // move within one block (count to for_each) is the exception.
        let same_block = matches!((&from_t, &to_t), (Target::Resource(a), Target::Resource(b)) if a.config_address() == b.config_address());
        if !same_block && configured(stack, &from_t).is_ok() {
            cx.err(
                Diagnostic::at(format!("cannot move from `{from_t}`: it is still in the configuration"), from_span)
                    .hint("a moved block records that what was configured at `from` is now at `to`; remove or rename the old block"),
            );
            continue;
        }
        out.push(MovedBlock {
            from: from_t,
            to: to_t,
            span: item.span(),
        });
    }
    out
}
