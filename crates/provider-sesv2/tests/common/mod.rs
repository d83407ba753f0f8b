//! The SES v2 types against moto, through the testkit's proxy that fixes
//! moto's unreadable GetConfigurationSet answer (`cairn_testkit::sesv2_proxy`).

use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::Registry;
use cairn_testkit::MotoServer;

/// moto, the proxy in front of it, a provider configuration pointed at the
/// proxy and the SES v2 types.
pub async fn moto_sesv2() -> (MotoServer, AwsContext, Registry) {
    cairn_testkit::fixtures::aws_test_env();
    let moto = MotoServer::start();
    let port = cairn_testkit::sesv2_proxy::start(moto.port());
    let aws = AwsContext::new(AwsSettings {
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        region: Some("eu-west-2".into()),
        ..Default::default()
    });
    let mut registry = Registry::default();
    cairn_provider_sesv2::register(&mut registry, &aws);
    (moto, aws, registry)
}
