//! Resource instance addresses in Terraform's notation:
//! `module.network["eu"].aws_subnet.private["a"]`, `data.aws_vpc.main`.
//!
//! One type names an instance everywhere (diagnostics, plan, state keys, JSON,
//! `--target`), so it carries a module path and an instance key from day one.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InstanceKey {
    Int(u64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => {
                f.write_str("[\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"]")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleStep {
    pub name: String,
    pub key: Option<InstanceKey>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub module: Vec<ModuleStep>,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    pub key: Option<InstanceKey>,
}

impl Address {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            module: Vec::new(),
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
            key: None,
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Address {
            mode: Mode::Data,
            ..Address::managed(type_name, name)
        }
    }

    pub fn with_key(mut self, key: InstanceKey) -> Self {
        self.key = Some(key);
        self
    }

    pub fn is_data(&self) -> bool {
        self.mode == Mode::Data
    }

    /// Whether an address as written in state (`module.data.aws_vpc.x`,
    /// `aws_vpc.x["api.data.example"]`) names a data source: by its parsed
    /// mode, never by looking for `data.` in the text. Text that does not
    /// parse is taken as managed, so it is refreshed and destroyed rather
    /// than silently forgotten.
    pub fn text_is_data(text: &str) -> bool {
        text.parse::<Address>().is_ok_and(|a| a.is_data())
    }

    /// `module.network.module.subnets["a"]`, or empty at the root.
    pub fn module_path(&self) -> String {
        self.module
            .iter()
            .map(|step| match &step.key {
                Some(k) => format!("module.{}{k}", step.name),
                None => format!("module.{}", step.name),
            })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The address without its instance key: the configuration block it came from.
    pub fn config_address(&self) -> Address {
        Address {
            key: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_empty() {
            write!(f, "{}.", self.module_path())?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid address `{input}`: {reason}")]
pub struct AddressParseError {
    pub input: String,
    pub reason: String,
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddressParseError {
            input: input.to_string(),
            reason: reason.into(),
        };
        let mut p = Parser { s: input, pos: 0 };
        let mut module = Vec::new();
        let mut mode = Mode::Managed;
        loop {
            let ident = p.ident().ok_or_else(|| err("expected a name"))?;
            if ident == "module" {
                p.expect('.')
                    .map_err(|_| err("expected `.` after `module`"))?;
                let name = p.ident().ok_or_else(|| err("expected a module name"))?;
                let key = p.key().map_err(|r| err(&r))?;
                module.push(ModuleStep {
                    name: name.to_string(),
                    key,
                });
                p.expect('.')
                    .map_err(|_| err("expected `.` after the module name"))?;
                continue;
            }
            let type_name = if ident == "data" && mode == Mode::Managed {
                mode = Mode::Data;
                p.expect('.')
                    .map_err(|_| err("expected `.` after `data`"))?;
                p.ident()
                    .ok_or_else(|| err("expected a data source type"))?
            } else {
                ident
            };
            p.expect('.').map_err(|_| err("expected `TYPE.NAME`"))?;
            let name = p.ident().ok_or_else(|| err("expected a resource name"))?;
            let key = p.key().map_err(|r| err(&r))?;
            if p.pos != p.s.len() {
                return Err(err("unexpected text after the address"));
            }
            return Ok(Address {
                module,
                mode,
                type_name: type_name.to_string(),
                name: name.to_string(),
                key,
            });
        }
    }
}

/// What `--target`, `--exclude` and `moved` blocks name: a resource (all
/// of its instances, or one) or a module (all of its instances, or one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Module(Vec<ModuleStep>),
    /// Without an instance key it means every instance.
    Resource(Address),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(steps) => {
                let a = Address {
                    module: steps.clone(),
                    ..Address::managed("x", "x")
                };
                f.write_str(&a.module_path())
            }
            Target::Resource(a) => write!(f, "{a}"),
        }
    }
}

impl FromStr for Target {
    type Err = AddressParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if let Ok(a) = input.parse::<Address>() {
            return Ok(Target::Resource(a));
        }
        let err = |reason: &str| AddressParseError {
            input: input.to_string(),
            reason: reason.into(),
        };
        let mut p = Parser { s: input, pos: 0 };
        let mut steps = Vec::new();
        loop {
            if p.ident() != Some("module") || p.expect('.').is_err() {
                return Err(err(
                    "expected a resource address (aws_vpc.main, aws_subnet.private[\"a\"]) or a module (module.network)",
                ));
            }
            let name = p.ident().ok_or_else(|| err("expected a module name"))?;
            let key = p.key().map_err(|r| err(&r))?;
            steps.push(ModuleStep {
                name: name.to_string(),
                key,
            });
            if p.pos == p.s.len() {
                return Ok(Target::Module(steps));
            }
            if p.expect('.').is_err() {
                return Err(err("unexpected text after the module"));
            }
            // What follows must be another module step: a resource after
            // modules parses as an Address above.
        }
    }
}

