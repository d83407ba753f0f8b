//! The dynamic value tree that flows from stack files through the plan into
//! state, with two marks that must never be lost on the way:
//!
//! * `Unknown`: not known until apply ("known after apply"); may appear at any
//!   depth (a list whose second element is unknown).
//! * `Sensitive`: a wrapper mark. References, interpolation and functions
//!   propagate it because they see the wrapper, and nothing removes it except
//!   an explicit call (`unmarked`, `deep_unmarked`) at a boundary that needs
//!   the raw value (a provider's API call, the state file's `sensitive_paths`).
//!
//! Equality for diffing (`same_as`) ignores marks; rendering honours them.

use std::collections::BTreeMap;
use std::fmt;

pub type Object = BTreeMap<String, Value>;

#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(Object),
    Unknown,
    Sensitive(Box<Value>),
}

/// One step of a path into a value: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

pub type Path = Vec<PathStep>;

/// Renders a path as `tags.Owner` / `ingress[0].cidr_blocks`.
pub fn path_to_string(path: &[PathStep]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            PathStep::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathStep::Index(i) => {
                out.push_str(&format!("[{i}]"));
            }
        }
    }
    out
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// Marks a value sensitive (idempotent).
    pub fn sensitive(v: Value) -> Value {
        match v {
            Value::Sensitive(_) => v,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// The value behind a top-level sensitive mark, for reading only.
    pub fn unmarked(&self) -> &Value {
        match self {
            Value::Sensitive(inner) => inner.unmarked(),
            v => v,
        }
    }

    /// A copy with every mark removed. Only for boundaries that must send the
    /// raw value somewhere that is not an output stream (AWS API, state body).
    pub fn deep_unmarked(&self) -> Value {
        match self {
            Value::Sensitive(inner) => inner.deep_unmarked(),
            Value::List(items) => Value::List(items.iter().map(Value::deep_unmarked).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.deep_unmarked()))
                    .collect(),
            ),
            v => v.clone(),
        }
    }

    pub fn is_sensitive(&self) -> bool {
        matches!(self, Value::Sensitive(_))
    }

    /// True if this value or anything inside it carries the sensitive mark.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_sensitive),
            Value::Map(m) => m.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.unmarked(), Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.unmarked(), Value::Unknown)
    }

    /// True if no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(inner) => inner.is_wholly_known(),
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.unmarked() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.unmarked() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.unmarked() {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| n as i64)
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmarked() {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Object> {
        match self.unmarked() {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown => "unknown",
            Value::Sensitive(inner) => inner.kind(),
        }
    }

    /// Equality for diffing: ignores sensitive marks. Unknown equals nothing,
    /// not even another unknown (it is a change until proven otherwise).
    pub fn same_as(&self, other: &Value) -> bool {
        match (self.unmarked(), other.unmarked()) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
            }
            _ => false,
        }
    }

    /// Follows a path through maps and lists (seeing through marks).
    pub fn get_path(&self, path: &[PathStep]) -> Option<&Value> {
        let mut cur = self;
        for step in path {
            cur = match (cur.unmarked(), step) {
                (Value::Map(m), PathStep::Key(k)) => m.get(k)?,
                (Value::List(l), PathStep::Index(i)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Every path that carries a sensitive mark (outermost marks only).
    pub fn sensitive_paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        collect_marked(self, &mut Vec::new(), &mut out);
        out
    }

    /// Re-applies sensitive marks at the given paths (the inverse of
    /// `deep_unmarked` + `sensitive_paths`). Paths that no longer exist are
    /// ignored.
    pub fn mark_paths(&mut self, paths: &[Path]) {
        for path in paths {
            mark_at(self, path);
        }
    }

    /// Converts to JSON with marks dropped. Unknown values have no JSON form;
    /// callers that may hold unknowns must map them first.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null | Value::Unknown => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null)
    }
}

fn collect_marked(v: &Value, path: &mut Path, out: &mut Vec<Path>) {
    match v {
        Value::Sensitive(_) => out.push(path.clone()),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                collect_marked(item, path, out);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, item) in m {
                path.push(PathStep::Key(k.clone()));
                collect_marked(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn mark_at(v: &mut Value, path: &[PathStep]) {
    let Some((first, rest)) = path.split_first() else {
        let inner = std::mem::take(v);
        *v = Value::sensitive(inner);
        return;
    };
    let target = match v {
        Value::Sensitive(inner) => return mark_at(inner, path),
        Value::Map(m) => match first {
            PathStep::Key(k) => m.get_mut(k),
            PathStep::Index(_) => None,
        },
        Value::List(l) => match first {
            PathStep::Index(i) => l.get_mut(*i),
            PathStep::Key(_) => None,
        },
        _ => None,
    };
    if let Some(t) = target {
        mark_at(t, rest);
    }
}

/// Formats a number the way stack files write it: integers without `.0`.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Plain display, for diagnostics about values that are known not to be
/// sensitive. Sensitive parts still render as `(sensitive value)`: `Display`
/// can never leak a secret.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n as f64)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(n as f64)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Value::Null)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn equality_ignores_marks_but_not_unknowns() {
        assert!(Value::sensitive("a".into()).same_as(&"a".into()));
        assert!(!Value::Unknown.same_as(&Value::Unknown));
        assert!(!Value::from(1).same_as(&"1".into()));
    }

    #[test]
    fn display_never_prints_a_sensitive_value() {
        let v = obj(&[
            ("password", Value::sensitive("hunter2".into())),
            ("user", "admin".into()),
        ]);
        let shown = v.to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("admin"));
    }

    #[test]
    fn marks_round_trip_through_paths() {
        let v = obj(&[
            ("a", Value::sensitive("x".into())),
            (
                "b",
                Value::List(vec![Value::from(1), Value::sensitive(Value::from(2))]),
            ),
        ]);
        let paths = v.sensitive_paths();
        assert_eq!(paths.len(), 2);
        let mut plain = v.deep_unmarked();
        assert!(!plain.contains_sensitive());
        plain.mark_paths(&paths);
        assert_eq!(plain.sensitive_paths(), paths);
        assert_eq!(path_to_string(&paths[1]), "b[1]");
    }

    #[test]
    fn knownness_is_deep() {
        let v = Value::List(vec![Value::from(1), Value::sensitive(Value::Unknown)]);
        assert!(!v.is_wholly_known());
        assert!(Value::from(vec!["a", "b"]).is_wholly_known());
    }

    #[test]
    fn json_round_trip_keeps_integers_integral() {
        let v = obj(&[
            ("n", Value::from(443)),
            ("f", Value::Number(1.5)),
            ("s", "x".into()),
        ]);
        let j = v.to_json();
        assert_eq!(j.to_string(), r#"{"f":1.5,"n":443,"s":"x"}"#);
        assert!(Value::from_json(&j).same_as(&v));
    }
}

/// Typed reads of an object's attributes, for providers: an attribute that
/// is absent, null, unknown or of another type reads as `None` (or empty).
pub trait Attrs {
    fn str(&self, name: &str) -> Option<&str>;
    fn bool(&self, name: &str) -> Option<bool>;
    fn i64(&self, name: &str) -> Option<i64>;
    /// The strings of a list or set attribute (other elements skipped).
    fn strings(&self, name: &str) -> Vec<String>;
}

impl Attrs for Object {
    fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
    fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }
    fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_i64)
    }
    fn strings(&self, name: &str) -> Vec<String> {
        self.get(name)
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }
}

#[cfg(test)]
mod attrs_tests {
    use super::*;

    #[test]
    fn typed_reads_see_through_marks_and_miss_on_other_types() {
        let o: Object = [
            ("name".to_string(), Value::sensitive("x".into())),
            ("on".to_string(), true.into()),
            ("n".to_string(), 3.into()),
            ("ids".to_string(), Value::from(vec!["a", "b"])),
            ("later".to_string(), Value::Unknown),
        ]
        .into();
        assert_eq!(o.str("name"), Some("x"));
        assert_eq!(o.bool("on"), Some(true));
        assert_eq!(o.i64("n"), Some(3));
        assert_eq!(o.strings("ids"), ["a", "b"]);
        assert_eq!(o.str("later"), None);
        assert_eq!(o.str("n"), None);
        assert!(o.strings("absent").is_empty());
    }
}
