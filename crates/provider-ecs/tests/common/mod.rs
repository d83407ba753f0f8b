//! What the ECS tests share: prerequisites made through the SDK (outside
//! cairn) and tagging outside cairn.

#![allow(dead_code)]

use aws_sdk_ecs::types::{Compatibility, ContainerDefinition, NetworkMode, PortMapping, Tag};
use cairn_core::Value;
use cairn_testkit::resource_contract::TagOutside;

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "eu-west-2";

pub fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

pub fn tag_outside(ecs: &aws_sdk_ecs::Client) -> TagOutside {
    let ecs = ecs.clone();
    Box::new(move |arn, set, unset| {
        let ecs = ecs.clone();
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            ecs.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            ecs.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

pub async fn sdk_cluster(ecs: &aws_sdk_ecs::Client, name: &str) -> String {
    let out = ecs
        .create_cluster()
        .cluster_name(name)
        .send()
        .await
        .unwrap();
    out.cluster().unwrap().cluster_arn().unwrap().to_string()
}

/// A Fargate task definition serving port 80: its ARN.
pub async fn sdk_task_definition(ecs: &aws_sdk_ecs::Client, family: &str, image: &str) -> String {
    let out = ecs
        .register_task_definition()
        .family(family)
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("256")
        .memory("512")
        .container_definitions(
            ContainerDefinition::builder()
                .name("web")
                .image(image)
                .port_mappings(PortMapping::builder().container_port(80).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

/// A subnet and a security group for awsvpc tasks: (subnet, group).
pub async fn network(ec2: &aws_sdk_ec2::Client) -> (String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.71.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.71.1.0/24")
        .send()
        .await
        .unwrap();
    let subnet = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .unwrap()
        .to_string();
    let group = ec2
        .create_security_group()
        .vpc_id(&vpc)
        .group_name("tasks")
        .description("tasks")
        .send()
        .await
        .unwrap();
    (subnet, group.group_id().unwrap().to_string())
}
