//! JSON, base64, hashes and URL encoding.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use cairn_core::value::format_number;
use cairn_core::Value;
use sha2::Digest as _;

use crate::args::{Args, Fail};
use crate::Context;

pub(crate) fn jsonencode(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    json_string(a.get(0))
        .map(Value::String)
        .map_err(|e| Fail::at(0, e).plain())
}

/// Compact JSON with sorted keys, integral numbers without `.0`, and `<`,
/// `>`, `&` escaped as Terraform (through Go's encoder) does, so the same
/// stack produces byte-identical policy documents and user data under both
/// tools and a migration shows no diff.
pub(crate) fn json_string(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, &mut out)?;
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) -> Result<(), String> {
    match v.unmarked() {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&format_number(*n)),
        Value::Number(_) => return Err("cannot encode an infinite or NaN number as JSON".into()),
        Value::String(s) => json_quote(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_quote(k, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Sensitive(inner) => write_json(inner, out)?,
        Value::Unknown => return Err("cannot encode a value that is not known yet".into()),
    }
    Ok(())
}

/// A JSON string literal with Go's escaping (HTML-safe, U+2028/U+2029
/// escaped for JavaScript embedding).
pub(crate) fn json_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)))
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub(crate) fn jsondecode(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let parsed: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| Fail::at(0, format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&parsed))
}

pub(crate) fn base64encode(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(STANDARD.encode(a.string(0)?)))
}

pub(crate) fn base64decode(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    // Go's decoder (and so Terraform's) skips line breaks, which is how
    // base64 is usually wrapped in files.
    let compact: String = s.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = STANDARD
        .decode(compact)
        .map_err(|_| Fail::at(0, format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        Fail::at(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
        .plain()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha1(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(hex(&sha1::Sha1::digest(a.string(0)?))))
}

pub(crate) fn sha256(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(hex(&sha2::Sha256::digest(a.string(0)?))))
}

pub(crate) fn sha512(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(hex(&sha2::Sha512::digest(a.string(0)?))))
}

pub(crate) fn base64sha256(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(
        STANDARD.encode(sha2::Sha256::digest(a.string(0)?)),
    ))
}

pub(crate) fn base64sha512(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::String(
        STANDARD.encode(sha2::Sha512::digest(a.string(0)?)),
    ))
}

/// Query-string escaping as Go's `url.QueryEscape`: unreserved characters
/// stay, a space becomes `+`, every other byte is `%XX`.
pub(crate) fn urlencode(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use cairn_core::Value;

    #[test]
    fn jsonencode_matches_terraform_bytes() {
        assert_same(
            &ok(
                "jsonencode",
                vec![map(&[("b", n(1.0)), ("a", strs(&["<x>"]))])],
            ),
            &s(r#"{"a":["\u003cx\u003e"],"b":1}"#),
        );
        assert_same(
            &ok(
                "jsonencode",
                vec![list(vec![
                    n(1.5),
                    b(true),
                    Value::Null,
                    s("a&b\n\u{1}\u{2028}"),
                ])],
            ),
            &s(r#"[1.5,true,null,"a\u0026b\n\u0001\u2028"]"#),
        );
        assert_same(
            &ok("jsonencode", vec![n(1e21)]),
            &s("1000000000000000000000"),
        );
        // Marks inside the value do not change the bytes, only mark the result.
        assert_same(
            &ok("jsonencode", vec![map(&[("p", secret(s("x")))])]),
            &secret(s(r#"{"p":"x"}"#)),
        );
        err_at("jsonencode", vec![n(f64::INFINITY)], Some(0), "infinite");
    }

    #[test]
    fn jsondecode_builds_values() {
        assert_same(
            &ok(
                "jsondecode",
                vec![s(r#"{"a": [1, "x", null, true], "b": {"c": 2.5}}"#)],
            ),
            &map(&[
                ("a", list(vec![n(1.0), s("x"), Value::Null, b(true)])),
                ("b", map(&[("c", n(2.5))])),
            ]),
        );
        assert_same(&ok("jsondecode", vec![s("\"hi\"")]), &s("hi"));
        err_at(
            "jsondecode",
            vec![s("{\"a\":")],
            Some(0),
            "invalid JSON: EOF while parsing",
        );
        err_at("jsondecode", vec![s("")], Some(0), "invalid JSON");
        err_at(
            "jsondecode",
            vec![list(vec![])],
            Some(0),
            "a string is required",
        );
    }

    #[test]
    fn base64_round_trips_text_only() {
        assert_same(
            &ok("base64encode", vec![s("Hello World")]),
            &s("SGVsbG8gV29ybGQ="),
        );
        assert_same(
            &ok("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
            &s("Hello World"),
        );
        assert_same(
            &ok("base64decode", vec![s("SGVsbG8g\nV29ybGQ=\r\n")]),
            &s("Hello World"),
        );
        err_at(
            "base64decode",
            vec![s("not base64!")],
            Some(0),
            "failed to decode base64 data \"not base64!\"",
        );
        err_at(
            "base64decode",
            vec![s("/w==")],
            Some(0),
            "the result of decoding the provided string is not valid UTF-8",
        );
        err_at(
            "base64encode",
            vec![map(&[])],
            Some(0),
            "a string is required",
        );
    }

    #[test]
    fn hashes_match_known_digests() {
        assert_same(
            &ok("sha256", vec![s("hello world")]),
            &s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
        );
        assert_same(
            &ok("sha1", vec![s("hello world")]),
            &s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
        );
        assert_same(
            &ok("sha512", vec![s("")]),
            &s("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        );
        assert_same(
            &ok("base64sha256", vec![s("hello world")]),
            &s("uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
        );
        assert_same(
            &ok("base64sha512", vec![s("")]),
            &s("z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="),
        );
        for f in ["sha1", "sha256", "sha512", "base64sha256", "base64sha512"] {
            err_at(f, vec![list(vec![])], Some(0), "a string is required");
        }
    }

    #[test]
    fn urlencode_is_query_escaping() {
        assert_same(
            &ok("urlencode", vec![s("Hello World!")]),
            &s("Hello+World%21"),
        );
        assert_same(
            &ok("urlencode", vec![s("3 + 4 = 7 ~ é/?")]),
            &s("3+%2B+4+%3D+7+~+%C3%A9%2F%3F"),
        );
        err_at("urlencode", vec![Value::Null], Some(0), "must not be null");
    }
}
