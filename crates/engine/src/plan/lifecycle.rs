//! `lifecycle` across the finished plan: create_before_destroy carried to
//! replaced dependencies, prevent_destroy enforced and recorded, deletion
//! protection held by AWS enforced before any call.

use std::collections::HashMap;

use cairn_core::{Address, Providers};
use cairn_lang::{Diagnostic, Stack};
use cairn_state::StateDocument;

use super::{Action, Reason, ResourceChange};
use crate::error::EngineError;

/// A create-before-destroy replacement whose dependency is replaced too
/// needs that dependency replaced the same way, or the order cannot hold
/// (as in Terraform).
pub(super) fn propagate_create_before_destroy(changes: &mut [ResourceChange]) {
    let index: HashMap<String, usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.deposed.is_none())
        .map(|(i, c)| (c.address.to_string(), i))
        .collect();
    let mut todo: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].create_before_destroy && changes[i].action == Action::Replace)
        .collect();
    while let Some(i) = todo.pop() {
        for d in changes[i].dependencies.clone() {
            if let Some(&j) = index.get(&d.to_string()) {
                if changes[j].action == Action::Replace && !changes[j].create_before_destroy {
                    changes[j].create_before_destroy = true;
                    todo.push(j);
                }
            }
        }
    }
}

/// `lifecycle.prevent_destroy`, from the configuration or as state
/// recorded it: a plan that would destroy such a resource fails.
pub(super) fn check_prevent_destroy(
    stack: &Stack,
    state: &StateDocument,
    changes: &[ResourceChange],
) -> Result<(), EngineError> {
    let mut errors = Vec::new();
    for c in changes {
        if !matches!(c.action, Action::Replace | Action::Delete) || c.deposed.is_some() {
            continue;
        }
        let block = stack.resource(&c.address);
        // The configuration decides when the block exists; state keeps the
        // protection of a block that was removed.
        let protected = match block {
            Some(b) => b.lifecycle.prevent_destroy,
            None => state
                .resources
                .get(&c.address.to_string())
                .is_some_and(|r| r.prevent_destroy),
        };
        if !protected {
            continue;
        }
        let why = match (c.action, c.reasons.first()) {
            (Action::Replace, Some(Reason::ForceNew(attrs))) => format!(
                "it must be replaced: {} cannot change in place",
                attrs.join(", ")
            ),
            (Action::Replace, Some(Reason::ReplaceTriggeredBy(r))) => {
                format!("it must be replaced: replace_triggered_by {r}")
            }
            (Action::Replace, _) => "it must be replaced".into(),
            (_, Some(Reason::Destroy)) => "this is a destroy".into(),
            (_, Some(Reason::NoInstance(why))) => why.clone(),
            _ => "it is no longer in the configuration".into(),
        };
        let message = format!(
            "`{}` has lifecycle.prevent_destroy set, and this plan would destroy it ({why})",
            c.address
        );
        errors.push(match block {
            Some(b) => Diagnostic::at(message, b.span).hint(
                "if destroying it is intended, set prevent_destroy = false and apply first; otherwise keep what forces the replacement, or leave it out with --exclude",
            ),
            None => Diagnostic::new(message).hint(
                "state recorded the protection when the block was configured: to destroy it on purpose, restore the block with prevent_destroy = false, apply, then remove the block",
            ),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Config(errors))
    }
}

/// Deletion protection held by AWS (`Resource::deletion_protection` on the
/// recorded attributes): a plan that would destroy or replace such an
/// object fails before any call, naming the attribute to turn off first.
pub(super) fn check_deletion_protection(
    stack: &Stack,
    providers: &Providers,
    changes: &[ResourceChange],
) -> Result<(), EngineError> {
    let mut errors = Vec::new();
    for c in changes {
        if !matches!(c.action, Action::Replace | Action::Delete) {
            continue;
        }
        let (Some(prior), Some(resource)) = (
            c.before.as_ref(),
            providers.resource(&c.provider, &c.address.type_name),
        ) else {
            continue;
        };
        let Some(attribute) = resource.deletion_protection(prior) else {
            continue;
        };
        let why = if c.action == Action::Replace {
            "it must be replaced"
        } else {
            "this plan deletes it"
        };
        let message = format!(
            "`{}` has {attribute} = true, and {why}: AWS refuses to delete it",
            c.address
        );
        let hint = format!(
            "set {attribute} = false and apply that first, then plan the {} again",
            if c.action == Action::Replace {
                "replacement"
            } else {
                "destroy"
            }
        );
        errors.push(match stack.resource(&c.address) {
            Some(b) => Diagnostic::at(message, b.span).hint(hint),
            None => Diagnostic::new(message).hint(hint),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Config(errors))
    }
}

/// The state apply starts from carries each configured resource's
/// prevent_destroy, so that the protection outlives its block.
pub(super) fn record_lifecycle(stack: &Stack, state: &mut StateDocument) {
    for (key, rs) in state.resources.iter_mut() {
        if let Some(b) = key.parse::<Address>().ok().and_then(|a| stack.resource(&a)) {
            rs.prevent_destroy = b.lifecycle.prevent_destroy;
        }
    }
}
