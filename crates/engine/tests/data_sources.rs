//! Data sources: read during plan when their arguments are known, read
//! during apply (and shown as reads) when they are not, never created or
//! destroyed, and no network call with --refresh=false.

mod support;

use cairn_core::{Object, Value};
use cairn_engine::{Action, EngineError, PlanOptions};
use support::Env;

/// A network made outside the stack, as an existing production VPC is.
fn existing(env: &Env, id: &str, name: &str) {
    let obj: Object = [
        ("id".to_string(), Value::from(id)),
        ("name".to_string(), Value::from(name)),
        ("cidr_block".to_string(), Value::from("10.200.0.0/16")),
    ]
    .into();
    env.cloud
        .objects
        .lock()
        .unwrap()
        .insert(id.to_string(), obj);
}

const READS_EXISTING: &str = r#"
[data.test_network.shared]
name = "shared"

[resource.test_node.a]
network_id = "${data.test_network.shared.id}"
size = 1

[output.peer_cidr]
value = "${data.test_network.shared.cidr_block}"
"#;

#[tokio::test]
async fn known_arguments_are_read_during_plan() {
    let env = Env::new();
    existing(&env, "network-99", "shared");
    let (_, plan) = env.plan(READS_EXISTING).await;
    assert_eq!(
        Env::actions(&plan),
        [("test_node.a".to_string(), Action::Create)],
        "a data source read at plan time is not a change"
    );
    let node = plan.change("test_node.a").unwrap().after.as_ref().unwrap();
    assert_eq!(node["network_id"].as_str(), Some("network-99"));
    assert!(env
        .cloud
        .calls()
        .contains(&"read data test_network (shared)".to_string()));

    let out = env.apply(READS_EXISTING).await;
    assert_eq!(
        out.state.resources["data.test_network.shared"].id,
        "network-99"
    );
    assert_eq!(
        out.state.outputs["peer_cidr"].value,
        serde_json::json!("10.200.0.0/16")
    );
    let (_, again) = env.plan(READS_EXISTING).await;
    assert!(!again.has_changes());

    // Offline: the recorded read stands in, and nothing is called.
    let before = env.cloud.calls().len();
    let (_, offline) = env
        .plan_with(
            READS_EXISTING,
            PlanOptions {
                refresh: false,
                ..Default::default()
            },
        )
        .await;
    assert!(!offline.has_changes());
    assert_eq!(
        env.cloud.calls().len(),
        before,
        "no call with --refresh=false"
    );

    // Dropped from the configuration, it is forgotten, never deleted.
    let (_, dropped) = env
        .plan("[resource.test_node.a]\nnetwork_id = \"network-99\"\nsize = 1\n")
        .await;
    assert!(dropped.changes.iter().all(|c| c.action == Action::NoOp));
    assert!(!dropped
        .state
        .resources
        .contains_key("data.test_network.shared"));
    assert_eq!(env.cloud.count(), 2, "the existing network is untouched");
}

#[tokio::test]
async fn unknown_arguments_defer_the_read_to_apply() {
    let env = Env::new();
    let config = r#"
[resource.test_network.main]
cidr_block = "10.1.0.0/16"
name = "main"

[data.test_network.by_id]
id = "${test_network.main.id}"

[resource.test_node.a]
network_id = "${data.test_network.by_id.id}"
"#;
    let (_, plan) = env.plan(config).await;
    assert_eq!(
        Env::actions(&plan),
        [
            ("test_network.main".to_string(), Action::Create),
            ("test_node.a".to_string(), Action::Create),
            ("data.test_network.by_id".to_string(), Action::Read),
        ]
    );
    let text = cairn_engine::render::plan_text(&plan);
    assert!(
        text.contains("data.test_network.by_id will be read during apply"),
        "{text}"
    );
    assert!(
        text.contains("<= data \"test_network\" \"by_id\""),
        "{text}"
    );
    assert_eq!(plan.counts().add, 2);

    let out = env.apply(config).await;
    let net = &out.state.resources["test_network.main"].id;
    let node = out.state.resources["test_node.a"].attributes();
    assert_eq!(node["network_id"].as_str(), Some(net.as_str()));
    let calls = env.cloud.calls();
    let created = calls
        .iter()
        .position(|c| c == "create test_network.main")
        .unwrap();
    let read = calls
        .iter()
        .position(|c| c.starts_with("read data test_network"))
        .unwrap();
    assert!(created < read, "read after what it depends on: {calls:?}");
    let (_, again) = env.plan(config).await;
    assert!(!again.has_changes());
}

#[tokio::test]
async fn a_read_that_matches_nothing_fails_the_plan_naming_the_data_source() {
    let env = Env::new();
    let config = "[data.test_network.missing]\nname = \"nope\"\n";
    let stack = env.stack(config);
    let graph = cairn_engine::ConfigGraph::build(&stack).unwrap();
    let err = cairn_engine::plan(&stack, &graph, &env.providers, None, PlanOptions::default())
        .await
        .unwrap_err();
    match err {
        EngineError::Operations(errors) => {
            assert_eq!(errors[0].address.to_string(), "data.test_network.missing");
            assert_eq!(errors[0].action, "read");
            assert_eq!(errors[0].error.code, "NoMatch");
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}
