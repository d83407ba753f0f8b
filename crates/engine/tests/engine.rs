//! The engine's semantics against the in-process test provider: planning
//! actions, apply ordering, failures, unknowns and sensitive values.

use std::sync::atomic::Ordering;

use cairn_engine::apply::ApplyOptions;
use cairn_engine::{render, Action, ConfigGraph, PlanOptions, Reason};
use cairn_state::{Backend, ResourceStatus};

mod support;

use support::{who, Env};

const NET_AND_NODE: &str = r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = "main"

[resource.test_node.a]
network_id = "${test_network.main.id}"
size = 2
"#;

#[tokio::test]
async fn a_new_stack_plans_creates_with_unknown_computed_values() {
    let env = Env::new();
    let (_, plan) = env.plan(NET_AND_NODE).await;
    assert_eq!(
        Env::actions(&plan),
        [
            ("test_network.main".into(), Action::Create),
            ("test_node.a".into(), Action::Create)
        ]
    );
    let node = plan.change("test_node.a").unwrap().after.as_ref().unwrap();
    assert!(
        node["network_id"].is_unknown(),
        "a reference to an id not yet created is unknown"
    );
    assert!(node["id"].is_unknown());
    assert_eq!(node["size"].as_i64(), Some(2));
    let c = plan.counts();
    assert_eq!((c.add, c.change, c.destroy), (2, 0, 0));
}

#[tokio::test]
async fn apply_substitutes_known_values_and_the_next_plan_is_a_no_op() {
    let env = Env::new();
    let out = env.apply(NET_AND_NODE).await;
    let net_id = out.state.resources["test_network.main"].id.clone();
    assert_eq!(
        out.state.resources["test_node.a"].attributes()["network_id"].as_str(),
        Some(net_id.as_str())
    );
    assert_eq!(
        out.state.resources["test_node.a"].dependencies,
        ["test_network.main"]
    );
    let creates: Vec<String> = env
        .cloud
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("create"))
        .collect();
    assert_eq!(creates, ["create test_network.main", "create test_node.a"]);
    let (_, plan) = env.plan(NET_AND_NODE).await;
    assert!(!plan.has_changes(), "{}", render::plan_text(&plan));
    assert!(plan.drift.is_empty());
}

#[tokio::test]
async fn an_in_place_change_updates_only_the_changed_attribute() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let changed = NET_AND_NODE.replace("size = 2", "size = 3");
    let (_, plan) = env.plan(&changed).await;
    let c = plan.change("test_node.a").unwrap();
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.changed, ["size"]);
    env.apply(&changed).await;
    assert!(env
        .cloud
        .calls()
        .contains(&"update test_node.a [size]".to_string()));
}

/// The node's force-new `network_id` depends on the network's revision,
/// which the plan cannot know changes: the plan shows an update of `size`
/// only, and at apply the re-evaluated `network_id` differs too. It must
/// not reach `update` (where a provider could drop it and report success).
#[tokio::test]
async fn a_force_new_change_found_at_apply_is_refused_never_passed_to_update() {
    let env = Env::new();
    let text = r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = "a"

[resource.test_node.a]
network_id = "${test_network.main.id}/${test_network.main.revision}"
size = 1
"#;
    env.apply(text).await;
    let changed = text
        .replace("name = \"a\"", "name = \"b\"")
        .replace("size = 1", "size = 2");
    let (_, plan) = env.plan(&changed).await;
    assert_eq!(plan.change("test_node.a").unwrap().action, Action::Update);
    let out = env.apply_with(&changed, |_| {}).await;
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert_eq!(out.errors[0].address.to_string(), "test_node.a");
    assert_eq!(out.errors[0].error.code, "ReplacementNotPlanned");
    assert!(out.errors[0].error.message.contains("`network_id`"));
    assert!(
        !env.cloud
            .calls()
            .iter()
            .any(|c| c.starts_with("update test_node.a")),
        "{:?}",
        env.cloud.calls()
    );
    // The next plan shows the replacement the apply refused to hide.
    let (_, plan) = env.plan(&changed).await;
    assert_eq!(plan.change("test_node.a").unwrap().action, Action::Replace);
}

