//! Which creates will adopt an object an interrupted apply left behind.

use cairn_core::Providers;
use cairn_state::StateDocument;

use super::{Action, Reason, ResourceChange};
use crate::leftovers;

/// Creates whose object already exists, tagged with this stack and address
/// but missing from state (an apply died between creating and recording
/// it), say so.
pub(super) async fn mark_adoptions(
    changes: &mut [ResourceChange],
    state: &StateDocument,
    providers: &Providers,
    stack: &str,
) {
    let kinds = leftovers::kinds(
        changes
            .iter()
            .filter(|c| c.action == Action::Create && !c.address.is_data())
            .map(|c| (c.provider.as_str(), c.type_name.as_str())),
    );
    let mut found = leftovers::list(&kinds, state, providers, stack).await;
    leftovers::keep_live(&mut found, providers, stack).await;
    // The notice is a courtesy: apply lists again and adopts either way, so
    // a failed listing only costs the notice.
    for (type_name, e) in &found.failed {
        tracing::warn!("could not list {type_name} objects left by an interrupted apply: {e}");
    }
    for c in changes.iter_mut().filter(|c| c.action == Action::Create) {
        if let Some(l) = found.by_address.get(&c.address.to_string()) {
            c.reasons.push(Reason::Adopt(l.id.clone()));
        }
    }
}
