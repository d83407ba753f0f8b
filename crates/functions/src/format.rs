//! format and formatlist: printf-style formatting with the verbs, flags and
//! padding rules of Terraform's `format` (which follows Go's fmt for
//! numbers).

use cairn_core::value::format_number;
use cairn_core::Value;

use crate::args::{to_boolean, to_number, to_text, Args, ConvError, Fail};
use crate::encoding::{json_quote, json_string};
use crate::strings::{MAX_OUTPUT, MAX_REPEAT};
use crate::Context;

pub(crate) fn format(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let spec = a.string(0)?;
    sprintf(&spec, a.tail(1))
        .map(Value::String)
        .map_err(FmtError::into_fail)
}

/// Formats once per element of the list arguments (which must all have the
/// same length); other arguments repeat on every line.
pub(crate) fn formatlist(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let spec = a.string(0)?;
    let vals = a.tail(1);
    let mut shared: Option<(usize, usize)> = None;
    for (i, v) in vals.iter().enumerate() {
        let Value::List(items) = v else { continue };
        match shared {
            None => shared = Some((items.len(), i)),
            Some((len, first)) if len != items.len() => {
                return Err(Fail::at(
                    i + 1,
                    format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {len}",
                        i + 1,
                        items.len(),
                        first + 1
                    ),
                )
                .plain())
            }
            Some(_) => {}
        }
    }
    let rows = shared.map_or(1, |(len, _)| len);
    let mut out = Vec::with_capacity(rows);
    let mut total = 0usize;
    for row in 0..rows {
        let args: Vec<Value> = vals
            .iter()
            .map(|v| match v {
                Value::List(items) => items.get(row).cloned().unwrap_or_default(),
                other => other.clone(),
            })
            .collect();
        let line = sprintf(&spec, &args).map_err(|e| {
            let mut f = e.into_fail();
            f.message = format!("error on format iteration {row}: {}", f.message);
            f
        })?;
        total = total.saturating_add(line.len());
        if total > MAX_OUTPUT {
            return Err(Fail::at(0, "the formatted result is too large").plain());
        }
        out.push(Value::String(line));
    }
    Ok(Value::List(out))
}

struct FmtError {
    /// The value (0-based among the values after the spec) at fault; None
    /// when the spec itself is wrong.
    value: Option<usize>,
    message: String,
    quotes: bool,
}

impl FmtError {
    fn spec(message: String) -> FmtError {
        FmtError {
            value: None,
            message,
            quotes: false,
        }
    }

    fn into_fail(self) -> Fail {
        Fail {
            arg: Some(self.value.map_or(0, |i| i + 1)),
            message: self.message,
            quotes: self.quotes,
        }
    }
}

#[derive(Default)]
struct Verb {
    zero: bool,
    sharp: bool,
    minus: bool,
    plus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
    mode: char,
}

/// Reads a decimal run; `None` if it is absurdly long (a width or index
/// nobody means).
fn digits(chars: &mut std::iter::Peekable<std::str::CharIndices>) -> Option<usize> {
    let mut n: usize = 0;
    while let Some(&(_, c)) = chars.peek() {
        let Some(d) = c.to_digit(10) else { break };
        n = n.checked_mul(10)?.checked_add(d as usize)?;
        chars.next();
    }
    Some(n)
}

