//! cairn resource types backed by Application Auto Scaling, one file each:
//! `aws_appautoscaling_target` (a scalable target: an ECS service's desired
//! count between a minimum and a maximum) and `aws_appautoscaling_policy`
//! (target tracking policies on it).

mod policy;
mod target;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_applicationautoscaling::Client;
use cairn_aws::{is_not_found, sdk_client, AwsContext, LazyClient, Tagging};
use cairn_core::{ProviderError, Registry};

/// Adds the Application Auto Scaling types to `registry`. Makes no network
/// call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let aas = Arc::new(AppAutoScaling::new(
        aws.clone(),
        sdk_client!(aws_sdk_applicationautoscaling),
    ));
    let tagging = Arc::new(Tagging::new(aws.clone()));
    registry.add_resource(Arc::new(target::Target::new(aas.clone(), tagging)));
    registry.add_resource(Arc::new(policy::Policy::new(aas)));
}

/// The Application Auto Scaling client every type of this crate shares.
pub type AppAutoScaling = LazyClient<Client>;

/// DescribeScalableTargets takes up to 50 resource ids, and
/// DescribeScalingPolicies up to 50 policy names, per call.
const BATCH: usize = 50;

/// How long a write waits for what it depends on to become visible (an
/// ECS service or IAM role made a moment ago), as Terraform does.
const PROPAGATION: Duration = Duration::from_secs(120);

/// Whether the error says the target or policy does not exist: AWS answers
/// `ObjectNotFoundException`; moto a `ValidationException` "No scalable
/// target found ..." / "No scaling policy found ...".
fn is_gone(e: &ProviderError) -> bool {
    is_not_found(e)
        || (e.code == "ValidationException"
            && (e.message.starts_with("No scalable target found")
                || e.message.starts_with("No scaling policy found")))
}

/// Runs a write until it succeeds, retrying for at most `within` the errors
/// `transient` names (eventual consistency right after a dependency was
/// made); every other error at once.
async fn retry_while<T, F, Fut>(
    within: Duration,
    transient: fn(&ProviderError) -> bool,
    mut f: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(500);
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) && start.elapsed() + pause < within => {
                tracing::debug!(code = %e.code, message = %e.message, "not visible yet; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e),
        }
    }
}

/// The namespace an id belongs to when nothing recorded says: the first
/// part of a resource id names the kind of resource.
fn namespace_of(resource_id: &str) -> &'static str {
    match resource_id.split(['/', ':']).next().unwrap_or_default() {
        "table" => "dynamodb",
        "cluster" => "rds",
        "function" => "lambda",
        "spot-fleet-request" => "ec2",
        "fleet" => "appstream",
        "endpoint" => "sagemaker",
        "keyspace" => "cassandra",
        "replication-group" => "elasticache",
        _ => "ecs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_named_errors_are_retried_and_only_for_a_while() {
        let mut n = 0;
        let out = retry_while(
            Duration::from_secs(10),
            |e| e.code == "ObjectNotFoundException",
            || {
                n += 1;
                let attempt = n;
                async move {
                    if attempt < 2 {
                        Err(ProviderError::new("op", "ObjectNotFoundException", "x"))
                    } else {
                        Ok(attempt)
                    }
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(out, 2);
        let e = retry_while(
            Duration::from_secs(10),
            |e| e.code == "ObjectNotFoundException",
            || async { Err::<(), _>(ProviderError::new("op", "AccessDenied", "no")) },
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, "AccessDenied");
    }

    #[test]
    fn moto_and_aws_answers_for_a_missing_object_are_gone() {
        assert!(is_gone(&ProviderError::new(
            "op",
            "ObjectNotFoundException",
            "x"
        )));
        assert!(is_gone(&ProviderError::new(
            "op",
            "ValidationException",
            "No scalable target found for service namespace: ecs"
        )));
        assert!(!is_gone(&ProviderError::new(
            "op",
            "ValidationException",
            "Unsupported service namespace"
        )));
        assert_eq!(namespace_of("service/c/s"), "ecs");
        assert_eq!(namespace_of("table/t"), "dynamodb");
    }
}
