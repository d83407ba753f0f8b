//! Refresh: read every resource recorded in state from its provider, one
//! batched call per provider configuration and resource type, all of them
//! concurrently.

use std::collections::{BTreeMap, HashMap};

use cairn_core::provider::ReadContext;
use cairn_core::value::Path;
use cairn_core::{Address, Object, Providers, ReadOutcome, ReadRequest};
use cairn_lang::Stack;
use cairn_state::StateDocument;
use futures::future::join_all;

use crate::desired::mark_sensitive;
use crate::error::{EngineError, OperationError};

/// Per state address: the live attributes, or `None` if the resource is gone.
pub type Refreshed = BTreeMap<String, Option<Object>>;

pub async fn refresh(
    state: &StateDocument,
    providers: &Providers,
    stack: &Stack,
) -> Result<Refreshed, EngineError> {
    // Per provider and type: (state address, prior attributes, their sensitive paths).
    type Batch<'a> = Vec<(&'a String, Object, Vec<Path>)>;
    let mut by_type: HashMap<(&str, &str), Batch> = HashMap::new();
    // Data sources are read by the plan itself, never refreshed.
    for (addr, rs) in state
        .resources
        .iter()
        .filter(|(a, _)| !Address::text_is_data(a))
    {
        if providers.get(&rs.provider).is_none() {
            return Err(EngineError::UnknownProvider {
                address: addr.clone(),
                provider: rs.provider.clone(),
            });
        }
        if providers.resource(&rs.provider, &rs.type_name).is_none() {
            return Err(EngineError::UnknownType {
                address: addr.clone(),
                type_name: rs.type_name.clone(),
            });
        }
        let prior = rs.attributes();
        let marks = cairn_core::Value::Map(prior.clone()).sensitive_paths();
        by_type
            .entry((rs.provider.as_str(), rs.type_name.as_str()))
            .or_default()
            .push((addr, prior, marks));
    }
    let reads = by_type
        .into_iter()
        .map(|((provider, type_name), items)| async move {
            let Some(resource) = providers.resource(provider, type_name) else {
                return Err(Vec::new());
            };
            let ctx = &ReadContext {
                default_tags: crate::plan::default_tags(stack, provider),
                stack: stack.qualified_name(),
            };
            let ids: Vec<&str> = items
                .iter()
                .map(|(a, _, _)| state.resources[*a].id.as_str())
                .collect();
            let requests: Vec<ReadRequest> = items
                .iter()
                .zip(&ids)
                .map(|((_, prior, _), id)| ReadRequest { id, prior })
                .collect();
            tracing::debug!(provider, type_name, count = requests.len(), "refresh");
            match resource.read(&requests, ctx).await {
                Ok(outcomes) if outcomes.len() == items.len() => {
                    let mut out = Vec::with_capacity(items.len());
                    for ((addr, prior, marks), outcome) in items.iter().zip(outcomes) {
                        let live = match outcome {
                            ReadOutcome::Gone => None,
                            ReadOutcome::Live(mut obj) => {
                                mark_sensitive(resource.schema(), &mut obj);
                                cairn_core::tags::keep_configured(&mut obj, prior);
                                let mut v = cairn_core::Value::Map(obj);
                                v.mark_paths(marks);
                                v.as_map().cloned()
                            }
                        };
                        out.push(((*addr).clone(), live));
                    }
                    Ok(out)
                }
                Ok(outcomes) => Err(failed(
                    type_name,
                    &items,
                    cairn_core::ProviderError::new(
                        format!("{type_name}:read"),
                        "InvalidResponse",
                        format!(
                            "the provider returned {} results for {} resources",
                            outcomes.len(),
                            items.len()
                        ),
                    ),
                )),
                Err(e) => Err(failed(type_name, &items, e)),
            }
        });
    let mut refreshed = Refreshed::new();
    let mut errors = Vec::new();
    for r in join_all(reads).await {
        match r {
            Ok(items) => refreshed.extend(items),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(refreshed)
    } else {
        errors.sort_by(|a, b| a.address.cmp(&b.address));
        Err(EngineError::Operations(errors))
    }
}

/// One read error for every instance of a failed batch.
fn failed(
    type_name: &str,
    items: &[(&String, Object, Vec<Path>)],
    error: cairn_core::ProviderError,
) -> Vec<OperationError> {
    items
        .iter()
        .map(|(addr, _, _)| OperationError {
            address: addr
                .parse()
                .unwrap_or_else(|_| Address::managed(type_name, "?")),
            action: "read",
            error: error.clone(),
        })
        .collect()
}