#[tokio::test]
async fn a_force_new_change_replaces_and_cascades_in_the_right_order() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let changed = NET_AND_NODE.replace("10.0.0.0/16", "10.1.0.0/16");
    let (_, plan) = env.plan(&changed).await;
    let net = plan.change("test_network.main").unwrap();
    assert_eq!(net.action, Action::Replace);
    assert_eq!(net.reasons, [Reason::ForceNew(vec!["cidr_block".into()])]);
    // The node's network_id becomes unknown, and it is force-new.
    assert_eq!(plan.change("test_node.a").unwrap().action, Action::Replace);
    let text = render::plan_text(&plan);
    assert!(text.contains("# forces replacement"), "{text}");
    assert!(
        text.contains("Plan: 2 to add, 0 to change, 2 to destroy."),
        "{text}"
    );

    let before = env.cloud.calls().len();
    env.apply(&changed).await;
    let calls = env.cloud.calls()[before..].to_vec();
    let ops: Vec<&str> = calls
        .iter()
        .filter(|c| !c.starts_with("read") && !c.starts_with("list owned"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        ops,
        [
            "delete test_node.a",
            "delete test_network.main",
            "create test_network.main",
            "create test_node.a"
        ]
    );
    assert_eq!(env.cloud.count(), 2);
}

#[tokio::test]
async fn removing_a_resource_from_config_deletes_it_and_dependents_go_first() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let (_, plan) = env.plan("").await;
    assert_eq!(
        Env::actions(&plan),
        [
            ("test_network.main".into(), Action::Delete),
            ("test_node.a".into(), Action::Delete)
        ]
    );
    let before = env.cloud.calls().len();
    let out = env.apply("").await;
    let calls = env.cloud.calls()[before..].to_vec();
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("delete"))
            .collect::<Vec<_>>(),
        ["delete test_node.a", "delete test_network.main"]
    );
    assert!(out.state.resources.is_empty());
    assert_eq!(env.cloud.count(), 0);
}

#[tokio::test]
async fn a_resource_deleted_outside_is_drift_and_is_created_again() {
    let env = Env::new();
    let out = env.apply(NET_AND_NODE).await;
    let node_id = out.state.resources["test_node.a"].id.clone();
    env.cloud.objects.lock().unwrap().remove(&node_id);
    let (_, plan) = env.plan(NET_AND_NODE).await;
    let c = plan.change("test_node.a").unwrap();
    assert_eq!(c.action, Action::Create);
    assert_eq!(c.reasons, [Reason::Gone]);
    assert_eq!(plan.drift.len(), 1);
    let text = render::plan_text(&plan);
    assert!(
        text.contains("has been deleted") && text.contains("because it was deleted outside cairn"),
        "{text}"
    );
}

#[tokio::test]
async fn drift_in_an_attribute_is_reported_apart_from_the_change() {
    let env = Env::new();
    let out = env.apply(NET_AND_NODE).await;
    let id = out.state.resources["test_network.main"].id.clone();
    env.cloud
        .objects
        .lock()
        .unwrap()
        .get_mut(&id)
        .unwrap()
        .insert("name".into(), "clicked".into());
    let (_, plan) = env.plan(NET_AND_NODE).await;
    assert_eq!(plan.drift.len(), 1);
    let c = plan.change("test_network.main").unwrap();
    assert_eq!(
        (c.action, c.changed.clone()),
        (Action::Update, vec!["name".to_string()])
    );
}

#[tokio::test]
async fn refresh_false_plans_against_state_without_reading() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let before = env.cloud.calls().len();
    let (_, plan) = env
        .plan_with(
            NET_AND_NODE,
            PlanOptions {
                refresh: false,
                destroy: false,
                ..Default::default()
            },
        )
        .await;
    assert!(!plan.has_changes());
    assert_eq!(
        env.cloud.calls().len(),
        before,
        "no provider call with refresh=false"
    );
}

