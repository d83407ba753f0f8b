//! List and map functions. Most are structural (see the crate docs): they
//! receive partially unknown arguments with element marks intact, and must
//! return `Unknown` exactly where the part they need is unknown.

use cairn_core::{Object, Value};

use crate::args::{to_boolean, to_text, Args, Fail};
use crate::conversions::{unify, Unified};
use crate::Context;

/// The result with a whole-value mark when `marked`.
fn marked_if(v: Value, marked: bool) -> Value {
    if marked {
        Value::sensitive(v)
    } else {
        v
    }
}

/// Equality that knows what it does not know: `None` when an unknown part
/// could decide it either way. `[Unknown, 1]` and `[2, 2]` are certainly
/// different; `[Unknown]` and `[2]` might not be.
pub(crate) fn equal(a: &Value, b: &Value) -> Option<bool> {
    match (a.unmarked(), b.unmarked()) {
        (Value::Unknown, _) | (_, Value::Unknown) => None,
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            all_equal(x.iter().zip(y))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Some(false);
            }
            all_equal(x.values().zip(y.values()))
        }
        (p, q) => Some(p.same_as(q)),
    }
}

fn all_equal<'a>(pairs: impl Iterator<Item = (&'a Value, &'a Value)>) -> Option<bool> {
    let mut undecided = false;
    for (p, q) in pairs {
        match equal(p, q) {
            Some(false) => return Some(false),
            None => undecided = true,
            Some(true) => {}
        }
    }
    (!undecided).then_some(true)
}

/// The list argument at `i`, `Ok(None)` when it is unknown (the caller then
/// returns unknown), or an error naming what it got.
fn list_arg<'a>(a: &'a Args, i: usize, what: &str) -> Result<Option<&'a [Value]>, Fail> {
    match a.get(i) {
        Value::Unknown => Ok(None),
        Value::List(items) => Ok(Some(items)),
        Value::Null => Err(Fail::at(i, format!("{what} must not be null")).plain()),
        other => Err(Fail::at(i, format!("{what} must be a list, got {}", other.kind())).plain()),
    }
}

fn map_arg<'a>(a: &'a Args, i: usize, what: &str) -> Result<Option<&'a Object>, Fail> {
    match a.get(i) {
        Value::Unknown => Ok(None),
        Value::Map(m) => Ok(Some(m)),
        Value::Null => Err(Fail::at(i, format!("{what} must not be null")).plain()),
        other => Err(Fail::at(i, format!("{what} must be a map, got {}", other.kind())).plain()),
    }
}

pub(crate) fn length(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let n = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::String(s) => s.chars().count(),
        Value::List(items) => items.len(),
        Value::Map(m) => m.len(),
        Value::Null => return Err(Fail::at(0, "argument must not be null").plain()),
        other => {
            return Err(Fail::at(
                0,
                format!(
                    "argument must be a string, a list or a map, got {}",
                    other.kind()
                ),
            )
            .plain())
        }
    };
    Ok(Value::Number(n as f64))
}

pub(crate) fn keys(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(m) = map_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    Ok(Value::List(m.keys().map(Value::string).collect()))
}

pub(crate) fn values(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(m) = map_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    Ok(Value::List(m.values().cloned().collect()))
}

/// At most this many keys are listed when a lookup misses.
const KEYS_SHOWN: usize = 20;

pub(crate) fn lookup(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let m = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::Map(m) => m,
        Value::Null => return Err(Fail::at(0, "the map must not be null").plain()),
        other => {
            return Err(Fail::at(
                0,
                format!(
                    "lookup() requires a map as the first argument, got {}",
                    other.kind()
                ),
            )
            .plain())
        }
    };
    if a.get(1).is_unknown() {
        return Ok(Value::Unknown);
    }
    let key = a.string(1)?;
    if let Some(v) = m.get(&key) {
        return Ok(v.clone());
    }
    if a.len() > 2 {
        return Ok(a.take(2));
    }
    let message = if m.is_empty() {
        format!("the given key {key:?} does not exist in the map, which is empty")
    } else {
        let mut listed: Vec<String> = m
            .keys()
            .take(KEYS_SHOWN)
            .map(|k| format!("{k:?}"))
            .collect();
        if m.len() > KEYS_SHOWN {
            listed.push(format!("and {} more", m.len() - KEYS_SHOWN));
        }
        format!(
            "the given key {key:?} does not exist in the map; its keys are {}",
            listed.join(", ")
        )
    };
    Err(Fail::at(1, message))
}

