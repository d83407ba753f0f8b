//! `random_id`: `byte_length` random bytes, shown as base64url (the id),
//! standard base64, hex and decimal, each with `prefix`. Not secret: used
//! for unique names. Every attribute forces a new value.

use std::sync::OnceLock;

use async_trait::async_trait;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attribute, Attrs, Check, Object, OpContext, ProviderError, ReadOutcome, ReadRequest, Resource,
    Schema, Type, Value,
};

use crate::{random_bytes, read_recorded, with};

pub struct RandomId;

fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        Schema::new()
            .describe("Random bytes generated locally (for unique names), as base64url `id`, `b64_std`, `hex` and `dec`; replaced when any argument (or `keepers`) changes.")
            .attr("byte_length", Attribute::number().required().force_new().check(Check::Range(1, 64)))
            .attr("prefix", Attribute::string().force_new())
            .attr("keepers", Attribute::new(Type::map(Type::String)).force_new())
            .attr("id", Attribute::string().computed())
            .attr("b64_url", Attribute::string().computed())
            .attr("b64_std", Attribute::string().computed())
            .attr("hex", Attribute::string().computed())
            .attr("dec", Attribute::string().computed())
    })
}

/// Big-endian bytes as a decimal string (up to 64 bytes: no u128 will do).
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &b in bytes {
        let mut carry = u32::from(b);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[async_trait]
impl Resource for RandomId {
    fn type_name(&self) -> &'static str {
        "random_id"
    }

    fn schema(&self) -> &Schema {
        schema()
    }

    async fn read(
        &self,
        requests: &[ReadRequest<'_>],
        _ctx: &ReadContext,
    ) -> Result<Vec<ReadOutcome>, ProviderError> {
        Ok(read_recorded(requests))
    }

    async fn create(&self, _ctx: &OpContext, planned: &Object) -> Result<Object, ProviderError> {
        let n = planned.i64("byte_length").unwrap_or(8).clamp(1, 64) as usize;
        let bytes = random_bytes(n)?;
        let prefix = planned.str("prefix").unwrap_or_default();
        let url = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&bytes));
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(with(
            planned,
            [
                ("id", Value::from(url.as_str())),
                ("b64_url", Value::from(url.as_str())),
                (
                    "b64_std",
                    Value::from(format!("{prefix}{}", STANDARD.encode(&bytes))),
                ),
                ("hex", Value::from(format!("{prefix}{hex}"))),
                ("dec", Value::from(format!("{prefix}{}", decimal(&bytes)))),
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
        Err(ProviderError::not_updatable(
            "random_id",
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

    #[test]
    fn decimal_of_big_endian_bytes() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
    }
}
