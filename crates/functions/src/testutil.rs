//! Shorthands for the unit tests of every function group.

use std::path::Path;

use cairn_core::Value;

use crate::{call, lookup, Context, DiskFiles, FunctionError};

pub(crate) fn run(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
    run_in(name, args, Path::new("."), &DiskFiles)
}

pub(crate) fn run_in(
    name: &str,
    args: Vec<Value>,
    base_dir: &Path,
    files: &dyn crate::FileSource,
) -> Result<Value, FunctionError> {
    let f = lookup(name).unwrap_or_else(|| panic!("no function named {name}"));
    call(f, args, &Context { base_dir, files })
}

#[track_caller]
pub(crate) fn ok(name: &str, args: Vec<Value>) -> Value {
    match run(name, args) {
        Ok(v) => v,
        Err(e) => panic!("{name} failed: {e:?}"),
    }
}

#[track_caller]
pub(crate) fn err(name: &str, args: Vec<Value>) -> FunctionError {
    match run(name, args) {
        Ok(v) => panic!("{name} succeeded with {v:?}"),
        Err(e) => e,
    }
}

/// Asserts an error's argument index and a fragment of its message.
#[track_caller]
pub(crate) fn err_at(name: &str, args: Vec<Value>, arg: Option<usize>, fragment: &str) {
    let e = err(name, args);
    assert_eq!(e.arg, arg, "{name}: {}", e.message);
    assert!(
        e.message.contains(fragment),
        "{name}: {:?} does not contain {fragment:?}",
        e.message
    );
}

pub(crate) fn s(x: &str) -> Value {
    Value::string(x)
}

pub(crate) fn n(x: f64) -> Value {
    Value::Number(x)
}

pub(crate) fn b(x: bool) -> Value {
    Value::Bool(x)
}

pub(crate) fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub(crate) fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}

pub(crate) fn nums(items: &[f64]) -> Value {
    Value::List(items.iter().map(|x| n(*x)).collect())
}

pub(crate) fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub(crate) fn secret(v: Value) -> Value {
    Value::sensitive(v)
}

/// Exact equality, marks and unknowns included (`Value::same_as` ignores
/// marks and never equates unknowns, which is right for diffs but useless
/// for testing the mark rules).
pub(crate) fn identical(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Sensitive(x), Value::Sensitive(y)) => identical(x, y),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| identical(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kp, p), (kq, q))| kp == kq && identical(p, q))
        }
        _ => false,
    }
}

#[track_caller]
pub(crate) fn assert_same(got: &Value, want: &Value) {
    assert!(identical(got, want), "got {got:?}, want {want:?}");
}
