//! The Tracker's two DNS-validated certificates (tracker and tracker-admin
//! on staging.glimpse.technology), checked through the SDK: requested with
//! their SANs and tags, a validation record per name, the validation wait
//! (issued, pending with a timeout that names the records), adoption of a
//! retried request, the data source, offline checks, and what a no-op
//! refresh costs.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_acm::types::CertificateStatus;
use cairn_aws::{AwsContext, AwsSettings};
use cairn_core::provider::ReadContext;
use cairn_core::{
    Attrs, Object, OpContext, Progress, ReadOutcome, ReadRequest, Registry, Resource, Value,
};
use cairn_testkit::fixtures::{aws_test_env, moto_provider, object, op_context, tags};
use cairn_testkit::MotoServer;

const TRACKER: &str = "tracker.staging.glimpse.technology";
const ADMIN: &str = "tracker-admin.staging.glimpse.technology";

fn planned(domain: &str, sans: &[&str], name: &str) -> Object {
    object(&[
        ("domain_name", domain.into()),
        ("subject_alternative_names", Value::from(sans.to_vec())),
        ("validation_method", "DNS".into()),
        ("key_algorithm", "RSA_2048".into()),
        ("tags", tags(&[("Name", name)])),
    ])
}

/// An operation context as the engine makes one: each create its own
/// idempotency token.
fn ctx(address: &str) -> OpContext {
    OpContext {
        idempotency_token: format!("token-{address}"),
        ..op_context(address)
    }
}

/// A context whose progress lines are collected.
fn watched(address: &str, timeout: Duration) -> (OpContext, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let ctx = OpContext {
        timeout,
        progress: Progress::new(move |l| sink.lock().unwrap().push(l.to_string())),
        ..ctx(address)
    };
    (ctx, lines)
}

fn read_ctx() -> ReadContext {
    ReadContext {
        default_tags: op_context("aws_acm_certificate.x").default_tags,
        stack: "providertest/moto".into(),
    }
}

async fn read(r: &dyn Resource, items: &[(&str, &Object)]) -> Vec<Option<Object>> {
    let requests: Vec<ReadRequest> = items
        .iter()
        .map(|(id, prior)| ReadRequest { id, prior })
        .collect();
    r.read(&requests, &read_ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(o) => Some(o),
            ReadOutcome::Gone => None,
        })
        .collect()
}

/// `(domain_name, resource_record_name)` of each validation record.
fn records(obj: &Object) -> Vec<(String, String, String, String)> {
    obj["domain_validation_options"]
        .as_list()
        .unwrap()
        .iter()
        .map(|r| {
            let r = r.as_map().unwrap();
            let s = |k: &str| r.str(k).unwrap().to_string();
            (
                s("domain_name"),
                s("resource_record_name"),
                s("resource_record_type"),
                s("resource_record_value"),
            )
        })
        .collect()
}

fn provider_at(endpoint: String) -> (AwsContext, Registry) {
    aws_test_env();
    let aws = AwsContext::new(AwsSettings {
        endpoint_url: Some(endpoint),
        region: Some("eu-west-2".into()),
        ..Default::default()
    });
    let mut registry = Registry::default();
    cairn_provider_acm::register(&mut registry, &aws);
    (aws, registry)
}

