//! `cairn backend bootstrap` and `cairn backend migrate`.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cairn_state::StateError;
use cairn_state_s3::{BootstrapOptions, LockMode, ObjectLock, S3Backend};

use crate::args::{LockArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
use crate::report::Failure;
use crate::workspace;

/// `object_lock_days`/`object_lock_mode`: S3 Object Lock with a default
/// retention (GOVERNANCE unless `compliance`), docs/state.md.
pub async fn bootstrap(
    args: &StackArgs,
    object_lock_days: Option<i32>,
    object_lock_mode: Option<&str>,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    if ws.stack.backend.kind != "s3" {
        return Err(Failure::Usage(format!(
            "the backend of `{}` is `{}`: bootstrap sets up an S3 backend (set `type = \"s3\"`, `bucket` and `key` in [backend] or the env file)",
            ws.stack.qualified_name(),
            ws.stack.backend.kind
        )));
    }
    let settings = workspace::s3_settings(&ws.stack)?;
    let bucket = settings.bucket.clone();
    let backend = S3Backend::new(settings, workspace::s3_aws(&ws.stack));
    let object_lock = object_lock_days.map(|days| ObjectLock {
        days,
        // GOVERNANCE by default: a mistyped retention can still be undone
        // by an administrator; COMPLIANCE is for those who must prove
        // nobody could have.
        mode: match object_lock_mode {
            Some("compliance") => LockMode::Compliance,
            _ => LockMode::Governance,
        },
    });
    let steps = backend
        .bootstrap_with(&BootstrapOptions { object_lock })
        .await?;
    for s in &steps {
        let mark = if s.changed { "changed" } else { "ok" };
        outln!("{:<14} {mark:<8} {}", s.what, s.detail);
    }
    let changed = steps.iter().filter(|s| s.changed).count();
    if changed == 0 {
        outln!("\nThe state bucket {bucket} was already set up; nothing changed.");
    } else {
        outln!("\nThe state bucket {bucket} is ready ({changed} change(s)).");
    }
    Ok(exit::OK)
}

/// Copies the state as it is (lineage, serial and `written_by` kept) into
/// the configured backend. Refuses a target that holds another lineage or
/// a newer serial of the same one.
pub async fn migrate(args: &StackArgs, from: &str, lock_args: &LockArgs) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let source = workspace::backend_from_spec(&ws.stack, from)?;
    // As stored: a sealed state is copied sealed.
    let target = workspace::raw_backend(&ws.stack)?;
    if source.location() == target.location() {
        return Err(Failure::Usage(format!(
            "--from names the configured backend itself ({})",
            target.location()
        )));
    }
    let Some(doc) = source.read().await?.map(|v| v.doc) else {
        return Err(Failure::Usage(format!(
            "no state at {}: nothing to migrate",
            source.location()
        )));
    };
    let stop = Arc::new(AtomicBool::new(false));
    let lock = HeldLock::take(
        target.clone(),
        "backend migrate",
        &ws.stack,
        lock_args.lock_timeout,
        stop,
    )
    .await?;
    let result = async {
        let expected = match target.read().await? {
            None => None,
            Some(t) if t.doc.lineage != doc.lineage => {
                return Err(Failure::State(StateError::LineageMismatch {
                    location: target.location(),
                    expected: t.doc.lineage,
                    found: doc.lineage.clone(),
                }))
            }
            Some(t) if t.doc.serial > doc.serial => {
                return Err(Failure::Usage(format!(
                    "{} holds serial {} of this state, newer than serial {} at {}: refusing to go back",
                    target.location(),
                    t.doc.serial,
                    doc.serial,
                    source.location()
                )))
            }
            // A copy is chained to what its backend held, so compare what
            // the documents record, not their links.
            Some(t) if t.doc.same_record(&doc) => {
                outln!(
                    "{} already holds serial {} of this state; nothing to do.",
                    target.location(),
                    doc.serial
                );
                return Ok(exit::OK);
            }
            Some(t) => Some(t.version),
        };
        target.write(&doc, expected.as_ref()).await?;
        outln!(
            "Copied the state (lineage {}, serial {}, {} resource(s)) from {} to {}.\nThe copy at {} is left in place: remove it once you have checked the new backend.",
            doc.lineage,
            doc.serial,
            doc.resources.len(),
            source.location(),
            target.location(),
            source.location()
        );
        Ok(exit::OK)
    }
    .await;
    lock.release().await;
    result
}
