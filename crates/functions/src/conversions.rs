//! Explicit conversions: tostring, tonumber, tobool (primitives) and
//! tolist, toset, tomap (structural: they keep element marks and unknowns).

use std::collections::BTreeSet;

use cairn_core::value::format_number;
use cairn_core::Value;

use crate::args::{parse_number, Args, Fail};
use crate::collections::dedupe;
use crate::Context;

/// How a collection's elements must change to share one type, the way
/// Terraform unifies `["a", 1]` into a list of strings.
pub(crate) enum Unified {
    Unchanged,
    ToStrings,
}

/// Decides how elements unify; an error names the kinds that cannot.
/// Nulls and unknowns fit any type.
pub(crate) fn unify<'a>(items: impl Iterator<Item = &'a Value>) -> Result<Unified, String> {
    let kinds: BTreeSet<&'static str> = items
        .filter(|v| !v.is_null() && !v.is_unknown())
        .map(Value::kind)
        .collect();
    if kinds.len() <= 1 {
        return Ok(Unified::Unchanged);
    }
    let primitive = kinds
        .iter()
        .all(|k| matches!(*k, "string" | "number" | "bool"));
    if primitive && kinds.contains("string") {
        return Ok(Unified::ToStrings);
    }
    Err(kinds.into_iter().collect::<Vec<_>>().join(" and "))
}

/// A number or bool as a string, keeping its mark.
pub(crate) fn stringify(v: Value) -> Value {
    match v {
        Value::Sensitive(inner) => Value::sensitive(stringify(*inner)),
        Value::Number(n) => Value::String(format_number(n)),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other,
    }
}

fn apply(u: &Unified, v: Value) -> Value {
    match u {
        Unified::Unchanged => v,
        Unified::ToStrings => stringify(v),
    }
}

pub(crate) fn tostring(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(Value::String(a.string(0)?)),
        other => Err(Fail::at(0, format!("cannot convert {} to string", other.kind())).plain()),
    }
}

pub(crate) fn tonumber(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(*n)),
        Value::String(s) => parse_number(s).map(Value::Number).ok_or_else(|| {
            Fail::at(
                0,
                format!(
                    "cannot convert {s:?} to number; given string must be a decimal representation of a number"
                ),
            )
        }),
        other => Err(Fail::at(0, format!("cannot convert {} to number", other.kind())).plain()),
    }
}

pub(crate) fn tobool(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    match a.get(0) {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        Value::String(s) => Err(Fail::at(
            0,
            format!(
                "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
            ),
        )),
        other => Err(Fail::at(0, format!("cannot convert {} to bool", other.kind())).plain()),
    }
}

fn unify_elements(items: &[Value], target: &str) -> Result<Unified, Fail> {
    unify(items.iter()).map_err(|kinds| {
        Fail::at(
            0,
            format!(
                "cannot convert to {target}: all elements must have the same type, got {kinds}"
            ),
        )
        .plain()
    })
}

pub(crate) fn tolist(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let u = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => return Ok(Value::Null),
        Value::List(items) => unify_elements(items, "a list")?,
        other => {
            return Err(Fail::at(0, format!("cannot convert {} to a list", other.kind())).plain())
        }
    };
    let Value::List(items) = a.take(0) else {
        return Ok(Value::Unknown);
    };
    Ok(Value::List(
        items.into_iter().map(|v| apply(&u, v)).collect(),
    ))
}

/// Distinct elements, sorted when they are all strings (lexically), all
/// numbers or all bools; otherwise in first-seen order. Unknown elements
/// could be duplicates, and marked ones decide the set's size, so either
/// affects the whole result.
pub(crate) fn toset(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => return Ok(Value::Null),
        Value::List(items) => items,
        other => {
            return Err(Fail::at(0, format!("cannot convert {} to a set", other.kind())).plain())
        }
    };
    if !items.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    let u = unify_elements(items, "a set")?;
    let marked = items.iter().any(Value::contains_sensitive);
    let converted: Vec<Value> = items.iter().cloned().map(|v| apply(&u, v)).collect();
    let mut out = dedupe(&converted);
    if out.iter().all(|v| v.as_str().is_some()) {
        out.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
    } else if out.iter().all(|v| v.as_f64().is_some()) {
        out.sort_by(|x, y| {
            x.as_f64()
                .unwrap_or_default()
                .total_cmp(&y.as_f64().unwrap_or_default())
        });
    } else if out.iter().all(|v| v.as_bool().is_some()) {
        out.sort_by_key(|v| v.as_bool());
    }
    let set = Value::List(out);
    Ok(if marked { Value::sensitive(set) } else { set })
}

