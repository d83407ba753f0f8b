//! Which creates will adopt an object an interrupted apply left behind.

use std::collections::{BTreeMap, HashSet};

use cairn_core::Providers;
use cairn_state::StateDocument;

use super::{Action, Reason, ResourceChange};

/// Creates whose object already exists, tagged with this stack and address
/// but missing from state (an apply died between creating and recording
/// it), say so: one ownership listing per provider and type with creates.
pub(super) async fn mark_adoptions(
    changes: &mut [ResourceChange],
    state: &StateDocument,
    providers: &Providers,
    stack: &str,
) {
    let mut kinds: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.action == Action::Create && !c.address.is_data())
        .map(|c| (c.provider.as_str(), c.type_name.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let kinds: Vec<(String, String)> = kinds
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect();
    let known: HashSet<&str> = state.resources.values().map(|r| r.id.as_str()).collect();
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for (p, t) in &kinds {
        let Some(resource) = providers.resource(p, t) else {
            continue;
        };
        // The notice is a courtesy: apply adopts leftovers either way, so a
        // failed listing only costs the notice.
        let owned = match resource.owned_by_stack(stack).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!("could not list {t} objects left by an interrupted apply: {e}");
                continue;
            }
        };
        for (address, id) in owned {
            if !known.contains(id.as_str()) {
                found.insert(address, id);
            }
        }
    }
    for c in changes.iter_mut().filter(|c| c.action == Action::Create) {
        if let Some(id) = found.get(&c.address.to_string()) {
            c.reasons.push(Reason::Adopt(id.clone()));
        }
    }
}
