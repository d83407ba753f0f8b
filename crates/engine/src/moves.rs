//! Refactoring without destroying: `[[moved]]` blocks, and the moves that
//! adding or removing `count` implies (`aws_x.y` <-> `aws_x.y[0]`), applied
//! to the state the plan starts from. The plan lists every move; apply
//! records them with everything else.

use cairn_core::Address;
use cairn_lang::{Diagnostic, MovedBlock};
use cairn_state::StateDocument;
use serde::{Deserialize, Serialize};

/// A recorded object that is now configured at another address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub from: Address,
    pub to: Address,
}

/// Applies the moved blocks until none matches (so chains A -> B -> C
/// resolve in any order); a move onto an address state already has is an
/// error.
pub fn apply_moved_blocks(
    state: &mut StateDocument,
    blocks: &[MovedBlock],
) -> Result<Vec<Move>, Vec<Diagnostic>> {
    let mut moves: Vec<Move> = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..=blocks.len() {
        let mut moved_any = false;
        for b in blocks {
            let matching: Vec<(String, Address)> = state
                .resources
                .keys()
                .filter_map(|k| k.parse::<Address>().ok().map(|a| (k.clone(), a)))
                .filter(|(_, a)| !a.is_data() && b.from.matches(a))
                .collect();
            for (key, a) in matching {
                let Some(to) = b.from.move_address(&b.to, &a) else {
                    continue;
                };
                let to_key = to.to_string();
                if state.resources.contains_key(&to_key) {
                    errors.push(
                        Diagnostic::at(format!("cannot move `{a}` to `{to}`: state already has `{to}`"), b.span).hint(
                            "both exist in state; forget one with `cairn state rm` (it stays in AWS), or remove this moved block",
                        ),
                    );
                    continue;
                }
                state.rename(&key, &to_key);
                moved_any = true;
                match moves.iter_mut().find(|m| m.to == a) {
                    Some(m) => m.to = to,
                    None => moves.push(Move { from: a, to }),
                }
            }
        }
        if !moved_any || !errors.is_empty() {
            break;
        }
    }
    moves.retain(|m| m.from != m.to);
    if errors.is_empty() {
        Ok(moves)
    } else {
        Err(errors)
    }
}

/// Adding `count` to a resource keeps its object as instance `[0]`;
/// removing it keeps `[0]` as the resource. Returns the move, if any.
pub fn implied_count_move(
    state: &mut StateDocument,
    address: &Address,
    counted: bool,
) -> Option<Move> {
    let bare = Address {
        key: None,
        ..address.clone()
    };
    let first = bare.clone().with_key(cairn_core::InstanceKey::Int(0));
    let (from, to) = if counted {
        (bare, first)
    } else {
        (first, bare)
    };
    let (from_key, to_key) = (from.to_string(), to.to_string());
    if state.resources.contains_key(&to_key) || !state.rename(&from_key, &to_key) {
        return None;
    }
    Some(Move { from, to })
}
