//! Type constraints of variables, written as in Terraform:
//! `string`, `number`, `bool`, `any`, `list(T)`, `set(T)`, `map(T)`,
//! `tuple([T, ...])`, `object({ name = T, port = optional(number, 80) })`.
//!
//! A value is *converted* to its variable's type, as Terraform does: `"8"`
//! becomes 8 for a number, optional object attributes are filled in (with
//! their default or null), and what cannot be converted is an error naming
//! where inside the value it is. An object attribute the type does not
//! declare is an error (with a did-you-mean) rather than silently dropped,
//! so a typo in an env file cannot go unnoticed.

use std::collections::BTreeMap;
use std::fmt;

use cairn_core::value::{format_number, PathStep};
use cairn_core::Value;

use crate::parse::SpanMap;
use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum VarType {
    Any,
    String,
    Number,
    Bool,
    List(Box<VarType>),
    Set(Box<VarType>),
    Map(Box<VarType>),
    Tuple(Vec<VarType>),
    Object(BTreeMap<String, ObjectAttr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectAttr {
    pub ty: VarType,
    pub optional: bool,
    /// `optional(T, default)`.
    pub default: Option<crate::expr::LiteralValue>,
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::Any => f.write_str("any"),
            VarType::String => f.write_str("string"),
            VarType::Number => f.write_str("number"),
            VarType::Bool => f.write_str("bool"),
            VarType::List(t) => write!(f, "list({t})"),
            VarType::Set(t) => write!(f, "set({t})"),
            VarType::Map(t) => write!(f, "map({t})"),
            VarType::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            VarType::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if a.optional {
                        write!(f, "{k} = optional({})", a.ty)?;
                    } else {
                        write!(f, "{k} = {}", a.ty)?;
                    }
                }
                f.write_str("})")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    pub span: Span,
    pub message: String,
}

/// Parses a type constraint; `map` places errors inside the string.
pub fn parse(text: &str, map: SpanMap) -> Result<VarType, TypeError> {
    let mut p = P {
        s: text,
        pos: 0,
        map,
    };
    p.ws();
    let t = p.ty(0)?;
    p.ws();
    if p.pos < text.len() {
        return Err(p.err("unexpected text after the type"));
    }
    Ok(t)
}

struct P<'a> {
    s: &'a str,
    pos: usize,
    map: SpanMap<'a>,
}

const HINT: &str = "expected string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]) or object({ name = T, ... })";

