//! The resource contract (cairn_testkit::resource_contract) for every IAM
//! type, against moto.

use cairn_core::Value;
use cairn_testkit::fixtures::{moto_provider, object, op_context, tags};
use cairn_testkit::resource_contract::{check, covered, Case, Leftovers, TagOutside};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn iam_tags(set: Vec<(String, String)>) -> Vec<aws_sdk_iam::types::Tag> {
    set.into_iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn every_iam_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_iam::register);
    let iam = aws_sdk_iam::Client::new(aws.sdk_config().await.unwrap());
    let ctx = op_context("aws_iam_role.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let c = iam.clone();
    let role_tags: TagOutside = Box::new(move |name, set, unset| {
        let c = c.clone();
        Box::pin(async move {
            c.tag_role()
                .role_name(name)
                .set_tags(Some(iam_tags(set)))
                .send()
                .await
                .unwrap();
            c.untag_role()
                .role_name(name)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    });
    let role = Case {
        address: "aws_iam_role.contract",
        config: object(&[
            ("name", "contract".into()),
            ("assume_role_policy", TRUST.into()),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[
            ("description", "updated".into()),
            ("max_session_duration", 7200.into()),
            ("tags", tags(&[("Name", "contract"), ("Tier", "app")])),
        ]),
        replace: Some("name"),
        missing_id: "contract-none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(role_tags),
        delete_forgets: false,
    };
    check(resource("aws_iam_role").as_ref(), role, &ctx).await;

    // The other types hang off roles made outside cairn.
    for name in ["host", "other-host"] {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST)
            .send()
            .await
            .unwrap();
    }
    let inline = Case {
        address: "aws_iam_role_policy.contract",
        config: object(&[
            ("role", "host".into()),
            ("name", "logs".into()),
            ("policy", doc("logs:PutLogEvents").into()),
        ]),
        update: object(&[("policy", doc("logs:*").into())]),
        replace: Some("name"),
        missing_id: "host:none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(resource("aws_iam_role_policy").as_ref(), inline, &ctx).await;

    let policy_arn = iam
        .create_policy()
        .policy_name("read")
        .policy_document(doc("s3:GetObject"))
        .send()
        .await
        .unwrap()
        .policy()
        .and_then(|p| p.arn())
        .unwrap()
        .to_string();
    let attachment = Case {
        address: "aws_iam_role_policy_attachment.contract",
        config: object(&[
            ("role", "host".into()),
            ("policy_arn", policy_arn.as_str().into()),
        ]),
        update: object(&[]),
        replace: Some("policy_arn"),
        missing_id: format!("other-host/{policy_arn}"),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_iam_role_policy_attachment").as_ref(),
        attachment,
        &ctx,
    )
    .await;

    let c = iam.clone();
    let profile_tags: TagOutside = Box::new(move |name, set, unset| {
        let c = c.clone();
        Box::pin(async move {
            c.tag_instance_profile()
                .instance_profile_name(name)
                .set_tags(Some(iam_tags(set)))
                .send()
                .await
                .unwrap();
            c.untag_instance_profile()
                .instance_profile_name(name)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    });
    let profile = Case {
        address: "aws_iam_instance_profile.contract",
        config: object(&[
            ("name", "contract".into()),
            ("role", "host".into()),
            ("tags", tags(&[("Name", "contract")])),
        ]),
        update: object(&[
            ("role", "other-host".into()),
            ("tags", tags(&[("Name", "contract"), ("Tier", "app")])),
        ]),
        replace: Some("name"),
        missing_id: "none".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(profile_tags),
        delete_forgets: false,
    };
    check(resource("aws_iam_instance_profile").as_ref(), profile, &ctx).await;

    // client_id_list changes in place on AWS (Add/RemoveClientID), which
    // moto does not implement: the in-place change here is the
    // thumbprints and tags.
    let c = iam.clone();
    let oidc_tags: TagOutside = Box::new(move |arn, set, unset| {
        let c = c.clone();
        Box::pin(async move {
            c.tag_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .set_tags(Some(iam_tags(set)))
                .send()
                .await
                .unwrap();
            c.untag_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    });
    let oidc = Case {
        address: "aws_iam_openid_connect_provider.contract",
        config: object(&[
            ("url", "https://token.actions.githubusercontent.com".into()),
            ("client_id_list", Value::from(vec!["sts.amazonaws.com"])),
            (
                "thumbprint_list",
                Value::from(vec!["6938fd4d98bab03faadb97b34396831e3780aea1"]),
            ),
            ("tags", tags(&[("Name", "github")])),
        ]),
        update: object(&[
            (
                "thumbprint_list",
                Value::from(vec!["1c58a3a8518e8759bf075b76b750d4f2df264fcd"]),
            ),
            ("tags", tags(&[("Name", "github"), ("Use", "deploy")])),
        ]),
        replace: Some("url"),
        missing_id: "arn:aws:iam::123456789012:oidc-provider/missing.example.com".into(),
        leftovers: Leftovers::ByIdentity,
        tag_outside: Some(oidc_tags),
        delete_forgets: false,
    };
    check(
        resource("aws_iam_openid_connect_provider").as_ref(),
        oidc,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_iam_role",
            "aws_iam_role_policy",
            "aws_iam_role_policy_attachment",
            "aws_iam_instance_profile",
            "aws_iam_openid_connect_provider",
        ],
    );
}
