//! Renders the report of a 10,000-resource state with three stored
//! versions (the whole estate created, 100 resources changed, 50 removed
//! and 20 added), shaped like crates/engine/benches/plan_10k.rs's estate:
//! 1,000 networks of 9 nodes each, every node depending on its network,
//! one node in a hundred holding a sensitive password.
//!
//! `cargo bench -p cairn-report --bench report_10k` prints the median and
//! best of several runs per format and the size of each file.
//! Target on a 2-core machine: under 2 s for HTML.

use std::time::{Duration, Instant};

use cairn_core::{Object, Value};
use cairn_report::{Format, ReportInput, VersionInput};
use cairn_state::{ResourceState, StateDocument, WrittenBy};

const NETWORKS: usize = 1_000;
const NODES_PER_NETWORK: usize = 9;

fn written(serial: u64, operation: &str) -> WrittenBy {
    WrittenBy {
        who: "bench@ci".into(),
        when: format!("2026-01-0{serial}T10:00:00Z"),
        operation: operation.into(),
        cairn_version: "0.1.0".into(),
        lock_id: None,
    }
}

fn estate() -> StateDocument {
    let mut state = StateDocument::new("bench", Some("prod"));
    for n in 0..NETWORKS {
        let net_id = format!("net-{n}");
        let module = format!("module.region[\"r{}\"]", n % 10);
        let tags = Value::Map(
            [
                ("Name".to_string(), Value::from(format!("n{n}"))),
                ("Team".to_string(), "core".into()),
            ]
            .into(),
        );
        let attrs: Object = [
            (
                "cidr_block".to_string(),
                Value::from(format!("10.{}.{}.0/24", n / 256, n % 256)),
            ),
            ("name".to_string(), Value::from(format!("bench-{n}"))),
            ("id".to_string(), Value::from(net_id.as_str())),
            ("arn".to_string(), Value::from(format!("arn:test:{net_id}"))),
            ("tags".to_string(), tags),
        ]
        .into();
        let net_addr = format!("{module}.test_network.n{n}");
        state.resources.insert(
            net_addr.clone(),
            ResourceState::new("test_network", "aws", &net_id, &attrs, vec![]),
        );
        for k in 0..NODES_PER_NETWORK {
            let id = format!("node-{n}-{k}");
            let password = if (n * NODES_PER_NETWORK + k) % 100 == 0 {
                Value::sensitive(Value::from(format!("bench-secret-{n}-{k}-x9")))
            } else {
                Value::Null
            };
            let attrs: Object = [
                ("network_id".to_string(), Value::from(net_id.as_str())),
                ("size".to_string(), Value::from(k as i64)),
                (
                    "labels".to_string(),
                    Value::from(vec![format!("bench-{n}"), format!("node-{k}")]),
                ),
                ("password".to_string(), password),
                ("id".to_string(), Value::from(id.as_str())),
                ("arn".to_string(), Value::from(format!("arn:test:{id}"))),
            ]
            .into();
            state.resources.insert(
                format!("{module}.test_node.n{n}_{k}"),
                ResourceState::new("test_node", "aws", &id, &attrs, vec![net_addr.clone()]),
            );
        }
    }
    state
}

fn input() -> ReportInput {
    let mut v1 = estate();
    v1.serial = 1;
    v1.written_by = Some(written(1, "apply"));
    let mut v2 = v1.clone();
    v2.serial = 2;
    v2.written_by = Some(written(2, "apply"));
    for rs in v2
        .resources
        .values_mut()
        .filter(|r| r.type_name == "test_network")
        .take(100)
    {
        rs.attributes.insert(
            "name".into(),
            serde_json::Value::String(format!("{}-renamed", rs.id)),
        );
    }
    let mut v3 = v2.clone();
    v3.serial = 3;
    v3.written_by = Some(written(3, "state rm"));
    let gone: Vec<String> = v3.resources.keys().rev().take(50).cloned().collect();
    for a in gone {
        v3.resources.remove(&a);
    }
    for i in 0..20 {
        let attrs: Object = [("id".to_string(), Value::from(format!("extra-{i}")))].into();
        v3.resources.insert(
            format!("test_extra.e{i}"),
            ResourceState::new("test_extra", "aws", &format!("extra-{i}"), &attrs, vec![]),
        );
    }
    let history = [v1, v2, v3.clone()]
        .into_iter()
        .enumerate()
        .map(|(i, doc)| VersionInput {
            id: format!("version-{}", i + 1),
            stored: doc.written_by.as_ref().map(|w| w.when.clone()),
            doc,
        })
        .collect();
    ReportInput {
        location: "s3://bench/bench.json".into(),
        generated_at: "2026-01-04T00:00:00Z".into(),
        cairn_version: "0.1.0".into(),
        selected_by: "current".into(),
        version_id: Some("version-3".into()),
        state: v3,
        history,
        later_versions: 0,
        history_warning: None,
        verification: None,
        verification_note: None,
    }
}

fn main() {
    let input = input();
    println!(
        "report of {} resources, {} versions",
        input.state.resources.len(),
        input.history.len()
    );
    let runs = 5;
    for (name, format) in [
        ("html", Format::Html),
        ("markdown", Format::Markdown),
        ("json", Format::Json),
    ] {
        let mut times: Vec<Duration> = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            let t = Instant::now();
            match cairn_report::render(&input, format) {
                Ok(text) => size = text.len(),
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::exit(1);
                }
            }
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{name:9} median {:>7.1} ms  best {:>7.1} ms  {:>6.2} MB",
            times[runs / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            size as f64 / 1e6
        );
    }
}
