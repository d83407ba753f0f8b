//! From command-line arguments to a loaded stack, its graph, a provider
//! registry per configuration (`[provider.aws]` and its aliases), and the
//! state backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::{Providers, Registry};
use cairn_engine::ConfigGraph;
use cairn_lang::{Diagnostics, LoadOptions, Stack};
use cairn_state::seal::KeyProvider;
use cairn_state::{Backend, Encrypted, LocalBackend, Reading};
use cairn_state_kms::{KmsKeys, KmsSettings};
use cairn_state_s3::{S3Backend, S3Settings};

use crate::args::StackArgs;
use crate::report::Failure;

pub struct Workspace {
    pub stack: Stack,
    pub graph: ConfigGraph,
    pub providers: Providers,
}

/// Every resource type cairn knows, configured from `settings`. Building it
/// makes no network call: clients are created on first use.
pub fn registry(settings: AwsSettings) -> Registry {
    let mut registry = Registry::default();
    for (_, part) in registries(settings) {
        registry.extend(part);
    }
    registry
}

/// Each provider crate's types, by crate name (for the generated docs).
pub fn registries(settings: AwsSettings) -> Vec<(&'static str, Registry)> {
    let aws = AwsContext::new(settings);
    type Register = fn(&mut Registry, &AwsContext);
    let crates: [(&'static str, Register); 23] = [
        ("provider-ec2", cairn_provider_ec2::register),
        ("provider-kms", cairn_provider_kms::register),
        ("provider-iam", cairn_provider_iam::register),
        ("provider-logs", cairn_provider_logs::register),
        ("provider-ecr", cairn_provider_ecr::register),
        (
            "provider-secretsmanager",
            cairn_provider_secretsmanager::register,
        ),
        ("provider-efs", cairn_provider_efs::register),
        ("provider-s3", cairn_provider_s3::register),
        ("provider-acm", cairn_provider_acm::register),
        ("provider-elbv2", cairn_provider_elbv2::register),
        ("provider-wafv2", cairn_provider_wafv2::register),
        ("provider-ecs", cairn_provider_ecs::register),
        (
            "provider-appautoscaling",
            cairn_provider_appautoscaling::register,
        ),
        ("provider-cloudwatch", cairn_provider_cloudwatch::register),
        ("provider-sns", cairn_provider_sns::register),
        (
            "provider-servicediscovery",
            cairn_provider_servicediscovery::register,
        ),
        ("provider-rds", cairn_provider_rds::register),
        ("provider-elasticache", cairn_provider_elasticache::register),
        ("provider-memorydb", cairn_provider_memorydb::register),
        ("provider-sqs", cairn_provider_sqs::register),
        ("provider-scheduler", cairn_provider_scheduler::register),
        ("provider-sesv2", cairn_provider_sesv2::register),
        ("provider-random", |r, _| cairn_provider_random::register(r)),
    ];
    crates
        .into_iter()
        .map(|(name, register)| {
            let mut r = Registry::default();
            register(&mut r, &aws);
            (name, r)
        })
        .collect()
}

pub fn load(args: &StackArgs) -> Result<Workspace, Failure> {
    load_dir(&args.dir, &load_options(args)?)
}

/// What the stack is loaded with: the command line, and `CAIRN_VAR_NAME`
/// variables from the environment.
pub fn load_options(args: &StackArgs) -> Result<LoadOptions, Failure> {
    Ok(LoadOptions {
        env: args.env.clone(),
        vars: parse_vars(&args.vars)?,
        var_files: args.var_files.clone(),
        env_vars: env_vars(),
    })
}

fn env_vars() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("CAIRN_VAR_").map(|n| (n.to_string(), v)))
        .filter(|(n, _)| !n.is_empty())
        .collect();
    out.sort();
    out
}

/// The configuration a saved plan was made from, unpacked in `unpacked`;
/// state paths still resolve from the real `stack_dir`.
pub fn load_saved(
    unpacked: &Path,
    stack_dir: &Path,
    saved: &crate::saved_plan::SavedPlan,
) -> Result<Workspace, Failure> {
    let opts = LoadOptions {
        env: saved.env.clone(),
        vars: parse_vars(&saved.vars)?,
        var_files: saved.var_files.iter().map(|f| unpacked.join(f)).collect(),
        env_vars: saved.env_vars.clone(),
    };
    let mut ws = load_dir(&unpacked.join(&saved.stack_path), &opts)?;
    ws.stack.dir = stack_dir.to_path_buf();
    Ok(ws)
}

fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Workspace, Failure> {
    // Schemas do not depend on provider settings: load with a default
    // registry, then configure the real one from the loaded stack.
    let schemas = registry(AwsSettings::default());
    let stack = cairn_lang::load(dir, opts, &schemas).map_err(Failure::Diagnostics)?;
    let graph = ConfigGraph::build(&stack).map_err(|items| {
        Failure::Diagnostics(Diagnostics {
            sources: stack.sources.clone(),
            items,
        })
    })?;
    // What AWS would refuse at apply time, across resources, caught now.
    let mut items = cairn_engine::checks::check(&stack, &schemas);
    items.extend(unknown_services(&stack));
    if !items.is_empty() {
        return Err(Failure::Diagnostics(Diagnostics {
            sources: stack.sources.clone(),
            items,
        }));
    }
    let mut providers = Providers::default();
    for name in stack.providers.keys() {
        providers.insert(name.clone(), registry(provider_settings(&stack, name)));
    }
    Ok(Workspace {
        providers,
        stack,
        graph,
    })
}

fn provider_settings(stack: &Stack, name: &str) -> AwsSettings {
    stack
        .providers
        .get(name)
        .map(|p| AwsSettings {
            region: p.region.clone(),
            profile: p.profile.clone(),
            assume_role_arn: p.assume_role_arn.clone(),
            endpoint_url: p.endpoint_url.clone(),
            max_concurrency: p
                .max_concurrency
                .iter()
                .map(|l| (l.service.clone(), l.limit))
                .collect(),
            max_retries: p.max_retries,
        })
        .unwrap_or_default()
}

/// `max_concurrency` entries naming no service cairn calls.
fn unknown_services(stack: &Stack) -> Vec<cairn_lang::Diagnostic> {
    let known = cairn_aws::SERVICES;
    stack
        .providers
        .iter()
        .flat_map(|(name, p)| p.max_concurrency.iter().map(move |l| (name, l)))
        .filter(|(_, l)| !known.contains(&l.service.as_str()))
        .map(|(name, l)| {
            cairn_lang::Diagnostic::at(
                format!(
                    "`max_concurrency` of [provider.{name}] names `{}`, which is not a service cairn calls",
                    l.service
                ),
                l.span,
            )
            .hint(format!("expected one of: {}", known.join(", ")))
        })
        .collect()
}

fn parse_vars(vars: &[String]) -> Result<Vec<(String, String)>, Failure> {
    vars.iter()
        .map(|v| match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => Ok((k.trim().to_string(), val.to_string())),
            _ => Err(Failure::Usage(format!(
                "--var expects NAME=VALUE, got `{v}`"
            ))),
        })
        .collect()
}

/// The backend the stack's `[backend]` table (after the env file) selects,
/// sealing and opening secrets with its `encryption` key: what plan, apply,
/// `state pull` and `output` read through. Makes no network call.
pub fn backend(stack: &Stack) -> Result<Arc<dyn Backend>, Failure> {
    backend_reading(stack, Reading::Decrypt)
}

/// The backend, reading secrets as `reading` says (`Masked`: for commands
/// an auditor without decryption rights runs; such a backend cannot write).
pub fn backend_reading(stack: &Stack, reading: Reading) -> Result<Arc<dyn Backend>, Failure> {
    Ok(Arc::new(Encrypted::new(
        raw_backend(stack)?,
        state_keys(stack),
        reading,
    )))
}

/// The configured key for state and saved plans, if any:
/// `[backend] encryption = { kms_key_id = "...", fallback = { kms_key_id = "..." } }`.
pub fn state_keys(stack: &Stack) -> Option<Arc<dyn KeyProvider>> {
    stack.backend.encryption.as_ref().map(|e| {
        Arc::new(KmsKeys::new(
            KmsSettings {
                kms_key_id: e.kms_key_id.clone(),
                fallback: e.fallback.clone(),
            },
            s3_aws(stack),
        )) as Arc<dyn KeyProvider>
    })
}

/// For `state decrypt`: the backend that opens the state with the
/// configured key, or the one the stored state names if none is
/// configured, and writes it in clear.
pub async fn decrypting_backend(stack: &Stack) -> Result<Arc<dyn Backend>, Failure> {
    let raw = raw_backend(stack)?;
    let keys = match state_keys(stack) {
        Some(k) => k,
        None => {
            let recorded = raw
                .read()
                .await?
                .and_then(|v| v.doc.encryption)
                .map(|e| e.kms_key_id)
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "the state at {} is not encrypted: nothing to decrypt",
                        raw.location()
                    ))
                })?;
            Arc::new(KmsKeys::new(
                KmsSettings {
                    kms_key_id: recorded,
                    fallback: None,
                },
                s3_aws(stack),
            ))
        }
    };
    Ok(Arc::new(Encrypted::decrypting(raw, keys)))
}

