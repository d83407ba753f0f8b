//! From command-line arguments to a loaded stack, its graph, the provider
//! registry configured from `[provider.aws]`, and the state backend.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::Registry;
use cairn_engine::ConfigGraph;
use cairn_lang::{Diagnostics, LoadOptions, Stack};
use cairn_state::{Backend, LocalBackend};

use crate::args::StackArgs;
use crate::report::Failure;

pub struct Workspace {
    pub stack: Stack,
    pub graph: ConfigGraph,
    pub registry: Registry,
}

/// Every resource type cairn knows, configured from `settings`. Building it
/// makes no network call: clients are created on first use.
pub fn registry(settings: AwsSettings) -> Registry {
    let aws = AwsContext::new(settings);
    let mut registry = Registry::default();
    cairn_provider_ec2::register(&mut registry, &aws);
    cairn_provider_kms::register(&mut registry, &aws);
    registry
}

pub fn load(args: &StackArgs) -> Result<Workspace, Failure> {
    let opts = LoadOptions {
        env: args.env.clone(),
        vars: parse_vars(&args.vars)?,
    };
    // Schemas do not depend on provider settings: load with a default
    // registry, then configure the real one from the loaded stack.
    let stack = cairn_lang::load(&args.dir, &opts, &registry(AwsSettings::default()))
        .map_err(Failure::Diagnostics)?;
    let graph = ConfigGraph::build(&stack).map_err(|items| {
        Failure::Diagnostics(Diagnostics {
            sources: stack.sources.clone(),
            items,
        })
    })?;
    let settings = stack
        .providers
        .get("aws")
        .map(|p| AwsSettings {
            region: p.region.clone(),
            profile: p.profile.clone(),
            assume_role_arn: p.assume_role_arn.clone(),
            endpoint_url: p.endpoint_url.clone(),
        })
        .unwrap_or_default();
    Ok(Workspace {
        registry: registry(settings),
        stack,
        graph,
    })
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

/// The backend the stack's `[backend]` table (after the env file) selects.
pub fn backend(stack: &Stack) -> Result<Arc<dyn Backend>, Failure> {
    match stack.backend.kind.as_str() {
        "local" => Ok(Arc::new(LocalBackend::new(local_state_path(stack)))),
        other => Err(Failure::Usage(format!(
            "backend type `{other}` is not supported by this build of cairn (supported: local)"
        ))),
    }
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