#[tokio::test]
async fn the_tracker_certificates_are_requested_validated_adopted_and_found() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_acm::register);
    let acm = aws_sdk_acm::Client::new(aws.sdk_config().await.unwrap());
    let cert = registry.resource("aws_acm_certificate").unwrap();
    let validation = registry.resource("aws_acm_certificate_validation").unwrap();

    let wildcard = format!("*.{TRACKER}");
    let www = format!("www.{ADMIN}");
    let api_planned = planned(TRACKER, &[&wildcard], "tracker");
    let admin_planned = planned(ADMIN, &[&www], "tracker-admin");
    let api_ctx = ctx("aws_acm_certificate.tracker");
    let admin_ctx = ctx("aws_acm_certificate.tracker_admin");
    let api = cert.create(&api_ctx, &api_planned).await.unwrap();
    let admin = cert.create(&admin_ctx, &admin_planned).await.unwrap();
    let api_arn = api["arn"].as_str().unwrap().to_string();
    let admin_arn = admin["arn"].as_str().unwrap().to_string();
    assert!(api_arn.starts_with("arn:aws:acm:eu-west-2:"), "{api_arn}");
    assert_eq!(api["id"].as_str(), Some(api_arn.as_str()));

    // A validation record per name, ready to output for Cloudflare; the
    // SANs as configured (AWS's list repeats the domain).
    for (obj, names) in [
        (&api, [TRACKER, wildcard.as_str()]),
        (&admin, [ADMIN, www.as_str()]),
    ] {
        let recs = records(obj);
        let domains: BTreeSet<&str> = recs.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(domains, names.into_iter().collect(), "{recs:?}");
        for (_, name, kind, value) in &recs {
            assert!(!name.is_empty() && !value.is_empty(), "{recs:?}");
            assert_eq!(kind, "CNAME");
        }
        assert!(obj["subject_alternative_names"].same_as(&Value::from(vec![names[1]])));
        assert_eq!(obj.str("type"), Some("AMAZON_ISSUED"));
        assert_eq!(obj.str("validation_method"), Some("DNS"));
    }

    // What AWS holds: the names and the tags from the request itself.
    let d = acm
        .describe_certificate()
        .certificate_arn(&api_arn)
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(d.domain_name(), Some(TRACKER));
    let sans: BTreeSet<&str> = d
        .subject_alternative_names()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(sans, [TRACKER, wildcard.as_str()].into_iter().collect());
    let live: BTreeSet<(String, String)> = acm
        .list_tags_for_certificate()
        .certificate_arn(&api_arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for (k, v) in [
        ("Name", "tracker"),
        ("Team", "platform"),
        ("cairn:stack", "providertest/moto"),
        ("cairn:address", "aws_acm_certificate.tracker"),
    ] {
        assert!(
            live.contains(&(k.into(), v.into())),
            "{k} missing: {live:?}"
        );
    }

    // A refresh re-plans clean: every attribute as created (the status
    // may have moved on), and an import (no prior) reads the same.
    let fresh = read(cert.as_ref(), &[(&api_arn, &api), (&admin_arn, &admin)]).await;
    let empty = Object::new();
    let imported = read(cert.as_ref(), &[(&api_arn, &empty)]).await;
    for got in [fresh[0].as_ref().unwrap(), imported[0].as_ref().unwrap()] {
        for (k, v) in &api {
            if k != "status" {
                assert!(got[k].same_as(v), "`{k}`: created {v}, read {}", got[k]);
            }
        }
    }

    // The leftover listing finds both under their addresses.
    let owned = cert.owned_by_stack("providertest/moto").await.unwrap();
    assert!(owned.contains(&("aws_acm_certificate.tracker".into(), api_arn.clone())));
    assert!(owned.contains(&(
        "aws_acm_certificate.tracker_admin".into(),
        admin_arn.clone()
    )));
    assert!(cert
        .owned_by_stack("another/stack")
        .await
        .unwrap()
        .is_empty());

    // The validations return once the certificates are issued (moto
    // issues at once here).
    let fqdns: Vec<String> = records(&api).into_iter().map(|r| r.1).collect();
    let (vctx, _) = watched(
        "aws_acm_certificate_validation.tracker",
        Duration::from_secs(60),
    );
    let v = validation
        .create(
            &vctx,
            &object(&[
                ("certificate_arn", api_arn.as_str().into()),
                ("validation_record_fqdns", Value::from(fqdns)),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(v.str("id"), Some(api_arn.as_str()));
    let d = acm
        .describe_certificate()
        .certificate_arn(&api_arn)
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(d.status(), Some(&CertificateStatus::Issued));
    let av = validation
        .create(
            &vctx,
            &object(&[("certificate_arn", admin_arn.as_str().into())]),
        )
        .await
        .unwrap();

    // validation_record_fqdns must list every record.
    let only_one = records(&admin)[0].1.clone();
    let e = validation
        .create(
            &vctx,
            &object(&[
                ("certificate_arn", admin_arn.as_str().into()),
                ("validation_record_fqdns", Value::from(vec![only_one])),
            ]),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "InvalidConfiguration");
    assert!(
        e.message
            .contains(&records(&admin)[1].1.trim_end_matches('.').to_string()),
        "{e}"
    );

    // A request retried after a crash (same token, same tags) adopts the
    // certificate instead of requesting a second one.
    let again = cert.create(&api_ctx, &api_planned).await.unwrap();
    assert_eq!(again.str("arn"), Some(api_arn.as_str()));
    let all = acm.list_certificates().send().await.unwrap();
    assert_eq!(all.certificate_summary_list().len(), 2);

    // The data source finds a certificate by its domain.
    let data = registry.data_source("aws_acm_certificate").unwrap();
    let found = data
        .read(&object(&[("domain", TRACKER.into())]))
        .await
        .unwrap();
    assert_eq!(found.str("arn"), Some(api_arn.as_str()));
    assert_eq!(found.str("status"), Some("ISSUED"));
    let ftags = cairn_core::tags::from_value(found.get("tags"));
    assert_eq!(ftags.get("Name").map(String::as_str), Some("tracker"));
    assert!(!ftags.keys().any(|k| k.starts_with("cairn:")), "{ftags:?}");
    let none = data
        .read(&object(&[("domain", "nope.glimpse.technology".into())]))
        .await
        .unwrap_err();
    assert_eq!(none.code, "NoMatch");
    assert!(none.message.contains("nope.glimpse.technology"), "{none}");
    // A second certificate for the same domain: ambiguous unless
    // most_recent picks one.
    let other = acm
        .request_certificate()
        .domain_name(TRACKER)
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();
    let two = data
        .read(&object(&[("domain", TRACKER.into())]))
        .await
        .unwrap_err();
    assert_eq!(two.code, "TooManyMatches");
    assert!(
        two.message.contains(&api_arn) && two.message.contains(&other),
        "{two}"
    );
    assert!(two.message.contains("most_recent"), "{two}");
    let newest = data
        .read(&object(&[
            ("domain", TRACKER.into()),
            ("most_recent", true.into()),
        ]))
        .await
        .unwrap();
    assert!([api_arn.as_str(), other.as_str()].contains(&newest.str("arn").unwrap()));
    let pending = data
        .read(&object(&[
            ("domain", TRACKER.into()),
            ("statuses", Value::from(vec!["PENDING_VALIDATION"])),
        ]))
        .await
        .unwrap_err();
    assert_eq!(pending.code, "NoMatch");

    // Deleting a certificate: gone through the SDK, a second delete
    // succeeds, and its validation reads as gone too.
    cert.delete(&api_ctx, &api_arn, &api).await.unwrap();
    let e = acm
        .describe_certificate()
        .certificate_arn(&api_arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_acm::error::ProvideErrorMetadata::code(&e),
        Some("ResourceNotFoundException")
    );
    cert.delete(&api_ctx, &api_arn, &api).await.unwrap();
    let outcomes = read(validation.as_ref(), &[(&api_arn, &v), (&admin_arn, &av)]).await;
    assert!(
        matches!(outcomes.as_slice(), [None, Some(_)]),
        "{outcomes:?}"
    );
}

#[tokio::test]
async fn a_pending_validation_reports_and_times_out_naming_its_records() {
    // Certificates stay PENDING_VALIDATION for 10 s on this server.
    aws_test_env();
    let moto = MotoServer::start_with_env(&[("MOTO_ACM_VALIDATION_WAIT", "10")]);
    let (aws, registry) = provider_at(moto.endpoint());
    let acm = aws_sdk_acm::Client::new(aws.sdk_config().await.unwrap());
    let cert = registry.resource("aws_acm_certificate").unwrap();
    let validation = registry.resource("aws_acm_certificate_validation").unwrap();

    let www = format!("www.{TRACKER}");
    let created = cert
        .create(
            &ctx("aws_acm_certificate.tracker"),
            &planned(TRACKER, &[&www], "tracker"),
        )
        .await
        .unwrap();
    let arn = created.str("arn").unwrap().to_string();
    assert_eq!(created.str("status"), Some("PENDING_VALIDATION"));
    let record_names: Vec<String> = records(&created)
        .iter()
        .map(|r| r.1.trim_end_matches('.').to_string())
        .collect();
    assert_eq!(record_names.len(), 2);

    // A short timeout: a Timeout error naming the certificate and the
    // pending records, saying what to do; the wait said so while it ran.
    let config = object(&[("certificate_arn", arn.as_str().into())]);
    let (short, lines) = watched(
        "aws_acm_certificate_validation.tracker",
        Duration::from_secs(1),
    );
    let e = validation.create(&short, &config).await.unwrap_err();
    assert_eq!(e.code, "Timeout", "{e}");
    assert!(e.retryable);
    assert!(e.partial.is_none());
    for needle in [arn.as_str(), "2 of 2 records pending", "apply again"]
        .into_iter()
        .chain(record_names.iter().map(String::as_str))
    {
        assert!(e.message.contains(needle), "`{needle}` not in: {e}");
    }
    let seen = lines.lock().unwrap().clone();
    assert!(!seen.is_empty(), "no progress line was reported");
    assert!(
        seen.iter()
            .all(|l| l.starts_with("waiting for DNS validation of ")
                && l.contains(&record_names[0])
                && l.contains(" CNAME ")),
        "{seen:?}"
    );

    // Given time, the same validation returns once ACM issues it.
    let (long, lines) = watched(
        "aws_acm_certificate_validation.tracker",
        Duration::from_secs(120),
    );
    let v = validation.create(&long, &config).await.unwrap();
    assert_eq!(v.str("id"), Some(arn.as_str()));
    assert!(!lines.lock().unwrap().is_empty());
    let d = acm
        .describe_certificate()
        .certificate_arn(&arn)
        .send()
        .await
        .unwrap()
        .certificate
        .unwrap();
    assert_eq!(d.status(), Some(&CertificateStatus::Issued));
    let fresh = read(cert.as_ref(), &[(&arn, &created)]).await;
    assert_eq!(fresh[0].as_ref().unwrap().str("status"), Some("ISSUED"));
}

#[test]
fn offline_checks_follow_acms_rules() {
    let mut registry = Registry::default();
    cairn_provider_acm::register(&mut registry, &AwsContext::new(AwsSettings::default()));
    let cert = registry.resource("aws_acm_certificate").unwrap();
    let schema = cert.schema();
    let check = |attr: &str, v: Value| -> Result<(), String> {
        schema
            .get(attr)
            .unwrap()
            .checks
            .iter()
            .try_for_each(|c| c.run(&v))
    };
    assert!(check("domain_name", TRACKER.into()).is_ok());
    assert!(check("domain_name", format!("*.{TRACKER}").into()).is_ok());
    let e = check("domain_name", "tracker.*.glimpse.technology".into()).unwrap_err();
    assert!(e.contains("leftmost label"), "{e}");
    let long = format!("{}.{TRACKER}", vec!["x".repeat(50); 5].join("."));
    let e = check("domain_name", long.into()).unwrap_err();
    assert!(e.contains("at most 253"), "{e}");
    let e = check(
        "subject_alternative_names",
        Value::from(vec!["www.glimpse.technology", "a.*.glimpse.technology"]),
    )
    .unwrap_err();
    assert!(e.contains("a.*.glimpse.technology"), "{e}");
    assert!(check("validation_method", "EMAIL".into()).is_ok());
    assert!(check("validation_method", "HTTP".into()).is_err());
    assert!(check("key_algorithm", "EC_prime256v1".into()).is_ok());
    assert!(check("key_algorithm", "RSA_4096".into()).is_err());

    let names: Vec<String> = (0..11)
        .map(|i| format!("n{i}.glimpse.technology"))
        .collect();
    let mut config = planned(TRACKER, &[], "tracker");
    config.insert(
        "subject_alternative_names".into(),
        Value::from(names[..10].to_vec()),
    );
    assert!(cert.validate(&config).is_empty());
    config.insert("subject_alternative_names".into(), Value::from(names));
    let issues = cert.validate(&config);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].attribute, "subject_alternative_names");
    assert!(issues[0].message.contains("default quota"), "{issues:?}");
}

/// A TCP proxy in front of `port` that records each request's
/// `X-Amz-Target` (the operation of a JSON-protocol call).
fn counting_proxy(port: u16) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            let Ok(mut server) = TcpStream::connect(("127.0.0.1", port)) else {
                return;
            };
            let (mut client_w, mut server_r) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server_r, &mut client_w);
            });
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let mut pending = String::new();
                loop {
                    let n = match client.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    pending.push_str(&String::from_utf8_lossy(&buf[..n]));
                    while let Some(i) = pending.find("\r\n") {
                        let line: String = pending.drain(..i + 2).collect();
                        if let Some((k, v)) = line.split_once(':') {
                            if k.eq_ignore_ascii_case("x-amz-target") {
                                seen.lock().unwrap().push(v.trim().to_string());
                            }
                        }
                    }
                    if server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (endpoint, calls)
}

