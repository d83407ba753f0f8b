//! The resource contract (cairn_testkit::resource_contract) for every
//! Cloud Map type, against moto, with the VPCs made outside cairn.

use aws_sdk_servicediscovery::types::Tag;
use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Tags by id: Cloud Map tags by ARN, so the ARN is looked up first.
fn tag_outside(sd: &aws_sdk_servicediscovery::Client) -> TagOutside {
    let sd = sd.clone();
    Box::new(move |id, set, unset| {
        let sd = sd.clone();
        Box::pin(async move {
            let arn = if id.starts_with("ns-") {
                let n = sd.get_namespace().id(id).send().await.unwrap();
                n.namespace().unwrap().arn().unwrap().to_string()
            } else {
                let s = sd.get_service().id(id).send().await.unwrap();
                s.service().unwrap().arn().unwrap().to_string()
            };
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build().unwrap())
                .collect();
            sd.tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            sd.untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    })
}

async fn vpc(ec2: &aws_sdk_ec2::Client, cidr: &str) -> String {
    let out = ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
    out.vpc().and_then(|v| v.vpc_id()).unwrap().to_string()
}

#[tokio::test]
async fn every_service_discovery_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_servicediscovery::register);
    let sdk = aws.sdk_config().await.unwrap();
    let sd = aws_sdk_servicediscovery::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let ctx = op_context("aws_service_discovery_private_dns_namespace.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let vpc_a = vpc(&ec2, "10.40.0.0/24").await;
    let namespace = Case {
        address: "aws_service_discovery_private_dns_namespace.contract",
        config: object(&[
            ("name", "anisette-v3.local".into()),
            ("vpc", vpc_a.as_str().into()),
            ("description", "anisette".into()),
            ("tags", tags(&[("Name", "anisette")])),
        ]),
        update: object(&[
            ("description", "anisette private DNS".into()),
            ("tags", tags(&[("Name", "anisette"), ("Tier", "internal")])),
        ]),
        replace: Some("vpc"),
        missing_id: "ns-00000000000000000000".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&sd)),
        delete_forgets: false,
    };
    check(
        resource("aws_service_discovery_private_dns_namespace").as_ref(),
        namespace,
        &ctx,
    )
    .await;

    // The namespace services live in, made outside cairn.
    let vpc_b = vpc(&ec2, "10.41.0.0/24").await;
    let op = sd
        .create_private_dns_namespace()
        .name("host.local")
        .vpc(&vpc_b)
        .send()
        .await
        .unwrap();
    let op = sd
        .get_operation()
        .operation_id(op.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    let ns = op
        .operation()
        .unwrap()
        .targets()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();

    let service = Case {
        address: "aws_service_discovery_service.contract",
        config: object(&[
            ("name", "anisette-v3".into()),
            (
                "dns_config",
                map(&[
                    ("namespace_id", ns.as_str().into()),
                    ("routing_policy", "MULTIVALUE".into()),
                    (
                        "dns_records",
                        Value::List(vec![map(&[("ttl", 10.into()), ("type", "A".into())])]),
                    ),
                ]),
            ),
            (
                "health_check_custom_config",
                map(&[("failure_threshold", 1.into())]),
            ),
            ("tags", tags(&[("Name", "anisette-v3")])),
        ]),
        update: object(&[
            ("description", "Anisette server".into()),
            (
                "tags",
                tags(&[("Name", "anisette-v3"), ("Tier", "internal")]),
            ),
        ]),
        replace: Some("dns_config"),
        missing_id: "srv-00000000".into(),
        leftovers: Leftovers::Listed,
        tag_outside: Some(tag_outside(&sd)),
        delete_forgets: false,
    };
    check(
        resource("aws_service_discovery_service").as_ref(),
        service,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_service_discovery_private_dns_namespace",
            "aws_service_discovery_service",
        ],
    );
}
