//! Plan files (`cairn plan --out FILE`, `cairn apply FILE`): the plan
//! itself, every file the configuration was made from (the stack's, its env
//! file, the modules it calls, variable files, files read by file() and
//! templatefile()), the variable values given, and the state version it was
//! made against, so that apply performs exactly the reviewed actions or
//! refuses. Written owner-only: like state, a plan holds values (sensitive
//! ones too) in clear.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cairn_engine::Plan;
use cairn_lang::Stack;
use cairn_state::seal::{Encryption, KeyProvider};
use cairn_state::Versioned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::report::Failure;

const FORMAT: &str = "cairn-plan";
/// Bumped whenever a reader of the previous layout would misread this one.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub format_version: u32,
    pub cairn_version: String,
    pub created: String,
    /// The stack directory as given at plan time (where a local state
    /// path is resolved from).
    pub stack_dir: PathBuf,
    pub env: Option<String>,
    /// `--var NAME=VALUE` as given.
    pub vars: Vec<String>,
    /// `--var-file` files, by their path among the sources.
    pub var_files: Vec<String>,
    /// `CAIRN_VAR_NAME` values at plan time.
    pub env_vars: Vec<(String, String)>,
    /// The stack directory's path among the sources.
    pub stack_path: String,
    /// Every file the configuration was made from, by path relative to the
    /// deepest directory holding them all.
    pub sources: BTreeMap<String, String>,
    /// SHA-256 over sources, env and variables.
    pub config_digest: String,
    pub prior_state: PriorState,
    pub plan: Plan,
}

/// The state the plan was made against; apply refuses if it has moved.
#[derive(Serialize, Deserialize, PartialEq, Eq, Debug)]
pub struct PriorState {
    pub location: String,
    pub exists: bool,
    pub lineage: Option<String>,
    pub serial: Option<u64>,
    /// The backend's version token (ETag for S3, content hash for a file).
    pub version: Option<String>,
}

impl PriorState {
    pub fn of(location: String, read: Option<&Versioned>) -> PriorState {
        PriorState {
            location,
            exists: read.is_some(),
            lineage: read.map(|v| v.doc.lineage.clone()),
            serial: read.map(|v| v.doc.serial),
            version: read.map(|v| v.version.0.clone()),
        }
    }

    fn describe(&self) -> String {
        match (&self.lineage, self.serial) {
            (Some(l), Some(s)) => format!("serial {s} of lineage {l}"),
            _ => "no state".into(),
        }
    }
}

impl SavedPlan {
    pub fn new(
        stack: &Stack,
        stack_dir: &Path,
        vars: &[String],
        opts: &cairn_lang::LoadOptions,
        prior_state: PriorState,
        plan: Plan,
    ) -> SavedPlan {
        let mut files: Vec<(PathBuf, String)> = stack
            .sources
            .files()
            .map(|(_, f)| (absolute(&f.path), f.text.clone()))
            .chain(
                stack
                    .files
                    .files()
                    .into_iter()
                    .map(|(p, t)| (absolute(&p), t)),
            )
            .collect();
        files.sort();
        files.dedup_by(|a, b| a.0 == b.0);
        let stack_abs = absolute(&stack.dir);
        let root = common_ancestor(
            files
                .iter()
                .map(|(p, _)| p.as_path())
                .chain([stack_abs.as_path()]),
        );
        let rel = |p: &Path| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        };
        let sources: BTreeMap<String, String> =
            files.iter().map(|(p, t)| (rel(p), t.clone())).collect();
        let var_files: Vec<String> = opts.var_files.iter().map(|f| rel(&absolute(f))).collect();
        let stack_path = rel(&stack_abs);
        let config_digest = digest(
            &sources,
            stack.env.as_deref(),
            vars,
            &var_files,
            &opts.env_vars,
        );
        SavedPlan {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            cairn_version: env!("CARGO_PKG_VERSION").into(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            stack_dir: stack_dir.to_path_buf(),
            env: stack.env.clone(),
            vars: vars.to_vec(),
            var_files,
            env_vars: opts.env_vars.clone(),
            stack_path,
            sources,
            config_digest,
            prior_state,
            plan,
        }
    }

