//! RDS identifiers and group names: their offline rules, and the names
//! made from a `*_prefix` and the create's idempotency token, so a create
//! retried after a crash asks for the same name and a replacement (a new
//! planned create, a new token) gets another.

use cairn_core::{Attrs, Object, ValidationIssue, Value};

/// The suffix made from the token: 26 lowercase hex digits, as long as
/// Terraform's generated suffix.
const SUFFIX_LEN: usize = 26;

/// `prefix` (`cairn-` without one) then the token's first hex digits, in
/// lowercase as RDS stores names.
pub fn generated(prefix: Option<&str>, token: &str) -> String {
    let prefix = prefix.unwrap_or("cairn-");
    let suffix: String = token
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .take(SUFFIX_LEN)
        .collect();
    format!("{}{suffix}", prefix.to_ascii_lowercase())
}

/// The name to create with: `name` as configured, else one made from
/// `prefix`.
pub fn chosen(planned: &Object, name: &str, prefix: &str, token: &str) -> String {
    match planned.str(name) {
        Some(n) => n.to_string(),
        None => generated(planned.str(prefix), token),
    }
}

/// `*_prefix` as recorded, or, with nothing recorded (an adopted leftover,
/// an import), as inferred from a generated name: without it the object
/// would differ from its configuration in a force-new prefix.
pub fn recorded_prefix(prior: &Object, attr: &str, name: &str) -> Value {
    if let Some(v) = prior.get(attr) {
        return v.clone();
    }
    let generated = name.len() > SUFFIX_LEN
        && name[name.len() - SUFFIX_LEN..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    let prefix = &name[..name.len().saturating_sub(SUFFIX_LEN)];
    if generated && prefix != "cairn-" {
        Value::from(prefix)
    } else {
        Value::Null
    }
}

/// The rules RDS applies to instance and cluster identifiers and group
/// names: 1 to `max` letters, digits and hyphens, a letter first, no two
/// hyphens in a row, no hyphen last. `lowercase`: group names, which
/// Terraform checks in lowercase (RDS would store them so and the plan
/// would never settle).
pub fn problem(name: &str, max: usize, lowercase: bool) -> Option<String> {
    if name.is_empty() || name.len() > max {
        return Some(format!("`{name}` must be 1 to {max} characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some(format!(
            "`{name}` may hold only letters, digits and hyphens"
        ));
    }
    if lowercase && name.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(format!("`{name}` must be lowercase"));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!("`{name}` must begin with a letter"));
    }
    if name.contains("--") {
        return Some(format!("`{name}` must not contain two consecutive hyphens"));
    }
    if name.ends_with('-') {
        return Some(format!("`{name}` must not end with a hyphen"));
    }
    None
}

/// The checks of a `name`/`name_prefix` pair (or `identifier`/...).
pub fn check_pair(
    config: &Object,
    name: &str,
    prefix: &str,
    max: usize,
    lowercase: bool,
) -> Vec<ValidationIssue> {
    let mut issues = Vec::new();
    if let Some(m) = config.str(name).and_then(|n| problem(n, max, lowercase)) {
        issues.push(ValidationIssue {
            attribute: name.into(),
            message: m,
        });
    }
    if config.str(name).is_some() && config.str(prefix).is_some() {
        issues.push(ValidationIssue {
            attribute: prefix.into(),
            message: format!("set `{name}` or `{prefix}`, not both"),
        });
    }
    if let Some(p) = config.str(prefix) {
        let room = max.saturating_sub(SUFFIX_LEN);
        // A prefix may end with a hyphen: the suffix follows it.
        let probe = format!("{p}a");
        if p.len() > room {
            issues.push(ValidationIssue {
                attribute: prefix.into(),
                message: format!(
                    "`{p}` is longer than {room} characters (the generated suffix takes {SUFFIX_LEN})"
                ),
            });
        } else if let Some(m) = problem(&probe, max, lowercase) {
            issues.push(ValidationIssue {
                attribute: prefix.into(),
                message: m.replace(&probe, p),
            });
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_stable_per_token_and_found_again() {
        let a = generated(Some("app-"), "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d");
        assert_eq!(a, "app-2f1e6c527a4c4c1e9d7e0d8a3f");
        assert_ne!(
            a,
            generated(Some("app-"), "99aa6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d")
        );
        assert_eq!(
            recorded_prefix(&Object::new(), "identifier_prefix", &a).as_str(),
            Some("app-")
        );
        let default = generated(None, "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d");
        assert!(recorded_prefix(&Object::new(), "identifier_prefix", &default).is_null());
        assert!(recorded_prefix(&Object::new(), "identifier_prefix", "hub-db").is_null());
    }

    #[test]
    fn identifier_rules() {
        assert!(problem("hub-api-db", 63, false).is_none());
        assert!(problem("1db", 63, false).is_some());
        assert!(problem("a--b", 63, false).is_some());
        assert!(problem("ab-", 63, false).is_some());
        assert!(problem("a_b", 63, false).is_some());
        assert!(problem("Upper", 255, true).is_some());
        assert!(problem(&"a".repeat(64), 63, false).is_some());
    }
}
