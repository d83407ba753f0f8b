//! The built-in functions of the cairn stack language (`cidrsubnet`,
//! `format`, `merge`, `jsonencode`, `file`, ...), as pure functions over
//! [`cairn_core::Value`], with Terraform's semantics.
//!
//! This crate owns the function table ([`lookup`], [`names`]), arity checks
//! and the mark rules below. It does not own `try`, `can` or `templatefile`:
//! those need the expression evaluator and live in the language crate. The
//! only I/O is `file()`, and it goes through the caller's [`FileSource`] so
//! a saved plan can record every file a stack read.
//!
//! # Mark rules
//!
//! [`call`] applies them uniformly, so no function can forget them:
//!
//! * **Unknown.** Most functions need their whole input: if any argument is
//!   not wholly known, the result is `Unknown` and the body never runs (a
//!   typo in a known argument is then reported on a later plan, once the
//!   unknown resolves, exactly as in Terraform). *Structural* functions,
//!   which only move elements around (`length`, `merge`, `lookup`,
//!   `concat`, ...), run anyway and return `Unknown` only where the part they
//!   need is unknown: `length([Unknown, 1])` is 2, `merge({a = Unknown},
//!   {b = 1})` keeps `a` unknown and `b` known. This is what lets a plan show
//!   most of a value even when some of it is known only after apply.
//! * **Sensitive.** A top-level sensitive argument makes the whole result
//!   sensitive, for every function, because the result is derived from it.
//!   A non-structural function marks its result sensitive if any argument
//!   contains a sensitive value anywhere, since it mixes its inputs.
//!   Structural functions keep element marks where they are, because they
//!   copy elements rather than compute from them, so `merge({a = 1},
//!   {b = sensitive("x")})` has only `b` marked. Where a structural result's
//!   *shape* depends on a marked element's value (`distinct`, `compact`,
//!   `toset`, `contains`, flattening into a marked list, a marked key in
//!   `zipmap`), the whole result is marked, since the shape would otherwise
//!   reveal something about the secret. Map keys are never marked on their
//!   own: a map is sensitive as a whole or its keys are public.
//! * **Errors.** When a result would have been sensitive, error messages
//!   that could quote an argument's value are replaced by one that only
//!   names the argument, so a malformed secret is never printed.
//!
//! Function bodies see through marks (`unmarked()`) when they inspect
//! values, and never panic: arithmetic is checked and indexing is guarded,
//! because every input here comes from a user's stack file.

mod args;
mod cidr;
mod collections;
mod conversions;
mod encoding;
mod files;
mod format;
mod numbers;
mod strings;
#[cfg(test)]
mod testutil;

use std::fmt;
use std::path::Path;

use cairn_core::Value;

use args::{Args, Fail};

/// What a function call may consult besides its arguments.
pub struct Context<'a> {
    /// The directory of the stack or module whose expression is being evaluated: relative paths in file() resolve against it.
    pub base_dir: &'a Path,
    pub files: &'a dyn FileSource,
}

/// Reads files for file(); the caller caches reads so a saved plan can include every file that was read.
pub trait FileSource: Send + Sync {
    fn read(&self, path: &Path) -> Result<String, String>;
}

/// A FileSource reading straight from disk (for tests and simple callers).
pub struct DiskFiles;

