//! `random_password`: a secret of `length` characters from the enabled
//! classes, at least `min_*` of each, drawn without modulo bias. Every
//! attribute forces a new value; `result` is sensitive everywhere.

use std::sync::OnceLock;

use async_trait::async_trait;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, ValidationIssue, Value,
};

use crate::{random_bytes, read_recorded, with};

pub struct Password;

const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const NUMERIC: &str = "0123456789";
/// Terraform's default special characters.
const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let class = || Attribute::bool().default(true).force_new();
        let min = || Attribute::number().default(0).force_new().check(Check::Range(0, 1024));
        Schema::new()
            .describe("A password generated locally with a CSPRNG; `result` is sensitive, kept in state, replaced when any argument (or `keepers`) changes.")
            .attr("length", Attribute::number().required().force_new().check(Check::Range(1, 1024)))
            .attr("upper", class())
            .attr("lower", class())
            .attr("numeric", class())
            .attr("special", class())
            .attr("min_upper", min())
            .attr("min_lower", min())
            .attr("min_numeric", min())
            .attr("min_special", min())
            .attr(
                "override_special",
                Attribute::string()
                    .force_new()
                    .describe("The special characters to draw from instead of the default set."),
            )
            .attr(
                "keepers",
                Attribute::new(Type::map(Type::String))
                    .force_new()
                    .describe("Arbitrary values that replace the password when they change."),
            )
            .attr("result", Attribute::string().computed().sensitive())
            .attr("id", Attribute::string().computed())
    })
}

/// The character classes a configuration enables, with their minimums.
fn classes(config: &Object) -> Vec<(&'static str, String, i64)> {
    let on = |k: &str| config.bool(k).unwrap_or(true);
    let min = |k: &str| config.i64(k).unwrap_or(0);
    let special = config
        .str("override_special")
        .unwrap_or(SPECIAL)
        .to_string();
    [
        ("upper", UPPER.to_string(), min("min_upper")),
        ("lower", LOWER.to_string(), min("min_lower")),
        ("numeric", NUMERIC.to_string(), min("min_numeric")),
        ("special", special, min("min_special")),
    ]
    .into_iter()
    .filter(|(name, chars, _)| on(name) && !chars.is_empty())
    .collect()
}

/// A uniformly drawn index below `n` (rejection sampling: no modulo bias).
fn index(n: usize, pool: &mut Vec<u8>) -> Result<usize, ProviderError> {
    let limit = 256 - (256 % n);
    loop {
        if pool.is_empty() {
            *pool = random_bytes(64)?;
        }
        let b = pool.pop().map(usize::from).unwrap_or(0);
        if b < limit {
            return Ok(b % n);
        }
    }
}

pub(crate) fn generate(config: &Object) -> Result<String, ProviderError> {
    let classes = classes(config);
    let length = config.i64("length").unwrap_or(0).max(0) as usize;
    let alphabet: Vec<char> = classes.iter().flat_map(|(_, c, _)| c.chars()).collect();
    if alphabet.is_empty() || alphabet.len() > 256 {
        return Err(ProviderError::new(
            "random:Generate",
            "InvalidConfiguration",
            "no character class to draw from",
        ));
    }
    let mut pool = Vec::new();
    let mut out: Vec<char> = Vec::with_capacity(length);
    for (_, chars, min) in &classes {
        let chars: Vec<char> = chars.chars().collect();
        for _ in 0..*min {
            out.push(chars[index(chars.len(), &mut pool)?]);
        }
    }
    while out.len() < length {
        out.push(alphabet[index(alphabet.len(), &mut pool)?]);
    }
    // Shuffle (Fisher-Yates) so the required characters sit anywhere.
    for i in (1..out.len()).rev() {
        let j = index(i + 1, &mut pool)?;
        out.swap(i, j);
    }
    Ok(out.into_iter().collect())
}

#[async_trait]
impl Resource for Password {
    fn type_name(&self) -> &'static str {
        "random_password"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    fn validate(&self, config: &Object) -> Vec<ValidationIssue> {
        let mut issues = Vec::new();
        if classes(config).is_empty() {
            issues.push(ValidationIssue {
                attribute: "special".into(),
                message: "every character class is disabled (or empty): nothing to draw from"
                    .into(),
            });
        }
        if let Some(length) = config.i64("length") {
            let mins: i64 = classes(config).iter().map(|(_, _, m)| m).sum();
            if mins > length {
                issues.push(ValidationIssue {
                    attribute: "length".into(),
                    message: format!("the min_* settings ask for {mins} characters, more than `length` ({length})"),
                });
            }
        }
        if config
            .str("override_special")
            .is_some_and(|s| !s.is_ascii())
        {
            issues.push(ValidationIssue {
                attribute: "override_special".into(),
                message: "only ASCII characters are allowed".into(),
            });
        }
        issues
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        Ok(read_recorded(requests))
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let result = generate(planned)?;
        Ok(with(
            planned,
            [
                ("result", Value::sensitive(result.into())),
                ("id", "none".into()),
            ],
        ))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
        _planned: &Object,
        changed: &[String],
    ) -> Result<Object, ProviderError> {
        // Every argument forces a new value: nothing reaches here.
        Err(ProviderError::not_updatable(
            "random_password",
            changed.first().map(String::as_str).unwrap_or("(none)"),
        ))
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        _id: &str,
        _prior: &Object,
    ) -> Result<(), ProviderError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn passwords_have_the_length_the_classes_and_the_minimums() {
        let c = config(&[
            ("length", 32.into()),
            ("special", true.into()),
            ("override_special", "!#".into()),
            ("min_special", 5.into()),
            ("min_numeric", 3.into()),
        ]);
        for _ in 0..50 {
            let p = generate(&c).unwrap();
            assert_eq!(p.chars().count(), 32);
            assert!(p.chars().filter(|c| "!#".contains(*c)).count() >= 5, "{p}");
            assert!(p.chars().filter(char::is_ascii_digit).count() >= 3, "{p}");
            assert!(
                p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#".contains(c)),
                "{p}"
            );
        }
        assert_ne!(generate(&c).unwrap(), generate(&c).unwrap());
    }

    #[test]
    fn disabled_classes_are_never_drawn() {
        let c = config(&[
            ("length", 64.into()),
            ("upper", false.into()),
            ("special", false.into()),
            ("numeric", false.into()),
        ]);
        let p = generate(&c).unwrap();
        assert!(p.chars().all(|c| c.is_ascii_lowercase()), "{p}");
    }

    #[test]
    fn impossible_configurations_are_refused_offline() {
        let none = config(&[
            ("length", 8.into()),
            ("upper", false.into()),
            ("lower", false.into()),
            ("numeric", false.into()),
            ("special", false.into()),
        ]);
        assert_eq!(Password.validate(&none).len(), 1);
        let short = config(&[
            ("length", 4.into()),
            ("min_upper", 3.into()),
            ("min_numeric", 3.into()),
        ]);
        assert_eq!(Password.validate(&short)[0].attribute, "length");
    }
}
