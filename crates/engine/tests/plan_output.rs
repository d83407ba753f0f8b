//! The three renderings of a plan (human, Markdown, JSON) for create,
//! update, replace, delete, drift and sensitive cases, snapshot-tested; the
//! JSON is validated against docs/plan-json.schema.json, and no secret may
//! appear in any of them.

mod support;

use cairn_core::Value;
use cairn_engine::{plan_json, render, render_markdown, Plan, PlanOptions};
use support::Env;

const SECRET: &str = "hunter2-very-secret";

fn stack(cidr: &str, name: &str, size: u32, password: &str, with_node: bool) -> String {
    let mut s =
        format!("[resource.test_network.main]\ncidr_block = \"{cidr}\"\nname = \"{name}\"\n");
    if with_node {
        s.push_str(&format!(
            "\n[resource.test_node.a]\nnetwork_id = \"${{test_network.main.id}}\"\nsize = {size}\npassword = \"{password}\"\n\n[output.node_id]\nvalue = \"${{test_node.a.id}}\"\n"
        ));
    }
    s
}

fn schema() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/plan-json.schema.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

/// Snapshots all three renderings and checks what every one must hold.
fn check(name: &str, plan: &Plan) {
    let human = render::plan_text(plan);
    let markdown = render_markdown::plan_markdown(plan);
    let mut json = plan_json::plan_json(plan);
    let errors: Vec<String> = schema()
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{name}: JSON does not match the schema:\n{}",
        errors.join("\n")
    );
    for (format, text) in [
        ("human", &human),
        ("markdown", &markdown),
        ("json", &json.to_string()),
    ] {
        assert!(
            !text.contains(SECRET),
            "{name}: the secret leaked into the {format} output"
        );
    }
    // The lineage is random: pin it for the snapshot.
    if json["prior_state"]["lineage"].is_string() {
        json["prior_state"]["lineage"] = "[lineage]".into();
    }
    json["cairn_version"] = "[version]".into();
    insta::assert_snapshot!(format!("{name}_human"), human);
    insta::assert_snapshot!(format!("{name}_markdown"), markdown);
    insta::assert_snapshot!(
        format!("{name}_json"),
        serde_json::to_string_pretty(&json).unwrap()
    );
}

#[tokio::test]
async fn create() {
    let env = Env::new();
    let (_, plan) = env
        .plan(&stack("10.0.0.0/16", "main", 2, SECRET, true))
        .await;
    check("create", &plan);
}

#[tokio::test]
async fn update_replace_and_delete() {
    let env = Env::new();
    env.apply(&stack("10.0.0.0/16", "main", 2, SECRET, true))
        .await;
    // The node's size changes in place...
    let (_, plan) = env
        .plan(&stack("10.0.0.0/16", "main", 3, SECRET, true))
        .await;
    check("update", &plan);
    // ...a new CIDR forces a new network (and so a new node)...
    let (_, plan) = env
        .plan(&stack("10.1.0.0/16", "main", 2, SECRET, true))
        .await;
    check("replace", &plan);
    // ...and a node no longer configured is deleted.
    let (_, plan) = env
        .plan(&stack("10.0.0.0/16", "main", 2, SECRET, false))
        .await;
    check("delete", &plan);
}

#[tokio::test]
async fn sensitive_changes_are_masked() {
    let env = Env::new();
    env.apply(&stack("10.0.0.0/16", "main", 2, "old-password", true))
        .await;
    let (_, plan) = env
        .plan(&stack("10.0.0.0/16", "main", 2, SECRET, true))
        .await;
    let json = plan_json::plan_json(&plan);
    let node = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "test_node.a")
        .unwrap();
    assert_eq!(node["change"]["actions"], serde_json::json!(["update"]));
    assert_eq!(node["change"]["after"]["password"], serde_json::Value::Null);
    assert_eq!(node["change"]["after_sensitive"]["password"], true);
    assert_eq!(node["change"]["before_sensitive"]["password"], true);
    check("sensitive", &plan);
}

#[tokio::test]
async fn drift_is_reported_apart_from_changes() {
    let env = Env::new();
    let config = stack("10.0.0.0/16", "main", 2, SECRET, true);
    env.apply(&config).await;
    {
        let mut objects = env.cloud.objects.lock().unwrap();
        // Someone renames the network in the console and deletes the node.
        let net = objects
            .values_mut()
            .find(|o| o.contains_key("cidr_block"))
            .unwrap();
        net.insert("name".into(), Value::from("renamed-by-hand"));
        let node = objects
            .iter()
            .find(|(_, o)| o.contains_key("network_id"))
            .map(|(k, _)| k.clone())
            .unwrap();
        objects.remove(&node);
    }
    let (_, plan) = env.plan(&config).await;
    check("drift", &plan);

    let (_, refresh_only) = env
        .plan_with(
            &config,
            PlanOptions {
                refresh_only: true,
                ..Default::default()
            },
        )
        .await;
    assert!(refresh_only.changes.is_empty());
    assert_eq!(refresh_only.drift.len(), 2);
    assert!(refresh_only.has_changes());
    check("refresh_only", &refresh_only);
}

/// `n` networks applied, then a change that destroys the last `n / 100`,
/// replaces every 50th (a new CIDR block), renames the rest in place, and
/// creates `n / 10` nodes.
async fn large_plan(n: usize) -> Plan {
    let env = Env::new();
    env.apply(&format!(
        "[resource.test_network.n]\ncount = {n}\ncidr_block = \"10.0.0.0/16\"\nname = \"a\"\n"
    ))
    .await;
    let (_, plan) = env
        .plan(&format!(
            "[resource.test_network.n]\ncount = {}\ncidr_block = '${{count.index % 50 == 0 ? \"10.1.0.0/16\" : \"10.0.0.0/16\"}}'\nname = \"b\"\n\n[resource.test_node.m]\ncount = {}\nnetwork_id = \"${{test_network.n[1].id}}\"\n",
            n - n / 100,
            n / 10
        ))
        .await;
    plan
}

/// Within the budget, with every destroy and replace named, for plans of
/// 10, 1,000 and 10,000 resources.
#[tokio::test]
async fn markdown_stays_within_its_budget_and_never_hides_a_destroy() {
    for n in [10, 1_000, 10_000] {
        let plan = large_plan(n).await;
        let text = render_markdown::plan_markdown_within(&plan, render_markdown::DEFAULT_MAX_BYTES);
        assert!(
            text.len() <= render_markdown::DEFAULT_MAX_BYTES,
            "{n}: {} bytes",
            text.len()
        );
        for c in plan.changes.iter().filter(|c| {
            matches!(
                c.action,
                cairn_engine::Action::Delete | cairn_engine::Action::Replace
            )
        }) {
            assert!(
                text.contains(&format!("`{}`", c.address)),
                "{n}: {} is not named",
                c.address
            );
        }
        let left_out = text.contains("resource diffs are left out");
        assert_eq!(left_out, n > 10, "{n}");
        insta::assert_snapshot!(format!("large_markdown_{n}"), text);
    }
}

#[tokio::test]
async fn compact_is_one_line_per_resource() {
    let plan = large_plan(10).await;
    let text = render::plan_compact(&plan);
    let changed = plan
        .changes
        .iter()
        .filter(|c| c.action != cairn_engine::Action::NoOp)
        .count();
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(" will be ") || l.contains(" must be "))
            .count(),
        changed
    );
    insta::assert_snapshot!("large_compact_10", text);
}
