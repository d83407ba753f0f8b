//! An apply of N creates (`test_slow`, each taking `delay_ms`, 10 at a
//! time) recorded in a local state file: how long it takes, how many state
//! writes the coalescing writer made and how many bytes they came to (the
//! write amplification of a large apply).
//!
//! `cargo bench -p cairn-engine --bench apply_scale -- [N] [DELAY_MS]`
//! (default 10000 creates of 5 ms). Figures: docs/architecture.md,
//! "Performance at scale".

use std::sync::Arc;
use std::time::Instant;

use cairn_engine::testing::Cloud;
use cairn_engine::{ApplyOptions, ConfigGraph, PlanOptions};
use cairn_lang::LoadOptions;
use cairn_state::{Backend, LocalBackend, WrittenBy};

// The allocator of the `cairn` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let delay_ms = args.get(1).copied().unwrap_or(5);
    let dir = tempfile::tempdir().expect("tempdir");
    let stack_dir = dir.path().join("stack");
    std::fs::create_dir_all(&stack_dir).expect("mkdir");
    std::fs::write(
        stack_dir.join("main.toml"),
        format!(
            "[stack]\nname = \"bench\"\n\n[resource.test_slow.s]\ncount = {n}\nafter = \"s-${{count.index}}\"\ndelay_ms = {delay_ms}\n"
        ),
    )
    .expect("write stack");
    let cloud = Cloud::new();
    let registry = cloud.registry();
    let providers = cairn_core::Providers::single(registry.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stack = match cairn_lang::load(&stack_dir, &LoadOptions::default(), &registry) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.render()),
    };
    let graph = ConfigGraph::build(&stack).expect("graph");
    let backend = Arc::new(LocalBackend::new(dir.path().join("state.json")));
    let plan = rt
        .block_on(cairn_engine::plan(
            &stack,
            &graph,
            &providers,
            None,
            PlanOptions::default(),
        ))
        .expect("plan");
    let t = Instant::now();
    let outcome = rt.block_on(cairn_engine::apply(
        &plan,
        &stack,
        &graph,
        &providers,
        backend.clone(),
        None,
        ApplyOptions::new(WrittenBy {
            who: "bench@host".into(),
            when: String::new(),
            operation: "apply".into(),
            cairn_version: "0".into(),
            lock_id: None,
        }),
    ));
    let elapsed = t.elapsed();
    assert!(outcome.succeeded(), "{:?}", outcome.errors);
    let stored = rt
        .block_on(backend.read())
        .expect("read state")
        .expect("a state");
    assert_eq!(stored.doc.resources.len(), n);
    // Serials count the writes; the document grew about linearly, so the
    // bytes written are about half the writes times the final size.
    let writes = stored.doc.serial;
    let size = std::fs::metadata(dir.path().join("state.json"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("{n} creates of {delay_ms} ms, 10 at a time");
    println!(
        "apply                  {:>8.1} ms",
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "ideal (n x delay / 10) {:>8.1} ms",
        (n * delay_ms) as f64 / 10.0
    );
    println!("state writes           {writes:>8}");
    println!("final document         {:>8.1} MB", size as f64 / 1e6);
    println!(
        "bytes written (about)  {:>8.1} MB  ({:.1} x the final document)",
        writes as f64 * size as f64 / 2e6,
        writes as f64 / 2.0
    );
}
