//! Offline across rules: two rules of one listener with one priority
//! would fail at apply time (PriorityInUse), after other changes landed.

use std::collections::HashMap;

use cairn_core::checks::{Finding, ModuleView, StackCheck};

pub struct RuleChecks;

impl StackCheck for RuleChecks {
    fn check(&self, m: &ModuleView) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut seen: HashMap<(usize, &str), usize> = HashMap::new();
        for (i, b) in m.managed("aws_lb_listener_rule") {
            let (Some((listener, _)), Some(priority)) = (
                m.target(b, "listener_arn", "aws_lb_listener"),
                b.known.get("priority"),
            ) else {
                continue;
            };
            if let Some(first) = seen.insert((listener, priority.as_str()), i) {
                out.push(
                    Finding::new(
                        i,
                        "priority",
                        format!("priority {priority} is already used on this listener"),
                    )
                    .note(
                        first,
                        "priority",
                        format!("{} has it", m.blocks[first].address),
                    )
                    .hint("priorities are unique per listener: choose another"),
                );
            }
        }
        out
    }
}
