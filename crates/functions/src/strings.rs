//! String functions. Lengths and offsets count Unicode scalar values
//! (`char`s), not bytes.

use cairn_core::Value;
use regex::{Captures, Regex};

use crate::args::{to_text, Args, Fail};
use crate::Context;

/// The most a single numeric parameter may multiply text by (an indent, a
/// format width): enough for any real use, small enough that a typo such as
/// `indent(99999999999, s)` fails instead of exhausting memory.
pub(crate) const MAX_REPEAT: usize = 100_000;

/// The largest string a function will build by repetition.
pub(crate) const MAX_OUTPUT: usize = 64 * 1024 * 1024;

fn text(s: impl Into<String>) -> Result<Value, Fail> {
    Ok(Value::String(s.into()))
}

pub(crate) fn upper(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    text(a.string(0)?.to_uppercase())
}

pub(crate) fn lower(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    text(a.string(0)?.to_lowercase())
}

/// Upper-cases the first letter of every word, where words are separated
/// the way Go's `strings.Title` (which Terraform uses) separates them.
pub(crate) fn title(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_word_separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    text(out)
}

fn is_word_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphabetic() || c.is_numeric() {
        return false;
    }
    c.is_whitespace()
}

pub(crate) fn trimspace(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    text(a.string(0)?.trim())
}

pub(crate) fn trim(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let cutset = a.string(1)?;
    text(s.trim_matches(|c| cutset.contains(c)))
}

pub(crate) fn trimprefix(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let prefix = a.string(1)?;
    text(s.strip_prefix(prefix.as_str()).unwrap_or(&s))
}

pub(crate) fn trimsuffix(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let suffix = a.string(1)?;
    text(s.strip_suffix(suffix.as_str()).unwrap_or(&s))
}

pub(crate) fn chomp(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    text(a.string(0)?.trim_end_matches(['\r', '\n']))
}

pub(crate) fn startswith(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::Bool(a.string(0)?.starts_with(a.string(1)?.as_str())))
}

pub(crate) fn endswith(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::Bool(a.string(0)?.ends_with(a.string(1)?.as_str())))
}

pub(crate) fn strcontains(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    Ok(Value::Bool(a.string(0)?.contains(a.string(1)?.as_str())))
}

pub(crate) fn strrev(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    text(a.string(0)?.chars().rev().collect::<String>())
}

/// Prefixes every line but the first with `spaces` spaces (the first line
/// is usually already placed by the surrounding text).
pub(crate) fn indent(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let spaces = a.integer(0)?;
    let s = a.string(1)?;
    let Ok(spaces) = usize::try_from(spaces) else {
        return Err(Fail::at(0, "spaces must not be negative"));
    };
    let added = s.matches('\n').count().checked_mul(spaces);
    if spaces > MAX_REPEAT || added.is_none_or(|n| n > MAX_OUTPUT) {
        return Err(Fail::at(
            0,
            format!("an indent of {spaces} spaces is too large"),
        ));
    }
    let pad = format!("\n{}", " ".repeat(spaces));
    text(s.replace('\n', &pad))
}

pub(crate) fn split(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let sep = a.string(0)?;
    let s = a.string(1)?;
    // An empty separator splits into characters (Go's strings.Split), where
    // Rust would add empty strings at both ends.
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::string).collect()
    };
    Ok(Value::List(parts))
}

/// `join(separator, lists...)`: Terraform accepts several lists and joins
/// all their elements.
pub(crate) fn join(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let sep = a.string(0)?;
    let several = a.len() > 2;
    let mut items = Vec::new();
    for i in 1..a.len() {
        for (ei, v) in a.list(i)?.iter().enumerate() {
            let what = if several {
                format!("element {ei} of list {i}")
            } else {
                format!("element {ei}")
            };
            if v.is_null() {
                return Err(
                    Fail::at(i, format!("{what} is null; cannot concatenate null values")).plain(),
                );
            }
            match to_text(v) {
                Ok(s) => items.push(s),
                Err(e) => {
                    return Err(Fail {
                        arg: Some(i),
                        message: format!(
                            "invalid value for \"{}\": {what}: {}",
                            a.param(i),
                            e.message
                        ),
                        quotes: e.quotes,
                    })
                }
            }
        }
    }
    text(items.join(&sep))
}

