//! An interrupted apply's leftover, adopted with nothing recorded, must
//! match its configuration: a group named from `name_prefix` reads with
//! that prefix again, or the next plan would replace it.

use cairn_core::provider::ReadContext;
use cairn_core::{Attrs, ReadOutcome, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context};

#[tokio::test]
async fn a_group_named_from_a_prefix_is_adopted_with_its_prefix() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elbv2::register);
    let ec2 = aws_sdk_ec2::Client::new(aws.sdk_config().await.unwrap());
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.61.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let groups = registry.resource("aws_lb_target_group").unwrap();
    let ctx = op_context("aws_lb_target_group.api");
    let mut planned = object(&[
        ("name_prefix", "api-".into()),
        ("port", 8000.into()),
        ("protocol", "HTTP".into()),
        ("vpc_id", vpc.as_str().into()),
        ("target_type", "ip".into()),
    ]);
    for (name, attr) in &groups.schema().attributes {
        if !planned.contains_key(*name) {
            let v = attr.default.clone().unwrap_or(if attr.is_configurable() {
                Value::Null
            } else {
                Value::Unknown
            });
            planned.insert(name.to_string(), v);
        }
    }
    let made = groups.create(&ctx, &planned).await.unwrap();
    let read_ctx = ReadContext {
        default_tags: ctx.default_tags.clone(),
        stack: ctx.stack.clone(),
    };
    let ReadOutcome::Live(adopted) = groups
        .import(made.str("id").unwrap(), &read_ctx)
        .await
        .unwrap()
    else {
        panic!("the group is gone");
    };
    assert_eq!(adopted.str("name_prefix"), Some("api-"));
    assert_eq!(adopted.str("name"), made.str("name"));
}
