//! `cairn import ADDRESS ID`: the object read (`cairn_engine::import`) is
//! recorded in state under the lock; the next plan compares it with its
//! block (and is a no-op when they match).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cairn_core::Address;
use cairn_engine::import::ImportError;
use cairn_state::StateDocument;

use crate::args::{LockArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
use crate::report::Failure;
use crate::workspace;

pub async fn import(
    args: &StackArgs,
    address: &str,
    id: &str,
    lock_args: &LockArgs,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let address: Address = address
        .parse()
        .map_err(|e: cairn_core::AddressParseError| Failure::Usage(e.to_string()))?;
    let backend = workspace::backend(&ws.stack)?;
    let lock = HeldLock::take(
        backend.clone(),
        "import",
        &ws.stack,
        lock_args.lock_timeout,
        Arc::new(AtomicBool::new(false)),
    )
    .await?;
    let result = async {
        let current = backend.read().await?;
        let key = address.to_string();
        if current.as_ref().is_some_and(|c| c.doc.resources.contains_key(&key)) {
            return Err(Failure::Usage(format!(
                "`{key}` is already in state; `cairn state rm {key}` first to import another object there"
            )));
        }
        let imported = match cairn_engine::import::read(&ws.stack, &ws.providers, &address, id).await {
            Ok(i) => i,
            Err(ImportError::Read(e)) => {
                return Err(Failure::Engine(
                    cairn_engine::EngineError::Operations(vec![e]),
                    ws.stack.sources.clone(),
                ))
            }
            Err(e) => return Err(Failure::Usage(e.to_string())),
        };
        let (mut doc, version) = match current {
            Some(c) => (c.doc, Some(c.version)),
            None => (StateDocument::new(&ws.stack.name, ws.stack.env.as_deref()), None),
        };
        let object_id = imported.state.id.clone();
        doc.resources.insert(key.clone(), imported.state);
        if !crate::rescue::commit(&*backend, &mut doc, version.as_ref(), &lock).await {
            return Ok(exit::ERROR);
        }
        outln!(
            "Imported {key} ({object_id}) into {} (state serial {}).\nRun `cairn plan` to compare it with its configuration.",
            backend.location(),
            doc.serial
        );
        Ok(exit::OK)
    }
    .await;
    lock.release().await;
    result
}
