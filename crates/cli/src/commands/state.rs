//! `cairn state ...`: reading state and its history (no lock), and the
//! edits `rm` and `mv` (locked and recorded like any write).

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cairn_core::Address;
use cairn_engine::render::scalar;
use cairn_state::{Backend, Reading, StateDiff, StateDocument};

use super::inspect::require;
use crate::args::{LockArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
use crate::report::Failure;
use crate::workspace;

/// The current document, or the stored `version` of it.
async fn read(
    args: &StackArgs,
    version: Option<&str>,
    reading: Reading,
) -> Result<(StateDocument, Arc<dyn Backend>), Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend_reading(&ws.stack, reading)?;
    let doc = match version {
        Some(v) => backend.read_version(v).await?,
        None => require(backend.read().await?.map(|v| v.doc), &backend.location())?,
    };
    Ok((doc, backend))
}

pub async fn list(args: &StackArgs) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend_reading(&ws.stack, Reading::Masked)?;
    let doc = backend.read().await?.map(|v| v.doc);
    for (addr, rs) in doc.iter().flat_map(|d| d.resources.iter()) {
        let tainted = if rs.status == cairn_state::ResourceStatus::Tainted {
            "  (tainted)"
        } else {
            ""
        };
        outln!("{addr}{tainted}");
    }
    Ok(exit::OK)
}

fn shown(v: &cairn_core::Value, show_sensitive: bool) -> String {
    if show_sensitive {
        scalar(&v.deep_unmarked())
    } else {
        scalar(v)
    }
}

pub async fn show(
    args: &StackArgs,
    address: &str,
    show_sensitive: bool,
    version: Option<&str>,
) -> Result<i32, Failure> {
    // Secrets are decrypted only when asked for: without the flag an
    // auditor needs no decryption rights.
    let reading = if show_sensitive {
        Reading::Decrypt
    } else {
        Reading::Masked
    };
    let (doc, backend) = read(args, version, reading).await?;
    let rs = doc.resources.get(address).ok_or_else(|| {
        Failure::Usage(format!(
            "`{address}` is not in the state at {} (see `cairn state list`)",
            backend.location()
        ))
    })?;
    outln!("# {address}  (id {})", rs.id);
    let attrs = rs.attributes();
    let width = attrs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in &attrs {
        outln!("{k:width$} = {}", shown(v, show_sensitive));
    }
    if !rs.dependencies.is_empty() {
        outln!("# depends on: {}", rs.dependencies.join(", "));
    }
    Ok(exit::OK)
}

pub async fn pull(args: &StackArgs, version: Option<&str>) -> Result<i32, Failure> {
    let (doc, _) = read(args, version, Reading::Decrypt).await?;
    out!("{}", doc.to_json_pretty());
    Ok(exit::OK)
}

pub async fn history(args: &StackArgs, json: bool) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend_reading(&ws.stack, Reading::Masked)?;
    let (entries, warning) = cairn_state::history(backend.as_ref()).await?;
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    if json {
        for e in &entries {
            let by = e.written_by.as_ref();
            outln!(
                "{}",
                serde_json::json!({
                    "version": e.version.id,
                    "stored": e.version.stored,
                    "serial": e.serial,
                    "who": by.map(|b| b.who.as_str()),
                    "when": by.map(|b| b.when.as_str()),
                    "operation": by.map(|b| b.operation.as_str()),
                    "lock_id": by.and_then(|b| b.lock_id.as_deref()),
                    "cairn_version": by.map(|b| b.cairn_version.as_str()),
                    "added": e.added,
                    "changed": e.changed,
                    "removed": e.removed,
                })
            );
        }
        return Ok(exit::OK);
    }
    if entries.is_empty() {
        outln!("No state is stored at {}.", backend.location());
        return Ok(exit::OK);
    }
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            let by = e.written_by.as_ref();
            [
                e.version.id.clone(),
                e.serial.to_string(),
                by.map(|b| b.when.clone())
                    .or_else(|| e.version.stored.clone())
                    .unwrap_or_default(),
                by.map(|b| b.who.clone()).unwrap_or_else(|| "-".into()),
                by.map(|b| b.operation.clone())
                    .unwrap_or_else(|| "-".into()),
                format!("+{} ~{} -{}", e.added, e.changed, e.removed),
                String::new(),
            ]
        })
        .collect();
    let header = [
        "VERSION",
        "SERIAL",
        "WRITTEN",
        "WHO",
        "OPERATION",
        "CHANGES",
        "",
    ];
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(&format!("{c:w$}  ", w = widths[i]));
        }
        outln!("{}", s.trim_end());
    };
    line([
        header[0], header[1], header[2], header[3], header[4], header[5],
    ]);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
    }
    Ok(exit::OK)
}

