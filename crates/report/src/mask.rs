//! Masking. A report is meant to be handed around, so no secret may reach
//! it, whatever the provider schemas say. Three rules, all schema-free:
//!
//! 1. **marks**: a value under a state `sensitive_paths` entry (restored as
//!    a `Sensitive` wrapper by `ResourceState::attributes`), and a
//!    sensitive output;
//! 2. **names**: a string under a key that names a secret (`password`,
//!    `secret_string`, `auth_token`, `private_key`, ...), except keys that
//!    name a reference to one (`secret_arn`, `kms_key_id`, `password_length`);
//! 3. **copies**: any string equal to a value masked by rules 1–2 anywhere
//!    in any version the report covers (a secret version's `secret_string`
//!    copies a `random_password`'s `result`), or containing one, or holding
//!    a PEM private key.
//!
//! Last, [`Secrets::leaked_in`] scans the finished text for every secret,
//! so a bug in the rules above fails the report rather than publishing.

use std::collections::HashSet;

use cairn_core::value::{format_number, Object, Value};
use cairn_state::StateDocument;

pub const MASK: &str = "(sensitive value)";

/// Secrets shorter than this are masked where they are a whole value but
/// not searched for inside longer text: a 3-character secret would match
/// ordinary words everywhere.
const MIN_SEARCHED: usize = 8;

/// Words that make a key name a secret's.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "privatekey",
];

/// A key ending in one of these names something about a secret (where it
/// is, how long it is), not the secret itself.
const REFERENCE_ENDINGS: &[&str] = &[
    "id", "ids", "arn", "arns", "name", "names", "prefix", "length", "count", "enabled", "type",
    "status", "version", "versions", "stage", "stages", "strategy", "rotation", "days",
];

/// Whether a key (`secret_string`, `masterUserPassword`) names a secret.
pub fn secret_key(key: &str) -> bool {
    let words = words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if REFERENCE_ENDINGS.contains(&last.as_str()) {
        return false;
    }
    let joined: Vec<String> = words
        .windows(2)
        .map(|w| format!("{}{}", w[0], w[1]))
        .collect();
    words
        .iter()
        .chain(joined.iter())
        .any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// `masterUserPassword` -> [master, user, password]; `auth_token` -> [auth, token].
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn pem_private_key(s: &str) -> bool {
    s.contains("-----BEGIN") && s.contains("PRIVATE KEY")
}

/// Every secret string in the documents a report covers.
#[derive(Default)]
pub struct Secrets {
    exact: HashSet<String>,
    /// The long ones, searched for inside other strings and the output.
    searched: Vec<String>,
}

impl Secrets {
    /// Collects the secrets of every resource (and deposed object) and
    /// every sensitive output of `docs`.
    pub fn collect<'a>(docs: impl IntoIterator<Item = &'a StateDocument>) -> Secrets {
        let mut found = HashSet::new();
        for doc in docs {
            for rs in doc.resources.values() {
                collect_object(&rs.attributes(), &mut found);
                for d in &rs.deposed {
                    collect_object(&d.attributes(), &mut found);
                }
            }
            for out in doc.outputs.values() {
                let v = out.value();
                if out.sensitive {
                    strings(&v, &mut found);
                } else {
                    collect(&v, false, &mut found);
                }
            }
        }
        found.retain(|s| !s.is_empty());
        let mut searched: Vec<String> = found
            .iter()
            .filter(|s| s.chars().count() >= MIN_SEARCHED)
            .cloned()
            .collect();
        // Longest first, so a check stops at the most specific match.
        searched.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Secrets {
            exact: found,
            searched,
        }
    }

    pub fn len(&self) -> usize {
        self.exact.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }

    /// Whether a plain string must be masked by rule 3.
    pub fn is_secret_text(&self, s: &str) -> bool {
        !s.is_empty()
            && (self.exact.contains(s)
                || pem_private_key(s)
                || self
                    .searched
                    .iter()
                    .any(|secret| s.contains(secret.as_str())))
    }

    /// Whether any secret appears in `text` as it is or as HTML or JSON
    /// would escape it. Says nothing about which (the caller prints this).
    pub fn leaked_in(&self, text: &str) -> bool {
        self.searched.iter().any(|s| {
            text.contains(s.as_str())
                || text.contains(&crate::html::escape(s))
                || text.contains(json_inner(s).as_str())
        })
    }

    /// Renders `v`, found at `key` (the last map key above it, if any),
    /// masking by all three rules. `masked` collects the paths masked.
    pub fn render(
        &self,
        path: &str,
        key: Option<&str>,
        v: &Value,
        masked: &mut Vec<String>,
    ) -> String {
        let mut out = String::new();
        self.render_into(path, key.is_some_and(secret_key), v, masked, &mut out);
        out
    }

    fn render_into(
        &self,
        path: &str,
        by_name: bool,
        v: &Value,
        masked: &mut Vec<String>,
        out: &mut String,
    ) {
        match v {
            Value::Sensitive(_) => {
                masked.push(path.to_string());
                out.push_str(MASK);
            }
            Value::String(s) if by_name || self.is_secret_text(s) => {
                masked.push(path.to_string());
                out.push_str(MASK);
            }
            Value::String(s) => out.push_str(&format!("{s:?}")),
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&format_number(*n)),
            Value::Unknown => out.push_str("(known after apply)"),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    self.render_into(&format!("{path}[{i}]"), by_name, item, masked, out);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, item)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&format!("{k:?} = "));
                    let sub = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    self.render_into(&sub, by_name || secret_key(k), item, masked, out);
                }
                out.push('}');
            }
        }
    }
}

