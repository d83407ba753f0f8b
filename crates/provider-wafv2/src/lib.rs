//! cairn resource types backed by AWS WAFv2, one file each:
//! `aws_wafv2_web_acl`, `aws_wafv2_web_acl_association`,
//! `aws_wafv2_web_acl_logging_configuration`.

mod common;
mod logging_configuration;
mod web_acl;
mod web_acl_association;

use std::sync::Arc;

use aws_sdk_wafv2::Client;
use cairn_aws::{sdk_client, AwsContext, LazyClient};
use cairn_core::Registry;

/// Adds the AWS WAFv2 types to `registry`. Makes no network call.
pub fn register(registry: &mut Registry, aws: &AwsContext) {
    let waf = Arc::new(Wafv2::new(aws.clone(), sdk_client!(aws_sdk_wafv2)));
    registry.add_resource(Arc::new(web_acl::WebAcl::new(waf.clone())));
    registry.add_resource(Arc::new(web_acl_association::WebAclAssociation::new(
        waf.clone(),
    )));
    registry.add_resource(Arc::new(logging_configuration::LoggingConfiguration::new(
        waf,
    )));
}

/// The AWS WAFv2 client every type of this crate shares.
pub type Wafv2 = LazyClient<Client>;