pub(crate) fn tomap(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let u = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Null => return Ok(Value::Null),
        Value::Map(m) => unify(m.values()).map_err(|kinds| {
            Fail::at(
                0,
                format!("cannot convert to a map: all values must have the same type, got {kinds}"),
            )
            .plain()
        })?,
        other => {
            return Err(Fail::at(0, format!("cannot convert {} to a map", other.kind())).plain())
        }
    };
    let Value::Map(m) = a.take(0) else {
        return Ok(Value::Unknown);
    };
    Ok(Value::Map(
        m.into_iter().map(|(k, v)| (k, apply(&u, v))).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use cairn_core::Value;

    const U: Value = Value::Unknown;

    #[test]
    fn tostring_like_terraform() {
        assert_same(&ok("tostring", vec![n(5.0)]), &s("5"));
        assert_same(&ok("tostring", vec![n(1.5)]), &s("1.5"));
        assert_same(&ok("tostring", vec![n(-0.25)]), &s("-0.25"));
        assert_same(&ok("tostring", vec![b(true)]), &s("true"));
        assert_same(&ok("tostring", vec![s("x")]), &s("x"));
        assert_same(&ok("tostring", vec![Value::Null]), &Value::Null);
        err_at(
            "tostring",
            vec![strs(&["a"])],
            Some(0),
            "cannot convert list to string",
        );
        err_at(
            "tostring",
            vec![map(&[])],
            Some(0),
            "cannot convert map to string",
        );
    }

    #[test]
    fn tonumber_parses_decimal_strings() {
        assert_same(&ok("tonumber", vec![s("42")]), &n(42.0));
        assert_same(&ok("tonumber", vec![s("-1.5e2")]), &n(-150.0));
        assert_same(&ok("tonumber", vec![n(3.0)]), &n(3.0));
        assert_same(&ok("tonumber", vec![Value::Null]), &Value::Null);
        err_at(
            "tonumber",
            vec![s("no")],
            Some(0),
            "cannot convert \"no\" to number; given string must be a decimal representation of a number",
        );
        err_at(
            "tonumber",
            vec![b(true)],
            Some(0),
            "cannot convert bool to number",
        );
    }

    #[test]
    fn tobool_accepts_only_true_and_false() {
        assert_same(&ok("tobool", vec![s("true")]), &b(true));
        assert_same(&ok("tobool", vec![s("false")]), &b(false));
        assert_same(&ok("tobool", vec![b(false)]), &b(false));
        assert_same(&ok("tobool", vec![Value::Null]), &Value::Null);
        err_at(
            "tobool",
            vec![s("yes")],
            Some(0),
            "cannot convert \"yes\" to bool",
        );
        err_at(
            "tobool",
            vec![n(1.0)],
            Some(0),
            "cannot convert number to bool",
        );
    }

    #[test]
    fn tolist_unifies_primitives_and_keeps_marks() {
        assert_same(
            &ok(
                "tolist",
                vec![list(vec![s("a"), n(1.0), secret(b(true)), U])],
            ),
            &list(vec![s("a"), s("1"), secret(s("true")), U]),
        );
        assert_same(&ok("tolist", vec![nums(&[1.0, 2.0])]), &nums(&[1.0, 2.0]));
        assert_same(&ok("tolist", vec![U]), &U);
        assert_same(&ok("tolist", vec![Value::Null]), &Value::Null);
        err_at(
            "tolist",
            vec![map(&[])],
            Some(0),
            "cannot convert map to a list",
        );
        err_at(
            "tolist",
            vec![list(vec![s("a"), strs(&["b"])])],
            Some(0),
            "all elements must have the same type, got list and string",
        );
    }

    #[test]
    fn toset_dedupes_and_sorts() {
        assert_same(
            &ok("toset", vec![strs(&["c", "a", "b", "a"])]),
            &strs(&["a", "b", "c"]),
        );
        assert_same(
            &ok("toset", vec![nums(&[10.0, 2.0, 10.0])]),
            &nums(&[2.0, 10.0]),
        );
        assert_same(
            &ok("toset", vec![list(vec![s("b"), n(1.0), s("1")])]),
            &strs(&["1", "b"]),
        );
        assert_same(&ok("toset", vec![list(vec![s("a"), U])]), &U);
        assert_same(
            &ok("toset", vec![list(vec![secret(s("b")), s("a")])]),
            &secret(list(vec![s("a"), secret(s("b"))])),
        );
        err_at(
            "toset",
            vec![s("a")],
            Some(0),
            "cannot convert string to a set",
        );
        err_at(
            "toset",
            vec![list(vec![n(1.0), b(true)])],
            Some(0),
            "same type, got bool and number",
        );
    }

    #[test]
    fn tomap_unifies_values() {
        assert_same(
            &ok(
                "tomap",
                vec![map(&[("a", n(1.0)), ("b", s("x")), ("c", U)])],
            ),
            &map(&[("a", s("1")), ("b", s("x")), ("c", U)]),
        );
        assert_same(&ok("tomap", vec![U]), &U);
        err_at(
            "tomap",
            vec![strs(&["a"])],
            Some(0),
            "cannot convert list to a map",
        );
        err_at(
            "tomap",
            vec![map(&[("a", strs(&[])), ("b", map(&[]))])],
            Some(0),
            "all values must have the same type, got list and map",
        );
    }
}