impl FileSource for DiskFiles {
    fn read(&self, path: &Path) -> Result<String, String> {
        match std::fs::read(path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
                "the file is not valid UTF-8 text (file() reads text files only)".to_string()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err("no file exists at this path".to_string())
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// The 0-based index of the argument at fault, so the caller can point its caret at that argument; None when the call as a whole is wrong.
    pub arg: Option<usize>,
    pub message: String,
}

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FunctionError {}

type Body = fn(&mut Args, &Context) -> Result<Value, Fail>;

/// One built-in function.
pub struct Function {
    pub name: &'static str,
    /// e.g. "cidrsubnet(prefix, newbits, netnum)": shown in hints.
    pub signature: &'static str,
    pub min_args: usize,
    /// None = variadic.
    pub max_args: Option<usize>,
    /// Receives partially unknown arguments and keeps element marks in
    /// place (see the crate docs).
    structural: bool,
    body: Body,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .field("min_args", &self.min_args)
            .field("max_args", &self.max_args)
            .field("structural", &self.structural)
            .finish()
    }
}

impl Function {
    /// Whether the function handles partially unknown arguments itself and
    /// keeps element marks in place.
    pub fn is_structural(&self) -> bool {
        self.structural
    }
}

const fn def(
    name: &'static str,
    signature: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    body: Body,
) -> Function {
    Function {
        name,
        signature,
        min_args,
        max_args,
        structural: false,
        body,
    }
}

const fn structural(
    name: &'static str,
    signature: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    body: Body,
) -> Function {
    Function {
        name,
        signature,
        min_args,
        max_args,
        structural: true,
        body,
    }
}

const ONE: Option<usize> = Some(1);
const TWO: Option<usize> = Some(2);
const THREE: Option<usize> = Some(3);
const ANY: Option<usize> = None;

/// Sorted by name (a test checks), so `lookup` can binary-search and
/// `names` is already in did-you-mean order.
static TABLE: &[Function] = &[
    def("abs", "abs(number)", 1, ONE, numbers::abs),
    def("abspath", "abspath(path)", 1, ONE, files::abspath),
    def("alltrue", "alltrue(list)", 1, ONE, collections::alltrue),
    def("anytrue", "anytrue(list)", 1, ONE, collections::anytrue),
    def(
        "base64decode",
        "base64decode(string)",
        1,
        ONE,
        encoding::base64decode,
    ),
    def(
        "base64encode",
        "base64encode(string)",
        1,
        ONE,
        encoding::base64encode,
    ),
    def(
        "base64sha256",
        "base64sha256(string)",
        1,
        ONE,
        encoding::base64sha256,
    ),
    def(
        "base64sha512",
        "base64sha512(string)",
        1,
        ONE,
        encoding::base64sha512,
    ),
    def("basename", "basename(path)", 1, ONE, files::basename),
    def("ceil", "ceil(number)", 1, ONE, numbers::ceil),
    def("chomp", "chomp(string)", 1, ONE, strings::chomp),
    def(
        "cidrhost",
        "cidrhost(prefix, hostnum)",
        2,
        TWO,
        cidr::cidrhost,
    ),
    def(
        "cidrnetmask",
        "cidrnetmask(prefix)",
        1,
        ONE,
        cidr::cidrnetmask,
    ),
    def(
        "cidrsubnet",
        "cidrsubnet(prefix, newbits, netnum)",
        3,
        THREE,
        cidr::cidrsubnet,
    ),
    def(
        "cidrsubnets",
        "cidrsubnets(prefix, newbits...)",
        1,
        ANY,
        cidr::cidrsubnets,
    ),
    structural(
        "coalesce",
        "coalesce(values...)",
        1,
        ANY,
        collections::coalesce,
    ),
    structural(
        "coalescelist",
        "coalescelist(lists...)",
        1,
        ANY,
        collections::coalescelist,
    ),
    structural("compact", "compact(list)", 1, ONE, collections::compact),
    structural("concat", "concat(lists...)", 1, ANY, collections::concat),
    structural(
        "contains",
        "contains(list, value)",
        2,
        TWO,
        collections::contains,
    ),
    def("dirname", "dirname(path)", 1, ONE, files::dirname),
    structural("distinct", "distinct(list)", 1, ONE, collections::distinct),
    structural(
        "element",
        "element(list, index)",
        2,
        TWO,
        collections::element,
    ),
    def(
        "endswith",
        "endswith(string, suffix)",
        2,
        TWO,
        strings::endswith,
    ),
    def("file", "file(path)", 1, ONE, files::file),
    structural("flatten", "flatten(list)", 1, ONE, collections::flatten),
    def("floor", "floor(number)", 1, ONE, numbers::floor),
    def("format", "format(spec, values...)", 1, ANY, format::format),
    def(
        "formatlist",
        "formatlist(spec, values...)",
        1,
        ANY,
        format::formatlist,
    ),
    def("indent", "indent(spaces, string)", 2, TWO, strings::indent),
    def("index", "index(list, value)", 2, TWO, collections::index),
    def("join", "join(separator, lists...)", 2, ANY, strings::join),
    def(
        "jsondecode",
        "jsondecode(string)",
        1,
        ONE,
        encoding::jsondecode,
    ),
    def(
        "jsonencode",
        "jsonencode(value)",
        1,
        ONE,
        encoding::jsonencode,
    ),
    structural("keys", "keys(map)", 1, ONE, collections::keys),
    structural("length", "length(value)", 1, ONE, collections::length),
    structural(
        "lookup",
        "lookup(map, key, [default])",
        2,
        THREE,
        collections::lookup,
    ),
    def("lower", "lower(string)", 1, ONE, strings::lower),
    def("max", "max(numbers...)", 1, ANY, numbers::max),
    structural("merge", "merge(maps...)", 0, ANY, collections::merge),
    def("min", "min(numbers...)", 1, ANY, numbers::min),
    structural("one", "one(list)", 1, ONE, collections::one),
    def(
        "parseint",
        "parseint(string, base)",
        2,
        TWO,
        numbers::parseint,
    ),
    def("pow", "pow(base, exponent)", 2, TWO, numbers::pow),
    def(
        "range",
        "range(start_or_limit, [limit], [step])",
        1,
        THREE,
        collections::range,
    ),
    def("regex", "regex(pattern, string)", 2, TWO, strings::regex),
    def(
        "regexall",
        "regexall(pattern, string)",
        2,
        TWO,
        strings::regexall,
    ),
    def(
        "replace",
        "replace(string, substring, replacement)",
        3,
        THREE,
        strings::replace,
    ),
    structural("reverse", "reverse(list)", 1, ONE, collections::reverse),
    def("sha1", "sha1(string)", 1, ONE, encoding::sha1),
    def("sha256", "sha256(string)", 1, ONE, encoding::sha256),
    def("sha512", "sha512(string)", 1, ONE, encoding::sha512),
    def("signum", "signum(number)", 1, ONE, numbers::signum),
    structural(
        "slice",
        "slice(list, start, end)",
        3,
        THREE,
        collections::slice,
    ),
    def("sort", "sort(list)", 1, ONE, collections::sort),
    def("split", "split(separator, string)", 2, TWO, strings::split),
    def(
        "startswith",
        "startswith(string, prefix)",
        2,
        TWO,
        strings::startswith,
    ),
    def(
        "strcontains",
        "strcontains(string, substring)",
        2,
        TWO,
        strings::strcontains,
    ),
    def("strrev", "strrev(string)", 1, ONE, strings::strrev),
    def(
        "substr",
        "substr(string, offset, length)",
        3,
        THREE,
        strings::substr,
    ),
    def("sum", "sum(list)", 1, ONE, numbers::sum),
    def("title", "title(string)", 1, ONE, strings::title),
    def("tobool", "tobool(value)", 1, ONE, conversions::tobool),
    structural("tolist", "tolist(value)", 1, ONE, conversions::tolist),
    structural("tomap", "tomap(value)", 1, ONE, conversions::tomap),
    def("tonumber", "tonumber(value)", 1, ONE, conversions::tonumber),
    structural("toset", "toset(value)", 1, ONE, conversions::toset),
    def("tostring", "tostring(value)", 1, ONE, conversions::tostring),
    def("trim", "trim(string, characters)", 2, TWO, strings::trim),
    def(
        "trimprefix",
        "trimprefix(string, prefix)",
        2,
        TWO,
        strings::trimprefix,
    ),
    def("trimspace", "trimspace(string)", 1, ONE, strings::trimspace),
    def(
        "trimsuffix",
        "trimsuffix(string, suffix)",
        2,
        TWO,
        strings::trimsuffix,
    ),
    def("upper", "upper(string)", 1, ONE, strings::upper),
    def(
        "urlencode",
        "urlencode(string)",
        1,
        ONE,
        encoding::urlencode,
    ),
    structural("values", "values(map)", 1, ONE, collections::values),
    structural(
        "zipmap",
        "zipmap(keys, values)",
        2,
        TWO,
        collections::zipmap,
    ),
];

pub fn lookup(name: &str) -> Option<&'static Function> {
    TABLE
        .binary_search_by(|f| f.name.cmp(name))
        .ok()
        .and_then(|i| TABLE.get(i))
}