    /// Writes the plan, sealed whole with `keys` when the stack configures
    /// a key (the plan holds the state's secrets and the configuration).
    pub async fn write(&self, path: &Path, keys: Option<&dyn KeyProvider>) -> Result<(), Failure> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Failure::Usage(format!("cannot encode the plan: {e}")))?;
        if let Some(keys) = keys {
            let sealed = Encryption::seal(&keys.data_key().await?, text.as_bytes(), PLAN_AAD)?;
            let envelope = serde_json::json!({
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "cairn_version": env!("CARGO_PKG_VERSION"),
                "encryption": sealed,
            });
            text = serde_json::to_string_pretty(&envelope)
                .map_err(|e| Failure::Usage(format!("cannot encode the plan: {e}")))?;
        }
        cairn_state::private::write(path, text.as_bytes()).map_err(|e| {
            Failure::Usage(format!("cannot write the plan to {}: {e}", path.display()))
        })
    }

    pub async fn read(path: &Path) -> Result<SavedPlan, Failure> {
        let mut text = std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read the plan {}: {e}", path.display())))?;
        if let Ok(serde_json::Value::Object(outer)) = serde_json::from_str(&text) {
            if let Some(e) = outer.get("encryption") {
                text = open_sealed(e, path).await?;
            }
        }
        // Check the envelope before the body, so an old or foreign file is
        // named as such rather than as a parse error deep inside.
        let envelope: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Failure::Usage(format!("{} is not a cairn plan: {e}", path.display())))?;
        let format = envelope["format"].as_str().unwrap_or_default();
        let version = envelope["format_version"].as_u64();
        let cairn = envelope["cairn_version"].as_str().unwrap_or_default();
        if format != FORMAT {
            return Err(Failure::Usage(format!(
                "{} is not a cairn plan file (made with `cairn plan --out FILE`)",
                path.display()
            )));
        }
        if version != Some(FORMAT_VERSION.into()) || cairn != env!("CARGO_PKG_VERSION") {
            return Err(Failure::Usage(format!(
                "{} was made by cairn {cairn} (plan format {}); this is cairn {} (plan format {FORMAT_VERSION}): plan again with this version",
                path.display(),
                version.map(|v| v.to_string()).unwrap_or_else(|| "?".into()),
                env!("CARGO_PKG_VERSION"),
            )));
        }
        let saved: SavedPlan = serde_json::from_value(envelope)
            .map_err(|e| Failure::Usage(format!("{} is damaged: {e}", path.display())))?;
        let recomputed = digest(
            &saved.sources,
            saved.env.as_deref(),
            &saved.vars,
            &saved.var_files,
            &saved.env_vars,
        );
        if recomputed != saved.config_digest {
            return Err(Failure::Usage(format!(
                "{} was altered after it was written (its configuration digest does not match)",
                path.display()
            )));
        }
        Ok(saved)
    }

    /// Refuses when the state is not the one the plan was made against.
    pub fn check_fresh(&self, now: &PriorState) -> Result<(), Failure> {
        if now.location != self.prior_state.location {
            return Err(Failure::Usage(format!(
                "stale plan: it was made against the state at {}, but the configured backend is {}",
                self.prior_state.location, now.location
            )));
        }
        if *now != self.prior_state {
            return Err(Failure::Usage(format!(
                "stale plan: it was made against {} at {}, which is now {}; plan again",
                self.prior_state.describe(),
                now.location,
                now.describe()
            )));
        }
        Ok(())
    }

    /// Writes the saved sources into `dir`, to load exactly the planned
    /// configuration.
    pub fn materialize(&self, dir: &Path) -> Result<(), Failure> {
        for (rel, text) in &self.sources {
            let rel = Path::new(rel);
            if rel.is_absolute() || rel.components().any(|c| c.as_os_str() == "..") {
                return Err(Failure::Usage(format!(
                    "the plan names a source outside its stack: {}",
                    rel.display()
                )));
            }
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| Failure::Usage(format!("cannot unpack the plan: {e}")))?;
            }
            std::fs::write(&path, text)
                .map_err(|e| Failure::Usage(format!("cannot unpack the plan: {e}")))?;
        }
        Ok(())
    }
}

/// A path made absolute and free of `..`, to find a common root.
fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

fn common_ancestor<'a>(paths: impl Iterator<Item = &'a Path>) -> PathBuf {
    let mut root: Option<PathBuf> = None;
    for p in paths {
        let dir = if p.is_dir() {
            p
        } else {
            p.parent().unwrap_or(p)
        };
        root = Some(match root {
            None => dir.to_path_buf(),
            Some(r) => r
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    root.unwrap_or_default()
}

fn digest(
    sources: &BTreeMap<String, String>,
    env: Option<&str>,
    vars: &[String],
    var_files: &[String],
    env_vars: &[(String, String)],
) -> String {
    let mut h = Sha256::new();
    for (path, text) in sources {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    h.update(env.unwrap_or_default().as_bytes());
    h.update([0]);
    for v in vars.iter().chain(var_files) {
        h.update(v.as_bytes());
        h.update([0]);
    }
    for (k, v) in env_vars {
        h.update(k.as_bytes());
        h.update([1]);
        h.update(v.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The associated data of a sealed plan: its ciphertext cannot pass for a
/// state's.
const PLAN_AAD: &[u8] = b"cairn-saved-plan";

/// The plan inside a sealed file. It is opened before the configuration it
/// carries is known, so the key is the one the file names, in the region
/// of its ARN (and `AWS_ENDPOINT_URL` / the credential chain as usual).
async fn open_sealed(encryption: &serde_json::Value, path: &Path) -> Result<String, Failure> {
    let e: Encryption = serde_json::from_value(encryption.clone())
        .map_err(|e| Failure::Usage(format!("{} is damaged: {e}", path.display())))?;
    let region = e
        .kms_key_id
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    let keys = cairn_state_kms::KmsKeys::new(
        cairn_state_kms::KmsSettings {
            kms_key_id: e.kms_key_id.clone(),
            fallback: None,
        },
        cairn_aws::AwsContext::new(cairn_aws::AwsSettings {
            region,
            ..Default::default()
        }),
    );
    let plain = e
        .open(&keys, PLAN_AAD, &format!("the plan {}", path.display()))
        .await?;
    String::from_utf8(plain)
        .map_err(|e| Failure::Usage(format!("{} is damaged: {e}", path.display())))
}
