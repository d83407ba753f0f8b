//! EC2 data sources: existing infrastructure read by filters, never
//! created. What they share: Terraform's `filter` blocks and `tags` as EC2
//! filters, and the "exactly one match" rule with an error naming the
//! filters.

pub mod ami;
pub mod availability_zones;
pub mod security_group;
pub mod subnets;
pub mod vpc;

use aws_sdk_ec2::types::Filter;
use cairn_core::{Attribute, Object, ProviderError, Schema, Type, Value};

use crate::common::filter;

/// `filter = [{ name = "...", values = ["..."] }]`.
pub fn filter_attribute() -> Attribute {
    Attribute::new(Type::set(Type::object(
        Schema::new()
            .attr("name", Attribute::string().required())
            .attr(
                "values",
                Attribute::new(Type::list(Type::String)).required(),
            ),
    )))
}

/// The EC2 filters a data source's configuration asks for: its `filter`
/// blocks, `tags` as `tag:KEY` filters, and `simple` (attribute, EC2
/// filter name) pairs for scalar arguments.
pub fn filters(config: &Object, simple: &[(&str, &str)]) -> Vec<Filter> {
    let mut out = Vec::new();
    for (attr, name) in simple {
        if let Some(v) = config.get(*attr).and_then(Value::as_str) {
            out.push(filter(name, [v]));
        }
    }
    for (k, v) in cairn_core::tags::from_value(config.get("tags")) {
        out.push(filter(&format!("tag:{k}"), [v]));
    }
    for f in config
        .get("filter")
        .and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_map)
    {
        let name = f.get("name").and_then(Value::as_str).unwrap_or_default();
        let values: Vec<String> = f
            .get("values")
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        out.push(filter(name, values));
    }
    out
}

/// Filters in words, for errors: `tag:Name = prod, vpc-id = vpc-1`.
pub fn describe(filters: &[Filter]) -> String {
    if filters.is_empty() {
        return "no filters".into();
    }
    filters
        .iter()
        .map(|f| {
            format!(
                "{} = {}",
                f.name().unwrap_or_default(),
                f.values().join("|")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Exactly one match, or an error naming what was searched for.
pub fn exactly_one<T>(
    operation: &str,
    what: &str,
    filters: &[Filter],
    mut found: Vec<T>,
) -> Result<T, ProviderError> {
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(ProviderError::new(
            operation,
            "NoMatch",
            format!("no {what} matches {}", describe(filters)),
        )),
        n => Err(ProviderError::new(
            operation,
            "TooManyMatches",
            format!(
                "{n} {what}s match {}; narrow the filters so that exactly one does",
                describe(filters)
            ),
        )),
    }
}