/// `substr(string, offset, length)`: a negative offset counts from the end,
/// a negative length takes the rest, and out-of-range offsets give "" rather
/// than an error (all as in Terraform).
pub(crate) fn substr(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let offset = a.integer(1)?;
    let length = a.integer(2)?;
    let total = s.chars().count() as i64;
    let start = if offset < 0 { offset + total } else { offset }.max(0);
    let rest = s.chars().skip(usize::try_from(start).unwrap_or(usize::MAX));
    let out: String = match usize::try_from(length) {
        Ok(len) => rest.take(len).collect(),
        Err(_) => rest.collect(),
    };
    text(out)
}

/// `replace(string, substring, replacement)`; a substring wrapped in
/// slashes is a regular expression, and the replacement may then refer to
/// captures as `$1` or `${name}`.
pub(crate) fn replace(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let s = a.string(0)?;
    let sub = a.string(1)?;
    let rep = a.string(2)?;
    let pattern = (sub.len() > 1)
        .then(|| sub.strip_prefix('/').and_then(|r| r.strip_suffix('/')))
        .flatten();
    match pattern {
        Some(p) => {
            let re = compile(p, 1)?;
            text(re.replace_all(&s, rep.as_str()).into_owned())
        }
        None => text(s.replace(sub.as_str(), &rep)),
    }
}

fn compile(pattern: &str, arg: usize) -> Result<Regex, Fail> {
    Regex::new(pattern).map_err(|e| {
        let why = match &e {
            // The syntax error's text draws a caret under the pattern over
            // several lines; a diagnostic wants the one-line reason.
            regex::Error::Syntax(msg) => msg
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or(msg)
                .to_string(),
            other => other.to_string(),
        };
        Fail::at(
            arg,
            format!("invalid regular expression {pattern:?}: {why}"),
        )
    })
}

/// What a match turns into, decided by the pattern's capture groups.
enum Shape {
    /// No groups: the matched text.
    Whole,
    /// Unnamed groups: a list of captures.
    Positional,
    /// Named groups: a map of captures.
    Named,
}

fn shape(re: &Regex) -> Result<Shape, Fail> {
    let (named, unnamed) = re
        .capture_names()
        .skip(1)
        .fold((0, 0), |(n, u), name| match name {
            Some(_) => (n + 1, u),
            None => (n, u + 1),
        });
    match (named, unnamed) {
        (0, 0) => Ok(Shape::Whole),
        (0, _) => Ok(Shape::Positional),
        (_, 0) => Ok(Shape::Named),
        _ => Err(Fail::at(
            0,
            "invalid regular expression: cannot mix both named and unnamed capture groups",
        )
        .plain()),
    }
}

/// A group inside an alternative that did not match captures null.
fn capture_value(re: &Regex, caps: &Captures, shape: &Shape) -> Value {
    let grab = |m: Option<regex::Match>| m.map_or(Value::Null, |m| Value::string(m.as_str()));
    match shape {
        Shape::Whole => grab(caps.get(0)),
        Shape::Positional => Value::List((1..caps.len()).map(|i| grab(caps.get(i))).collect()),
        Shape::Named => Value::Map(
            re.capture_names()
                .flatten()
                .map(|name| (name.to_string(), grab(caps.name(name))))
                .collect(),
        ),
    }
}

pub(crate) fn regex(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let re = compile(&a.string(0)?, 0)?;
    let shape = shape(&re)?;
    let s = a.string(1)?;
    match re.captures(&s) {
        Some(caps) => Ok(capture_value(&re, &caps, &shape)),
        None => Err(Fail::whole("pattern did not match any part of the given string").plain()),
    }
}