#[tokio::test]
async fn refresh_reads_each_type_in_one_batch() {
    let env = Env::new();
    let mut text = String::from(NET_AND_NODE);
    for i in 0..5 {
        text.push_str(&format!(
            "[resource.test_node.n{i}]\nnetwork_id = \"${{test_network.main.id}}\"\n"
        ));
    }
    env.apply(&text).await;
    let before = env.cloud.calls().len();
    env.plan(&text).await;
    let mut reads = env.cloud.calls()[before..].to_vec();
    reads.sort();
    assert_eq!(reads, ["read test_network (1)", "read test_node (6)"]);
}

#[tokio::test]
async fn sensitive_values_are_masked_in_the_plan_and_marked_in_state() {
    let env = Env::new();
    let text = r#"
[variable.db_password]
type = "string"
default = "hunter2-secret"
sensitive = true

[resource.test_network.main]
cidr_block = "10.0.0.0/16"

[resource.test_node.db]
network_id = "${test_network.main.id}"
password = "${var.db_password}"
labels = ["pw=${var.db_password}", "plain"]
"#;
    let (_, plan) = env.plan(text).await;
    let shown = render::plan_text(&plan);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("(sensitive value)"), "{shown}");
    let out = env.apply(text).await;
    let rs = &out.state.resources["test_node.db"];
    assert!(rs.attributes()["password"].is_sensitive());
    assert!(rs.attributes()["labels"].contains_sensitive());
    // The secret is stored (state must be able to recreate it), but marked.
    assert!(rs
        .sensitive_paths
        .iter()
        .any(|p| p == &vec![serde_json::Value::from("password")]));
}

#[tokio::test]
async fn an_output_with_a_secret_must_be_declared_sensitive() {
    let env = Env::new();
    let stack = env.stack(
        r#"
[variable.pw]
type = "string"
default = "x"
sensitive = true
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = "${var.pw}"
[output.leak]
value = "${test_network.main.name}"
"#,
    );
    let graph = ConfigGraph::build(&stack).unwrap();
    let err = cairn_engine::plan(&stack, &graph, &env.providers, None, PlanOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("error"), "{err}");
    match err {
        cairn_engine::EngineError::Config(d) => assert!(
            d[0].message.contains("refers to a sensitive value"),
            "{:?}",
            d
        ),
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn a_failure_stops_new_work_but_keeps_what_completed() {
    let env = Env::new();
    let text = r#"
[resource.test_network.ok]
cidr_block = "10.0.0.0/16"
[resource.test_network.bad]
cidr_block = "10.1.0.0/16"
[resource.test_node.after_bad]
network_id = "${test_network.bad.id}"
"#;
    env.cloud
        .fail
        .lock()
        .unwrap()
        .insert("test_network.bad".into());
    let out = env.apply_with(text, |_| {}).await;
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].address.to_string(), "test_network.bad");
    assert_eq!(out.errors[0].error.code, "InjectedFailure");
    assert!(!env
        .cloud
        .calls()
        .iter()
        .any(|c| c == "create test_node.after_bad"));
    let stored = env.backend.read().await.unwrap().unwrap().doc;
    assert!(
        stored.resources.contains_key("test_network.ok"),
        "completed work is recorded"
    );
    assert_eq!(stored.resources.len(), env.cloud.count());
}

#[tokio::test]
async fn a_partly_created_resource_is_recorded_tainted_and_replaced_next_time() {
    let env = Env::new();
    let text = "[resource.test_network.main]\ncidr_block = \"10.0.0.0/16\"\n";
    env.cloud
        .fail_after_create
        .lock()
        .unwrap()
        .insert("test_network.main".into());
    let out = env.apply_with(text, |_| {}).await;
    assert_eq!(out.errors.len(), 1);
    let stored = env.backend.read().await.unwrap().unwrap().doc;
    assert_eq!(
        stored.resources["test_network.main"].status,
        ResourceStatus::Tainted
    );
    env.cloud.fail_after_create.lock().unwrap().clear();
    let (_, plan) = env.plan(text).await;
    let c = plan.change("test_network.main").unwrap();
    assert_eq!(
        (c.action, c.reasons.clone()),
        (Action::Replace, vec![Reason::Tainted])
    );
    env.apply(text).await;
    assert_eq!(
        env.cloud.count(),
        1,
        "the tainted object was deleted, not orphaned"
    );
}