fn sprintf(spec: &str, vals: &[Value]) -> Result<String, FmtError> {
    let mut out = String::with_capacity(spec.len());
    let mut chars = spec.char_indices().peekable();
    let mut next = 0usize;
    let mut used = 0usize;
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek().is_some_and(|&(_, c)| c == '%') {
            chars.next();
            out.push('%');
            continue;
        }
        let unterminated =
            || FmtError::spec(format!("invalid format string starting at offset {start}"));
        let mut v = Verb::default();
        while let Some(&(_, c)) = chars.peek() {
            match c {
                '0' => v.zero = true,
                '#' => v.sharp = true,
                '-' => v.minus = true,
                '+' => v.plus = true,
                ' ' => v.space = true,
                _ => break,
            }
            chars.next();
        }
        // Zero padding only ever applies on the left.
        if v.minus {
            v.zero = false;
        }
        let mut explicit = None;
        if chars.peek().is_some_and(|&(_, c)| c == '[') {
            chars.next();
            let n = digits(&mut chars)
                .filter(|n| *n >= 1)
                .ok_or_else(unterminated)?;
            match chars.next() {
                Some((_, ']')) => explicit = Some(n - 1),
                Some((off, c)) => {
                    return Err(FmtError::spec(format!(
                        "unrecognized format character {c:?} at offset {off}"
                    )))
                }
                None => return Err(unterminated()),
            }
        }
        if chars.peek().is_some_and(|&(_, c)| c.is_ascii_digit()) {
            v.width = Some(digits(&mut chars).ok_or_else(unterminated)?);
        }
        if chars.peek().is_some_and(|&(_, c)| c == '.') {
            chars.next();
            v.prec = Some(digits(&mut chars).ok_or_else(unterminated)?);
        }
        if v.width.max(v.prec).is_some_and(|n| n > MAX_REPEAT) {
            return Err(FmtError::spec(format!(
                "the width or precision at offset {start} is larger than {MAX_REPEAT}"
            )));
        }
        let (end, mode) = match chars.next() {
            None => return Err(unterminated()),
            Some((off, '*')) => {
                return Err(FmtError::spec(format!(
                    "width or precision from an argument (\"*\" at offset {off}) is not supported"
                )))
            }
            Some((off, c)) if c.is_ascii_alphabetic() => (off + 1, c),
            Some((off, c)) => {
                return Err(FmtError::spec(format!(
                    "unrecognized format character {c:?} at offset {off}"
                )))
            }
        };
        v.mode = mode;
        let raw = spec.get(start..end).unwrap_or("%");
        if !"vtbdoxXeEfgGsq".contains(mode) {
            return Err(FmtError::spec(format!(
                "unsupported format verb {mode:?} in {raw:?} at offset {start}"
            )));
        }
        let idx = explicit.unwrap_or(next);
        let Some(val) = vals.get(idx) else {
            return Err(FmtError::spec(format!(
                "not enough arguments for {raw:?} at offset {start}: need index {} but have {} total",
                idx + 1,
                vals.len()
            )));
        };
        let piece = format_one(&v, val).map_err(|e| FmtError {
            value: Some(idx),
            message: format!(
                "unsupported value for {raw:?} at offset {start}: {}",
                e.message
            ),
            quotes: e.quotes,
        })?;
        out.push_str(&piece);
        if out.len() > MAX_OUTPUT {
            return Err(FmtError::spec(
                "the formatted result is too large".to_string(),
            ));
        }
        next = idx + 1;
        used = used.max(next);
    }
    if vals.len() > used {
        let message = if used == 0 {
            "too many arguments; no verbs in format string".to_string()
        } else {
            format!("too many arguments; only {used} used by format string")
        };
        return Err(FmtError {
            value: Some(used),
            message,
            quotes: false,
        });
    }
    Ok(out)
}

fn plain(message: &str) -> ConvError {
    ConvError {
        message: message.to_string(),
        quotes: false,
    }
}

fn format_one(v: &Verb, val: &Value) -> Result<String, ConvError> {
    if val.is_null() && v.mode != 'v' {
        return Err(plain("null value cannot be formatted"));
    }
    match v.mode {
        'v' => {
            let shown = match val {
                Value::String(s) if !v.sharp => s.clone(),
                Value::Number(n) if !v.sharp => format_number(*n),
                other => json_string(other).map_err(|e| plain(&e))?,
            };
            Ok(pad(&shown, v))
        }
        't' => Ok(pad(if to_boolean(val)? { "true" } else { "false" }, v)),
        'b' | 'd' | 'o' | 'x' | 'X' => format_integer(to_number(val)?, v),
        'e' | 'E' | 'f' | 'g' | 'G' => Ok(format_float(to_number(val)?, v)),
        _ => {
            let s = to_text(val)?;
            let s: String = match v.prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            };
            if v.mode == 'q' {
                let mut quoted = String::with_capacity(s.len() + 2);
                json_quote(&s, &mut quoted);
                Ok(pad(&quoted, v))
            } else {
                Ok(pad(&s, v))
            }
        }
    }
}