/// Later maps win; null arguments are skipped so optional maps can be
/// merged without a conditional.
pub(crate) fn merge(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let mut out = Object::new();
    for i in 0..a.len() {
        match a.get(i) {
            Value::Null => {}
            Value::Unknown => return Ok(Value::Unknown),
            Value::Map(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
            other => {
                return Err(
                    Fail::at(i, format!("arguments must be maps, got {}", other.kind())).plain(),
                )
            }
        }
    }
    Ok(Value::Map(out))
}

pub(crate) fn concat(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let mut out = Vec::new();
    let mut unknown = false;
    for i in 0..a.len() {
        match list_arg(a, i, "every argument")? {
            Some(items) => out.extend(items.iter().cloned()),
            None => unknown = true,
        }
    }
    Ok(if unknown {
        Value::Unknown
    } else {
        Value::List(out)
    })
}

/// True if a known element equals the value; unknown if no known element
/// does but an unknown one might.
pub(crate) fn contains(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the list")? else {
        return Ok(Value::Unknown);
    };
    let needle = a.get(1);
    // The answer depends on the compared values, secrets included.
    let marked = items.iter().any(Value::contains_sensitive) || needle.contains_sensitive();
    let mut undecided = false;
    for item in items {
        match equal(item, needle) {
            Some(true) => return Ok(marked_if(Value::Bool(true), marked)),
            None => undecided = true,
            Some(false) => {}
        }
    }
    let result = if undecided {
        Value::Unknown
    } else {
        Value::Bool(false)
    };
    Ok(marked_if(result, marked))
}

/// Keeps the first of each run of equal elements. The length of the result
/// depends on every element's value, so any unknown element makes it
/// unknown and any marked element marks it.
pub(crate) fn distinct(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    if !items.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    Ok(marked_if(
        Value::List(dedupe(items)),
        items.iter().any(Value::contains_sensitive),
    ))
}

pub(crate) fn dedupe(items: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.iter().any(|kept| equal(kept, item) == Some(true)) {
            out.push(item.clone());
        }
    }
    out
}

/// Flattens nested lists at any depth. Unknown elements could be lists, so
/// they make the whole result unknown; descending into a marked list marks
/// the whole result, since its length shows in the result's length.
pub(crate) fn flatten(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    let mut out = Vec::new();
    let mut marked = false;
    let known = flatten_into(items, &mut out, &mut marked);
    let result = if known {
        Value::List(out)
    } else {
        Value::Unknown
    };
    Ok(marked_if(result, marked))
}

fn flatten_into(items: &[Value], out: &mut Vec<Value>, marked: &mut bool) -> bool {
    for item in items {
        match item.unmarked() {
            Value::Unknown => {
                *marked |= item.is_sensitive();
                return false;
            }
            Value::List(inner) => {
                *marked |= item.is_sensitive();
                if !flatten_into(inner, out, marked) {
                    return false;
                }
            }
            _ => out.push(item.clone()),
        }
    }
    true
}

pub(crate) fn zipmap(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let keys = list_arg(a, 0, "keys")?;
    let values = list_arg(a, 1, "values")?;
    let (Some(keys), Some(values)) = (keys, values) else {
        return Ok(Value::Unknown);
    };
    if keys.len() != values.len() {
        return Err(Fail::whole(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        ))
        .plain());
    }
    let mut out = Object::new();
    let mut unknown = false;
    // A map cannot mark a key on its own, so a marked key marks the map.
    let mut marked = false;
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        marked |= k.is_sensitive();
        if k.is_unknown() {
            unknown = true;
            continue;
        }
        if k.is_null() {
            return Err(Fail::at(
                0,
                format!("element {i} of keys is null; keys must not be null"),
            )
            .plain());
        }
        let key = to_text(k).map_err(|e| Fail {
            arg: Some(0),
            message: format!("invalid value for \"keys\": element {i}: {}", e.message),
            quotes: e.quotes,
        })?;
        out.insert(key, v.clone());
    }
    let result = if unknown {
        Value::Unknown
    } else {
        Value::Map(out)
    };
    Ok(marked_if(result, marked))
}

