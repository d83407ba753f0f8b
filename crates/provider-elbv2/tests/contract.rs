//! The resource contract (cairn_testkit::resource_contract) for every
//! ELBv2 type, against moto.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, Tag};
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

fn tag_outside(elb: &aws_sdk_elasticloadbalancingv2::Client) -> Option<TagOutside> {
    let c = elb.clone();
    Some(Box::new(move |arn, set, unset| {
        let c = c.clone();
        Box::pin(async move {
            let set = set
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            c.add_tags()
                .resource_arns(arn)
                .set_tags(Some(set))
                .send()
                .await
                .unwrap();
            c.remove_tags()
                .resource_arns(arn)
                .set_tag_keys(Some(unset))
                .send()
                .await
                .unwrap();
        })
    }))
}

#[tokio::test]
async fn every_elbv2_type_keeps_the_contract() {
    let (_moto, aws, registry) = moto_provider(cairn_provider_elbv2::register);
    let conf = aws.sdk_config().await.unwrap();
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(conf);
    let ctx = op_context("aws_lb.contract");
    let resource = |t: &str| registry.resource(t).unwrap().clone();

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.60.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc()
        .unwrap()
        .vpc_id()
        .unwrap()
        .to_string();
    let mut subnets = Vec::new();
    for (i, zone) in ["eu-west-2a", "eu-west-2b"].iter().enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.60.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .unwrap();
        subnets.push(Value::from(s.subnet().unwrap().subnet_id().unwrap()));
    }
    let sg = ec2
        .create_security_group()
        .group_name("alb")
        .description("alb")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();

    let lb = Case {
        address: "aws_lb.contract",
        config: object(&[
            ("name", "tracker-contract".into()),
            ("subnets", Value::List(subnets.clone())),
            ("security_groups", Value::List(vec![sg.clone().into()])),
            ("tags", tags(&[("Name", "alb")])),
        ]),
        update: object(&[
            ("idle_timeout", 120.into()),
            ("drop_invalid_header_fields", true.into()),
            ("tags", tags(&[("Name", "alb"), ("Tier", "edge")])),
        ]),
        replace: Some("internal"),
        missing_id: "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/none/0123456789abcdef".into(),
        leftovers: Leftovers::Listed,
        tag_outside: tag_outside(&elb),
        delete_forgets: false,
    };
    check(resource("aws_lb").as_ref(), lb, &ctx).await;

    let tg = Case {
        address: "aws_lb_target_group.contract",
        config: object(&[
            ("name_prefix", "api-".into()),
            ("port", 8000.into()),
            ("protocol", "HTTP".into()),
            ("vpc_id", vpc.clone().into()),
            ("target_type", "ip".into()),
            ("health_check", map(&[("path", "/health".into())])),
            ("tags", tags(&[("Name", "api")])),
        ]),
        update: object(&[
            ("deregistration_delay", 30.into()),
            (
                "health_check",
                map(&[("path", "/ready".into()), ("interval", 15.into())]),
            ),
            ("tags", tags(&[("Name", "api"), ("Tier", "app")])),
        ]),
        replace: Some("port"),
        missing_id:
            "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/none/0123456789abcdef"
                .into(),
        leftovers: Leftovers::Listed,
        tag_outside: tag_outside(&elb),
        delete_forgets: false,
    };
    check(resource("aws_lb_target_group").as_ref(), tg, &ctx).await;

    // Listeners and rules need a load balancer and a target group.
    let alb = elb
        .create_load_balancer()
        .name("tracker-host")
        .set_subnets(Some(
            subnets
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let alb = alb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let group = elb
        .create_target_group()
        .name("tracker-api")
        .port(8000)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .vpc_id(&vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let group = group.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    let redirect = Value::List(vec![map(&[
        ("type", "redirect".into()),
        (
            "redirect",
            map(&[
                ("port", "443".into()),
                ("protocol", "HTTPS".into()),
                ("status_code", "HTTP_301".into()),
            ]),
        ),
    ])]);
    let forward = Value::List(vec![map(&[
        ("type", "forward".into()),
        ("target_group_arn", group.clone().into()),
    ])]);
    let listener = Case {
        address: "aws_lb_listener.contract",
        config: object(&[
            ("load_balancer_arn", alb.clone().into()),
            ("port", 80.into()),
            ("default_action", redirect),
            ("tags", tags(&[("Name", "http")])),
        ]),
        update: object(&[
            ("default_action", forward.clone()),
            ("tags", tags(&[("Name", "http"), ("Tier", "edge")])),
        ]),
        replace: Some("load_balancer_arn"),
        missing_id: format!(
            "{}/0123456789abcdef",
            alb.replace(":loadbalancer/", ":listener/")
        ),
        leftovers: Leftovers::Listed,
        tag_outside: tag_outside(&elb),
        delete_forgets: false,
    };
    // Listed through the load balancer's ownership tags.
    elb.add_tags()
        .resource_arns(&alb)
        .tags(Tag::builder().key("cairn:stack").value(&ctx.stack).build())
        .send()
        .await
        .unwrap();
    check(resource("aws_lb_listener").as_ref(), listener, &ctx).await;

    let host = elb
        .create_listener()
        .load_balancer_arn(&alb)
        .port(8080)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let host = host.listeners()[0].listener_arn().unwrap().to_string();
    let paths = |v: &[&str]| {
        Value::List(vec![map(&[(
            "path_pattern",
            map(&[(
                "values",
                Value::List(v.iter().map(|s| Value::from(*s)).collect()),
            )]),
        )])])
    };
    let rule = Case {
        address: "aws_lb_listener_rule.contract",
        config: object(&[
            ("listener_arn", host.clone().into()),
            ("priority", 10.into()),
            ("action", forward),
            ("condition", paths(&["/api/*", "/docs"])),
            ("tags", tags(&[("Name", "api")])),
        ]),
        update: object(&[
            ("priority", 15.into()),
            ("condition", paths(&["/api/*", "/docs", "/redoc"])),
            ("tags", tags(&[("Name", "api"), ("Tier", "app")])),
        ]),
        replace: Some("listener_arn"),
        missing_id: format!(
            "{}/0123456789abcdef",
            host.replace(":listener/", ":listener-rule/")
        ),
        leftovers: Leftovers::Listed,
        tag_outside: tag_outside(&elb),
        delete_forgets: false,
    };
    check(resource("aws_lb_listener_rule").as_ref(), rule, &ctx).await;

    // A further certificate on an HTTPS listener (moto checks that ACM
    // knows the certificates).
    let acm = aws_sdk_acm::Client::new(conf);
    let mut certs = Vec::new();
    for domain in ["tracker.example.com", "tracker-admin.example.com"] {
        let c = acm
            .request_certificate()
            .domain_name(domain)
            .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
            .send()
            .await
            .unwrap();
        certs.push(c.certificate_arn().unwrap().to_string());
    }
    let https = elb
        .create_listener()
        .load_balancer_arn(&alb)
        .port(443)
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Https)
        .certificates(
            aws_sdk_elasticloadbalancingv2::types::Certificate::builder()
                .certificate_arn(&certs[0])
                .build(),
        )
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&group)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let https = https.listeners()[0].listener_arn().unwrap().to_string();
    let certificate = Case {
        address: "aws_lb_listener_certificate.contract",
        config: object(&[
            ("listener_arn", https.clone().into()),
            ("certificate_arn", certs[1].clone().into()),
        ]),
        update: object(&[]),
        replace: Some("certificate_arn"),
        missing_id: format!(
            "{https}_arn:aws:acm:eu-west-2:123456789012:certificate/00000000-0000-0000-0000-000000000000"
        ),
        leftovers: Leftovers::ByIdentity,
        tag_outside: None,
        delete_forgets: false,
    };
    check(
        resource("aws_lb_listener_certificate").as_ref(),
        certificate,
        &ctx,
    )
    .await;

    covered(
        registry.resource_types(),
        &[
            "aws_lb",
            "aws_lb_target_group",
            "aws_lb_listener",
            "aws_lb_listener_rule",
            "aws_lb_listener_certificate",
        ],
    );
}