/// Every function name, sorted (used for did-you-mean).
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|f| f.name)
}

/// Calls a function: checks arity (error with arg None: "cidrhost expects 2 arguments, got 3"), then applies the mark rules below.
pub fn call(f: &Function, args: Vec<Value>, ctx: &Context) -> Result<Value, FunctionError> {
    check_arity(f, args.len())?;
    let top_marked = args.iter().any(Value::is_sensitive);
    let deep_marked = args.iter().any(Value::contains_sensitive);
    let secret = top_marked || (!f.structural && deep_marked);
    let vals = if f.structural {
        args.into_iter().map(strip_top_mark).collect()
    } else {
        if !args.iter().all(Value::is_wholly_known) {
            return Ok(mark(Value::Unknown, deep_marked));
        }
        // Non-structural bodies compute from their inputs, so the marks are
        // re-applied to the result as a whole and the body never sees them.
        args.iter().map(Value::deep_unmarked).collect()
    };
    let mut a = Args::new(vals, f.signature);
    match (f.body)(&mut a, ctx) {
        Ok(v) => Ok(mark(v, secret)),
        Err(fail) => Err(public_error(f, &a, fail, secret)),
    }
}

fn check_arity(f: &Function, got: usize) -> Result<(), FunctionError> {
    let fits = got >= f.min_args && f.max_args.is_none_or(|max| got <= max);
    if fits {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let expected = match f.max_args {
        None => format!("at least {} {}", f.min_args, plural(f.min_args)),
        Some(max) if max == f.min_args => format!("{max} {}", plural(max)),
        Some(max) if max == f.min_args + 1 => format!("{} or {max} arguments", f.min_args),
        Some(max) => format!("{} to {max} arguments", f.min_args),
    };
    Err(FunctionError {
        arg: None,
        message: format!("{} expects {expected}, got {got}", f.name),
    })
}

fn strip_top_mark(v: Value) -> Value {
    match v {
        Value::Sensitive(inner) => strip_top_mark(*inner),
        other => other,
    }
}

fn mark(v: Value, secret: bool) -> Value {
    if secret {
        Value::sensitive(v)
    } else {
        v
    }
}

fn public_error(f: &Function, a: &Args, fail: Fail, secret: bool) -> FunctionError {
    if !(secret && fail.quotes) {
        return FunctionError {
            arg: fail.arg,
            message: fail.message,
        };
    }
    let message = match fail.arg {
        Some(i) => format!(
            "invalid value for \"{}\" (details hidden because the arguments include a sensitive value)",
            a.param(i)
        ),
        None => format!(
            "{} failed (details hidden because the arguments include a sensitive value)",
            f.name
        ),
    };
    FunctionError {
        arg: fail.arg,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn the_table_is_sorted_unique_and_complete() {
        let all: Vec<&str> = names().collect();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(all, sorted);
        for name in &all {
            let f = lookup(name).expect("every listed name resolves");
            assert_eq!(f.name, *name);
            assert!(
                f.signature.starts_with(&format!("{name}(")),
                "{}",
                f.signature
            );
            assert!(f.max_args.is_none_or(|m| m >= f.min_args));
        }
        assert!(lookup("cidrsubnet").is_some());
        assert!(lookup("nope").is_none());
        // Owned by the language crate: they need the evaluator.
        for reserved in ["try", "can", "templatefile"] {
            assert!(lookup(reserved).is_none(), "{reserved}");
        }
    }

    #[test]
    fn arity_is_checked_before_anything_else() {
        let e = err("cidrhost", vec![s("10.0.0.0/8"), n(1.0), n(2.0)]);
        assert_eq!(e.arg, None);
        assert_eq!(e.message, "cidrhost expects 2 arguments, got 3");
        assert_eq!(
            err("upper", vec![]).message,
            "upper expects 1 argument, got 0"
        );
        assert_eq!(
            err("lookup", vec![map(&[])]).message,
            "lookup expects 2 or 3 arguments, got 1"
        );
        assert_eq!(
            err("range", vec![]).message,
            "range expects 1 to 3 arguments, got 0"
        );
        assert_eq!(
            err("format", vec![]).message,
            "format expects at least 1 argument, got 0"
        );
        // Unknown arguments do not excuse a wrong count.
        assert_eq!(err("upper", vec![Value::Unknown, Value::Unknown]).arg, None);
    }

    #[test]
    fn unknown_arguments_short_circuit_non_structural_functions() {
        // The body would reject the prefix, but it never runs.
        assert_same(
            &ok("cidrsubnet", vec![s("bogus"), n(4.0), Value::Unknown]),
            &Value::Unknown,
        );
        // Unknown at depth counts too.
        assert_same(
            &ok("join", vec![s(","), list(vec![s("a"), Value::Unknown])]),
            &Value::Unknown,
        );
        // ... and a sensitive argument marks the unknown result.
        assert_same(
            &ok(
                "join",
                vec![s(","), list(vec![secret(s("a")), Value::Unknown])],
            ),
            &secret(Value::Unknown),
        );
    }

    #[test]
    fn structural_functions_see_partial_unknowns() {
        assert_same(
            &ok("length", vec![list(vec![Value::Unknown, n(1.0)])]),
            &n(2.0),
        );
        assert_same(&ok("length", vec![Value::Unknown]), &Value::Unknown);
        assert_same(
            &ok(
                "merge",
                vec![map(&[("a", Value::Unknown)]), map(&[("b", n(1.0))])],
            ),
            &map(&[("a", Value::Unknown), ("b", n(1.0))]),
        );
        assert_same(&ok("keys", vec![Value::Unknown]), &Value::Unknown);
    }

    #[test]
    fn sensitive_arguments_mark_results() {
        // Shallow: a top-level mark covers the result of any function.
        assert_same(&ok("upper", vec![secret(s("a"))]), &secret(s("A")));
        assert_same(
            &ok("length", vec![secret(strs(&["a", "b"]))]),
            &secret(n(2.0)),
        );
        // Deep, non-structural: the result mixes its inputs.
        assert_same(
            &ok("join", vec![s("-"), list(vec![s("a"), secret(s("b"))])]),
            &secret(s("a-b")),
        );
        // Deep, structural: marks stay on the elements they were on.
        assert_same(
            &ok(
                "merge",
                vec![map(&[("a", n(1.0))]), map(&[("b", secret(s("x")))])],
            ),
            &map(&[("a", n(1.0)), ("b", secret(s("x")))]),
        );
        assert_same(&ok("length", vec![list(vec![secret(s("a"))])]), &n(1.0));
        // A marked map's keys are as secret as the map.
        assert_same(
            &ok("keys", vec![secret(map(&[("k", n(1.0))]))]),
            &secret(strs(&["k"])),
        );
    }

    #[test]
    fn errors_do_not_quote_sensitive_values() {
        let e = err("tonumber", vec![secret(s("hunter2"))]);
        assert_eq!(e.arg, Some(0));
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(e.message.contains("\"value\""), "{}", e.message);
        // Deep marks count for non-structural functions.
        let e = err(
            "cidrhost",
            vec![s("10.0.0.0/8"), list(vec![secret(s("hunter2"))])],
        );
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        // The same call without the mark shows the details.
        let e = err("tonumber", vec![s("hunter2")]);
        assert!(e.message.contains("hunter2"), "{}", e.message);
        // Messages that quote nothing are kept.
        let e = err("range", vec![n(0.0), n(3.0), secret(n(0.0))]);
        assert_eq!(e.message, "step must not be zero");
    }

    #[test]
    fn disk_files_reads_text_and_names_failures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "hi").unwrap();
        assert_eq!(DiskFiles.read(&p).unwrap(), "hi");
        std::fs::write(&p, [0xff, 0xfe]).unwrap();
        assert!(DiskFiles.read(&p).unwrap_err().contains("UTF-8"));
        assert!(DiskFiles
            .read(&dir.path().join("missing"))
            .unwrap_err()
            .contains("no file"));
    }
}
