//! `cairn report` on the Tracker staging estate (stacks/tracker, its env
//! files, profiles and S3 state) on moto, with a history of several kinds
//! of writes: the apply, a `state rm`, an `import`, and drift accepted with
//! `apply --refresh-only`. The HTML, Markdown and JSON reports must show
//! the inventory, the graph and the timeline, and hold none of the
//! estate's secrets (the random passwords and the secret versions that
//! copy them), read from the state itself.
//!
//! With chromium installed (.ci/run installs Debian's), the page is opened
//! headless and screenshotted; set CAIRN_REPORT_SCREENSHOT=PATH to keep the
//! picture (docs/report.png was made that way).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use aws_sdk_ec2::types::Tag;

use crate::support::{rt, Sandbox};

/// Every secret string in a state document: what its `sensitive_paths`
/// point at, sensitive outputs, and the secret versions' `secret_string`.
fn secrets(state: &serde_json::Value) -> Vec<String> {
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(m) => m.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for rs in state["resources"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for path in rs["sensitive_paths"].as_array().into_iter().flatten() {
            let mut v = &rs["attributes"];
            for step in path.as_array().into_iter().flatten() {
                v = match step {
                    serde_json::Value::String(k) => &v[k.as_str()],
                    serde_json::Value::Number(n) => &v[n.as_u64().unwrap_or(0) as usize],
                    _ => &serde_json::Value::Null,
                };
            }
            strings(v, &mut out);
        }
        if let Some(s) = rs["attributes"]["secret_string"].as_str() {
            out.push(s.to_string());
        }
    }
    for o in state["outputs"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        if o["sensitive"] == true {
            strings(&o["value"], &mut out);
        }
    }
    // Short values (a flag, a length) are not secrets worth the name and
    // would match ordinary text.
    out.retain(|s| s.len() >= 8);
    out.sort();
    out.dedup();
    out
}

fn screenshot(html: &Path, png: &Path) {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("SKIPPED the report screenshot: chromium is not installed (.ci/run installs it)");
        return;
    };
    let run = std::process::Command::new(chromium)
        .args([
            "--headless",
            // Root in a container has no user namespace for the sandbox.
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,2000",
        ])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "chromium failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    // A blank page compresses to a few kilobytes; the report does not.
    assert!(
        bytes.len() > 50_000,
        "the screenshot looks empty: {} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("CAIRN_REPORT_SCREENSHOT") {
        std::fs::copy(png, keep).unwrap();
    }
}

#[test]
fn tracker_staging_report_shows_inventory_graph_and_timeline_without_secrets() {
    let sb = Sandbox::with_profiles(
        "tracker",
        "staging",
        &["glimpse-staging", "glimpse-production"],
        "eu-west-2",
    );
    sb.run(&["backend", "bootstrap"]).expect(0);
    sb.run(&["apply", "--auto-approve"]).expect(0);

    // Cheap later versions: forget a repository and import it back ...
    let repo = "module.ecr.aws_ecr_repository.this[\"admin\"]";
    let pulled: serde_json::Value =
        serde_json::from_str(&sb.run(&["state", "pull"]).expect(0).stdout).unwrap();
    let repo_id = pulled["resources"][repo]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vpc = pulled["resources"]["module.network.aws_vpc.this"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sb.run(&["state", "rm", repo]).expect(0);
    sb.run(&["import", repo, &repo_id]).expect(0);
    // ... and drift, tagged outside cairn and accepted into state.
    rt().block_on(
        sb.ec2()
            .create_tags()
            .resources(&vpc)
            .tags(Tag::builder().key("Owner").value("someone-else").build())
            .send(),
    )
    .unwrap();
    sb.run(&["apply", "--refresh-only", "--auto-approve"])
        .expect(0);

    let state: serde_json::Value =
        serde_json::from_str(&sb.run(&["state", "pull"]).expect(0).stdout).unwrap();
    let secrets = secrets(&state);
    assert!(
        secrets.len() >= 2,
        "the estate's random passwords and secret versions: {secrets:?}"
    );

    let out = sb.dir.path();
    let html_path = out.join("report.html");
    let html_arg = html_path.display().to_string();
    let run = sb.run(&["report", "--out", &html_arg]).expect(0);
    assert!(run.stderr.contains("Wrote the report"), "{}", run.stderr);
    let mode = std::fs::metadata(&html_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the report is created 0600");
    let html = std::fs::read_to_string(&html_path).unwrap();
    let md = sb.run(&["report", "--format", "markdown"]).expect(0).stdout;
    let json_text = sb.run(&["report", "--format", "json"]).expect(0).stdout;
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();

    for (name, text) in [("html", &html), ("markdown", &md), ("json", &json_text)] {
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "the {name} report contains a secret from the state"
            );
        }
    }

    // The inventory: every resource, by module.
    let resources = state["resources"].as_object().unwrap().len();
    assert_eq!(json["summary"]["resources"], resources);
    assert!(html.contains("<section id=\"inventory\">"));
    assert!(html.contains("<table>"));
    assert!(html.contains("module.network"));
    assert!(html.contains(&vpc));
    assert!(html.contains("aws_secretsmanager_secret_version"));
    // The graph, collapsed to module/type groups for ~190 resources.
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\""));
    assert_eq!(json["graph"]["collapsed"], true);
    assert!(html.contains("aws_subnet × 4"));
    // The timeline: the apply's writes, the rm, the import, the drift.
    let ops: Vec<&str> = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["written_by"]["operation"].as_str())
        .collect();
    assert_eq!(
        ops[..3],
        ["apply --refresh-only", "import", "state rm"],
        "{ops:?}"
    );
    assert!(ops[3..].iter().all(|o| *o == "apply"), "{ops:?}");
    assert!(html.contains("<section id=\"timeline\">"));
    let removed = &json["timeline"][2]["removed"];
    assert_eq!(removed[0], repo, "the state rm's diff names what it forgot");
    assert_eq!(json["drift"]["plan_recorded"], false);
    assert_eq!(
        json["drift"]["last_accepted"]["anchor"],
        json["timeline"][0]["anchor"]
    );
    let drift_change = json["timeline"][0]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "module.network.aws_vpc.this")
        .expect("the drift's diff shows the VPC");
    assert!(drift_change.to_string().contains("someone-else"));
    assert!(html.contains("<section id=\"verification\">"));
    assert!(md.contains("## Timeline") && md.contains("```mermaid"));

    // An earlier point: the first version, with the later ones counted.
    let oldest = json["timeline"].as_array().unwrap().last().unwrap()["version"]
        .as_str()
        .unwrap()
        .to_string();
    let early: serde_json::Value = serde_json::from_str(
        &sb.run(&["report", "--format", "json", "--version", &oldest])
            .expect(0)
            .stdout,
    )
    .unwrap();
    assert_eq!(early["point"]["version"], oldest.as_str());
    assert_eq!(early["timeline"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        early["later_versions"].as_u64(),
        json["timeline"].as_array().map(|t| t.len() as u64 - 1)
    );
    // `--at` before anything was stored is refused, naming the oldest.
    let none = sb.run(&["report", "--at", "2000-01-01"]).expect(1);
    assert!(
        none.stderr.contains("the oldest is from"),
        "{}",
        none.stderr
    );

    screenshot(&html_path, &out.join("report.png"));
}