/// The backend as it stores documents: sealed ones stay sealed.
pub fn raw_backend(stack: &Stack) -> Result<Arc<dyn Backend>, Failure> {
    match stack.backend.kind.as_str() {
        "s3" => Ok(Arc::new(S3Backend::new(s3_settings(stack)?, s3_aws(stack)))),
        _ => {
            let local = LocalBackend::new(local_state_path(stack));
            if let Some(warning) = local.loose_permissions() {
                eprintln!("warning: {warning}");
            }
            Ok(Arc::new(local))
        }
    }
}

pub fn s3_settings(stack: &Stack) -> Result<S3Settings, Failure> {
    let b = &stack.backend;
    let required = |k: &str| {
        b.setting(k)
            .map(str::to_string)
            .ok_or_else(|| Failure::Usage(format!("the s3 backend needs `{k}` in [backend]")))
    };
    let lock_lease = match b.setting("lock_lease") {
        Some(l) => crate::args::parse_duration(l)
            .map_err(|e| Failure::Usage(format!("[backend] lock_lease: {e}")))?,
        None => S3Settings::DEFAULT_LEASE,
    };
    Ok(S3Settings {
        bucket: required("bucket")?,
        key: required("key")?,
        kms_key_id: b.setting("kms_key_id").map(str::to_string),
        lock_lease,
    })
}

/// The state bucket is usually in the account of the resources: each AWS
/// setting the backend leaves out is taken from `[provider.aws]`.
pub fn s3_aws(stack: &Stack) -> cairn_aws::AwsContext {
    let p = provider_settings(stack, "aws");
    let b = &stack.backend;
    let pick = |k: &str, fallback: Option<String>| b.setting(k).map(str::to_string).or(fallback);
    cairn_aws::AwsContext::new(AwsSettings {
        region: pick("region", p.region),
        profile: pick("profile", p.profile),
        assume_role_arn: pick("assume_role_arn", p.assume_role_arn),
        endpoint_url: pick("endpoint_url", p.endpoint_url),
        ..p
    })
}

/// `backend migrate --from`: `local`, `local:PATH` or `s3://BUCKET/KEY`
/// (with the configured AWS settings).
pub fn backend_from_spec(stack: &Stack, spec: &str) -> Result<Arc<dyn Backend>, Failure> {
    if spec == "local" {
        let mut local_only = stack.clone();
        local_only.backend = Default::default();
        return Ok(Arc::new(LocalBackend::new(local_state_path(&local_only))));
    }
    if let Some(path) = spec.strip_prefix("local:") {
        return Ok(Arc::new(LocalBackend::new(path)));
    }
    if let Some((bucket, key)) = spec
        .strip_prefix("s3://")
        .and_then(|r| r.split_once('/'))
        .filter(|(b, k)| !b.is_empty() && !k.is_empty())
    {
        let settings = S3Settings {
            bucket: bucket.to_string(),
            key: key.to_string(),
            kms_key_id: None,
            lock_lease: S3Settings::DEFAULT_LEASE,
        };
        return Ok(Arc::new(S3Backend::new(settings, s3_aws(stack))));
    }
    Err(Failure::Usage(format!(
        "--from `{spec}`: expected `local`, `local:PATH` or `s3://BUCKET/KEY`"
    )))
}
/// `[backend] path` (relative to the stack directory), or
/// `state/<stack>/<env>.json` under the state root: `CAIRN_STATE_DIR`, else
/// the nearest `state/` directory above the stack (the repository layout),
/// else `state/` in the stack directory.
pub fn local_state_path(stack: &Stack) -> PathBuf {
    if let Some(p) = stack.backend.setting("path") {
        return stack.dir.join(p);
    }
    let env = stack.env.clone().unwrap_or_else(|| "default".into());
    let root = std::env::var_os("CAIRN_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| find_state_root(&stack.dir));
    root.join(&stack.name).join(format!("{env}.json"))
}

fn find_state_root(dir: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.ancestors()
        .skip(1)
        .map(|a| a.join("state"))
        .find(|s| s.is_dir())
        .unwrap_or_else(|| dir.join("state"))
}
