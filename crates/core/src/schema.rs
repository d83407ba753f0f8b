//! Resource schemas: the one source of truth for what an attribute is. The
//! language crate checks stack files against them, the engine diffs by them,
//! and `cairn schema` / the docs are generated from them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::value::{format_number, Value};

#[derive(Debug, Clone)]
pub enum Type {
    Any,
    Bool,
    Number,
    String,
    /// A string holding a JSON document (policies): compared semantically.
    JsonString,
    List(Box<Type>),
    /// Compared without regard to order.
    Set(Box<Type>),
    Map(Box<Type>),
    /// A nested block with its own attributes.
    Object(Arc<Schema>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn object(s: Schema) -> Type {
        Type::Object(Arc::new(s))
    }

    /// Fills a configured nested block's own defaults, as the plan does at
    /// the top level: `health_check = { path = "/health" }` means the
    /// default interval, not "no interval".
    pub fn fill_defaults(&self, v: &mut Value) {
        match (self, v) {
            (Type::Object(schema), Value::Map(m)) => {
                for (name, attr) in &schema.attributes {
                    match m.get_mut(*name).filter(|v| !v.is_null()) {
                        Some(v) => attr.ty.fill_defaults(v),
                        None => {
                            if let Some(d) = &attr.default {
                                m.insert(name.to_string(), d.clone());
                            }
                        }
                    }
                }
            }
            (Type::List(t) | Type::Set(t), Value::List(items)) => {
                for item in items {
                    t.fill_defaults(item);
                }
            }
            _ => {}
        }
    }

    /// Checks a value against the type. Unknown values conform to every
    /// type; marks are looked through. On mismatch returns the path inside
    /// the value (empty for the value itself) and a description.
    pub fn check(&self, v: &Value) -> Result<(), TypeMismatch> {
        let v = v.unmarked();
        if matches!(v, Value::Unknown | Value::Null) {
            return Ok(());
        }
        let mismatch = || TypeMismatch {
            path: String::new(),
            expected: self.to_string(),
            found: v.kind().to_string(),
        };
        match (self, v) {
            (Type::Any, _) => Ok(()),
            (Type::Bool, Value::Bool(_)) => Ok(()),
            (Type::Number, Value::Number(_)) => Ok(()),
            (Type::String, Value::String(_)) => Ok(()),
            (Type::JsonString, Value::String(s)) => serde_json::from_str::<serde_json::Value>(s)
                .map(|_| ())
                .map_err(|e| TypeMismatch {
                    path: String::new(),
                    expected: "a JSON document".into(),
                    found: format!("invalid JSON ({e})"),
                }),
            (Type::List(t) | Type::Set(t), Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    t.check(item).map_err(|m| m.under(&format!("[{i}]")))?;
                }
                Ok(())
            }
            (Type::Map(t), Value::Map(m)) => {
                for (k, item) in m {
                    t.check(item).map_err(|e| e.under(&format!(".{k}")))?;
                }
                Ok(())
            }
            (Type::Object(schema), Value::Map(m)) => {
                for (k, item) in m {
                    match schema.get(k) {
                        Some(attr) => attr.ty.check(item).map_err(|e| e.under(&format!(".{k}")))?,
                        None => {
                            return Err(TypeMismatch {
                                path: format!(".{k}"),
                                expected: format!(
                                    "one of: {}",
                                    schema.names().collect::<Vec<_>>().join(", ")
                                ),
                                found: format!("unknown attribute `{k}`"),
                            })
                        }
                    }
                }
                Ok(())
            }
            _ => Err(mismatch()),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::JsonString => f.write_str("string (JSON)"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Object(_) => f.write_str("object"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMismatch {
    /// Where inside the value, e.g. `[0].from_port`.
    pub path: String,
    pub expected: String,
    pub found: String,
}

impl TypeMismatch {
    /// "wrong type for `ingress[0].from_port`: expected number, found string".
    pub fn message(&self, attribute: &str) -> String {
        format!(
            "wrong type for `{attribute}{}`: expected {}, found {}",
            self.path, self.expected, self.found
        )
    }

    fn under(mut self, prefix: &str) -> Self {
        self.path = format!("{prefix}{}", self.path);
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Set by the provider only; configuring it is an error.
    Computed,
    /// May be configured; when it is not, the live value is kept.
    OptionalComputed,
}

/// Offline checks of a known value, made at validate time so that AWS does
/// not reject it at apply time.
#[derive(Clone)]
pub enum Check {
    /// An IPv4 network in CIDR notation with no host bits set.
    Ipv4Cidr,
    OneOf(&'static [&'static str]),
    Range(i64, i64),
    Custom(fn(&Value) -> Result<(), String>),
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Ipv4Cidr => f.write_str("Ipv4Cidr"),
            Check::OneOf(v) => write!(f, "OneOf({v:?})"),
            Check::Range(a, b) => write!(f, "Range({a}, {b})"),
            Check::Custom(_) => f.write_str("Custom"),
        }
    }
}

impl Check {
    /// Runs the check on a known value; unknown values pass.
    pub fn run(&self, v: &Value) -> Result<(), String> {
        let v = v.unmarked();
        if !v.is_wholly_known() || v.is_null() {
            return Ok(());
        }
        match self {
            Check::Ipv4Cidr => match v.as_str() {
                Some(s) => parse_ipv4_cidr(s).map(|_| ()),
                None => Ok(()),
            },
            Check::OneOf(allowed) => match v.as_str() {
                Some(s) if !allowed.contains(&s) => {
                    Err(format!("must be one of {}", allowed.join(", ")))
                }
                _ => Ok(()),
            },
            Check::Range(lo, hi) => match v.as_f64() {
                Some(n) if n < *lo as f64 || n > *hi as f64 => Err(format!(
                    "must be between {lo} and {hi}, got {}",
                    format_number(n)
                )),
                _ => Ok(()),
            },
            Check::Custom(f) => f(v),
        }
    }
}

/// Parses `a.b.c.d/n` into (network address, prefix length), rejecting host
/// bits: AWS refuses `10.0.0.1/24` for a VPC.
pub fn parse_ipv4_cidr(s: &str) -> Result<(u32, u8), String> {
    let (ip, len) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not in CIDR notation (expected a.b.c.d/n)"))?;
    let octets: Vec<&str> = ip.split('.').collect();
    if octets.len() != 4 {
        return Err(format!("`{s}` is not an IPv4 CIDR block"));
    }
    let mut addr: u32 = 0;
    for o in octets {
        let n: u8 = o
            .parse()
            .map_err(|_| format!("`{s}` is not an IPv4 CIDR block"))?;
        addr = (addr << 8) | n as u32;
    }
    let len: u8 = len
        .parse()
        .ok()
        .filter(|l| *l <= 32)
        .ok_or_else(|| format!("`{s}` has an invalid prefix length"))?;
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    if addr & !mask != 0 {
        let net = addr & mask;
        return Err(format!(
            "`{s}` is not a valid network: host bits are set (did you mean {}.{}.{}.{}/{len}?)",
            net >> 24,
            (net >> 16) & 255,
            (net >> 8) & 255,
            net & 255
        ));
    }
    Ok((addr, len))
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub ty: Type,
    pub presence: Presence,
    pub force_new: bool,
    pub sensitive: bool,
    pub default: Option<Value>,
    pub checks: Vec<Check>,
    pub description: &'static str,
    /// The one spelling of a value that AWS and users may write several
    /// ways (a document with defaults filled in): applied to configured
    /// values before they are compared, and by the provider to what it
    /// reads, so equal meanings compare equal.
    pub canonical: Option<fn(&str) -> Option<String>>,
}

impl Attribute {
    pub fn new(ty: Type) -> Self {
        Attribute {
            ty,
            presence: Presence::Optional,
            force_new: false,
            sensitive: false,
            default: None,
            checks: Vec::new(),
            description: "",
            canonical: None,
        }
    }
    pub fn string() -> Self {
        Self::new(Type::String)
    }
    pub fn bool() -> Self {
        Self::new(Type::Bool)
    }
    pub fn number() -> Self {
        Self::new(Type::Number)
    }
    pub fn required(mut self) -> Self {
        self.presence = Presence::Required;
        self
    }
    pub fn computed(mut self) -> Self {
        self.presence = Presence::Computed;
        self
    }
    pub fn optional_computed(mut self) -> Self {
        self.presence = Presence::OptionalComputed;
        self
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn default(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self
    }
    pub fn check(mut self, c: Check) -> Self {
        self.checks.push(c);
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    /// Sets the canonical form of a string attribute (see `canonical`);
    /// `f` returns `None` for a value it cannot read, which stays as is.
    pub fn canonical(mut self, f: fn(&str) -> Option<String>) -> Self {
        self.canonical = Some(f);
        self
    }
    /// A configured, non-null value as the plan holds it: nested defaults
    /// filled in, then in canonical form.
    pub fn prepare(&self, v: &mut Value) {
        self.ty.fill_defaults(v);
        if let (Some(f), Value::String(s)) = (self.canonical, &*v) {
            if let Some(c) = f(s) {
                *v = Value::String(c);
            }
        }
    }
    pub fn is_configurable(&self) -> bool {
        self.presence != Presence::Computed
    }
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub attributes: BTreeMap<&'static str, Attribute>,
    pub description: &'static str,
}

impl Schema {
    pub fn new() -> Self {
        Schema::default()
    }
    pub fn attr(mut self, name: &'static str, a: Attribute) -> Self {
        self.attributes.insert(name, a);
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attributes.get(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.attributes.keys().copied()
    }
    /// `tags` (in place) and `tags_all` (computed: tags with default tags), the
    /// pair every taggable resource type has, as in the Terraform provider.
    pub fn with_tags(self) -> Self {
        self.attr(
            "tags",
            Attribute::new(Type::map(Type::String))
                .describe("Tags for this resource, merged over the provider's default_tags."),
        )
        .attr(
            "tags_all",
            Attribute::new(Type::map(Type::String))
                .computed()
                .describe("All tags applied, default_tags included."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_check_rejects_host_bits_and_garbage() {
        assert!(parse_ipv4_cidr("10.40.0.0/24").is_ok());
        let e = parse_ipv4_cidr("10.40.0.1/24").unwrap_err();
        assert!(e.contains("10.40.0.0/24"), "{e}");
        assert!(parse_ipv4_cidr("10.40.0.0").is_err());
        assert!(parse_ipv4_cidr("10.400.0.0/16").is_err());
        assert!(parse_ipv4_cidr("10.0.0.0/33").is_err());
    }

    #[test]
    fn type_check_reports_the_inner_path() {
        let rule = Schema::new().attr("from_port", Attribute::number());
        let t = Type::list(Type::object(rule));
        let v = Value::List(vec![Value::Map(
            [("from_port".to_string(), Value::from("x"))].into(),
        )]);
        let e = t.check(&v).unwrap_err();
        assert_eq!(e.path, "[0].from_port");
        assert_eq!(e.expected, "number");
        assert!(Type::String.check(&Value::Unknown).is_ok());
    }
}