/// `element(list, index)`: the index wraps around, as in Terraform.
pub(crate) fn element(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = match a.get(0) {
        Value::Unknown => return Ok(Value::Unknown),
        Value::List(items) => items,
        Value::Null => return Err(Fail::at(0, "the list must not be null").plain()),
        other => {
            return Err(Fail::at(0, format!("cannot read elements from {}", other.kind())).plain())
        }
    };
    if a.get(1).is_unknown() {
        return Ok(Value::Unknown);
    }
    let index = a.integer(1)?;
    if index < 0 {
        return Err(Fail::at(1, "cannot use element function with a negative index").plain());
    }
    if items.is_empty() {
        return Err(Fail::at(0, "cannot use element function with an empty list").plain());
    }
    let at = usize::try_from(index).unwrap_or(0) % items.len();
    Ok(items.get(at).cloned().unwrap_or_default())
}

/// The index of the first element equal to the value.
pub(crate) fn index(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = a.list(0)?;
    if items.is_empty() {
        return Err(Fail::at(0, "cannot search an empty list").plain());
    }
    let needle = a.get(1);
    match items.iter().position(|item| item.same_as(needle)) {
        Some(i) => Ok(Value::Number(i as f64)),
        None => Err(Fail::at(1, "the given value is not in the list").plain()),
    }
}

pub(crate) fn slice(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = list_arg(a, 0, "the argument")?;
    if a.get(1).is_unknown() || a.get(2).is_unknown() {
        return Ok(Value::Unknown);
    }
    let start = a.integer(1)?;
    let end = a.integer(2)?;
    if start < 0 {
        return Err(Fail::at(1, "start index must not be less than zero").plain());
    }
    if end < 0 {
        return Err(Fail::at(2, "end index must not be less than zero").plain());
    }
    let Some(items) = items else {
        return Ok(Value::Unknown);
    };
    let len = items.len() as i64;
    if start > len {
        return Err(Fail::at(
            1,
            "start index must not be greater than the length of the list",
        )
        .plain());
    }
    if end > len {
        return Err(Fail::at(
            2,
            "end index must not be greater than the length of the list",
        )
        .plain());
    }
    if start > end {
        return Err(Fail::at(1, "start index must not be greater than end index").plain());
    }
    let range = usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0);
    Ok(Value::List(items.get(range).unwrap_or_default().to_vec()))
}

pub(crate) fn reverse(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    Ok(Value::List(items.iter().rev().cloned().collect()))
}

/// `one(list)`: null for an empty list, the element for a single one.
pub(crate) fn one(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    match items {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        more => Err(Fail::at(
            0,
            format!(
                "must be a list with either zero or one elements, got {} elements",
                more.len()
            ),
        )
        .plain()),
    }
}

/// Strings in lexical (byte) order; numbers and bools sort by their string
/// form, as in Terraform, where sort takes a list of strings.
pub(crate) fn sort(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = a.list(0)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if item.is_null() {
            return Err(Fail::at(
                0,
                format!("given list element {i} is null; a null string cannot be sorted"),
            )
            .plain());
        }
        let s = to_text(item).map_err(|e| Fail {
            arg: Some(0),
            message: format!("invalid value for \"list\": element {i}: {}", e.message),
            quotes: e.quotes,
        })?;
        out.push(s);
    }
    out.sort();
    Ok(Value::List(out.into_iter().map(Value::String).collect()))
}

/// Terraform's cap, which also bounds the memory a typo can take.
const MAX_RANGE: usize = 1024;

/// `range(limit)`, `range(start, limit)`, `range(start, limit, step)`;
/// without a step, it counts down when the limit is below the start.
pub(crate) fn range(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let (start, limit) = match a.len() {
        1 => (0.0, a.number(0)?),
        _ => (a.number(0)?, a.number(1)?),
    };
    let step = if a.len() > 2 {
        a.number(2)?
    } else if limit < start {
        -1.0
    } else {
        1.0
    };
    if !(start.is_finite() && limit.is_finite() && step.is_finite()) {
        return Err(Fail::whole("range arguments must be finite numbers").plain());
    }
    if step == 0.0 {
        return Err(Fail::at(2, "step must not be zero").plain());
    }
    let mut out = Vec::new();
    for i in 0.. {
        let v = start + f64::from(i) * step;
        if (step > 0.0 && v >= limit) || (step < 0.0 && v <= limit) {
            break;
        }
        if out.len() >= MAX_RANGE {
            return Err(Fail::whole(format!(
                "more than {MAX_RANGE} values were generated; either decrease the difference between start and end or use a smaller step"
            ))
            .plain());
        }
        out.push(Value::Number(tidy(v)));
    }
    Ok(Value::List(out))
}

