//! cairn resource types backed by AWS IAM, one file each: `aws_iam_role`,
//! `aws_iam_role_policy`, `aws_iam_role_policy_attachment`,
//! `aws_iam_instance_profile`, `aws_iam_openid_connect_provider`; data sources `aws_iam_policy_document`
//! (computed locally) and `aws_caller_identity` (STS). Policy documents are
//! compared as JSON, not as strings.

mod caller_identity;
mod instance_profile;
mod openid_connect_provider;
mod policy_document;
mod role;
mod role_policy;
mod role_policy_attachment;

use std::sync::Arc;

use aws_sdk_iam::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::Registry;

/// Adds the IAM types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let iam = Arc::new(Iam::new(aws.clone(), sdk_client!(aws_sdk_iam)));
    registry.add_resource(Arc::new(role::Role::new(iam.clone())));
    registry.add_resource(Arc::new(role_policy::RolePolicy::new(iam.clone())));
    registry.add_resource(Arc::new(role_policy_attachment::Attachment::new(
        iam.clone(),
    )));
    registry.add_resource(Arc::new(instance_profile::InstanceProfile::new(
        iam.clone(),
    )));
    registry.add_resource(Arc::new(
        openid_connect_provider::OpenIdConnectProvider::new(iam.clone()),
    ));
    registry.add_data_source(Arc::new(policy_document::PolicyDocument));
    registry.add_data_source(Arc::new(caller_identity::CallerIdentity::new(iam)));
}

/// The IAM client every IAM type shares.
pub type Iam = LazyClient<Client>;

/// IAM has no batch read by name: this many reads run at once.
const READ_CONCURRENCY: usize = 8;

/// IAM returns policy documents URL-encoded; some endpoints send them plain.
fn decode_policy(s: &str) -> String {
    if s.trim_start().starts_with('{') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// IAM refuses a delete while something still refers to the entity (a
/// detach a moment earlier): retried, bounded by the operation's timeout.
fn refs_draining(ctx: &cairn_core::OpContext) -> cairn_aws::RetryOn<'static> {
    cairn_aws::RetryOn::new("DeleteConflict", ctx.timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_decoded_once() {
        let plain = r#"{"Version":"2012-10-17"}"#;
        assert_eq!(decode_policy(plain), plain);
        assert_eq!(
            decode_policy("%7B%22Version%22%3A%222012-10-17%22%7D"),
            plain
        );
    }
}
