//! Values generated locally, never read from or sent to AWS except where
//! the configuration references them: `random_password` and `random_id`,
//! one file each. The value lives in state (sensitive where it is a
//! secret); a plan keeps it until an attribute, `keepers` included, changes
//! and replaces it.

mod id;
mod password;

use std::sync::Arc;

use cairn_core::{Object, ProviderError, ReadOutcome, ReadRequest, Registry};

/// Adds the random types to `registry`. Makes no network call, ever.
pub fn register(registry: &mut Registry) {
    registry.add_resource(Arc::new(password::Password));
    registry.add_resource(Arc::new(id::RandomId));
}

/// `n` bytes from the operating system's CSPRNG.
fn random_bytes(n: usize) -> Result<Vec<u8>, ProviderError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| ProviderError::new("random:Generate", "EntropyUnavailable", e.to_string()))?;
    Ok(buf)
}

/// Nothing remote to read: the recorded value is the value.
fn read_recorded(requests: &[ReadRequest<'_>]) -> Vec<ReadOutcome> {
    requests
        .iter()
        .map(|r| ReadOutcome::Live(r.prior.clone()))
        .collect()
}

/// The planned object with computed attributes filled in.
fn with(
    planned: &Object,
    computed: impl IntoIterator<Item = (&'static str, cairn_core::Value)>,
) -> Object {
    let mut obj = planned.clone();
    for (k, v) in computed {
        obj.insert(k.to_string(), v);
    }
    obj
}
