//! Objects an interrupted apply left behind: created and tagged with this
//! stack and an address, but never recorded in state. Listed once per
//! provider and type (`Resource::owned_by_stack`, one batched read each, all
//! types at once), never once per create: the plan says which creates will
//! adopt one, and apply adopts it instead of creating a second object.

use std::collections::{HashMap, HashSet};

use cairn_core::provider::ReadContext;
use cairn_core::{ProviderError, Providers, ReadOutcome};
use cairn_state::StateDocument;
use futures::future::join_all;

/// An owned object state does not record, and where it was listed.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub id: String,
    pub provider: String,
    pub type_name: String,
}

/// Leftovers by address, and the types whose listing failed.
#[derive(Debug, Default)]
pub struct Leftovers {
    pub by_address: HashMap<String, Leftover>,
    /// Type name -> why its objects could not be listed.
    pub failed: HashMap<String, ProviderError>,
}

/// Lists the objects of each `(provider, type)` tagged as this stack's and
/// keeps those state knows nothing of (neither as current nor as deposed).
pub async fn list(
    kinds: &[(String, String)],
    state: &StateDocument,
    providers: &Providers,
    stack: &str,
) -> Leftovers {
    let known: HashSet<&str> = state
        .resources
        .values()
        .flat_map(|r| std::iter::once(r.id.as_str()).chain(r.deposed.iter().map(|d| d.id.as_str())))
        .collect();
    let listings = join_all(kinds.iter().filter_map(|(p, t)| {
        let resource = providers.resource(p, t)?.clone();
        Some(async move { (p, t, resource.owned_by_stack(stack).await) })
    }))
    .await;
    let mut out = Leftovers::default();
    for (provider, type_name, listing) in listings {
        match listing {
            Ok(owned) => out.by_address.extend(
                owned
                    .into_iter()
                    .filter(|(_, id)| !known.contains(id.as_str()))
                    .map(|(address, id)| {
                        let found = Leftover {
                            id,
                            provider: provider.clone(),
                            type_name: type_name.clone(),
                        };
                        (address, found)
                    }),
            ),
            Err(e) => {
                out.failed.insert(type_name.clone(), e);
            }
        }
    }
    out
}

/// Keeps only the leftovers that still exist: some types stay listed, and
/// tagged, for a while after they are deleted (a KMS key pending deletion,
/// a deleted peering connection). One read per leftover, and there are
/// none unless an apply was interrupted.
pub async fn keep_live(found: &mut Leftovers, providers: &Providers, stack: &str) {
    let ctx = ReadContext {
        stack: stack.to_string(),
        ..ReadContext::default()
    };
    let checks = found.by_address.iter().map(|(address, l)| {
        let resource = providers.resource(&l.provider, &l.type_name);
        let ctx = &ctx;
        async move {
            let live = match resource {
                Some(r) => matches!(r.import(&l.id, ctx).await, Ok(ReadOutcome::Live(_))),
                None => false,
            };
            (address.clone(), live)
        }
    });
    for (address, live) in join_all(checks).await {
        if !live {
            found.by_address.remove(&address);
        }
    }
}

/// The distinct `(provider, type)` pairs of some changes.
pub fn kinds<'a>(changes: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut kinds: Vec<(&str, &str)> = changes.collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}
