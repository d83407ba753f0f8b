//! cairn resource types backed by Elastic Load Balancing v2, one file
//! each: `aws_lb` (application load balancers), `aws_lb_target_group`,
//! `aws_lb_listener`, `aws_lb_listener_rule`, `aws_lb_listener_certificate`; with the actions and tag
//! reads they share, and the offline checks across rules.

mod actions;
mod lb;
mod listener;
mod listener_certificate;
mod listener_rule;
mod rule_checks;
mod tags;
mod target_group;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use aws_sdk_elasticloadbalancingv2::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::{ProviderError, Registry};

/// Adds the ELBv2 types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let elb = Arc::new(Elbv2::new(
        aws.clone(),
        sdk_client!(aws_sdk_elasticloadbalancingv2),
    ));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(lb::LoadBalancer::new(
        elb.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(target_group::TargetGroup::new(
        elb.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(listener::Listener::new(
        elb.clone(),
        tagging.clone(),
    )));
    registry.add_resource(Arc::new(listener_rule::ListenerRule::new(
        elb.clone(),
        tagging,
    )));
    registry.add_resource(Arc::new(listener_certificate::ListenerCertificate::new(
        elb,
    )));
    registry.add_check(Arc::new(rule_checks::RuleChecks));
}

/// The ELBv2 client every type of this crate shares.
pub type Elbv2 = LazyClient<Client>;

const READ_CONCURRENCY: usize = 8;

/// How many ARNs an ELBv2 describe call takes.
const ARNS_PER_CALL: usize = 20;

/// The objects of `arns` that exist, by ARN: `describe` asks for 20 ARNs a
/// call. One unknown ARN fails such a call (on AWS as on moto), so then
/// `fallback` lists the candidates another way and those of `arns` are
/// kept.
async fn describe_by_arns<T, D, DF, F, FF>(
    arns: &[&str],
    arn_of: fn(&T) -> Option<&str>,
    describe: D,
    fallback: F,
) -> Result<HashMap<String, T>, ProviderError>
where
    D: Fn(Vec<String>) -> DF,
    DF: Future<Output = Result<Vec<T>, ProviderError>>,
    F: FnOnce() -> FF,
    FF: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let by_arn = |items: Vec<T>| {
        items
            .into_iter()
            .filter_map(|t| Some((arn_of(&t)?.to_string(), t)))
            .collect::<Vec<_>>()
    };
    let mut found = HashMap::new();
    for chunk in arns.chunks(ARNS_PER_CALL) {
        match describe(chunk.iter().map(|a| a.to_string()).collect()).await {
            Ok(items) => found.extend(by_arn(items)),
            Err(e) if cairn_aws::is_not_found(&e) => {
                return Ok(by_arn(fallback().await?)
                    .into_iter()
                    .filter(|(arn, _)| arns.contains(&arn.as_str()))
                    .collect());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// Load balancer and target group names are at most 32 characters of
/// letters, digits and hyphens. Without a `name`, one is made of
/// `name_prefix` (or `cairn-`) and the create's idempotency token, so a
/// create retried after a crash asks for the same name, and a replacement
/// (a new planned create, a new token) gets a new one, which is what lets
/// `create_before_destroy` work.
fn generated_name(prefix: Option<&str>, token: &str) -> String {
    let prefix = prefix.unwrap_or("cairn-");
    let room = 32usize.saturating_sub(prefix.len());
    let suffix: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(room)
        .collect();
    format!("{prefix}{suffix}")
}

/// What an object read with nothing recorded (an interrupted apply's
/// leftover, adopted; an import) was named from: the prefix of a name
/// `generated_name` made from a user's `name_prefix` (32 characters, the
/// token's hex digits after the prefix's last `-`). Without it the
/// adopted object would differ from its configuration in `name_prefix`,
/// which forces a replacement. `None` for a chosen name and for the
/// default prefix (whose configuration has no `name_prefix`).
fn prefix_of_generated(name: &str) -> Option<&str> {
    let (head, tail) = name.rsplit_once('-')?;
    let generated = name.len() == 32
        && tail.len() >= 16
        && tail
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    let prefix = &name[..=head.len()];
    (generated && prefix != "cairn-").then_some(prefix)
}

/// `name_prefix` as recorded, or, with nothing recorded, as inferred from
/// the name.
fn recorded_prefix(prior: &cairn_core::Object, name: Option<&str>) -> cairn_core::Value {
    use cairn_core::Attrs;
    match prior.get("name_prefix") {
        Some(_) => prior.str("name_prefix").into(),
        None => name.and_then(prefix_of_generated).into(),
    }
}

/// An ARN's resource part (`loadbalancer/app/a/9665`, `targetgroup/t/e237`),
/// from which CloudWatch dimensions are made.
fn arn_resource(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_prefix_of_a_generated_name_is_found_again() {
        let name = super::generated_name(Some("api-"), "fb3df857-8c6d-5321-afa6-193ce49f0000");
        assert_eq!(super::prefix_of_generated(&name), Some("api-"));
        assert_eq!(super::prefix_of_generated("edge-alb"), None);
        let default = super::generated_name(None, "fb3df857-8c6d-5321-afa6-193ce49f0000");
        assert_eq!(super::prefix_of_generated(&default), None);
        assert_eq!(
            super::prefix_of_generated("tracker-restapi-staging-frontend"),
            None
        );
    }

    use super::*;

    #[test]
    fn generated_names_fit_and_differ_per_create() {
        let a = generated_name(Some("api-"), "2f1e6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d");
        let b = generated_name(Some("api-"), "99aa6c52-7a4c-4c1e-9d7e-0d8a3f1b2c3d");
        assert_eq!(a.len(), 32);
        assert!(a.starts_with("api-2f1e6c527a4c"));
        assert_ne!(a, b);
        assert!(generated_name(None, "x").starts_with("cairn-"));
    }

    #[test]
    fn arn_resources() {
        let lb = "arn:aws:elasticloadbalancing:eu-west-2:1:loadbalancer/app/a/9665";
        assert_eq!(arn_resource(lb), "loadbalancer/app/a/9665");
        assert_eq!(arn_resource("nonsense"), "");
    }
}
