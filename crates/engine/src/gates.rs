//! Checking a plan against deny gates (`--deny`, `[policy] deny`).

use cairn_lang::DenyRule;

use crate::plan::{Action, Plan};

/// A planned change a rule refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub address: String,
    pub action: &'static str,
    pub rule: String,
}

/// Every change denied by any rule, in plan order (one entry per change:
/// the first rule that refuses it).
pub fn check(plan: &Plan, rules: &[DenyRule]) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let verb = c.action.verb();
        let destroys = matches!(c.action, Action::Delete | Action::Replace);
        let address = c.address.to_string();
        if let Some(rule) = rules
            .iter()
            .find(|r| r.matches(verb, destroys, &c.type_name, &address))
        {
            out.push(Violation {
                address,
                action: verb,
                rule: rule.text.clone(),
            });
        }
    }
    out
}