/// How serde_json writes `s` inside a string literal (without the quotes).
fn json_inner(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn collect_object(attrs: &Object, found: &mut HashSet<String>) {
    for (k, v) in attrs {
        collect(v, secret_key(k), found);
    }
}

/// Strings masked by rules 1 and 2 inside `v`.
fn collect(v: &Value, by_name: bool, found: &mut HashSet<String>) {
    match v {
        Value::Sensitive(inner) => strings(inner, found),
        Value::String(s) if by_name => {
            found.insert(s.clone());
        }
        Value::List(items) => items.iter().for_each(|i| collect(i, by_name, found)),
        Value::Map(m) => {
            for (k, item) in m {
                collect(item, by_name || secret_key(k), found);
            }
        }
        _ => {}
    }
}

/// Every string inside a sensitive value.
fn strings(v: &Value, found: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            found.insert(s.clone());
        }
        Value::Sensitive(inner) => strings(inner, found),
        Value::List(items) => items.iter().for_each(|i| strings(i, found)),
        Value::Map(m) => m.values().for_each(|i| strings(i, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_that_hold_secrets() {
        for k in [
            "password",
            "master_password",
            "masterUserPassword",
            "secret_string",
            "auth_token",
            "private_key",
            "privateKey",
            "client_secret",
            "credentials",
        ] {
            assert!(secret_key(k), "{k}");
        }
        for k in [
            "secret_id",
            "secret_arn",
            "kms_key_id",
            "password_length",
            "name",
            "arn",
            "cidr_block",
            "auth_token_update_strategy",
            "tags",
        ] {
            assert!(!secret_key(k), "{k}");
        }
    }

    #[test]
    fn copies_of_secrets_are_masked_and_leaks_are_found() {
        let mut doc = StateDocument::new("s", None);
        let attrs: Object = [
            (
                "result".to_string(),
                Value::sensitive("canary-7f3a9c1d".into()),
            ),
            ("length".to_string(), Value::Number(15.0)),
        ]
        .into();
        doc.resources.insert(
            "random_password.db".into(),
            cairn_state::ResourceState::new("random_password", "random", "none", &attrs, vec![]),
        );
        let s = Secrets::collect([&doc]);
        assert!(s.is_secret_text("canary-7f3a9c1d"));
        assert!(s.is_secret_text("postgres://u:canary-7f3a9c1d@db"));
        assert!(!s.is_secret_text("canary"));
        assert!(s.leaked_in("<td>canary-7f3a9c1d</td>"));
        assert!(!s.leaked_in(&format!("<td>{MASK}</td>")));
        let mut masked = Vec::new();
        let shown = s.render(
            "conn",
            Some("conn"),
            &Value::from("x canary-7f3a9c1d"),
            &mut masked,
        );
        assert_eq!(shown, MASK);
        assert_eq!(masked, ["conn"]);
    }

    #[test]
    fn secrets_under_secret_names_are_masked_but_flags_are_not() {
        let s = Secrets::default();
        let mut masked = Vec::new();
        let v = Value::Map(
            [
                ("password".to_string(), Value::from("hunter2")),
                ("manage_password".to_string(), Value::Bool(true)),
                ("user".to_string(), Value::from("admin")),
            ]
            .into(),
        );
        let shown = s.render("db", None, &v, &mut masked);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("true") && shown.contains("admin"), "{shown}");
        assert_eq!(masked, ["db.password"]);
        let pem =
            Value::from("-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----");
        assert_eq!(s.render("k", None, &pem, &mut masked), MASK);
    }
}