/// `state verify`: the hash chain of every stored version. Exit 0 when the
/// history is whole, 1 when a version is not (the first one named).
pub async fn verify(args: &StackArgs, json: bool) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend_reading(&ws.stack, Reading::Masked)?;
    let v = cairn_state::verify(backend.as_ref()).await?;
    if let Some(w) = &v.warning {
        eprintln!("warning: {w}");
    }
    let code = if v.whole { exit::OK } else { exit::ERROR };
    if json {
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(code);
    }
    if v.versions.is_empty() {
        outln!("No state is stored at {}.", v.location);
        return Ok(code);
    }
    outln!(
        "{}: {} stored version(s), oldest first\n",
        v.location,
        v.versions.len()
    );
    let rows: Vec<[String; 6]> = v
        .versions
        .iter()
        .map(|c| {
            let by = c.written_by.as_ref();
            [
                c.id.clone(),
                c.serial
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "?".into()),
                c.stored
                    .clone()
                    .or_else(|| by.map(|b| b.when.clone()))
                    .unwrap_or_default(),
                by.map(|b| b.who.clone()).unwrap_or_else(|| "-".into()),
                by.map(|b| b.operation.clone())
                    .unwrap_or_else(|| "-".into()),
                // The start of the digest is enough to tell versions apart;
                // --json has it whole.
                c.sha256.chars().take(12).collect(),
            ]
        })
        .collect();
    let header = ["VERSION", "SERIAL", "STORED", "WHO", "OPERATION", "SHA256"];
    let widths: Vec<usize> = (0..6)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 6]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            s.push_str(&format!("{c:w$}  ", w = widths[i]));
        }
        outln!("{}", s.trim_end());
    };
    line(header);
    for (r, c) in rows.iter().zip(&v.versions) {
        line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]);
        for p in &c.problems {
            outln!("    problem: {p}");
        }
        for n in &c.notes {
            outln!("    note: {n}");
        }
    }
    match v.versions.iter().find(|c| Some(&c.id) == v.first_bad.as_ref()) {
        None => outln!(
            "\nThe history is whole: every version was written by cairn and links to the one stored before it."
        ),
        Some(bad) => {
            let bad_count = v.versions.iter().filter(|c| !c.problems.is_empty()).count();
            outln!(
                "\nThe history is NOT whole: {bad_count} version(s) with problems; the first is {} (serial {}).",
                bad.id,
                bad.serial
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown".into())
            );
        }
    }
    Ok(code)
}

pub async fn diff(
    args: &StackArgs,
    from: &str,
    to: &str,
    show_sensitive: bool,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let reading = if show_sensitive {
        Reading::Decrypt
    } else {
        Reading::Masked
    };
    let backend = workspace::backend_reading(&ws.stack, reading)?;
    let (old, new) = tokio::try_join!(backend.read_version(from), backend.read_version(to))?;
    let d = StateDiff::between(&old, &new);
    outln!(
        "{}: {from} (serial {}) -> {to} (serial {})\n",
        backend.location(),
        old.serial,
        new.serial
    );
    for a in &d.added {
        outln!("+ {a}");
    }
    for r in &d.removed {
        outln!("- {r}");
    }
    for c in &d.changed {
        outln!("~ {}", c.address);
        for ch in &c.changes {
            match (&ch.before, &ch.after) {
                (Some(b), Some(a)) => outln!(
                    "    ~ {}: {} -> {}",
                    ch.path,
                    shown(b, show_sensitive),
                    shown(a, show_sensitive)
                ),
                (None, Some(a)) => outln!("    + {}: {}", ch.path, shown(a, show_sensitive)),
                (Some(b), None) => outln!("    - {}: {}", ch.path, shown(b, show_sensitive)),
                (None, None) => {}
            }
        }
    }
    if d.is_empty() {
        outln!("No differences.");
    } else {
        outln!(
            "\n{} added, {} changed, {} removed.",
            d.added.len(),
            d.changed.len(),
            d.removed.len()
        );
    }
    Ok(exit::OK)
}

/// Runs `edit` on the current state under the lock and writes the result
/// as a new version (serial + 1, recorded as `operation`).
async fn edit(
    args: &StackArgs,
    lock_args: &LockArgs,
    operation: &str,
    edit: impl FnOnce(&mut StateDocument) -> Result<String, Failure>,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    edit_through(&ws, backend, lock_args, operation, edit).await
}