#[tokio::test]
async fn parallelism_bounds_operations_in_flight() {
    let env = Env::new();
    let mut text = String::new();
    for i in 0..12 {
        text.push_str(&format!("[resource.test_slow.s{i}]\ndelay_ms = 30\n"));
    }
    env.apply_with(&text, |o| o.parallelism = 3).await;
    let max = env.cloud.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=3).contains(&max), "max in flight {max}");
    assert_eq!(env.cloud.count(), 12);
}

#[tokio::test]
async fn a_stop_request_schedules_nothing_new_and_saves_state() {
    let env = Env::new();
    let mut text = String::new();
    for i in 0..6 {
        text.push_str(&format!("[resource.test_slow.s{i}]\ndelay_ms = 50\n"));
    }
    let out = env
        .apply_with(&text, |o| {
            o.parallelism = 2;
            let stop = o.stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                stop.store(true, Ordering::SeqCst);
            });
        })
        .await;
    assert!(out.interrupted);
    assert_eq!(env.cloud.count(), 2, "only the two in flight completed");
    let stored = env.backend.read().await.unwrap().unwrap().doc;
    assert_eq!(stored.resources.len(), 2);
}

#[tokio::test]
async fn destroy_deletes_everything_in_reverse_order() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let (stack, plan) = env
        .plan_with(
            NET_AND_NODE,
            PlanOptions {
                refresh: true,
                destroy: true,
                ..Default::default()
            },
        )
        .await;
    assert!(plan.changes.iter().all(|c| c.action == Action::Delete));
    let version = env.backend.read().await.unwrap().map(|v| v.version);
    let graph = ConfigGraph::build(&stack).unwrap();
    let out = cairn_engine::apply(
        &plan,
        &stack,
        &graph,
        &env.providers,
        env.backend.clone(),
        version,
        ApplyOptions::new(who()),
    )
    .await;
    assert!(out.succeeded());
    assert_eq!(env.cloud.count(), 0);
    assert!(env
        .backend
        .read()
        .await
        .unwrap()
        .unwrap()
        .doc
        .resources
        .is_empty());
}

#[tokio::test]
async fn a_cycle_is_reported_with_each_edge() {
    let env = Env::new();
    let stack = env.stack(
        r#"
[resource.test_node.a]
network_id = "${test_node.b.id}"
[resource.test_node.b]
network_id = "${test_node.a.id}"
"#,
    );
    let d = ConfigGraph::build(&stack).err().unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].message,
        "dependency cycle: test_node.a -> test_node.b -> test_node.a"
    );
    assert_eq!(d[0].notes.len(), 2);
    let text = d[0].render(&stack.sources);
    assert!(text.contains("main.toml:5:"), "{text}");
}

