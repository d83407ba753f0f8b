//! What each recorded resource looks like now, and drift: what changed
//! outside cairn that the configuration owns.

use cairn_core::{Address, Object, Providers, Value};
use cairn_lang::Stack;
use cairn_state::{ResourceState, StateDocument};

use super::{is_data, Drift, DriftKind};
use crate::diff::same;
use crate::error::EngineError;
use crate::refresh::Refreshed;
use std::collections::BTreeMap;

/// Per state address: what the object looks like now (`None`: gone).
pub(super) type Current = BTreeMap<String, Option<Object>>;

/// Drift (live against recorded) per resource, and what each recorded
/// resource looks like now: refreshed, or as recorded.
pub(super) fn drift_and_current(
    stack: &Stack,
    providers: &Providers,
    state: &StateDocument,
    refreshed: Option<&Refreshed>,
) -> Result<(Vec<Drift>, Current), EngineError> {
    let mut drift = Vec::new();
    let mut current = Current::new();
    for (addr, rs) in &state.resources {
        let recorded = rs.attributes();
        let Some(r) = refreshed.filter(|_| !is_data(addr)) else {
            // Data sources are read again below; without a refresh, live is
            // what was recorded and there is no drift.
            current.insert(addr.clone(), Some(recorded));
            continue;
        };
        let live = r.get(addr).cloned().flatten();
        let address: Address = addr
            .parse()
            .map_err(|_| EngineError::BadAddress(addr.clone()))?;
        let Some(schema) = providers
            .schemas()
            .resource(&rs.type_name)
            .map(|r| r.schema())
        else {
            return Err(EngineError::BadAddress(addr.clone()));
        };
        match &live {
            None => drift.push(Drift {
                address,
                type_name: rs.type_name.clone(),
                kind: DriftKind::Deleted,
                before: recorded.clone(),
                after: None,
            }),
            Some(l) => {
                // Drift is what someone changed that the configuration owns:
                // not computed values, and not optional+computed ones the
                // configuration leaves to others (an SG's rules made by rule
                // resources, a table's separate routes).
                let block = stack.resource(&address);
                let owned = |n: &str, a: &cairn_core::Attribute| {
                    a.is_configurable()
                        && (a.presence != cairn_core::Presence::OptionalComputed
                            || block.is_none_or(|b| b.attributes.contains_key(n)))
                };
                let changed: Vec<String> = schema
                    .attributes
                    .iter()
                    .filter(|(n, a)| owned(n, a))
                    .filter(|(n, a)| {
                        let null = Value::Null;
                        !same(
                            &a.ty,
                            recorded.get(**n).unwrap_or(&null),
                            l.get(**n).unwrap_or(&null),
                        )
                    })
                    .map(|(n, _)| n.to_string())
                    .collect();
                if !changed.is_empty() {
                    drift.push(Drift {
                        address,
                        type_name: rs.type_name.clone(),
                        kind: DriftKind::Changed(changed),
                        before: recorded.clone(),
                        after: Some(l.clone()),
                    });
                }
            }
        }
        current.insert(addr.clone(), live);
    }
    Ok((drift, current))
}

/// Apply starts from the refreshed state: live values recorded, resources
/// gone outside cairn forgotten.
pub(super) fn record_refreshed(state: &mut StateDocument, current: &Current) {
    for (addr, live) in current.iter().filter(|(a, _)| !is_data(a)) {
        match live {
            Some(obj) => {
                if let Some(rs) = state.resources.get_mut(addr) {
                    let mut updated = ResourceState::new(
                        &rs.type_name,
                        &rs.provider,
                        &rs.id,
                        obj,
                        rs.dependencies.clone(),
                    );
                    updated.status = rs.status;
                    updated.prevent_destroy = rs.prevent_destroy;
                    updated.deposed = std::mem::take(&mut rs.deposed);
                    *rs = updated;
                }
            }
            None => {
                state.resources.remove(addr);
            }
        }
    }
}
