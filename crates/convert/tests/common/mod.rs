//! Test helpers: the cairn schemas of the fixtures' types, read from
//! `fixtures/schema.json` (an excerpt of `cairn schema`, so the shapes of
//! nested blocks are the real ones without building the provider crates),
//! and a conversion shown as one text for snapshots.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cairn_convert::{Conversion, Schemas};
use cairn_core::schema::{Attribute, Schema, Type};
use serde_json::Value;

pub struct TestSchemas {
    resources: BTreeMap<String, Schema>,
    data: BTreeMap<String, Schema>,
}

impl Schemas for TestSchemas {
    fn resource(&self, t: &str) -> Option<&Schema> {
        self.resources.get(t)
    }
    fn data(&self, t: &str) -> Option<&Schema> {
        self.data.get(t)
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn ty(v: &Value) -> Type {
    if let Some(alts) = v.get("anyOf").and_then(Value::as_array) {
        // The other alternative is "a ${...} string".
        return alts
            .iter()
            .find(|a| a.get("$ref").is_none())
            .map_or(Type::Any, ty);
    }
    match v.get("type").and_then(Value::as_str) {
        Some("object") if v.get("properties").is_some() => Type::object(schema(v)),
        Some("object") => match v.get("additionalProperties") {
            Some(ap) if ap.is_object() => Type::map(ty(ap)),
            _ => Type::map(Type::Any),
        },
        Some("array") => Type::list(v.get("items").map_or(Type::Any, ty)),
        Some("string") => Type::String,
        Some("number" | "integer") => Type::Number,
        Some("boolean") => Type::Bool,
        _ => Type::Any,
    }
}

fn schema(v: &Value) -> Schema {
    let mut s = Schema::new();
    if let Some(props) = v.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            s = s.attr(leak(k), Attribute::new(ty(p)));
        }
    }
    s
}

pub fn schemas() -> TestSchemas {
    let text = std::fs::read_to_string(fixture("schema.json")).expect("schema.json");
    let v: Value = serde_json::from_str(&text).expect("schema.json is JSON");
    let table = |kind: &str| {
        v[kind]
            .as_object()
            .map(|m| m.iter().map(|(k, t)| (k.clone(), schema(t))).collect())
            .unwrap_or_default()
    };
    TestSchemas {
        resources: table("resource"),
        data: table("data"),
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn convert(name: &str) -> Conversion {
    cairn_convert::convert(&fixture(name), &schemas()).expect("conversion runs")
}

/// Every file, then the problems and notes: one text to snapshot.
pub fn show(c: &Conversion) -> String {
    let mut out = String::new();
    for (path, text) in &c.files {
        out.push_str(&format!("=== {} ===\n{text}\n", path.display()));
    }
    if !c.problems.is_empty() {
        out.push_str("--- problems ---\n");
        for p in &c.problems {
            out.push_str(&format!("{p}\n"));
        }
    }
    out.push_str("--- notes ---\n");
    for n in &c.notes {
        out.push_str(&format!("{n}\n"));
    }
    out
}
