//! The IAM types and data sources against moto, checked through the SDK.

use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Registry, Value};
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::MotoServer;

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn setup() -> (MotoServer, Registry, aws_sdk_iam::Client) {
    let (moto, aws, registry) = moto_provider(cairn_provider_iam::register);
    let client = aws_sdk_iam::Client::new(aws.sdk_config().await.unwrap());
    (moto, registry, client)
}

async fn read(r: &dyn cairn_core::Resource, id: &str, prior: &Object) -> Option<Object> {
    match r
        .read(&[ReadRequest { id, prior }], &ReadContext::default())
        .await
        .unwrap()
        .remove(0)
    {
        ReadOutcome::Live(o) => Some(o),
        ReadOutcome::Gone => None,
    }
}

#[tokio::test]
async fn role_policies_attachments_and_instance_profile() {
    let (_moto, registry, iam) = setup().await;
    let role = registry.resource("aws_iam_role").unwrap();
    let ctx = op_context("aws_iam_role.db");
    let created = role
        .create(
            &ctx,
            &object(&[
                ("name", "tracker-db".into()),
                ("assume_role_policy", TRUST.into()),
                ("description", "database host".into()),
                ("tags", tags(&[("Name", "db")])),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(created["id"].as_str(), Some("tracker-db"));
    assert!(created["arn"]
        .as_str()
        .unwrap()
        .ends_with(":role/tracker-db"));
    let live = iam.get_role().role_name("tracker-db").send().await.unwrap();
    let live = live.role().unwrap();
    assert_eq!(live.description(), Some("database host"));
    assert!(live
        .tags()
        .iter()
        .any(|t| t.key() == "cairn:address" && t.value() == "aws_iam_role.db"));
    // The trust policy reads back equal as JSON, whatever its encoding.
    let back: serde_json::Value =
        serde_json::from_str(created["assume_role_policy"].as_str().unwrap()).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(TRUST).unwrap()
    );

    // An interrupted apply's role (same name, our tags) is adopted.
    let again = role
        .create(
            &ctx,
            &object(&[
                ("name", "tracker-db".into()),
                ("assume_role_policy", TRUST.into()),
                ("description", "database host, v2".into()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(again["description"].as_str(), Some("database host, v2"));
    // Someone else's role of that name is not.
    iam.create_role()
        .role_name("not-ours")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap();
    let err = role
        .create(
            &op_context("aws_iam_role.other"),
            &object(&[
                ("name", "not-ours".into()),
                ("assume_role_policy", TRUST.into()),
            ]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "EntityAlreadyExists");

    // Inline policy, replaced in place.
    let inline = registry.resource("aws_iam_role_policy").unwrap();
    let pctx = op_context("aws_iam_role_policy.logs");
    let doc = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
        )
    };
    let p = inline
        .create(
            &pctx,
            &object(&[
                ("role", "tracker-db".into()),
                ("name", "logs".into()),
                ("policy", doc("logs:PutLogEvents").into()),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(p["id"].as_str(), Some("tracker-db:logs"));
    let mut want = p.clone();
    want.insert("policy".into(), doc("logs:*").into());
    inline
        .update(&pctx, "tracker-db:logs", &p, &want, &["policy".into()])
        .await
        .unwrap();
    let live = iam
        .get_role_policy()
        .role_name("tracker-db")
        .policy_name("logs")
        .send()
        .await
        .unwrap();
    assert!(live.policy_document().contains("logs"));

    // A managed policy attached, found by one listing of the role.
    let managed = iam
        .create_policy()
        .policy_name("read-secrets")
        .policy_document(doc("secretsmanager:GetSecretValue"))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let attach = registry.resource("aws_iam_role_policy_attachment").unwrap();
    let actx = op_context("aws_iam_role_policy_attachment.secrets");
    let a = attach
        .create(
            &actx,
            &object(&[
                ("role", "tracker-db".into()),
                ("policy_arn", managed.as_str().into()),
            ]),
        )
        .await
        .unwrap();
    let id = a["id"].as_str().unwrap().to_string();
    assert!(read(attach.as_ref(), &id, &a).await.is_some());
    let attached = iam
        .list_attached_role_policies()
        .role_name("tracker-db")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);

    // The instance profile carries the role.
    let profile = registry.resource("aws_iam_instance_profile").unwrap();
    let ipctx = op_context("aws_iam_instance_profile.db");
    let ip = profile
        .create(
            &ipctx,
            &object(&[("name", "tracker-db".into()), ("role", "tracker-db".into())]),
        )
        .await
        .unwrap();
    let live = iam
        .get_instance_profile()
        .instance_profile_name("tracker-db")
        .send()
        .await
        .unwrap();
    assert_eq!(
        live.instance_profile().unwrap().roles()[0].role_name(),
        "tracker-db"
    );

    // Tear down in dependency order; each is gone afterwards.
    profile.delete(&ipctx, "tracker-db", &ip).await.unwrap();
    attach.delete(&actx, &id, &a).await.unwrap();
    inline
        .delete(&pctx, "tracker-db:logs", &want)
        .await
        .unwrap();
    role.delete(&ctx, "tracker-db", &again).await.unwrap();
    assert!(read(role.as_ref(), "tracker-db", &again).await.is_none());
    assert!(read(profile.as_ref(), "tracker-db", &ip).await.is_none());
    assert!(read(attach.as_ref(), &id, &a).await.is_none());
    role.delete(&ctx, "tracker-db", &again)
        .await
        .expect("deleting what is gone succeeds");
}

#[tokio::test]
async fn identity_and_policy_documents() {
    let (_moto, registry, _iam) = setup().await;
    let me = registry
        .data_source("aws_caller_identity")
        .unwrap()
        .read(&Object::new())
        .await
        .unwrap();
    assert_eq!(me["account_id"].as_str(), Some("123456789012"));

    let doc = registry
        .data_source("aws_iam_policy_document")
        .unwrap()
        .read(&object(&[(
            "statement",
            Value::from_json(&serde_json::json!([{
                "actions": ["sts:AssumeRole"],
                "principals": [{"type": "Service", "identifiers": ["vpc-flow-logs.amazonaws.com"]}]
            }])),
        )]))
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(doc["json"].as_str().unwrap()).unwrap();
    assert_eq!(
        json["Statement"][0]["Principal"]["Service"],
        "vpc-flow-logs.amazonaws.com"
    );
}

#[tokio::test]
async fn the_ci_deploy_roles_oidc_provider() {
    let (_moto, registry, iam) = setup().await;
    let oidc = registry
        .resource("aws_iam_openid_connect_provider")
        .unwrap();
    let url = "https://token.actions.githubusercontent.com";
    let config = object(&[
        ("url", url.into()),
        ("client_id_list", Value::from(vec!["sts.amazonaws.com"])),
        ("thumbprint_list", Value::Null),
        ("tags", tags(&[("Name", "github")])),
    ]);
    assert_eq!(oidc.validate(&config), vec![]);
    let made = oidc
        .create(
            &op_context("aws_iam_openid_connect_provider.github"),
            &config,
        )
        .await
        .unwrap();
    let arn = made["arn"].as_str().unwrap().to_string();
    assert_eq!(
        arn,
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    );
    // IAM answers the issuer without its scheme; the configured spelling
    // stays, so a re-plan has no diff.
    let live = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(live.url(), Some("token.actions.githubusercontent.com"));
    assert_eq!(live.client_id_list(), ["sts.amazonaws.com"]);
    let again = read(oidc.as_ref(), &arn, &made).await.unwrap();
    assert_eq!(again["url"].as_str(), Some(url));

    // Another address (another stack) cannot take the account's provider
    // for the same issuer: it is told to import it, and nothing changes.
    let err = oidc
        .create(
            &op_context("aws_iam_openid_connect_provider.other"),
            &config,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, "EntityAlreadyExists");
    assert!(err.message.contains("not this stack's; import it"), "{err}");

    let bad = object(&[
        ("url", "token.actions.githubusercontent.com".into()),
        ("client_id_list", Value::from(vec!["sts.amazonaws.com"])),
        ("thumbprint_list", Value::from(vec!["not-a-thumbprint"])),
    ]);
    let issues: Vec<String> = oidc
        .validate(&bad)
        .into_iter()
        .map(|i| i.attribute)
        .collect();
    assert_eq!(issues, ["url", "thumbprint_list"]);
}
