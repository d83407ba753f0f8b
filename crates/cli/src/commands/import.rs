//! `cairn import ADDRESS ID`: read an existing object and record it in
//! state at an address the configuration declares; the next plan compares
//! it with its block (and is a no-op when they match).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use cairn_core::provider::ReadContext;
use cairn_core::{Address, ReadOutcome, Value};
use cairn_state::{ResourceState, StateDocument};

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
    let Some((node, block)) = cairn_engine::plan::block_of(&ws.stack, &address) else {
        return Err(Failure::Usage(format!(
            "the configuration has no resource `{}`: add the block that will manage the object, then import it",
            address.config_address()
        )));
    };
    if address.is_data() {
        return Err(Failure::Usage("data sources are read, not imported".into()));
    }
    match (&block.repetition, &address.key) {
        (Some(r), None) => {
            return Err(Failure::Usage(format!(
                "`{address}` sets {}: name one instance, e.g. `{address}[\"KEY\"]`",
                r.keyword()
            )))
        }
        (None, Some(_)) => {
            return Err(Failure::Usage(format!(
                "`{}` has no count or for_each: leave out the instance key",
                address.config_address()
            )))
        }
        _ => {}
    }
    let provider = ws.stack.provider_of(node, block);
    let resource = ws
        .providers
        .resource(&provider, &address.type_name)
        .cloned()
        .ok_or_else(|| {
            Failure::Usage(format!(
                "provider `{provider}` offers no `{}`",
                address.type_name
            ))
        })?;
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
        let ctx = ReadContext {
            default_tags: ws
                .stack
                .providers
                .get(&provider)
                .map(|p| p.default_tags.clone())
                .unwrap_or_default(),
            stack: ws.stack.qualified_name(),
        };
        let mut obj = match resource.import(id, &ctx).await {
            Ok(ReadOutcome::Live(obj)) => obj,
            Ok(ReadOutcome::Gone) => {
                return Err(Failure::Usage(format!(
                    "no {} with id `{id}` exists (in the account and region of provider `{provider}`)",
                    address.type_name
                )))
            }
            Err(error) => {
                return Err(Failure::Engine(
                    cairn_engine::EngineError::Operations(vec![cairn_engine::OperationError {
                        address: address.clone(),
                        action: "import",
                        error,
                    }]),
                    ws.stack.sources.clone(),
                ))
            }
        };
        cairn_engine::desired::mark_sensitive(resource.schema(), &mut obj);
        let (mut doc, version) = match current {
            Some(c) => (c.doc, Some(c.version)),
            None => (StateDocument::new(&ws.stack.name, ws.stack.env.as_deref()), None),
        };
        let object_id = obj.get("id").and_then(Value::as_str).unwrap_or(id).to_string();
        let mut rs = ResourceState::new(&address.type_name, &provider, &object_id, &obj, Vec::new());
        rs.prevent_destroy = block.lifecycle.prevent_destroy;
        doc.resources.insert(key.clone(), rs);
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
