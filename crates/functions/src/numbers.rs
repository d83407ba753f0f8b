//! Number functions. Values are f64, so results that leave the finite
//! range are errors rather than infinities that no state file could hold.

use cairn_core::Value;

use crate::args::{to_number, Args, Fail};
use crate::Context;

fn finite(n: f64) -> Result<Value, Fail> {
    if n.is_finite() {
        Ok(Value::Number(n))
    } else {
        Err(Fail::whole("the result is not a finite number").plain())
    }
}

pub(crate) fn abs(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    finite(a.number(0)?.abs())
}

pub(crate) fn ceil(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    finite(a.number(0)?.ceil())
}

pub(crate) fn floor(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    finite(a.number(0)?.floor())
}

pub(crate) fn signum(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let n = a.number(0)?;
    Ok(Value::Number(if n > 0.0 {
        1.0
    } else if n < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

pub(crate) fn pow(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    finite(a.number(0)?.powf(a.number(1)?))
}

pub(crate) fn max(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    extreme(a, f64::max)
}

pub(crate) fn min(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    extreme(a, f64::min)
}

fn extreme(a: &Args, pick: fn(f64, f64) -> f64) -> Result<Value, Fail> {
    let mut best = a.number(0)?;
    for i in 1..a.len() {
        best = pick(best, a.number(i)?);
    }
    Ok(Value::Number(best))
}

pub(crate) fn sum(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let items = a.list(0)?;
    if items.is_empty() {
        return Err(Fail::at(0, "cannot sum an empty list").plain());
    }
    let mut total = 0.0;
    for (i, item) in items.iter().enumerate() {
        let n = to_number(item).map_err(|e| Fail {
            arg: Some(0),
            message: format!("invalid value for \"list\": element {i}: {}", e.message),
            quotes: e.quotes,
        })?;
        total += n;
    }
    finite(total)
}

/// `parseint(string, base)` for bases 2 to 62: digits, then lower-case
/// letters, then (above base 36) upper-case letters, as Go's big.Int reads
/// them. An optional sign is allowed; prefixes such as `0x` are not.
pub(crate) fn parseint(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let base = a.integer(1)?;
    if !(2..=62).contains(&base) {
        return Err(Fail::at(1, "base must be a whole number between 2 and 62 inclusive").plain());
    }
    let base = base as u32;
    let bad = || Fail::at(0, format!("cannot parse {s:?} as a base {base} integer"));
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let mut acc: u128 = 0;
    for c in digits.chars() {
        let d = digit_value(c, base).ok_or_else(bad)?;
        acc = acc
            .checked_mul(u128::from(base))
            .and_then(|v| v.checked_add(u128::from(d)))
            .ok_or_else(|| Fail::at(0, format!("{s:?} is too large to be a number")))?;
    }
    let n = acc as f64;
    Ok(Value::Number(if negative { -n } else { n }))
}

fn digit_value(c: char, base: u32) -> Option<u32> {
    let d = match c {
        '0'..='9' => u32::from(c) - u32::from('0'),
        'a'..='z' => u32::from(c) - u32::from('a') + 10,
        'A'..='Z' if base <= 36 => u32::from(c) - u32::from('A') + 10,
        'A'..='Z' => u32::from(c) - u32::from('A') + 36,
        _ => return None,
    };
    (d < base).then_some(d)
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use cairn_core::Value;

    #[test]
    fn unary_functions() {
        assert_same(&ok("abs", vec![n(-12.4)]), &n(12.4));
        assert_same(&ok("abs", vec![s("-3")]), &n(3.0));
        assert_same(&ok("ceil", vec![n(5.1)]), &n(6.0));
        assert_same(&ok("floor", vec![n(-5.1)]), &n(-6.0));
        assert_same(&ok("signum", vec![n(-13.0)]), &n(-1.0));
        assert_same(&ok("signum", vec![n(0.0)]), &n(0.0));
        assert_same(&ok("signum", vec![n(344.0)]), &n(1.0));
        for f in ["abs", "ceil", "floor", "signum"] {
            err_at(f, vec![s("x")], Some(0), "cannot convert \"x\" to a number");
            err_at(f, vec![b(true)], Some(0), "a number is required, got bool");
        }
    }

    #[test]
    fn pow_min_max() {
        assert_same(&ok("pow", vec![n(3.0), n(2.0)]), &n(9.0));
        assert_same(&ok("pow", vec![n(4.0), n(0.5)]), &n(2.0));
        err_at("pow", vec![n(0.0), n(-1.0)], None, "not a finite number");
        err_at("pow", vec![n(2.0), list(vec![])], Some(1), "\"exponent\"");
        assert_same(&ok("max", vec![n(12.0), n(54.0), n(3.0)]), &n(54.0));
        assert_same(&ok("min", vec![n(12.0), n(54.0), n(3.0)]), &n(3.0));
        assert_same(&ok("min", vec![n(7.0)]), &n(7.0));
        err_at(
            "max",
            vec![n(1.0), s("x")],
            Some(1),
            "\"numbers\": cannot convert \"x\"",
        );
        err_at(
            "min",
            vec![list(vec![])],
            Some(0),
            "a number is required, got list",
        );
    }

    #[test]
    fn sum_of_a_list() {
        assert_same(&ok("sum", vec![nums(&[10.0, 13.0, 6.0, 4.5])]), &n(33.5));
        err_at(
            "sum",
            vec![list(vec![])],
            Some(0),
            "cannot sum an empty list",
        );
        err_at(
            "sum",
            vec![list(vec![n(1.0), Value::Null])],
            Some(0),
            "element 1: must not be null",
        );
        err_at(
            "sum",
            vec![nums(&[1e308, 1e308])],
            None,
            "not a finite number",
        );
        err_at(
            "sum",
            vec![n(1.0)],
            Some(0),
            "a list is required, got number",
        );
    }

    #[test]
    fn parseint_like_terraform() {
        let cases = [
            ("100", 10.0, 100.0),
            ("FF", 16.0, 255.0),
            ("-10", 16.0, -16.0),
            ("+101", 2.0, 5.0),
            ("zz", 36.0, 1295.0),
            ("ZZ", 36.0, 1295.0),
            ("Z", 62.0, 61.0),
        ];
        for (st, base, want) in cases {
            assert_same(&ok("parseint", vec![s(st), n(base)]), &n(want));
        }
        err_at(
            "parseint",
            vec![s("12"), n(2.0)],
            Some(0),
            "cannot parse \"12\" as a base 2 integer",
        );
        err_at(
            "parseint",
            vec![s("0x10"), n(16.0)],
            Some(0),
            "cannot parse",
        );
        err_at("parseint", vec![s(""), n(10.0)], Some(0), "cannot parse");
        err_at(
            "parseint",
            vec![s("1"), n(63.0)],
            Some(1),
            "between 2 and 62",
        );
        err_at(
            "parseint",
            vec![s("1"), n(1.0)],
            Some(1),
            "between 2 and 62",
        );
        err_at(
            "parseint",
            vec![s("z".repeat(40).as_str()), n(36.0)],
            Some(0),
            "too large",
        );
    }
}
