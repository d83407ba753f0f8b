//! Deny gates: `--deny delete`, `--deny replace:module.network.*`,
//! `[policy] deny = ["delete:aws_kms_key"]`. A rule is an action, optionally
//! narrowed by a resource type or an address glob (`*` matches anything).

use std::fmt;

/// What a plan may be refused for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatedAction {
    Create,
    Update,
    /// A replacement only.
    Replace,
    /// Any destruction of an object: deletes and replacements.
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyRule {
    pub action: GatedAction,
    /// A type (`aws_kms_key`) or an address glob; `None` matches everything.
    pub filter: Option<String>,
    /// As written, for messages.
    pub text: String,
}

pub const ACTIONS: &[&str] = &["create", "update", "replace", "delete"];

impl DenyRule {
    pub fn parse(text: &str) -> Result<DenyRule, String> {
        let (action, filter) = match text.split_once(':') {
            Some((a, f)) => (a.trim(), Some(f.trim())),
            None => (text.trim(), None),
        };
        let action = match action {
            "create" => GatedAction::Create,
            "update" => GatedAction::Update,
            "replace" => GatedAction::Replace,
            "delete" | "destroy" => GatedAction::Delete,
            other => {
                return Err(format!(
                    "`{other}` is not a gated action (expected one of: create, update, replace, delete)"
                ))
            }
        };
        if filter == Some("") {
            return Err(format!("`{text}` has an empty filter after `:`"));
        }
        Ok(DenyRule {
            action,
            filter: filter.map(str::to_string),
            text: text.trim().to_string(),
        })
    }

    /// Whether a change with these effects on this resource is denied.
    /// `destroys` is true for deletes and replacements.
    pub fn matches(&self, verb: &str, destroys: bool, type_name: &str, address: &str) -> bool {
        let action = match self.action {
            GatedAction::Create => verb == "create",
            GatedAction::Update => verb == "update",
            GatedAction::Replace => verb == "replace",
            GatedAction::Delete => destroys,
        };
        action
            && match &self.filter {
                None => true,
                Some(f) if !f.contains('.') && !f.contains('*') => f == type_name,
                Some(f) => glob(f, address),
            }
    }
}

impl fmt::Display for DenyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `*` matches any run of characters (dots and brackets included).
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_narrow_by_type_or_address_glob() {
        let r = DenyRule::parse("delete:aws_kms_key").unwrap();
        assert!(r.matches("delete", true, "aws_kms_key", "aws_kms_key.main"));
        assert!(r.matches("replace", true, "aws_kms_key", "aws_kms_key.main"));
        assert!(!r.matches("delete", true, "aws_vpc", "aws_vpc.main"));

        let r = DenyRule::parse("replace:module.network.*").unwrap();
        assert!(r.matches(
            "replace",
            true,
            "aws_subnet",
            "module.network.aws_subnet.a[\"x\"]"
        ));
        assert!(!r.matches("replace", true, "aws_subnet", "aws_subnet.a"));
        assert!(!r.matches("delete", true, "aws_subnet", "module.network.aws_subnet.a"));

        let r = DenyRule::parse("update:aws_*.main").unwrap();
        assert!(r.matches("update", false, "aws_vpc", "aws_vpc.main"));
        assert!(!r.matches("update", false, "aws_vpc", "aws_vpc.other"));

        assert!(DenyRule::parse("explode").is_err());
        assert!(DenyRule::parse("delete:").is_err());
    }
}