pub(crate) fn regexall(a: &mut Args, _: &Context) -> Result<Value, Fail> {
    let re = compile(&a.string(0)?, 0)?;
    let shape = shape(&re)?;
    let s = a.string(1)?;
    Ok(Value::List(
        re.captures_iter(&s)
            .map(|caps| capture_value(&re, &caps, &shape))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::testutil::*;
    use cairn_core::Value;

    #[test]
    fn case_functions() {
        assert_same(&ok("upper", vec![s("héllo")]), &s("HÉLLO"));
        assert_same(&ok("lower", vec![s("HÉLLO")]), &s("héllo"));
        assert_same(
            &ok("title", vec![s("hello world-wide_web ünïcode")]),
            &s("Hello World-Wide_web Ünïcode"),
        );
        // Numbers convert to strings, as in Terraform.
        assert_same(&ok("upper", vec![n(5.0)]), &s("5"));
        for f in ["upper", "lower", "title"] {
            err_at(
                f,
                vec![list(vec![])],
                Some(0),
                "a string is required, got list",
            );
            err_at(f, vec![Value::Null], Some(0), "must not be null");
        }
    }

    #[test]
    fn trimming() {
        assert_same(&ok("trimspace", vec![s(" \t\n hi \r\n")]), &s("hi"));
        assert_same(&ok("trim", vec![s("?!hello?!"), s("!?")]), &s("hello"));
        assert_same(
            &ok("trimprefix", vec![s("helloworld"), s("hello")]),
            &s("world"),
        );
        assert_same(&ok("trimprefix", vec![s("hello"), s("x")]), &s("hello"));
        assert_same(
            &ok("trimsuffix", vec![s("helloworld"), s("world")]),
            &s("hello"),
        );
        assert_same(&ok("chomp", vec![s("hello\r\n\n")]), &s("hello"));
        assert_same(&ok("chomp", vec![s("a\nb")]), &s("a\nb"));
        err_at("trimspace", vec![map(&[])], Some(0), "got map");
        err_at(
            "trim",
            vec![s("x"), list(vec![])],
            Some(1),
            "\"characters\"",
        );
        err_at(
            "trimprefix",
            vec![s("x"), Value::Null],
            Some(1),
            "must not be null",
        );
        err_at(
            "trimsuffix",
            vec![list(vec![]), s("x")],
            Some(0),
            "\"string\"",
        );
        err_at("chomp", vec![list(vec![])], Some(0), "a string is required");
    }

    #[test]
    fn predicates() {
        assert_same(&ok("startswith", vec![s("hello"), s("he")]), &b(true));
        assert_same(&ok("startswith", vec![s("hello"), s("lo")]), &b(false));
        assert_same(&ok("endswith", vec![s("hello"), s("lo")]), &b(true));
        assert_same(&ok("strcontains", vec![s("hello"), s("ell")]), &b(true));
        assert_same(&ok("strcontains", vec![s("hello"), s("xyz")]), &b(false));
        err_at(
            "startswith",
            vec![s("a"), list(vec![])],
            Some(1),
            "\"prefix\"",
        );
        err_at("endswith", vec![map(&[]), s("a")], Some(0), "\"string\"");
        err_at(
            "strcontains",
            vec![s("a"), Value::Null],
            Some(1),
            "\"substring\"",
        );
    }

    #[test]
    fn strrev_and_indent() {
        assert_same(&ok("strrev", vec![s("héllo")]), &s("olléh"));
        err_at(
            "strrev",
            vec![list(vec![])],
            Some(0),
            "a string is required",
        );
        assert_same(&ok("indent", vec![n(2.0), s("a\nb\n")]), &s("a\n  b\n  "));
        err_at(
            "indent",
            vec![n(-1.0), s("a")],
            Some(0),
            "must not be negative",
        );
        err_at("indent", vec![n(1e12), s("a\nb")], Some(0), "too large");
    }

    #[test]
    fn split_and_join() {
        assert_same(
            &ok("split", vec![s(","), s("a,b,,c")]),
            &strs(&["a", "b", "", "c"]),
        );
        assert_same(&ok("split", vec![s(","), s("")]), &strs(&[""]));
        assert_same(&ok("split", vec![s(""), s("abc")]), &strs(&["a", "b", "c"]));
        err_at("split", vec![s(","), list(vec![])], Some(1), "\"string\"");

        assert_same(&ok("join", vec![s(", "), strs(&["a", "b"])]), &s("a, b"));
        assert_same(
            &ok("join", vec![s("-"), list(vec![n(1.0), b(true)])]),
            &s("1-true"),
        );
        assert_same(
            &ok("join", vec![s("-"), strs(&["a"]), strs(&["b", "c"])]),
            &s("a-b-c"),
        );
        assert_same(&ok("join", vec![s("-"), list(vec![])]), &s(""));
        err_at(
            "join",
            vec![s(","), list(vec![s("a"), Value::Null])],
            Some(1),
            "element 1 is null; cannot concatenate null values",
        );
        err_at(
            "join",
            vec![s(","), strs(&["a"]), list(vec![list(vec![])])],
            Some(2),
            "element 0 of list 2: a string is required, got list",
        );
        err_at(
            "join",
            vec![s(","), s("a")],
            Some(1),
            "a list is required, got string",
        );
    }

    #[test]
    fn substr_counts_characters() {
        let cases = [
            ("hello world", 1.0, 4.0, "ello"),
            ("hello world", -5.0, -1.0, "world"),
            ("hello world", -5.0, 3.0, "wor"),
            ("hello", 0.0, 100.0, "hello"),
            ("hello", 10.0, 2.0, ""),
            ("hello", -10.0, 2.0, "he"),
            ("hello", 2.0, 0.0, ""),
            ("héllo", 1.0, 1.0, "é"),
        ];
        for (st, off, len, want) in cases {
            assert_same(&ok("substr", vec![s(st), n(off), n(len)]), &s(want));
        }
        err_at(
            "substr",
            vec![s("a"), n(0.5), n(1.0)],
            Some(1),
            "\"offset\": a whole number",
        );
        err_at(
            "substr",
            vec![s("a"), n(0.0), s("x")],
            Some(2),
            "\"length\"",
        );
    }

    #[test]
    fn replace_literal_and_regex() {
        assert_same(
            &ok("replace", vec![s("1 + 2 + 3"), s("+"), s("-")]),
            &s("1 - 2 - 3"),
        );
        assert_same(
            &ok(
                "replace",
                vec![s("hello world"), s("/w.*d/"), s("everybody")],
            ),
            &s("hello everybody"),
        );
        assert_same(
            &ok(
                "replace",
                vec![s("key=value"), s("/(\\w+)=(\\w+)/"), s("$2=$1")],
            ),
            &s("value=key"),
        );
        assert_same(
            &ok("replace", vec![s("a-b"), s("/(?P<x>a)/"), s("${x}${x}")]),
            &s("aa-b"),
        );
        // A lone slash is literal.
        assert_same(&ok("replace", vec![s("a/b"), s("/"), s("_")]), &s("a_b"));
        err_at(
            "replace",
            vec![s("x"), s("/(/"), s("y")],
            Some(1),
            "invalid regular expression \"(\"",
        );
        err_at(
            "replace",
            vec![s("x"), s("x"), list(vec![])],
            Some(2),
            "\"replacement\"",
        );
    }

    #[test]
    fn regex_result_shapes() {
        assert_same(
            &ok(
                "regex",
                vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")],
            ),
            &s("aaabbbccc"),
        );
        assert_same(
            &ok(
                "regex",
                vec![s("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), s("2019-02-01")],
            ),
            &strs(&["2019", "02", "01"]),
        );
        assert_same(
            &ok(
                "regex",
                vec![
                    s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                    s("https://terraform.io/docs/"),
                ],
            ),
            &map(&[("authority", s("terraform.io")), ("scheme", s("https"))]),
        );
        // A group that took no part in the match is null.
        assert_same(
            &ok("regex", vec![s("(a)|(b)"), s("b")]),
            &list(vec![Value::Null, s("b")]),
        );
        err_at(
            "regex",
            vec![s("x"), s("abc")],
            None,
            "pattern did not match any part of the given string",
        );
        err_at(
            "regex",
            vec![s("("), s("abc")],
            Some(0),
            "invalid regular expression",
        );
        err_at(
            "regex",
            vec![s("(a)(?P<n>b)"), s("ab")],
            Some(0),
            "cannot mix both named and unnamed capture groups",
        );
    }

    #[test]
    fn regexall_lists_every_match() {
        assert_same(
            &ok("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]),
            &strs(&["abcd", "efgh"]),
        );
        assert_same(&ok("regexall", vec![s("[a-z]+"), s("123")]), &list(vec![]));
        assert_same(
            &ok("regexall", vec![s("(\\w)=(\\d)"), s("a=1 b=2")]),
            &list(vec![strs(&["a", "1"]), strs(&["b", "2"])]),
        );
        err_at(
            "regexall",
            vec![s("[z-a]"), s("x")],
            Some(0),
            "invalid regular expression",
        );
    }
}
