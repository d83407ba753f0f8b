//! Terraform's addresses and provider configurations in cairn's terms. The
//! notation is the same (`module.app["eu"].aws_subnet.a[0]`); providers are
//! named by their configuration (`aws`, `aws.ALIAS`).

use crate::raw::Resource;
use crate::Refusal;

/// The resource's address without an instance key, as Terraform's
/// `dependencies` name it.
pub(crate) fn resource(r: &Resource) -> String {
    let mut a = String::new();
    if let Some(m) = r.module.as_deref().filter(|m| !m.is_empty()) {
        a.push_str(m);
        a.push('.');
    }
    if r.mode == "data" {
        a.push_str("data.");
    }
    a.push_str(&r.type_name);
    a.push('.');
    a.push_str(&r.name);
    a
}

/// One instance's address: `[0]` for `count`, `["key"]` for `for_each`.
pub(crate) fn instance(r: &Resource, key: Option<&serde_json::Value>) -> String {
    let mut a = resource(r);
    match key {
        Some(serde_json::Value::Number(n)) => a.push_str(&format!("[{n}]")),
        Some(k @ serde_json::Value::String(_)) => a.push_str(&format!("[{k}]")),
        _ => {}
    }
    a
}

type Refuse = Box<dyn Fn(String) -> Refusal>;

/// `provider["registry.terraform.io/hashicorp/aws"].west` -> `aws.west`.
/// The random provider's types live in cairn's default configuration.
pub(crate) fn provider(text: &str, type_name: &str) -> Result<String, Refuse> {
    let owned = text.to_string();
    if text.starts_with("module.") {
        return Err(Box::new(move |address| Refusal::ModuleProvider {
            address,
            provider: owned.clone(),
        }));
    }
    let unsupported = {
        let owned = owned.clone();
        move || -> Refuse {
            Box::new(move |address| Refusal::UnsupportedProvider {
                address,
                provider: owned.clone(),
            })
        }
    };
    let Some(rest) = text.strip_prefix("provider[\"") else {
        return Err(unsupported());
    };
    let Some((source, alias)) = rest.split_once("\"]") else {
        return Err(unsupported());
    };
    let alias = alias.strip_prefix('.').filter(|a| !a.is_empty());
    let name = source.rsplit('/').next().unwrap_or(source);
    let namespace_ok = source.ends_with("hashicorp/aws") || source.ends_with("hashicorp/random");
    match (name, alias) {
        ("aws", None) if namespace_ok => Ok("aws".into()),
        ("aws", Some(alias)) if namespace_ok => Ok(format!("aws.{alias}")),
        ("random", None) if namespace_ok && type_name.starts_with("random_") => Ok("aws".into()),
        _ => Err(unsupported()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_map_to_configurations() {
        let p = |s: &str, t: &str| provider(s, t).map_err(|f| f("x".into()));
        assert_eq!(
            p(
                "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "aws_vpc"
            ),
            Ok("aws".into())
        );
        assert_eq!(
            p(
                "provider[\"registry.terraform.io/hashicorp/aws\"].west",
                "aws_vpc"
            ),
            Ok("aws.west".into())
        );
        assert_eq!(
            p(
                "provider[\"registry.terraform.io/hashicorp/random\"]",
                "random_id"
            ),
            Ok("aws".into())
        );
        assert!(matches!(
            p(
                "provider[\"registry.terraform.io/cloudflare/cloudflare\"]",
                "cloudflare_record"
            ),
            Err(Refusal::UnsupportedProvider { .. })
        ));
        assert!(matches!(
            p(
                "module.x.provider[\"registry.terraform.io/hashicorp/aws\"]",
                "aws_vpc"
            ),
            Err(Refusal::ModuleProvider { .. })
        ));
    }
}