fn step_matches(pattern: &ModuleStep, step: &ModuleStep) -> bool {
    pattern.name == step.name && (pattern.key.is_none() || pattern.key == step.key)
}

impl Target {
    /// Whether the address is (an instance of) what this names. A module
    /// step or resource without a key matches every key.
    pub fn matches(&self, a: &Address) -> bool {
        match self {
            Target::Module(steps) => {
                a.module.len() >= steps.len()
                    && steps.iter().zip(&a.module).all(|(p, s)| step_matches(p, s))
            }
            Target::Resource(t) => {
                t.module.len() == a.module.len()
                    && t.module
                        .iter()
                        .zip(&a.module)
                        .all(|(p, s)| step_matches(p, s))
                    && t.mode == a.mode
                    && t.type_name == a.type_name
                    && t.name == a.name
                    && (t.key.is_none() || t.key == a.key)
            }
        }
    }

    /// Where a `moved` block from `self` to `to` puts the address, or
    /// `None` if it is not moved. Keys the endpoints leave out are kept.
    pub fn move_address(&self, to: &Target, a: &Address) -> Option<Address> {
        if !self.matches(a) {
            return None;
        }
        match (self, to) {
            (Target::Resource(from), Target::Resource(dest)) => {
                let key = match (&from.key, &dest.key) {
                    (None, None) => a.key.clone(),
                    (_, k) => k.clone(),
                };
                Some(Address {
                    key,
                    ..dest.clone()
                })
            }
            (Target::Module(from), Target::Module(dest)) => {
                let mut module = dest.clone();
                if let (Some(last), Some(f)) = (module.last_mut(), from.last()) {
                    if last.key.is_none() && f.key.is_none() {
                        last.key = a.module[from.len() - 1].key.clone();
                    }
                }
                module.extend(a.module[from.len()..].iter().cloned());
                Some(Address {
                    module,
                    ..a.clone()
                })
            }
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn ident(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn expect(&mut self, c: char) -> Result<(), ()> {
        if self.rest().starts_with(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(())
        }
    }

    fn key(&mut self) -> Result<Option<InstanceKey>, String> {
        if self.expect('[').is_err() {
            return Ok(None);
        }
        let key = if self.expect('"').is_ok() {
            let mut out = String::new();
            let mut chars = self.rest().char_indices();
            loop {
                match chars.next() {
                    None => return Err("unterminated string key".into()),
                    Some((i, '"')) => {
                        self.pos += i + 1;
                        break;
                    }
                    Some((_, '\\')) => match chars.next() {
                        Some((_, c)) => out.push(c),
                        None => return Err("unterminated string key".into()),
                    },
                    Some((_, c)) => out.push(c),
                }
            }
            InstanceKey::Str(out)
        } else {
            let digits: &str = {
                let rest = self.rest();
                let len = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                &rest[..len]
            };
            let n = digits
                .parse::<u64>()
                .map_err(|_| "expected a number or a quoted string key".to_string())?;
            self.pos += digits.len();
            InstanceKey::Int(n)
        };
        self.expect(']').map_err(|_| "expected `]`".to_string())?;
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_terraform_notation() {
        for s in [
            "aws_vpc.main",
            "data.aws_vpc.existing",
            "aws_subnet.private[\"a\"]",
            "aws_subnet.private[3]",
            "module.network[\"eu\"].aws_subnet.private[\"a\"]",
            "module.a.module.b[0].data.aws_ami.ubuntu",
            "aws_s3_bucket.x[\"with \\\"quote\\\"\"]",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
    }

    #[test]
    fn parses_parts() {
        let a: Address = "module.network.aws_subnet.private[\"a\"]".parse().unwrap();
        assert_eq!(a.module.len(), 1);
        assert_eq!(a.module[0].name, "network");
        assert_eq!(a.type_name, "aws_subnet");
        assert_eq!(a.key, Some(InstanceKey::Str("a".into())));
        assert!(!a.is_data());
    }

    #[test]
    fn rejects_bad_addresses() {
        for s in [
            "",
            "aws_vpc",
            "aws_vpc.",
            "aws_vpc.main[",
            "aws_vpc.main[x]",
            "aws_vpc.main extra",
            "module.x",
        ] {
            assert!(s.parse::<Address>().is_err(), "{s} should not parse");
        }
    }

    #[test]
    fn targets_match_instances_and_modules() {
        let t = |s: &str| s.parse::<Target>().unwrap();
        let a = |s: &str| s.parse::<Address>().unwrap();
        assert!(t("aws_subnet.private").matches(&a("aws_subnet.private[\"a\"]")));
        assert!(!t("aws_subnet.private[\"b\"]").matches(&a("aws_subnet.private[\"a\"]")));
        assert!(t("module.network").matches(&a("module.network[\"eu\"].module.x.aws_vpc.main")));
        assert!(!t("module.network[\"us\"]").matches(&a("module.network[\"eu\"].aws_vpc.main")));
        assert!(!t("aws_vpc.main").matches(&a("module.network.aws_vpc.main")));
        assert_eq!(
            t("module.a[0].module.b").to_string(),
            "module.a[0].module.b"
        );
        assert!("module.a.".parse::<Target>().is_err());
        assert!("network".parse::<Target>().is_err());
    }

    #[test]
    fn moves_keep_the_keys_the_endpoints_leave_out() {
        let t = |s: &str| s.parse::<Target>().unwrap();
        let a = |s: &str| s.parse::<Address>().unwrap();
        let moved =
            t("aws_vpc.this").move_address(&t("module.network.aws_vpc.this"), &a("aws_vpc.this"));
        assert_eq!(moved.unwrap().to_string(), "module.network.aws_vpc.this");
        let moved = t("aws_subnet.a").move_address(&t("aws_subnet.b"), &a("aws_subnet.a[\"x\"]"));
        assert_eq!(moved.unwrap().to_string(), "aws_subnet.b[\"x\"]");
        let moved =
            t("module.old").move_address(&t("module.new"), &a("module.old[\"k\"].aws_vpc.v"));
        assert_eq!(moved.unwrap().to_string(), "module.new[\"k\"].aws_vpc.v");
        let moved = t("aws_vpc.x[0]").move_address(&t("aws_vpc.x"), &a("aws_vpc.x[0]"));
        assert_eq!(moved.unwrap().to_string(), "aws_vpc.x");
        assert!(t("aws_vpc.x")
            .move_address(&t("aws_vpc.y"), &a("aws_vpc.z"))
            .is_none());
    }

    #[test]
    fn orders_stably() {
        let mut v: Vec<Address> = ["aws_vpc.b", "aws_vpc.a", "aws_subnet.z"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        v.sort();
        let s: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(s, ["aws_subnet.z", "aws_vpc.a", "aws_vpc.b"]);
    }
}
