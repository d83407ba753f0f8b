//! Parse + validate + graph + plan (`--refresh=false`) of a generated stack
//! of 10,000 resources with references between them, against a state that
//! matches it (so the plan is all no-ops and every resource is diffed).
//!
//! `cargo bench -p cairn-engine --bench plan_10k` prints the median and best
//! of several runs per phase, and the process's peak resident memory.
//! Target on a 2-core machine: under 1 s and under 300 MB.

use std::time::{Duration, Instant};

use cairn_core::{Object, Value};
use cairn_engine::testing::Cloud;
use cairn_engine::{ConfigGraph, PlanOptions};
use cairn_lang::LoadOptions;
use cairn_state::{ResourceState, StateDocument};

const NETWORKS: usize = 1_000;
const NODES_PER_NETWORK: usize = 9;

fn generate(dir: &std::path::Path) -> StateDocument {
    let mut state = StateDocument::new("bench", None);
    let mut files = vec![String::from(
        "[stack]\nname = \"bench\"\n\n[variable.prefix]\ntype = \"string\"\ndefault = \"bench\"\n",
    )];
    for n in 0..NETWORKS {
        let file = n / 100;
        if files.len() <= file + 1 {
            files.push(String::new());
        }
        let text = &mut files[file + 1];
        let cidr = format!("10.{}.{}.0/24", n / 256, n % 256);
        text.push_str(&format!(
            "[resource.test_network.n{n}]\ncidr_block = \"{cidr}\"\nname = \"${{var.prefix}}-{n}\"\ntags = {{ Name = \"n{n}\", Team = \"core\" }}\n\n"
        ));
        let net_id = format!("net-{n}");
        let attrs: Object = [
            ("cidr_block".to_string(), Value::from(cidr.as_str())),
            ("name".to_string(), Value::from(format!("bench-{n}"))),
            ("id".to_string(), Value::from(net_id.as_str())),
            ("arn".to_string(), Value::from(format!("arn:test:{net_id}"))),
            (
                "tags".to_string(),
                Value::Map(
                    [
                        ("Name".to_string(), Value::from(format!("n{n}"))),
                        ("Team".to_string(), "core".into()),
                    ]
                    .into(),
                ),
            ),
            (
                "tags_all".to_string(),
                Value::Map(
                    [
                        ("Name".to_string(), Value::from(format!("n{n}"))),
                        ("Team".to_string(), "core".into()),
                    ]
                    .into(),
                ),
            ),
        ]
        .into();
        state.resources.insert(
            format!("test_network.n{n}"),
            ResourceState::new("test_network", "aws", &net_id, &attrs, vec![]),
        );
        for k in 0..NODES_PER_NETWORK {
            let name = format!("n{n}_{k}");
            text.push_str(&format!(
                "[resource.test_node.{name}]\nnetwork_id = \"${{test_network.n{n}.id}}\"\nsize = {k}\nlabels = [\"${{test_network.n{n}.name}}\", \"node-{k}\"]\n\n"
            ));
            let id = format!("node-{n}-{k}");
            let attrs: Object = [
                ("network_id".to_string(), Value::from(net_id.as_str())),
                ("size".to_string(), Value::from(k as i64)),
                (
                    "labels".to_string(),
                    Value::from(vec![format!("bench-{n}"), format!("node-{k}")]),
                ),
                ("password".to_string(), Value::Null),
                ("id".to_string(), Value::from(id.as_str())),
                ("arn".to_string(), Value::from(format!("arn:test:{id}"))),
            ]
            .into();
            state.resources.insert(
                format!("test_node.{name}"),
                ResourceState::new(
                    "test_node",
                    "aws",
                    &id,
                    &attrs,
                    vec![format!("test_network.n{n}")],
                ),
            );
        }
    }
    for (i, text) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("f{i:03}.toml")), text).expect("write stack file");
    }
    state
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = generate(dir.path());
    let cloud = Cloud::new();
    let registry = cloud.registry();
    let providers = cairn_core::Providers::single(registry.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let runs = 7;
    let mut load_t = Vec::new();
    let mut graph_t = Vec::new();
    let mut plan_t = Vec::new();
    let mut total_t = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        let stack = match cairn_lang::load(dir.path(), &LoadOptions::default(), &registry) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.render()),
        };
        let t1 = Instant::now();
        let graph = ConfigGraph::build(&stack).expect("graph");
        let t2 = Instant::now();
        let plan = rt
            .block_on(cairn_engine::plan(
                &stack,
                &graph,
                &providers,
                Some(state.clone()),
                PlanOptions {
                    refresh: false,
                    ..Default::default()
                },
            ))
            .expect("plan");
        let t3 = Instant::now();
        assert_eq!(plan.changes.len(), NETWORKS * (NODES_PER_NETWORK + 1));
        assert!(
            !plan.has_changes(),
            "the generated state must match the stack"
        );
        load_t.push(t1 - t0);
        graph_t.push(t2 - t1);
        plan_t.push(t3 - t2);
        total_t.push(t3 - t0);
    }
    let report = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        println!(
            "{name:<22} median {:>8.1} ms   best {:>8.1} ms",
            v[v.len() / 2].as_secs_f64() * 1e3,
            v[0].as_secs_f64() * 1e3
        );
    };
    println!(
        "{} resources, {} runs",
        NETWORKS * (NODES_PER_NETWORK + 1),
        runs
    );
    report("load + validate", &mut load_t);
    report("graph", &mut graph_t);
    report("plan --refresh=false", &mut plan_t);
    report("total", &mut total_t);
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!("peak resident memory   {peak}");
}
