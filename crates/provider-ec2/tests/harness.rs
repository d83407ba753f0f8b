//! Shared by this crate's moto tests: a server, the registry pointed at it,
//! and a raw SDK client for checking results independently of cairn.
//! Each test file uses a part of it.
#![allow(dead_code)]

use std::sync::Arc;

use cairn_core::provider::ReadContext;
use cairn_core::{Object, ReadOutcome, ReadRequest, Registry, Resource};
use cairn_testkit::fixtures::moto_provider;
use cairn_testkit::MotoServer;

pub struct Harness {
    pub _moto: MotoServer,
    pub registry: Registry,
    pub ec2: aws_sdk_ec2::Client,
}

impl Harness {
    pub async fn start() -> Harness {
        let (moto, aws, registry) = moto_provider(cairn_provider_ec2::register);
        let ec2 = aws_sdk_ec2::Client::new(aws.sdk_config().await.unwrap());
        Harness {
            _moto: moto,
            registry,
            ec2,
        }
    }

    pub fn resource(&self, type_name: &str) -> Arc<dyn Resource> {
        self.registry.resource(type_name).unwrap().clone()
    }

    /// An S3 bucket on the same moto server (a flow log destination), made
    /// with a bare request: this crate has no S3 SDK.
    pub fn bucket(&self, name: &str) {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(("127.0.0.1", self._moto.port())).unwrap();
        write!(
            c,
            "PUT /{name} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        c.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
            "{answer}"
        );
    }

    /// A subnet made outside cairn.
    pub async fn subnet(&self, vpc: &str, cidr: &str) -> String {
        let out = self
            .ec2
            .create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .send()
            .await
            .unwrap();
        out.subnet()
            .and_then(|s| s.subnet_id())
            .unwrap()
            .to_string()
    }

    /// A security group made outside cairn.
    pub async fn security_group(&self, vpc: &str, name: &str) -> String {
        let out = self
            .ec2
            .create_security_group()
            .vpc_id(vpc)
            .group_name(name)
            .description(name)
            .send()
            .await
            .unwrap();
        out.group_id().unwrap().to_string()
    }

    /// An Elastic IP allocated outside cairn.
    pub async fn address(&self) -> String {
        let out = self.ec2.allocate_address().send().await.unwrap();
        out.allocation_id().unwrap().to_string()
    }

    /// An internet gateway made outside cairn, attached to `vpc`.
    pub async fn internet_gateway(&self, vpc: &str) -> String {
        let out = self.ec2.create_internet_gateway().send().await.unwrap();
        let igw = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .unwrap()
            .to_string();
        self.ec2
            .attach_internet_gateway()
            .internet_gateway_id(&igw)
            .vpc_id(vpc)
            .send()
            .await
            .unwrap();
        igw
    }

    /// An Amazon machine image moto knows.
    pub async fn ami(&self) -> String {
        let out = self
            .ec2
            .describe_images()
            .owners("amazon")
            .send()
            .await
            .unwrap();
        out.images()[0].image_id().unwrap().to_string()
    }

    /// A VPC made outside cairn, for types that live in one.
    pub async fn vpc(&self, cidr: &str) -> String {
        let out = self.ec2.create_vpc().cidr_block(cidr).send().await.unwrap();
        out.vpc().unwrap().vpc_id().unwrap().to_string()
    }
}

pub fn read_ctx() -> ReadContext {
    ReadContext {
        default_tags: [("Team".to_string(), "platform".to_string())].into(),
        stack: "providertest/moto".into(),
    }
}

/// Reads ids in one batch.
pub async fn read(r: &dyn Resource, items: &[(&str, &Object)]) -> Vec<Option<Object>> {
    let requests: Vec<ReadRequest> = items
        .iter()
        .map(|(id, prior)| ReadRequest { id, prior })
        .collect();
    r.read(&requests, &read_ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            ReadOutcome::Live(obj) => Some(obj),
            ReadOutcome::Gone => None,
        })
        .collect()
}

pub fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> std::collections::BTreeMap<String, String> {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The ids `owned_by_stack` lists for `ctx`'s address: what an apply
/// that died before recording them would adopt.
pub async fn owned(r: &dyn Resource, ctx: &cairn_core::OpContext) -> Vec<String> {
    let address = ctx.address.to_string();
    r.owned_by_stack(&ctx.stack)
        .await
        .unwrap()
        .into_iter()
        .filter(|(a, _)| *a == address)
        .map(|(_, id)| id)
        .collect()
}