#[tokio::test]
async fn the_plan_renders_like_terraform() {
    let env = Env::new();
    env.apply(NET_AND_NODE).await;
    let changed = NET_AND_NODE.replace(
        "name = \"main\"",
        "name = \"renamed\"\ntags = { Team = \"core\" }",
    );
    let (_, plan) = env.plan(&changed).await;
    let text = render::plan_text(&plan).replace(
        &plan
            .change("test_network.main")
            .unwrap()
            .id
            .clone()
            .unwrap(),
        "ID",
    );
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn an_object_created_but_never_recorded_is_adopted_not_duplicated() {
    let env = Env::new();
    let text = "[resource.test_network.main]\ncidr_block = \"10.0.0.0/16\"\nname = \"n\"\n";
    // A previous apply created the object, then died before writing state.
    let resource = env.registry.resource("test_network").unwrap().clone();
    let ctx = cairn_core::OpContext {
        address: "test_network.main".parse().unwrap(),
        stack: "t".into(),
        default_tags: Default::default(),
        idempotency_token: String::new(),
        timeout: std::time::Duration::from_secs(1),
        progress: Default::default(),
    };
    let planned: cairn_core::Object = [
        ("cidr_block".to_string(), "10.0.0.0/16".into()),
        ("name".to_string(), "old".into()),
    ]
    .into();
    let orphan = resource.create(&ctx, &planned).await.unwrap();
    let orphan_id = orphan["id"].as_str().unwrap().to_string();
    // The plan says so before anything happens.
    let (_, plan) = env.plan(text).await;
    let change = plan.change("test_network.main").unwrap();
    assert_eq!(change.action, Action::Create);
    assert!(change.reasons.contains(&Reason::Adopt(orphan_id.clone())));
    let text_plan = render::plan_text(&plan);
    assert!(
        text_plan.contains("test_network.main will be adopted"),
        "{text_plan}"
    );
    assert!(
        text_plan.contains(&format!("adopts {orphan_id}")),
        "{text_plan}"
    );
    let out = env.apply(text).await;
    assert_eq!(env.cloud.count(), 1, "no second object");
    let rs = &out.state.resources["test_network.main"];
    assert_eq!(rs.id, orphan["id"].as_str().unwrap());
    assert_eq!(
        rs.attributes()["name"].as_str(),
        Some("n"),
        "brought up to date"
    );
    let (_, plan) = env.plan(text).await;
    assert!(!plan.has_changes());
}

/// Leftovers are listed once per type for the whole apply, never once per
/// create (a listing per create made a 1,000-subnet apply quadratic).
#[tokio::test]
async fn an_apply_lists_leftovers_once_per_type_and_creates_nothing_without_the_listing() {
    let env = Env::new();
    let text = r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"

[resource.test_node.n]
count = 50
network_id = "${test_network.main.id}"
"#;
    let out = env.apply(text).await;
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let listings: Vec<String> = env
        .cloud
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("list owned"))
        .collect();
    // One for the plan's notice, one at the start of the apply.
    assert_eq!(
        listings,
        [
            "list owned test_network",
            "list owned test_node",
            "list owned test_network",
            "list owned test_node"
        ]
    );

    // Without the listing, a create could duplicate a leftover: refused.
    env.cloud
        .fail_listing
        .lock()
        .unwrap()
        .insert("test_node".into());
    let more = text.replace("count = 50", "count = 52");
    let out = env.apply_with(&more, |_| {}).await;
    assert_eq!(out.errors.len(), 2, "{:?}", out.errors);
    assert!(out.errors.iter().all(|e| e.error.code == "InjectedFailure"));
    assert_eq!(env.cloud.count(), 51, "nothing created");
}

#[tokio::test]
async fn a_resources_timeouts_bound_its_operations() {
    let env = Env::new();
    let slow = |timeouts: &str| format!("[resource.test_slow.a]\ndelay_ms = 1500\n{timeouts}");
    let out = env
        .apply_with(&slow("timeouts = { create = \"1s\" }\n"), |_| {})
        .await;
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].error.code, "Timeout");
    assert_eq!(out.errors[0].address.to_string(), "test_slow.a");
    // The same operation with room to finish.
    env.apply(&slow("timeouts = { create = \"5s\" }\n")).await;
}

#[tokio::test]
async fn a_tag_configured_with_a_default_tags_value_replans_clean() {
    let env = Env::new();
    let text = r#"
[provider.aws]
default_tags = { Env = "prod", Team = "platform" }

[resource.test_network.main]
cidr_block = "10.0.0.0/16"
tags = { Env = "prod", Name = "main" }
"#;
    let out = env.apply(text).await;
    let tags = &out.state.resources["test_network.main"].attributes()["tags"];
    assert_eq!(tags.as_map().map(|m| m.len()), Some(2), "{tags:?}");
    let (_, plan) = env.plan(text).await;
    assert!(!plan.has_changes(), "{}", render::plan_text(&plan));
    // Dropping the tag that only repeated the default is still a change
    // to the configuration, and it converges.
    let without = text.replace("Env = \"prod\", Name", "Name");
    let (_, plan) = env.plan(&without).await;
    assert_eq!(plan.change("test_network.main").unwrap().changed, ["tags"]);
    env.apply(&without).await;
    let (_, plan) = env.plan(&without).await;
    assert!(!plan.has_changes(), "{}", render::plan_text(&plan));
}
