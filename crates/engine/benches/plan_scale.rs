//! Parse + validate + graph + plan (`--refresh=false`) of a generated
//! stack with references between its resources, against a state that
//! matches it (so the plan is all no-ops and every resource is diffed),
//! read from its JSON first, as a backend stores it; then the state
//! document written (JSON) and diffed.
//!
//! `cargo bench -p cairn-engine --bench plan_scale -- [SHAPE]` prints the
//! median and best of several runs per phase, and the process's peak
//! resident memory. SHAPE is `flat N` (N resources in the root module, in
//! networks of one network and nine nodes; the default is `flat 10000`) or
//! `modules M R` (M instances, by `count`, of one module of R resources).
//! Figures and targets: docs/architecture.md, "Performance at scale".

use std::time::{Duration, Instant};

use cairn_core::{Object, Value};
use cairn_engine::testing::Cloud;
use cairn_engine::{ConfigGraph, PlanOptions};
use cairn_lang::LoadOptions;
use cairn_state::{ResourceState, StateDiff, StateDocument};

// The allocator of the `cairn` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One network and nine nodes that refer to it.
const PER_NETWORK: usize = 10;

enum Shape {
    Flat(usize),
    Modules { instances: usize, size: usize },
}

impl Shape {
    fn from_args() -> Shape {
        // `cargo bench` adds `--bench`; only the words are the shape.
        let args: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .collect();
        let num = |i: usize, default: usize| {
            args.get(i)
                .and_then(|a| a.replace('_', "").parse().ok())
                .unwrap_or(default)
        };
        match args.first().map(String::as_str) {
            Some("modules") => Shape::Modules {
                instances: num(1, 1_000),
                size: num(2, 100),
            },
            Some("flat") => Shape::Flat(num(1, 10_000)),
            _ => Shape::Flat(10_000),
        }
    }

    fn networks(&self) -> usize {
        match self {
            Shape::Flat(n) => n / PER_NETWORK,
            Shape::Modules { size, .. } => size / PER_NETWORK,
        }
    }

    fn resources(&self) -> usize {
        match self {
            Shape::Flat(_) => self.networks() * PER_NETWORK,
            Shape::Modules { instances, .. } => instances * self.networks() * PER_NETWORK,
        }
    }
}

/// Network `n`'s blocks, and their objects recorded under `prefix`
/// (`module.m[3].` or empty) with ids made unique by `unique`.
fn network(n: usize, prefix: &str, unique: &str, text: &mut String, state: &mut StateDocument) {
    let cidr = format!("10.{}.{}.0/24", n / 256, n % 256);
    text.push_str(&format!(
        "[resource.test_network.n{n}]\ncidr_block = \"{cidr}\"\nname = \"${{var.prefix}}-{n}\"\ntags = {{ Name = \"n{n}\", Team = \"core\" }}\n\n"
    ));
    let net_id = format!("net-{unique}{n}");
    let tags = Value::Map(
        [
            ("Name".to_string(), Value::from(format!("n{n}"))),
            ("Team".to_string(), "core".into()),
        ]
        .into(),
    );
    let attrs: Object = [
        ("cidr_block".to_string(), Value::from(cidr.as_str())),
        ("name".to_string(), Value::from(format!("bench-{n}"))),
        ("id".to_string(), Value::from(net_id.as_str())),
        ("arn".to_string(), Value::from(format!("arn:test:{net_id}"))),
        ("tags".to_string(), tags.clone()),
        ("tags_all".to_string(), tags),
    ]
    .into();
    let network_address = format!("{prefix}test_network.n{n}");
    state.resources.insert(
        network_address.clone(),
        ResourceState::new("test_network", "aws", &net_id, &attrs, vec![]),
    );
    for k in 0..PER_NETWORK - 1 {
        let name = format!("n{n}_{k}");
        text.push_str(&format!(
            "[resource.test_node.{name}]\nnetwork_id = \"${{test_network.n{n}.id}}\"\nsize = {k}\nlabels = [\"${{test_network.n{n}.name}}\", \"node-{k}\"]\n\n"
        ));
        let id = format!("node-{unique}{n}-{k}");
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
            format!("{prefix}test_node.{name}"),
            ResourceState::new(
                "test_node",
                "aws",
                &id,
                &attrs,
                vec![network_address.clone()],
            ),
        );
    }
}

