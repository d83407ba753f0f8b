//! Argument access and the primitive conversions every function shares.
//!
//! Terraform converts freely between strings, numbers and bools when a
//! parameter wants one of them (`cidrsubnet(p, "4", 2)` works, and so does
//! `join(",", [1, 2])`), so the helpers here do the same instead of each
//! function rejecting a number where it wanted a string.

use cairn_core::value::format_number;
use cairn_core::Value;

/// A failure raised by a function body, before `call` turns it into a
/// public `FunctionError`.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) arg: Option<usize>,
    pub(crate) message: String,
    /// Whether the message may quote an argument's value. `call` hides such
    /// messages when the arguments carry a sensitive mark, so a typo in a
    /// secret never ends up in a terminal or CI log.
    pub(crate) quotes: bool,
}

impl Fail {
    /// A failure blamed on one argument; the message may quote its value.
    pub(crate) fn at(arg: usize, message: impl Into<String>) -> Fail {
        Fail {
            arg: Some(arg),
            message: message.into(),
            quotes: true,
        }
    }

    /// A failure of the call as a whole; the message may quote values.
    pub(crate) fn whole(message: impl Into<String>) -> Fail {
        Fail {
            arg: None,
            message: message.into(),
            quotes: true,
        }
    }

    /// Declares that the message names no value (only kinds, lengths or
    /// positions), so it can be shown even when an argument is sensitive.
    pub(crate) fn plain(self) -> Fail {
        Fail {
            quotes: false,
            ..self
        }
    }
}

/// Why a value could not be converted to the primitive a parameter wants.
#[derive(Debug)]
pub(crate) struct ConvError {
    pub(crate) message: String,
    pub(crate) quotes: bool,
}

impl ConvError {
    fn plain(message: impl Into<String>) -> ConvError {
        ConvError {
            message: message.into(),
            quotes: false,
        }
    }

    fn quoting(message: impl Into<String>) -> ConvError {
        ConvError {
            message: message.into(),
            quotes: true,
        }
    }
}

static NULL: Value = Value::Null;

/// The arguments of one call, with the function's signature for naming
/// parameters in errors.
pub(crate) struct Args {
    vals: Vec<Value>,
    signature: &'static str,
}

impl Args {
    pub(crate) fn new(vals: Vec<Value>, signature: &'static str) -> Args {
        Args { vals, signature }
    }

    pub(crate) fn len(&self) -> usize {
        self.vals.len()
    }

    /// The argument at `i`, or null past the end (arity is checked before a
    /// body runs, so this only matters for optional parameters).
    pub(crate) fn get(&self, i: usize) -> &Value {
        self.vals.get(i).unwrap_or(&NULL)
    }

    /// Arguments from `start` on (the variadic tail).
    pub(crate) fn tail(&self, start: usize) -> &[Value] {
        self.vals.get(start..).unwrap_or(&[])
    }

    /// Moves an argument out, for structural functions that return it.
    pub(crate) fn take(&mut self, i: usize) -> Value {
        self.vals.get_mut(i).map(std::mem::take).unwrap_or_default()
    }

    /// The parameter name for argument `i`, read from the signature so the
    /// two can never disagree.
    pub(crate) fn param(&self, i: usize) -> String {
        param_name(self.signature, i)
    }

    pub(crate) fn invalid(&self, i: usize, e: ConvError) -> Fail {
        Fail {
            arg: Some(i),
            message: format!("invalid value for \"{}\": {}", self.param(i), e.message),
            quotes: e.quotes,
        }
    }

    pub(crate) fn string(&self, i: usize) -> Result<String, Fail> {
        to_text(self.get(i)).map_err(|e| self.invalid(i, e))
    }

    pub(crate) fn number(&self, i: usize) -> Result<f64, Fail> {
        to_number(self.get(i)).map_err(|e| self.invalid(i, e))
    }

    pub(crate) fn integer(&self, i: usize) -> Result<i64, Fail> {
        to_whole(self.get(i)).map_err(|e| self.invalid(i, e))
    }

    pub(crate) fn list(&self, i: usize) -> Result<&[Value], Fail> {
        match self.get(i).unmarked() {
            Value::List(items) => Ok(items),
            other => Err(self.invalid(i, wrong_kind("a list", other))),
        }
    }
}