/// Pads text to the width, counted in characters.
fn pad(s: &str, v: &Verb) -> String {
    let len = s.chars().count();
    let Some(missing) = v.width.and_then(|w| w.checked_sub(len)).filter(|m| *m > 0) else {
        return s.to_string();
    };
    let fill = if v.zero { "0" } else { " " }.repeat(missing);
    if v.minus {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}

fn pad_spaces(s: String, width: Option<usize>, left_align: bool) -> String {
    let len = s.chars().count();
    match width.and_then(|w| w.checked_sub(len)).filter(|m| *m > 0) {
        Some(missing) if left_align => format!("{s}{}", " ".repeat(missing)),
        Some(missing) => format!("{}{s}", " ".repeat(missing)),
        None => s,
    }
}

/// 2^128: past it, the value no longer fits the integer used for %b/%o/%x.
const TWO_128: f64 = 340_282_366_920_938_463_463_374_607_431_768_211_456.0;

/// Go's integer formatting: precision is a minimum digit count, the `0`
/// flag pads to the width after the sign, `#` adds a base prefix.
fn format_integer(n: f64, v: &Verb) -> Result<String, ConvError> {
    if !n.is_finite() || n.fract() != 0.0 {
        return Err(plain("an integer is required"));
    }
    let negative = n < 0.0;
    let mag = n.abs();
    let mut body = if v.mode == 'd' {
        format!("{mag:.0}")
    } else {
        if mag >= TWO_128 {
            return Err(plain("the number is too large for this verb"));
        }
        // Checked above: the value is whole and below 2^128.
        let u = mag as u128;
        match v.mode {
            'b' => format!("{u:b}"),
            'o' => format!("{u:o}"),
            'x' => format!("{u:x}"),
            _ => format!("{u:X}"),
        }
    };
    let has_sign = negative || v.plus || v.space;
    let min_digits = match v.prec {
        Some(0) if mag == 0.0 => return Ok(" ".repeat(v.width.unwrap_or(0))),
        Some(p) => p,
        None if v.zero => v.width.unwrap_or(0).saturating_sub(usize::from(has_sign)),
        None => 0,
    };
    if body.len() < min_digits {
        body = format!("{}{body}", "0".repeat(min_digits - body.len()));
    }
    if v.sharp {
        match v.mode {
            'b' => body.insert_str(0, "0b"),
            'o' if !body.starts_with('0') => body.insert(0, '0'),
            'x' => body.insert_str(0, "0x"),
            'X' => body.insert_str(0, "0X"),
            _ => {}
        }
    }
    let sign = if negative {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    Ok(pad_spaces(format!("{sign}{body}"), v.width, v.minus))
}

/// Go's float formatting (as big.Float does it for Terraform): `%e` and
/// `%f` default to 6 decimals, `%g` to the shortest exact form.
fn format_float(n: f64, v: &Verb) -> String {
    let upper = v.mode.is_ascii_uppercase();
    let (sign, body, finite) = if n.is_nan() {
        ("", "NaN".to_string(), false)
    } else if n.is_infinite() {
        let sign = match (n > 0.0, v.space) {
            (false, _) => "-",
            (true, true) => " ",
            (true, false) => "+",
        };
        (sign, "Inf".to_string(), false)
    } else {
        // -0 prints as 0: the sign of zero is an artefact of f64.
        let negative = n < 0.0;
        let mag = n.abs();
        let body = match v.mode.to_ascii_lowercase() {
            'f' => format!("{:.*}", v.prec.unwrap_or(6), mag),
            'e' => {
                let (mant, dp) = sig_digits(mag, Some(v.prec.unwrap_or(6) + 1));
                exp_form(&mant, dp, v.prec.unwrap_or(6), upper)
            }
            _ => general_form(mag, v.prec, upper),
        };
        let sign = if negative {
            "-"
        } else if v.plus {
            "+"
        } else if v.space {
            " "
        } else {
            ""
        };
        (sign, body, true)
    };
    let used = sign.len() + body.len();
    let missing = v.width.map_or(0, |w| w.saturating_sub(used));
    if v.zero && finite {
        format!("{sign}{}{body}", "0".repeat(missing))
    } else if v.minus {
        format!("{sign}{body}{}", " ".repeat(missing))
    } else {
        format!("{}{sign}{body}", " ".repeat(missing))
    }
}

/// The decimal digits of a non-negative finite number, without trailing
/// zeros, and the position of the decimal point (value = 0.DIGITS x 10^dp).
/// `count` rounds to that many significant digits; None is the shortest
/// representation that reads back as the same f64. Zero has no digits.
fn sig_digits(mag: f64, count: Option<usize>) -> (Vec<u8>, i64) {
    if mag == 0.0 {
        return (Vec::new(), 0);
    }
    let sci = match count {
        Some(c) => format!("{:.*e}", c.saturating_sub(1), mag),
        None => format!("{mag:e}"),
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

fn exp_form(mant: &[u8], dp: i64, prec: usize, upper: bool) -> String {
    let mut out = String::new();
    out.push(mant.first().map_or('0', |d| char::from(*d)));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(mant.get(i).map_or('0', |d| char::from(*d)));
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let exp = if mant.is_empty() { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.unsigned_abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

fn fixed_form(mant: &[u8], dp: i64, prec: usize) -> String {
    let digit = |i: i64| {
        usize::try_from(i)
            .ok()
            .and_then(|i| mant.get(i))
            .map_or('0', |d| char::from(*d))
    };
    let mut out = String::new();
    if dp > 0 {
        (0..dp).for_each(|i| out.push(digit(i)));
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        (0..prec as i64).for_each(|i| out.push(digit(dp + i)));
    }
    out
}

/// `%g`: exponent form for large or tiny exponents, fixed otherwise, with
/// Go's rules for choosing and for how many digits to keep.
fn general_form(mag: f64, prec: Option<usize>, upper: bool) -> String {
    let shortest = prec.is_none();
    let (mant, dp) = sig_digits(mag, prec.map(|p| p.max(1)));
    let len = mant.len();
    let mut p = prec.map_or(len, |p| p.max(1));
    let mut eprec = p;
    if eprec > len && len as i64 >= dp {
        eprec = len;
    }
    if shortest {
        eprec = 6;
    }
    let exp = dp - 1;
    if exp < -4 || exp >= eprec as i64 {
        p = p.min(len);
        return exp_form(&mant, dp, p.saturating_sub(1), upper);
    }
    if p as i64 > dp {
        p = len;
    }
    fixed_form(&mant, dp, (p as i64 - dp).max(0) as usize)
}

#[cfg(test)]
// 3.14159 is the number in Terraform's documented examples, not a stand-in for PI.
#[allow(clippy::approx_constant)]
mod tests {
    use crate::testutil::*;
    use cairn_core::Value;

    fn fmt(spec: &str, vals: Vec<Value>) -> String {
        let mut args = vec![s(spec)];
        args.extend(vals);
        match ok("format", args) {
            Value::String(out) => out,
            other => panic!("format returned {other:?}"),
        }
    }

    #[test]
    fn terraform_examples() {
        assert_eq!(
            fmt("%-5s|%05.1f|%q", vec![s("ab"), n(3.14159), s("x")]),
            "ab   |003.1|\"x\""
        );
        assert_eq!(fmt("Hello, %s!", vec![s("Ander")]), "Hello, Ander!");
        assert_eq!(
            fmt("There are %d lights", vec![n(4.0)]),
            "There are 4 lights"
        );
        assert_eq!(fmt("%%", vec![]), "%");
        assert_eq!(fmt("no verbs", vec![]), "no verbs");
    }

    #[test]
    fn default_and_json_verbs() {
        assert_eq!(fmt("%v %v %v", vec![s("a"), n(1.5), b(true)]), "a 1.5 true");
        assert_eq!(fmt("%v", vec![n(1000000.0)]), "1000000");
        assert_eq!(fmt("%v", vec![Value::Null]), "null");
        assert_eq!(
            fmt("%v", vec![strs(&["a", "<b>"])]),
            "[\"a\",\"\\u003cb\\u003e\"]"
        );
        assert_eq!(fmt("%#v", vec![s("a")]), "\"a\"");
        assert_eq!(fmt("%#v", vec![map(&[("k", n(1.0))])]), "{\"k\":1}");
        assert_eq!(fmt("%t", vec![s("true")]), "true");
        assert_eq!(fmt("%5v|", vec![s("ab")]), "   ab|");
    }

    #[test]
    fn integer_verbs() {
        assert_eq!(
            fmt(
                "%d %b %o %x %X",
                vec![n(-42.0), n(5.0), n(8.0), n(255.0), n(255.0)]
            ),
            "-42 101 10 ff FF"
        );
        assert_eq!(
            fmt(
                "%+d % d %5d|%-5d|%05d",
                vec![n(3.0), n(3.0), n(-3.0), n(3.0), n(-3.0)]
            ),
            "+3  3    -3|3    |-0003"
        );
        assert_eq!(
            fmt("%.3d %#x %#o %#b", vec![n(7.0), n(255.0), n(8.0), n(5.0)]),
            "007 0xff 010 0b101"
        );
        assert_eq!(fmt("%d", vec![s("12")]), "12");
        assert_eq!(fmt("%d", vec![n(1e20)]), "100000000000000000000");
        assert_eq!(fmt("[%.0d]", vec![n(0.0)]), "[]");
    }

    #[test]
    fn float_verbs() {
        assert_eq!(fmt("%f", vec![n(3.14159)]), "3.141590");
        assert_eq!(fmt("%.2f", vec![n(2.675)]), "2.67");
        assert_eq!(fmt("%e", vec![n(123456.0)]), "1.234560e+05");
        assert_eq!(fmt("%.2E", vec![n(0.000123)]), "1.23E-04");
        assert_eq!(fmt("%e", vec![n(0.0)]), "0.000000e+00");
        assert_eq!(fmt("%g", vec![n(3.14159)]), "3.14159");
        assert_eq!(fmt("%g", vec![n(100000.0)]), "100000");
        assert_eq!(fmt("%g", vec![n(1000000.0)]), "1e+06");
        assert_eq!(fmt("%g", vec![n(0.0001)]), "0.0001");
        assert_eq!(fmt("%g", vec![n(0.00001)]), "1e-05");
        assert_eq!(fmt("%g", vec![n(0.0)]), "0");
        assert_eq!(fmt("%G", vec![n(1e21)]), "1E+21");
        assert_eq!(fmt("%.3g", vec![n(3.14159)]), "3.14");
        assert_eq!(fmt("%.3g", vec![n(1.0)]), "1");
        assert_eq!(fmt("%.2g", vec![n(123.0)]), "1.2e+02");
        assert_eq!(
            fmt(
                "%+.1f|% .1f|%8.3f|%-8.2f|",
                vec![n(1.0), n(1.0), n(-3.14159), n(2.5)]
            ),
            "+1.0| 1.0|  -3.142|2.50    |"
        );
        assert_eq!(fmt("%08.2f", vec![n(-3.14159)]), "-0003.14");
    }

    #[test]
    fn string_verbs() {
        assert_eq!(
            fmt(
                "%s|%.2s|%5s|%-5s|%05s",
                vec![n(5.0), s("héllo"), s("é"), s("a"), s("a")]
            ),
            "5|hé|    é|a    |0000a"
        );
        assert_eq!(fmt("%q", vec![s("a\"b\n<")]), "\"a\\\"b\\n\\u003c\"");
        assert_eq!(fmt("%s", vec![b(false)]), "false");
    }

    #[test]
    fn explicit_argument_indexes() {
        assert_eq!(fmt("%[2]s %[1]s", vec![s("a"), s("b")]), "b a");
        assert_eq!(fmt("%[2]s %s %[1]s", vec![s("a"), s("b"), s("c")]), "b c a");
    }

    #[test]
    fn errors_name_the_verb_and_argument() {
        err_at(
            "format",
            vec![s("%d"), s("x")],
            Some(1),
            "unsupported value for \"%d\" at offset 0: cannot convert \"x\" to a number",
        );
        err_at(
            "format",
            vec![s("a %d"), n(1.5)],
            Some(1),
            "unsupported value for \"%d\" at offset 2: an integer is required",
        );
        err_at(
            "format",
            vec![s("%s %s"), s("a"), list(vec![])],
            Some(2),
            "a string is required, got list",
        );
        err_at(
            "format",
            vec![s("%d"), Value::Null],
            Some(1),
            "null value cannot be formatted",
        );
        err_at(
            "format",
            vec![s("%s %s"), s("a")],
            Some(0),
            "not enough arguments for \"%s\" at offset 3: need index 2 but have 1 total",
        );
        err_at(
            "format",
            vec![s("%s"), s("a"), s("b")],
            Some(2),
            "too many arguments; only 1 used by format string",
        );
        err_at(
            "format",
            vec![s("x"), s("a")],
            Some(1),
            "too many arguments; no verbs in format string",
        );
        err_at(
            "format",
            vec![s("%y"), s("a")],
            Some(0),
            "unsupported format verb 'y' in \"%y\" at offset 0",
        );
        err_at(
            "format",
            vec![s("abc %")],
            Some(0),
            "invalid format string starting at offset 4",
        );
        err_at(
            "format",
            vec![s("%!"), s("a")],
            Some(0),
            "unrecognized format character '!' at offset 1",
        );
        err_at("format", vec![s("%*d"), n(1.0)], Some(0), "not supported");
        err_at(
            "format",
            vec![s("%999999999d"), n(1.0)],
            Some(0),
            "larger than",
        );
        err_at(
            "format",
            vec![s("%t"), n(1.0)],
            Some(1),
            "a bool is required, got number",
        );
        err_at("format", vec![list(vec![])], Some(0), "\"spec\"");
    }

    #[test]
    fn formatlist_iterates_lists_and_repeats_the_rest() {
        assert_same(
            &ok(
                "formatlist",
                vec![s("Hello, %s!"), strs(&["Valentina", "Ander"])],
            ),
            &strs(&["Hello, Valentina!", "Hello, Ander!"]),
        );
        assert_same(
            &ok(
                "formatlist",
                vec![s("%s, %s!"), s("Salutations"), strs(&["A", "B"])],
            ),
            &strs(&["Salutations, A!", "Salutations, B!"]),
        );
        assert_same(
            &ok("formatlist", vec![s("x%s"), list(vec![])]),
            &list(vec![]),
        );
        assert_same(&ok("formatlist", vec![s("x")]), &strs(&["x"]));
        err_at(
            "formatlist",
            vec![s("%s%s"), strs(&["a", "b"]), strs(&["c"])],
            Some(2),
            "argument 2 has length 1, which is inconsistent with argument 1 of length 2",
        );
        err_at(
            "formatlist",
            vec![s("%d"), strs(&["1", "x"])],
            Some(1),
            "error on format iteration 1: unsupported value for \"%d\"",
        );
    }
}
