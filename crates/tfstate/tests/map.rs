//! A Terraform state mapped to cairn's terms: module paths and keys, data
//! sources, aliases, sensitive paths, dependencies by instance, reshaped
//! nested blocks; and the refusals.

use cairn_core::{Attribute, Schema, Type};
use cairn_tfstate::{Refusal, TerraformState};
use serde_json::json;

fn schemas() -> (Schema, Schema, Schema) {
    let vpc = Schema::new()
        .attr("id", Attribute::string().computed())
        .attr("cidr_block", Attribute::string());
    let metadata = Schema::new().attr("http_tokens", Attribute::string());
    let instance = Schema::new()
        .attr("id", Attribute::string().computed())
        .attr("user_data", Attribute::string().sensitive())
        .attr("metadata_options", Attribute::new(Type::object(metadata)));
    let data_vpc = Schema::new()
        .attr("id", Attribute::string())
        .attr("cidr_block", Attribute::string().computed());
    (vpc, instance, data_vpc)
}

const AWS: &str = "provider[\"registry.terraform.io/hashicorp/aws\"]";

fn state(resources: serde_json::Value) -> TerraformState {
    let doc = json!({
        "version": 4, "terraform_version": "1.11.4", "serial": 8,
        "lineage": "f2fdfc90-aa3c-9743-62ae-fb8803f87e40",
        "outputs": { "vpc_id": { "value": "vpc-1", "type": "string" } },
        "resources": resources,
    });
    TerraformState::read(&doc.to_string()).unwrap()
}

#[test]
fn instances_map_to_cairn_addresses_providers_and_shapes() {
    let (vpc, instance, data_vpc) = schemas();
    let lookup = |t: &str, data: bool| match (t, data) {
        ("aws_vpc", false) => Some(&vpc),
        ("aws_instance", false) => Some(&instance),
        ("aws_vpc", true) => Some(&data_vpc),
        _ => None,
    };
    let tf = state(json!([
        { "module": "module.net[\"eu\"]", "mode": "managed", "type": "aws_vpc", "name": "this",
          "provider": format!("{AWS}.west"), "each": "map",
          "instances": [{ "index_key": "a", "attributes": { "id": "vpc-1", "cidr_block": "10.0.0.0/16", "tags_all": {} } }] },
        { "mode": "managed", "type": "aws_instance", "name": "db", "provider": AWS, "each": "list",
          "instances": [{ "index_key": 0,
            "attributes": { "id": "i-1", "user_data": "secret", "metadata_options": [{ "http_tokens": "required" }], "timeouts": null },
            "sensitive_attributes": [[{ "type": "get_attr", "value": "user_data" }]],
            "dependencies": ["module.net[\"eu\"].aws_vpc.this"] }] },
        { "mode": "data", "type": "aws_vpc", "name": "shared", "provider": AWS,
          "instances": [{ "attributes": { "id": "vpc-9", "cidr_block": "10.9.0.0/16" } }] },
    ]));
    let mapped = tf.map(&lookup).unwrap();
    let by = |a: &str| mapped.iter().find(|i| i.address == a).unwrap();

    let v = by("module.net[\"eu\"].aws_vpc.this[\"a\"]");
    assert_eq!(v.provider, "aws.west");
    assert!(
        !v.attributes.contains_key("tags_all"),
        "not in cairn's schema"
    );

    let i = by("aws_instance.db[0]");
    assert_eq!(i.provider, "aws");
    assert_eq!(i.id, "i-1");
    assert_eq!(i.sensitive_paths, [vec![json!("user_data")]]);
    assert_eq!(
        i.attributes["metadata_options"],
        json!({ "http_tokens": "required" })
    );
    assert!(!i.attributes.contains_key("timeouts"));
    assert_eq!(i.dependencies, ["module.net[\"eu\"].aws_vpc.this[\"a\"]"]);

    let d = by("data.aws_vpc.shared");
    assert!(d.data);
    assert_eq!(tf.outputs()["vpc_id"].value, json!("vpc-1"));
    assert_eq!((tf.serial, tf.terraform_version.as_str()), (8, "1.11.4"));
}

#[test]
fn what_cannot_be_carried_is_refused_all_at_once() {
    let (vpc, _, _) = schemas();
    let lookup = |t: &str, data: bool| (t == "aws_vpc" && !data).then_some(&vpc);
    let tf = state(json!([
        { "mode": "managed", "type": "aws_vpc", "name": "tainted", "provider": AWS,
          "instances": [{ "status": "tainted", "attributes": { "id": "vpc-1" } }] },
        { "mode": "managed", "type": "aws_vpc", "name": "old", "provider": AWS,
          "instances": [{ "deposed": "00000001", "attributes": { "id": "vpc-2" } }] },
        { "mode": "managed", "type": "aws_unicorn", "name": "x", "provider": AWS,
          "instances": [{ "attributes": { "id": "u-1" } }] },
        { "mode": "managed", "type": "aws_vpc", "name": "cf",
          "provider": "provider[\"registry.terraform.io/cloudflare/cloudflare\"]",
          "instances": [{ "attributes": { "id": "r-1" } }] },
    ]));
    let refusals = tf.map(&lookup).unwrap_err();
    assert_eq!(refusals.len(), 4, "{refusals:?}");
    assert!(matches!(&refusals[0], Refusal::Tainted { address } if address == "aws_vpc.tainted"));
    assert!(matches!(&refusals[1], Refusal::Deposed { .. }));
    assert!(
        matches!(&refusals[2], Refusal::UnsupportedType { type_name, .. } if type_name == "aws_unicorn")
    );
    assert!(matches!(&refusals[3], Refusal::UnsupportedProvider { .. }));
}

#[test]
fn other_state_formats_are_refused_by_name() {
    let err = TerraformState::read(r#"{"version": 3, "serial": 1}"#).unwrap_err();
    assert!(err.to_string().contains("format 3"), "{err}");
    assert!(TerraformState::read("not json").is_err());
}