#[tokio::test]
async fn a_no_op_refresh_of_two_certificates_and_two_validations_costs_three_calls() {
    aws_test_env();
    let moto = MotoServer::start();
    let (endpoint, calls) = counting_proxy(moto.port());
    let (_aws, registry) = provider_at(endpoint);
    let cert = registry.resource("aws_acm_certificate").unwrap();
    let validation = registry.resource("aws_acm_certificate_validation").unwrap();

    let mut made = Vec::new();
    for (address, domain) in [
        ("aws_acm_certificate.tracker", TRACKER),
        ("aws_acm_certificate.tracker_admin", ADMIN),
    ] {
        let c = cert
            .create(&ctx(address), &planned(domain, &[], "t"))
            .await
            .unwrap();
        let arn = c.str("arn").unwrap().to_string();
        let (vctx, _) = watched("aws_acm_certificate_validation.v", Duration::from_secs(60));
        let v = validation
            .create(&vctx, &object(&[("certificate_arn", arn.as_str().into())]))
            .await
            .unwrap();
        made.push((arn, c, v));
    }
    let creates = std::mem::take(&mut *calls.lock().unwrap());
    // Request, then one describe for the records (moto publishes them at
    // once); the validation's one describe finds it issued.
    assert_eq!(
        creates,
        [
            "CertificateManager.RequestCertificate",
            "CertificateManager.DescribeCertificate",
            "CertificateManager.DescribeCertificate",
        ]
        .repeat(2)
    );

    let certs: Vec<(&str, &Object)> = made.iter().map(|(a, c, _)| (a.as_str(), c)).collect();
    let validations: Vec<(&str, &Object)> = made.iter().map(|(a, _, v)| (a.as_str(), v)).collect();
    let fresh = read(cert.as_ref(), &certs).await;
    let live = read(validation.as_ref(), &validations).await;
    assert!(fresh.iter().chain(&live).all(Option::is_some));
    let mut refresh = std::mem::take(&mut *calls.lock().unwrap());
    refresh.sort();
    assert_eq!(
        refresh,
        [
            "CertificateManager.ListCertificates",
            "CertificateManager.ListCertificates",
            "ResourceGroupsTaggingAPI_20170126.GetResources",
        ]
    );
}