/// `edit` through `backend` (which decides how the new version is sealed).
async fn edit_through(
    ws: &workspace::Workspace,
    backend: Arc<dyn Backend>,
    lock_args: &LockArgs,
    operation: &str,
    edit: impl FnOnce(&mut StateDocument) -> Result<String, Failure>,
) -> Result<i32, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    let lock = HeldLock::take(
        backend.clone(),
        operation,
        &ws.stack,
        lock_args.lock_timeout,
        stop,
    )
    .await?;
    let result = async {
        let current = backend.read().await?.ok_or_else(|| {
            Failure::Usage(format!(
                "no state at {}: nothing to change",
                backend.location()
            ))
        })?;
        let mut doc = current.doc;
        let done = edit(&mut doc)?;
        if !crate::rescue::commit(&*backend, &mut doc, Some(&current.version), &lock).await {
            return Ok(exit::ERROR);
        }
        outln!("{done} (state serial {}).", doc.serial);
        Ok(exit::OK)
    }
    .await;
    lock.release().await;
    result
}

pub async fn rm(args: &StackArgs, addresses: &[String], lock: &LockArgs) -> Result<i32, Failure> {
    edit(args, lock, "state rm", |doc| {
        let missing: Vec<&str> = addresses
            .iter()
            .filter(|a| !doc.resources.contains_key(*a))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(Failure::Usage(format!(
                "not in state: {} (see `cairn state list`); nothing was changed",
                missing.join(", ")
            )));
        }
        for a in addresses {
            doc.resources.remove(a);
        }
        Ok(format!(
            "Removed {} from state; the objects themselves are untouched",
            addresses.join(", ")
        ))
    })
    .await
}

pub async fn mv(args: &StackArgs, from: &str, to: &str, lock: &LockArgs) -> Result<i32, Failure> {
    let target: Address = to
        .parse()
        .map_err(|e| Failure::Usage(format!("`{to}` is not a resource address: {e}")))?;
    edit(args, lock, "state mv", |doc| {
        let Some(type_name) = doc.resources.get(from).map(|r| r.type_name.clone()) else {
            return Err(Failure::Usage(format!(
                "`{from}` is not in state (see `cairn state list`)"
            )));
        };
        if doc.resources.contains_key(to) {
            return Err(Failure::Usage(format!(
                "`{to}` is already in state; remove or move it first"
            )));
        }
        if type_name != target.type_name {
            return Err(Failure::Usage(format!(
                "`{from}` is an {type_name} and `{to}` names an {}: a move keeps the type",
                target.type_name
            )));
        }
        doc.rename(from, to);
        Ok(format!("Moved {from} to {to}"))
    })
    .await
}

pub async fn unlock(args: &StackArgs, lock_id: &str, force: bool) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let holder = backend.current_lock().await?;
    let Some(holder) = holder else {
        outln!("The state at {} is not locked.", backend.location());
        return Ok(exit::OK);
    };
    if holder.id != lock_id {
        return Err(Failure::Usage(format!(
            "the state is locked by another lock: {}",
            holder.describe()
        )));
    }
    if !force {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(
                "refusing to unlock without confirmation (pass --force)".into(),
            ));
        }
        out!(
            "Release the lock held by {}? Only 'yes' will be accepted: ",
            holder.describe()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != "yes" {
            return Err(Failure::Usage("cancelled: the lock was kept".into()));
        }
    }
    backend.unlock(lock_id).await?;
    outln!("Released the lock {lock_id}.");
    Ok(exit::OK)
}

/// Seals the state's secrets with the configured key (or again with a new
/// one), as a new version.
pub async fn encrypt(args: &StackArgs, lock: &LockArgs) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let Some(keys) = workspace::state_keys(&ws.stack) else {
        return Err(Failure::Usage(
            "no key to encrypt with: set `encryption = { kms_key_id = \"alias/...\" }` in [backend] first".into(),
        ));
    };
    let backend = workspace::backend(&ws.stack)?;
    edit_through(&ws, backend, lock, "state encrypt", |_| {
        Ok(format!(
            "Sealed the state's secrets with {}",
            keys.describe()
        ))
    })
    .await
}

/// Writes the state's secrets back in clear, as a new version.
pub async fn decrypt(args: &StackArgs, lock: &LockArgs) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::decrypting_backend(&ws.stack).await?;
    edit_through(&ws, backend, lock, "state decrypt", |_| {
        Ok("Wrote the state's secrets in clear; remove `encryption` from [backend], or the next write seals them again".into())
    })
    .await
}
