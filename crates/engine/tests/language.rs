//! The language features that need the engine: modules, count/for_each,
//! locals, lifecycle, targeting, import and moved blocks, provider aliases;
//! against the in-process test provider.

use cairn_core::{Providers, Target};
use cairn_engine::{render, Action, PlanOptions, Reason};
use cairn_state::Backend;

mod support;

use support::Env;

fn addresses(plan: &cairn_engine::Plan) -> String {
    plan.changes
        .iter()
        .map(|c| format!("{:<8} {}", c.action.verb(), c.address))
        .collect::<Vec<_>>()
        .join("\n")
}

const NETWORK_MODULE: &str = r#"
[variable.cidr]
type = "string"

[variable.name]
type = "string"
default = "net"

[resource.test_network.this]
cidr_block = "${var.cidr}"
name = "${var.name}"

[output.id]
value = "${test_network.this.id}"

[output.cidr]
value = "${test_network.this.cidr_block}"
"#;

#[tokio::test]
async fn modules_take_inputs_and_give_outputs() {
    let env = Env::new();
    env.module("network", NETWORK_MODULE);
    let stack = r#"
[module.network]
source = "../modules/network"
cidr = "10.0.0.0/16"
name = "core"

[resource.test_node.a]
network_id = "${module.network.id}"
labels = ["${module.network.cidr}"]
"#;
    let (_, plan) = env.plan(stack).await;
    assert_eq!(
        addresses(&plan),
        "create   test_node.a\ncreate   module.network.test_network.this"
    );
    let node = plan.change("test_node.a").unwrap();
    assert_eq!(
        node.dependencies[0].to_string(),
        "module.network.test_network.this"
    );
    assert!(node.after.as_ref().unwrap()["network_id"].is_unknown());
    assert_eq!(
        node.after.as_ref().unwrap()["labels"].as_list().unwrap()[0].as_str(),
        Some("10.0.0.0/16"),
        "a module output known at plan time is known to its caller"
    );
    let out = env.apply(stack).await;
    let net = &out.state.resources["module.network.test_network.this"];
    assert_eq!(net.attributes()["name"].as_str(), Some("core"));
    assert_eq!(
        out.state.resources["test_node.a"].attributes()["network_id"].as_str(),
        Some(net.id.as_str())
    );
    let (_, again) = env.plan(stack).await;
    assert!(!again.has_changes(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn module_for_each_expands_instances_addressed_by_key() {
    let env = Env::new();
    env.module("network", NETWORK_MODULE);
    let stack = r#"
[variable.nets]
type = "map(string)"
default = { eu = "10.0.0.0/16", us = "10.1.0.0/16" }

[module.net]
source = "../modules/network"
for_each = "${var.nets}"
cidr = "${each.value}"
name = "net-${each.key}"

[resource.test_node.per_net]
for_each = "${module.net}"
network_id = "${each.value.id}"
labels = ["${each.key}", "${each.value.cidr}"]

[output.ids]
value = "${{for k, m in module.net : k => m.id}}"
"#;
    let (_, plan) = env.plan(stack).await;
    insta::assert_snapshot!("module_for_each_addresses", addresses(&plan));
    let out = env.apply(stack).await;
    let eu = &out.state.resources["module.net[\"eu\"].test_network.this"];
    assert_eq!(eu.attributes()["name"].as_str(), Some("net-eu"));
    assert_eq!(
        out.state.resources["test_node.per_net[\"us\"]"].attributes()["labels"]
            .as_list()
            .unwrap()[1]
            .as_str(),
        Some("10.1.0.0/16")
    );
    let ids = out.state.outputs["ids"].value();
    assert_eq!(ids.as_map().unwrap()["eu"].as_str(), Some(eu.id.as_str()));
    let (_, again) = env.plan(stack).await;
    assert!(!again.has_changes(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn changing_for_each_keys_touches_only_those_instances() {
    let env = Env::new();
    let stack = |keys: &str| {
        format!(
            r#"
[variable.nets]
type = "map(string)"
default = {{ {keys} }}

[resource.test_network.n]
for_each = "${{var.nets}}"
cidr_block = "${{each.value}}"
name = "${{each.key}}"
"#
        )
    };
    let before = stack(r#"a = "10.0.0.0/16", b = "10.1.0.0/16", c = "10.2.0.0/16""#);
    env.apply(&before).await;
    let after = stack(r#"a = "10.0.0.0/16", c = "10.2.0.0/16", d = "10.3.0.0/16""#);
    let (_, plan) = env.plan(&after).await;
    assert_eq!(
        Env::actions(&plan),
        [
            ("test_network.n[\"a\"]".into(), Action::NoOp),
            ("test_network.n[\"b\"]".into(), Action::Delete),
            ("test_network.n[\"c\"]".into(), Action::NoOp),
            ("test_network.n[\"d\"]".into(), Action::Create),
        ]
    );
    assert!(
        matches!(&plan.change("test_network.n[\"b\"]").unwrap().reasons[0], Reason::NoInstance(why) if why.contains("for_each")),
        "{:?}",
        plan.change("test_network.n[\"b\"]").unwrap().reasons
    );
    assert!(render::plan_text(&plan).contains("because its key [\"b\"] is not in for_each"));
    let from = env.cloud.calls().len();
    env.apply(&after).await;
    assert_eq!(
        env.mutations(from),
        [
            "delete test_network.n[\"b\"]",
            "create test_network.n[\"d\"]"
        ]
    );
}

#[tokio::test]
async fn count_numbers_instances_and_adding_count_keeps_the_object() {
    let env = Env::new();
    let single = r#"
[resource.test_network.n]
cidr_block = "10.0.0.0/16"
"#;
    let first = env.apply(single).await;
    let id = first.state.resources["test_network.n"].id.clone();
    let counted = r#"
[resource.test_network.n]
count = 2
cidr_block = '${cidrsubnet("10.0.0.0/8", 8, count.index)}'


[resource.test_node.all]
network_id = '${join(",", test_network.n[*].id)}'
size = "${length(test_network.n)}"
"#;
    let (_, plan) = env.plan(counted).await;
    let kept = plan.change("test_network.n[0]").unwrap();
    assert_eq!(kept.action, Action::NoOp, "{}", render::plan_text(&plan));
    assert_eq!(
        kept.moved_from.as_ref().map(|a| a.to_string()).as_deref(),
        Some("test_network.n")
    );
    assert_eq!(
        plan.change("test_network.n[1]").unwrap().action,
        Action::Create
    );
    assert_eq!(
        plan.change("test_node.all")
            .unwrap()
            .after
            .as_ref()
            .unwrap()["size"]
            .as_f64(),
        Some(2.0)
    );
    let out = env.apply(counted).await;
    assert_eq!(out.state.resources["test_network.n[0]"].id, id);
    assert_eq!(
        out.state.resources["test_network.n[1]"].attributes()["cidr_block"].as_str(),
        Some("10.1.0.0/16")
    );
    let ids = out.state.resources["test_node.all"].attributes()["network_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(ids.split(',').count(), 2);
    assert!(ids.starts_with(&id));
}

#[tokio::test]
async fn an_unknown_for_each_is_a_plan_error_naming_the_value() {
    let env = Env::new();
    let errors = env
        .plan_errors(
            r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"

[resource.test_node.n]
for_each = "${toset([test_network.main.id])}"
network_id = "${each.value}"
"#,
        )
        .await;
    assert!(
        errors.contains("known only after apply: `test_network.main.id`"),
        "{errors}"
    );
    assert!(
        errors.contains("cairn apply --target test_network.main"),
        "{errors}"
    );
    assert!(
        errors.contains("main.toml:8:12"),
        "the error points at the for_each: {errors}"
    );
}

#[tokio::test]
async fn locals_variables_and_functions_feed_resources() {
    let env = Env::new();
    let stack = r#"
[variable.env]
type = "string"
default = "staging"

[variable.services]
type = "map(object({ port = number, public = optional(bool, false) }))"
default = { api = { port = 8000, public = true }, worker = { port = 9000 } }

[locals]
prefix = "tracker-${var.env}"
public = "${[for name, s in var.services : name if s.public]}"
tags = "${merge({ Env = var.env }, { Name = local.prefix })}"

[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = '${format("%s-%s", local.prefix, join("+", local.public))}'
tags = "${local.tags}"
"#;
    let (_, plan) = env.plan(stack).await;
    let after = plan
        .change("test_network.main")
        .unwrap()
        .after
        .clone()
        .unwrap();
    assert_eq!(after["name"].as_str(), Some("tracker-staging-api"));
    assert_eq!(
        after["tags"].as_map().unwrap()["Name"].as_str(),
        Some("tracker-staging")
    );
}

#[tokio::test]
async fn module_inputs_are_converted_and_validated() {
    let env = Env::new();
    env.module(
        "svc",
        r#"
[variable.spec]
type = "object({ cpu = number, memory = optional(number, 512) })"

[[variable.spec.validation]]
condition = "${contains([256, 512, 1024], var.spec.cpu)}"
error_message = "cpu must be a Fargate size: 256, 512 or 1024"

[resource.test_node.task]
network_id = "n"
size = "${var.spec.memory}"
"#,
    );
    let ok = r#"
[module.svc]
source = "../modules/svc"
spec = { cpu = "256" }
"#;
    let (_, plan) = env.plan(ok).await;
    let after = plan
        .change("module.svc.test_node.task")
        .unwrap()
        .after
        .clone()
        .unwrap();
    assert_eq!(
        after["size"].as_f64(),
        Some(512.0),
        "optional attributes take their default"
    );
    let errors = env
        .plan_errors(
            r#"
[variable.cpu]
type = "number"
default = 300

[module.svc]
source = "../modules/svc"
spec = { cpu = "${var.cpu}" }
"#,
        )
        .await;
    assert!(errors.contains("cpu must be a Fargate size"), "{errors}");
    assert!(
        errors.contains("main.toml:10:8"),
        "it points at the input: {errors}"
    );
}

#[tokio::test]
async fn prevent_destroy_fails_the_plan_and_outlives_its_block() {
    let env = Env::new();
    let protected = r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
lifecycle = { prevent_destroy = true }
"#;
    let out = env.apply(protected).await;
    assert!(
        out.state.resources["test_network.main"].prevent_destroy,
        "state records the protection"
    );
    let errors = env
        .plan_errors(&protected.replace("10.0.0.0/16", "10.9.0.0/16"))
        .await;
    assert!(
        errors.contains("`test_network.main` has lifecycle.prevent_destroy set"),
        "{errors}"
    );
    assert!(
        errors.contains("cidr_block cannot change in place"),
        "{errors}"
    );
    // The block gone, state still protects the object.
    let errors = env.plan_errors("").await;
    assert!(errors.contains("prevent_destroy"), "{errors}");
    assert!(
        errors.contains("restore the block with prevent_destroy = false"),
        "{errors}"
    );
    // So does destroy.
    let loaded = env.stack(protected);
    let graph = cairn_engine::ConfigGraph::build(&loaded).unwrap();
    let prior = env.backend.read().await.unwrap().map(|v| v.doc);
    let destroy = PlanOptions {
        destroy: true,
        ..Default::default()
    };
    match cairn_engine::plan(&loaded, &graph, &env.providers, prior, destroy).await {
        Err(cairn_engine::EngineError::Config(d)) => assert!(
            d[0].message.contains("this is a destroy"),
            "{}",
            d[0].message
        ),
        other => panic!(
            "destroy was not refused: {:?}",
            other.map(|p| p.changes.len())
        ),
    }
    // Lifting the protection in the configuration lifts it for the plan.
    let (_, plan) = env
        .plan(
            &protected
                .replace("true", "false")
                .replace("10.0.0.0/16", "10.9.0.0/16"),
        )
        .await;
    assert_eq!(
        plan.change("test_network.main").unwrap().action,
        Action::Replace
    );
}

#[tokio::test]
async fn ignore_changes_keeps_what_is_live() {
    let env = Env::new();
    let stack = |name: &str, owner: &str, team: &str| {
        format!(
            r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = "{name}"
tags = {{ Owner = "{owner}", Team = "{team}" }}
lifecycle = {{ ignore_changes = ["name", "tags.Owner"] }}
"#
        )
    };
    env.apply(&stack("a", "alice", "core")).await;
    let (_, plan) = env.plan(&stack("b", "bob", "core")).await;
    assert!(!plan.has_changes(), "{}", render::plan_text(&plan));
    let (_, plan) = env.plan(&stack("b", "bob", "edge")).await;
    let c = plan.change("test_network.main").unwrap();
    assert_eq!(c.action, Action::Update);
    assert_eq!(c.changed, ["tags"]);
    let tags = c.after.as_ref().unwrap()["tags"].as_map().unwrap().clone();
    assert_eq!(
        tags["Owner"].as_str(),
        Some("alice"),
        "the ignored tag keeps its live value"
    );
    assert_eq!(tags["Team"].as_str(), Some("edge"));
}

#[tokio::test]
async fn create_before_destroy_creates_the_replacement_first() {
    let env = Env::new();
    let stack = |cidr: &str| {
        format!(
            r#"
[resource.test_network.main]
cidr_block = "{cidr}"
lifecycle = {{ create_before_destroy = true }}

[resource.test_node.a]
network_id = "${{test_network.main.id}}"
"#
        )
    };
    env.apply(&stack("10.0.0.0/16")).await;
    let (_, plan) = env.plan(&stack("10.1.0.0/16")).await;
    let net = plan.change("test_network.main").unwrap();
    assert!(net.create_before_destroy);
    assert!(render::plan_text(&plan).contains("+/- resource \"test_network\" \"main\""));
    // The node is replaced too (its network_id is force-new): it inherits
    // create-before-destroy from nothing, but its dependency's order holds.
    let from = env.cloud.calls().len();
    let out = env.apply(&stack("10.1.0.0/16")).await;
    let calls = env.mutations(from);
    let pos = |c: &str| {
        calls
            .iter()
            .position(|x| x == c)
            .unwrap_or_else(|| panic!("{c} not in {calls:?}"))
    };
    assert!(
        pos("create test_network.main") < pos("delete test_network.main"),
        "{calls:?}"
    );
    assert!(
        pos("create test_node.a") < pos("delete test_network.main"),
        "{calls:?}"
    );
    assert!(out.state.resources["test_network.main"].deposed.is_empty());
    assert_eq!(
        env.cloud.count(),
        2,
        "one network, one node: the old ones are gone"
    );
}

#[tokio::test]
async fn a_deposed_object_whose_delete_failed_is_deleted_by_the_next_apply() {
    let env = Env::new();
    let stack = |cidr: &str| {
        format!(
            "[resource.test_network.main]\ncidr_block = \"{cidr}\"\nlifecycle = {{ create_before_destroy = true }}\n"
        )
    };
    let first = env.apply(&stack("10.0.0.0/16")).await;
    let old_id = first.state.resources["test_network.main"].id.clone();
    env.cloud
        .fail_delete
        .lock()
        .unwrap()
        .insert("test_network.main".into());
    let out = env.apply_with(&stack("10.1.0.0/16"), |_| {}).await;
    assert!(!out.succeeded());
    let rs = &out.state.resources["test_network.main"];
    assert_ne!(rs.id, old_id, "the replacement is the current object");
    assert_eq!(rs.deposed.len(), 1);
    assert_eq!(
        rs.deposed[0].id, old_id,
        "the old object is recorded, not lost"
    );
    env.cloud.fail_delete.lock().unwrap().clear();
    let (_, plan) = env.plan(&stack("10.1.0.0/16")).await;
    let deposed: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.deposed.is_some())
        .collect();
    assert_eq!(deposed.len(), 1);
    assert_eq!(deposed[0].action, Action::Delete);
    assert!(
        render::plan_text(&plan).contains(&format!("(deposed object {old_id}) will be destroyed"))
    );
    let out = env.apply(&stack("10.1.0.0/16")).await;
    assert!(out.state.resources["test_network.main"].deposed.is_empty());
    assert_eq!(env.cloud.count(), 1);
}

#[tokio::test]
async fn replace_triggered_by_replaces_when_the_reference_changes() {
    let env = Env::new();
    let stack = |name: &str| {
        format!(
            r#"
[resource.test_network.main]
cidr_block = "10.0.0.0/16"
name = "{name}"

[resource.test_node.a]
network_id = "fixed"
lifecycle = {{ replace_triggered_by = ["test_network.main.name"] }}

[resource.test_node.b]
network_id = "fixed"
lifecycle = {{ replace_triggered_by = ["test_network.main.tags"] }}
"#
        )
    };
    env.apply(&stack("one")).await;
    let (_, plan) = env.plan(&stack("two")).await;
    let a = plan.change("test_node.a").unwrap();
    assert_eq!(a.action, Action::Replace);
    assert_eq!(
        a.reasons,
        [Reason::ReplaceTriggeredBy("test_network.main.name".into())]
    );
    assert_eq!(
        plan.change("test_node.b").unwrap().action,
        Action::NoOp,
        "tags did not change"
    );
    assert!(render::plan_text(&plan)
        .contains("because replace_triggered_by: test_network.main.name changes"));
}

const TWO_NETWORKS: &str = r#"
[resource.test_network.a]
cidr_block = "10.0.0.0/16"

[resource.test_network.b]
cidr_block = "10.1.0.0/16"

[resource.test_node.on_a]
network_id = "${test_network.a.id}"

[resource.test_node.on_b]
network_id = "${test_network.b.id}"
"#;

#[tokio::test]
async fn targets_bring_their_dependencies_and_excludes_take_their_dependents() {
    let env = Env::new();
    let target = |s: &str| s.parse::<Target>().unwrap();
    let (_, plan) = env
        .plan_with(
            TWO_NETWORKS,
            PlanOptions {
                targets: vec![target("test_node.on_a")],
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        addresses(&plan),
        "create   test_network.a\ncreate   test_node.on_a"
    );
    assert!(render::plan_text(&plan)
        .contains("this plan covers part of the configuration (--target test_node.on_a)"));
    let (_, plan) = env
        .plan_with(
            TWO_NETWORKS,
            PlanOptions {
                excludes: vec![target("test_network.b")],
                ..Default::default()
            },
        )
        .await;
    assert_eq!(
        addresses(&plan),
        "create   test_network.a\ncreate   test_node.on_a"
    );
    // Applying a part leaves the rest alone; the next full plan creates it.
    let out = env
        .apply_opts(
            TWO_NETWORKS,
            PlanOptions {
                targets: vec![target("test_network.b")],
                ..Default::default()
            },
        )
        .await;
    assert!(out.succeeded());
    assert_eq!(
        out.state.resources.keys().collect::<Vec<_>>(),
        ["test_network.b"]
    );
    let (_, plan) = env.plan(TWO_NETWORKS).await;
    assert_eq!(
        addresses(&plan),
        "create   test_network.a\nno-op    test_network.b\ncreate   test_node.on_a\ncreate   test_node.on_b"
    );
    let errors = match cairn_engine::plan(
        &env.stack(TWO_NETWORKS),
        &cairn_engine::ConfigGraph::build(&env.stack(TWO_NETWORKS)).unwrap(),
        &env.providers,
        None,
        PlanOptions {
            targets: vec![target("test_network.c")],
            ..Default::default()
        },
    )
    .await
    {
        Err(cairn_engine::EngineError::Config(d)) => d[0].message.clone(),
        other => panic!("{:?}", other.map(|p| p.changes.len())),
    };
    assert!(
        errors.contains("--target test_network.c: nothing in the configuration or the state"),
        "{errors}"
    );
}

#[tokio::test]
async fn import_blocks_bring_existing_objects_under_management() {
    let env = Env::new();
    // An object made outside this stack.
    let other = Env::new();
    let made = other
        .apply("[resource.test_network.x]\ncidr_block = \"10.5.0.0/16\"\nname = \"legacy\"\n")
        .await;
    let id = made.state.resources["test_network.x"].id.clone();
    env.cloud.objects.lock().unwrap().insert(
        id.clone(),
        made.state.resources["test_network.x"].attributes(),
    );
    let stack = format!(
        r#"
[resource.test_network.legacy]
cidr_block = "10.5.0.0/16"
name = "legacy"

[[import]]
to = "test_network.legacy"
id = "{id}"
"#
    );
    let (_, plan) = env.plan(&stack).await;
    let c = plan.change("test_network.legacy").unwrap();
    assert_eq!(
        (c.action, c.importing.as_deref()),
        (Action::NoOp, Some(id.as_str()))
    );
    let text = render::plan_text(&plan);
    assert!(
        text.contains("test_network.legacy will be imported"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{text}"
    );
    let from = env.cloud.calls().len();
    let out = env.apply(&stack).await;
    assert!(
        env.mutations(from).is_empty(),
        "importing changes nothing in the cloud"
    );
    assert_eq!(out.state.resources["test_network.legacy"].id, id);
    let (_, again) = env.plan(&stack).await;
    assert!(
        !again.has_changes(),
        "once imported, the block is a no-op: {}",
        render::plan_text(&again)
    );
    // An id that does not exist is a clear error.
    let errors = Env::new()
        .plan_errors(&stack.replace(&id, "network-404"))
        .await;
    assert!(
        errors.contains("no test_network with id `network-404` exists"),
        "{errors}"
    );
}

#[tokio::test]
async fn moved_blocks_refactor_into_a_module_without_destroying() {
    let env = Env::new();
    env.module("network", NETWORK_MODULE);
    let first = env
        .apply("[resource.test_network.this]\ncidr_block = \"10.0.0.0/16\"\nname = \"net\"\n")
        .await;
    let id = first.state.resources["test_network.this"].id.clone();
    let stack = r#"
[module.network]
source = "../modules/network"
cidr = "10.0.0.0/16"

[[moved]]
from = "test_network.this"
to = "module.network.test_network.this"
"#;
    let (_, plan) = env.plan(stack).await;
    assert_eq!(
        addresses(&plan),
        "no-op    module.network.test_network.this"
    );
    assert_eq!(plan.moves.len(), 1);
    assert!(plan.has_changes(), "a move is recorded by apply");
    let text = render::plan_text(&plan);
    assert!(
        text.contains("test_network.this has moved to module.network.test_network.this"),
        "{text}"
    );
    let from = env.cloud.calls().len();
    let out = env.apply(stack).await;
    assert!(env.mutations(from).is_empty(), "{:?}", env.mutations(from));
    assert_eq!(
        out.state.resources["module.network.test_network.this"].id,
        id
    );
    assert!(!out.state.resources.contains_key("test_network.this"));
    let (_, again) = env.plan(stack).await;
    assert!(!again.has_changes(), "{}", render::plan_text(&again));
}

#[tokio::test]
async fn provider_aliases_send_each_resource_to_its_own_provider() {
    let env = Env::new();
    let second = cairn_engine::testing::Cloud::new();
    let mut providers = Providers::single(env.registry.clone());
    providers.insert("aws.second", second.registry());
    env.module(
        "peer",
        r#"
[resource.test_network.peer]
cidr_block = "10.9.0.0/16"
provider = "aws.peer"
"#,
    );
    let stack = r#"
[provider.aws.second]
region = "eu-west-1"

[resource.test_network.here]
cidr_block = "10.0.0.0/16"

[resource.test_network.there]
cidr_block = "10.1.0.0/16"
provider = "aws.second"

[module.peer]
source = "../modules/peer"
providers = { "aws.peer" = "aws.second" }
"#;
    let loaded = env.stack(stack);
    let graph = cairn_engine::ConfigGraph::build(&loaded).unwrap();
    let plan = cairn_engine::plan(&loaded, &graph, &providers, None, PlanOptions::default())
        .await
        .unwrap();
    assert_eq!(
        plan.change("test_network.there").unwrap().provider,
        "aws.second"
    );
    assert_eq!(
        plan.change("module.peer.test_network.peer")
            .unwrap()
            .provider,
        "aws.second"
    );
    let out = cairn_engine::apply(
        &plan,
        &loaded,
        &graph,
        &providers,
        env.backend.clone(),
        None,
        cairn_engine::ApplyOptions::new(support::who()),
    )
    .await;
    assert!(out.succeeded(), "{:?}", out.errors);
    assert_eq!(env.cloud.count(), 1);
    assert_eq!(second.count(), 2);
    assert_eq!(
        out.state.resources["test_network.there"].provider,
        "aws.second"
    );
    // Refresh reads each from its own provider: nothing drifts.
    let prior = env.backend.read().await.unwrap().map(|v| v.doc);
    let again = cairn_engine::plan(&loaded, &graph, &providers, prior, PlanOptions::default())
        .await
        .unwrap();
    assert!(!again.has_changes(), "{}", render::plan_text(&again));
    assert!(again.drift.is_empty());
}

/// A module named `data` or a `for_each` key containing `.data.` is still
/// a managed resource: refreshed (so a deletion outside cairn is seen) and
/// deleted by destroy, never forgotten as if it were a data source.
#[tokio::test]
async fn managed_resources_whose_address_text_contains_data_are_refreshed_and_destroyed() {
    let env = Env::new();
    env.module("data", NETWORK_MODULE);
    let stack = r#"
[module.data]
source = "../modules/data"
cidr = "10.0.0.0/16"

[resource.test_network.keyed]
for_each = ["api.data.example"]
cidr_block = "10.1.0.0/16"
name = "${each.key}"
"#;
    let out = env.apply(stack).await;
    let in_module = out.state.resources["module.data.test_network.this"]
        .id
        .clone();
    let keyed = out.state.resources["test_network.keyed[\"api.data.example\"]"]
        .id
        .clone();
    env.cloud.objects.lock().unwrap().remove(&in_module);
    let (_, plan) = env.plan(stack).await;
    let c = plan.change("module.data.test_network.this").unwrap();
    assert_eq!(c.action, Action::Create, "{}", render::plan_text(&plan));
    assert_eq!(c.reasons, [Reason::Gone]);
    env.apply(stack).await;
    let destroy = PlanOptions {
        destroy: true,
        ..PlanOptions::default()
    };
    let out = env.apply_opts(stack, destroy).await;
    assert!(out.succeeded(), "{:?}", out.errors);
    assert!(out.state.resources.is_empty());
    assert!(
        !env.cloud.objects.lock().unwrap().contains_key(&keyed),
        "destroy left the object keyed \"api.data.example\""
    );
    assert_eq!(env.cloud.count(), 0);
}
