//! `cairn migrate --from-terraform STATE`: a Terraform state carried over
//! into the stack's empty state (cairn-tfstate maps it). Every object is
//! re-read live through the normal batched refresh, with Terraform's values
//! as the prior (settings AWS does not report, such as a KMS key's deletion
//! window, carry over); nothing is written to AWS, and the Terraform state
//! is only read, so going back to Terraform stays possible.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cairn_core::Value;
use cairn_state::{MigratedFrom, OutputState, ResourceState, StateDocument};
use cairn_tfstate::{Instance, TerraformState};
use sha2::{Digest, Sha256};

use crate::args::{LockArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
use crate::report::Failure;
use crate::workspace;

pub async fn migrate(
    args: &StackArgs,
    from: &Path,
    dry_run: bool,
    lock_args: &LockArgs,
) -> Result<i32, Failure> {
    let path = state_file(from);
    let bytes = std::fs::read(&path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    let text = String::from_utf8_lossy(&bytes);
    let tf = TerraformState::read(&text)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let ws = workspace::load(args)?;
    let schemas = ws.providers.schemas();
    let lookup = |type_name: &str, data: bool| {
        if data {
            schemas.data_source(type_name).map(|d| d.schema())
        } else {
            schemas.resource(type_name).map(|r| r.schema())
        }
    };
    let instances = match tf.map(&lookup) {
        Ok(i) => i,
        Err(refusals) => {
            for r in &refusals {
                eprintln!("error: {r}");
            }
            eprintln!(
                "{} instance(s) cannot be migrated; nothing was written",
                refusals.len()
            );
            return Ok(exit::ERROR);
        }
    };
    let unconfigured: Vec<String> = instances
        .iter()
        .filter(|i| ws.providers.get(&i.provider).is_none())
        .map(|i| format!("{} uses provider configuration `{}`", i.address, i.provider))
        .collect();
    if !unconfigured.is_empty() {
        for u in &unconfigured {
            eprintln!("error: {u}, which the stack does not configure");
        }
        return Ok(exit::ERROR);
    }
    if dry_run {
        print_mapping(&tf, &instances);
        return Ok(exit::OK);
    }

    let backend = workspace::backend(&ws.stack)?;
    let lock = HeldLock::take(
        backend.clone(),
        "migrate",
        &ws.stack,
        lock_args.lock_timeout,
        Arc::new(AtomicBool::new(false)),
    )
    .await?;
    let result = async {
        if let Some(current) = backend.read().await? {
            let why = match &current.doc.migrated_from {
                Some(m) if m.lineage == tf.lineage => {
                    format!("it was migrated from this Terraform state (serial {}) already", m.serial)
                }
                _ => format!(
                    "it already has state (lineage {}, serial {})",
                    current.doc.lineage, current.doc.serial
                ),
            };
            return Err(Failure::Usage(format!(
                "{} is not empty: {why}; migrate writes only a new, empty state, and wrote nothing",
                backend.location()
            )));
        }
        let mut doc = StateDocument::new(&ws.stack.name, ws.stack.env.as_deref());
        doc.migrated_from = Some(MigratedFrom {
            tool: "terraform".into(),
            lineage: tf.lineage.clone(),
            serial: tf.serial,
            version: tf.terraform_version.clone(),
            sha256: hex(&Sha256::digest(&bytes)),
        });
        for i in &instances {
            doc.resources.insert(i.address.clone(), record(i));
        }
        let live = cairn_engine::refresh(&doc, &ws.providers, &ws.stack)
            .await
            .map_err(|e| Failure::Engine(e, ws.stack.sources.clone()))?;
        let mut gone = Vec::new();
        for i in instances.iter().filter(|i| !i.data) {
            match live.get(&i.address) {
                Some(Some(obj)) => {
                    let id = obj
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or(&i.id)
                        .to_string();
                    let rs = ResourceState::new(
                        &i.type_name,
                        &i.provider,
                        &id,
                        obj,
                        i.dependencies.clone(),
                    );
                    doc.resources.insert(i.address.clone(), rs);
                }
                _ => {
                    doc.resources.remove(&i.address);
                    gone.push(i.address.clone());
                }
            }
        }
        for (name, o) in tf.outputs() {
            doc.outputs.insert(
                name,
                OutputState {
                    value: o.value,
                    sensitive: o.sensitive,
                },
            );
        }
        if !crate::rescue::commit(&*backend, &mut doc, None, &lock).await {
            return Ok(exit::ERROR);
        }
        for g in &gone {
            eprintln!("warning: {g} is in the Terraform state but no longer exists: not carried over (the next plan creates it)");
        }
        outln!(
            "Migrated {} instance(s) from {} (Terraform {}, lineage {}, serial {}) into {} (new lineage {}, serial {}).",
            doc.resources.len(),
            path.display(),
            tf.terraform_version,
            tf.lineage,
            tf.serial,
            backend.location(),
            doc.lineage,
            doc.serial
        );
        outln!(
            "The Terraform state was only read. Objects get cairn's ownership tags the next time cairn writes their tags. Run `cairn plan` to review."
        );
        Ok(exit::OK)
    }
    .await;
    lock.release().await;
    result
}

/// A directory means its terraform.tfstate.
fn state_file(from: &Path) -> PathBuf {
    if from.is_dir() {
        from.join("terraform.tfstate")
    } else {
        from.to_path_buf()
    }
}

/// The instance as the refresh's prior: Terraform's values, its sensitive
/// paths and cairn's id.
fn record(i: &Instance) -> ResourceState {
    let mut rs = ResourceState::new(
        &i.type_name,
        &i.provider,
        &i.id,
        &cairn_core::Object::new(),
        i.dependencies.clone(),
    );
    rs.attributes = i.attributes.clone();
    rs.sensitive_paths = i.sensitive_paths.clone();
    rs
}

fn print_mapping(tf: &TerraformState, instances: &[Instance]) {
    outln!(
        "Terraform {} state, lineage {}, serial {}: {} instance(s)",
        tf.terraform_version,
        tf.lineage,
        tf.serial,
        instances.len()
    );
    for i in instances {
        let id = if i.id == i.terraform_id {
            i.id.clone()
        } else {
            format!("{} (Terraform: {})", i.id, i.terraform_id)
        };
        let provider = if i.provider == "aws" {
            String::new()
        } else {
            format!("  [{}]", i.provider)
        };
        outln!("  {}  {id}{provider}", i.address);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
