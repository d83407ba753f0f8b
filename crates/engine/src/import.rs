//! Reading an existing object into state at an address the configuration
//! declares: for `cairn import ADDRESS ID` and for `[[import]]` blocks
//! alike. The next plan compares it with its block.

use std::fmt;

use cairn_core::provider::ReadContext;
use cairn_core::{Address, Object, Providers, ReadOutcome, Value};
use cairn_lang::Stack;
use cairn_state::ResourceState;

use crate::desired::mark_sensitive;
use crate::error::OperationError;
use crate::plan::{block_of, default_tags};

/// The object read, and its state entry (sensitive values marked).
pub struct Imported {
    pub provider: String,
    pub object: Object,
    pub state: ResourceState,
}

#[derive(Debug)]
pub enum ImportError {
    /// The configuration has no block for the address.
    Unconfigured(Address),
    Data,
    /// The block repeats (`count`/`for_each`) but the address names no key.
    KeyNeeded(Address, &'static str),
    /// The block does not repeat but the address has a key.
    KeyNotExpected(Address),
    NoSuchType {
        provider: String,
        type_name: String,
    },
    /// Nothing has that id.
    Gone {
        provider: String,
        type_name: String,
        id: String,
    },
    /// The read failed.
    Read(OperationError),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Unconfigured(a) => write!(
                f,
                "the configuration has no resource `{}`: add the block that will manage the object, then import it",
                a.config_address()
            ),
            ImportError::Data => f.write_str("data sources are read, not imported"),
            ImportError::KeyNeeded(a, keyword) => {
                write!(f, "`{a}` sets {keyword}: name one instance, e.g. `{a}[\"KEY\"]`")
            }
            ImportError::KeyNotExpected(a) => write!(
                f,
                "`{}` has no count or for_each: leave out the instance key",
                a.config_address()
            ),
            ImportError::NoSuchType { provider, type_name } => {
                write!(f, "provider `{provider}` offers no `{type_name}`")
            }
            ImportError::Gone { provider, type_name, id } => write!(
                f,
                "no {type_name} with id `{id}` exists (in the account and region of provider `{provider}`)"
            ),
            ImportError::Read(e) => write!(f, "{}", e.error),
        }
    }
}

/// Reads the object `id` for `address`.
pub async fn read(
    stack: &Stack,
    providers: &Providers,
    address: &Address,
    id: &str,
) -> Result<Imported, ImportError> {
    if address.is_data() {
        return Err(ImportError::Data);
    }
    let (node, block) =
        block_of(stack, address).ok_or_else(|| ImportError::Unconfigured(address.clone()))?;
    match (&block.repetition, &address.key) {
        (Some(r), None) => return Err(ImportError::KeyNeeded(address.clone(), r.keyword())),
        (None, Some(_)) => return Err(ImportError::KeyNotExpected(address.clone())),
        _ => {}
    }
    let provider = stack.provider_of(node, block);
    let resource = providers
        .resource(&provider, &address.type_name)
        .ok_or_else(|| ImportError::NoSuchType {
            provider: provider.clone(),
            type_name: address.type_name.clone(),
        })?;
    let ctx = ReadContext {
        default_tags: default_tags(stack, &provider),
        stack: stack.qualified_name(),
    };
    let mut object = match resource.import(id, &ctx).await {
        Ok(ReadOutcome::Live(obj)) => obj,
        Ok(ReadOutcome::Gone) => {
            return Err(ImportError::Gone {
                provider,
                type_name: address.type_name.clone(),
                id: id.to_string(),
            })
        }
        Err(error) => {
            return Err(ImportError::Read(OperationError {
                address: address.clone(),
                action: "import",
                error,
            }))
        }
    };
    mark_sensitive(resource.schema(), &mut object);
    let object_id = object
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or(id)
        .to_string();
    let mut state = ResourceState::new(
        &address.type_name,
        &provider,
        &object_id,
        &object,
        Vec::new(),
    );
    state.prevent_destroy = block.lifecycle.prevent_destroy;
    Ok(Imported {
        provider,
        object,
        state,
    })
}