/// `start + i * step` in binary floating point turns `range(0, 1, 0.1)`
/// into 0.30000000000000004 and friends; rounding to 15 significant digits
/// gives back the decimal the user wrote, as Terraform's exact arithmetic
/// does.
fn tidy(v: f64) -> f64 {
    if v.fract() == 0.0 {
        return v;
    }
    format!("{v:.14e}").parse().unwrap_or(v)
}

pub(crate) fn alltrue(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    for (i, item) in a.list(0)?.iter().enumerate() {
        // Terraform treats a null element as false.
        if item.is_null() || !element_bool(a, i, item)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

pub(crate) fn anytrue(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    for (i, item) in a.list(0)?.iter().enumerate() {
        if !item.is_null() && element_bool(a, i, item)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn element_bool(a: &Args, i: usize, item: &Value) -> Result<bool, Fail> {
    to_boolean(item).map_err(|e| Fail {
        arg: Some(0),
        message: format!(
            "invalid value for \"{}\": element {i}: {}",
            a.param(0),
            e.message
        ),
        quotes: e.quotes,
    })
}

/// The first argument that is neither null nor an empty string. As in
/// Terraform, mixed primitive arguments unify to strings when any is one.
pub(crate) fn coalesce(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let unified = unify(a.tail(0).iter()).map_err(|kinds| {
        Fail::whole(format!(
            "all arguments must have the same type, got {kinds}"
        ))
        .plain()
    })?;
    for i in 0..a.len() {
        match a.get(i) {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            _ => {
                let chosen = a.take(i);
                return Ok(match unified {
                    Unified::ToStrings => crate::conversions::stringify(chosen),
                    Unified::Unchanged => chosen,
                });
            }
        }
    }
    Err(Fail::whole("no non-null, non-empty-string arguments").plain())
}

/// The first list argument that is not empty.
pub(crate) fn coalescelist(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    for i in 0..a.len() {
        if let v @ (Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Map(_)) = a.get(i)
        {
            return Err(Fail::at(
                i,
                format!("coalescelist arguments must be lists, got {}", v.kind()),
            )
            .plain());
        }
    }
    for i in 0..a.len() {
        match a.get(i) {
            Value::Unknown => return Ok(Value::Unknown),
            Value::List(items) if !items.is_empty() => return Ok(a.take(i)),
            _ => {}
        }
    }
    Err(Fail::whole("all arguments are null or empty lists").plain())
}

/// Drops null and empty-string elements. Which elements go depends on their
/// values, so an unknown element makes the result unknown and a marked one
/// marks it.
pub(crate) fn compact(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let Some(items) = list_arg(a, 0, "the argument")? else {
        return Ok(Value::Unknown);
    };
    if !items.iter().all(Value::is_wholly_known) {
        return Ok(Value::Unknown);
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.unmarked() {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                out.push(crate::conversions::stringify(item.clone()))
            }
            other => {
                return Err(Fail::at(
                    0,
                    format!("element {i}: a string is required, got {}", other.kind()),
                )
                .plain())
            }
        }
    }
    Ok(marked_if(
        Value::List(out),
        items.iter().any(Value::contains_sensitive),
    ))
}

#[cfg(test)]
mod tests {
    use super::equal;
    use crate::testutil::*;
    use cairn_core::Value;

    const U: Value = Value::Unknown;

    #[test]
    fn three_valued_equality() {
        assert_eq!(
            equal(&list(vec![U, n(1.0)]), &nums(&[2.0, 2.0])),
            Some(false)
        );
        assert_eq!(equal(&list(vec![U]), &nums(&[2.0])), None);
        assert_eq!(
            equal(&map(&[("a", n(1.0))]), &map(&[("b", n(1.0))])),
            Some(false)
        );
        assert_eq!(equal(&secret(s("x")), &s("x")), Some(true));
        assert_eq!(equal(&n(1.0), &s("1")), Some(false));
    }

    #[test]
    fn length_of_strings_lists_and_maps() {
        assert_same(&ok("length", vec![s("héllo")]), &n(5.0));
        assert_same(&ok("length", vec![strs(&["a", "b"])]), &n(2.0));
        assert_same(&ok("length", vec![map(&[("a", U)])]), &n(1.0));
        assert_same(&ok("length", vec![list(vec![U, U])]), &n(2.0));
        err_at(
            "length",
            vec![n(5.0)],
            Some(0),
            "must be a string, a list or a map, got number",
        );
        err_at("length", vec![Value::Null], Some(0), "must not be null");
    }

    #[test]
    fn keys_and_values_in_key_order() {
        let m = map(&[("b", n(2.0)), ("a", secret(n(1.0))), ("c", U)]);
        assert_same(&ok("keys", vec![m.clone()]), &strs(&["a", "b", "c"]));
        assert_same(
            &ok("values", vec![m]),
            &list(vec![secret(n(1.0)), n(2.0), U]),
        );
        assert_same(&ok("values", vec![U]), &U);
        err_at(
            "keys",
            vec![strs(&["a"])],
            Some(0),
            "must be a map, got list",
        );
        err_at("values", vec![s("a")], Some(0), "must be a map, got string");
    }

    #[test]
    fn lookup_with_and_without_default() {
        let m = map(&[("a", s("x")), ("u", U), ("p", secret(s("pw")))]);
        assert_same(&ok("lookup", vec![m.clone(), s("a")]), &s("x"));
        assert_same(&ok("lookup", vec![m.clone(), s("u"), s("d")]), &U);
        assert_same(&ok("lookup", vec![m.clone(), s("p")]), &secret(s("pw")));
        assert_same(&ok("lookup", vec![m.clone(), s("zz"), s("d")]), &s("d"));
        assert_same(&ok("lookup", vec![m.clone(), U]), &U);
        assert_same(&ok("lookup", vec![U, s("a")]), &U);
        // A marked key marks the result.
        assert_same(
            &ok("lookup", vec![m.clone(), secret(s("a"))]),
            &secret(s("x")),
        );
        err_at(
            "lookup",
            vec![m, s("zz")],
            Some(1),
            "the given key \"zz\" does not exist in the map; its keys are \"a\", \"p\", \"u\"",
        );
        err_at("lookup", vec![map(&[]), s("k")], Some(1), "which is empty");
        err_at(
            "lookup",
            vec![strs(&["a"]), s("k")],
            Some(0),
            "requires a map",
        );
        // The keys of a marked map are not listed.
        let e = err("lookup", vec![secret(map(&[("zebra", n(1.0))])), s("k")]);
        assert!(!e.message.contains("zebra"), "{}", e.message);
    }

    #[test]
    fn merge_later_wins_and_skips_null() {
        assert_same(
            &ok(
                "merge",
                vec![
                    map(&[("a", n(1.0)), ("b", n(2.0))]),
                    Value::Null,
                    map(&[("b", n(3.0)), ("c", U)]),
                ],
            ),
            &map(&[("a", n(1.0)), ("b", n(3.0)), ("c", U)]),
        );
        assert_same(&ok("merge", vec![]), &map(&[]));
        assert_same(&ok("merge", vec![map(&[("a", n(1.0))]), U]), &U);
        assert_same(
            &ok(
                "merge",
                vec![secret(map(&[("a", n(1.0))])), map(&[("b", n(2.0))])],
            ),
            &secret(map(&[("a", n(1.0)), ("b", n(2.0))])),
        );
        err_at(
            "merge",
            vec![map(&[]), strs(&["a"])],
            Some(1),
            "arguments must be maps, got list",
        );
    }

    #[test]
    fn concat_keeps_elements_and_their_marks() {
        assert_same(
            &ok("concat", vec![strs(&["a"]), list(vec![secret(s("b")), U])]),
            &list(vec![s("a"), secret(s("b")), U]),
        );
        assert_same(&ok("concat", vec![strs(&["a"]), U]), &U);
        err_at(
            "concat",
            vec![strs(&["a"]), map(&[])],
            Some(1),
            "must be a list, got map",
        );
        err_at("concat", vec![Value::Null], Some(0), "must not be null");
    }

    #[test]
    fn contains_with_unknowns_and_marks() {
        assert_same(&ok("contains", vec![strs(&["a", "b"]), s("b")]), &b(true));
        assert_same(&ok("contains", vec![strs(&["a", "b"]), s("c")]), &b(false));
        assert_same(
            &ok("contains", vec![list(vec![U, s("b")]), s("b")]),
            &b(true),
        );
        assert_same(&ok("contains", vec![list(vec![U, s("b")]), s("c")]), &U);
        // A partially unknown element that certainly differs does not block.
        assert_same(
            &ok(
                "contains",
                vec![list(vec![list(vec![U, n(1.0)])]), nums(&[2.0, 2.0])],
            ),
            &b(false),
        );
        assert_same(&ok("contains", vec![U, s("b")]), &U);
        assert_same(&ok("contains", vec![strs(&["a"]), U]), &U);
        assert_same(
            &ok("contains", vec![list(vec![secret(s("a"))]), s("a")]),
            &secret(b(true)),
        );
        assert_same(&ok("contains", vec![list(vec![]), s("a")]), &b(false));
        err_at(
            "contains",
            vec![s("abc"), s("a")],
            Some(0),
            "must be a list, got string",
        );
    }

    #[test]
    fn distinct_keeps_first_occurrences() {
        assert_same(
            &ok("distinct", vec![strs(&["a", "b", "a", "c", "b"])]),
            &strs(&["a", "b", "c"]),
        );
        assert_same(&ok("distinct", vec![list(vec![s("a"), U])]), &U);
        assert_same(
            &ok("distinct", vec![list(vec![secret(s("a")), s("a")])]),
            &secret(list(vec![secret(s("a"))])),
        );
        err_at("distinct", vec![map(&[])], Some(0), "must be a list");
    }

    #[test]
    fn flatten_recurses_and_marks_when_entering_marked_lists() {
        assert_same(
            &ok(
                "flatten",
                vec![list(vec![
                    strs(&["a", "b"]),
                    list(vec![]),
                    list(vec![list(vec![s("c")])]),
                    s("d"),
                ])],
            ),
            &strs(&["a", "b", "c", "d"]),
        );
        // Maps are elements, not flattened.
        assert_same(
            &ok(
                "flatten",
                vec![list(vec![list(vec![map(&[("k", n(1.0))])])])],
            ),
            &list(vec![map(&[("k", n(1.0))])]),
        );
        assert_same(&ok("flatten", vec![list(vec![s("a"), U])]), &U);
        assert_same(
            &ok("flatten", vec![list(vec![secret(s("x")), strs(&["y"])])]),
            &list(vec![secret(s("x")), s("y")]),
        );
        assert_same(
            &ok(
                "flatten",
                vec![list(vec![secret(strs(&["x"])), strs(&["y"])])],
            ),
            &secret(strs(&["x", "y"])),
        );
        err_at(
            "flatten",
            vec![s("a")],
            Some(0),
            "must be a list, got string",
        );
    }

    #[test]
    fn zipmap_pairs_keys_with_values() {
        assert_same(
            &ok(
                "zipmap",
                vec![strs(&["a", "b"]), list(vec![n(1.0), secret(U)])],
            ),
            &map(&[("a", n(1.0)), ("b", secret(U))]),
        );
        assert_same(&ok("zipmap", vec![strs(&["a"]), U]), &U);
        assert_same(&ok("zipmap", vec![list(vec![U]), nums(&[1.0])]), &U);
        assert_same(
            &ok("zipmap", vec![list(vec![secret(s("a"))]), nums(&[1.0])]),
            &secret(map(&[("a", n(1.0))])),
        );
        assert_same(
            &ok("zipmap", vec![nums(&[1.0]), nums(&[2.0])]),
            &map(&[("1", n(2.0))]),
        );
        err_at(
            "zipmap",
            vec![strs(&["a", "b"]), nums(&[1.0])],
            None,
            "number of keys (2) does not match number of values (1)",
        );
        err_at(
            "zipmap",
            vec![list(vec![Value::Null]), nums(&[1.0])],
            Some(0),
            "element 0 of keys is null",
        );
        err_at(
            "zipmap",
            vec![list(vec![list(vec![])]), nums(&[1.0])],
            Some(0),
            "element 0: a string is required",
        );
        err_at(
            "zipmap",
            vec![strs(&["a"]), s("x")],
            Some(1),
            "values must be a list",
        );
    }

    #[test]
    fn element_wraps_around() {
        let l = strs(&["a", "b", "c"]);
        assert_same(&ok("element", vec![l.clone(), n(1.0)]), &s("b"));
        assert_same(&ok("element", vec![l.clone(), n(3.0)]), &s("a"));
        assert_same(&ok("element", vec![l.clone(), n(7.0)]), &s("b"));
        assert_same(&ok("element", vec![list(vec![U, s("b")]), n(1.0)]), &s("b"));
        assert_same(&ok("element", vec![list(vec![U, s("b")]), n(0.0)]), &U);
        assert_same(&ok("element", vec![l.clone(), U]), &U);
        err_at(
            "element",
            vec![l.clone(), n(-1.0)],
            Some(1),
            "negative index",
        );
        err_at(
            "element",
            vec![l, n(0.5)],
            Some(1),
            "a whole number is required",
        );
        err_at("element", vec![list(vec![]), n(0.0)], Some(0), "empty list");
        err_at(
            "element",
            vec![map(&[]), n(0.0)],
            Some(0),
            "cannot read elements from map",
        );
    }

    #[test]
    fn index_finds_the_first_match() {
        assert_same(&ok("index", vec![strs(&["a", "b", "c"]), s("b")]), &n(1.0));
        assert_same(
            &ok(
                "index",
                vec![list(vec![nums(&[1.0]), nums(&[2.0])]), nums(&[2.0])],
            ),
            &n(1.0),
        );
        assert_same(&ok("index", vec![list(vec![U, s("b")]), s("b")]), &U);
        err_at(
            "index",
            vec![strs(&["a"]), s("z")],
            Some(1),
            "not in the list",
        );
        err_at(
            "index",
            vec![list(vec![]), s("z")],
            Some(0),
            "cannot search an empty list",
        );
        err_at(
            "index",
            vec![s("abc"), s("a")],
            Some(0),
            "a list is required, got string",
        );
    }

    #[test]
    fn slice_reverse_one() {
        let l = list(vec![s("a"), U, secret(s("c")), s("d")]);
        assert_same(
            &ok("slice", vec![l.clone(), n(1.0), n(3.0)]),
            &list(vec![U, secret(s("c"))]),
        );
        assert_same(&ok("slice", vec![l.clone(), n(4.0), n(4.0)]), &list(vec![]));
        assert_same(&ok("slice", vec![U, n(0.0), n(1.0)]), &U);
        err_at(
            "slice",
            vec![l.clone(), n(3.0), n(2.0)],
            Some(1),
            "must not be greater than end index",
        );
        err_at(
            "slice",
            vec![l.clone(), n(0.0), n(5.0)],
            Some(2),
            "greater than the length",
        );
        err_at(
            "slice",
            vec![l.clone(), n(-1.0), n(2.0)],
            Some(1),
            "less than zero",
        );
        err_at(
            "slice",
            vec![map(&[]), n(0.0), n(0.0)],
            Some(0),
            "must be a list",
        );

        assert_same(
            &ok("reverse", vec![l]),
            &list(vec![s("d"), secret(s("c")), U, s("a")]),
        );
        assert_same(&ok("reverse", vec![U]), &U);
        err_at(
            "reverse",
            vec![s("ab")],
            Some(0),
            "must be a list, got string",
        );

        assert_same(&ok("one", vec![list(vec![])]), &Value::Null);
        assert_same(&ok("one", vec![list(vec![U])]), &U);
        assert_same(&ok("one", vec![strs(&["a"])]), &s("a"));
        err_at(
            "one",
            vec![strs(&["a", "b"])],
            Some(0),
            "either zero or one elements, got 2",
        );
    }

    #[test]
    fn sort_is_lexical() {
        assert_same(
            &ok("sort", vec![strs(&["b", "a", "B", "10", "9"])]),
            &strs(&["10", "9", "B", "a", "b"]),
        );
        assert_same(&ok("sort", vec![nums(&[10.0, 9.0])]), &strs(&["10", "9"]));
        assert_same(&ok("sort", vec![list(vec![s("b"), U])]), &U);
        err_at(
            "sort",
            vec![list(vec![s("a"), Value::Null])],
            Some(0),
            "element 1 is null",
        );
        err_at(
            "sort",
            vec![list(vec![list(vec![])])],
            Some(0),
            "element 0: a string is required",
        );
    }

    #[test]
    fn range_like_terraform() {
        assert_same(&ok("range", vec![n(3.0)]), &nums(&[0.0, 1.0, 2.0]));
        assert_same(&ok("range", vec![n(1.0), n(4.0)]), &nums(&[1.0, 2.0, 3.0]));
        assert_same(&ok("range", vec![n(4.0), n(1.0)]), &nums(&[4.0, 3.0, 2.0]));
        assert_same(
            &ok("range", vec![n(0.0), n(10.0), n(3.0)]),
            &nums(&[0.0, 3.0, 6.0, 9.0]),
        );
        assert_same(
            &ok("range", vec![n(0.0), n(0.5), n(0.1)]),
            &nums(&[0.0, 0.1, 0.2, 0.3, 0.4]),
        );
        assert_same(&ok("range", vec![n(-3.0)]), &nums(&[0.0, -1.0, -2.0]));
        assert_same(&ok("range", vec![n(1.0), n(4.0), n(-1.0)]), &list(vec![]));
        assert_same(&ok("range", vec![n(0.0)]), &list(vec![]));
        err_at(
            "range",
            vec![n(0.0), n(1.0), n(0.0)],
            Some(2),
            "step must not be zero",
        );
        err_at(
            "range",
            vec![n(0.0), n(2000.0)],
            None,
            "more than 1024 values were generated",
        );
        err_at(
            "range",
            vec![s("x")],
            Some(0),
            "cannot convert \"x\" to a number",
        );
    }

    #[test]
    fn alltrue_and_anytrue() {
        assert_same(
            &ok("alltrue", vec![list(vec![b(true), s("true")])]),
            &b(true),
        );
        assert_same(
            &ok("alltrue", vec![list(vec![b(true), b(false)])]),
            &b(false),
        );
        assert_same(&ok("alltrue", vec![list(vec![])]), &b(true));
        assert_same(&ok("alltrue", vec![list(vec![Value::Null])]), &b(false));
        assert_same(
            &ok("anytrue", vec![list(vec![b(false), b(true)])]),
            &b(true),
        );
        assert_same(
            &ok("anytrue", vec![list(vec![Value::Null, b(false)])]),
            &b(false),
        );
        assert_same(&ok("anytrue", vec![list(vec![])]), &b(false));
        err_at(
            "alltrue",
            vec![list(vec![n(1.0)])],
            Some(0),
            "element 0: a bool is required, got number",
        );
        err_at(
            "anytrue",
            vec![list(vec![s("yes")])],
            Some(0),
            "element 0: cannot convert \"yes\" to a bool",
        );
        err_at(
            "anytrue",
            vec![b(true)],
            Some(0),
            "a list is required, got bool",
        );
    }

    #[test]
    fn coalesce_picks_the_first_present_value() {
        assert_same(
            &ok("coalesce", vec![Value::Null, s(""), s("b"), s("c")]),
            &s("b"),
        );
        assert_same(&ok("coalesce", vec![n(1.0), n(2.0)]), &n(1.0));
        assert_same(&ok("coalesce", vec![n(1.0), s("x")]), &s("1"));
        assert_same(&ok("coalesce", vec![Value::Null, U, s("x")]), &U);
        assert_same(&ok("coalesce", vec![s("a"), U]), &s("a"));
        assert_same(
            &ok("coalesce", vec![Value::Null, list(vec![secret(s("a"))])]),
            &list(vec![secret(s("a"))]),
        );
        err_at(
            "coalesce",
            vec![Value::Null, s("")],
            None,
            "no non-null, non-empty-string arguments",
        );
        err_at("coalesce", vec![n(1.0), b(true)], None, "same type");
    }

    #[test]
    fn coalescelist_picks_the_first_non_empty_list() {
        assert_same(
            &ok(
                "coalescelist",
                vec![list(vec![]), Value::Null, list(vec![U]), strs(&["z"])],
            ),
            &list(vec![U]),
        );
        assert_same(&ok("coalescelist", vec![list(vec![]), U, strs(&["z"])]), &U);
        err_at(
            "coalescelist",
            vec![list(vec![]), list(vec![])],
            None,
            "null or empty",
        );
        err_at(
            "coalescelist",
            vec![strs(&["a"]), s("b")],
            Some(1),
            "must be lists, got string",
        );
    }

    #[test]
    fn compact_drops_empty_and_null() {
        assert_same(
            &ok(
                "compact",
                vec![list(vec![s("a"), s(""), Value::Null, n(1.0), s("b")])],
            ),
            &strs(&["a", "1", "b"]),
        );
        assert_same(&ok("compact", vec![list(vec![s("a"), U])]), &U);
        assert_same(
            &ok("compact", vec![list(vec![s("a"), secret(s(""))])]),
            &secret(strs(&["a"])),
        );
        err_at(
            "compact",
            vec![list(vec![list(vec![])])],
            Some(0),
            "element 0: a string is required, got list",
        );
        err_at("compact", vec![s("a")], Some(0), "must be a list");
    }
}