const ROOT: &str =
    "[stack]\nname = \"bench\"\n\n[variable.prefix]\ntype = \"string\"\ndefault = \"bench\"\n";

/// Writes the stack into `dir` (100 networks per file) and returns the
/// state that matches it.
fn generate(shape: &Shape, dir: &std::path::Path) -> StateDocument {
    let mut state = StateDocument::new("bench", None);
    let write = |path: std::path::PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write stack file");
    };
    match shape {
        Shape::Flat(_) => {
            write(dir.join("main.toml"), ROOT);
            let mut text = String::new();
            for n in 0..shape.networks() {
                network(n, "", "", &mut text, &mut state);
                if n % 100 == 99 || n + 1 == shape.networks() {
                    write(dir.join(format!("f{:03}.toml", n / 100)), &text);
                    text.clear();
                }
            }
        }
        Shape::Modules { instances, .. } => {
            write(
                dir.join("main.toml"),
                &format!("{ROOT}\n[module.m]\nsource = \"./network\"\ncount = {instances}\n"),
            );
            let mut text =
                String::from("[variable.prefix]\ntype = \"string\"\ndefault = \"bench\"\n\n");
            let mut scratch = StateDocument::new("bench", None);
            for n in 0..shape.networks() {
                network(n, "", "", &mut text, &mut scratch);
            }
            write(dir.join("network/main.toml"), &text);
            for i in 0..*instances {
                let mut ignored = String::new();
                for n in 0..shape.networks() {
                    network(
                        n,
                        &format!("module.m[{i}]."),
                        &format!("{i}-"),
                        &mut ignored,
                        &mut state,
                    );
                }
            }
        }
    }
    state
}

fn main() {
    let shape = Shape::from_args();
    let dir = tempfile::tempdir().expect("tempdir");
    // Kept as a backend stores it: each run reads it, as `cairn plan` does.
    let stored = {
        let state = generate(&shape, dir.path());
        assert_eq!(state.resources.len(), shape.resources());
        state.to_json_pretty()
    };
    let cloud = Cloud::new();
    let registry = cloud.registry();
    let providers = cairn_core::Providers::single(registry.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let runs = if shape.resources() > 20_000 { 3 } else { 7 };
    let phases = [
        "load + validate",
        "graph",
        "state read",
        "plan --refresh=false",
        "total",
        "state write (JSON)",
        "state diff",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); phases.len()];
    for _ in 0..runs {
        let t0 = Instant::now();
        let stack = match cairn_lang::load(dir.path(), &LoadOptions::default(), &registry) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.render()),
        };
        let t1 = Instant::now();
        let graph = ConfigGraph::build(&stack).expect("graph");
        let t2 = Instant::now();
        let state = StateDocument::from_json(&stored).expect("the stored state");
        let t3 = Instant::now();
        let plan = rt
            .block_on(cairn_engine::plan(
                &stack,
                &graph,
                &providers,
                Some(state),
                PlanOptions {
                    refresh: false,
                    ..Default::default()
                },
            ))
            .expect("plan");
        let t4 = Instant::now();
        assert_eq!(plan.changes.len(), shape.resources());
        assert!(
            !plan.has_changes(),
            "the generated state must match the stack"
        );
        let t5 = Instant::now();
        let json = plan.state.to_json_pretty();
        let t6 = Instant::now();
        let diff = StateDiff::between(&plan.state, &plan.state);
        let t7 = Instant::now();
        assert!(diff.is_empty(), "a document does not differ from itself");
        assert_eq!(json.len(), stored.len(), "written as it was read");
        for (i, d) in [
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t4 - t3,
            t4 - t0,
            t6 - t5,
            t7 - t6,
        ]
        .into_iter()
        .enumerate()
        {
            times[i].push(d);
        }
    }
    match shape {
        Shape::Flat(_) => println!(
            "{} resources in the root module, {runs} runs",
            shape.resources()
        ),
        Shape::Modules { instances, .. } => println!(
            "{} resources: {instances} module instances of {}, {runs} runs",
            shape.resources(),
            shape.networks() * PER_NETWORK
        ),
    }
    for (name, v) in phases.iter().zip(times.iter_mut()) {
        v.sort();
        println!(
            "{name:<22} median {:>8.1} ms   best {:>8.1} ms",
            v[v.len() / 2].as_secs_f64() * 1e3,
            v[0].as_secs_f64() * 1e3
        );
    }
    println!("state document         {:.1} MB", stored.len() as f64 / 1e6);
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