/// Reads parameter `i` out of a signature such as `lookup(map, key, [default])`
/// or `cidrsubnets(prefix, newbits...)`; a variadic last parameter names
/// every argument from its position on.
pub(crate) fn param_name(signature: &str, i: usize) -> String {
    let inner = signature
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map(|(inner, _)| inner)
        .unwrap_or("");
    let params: Vec<&str> = inner
        .split(',')
        .map(|p| p.trim().trim_matches(|c| c == '[' || c == ']'))
        .filter(|p| !p.is_empty())
        .collect();
    match params.get(i) {
        Some(p) => p.trim_end_matches("...").to_string(),
        None => match params.last() {
            Some(last) if last.ends_with("...") => last.trim_end_matches("...").to_string(),
            _ => format!("argument {}", i + 1),
        },
    }
}

pub(crate) fn wrong_kind(wanted: &str, got: &Value) -> ConvError {
    match got.unmarked() {
        Value::Null => ConvError::plain("must not be null"),
        Value::Unknown => ConvError::plain("the value is not known yet"),
        other => ConvError::plain(format!("{wanted} is required, got {}", other.kind())),
    }
}

/// String conversion as Terraform does it for string parameters: numbers
/// print without a trailing `.0`, bools as `true`/`false`.
pub(crate) fn to_text(v: &Value) -> Result<String, ConvError> {
    match v.unmarked() {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(format_number(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(wrong_kind("a string", other)),
    }
}

pub(crate) fn to_number(v: &Value) -> Result<f64, ConvError> {
    match v.unmarked() {
        Value::Number(n) => Ok(*n),
        Value::String(s) => parse_number(s)
            .ok_or_else(|| ConvError::quoting(format!("cannot convert {s:?} to a number"))),
        other => Err(wrong_kind("a number", other)),
    }
}

/// The largest magnitude at which every integer is exactly representable.
pub(crate) const MAX_EXACT: f64 = 9_007_199_254_740_992.0;

pub(crate) fn to_whole(v: &Value) -> Result<i64, ConvError> {
    let n = to_number(v)?;
    if !n.is_finite() || n.fract() != 0.0 {
        return Err(ConvError::quoting(format!(
            "a whole number is required, got {}",
            format_number(n)
        )));
    }
    if n.abs() > MAX_EXACT {
        return Err(ConvError::quoting(format!(
            "the number {} is too large",
            format_number(n)
        )));
    }
    Ok(n as i64)
}

pub(crate) fn to_boolean(v: &Value) -> Result<bool, ConvError> {
    match v.unmarked() {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        Value::String(s) => Err(ConvError::quoting(format!(
            "cannot convert {s:?} to a bool; only \"true\" or \"false\" is allowed"
        ))),
        other => Err(wrong_kind("a bool", other)),
    }
}

/// Parses a decimal number the way Terraform converts a string to a number:
/// an optional sign, digits with an optional fraction, an optional exponent.
/// No surrounding spaces, no hex, no `inf`/`nan`.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    let mut i = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_come_from_the_signature() {
        assert_eq!(param_name("lookup(map, key, [default])", 2), "default");
        assert_eq!(param_name("cidrsubnets(prefix, newbits...)", 4), "newbits");
        assert_eq!(param_name("upper(string)", 0), "string");
        assert_eq!(param_name("upper(string)", 3), "argument 4");
        assert_eq!(param_name("merge(maps...)", 0), "maps");
    }

    #[test]
    fn numbers_parse_like_terraform_strings() {
        assert_eq!(parse_number("42"), Some(42.0));
        assert_eq!(parse_number("-1.5e3"), Some(-1500.0));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("5."), Some(5.0));
        for bad in [
            "", " 1", "1 ", "0x10", "inf", "NaN", "1e", "+", ".", "1_000", "1e999",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn primitive_conversions_follow_terraform() {
        assert_eq!(to_text(&Value::Number(5.0)).unwrap(), "5");
        assert_eq!(to_text(&Value::Number(1.5)).unwrap(), "1.5");
        assert_eq!(to_text(&Value::Bool(true)).unwrap(), "true");
        assert!(to_text(&Value::List(vec![])).is_err());
        assert!(to_text(&Value::Null).is_err());
        assert_eq!(to_number(&Value::string("7")).unwrap(), 7.0);
        assert_eq!(to_whole(&Value::string("7")).unwrap(), 7);
        assert!(to_whole(&Value::Number(7.5)).is_err());
        assert!(to_whole(&Value::Number(1e300)).is_err());
        assert!(to_boolean(&Value::string("true")).unwrap());
        assert!(to_boolean(&Value::string("yes")).is_err());
        assert!(to_boolean(&Value::Number(1.0)).is_err());
    }
}