impl P<'_> {
    fn err(&self, what: &str) -> TypeError {
        let end = (self.pos + 1).min(self.s.len()).max(self.pos);
        TypeError {
            span: (self.map)(self.pos..end),
            message: format!("invalid type: {what}"),
        }
    }

    fn ws(&mut self) {
        let rest = &self.s[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), TypeError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    fn name(&mut self) -> Option<&str> {
        self.ws();
        let rest = &self.s[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn ty(&mut self, depth: usize) -> Result<VarType, TypeError> {
        if depth > 32 {
            return Err(self.err("nested too deeply"));
        }
        let start = self.pos;
        let Some(name) = self.name() else {
            return Err(self.err(HINT));
        };
        let simple = match name {
            "string" => Some(VarType::String),
            "number" => Some(VarType::Number),
            "bool" => Some(VarType::Bool),
            "any" => Some(VarType::Any),
            _ => None,
        };
        if let Some(t) = simple {
            return Ok(t);
        }
        let name = name.to_string();
        // `list`, `map` alone mean "of any".
        let parenthesised = {
            self.ws();
            self.s[self.pos..].starts_with('(')
        };
        match (name.as_str(), parenthesised) {
            ("list", false) => return Ok(VarType::List(Box::new(VarType::Any))),
            ("set", false) => return Ok(VarType::Set(Box::new(VarType::Any))),
            ("map", false) | ("object", false) => return Ok(VarType::Map(Box::new(VarType::Any))),
            _ => {}
        }
        match name.as_str() {
            "list" | "set" | "map" => {
                self.expect("(")?;
                let inner = Box::new(self.ty(depth + 1)?);
                self.expect(")")?;
                Ok(match name.as_str() {
                    "list" => VarType::List(inner),
                    "set" => VarType::Set(inner),
                    _ => VarType::Map(inner),
                })
            }
            "tuple" => {
                self.expect("(")?;
                self.expect("[")?;
                let mut items = Vec::new();
                while !self.eat("]") {
                    items.push(self.ty(depth + 1)?);
                    if !self.eat(",") {
                        self.expect("]")?;
                        break;
                    }
                }
                self.expect(")")?;
                Ok(VarType::Tuple(items))
            }
            "object" => {
                self.expect("(")?;
                self.expect("{")?;
                let mut attrs = BTreeMap::new();
                loop {
                    if self.eat("}") {
                        break;
                    }
                    let at = self.pos;
                    let Some(key) = self.name().map(str::to_string) else {
                        return Err(self.err("expected an attribute name"));
                    };
                    if !(self.eat("=") || self.eat(":")) {
                        return Err(self.err("expected `=` after the attribute name"));
                    }
                    let attr = self.attr(depth + 1)?;
                    if attrs.insert(key.clone(), attr).is_some() {
                        self.pos = at;
                        return Err(self.err(&format!("attribute `{key}` is declared twice")));
                    }
                    if !self.eat(",") {
                        self.ws();
                        if !self.s[self.pos..].starts_with('}')
                            && !self.s[at..self.pos].contains('\n')
                        {
                            return Err(self.err("expected `,` or `}`"));
                        }
                    }
                }
                self.expect(")")?;
                Ok(VarType::Object(attrs))
            }
            _ => {
                self.pos = start;
                Err(self.err(&format!("unknown type `{name}`; {HINT}")))
            }
        }
    }

    fn attr(&mut self, depth: usize) -> Result<ObjectAttr, TypeError> {
        self.ws();
        let save = self.pos;
        if self.name() == Some("optional") && self.eat("(") {
            let ty = self.ty(depth)?;
            let default = if self.eat(",") {
                self.ws();
                Some(self.default_value()?)
            } else {
                None
            };
            self.expect(")")?;
            return Ok(ObjectAttr {
                ty,
                optional: true,
                default,
            });
        }
        self.pos = save;
        Ok(ObjectAttr {
            ty: self.ty(depth)?,
            optional: false,
            default: None,
        })
    }

    /// The default of `optional(T, default)`: a literal, up to the `)`.
    fn default_value(&mut self) -> Result<crate::expr::LiteralValue, TypeError> {
        let start = self.pos;
        let mut depth = 0i32;
        let mut in_str = false;
        let mut end = None;
        for (i, c) in self.s[start..].char_indices() {
            match c {
                '"' => in_str = !in_str,
                '(' | '[' | '{' if !in_str => depth += 1,
                ')' | ']' | '}' if !in_str => {
                    if depth == 0 {
                        end = Some(start + i);
                        break;
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
        let Some(end) = end else {
            return Err(self.err("expected `)` after the default"));
        };
        let text = &self.s[start..end];
        let map = self.map;
        let shifted = move |r: std::ops::Range<usize>| map(r.start + start..r.end + start);
        let expr = crate::parse::expression(text.trim_end(), &shifted).map_err(|e| TypeError {
            span: e.span,
            message: format!("invalid default: {}", e.message),
        })?;
        let value = crate::eval::literal_value(&expr).ok_or_else(|| TypeError {
            span: expr.span,
            message: "the default of `optional()` must be a literal value".into(),
        })?;
        self.pos = end;
        Ok(crate::expr::LiteralValue(value))
    }
}

/// Where a conversion failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Inside the value, outermost first; empty for the value itself.
    pub steps: Vec<PathStep>,
    pub message: String,
}

impl Mismatch {
    fn new(message: impl Into<String>) -> Self {
        Mismatch {
            steps: Vec::new(),
            message: message.into(),
        }
    }
    fn under(mut self, step: PathStep) -> Self {
        self.steps.insert(0, step);
        self
    }

    /// `name.ports[0]`: the variable's name and the path inside its value.
    pub fn at(&self, name: &str) -> String {
        let mut out = name.to_string();
        for s in &self.steps {
            match s {
                PathStep::Key(k) => out.push_str(&key_path(k)),
                PathStep::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

impl VarType {
    /// Converts `v` to this type. Unknown values convert to anything; marks
    /// are kept where they are.
    pub fn convert(&self, v: &Value) -> Result<Value, Mismatch> {
        self.convert_marked(v, false)
    }

    /// `hide`: inside a sensitive value, errors name kinds, never values.
    fn convert_marked(&self, v: &Value, hide: bool) -> Result<Value, Mismatch> {
        if let Value::Sensitive(inner) = v {
            return self.convert_marked(inner, true).map(Value::sensitive);
        }
        if matches!(v, Value::Unknown | Value::Null) {
            return Ok(v.clone());
        }
        let expected =
            |t: &VarType| Mismatch::new(format!("expected {t}, found {}", found(v, hide)));
        match self {
            VarType::Any => Ok(v.clone()),
            VarType::String => match v {
                Value::String(_) => Ok(v.clone()),
                Value::Number(n) => Ok(Value::String(format_number(*n))),
                Value::Bool(b) => Ok(Value::String(b.to_string())),
                _ => Err(expected(self)),
            },
            VarType::Number => match v {
                Value::Number(_) => Ok(v.clone()),
                Value::String(s) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Value::Number)
                    .ok_or_else(|| expected(self)),
                _ => Err(expected(self)),
            },
            VarType::Bool => match v {
                Value::Bool(_) => Ok(v.clone()),
                Value::String(s) if s == "true" => Ok(Value::Bool(true)),
                Value::String(s) if s == "false" => Ok(Value::Bool(false)),
                _ => Err(expected(self)),
            },
            VarType::List(t) | VarType::Set(t) => {
                let Value::List(items) = v else {
                    return Err(expected(self));
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let c = t
                        .convert_marked(item, hide)
                        .map_err(|m| m.under(PathStep::Index(i)))?;
                    if matches!(self, VarType::Set(_)) && out.iter().any(|o: &Value| o.same_as(&c))
                    {
                        continue;
                    }
                    out.push(c);
                }
                Ok(Value::List(out))
            }
            VarType::Tuple(ts) => {
                let Value::List(items) = v else {
                    return Err(expected(self));
                };
                if items.len() != ts.len() {
                    return Err(Mismatch::new(format!(
                        "expected {self} ({} elements), found a list of {}",
                        ts.len(),
                        items.len()
                    )));
                }
                ts.iter()
                    .zip(items)
                    .enumerate()
                    .map(|(i, (t, item))| {
                        t.convert_marked(item, hide)
                            .map_err(|m| m.under(PathStep::Index(i)))
                    })
                    .collect::<Result<_, _>>()
                    .map(Value::List)
            }
            VarType::Map(t) => {
                let Value::Map(m) = v else {
                    return Err(expected(self));
                };
                m.iter()
                    .map(|(k, item)| {
                        Ok((
                            k.clone(),
                            t.convert_marked(item, hide)
                                .map_err(|e| e.under(PathStep::Key(k.clone())))?,
                        ))
                    })
                    .collect::<Result<_, _>>()
                    .map(Value::Map)
            }
            VarType::Object(attrs) => {
                let Value::Map(m) = v else {
                    return Err(expected(self));
                };
                for k in m.keys() {
                    if !attrs.contains_key(k) {
                        let hint = crate::didyoumean::suggest(k, attrs.keys().map(String::as_str))
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                format!(
                                    "; the type declares {}",
                                    attrs
                                        .keys()
                                        .map(|a| format!("`{a}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            });
                        // Pointing at the attribute itself.
                        return Err(Mismatch::new(format!("unexpected attribute `{k}`{hint}"))
                            .under(PathStep::Key(k.clone())));
                    }
                }
                let mut out = BTreeMap::new();
                for (k, a) in attrs {
                    let value = match m.get(k) {
                        Some(item) if !item.is_null() => {
                            a.ty.convert_marked(item, hide)
                                .map_err(|e| e.under(PathStep::Key(k.clone())))?
                        }
                        _ if a.optional => a
                            .default
                            .as_ref()
                            .map(|d| d.0.clone())
                            .unwrap_or(Value::Null),
                        Some(null) => null.clone(),
                        None => {
                            return Err(Mismatch::new(format!(
                                "attribute `{k}` is required ({})",
                                a.ty
                            )))
                        }
                    };
                    out.insert(k.clone(), value);
                }
                Ok(Value::Map(out))
            }
        }
    }
}

fn key_path(k: &str) -> String {
    if k.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !k.is_empty()
    {
        format!(".{k}")
    } else {
        format!("[\"{k}\"]")
    }
}

fn found(v: &Value, hide: bool) -> String {
    if hide {
        return format!("a sensitive {}", v.kind());
    }
    match v {
        Value::String(s) if s.chars().count() <= 40 => format!("the string \"{s}\""),
        Value::Number(n) => format!("the number {}", format_number(*n)),
        Value::Bool(b) => format!("`{b}`"),
        other => format!("a {}", other.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn t(s: &str) -> VarType {
        parse(s, &|r| Span::new(FileId(0), r)).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn v(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn parses_and_prints_type_constraints() {
        for s in [
            "string",
            "list(string)",
            "map(list(number))",
            "set(bool)",
            "tuple([string, number])",
            "object({name = string, port = optional(number)})",
        ] {
            assert_eq!(t(s).to_string(), s);
        }
        assert_eq!(t("map"), VarType::Map(Box::new(VarType::Any)));
        let multi = t("object({\n  name = string\n  tags = optional(map(string), {})\n})");
        let VarType::Object(attrs) = multi else {
            panic!()
        };
        assert!(attrs["tags"].optional);
        assert!(attrs["tags"].default.is_some());
    }

    #[test]
    fn type_errors_point_inside_the_string() {
        let e = parse("map(strng)", &|r| Span::new(FileId(0), r)).unwrap_err();
        assert_eq!(e.span.start, 4);
        assert!(e.message.contains("unknown type `strng`"), "{}", e.message);
        let e = parse("list(string", &|r| Span::new(FileId(0), r)).unwrap_err();
        assert!(e.message.contains("expected `)`"), "{}", e.message);
        let e = parse("object({a = string, a = number})", &|r| {
            Span::new(FileId(0), r)
        })
        .unwrap_err();
        assert!(e.message.contains("declared twice"), "{}", e.message);
    }

    #[test]
    fn converts_like_terraform_and_names_the_inner_path() {
        assert_eq!(
            t("number").convert(&"8".into()).unwrap().as_f64(),
            Some(8.0)
        );
        assert_eq!(
            t("string").convert(&Value::Number(3.0)).unwrap().as_str(),
            Some("3")
        );
        assert_eq!(
            t("bool").convert(&"true".into()).unwrap().as_bool(),
            Some(true)
        );
        let e = t("map(number)")
            .convert(&v(&[("a", "x".into())]))
            .unwrap_err();
        assert_eq!(e.at("v"), "v.a");
        assert!(e.message.contains("expected number"), "{}", e.message);
        let ty = t("map(object({ cpu = number, memory = optional(number, 512), port = optional(number) }))");
        let converted = ty
            .convert(&v(&[("api", v(&[("cpu", Value::Number(256.0))]))]))
            .unwrap();
        let api = converted.as_map().unwrap()["api"].as_map().unwrap().clone();
        assert_eq!(api["memory"].as_f64(), Some(512.0));
        assert!(api["port"].is_null());
        let e = ty
            .convert(&v(&[("api", v(&[("cpus", Value::Number(1.0))]))]))
            .unwrap_err();
        assert!(e.message.contains("did you mean `cpu`"), "{}", e.message);
        let e = ty.convert(&v(&[("api", v(&[]))])).unwrap_err();
        assert!(e.message.contains("`cpu` is required"), "{}", e.message);
        assert_eq!(e.at("v"), "v.api");
        let set = t("set(string)")
            .convert(&Value::from(vec!["a".to_string(), "a".to_string()]))
            .unwrap();
        assert_eq!(set.as_list().unwrap().len(), 1);
        assert!(t("number")
            .convert(&Value::sensitive("5".into()))
            .unwrap()
            .is_sensitive());
        let e = t("number")
            .convert(&Value::sensitive("hunter2".into()))
            .unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        assert!(t("number").convert(&Value::Unknown).unwrap().is_unknown());
    }
}
