//! What the contract cannot know about the Cloud Map types, checked
//! through the SDK against moto: the Tracker estate's anisette private
//! DNS (namespace `anisette-v3.local`, service `anisette-v3`, A records
//! with TTL 10) with its asynchronous create, an update that keeps the DNS
//! records, deleting a service with an instance registered, the import id,
//! the offline checks, and the calls a batched refresh makes.

use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Value};
use cairn_testkit::calls::{counts, Calls};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn read_ctx() -> ReadContext {
    ReadContext {
        default_tags: [("Team".to_string(), "platform".to_string())].into(),
        stack: "providertest/moto".into(),
    }
}

fn id(o: &Object) -> String {
    o.get("id").and_then(Value::as_str).unwrap().to_string()
}

fn dns(ns: &str) -> Value {
    map(&[
        ("namespace_id", ns.into()),
        ("routing_policy", "MULTIVALUE".into()),
        (
            "dns_records",
            Value::List(vec![map(&[("ttl", 10.into()), ("type", "A".into())])]),
        ),
    ])
}

#[tokio::test]
async fn the_anisette_private_dns_is_made_read_in_batches_and_removed() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_servicediscovery::register);
    let sdk = aws.sdk_config().await.unwrap();
    let sd = aws_sdk_servicediscovery::Client::new(sdk);
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let namespaces = registry
        .resource("aws_service_discovery_private_dns_namespace")
        .unwrap();
    let services = registry.resource("aws_service_discovery_service").unwrap();
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/24")
        .send()
        .await
        .unwrap();
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();

    // The create waits for Cloud Map's operation (moto finishes at once).
    let ns_ctx = op_context("aws_service_discovery_private_dns_namespace.anisette");
    let ns = namespaces
        .create(
            &ns_ctx,
            &object(&[
                ("name", "anisette-v3.local".into()),
                ("vpc", vpc.as_str().into()),
                ("tags", tags(&[("Name", "anisette")])),
            ]),
        )
        .await
        .unwrap();
    let ns_id = id(&ns);
    let got = sd.get_namespace().id(&ns_id).send().await.unwrap();
    let got = got.namespace().unwrap();
    assert_eq!(got.name(), Some("anisette-v3.local"));
    assert_eq!(got.r#type().map(|t| t.as_str()), Some("DNS_PRIVATE"));
    let zone = got
        .properties()
        .and_then(|p| p.dns_properties())
        .and_then(|d| d.hosted_zone_id())
        .unwrap();
    assert_eq!(ns.get("hosted_zone").and_then(Value::as_str), Some(zone));
    assert_eq!(ns.get("vpc").and_then(Value::as_str), Some(vpc.as_str()));

    // The service as the guide has it; a second one beside it.
    let ctx = op_context("aws_service_discovery_service.anisette");
    let anisette = services
        .create(
            &ctx,
            &object(&[
                ("name", "anisette-v3".into()),
                ("dns_config", dns(&ns_id)),
                (
                    "health_check_custom_config",
                    map(&[("failure_threshold", 1.into())]),
                ),
            ]),
        )
        .await
        .unwrap();
    let other = services
        .create(
            &op_context("aws_service_discovery_service.other"),
            &object(&[
                ("name", "other".into()),
                ("namespace_id", ns_id.as_str().into()),
                ("dns_config", dns(&ns_id)),
            ]),
        )
        .await
        .unwrap();
    let s = sd.get_service().id(id(&anisette)).send().await.unwrap();
    let s = s.service().unwrap();
    assert_eq!(s.namespace_id(), Some(ns_id.as_str()));
    let d = s.dns_config().unwrap();
    assert_eq!(d.routing_policy().map(|p| p.as_str()), Some("MULTIVALUE"));
    let records: Vec<(&str, i64)> = d
        .dns_records()
        .iter()
        .map(|r| (r.r#type().as_str(), r.ttl()))
        .collect();
    assert_eq!(records, [("A", 10)]);

    // A description change keeps the records (UpdateService drops the
    // ones it is not sent) and waits for the operation.
    let mut planned = anisette.clone();
    planned.insert("description".into(), "Anisette server".into());
    services
        .update(
            &ctx,
            &id(&anisette),
            &anisette,
            &planned,
            &["description".into()],
        )
        .await
        .unwrap();
    let s = sd.get_service().id(id(&anisette)).send().await.unwrap();
    let s = s.service().unwrap();
    assert_eq!(s.description(), Some("Anisette server"));
    assert_eq!(s.dns_config().map(|d| d.dns_records().len()), Some(1));

    // Refresh: one ListNamespaces, one ListServices for the namespace both
    // services are in, one ListTagsForResource per object.
    let (calls, _guard) = Calls::start();
    let prior = [&ns, &anisette, &other];
    let req = |i: usize| ReadRequest {
        id: prior[i].get("id").and_then(Value::as_str).unwrap(),
        prior: prior[i],
    };
    let out = namespaces.read(&[req(0)], &read_ctx()).await.unwrap();
    assert!(matches!(out.as_slice(), [ReadOutcome::Live(_)]));
    let out = services.read(&[req(1), req(2)], &read_ctx()).await.unwrap();
    assert!(matches!(
        out.as_slice(),
        [ReadOutcome::Live(_), ReadOutcome::Live(_)]
    ));
    assert_eq!(
        calls.take(),
        counts(&[
            ("ListNamespaces", 1),
            ("ListServices", 1),
            ("ListTagsForResource", 3)
        ])
    );

    // An instance registered (ECS would): the delete goes through (moto
    // does not refuse with ResourceInUse as AWS does while instances are
    // registered; the delete retries that code for its timeout).
    sd.register_instance()
        .service_id(id(&anisette))
        .instance_id("task-1")
        .attributes("AWS_INSTANCE_IPV4", "10.40.0.10")
        .send()
        .await
        .unwrap();
    for s in [&anisette, &other] {
        services.delete(&ctx, &id(s), s).await.unwrap();
        services.delete(&ctx, &id(s), s).await.unwrap();
    }
    let e = sd.get_service().id(id(&anisette)).send().await.unwrap_err();
    assert!(format!("{e:?}").contains("ServiceNotFound"), "{e:?}");

    // The namespace's delete waits for its operation too.
    namespaces.delete(&ns_ctx, &ns_id, &ns).await.unwrap();
    namespaces.delete(&ns_ctx, &ns_id, &ns).await.unwrap();
    let e = sd.get_namespace().id(&ns_id).send().await.unwrap_err();
    assert!(format!("{e:?}").contains("NamespaceNotFound"), "{e:?}");
}

#[tokio::test]
async fn a_namespace_is_imported_with_its_vpc_and_services_are_checked_offline() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_servicediscovery::register);
    let sdk = aws.sdk_config().await.unwrap();
    let sd = aws_sdk_servicediscovery::Client::new(sdk);
    let namespaces = registry
        .resource("aws_service_discovery_private_dns_namespace")
        .unwrap();
    let services = registry.resource("aws_service_discovery_service").unwrap();

    let op = sd
        .create_private_dns_namespace()
        .name("outside.local")
        .vpc("vpc-12345678")
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

    let e = namespaces.import(&ns, &read_ctx()).await.unwrap_err();
    assert_eq!(e.code, "InvalidImportId");
    match namespaces
        .import(&format!("{ns}:vpc-12345678"), &read_ctx())
        .await
        .unwrap()
    {
        ReadOutcome::Live(o) => {
            assert_eq!(o.get("vpc").and_then(Value::as_str), Some("vpc-12345678"));
            assert_eq!(o.get("name").and_then(Value::as_str), Some("outside.local"));
        }
        ReadOutcome::Gone => panic!("the namespace is there"),
    }

    let issues = |config: Object| services.validate(&config);
    assert!(issues(object(&[("name", "a".into()), ("dns_config", dns(&ns))])).is_empty());
    assert_eq!(
        issues(object(&[("name", "a".into())])).len(),
        1,
        "no namespace"
    );
    assert_eq!(
        issues(object(&[
            ("name", "a".into()),
            ("namespace_id", "ns-other".into()),
            ("dns_config", dns(&ns))
        ]))
        .len(),
        1,
        "two namespaces"
    );
    let cname = map(&[
        ("namespace_id", ns.as_str().into()),
        ("routing_policy", "MULTIVALUE".into()),
        (
            "dns_records",
            Value::List(vec![map(&[("ttl", 10.into()), ("type", "CNAME".into())])]),
        ),
    ]);
    assert_eq!(
        issues(object(&[("name", "a".into()), ("dns_config", cname)])).len(),
        1,
        "CNAME needs WEIGHTED"
    );
}
