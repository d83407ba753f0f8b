//! CI as a user: `plan --out` reviewed then `apply FILE` applied exactly,
//! stale plans refused, deny gates, JSON on stdout only, Markdown for the
//! pull request, and nightly drift checks with --refresh-only. Against
//! moto, checked through the SDK.

use aws_sdk_ec2::types::{Filter, Tag};

use crate::support::{rt, Run, Sandbox, BIN};

fn config(tag: &str, extra: &str) -> String {
    format!(
        "[stack]\nname = \"ci\"\n\n[provider.aws]\nregion = \"eu-west-2\"\n\n[resource.aws_vpc.main]\ncidr_block = \"10.93.0.0/16\"\ntags = {{ Run = \"{tag}\" }}\n\n[resource.aws_subnet.a]\nvpc_id = \"${{aws_vpc.main.id}}\"\ncidr_block = \"10.93.1.0/24\"\n{extra}"
    )
}

fn vpc_tag(sb: &Sandbox) -> Option<String> {
    let rt = rt();
    let out = rt
        .block_on(
            sb.ec2()
                .describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:cairn:stack")
                        .values("ci")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let vpc = out.vpcs().first()?;
    vpc.tags()
        .iter()
        .find(|t| t.key() == Some("Run"))
        .and_then(|t| t.value().map(str::to_string))
}

fn schema() -> jsonschema::Validator {
    let path = crate::support::repo_root().join("docs/plan-json.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(json: &serde_json::Value) {
    let errors: Vec<String> = schema().iter_errors(json).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn a_saved_plan_is_applied_exactly_or_refused_when_stale() {
    let sb = Sandbox::with_files(&[("main.toml", &config("one", ""))]);
    let file = sb.dir.path().join("reviewed.plan");
    let file = file.to_str().unwrap();
    sb.run(&["plan", "--out", file, "--detailed-exitcode"])
        .expect(2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "plan files are owner-only");
    }
    let show = |args: &[&str]| {
        Run::from(std::process::Command::new(BIN).args(args).output().unwrap()).expect(0)
    };
    let shown = show(&["show", file]);
    assert!(
        shown.stdout.contains("aws_vpc.main will be created"),
        "{}",
        shown.stdout
    );
    let json = show(&["show", "--json", file]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_valid(&json);
    assert_eq!(json["summary"]["add"], 2);

    // The directory changes after review: the reviewed plan is what runs.
    sb.write("main.toml", &config("two", ""));
    sb.run(&["apply", file]).expect(0);
    assert_eq!(vpc_tag(&sb).as_deref(), Some("one"));

    // Applied once, the plan is stale: the state moved on.
    let again = sb.run(&["apply", file]).expect(1);
    assert!(again.stderr.contains("stale plan"), "{}", again.stderr);

    // A plan made, then overtaken by another apply, is refused untouched.
    sb.run(&["plan", "--out", file]).expect(0);
    sb.write("main.toml", &config("three", ""));
    sb.run(&["apply", "--auto-approve"]).expect(0);
    let stale = sb.run(&["apply", file]).expect(1);
    assert!(stale.stderr.contains("stale plan"), "{}", stale.stderr);
    assert_eq!(vpc_tag(&sb).as_deref(), Some("three"));

    // A plan whose configuration was edited after review.
    sb.run(&["plan", "--out", file]).expect(0);
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let main = saved["sources"]["main.toml"]
        .as_str()
        .unwrap()
        .replace("three", "evil");
    saved["sources"]["main.toml"] = main.into();
    std::fs::write(file, saved.to_string()).unwrap();
    let altered = sb.run(&["apply", file]).expect(1);
    assert!(altered.stderr.contains("altered"), "{}", altered.stderr);
    assert_eq!(vpc_tag(&sb).as_deref(), Some("three"));

    // Not a plan at all.
    std::fs::write(file, "{\"format\": \"something-else\"}").unwrap();
    let foreign = sb.run(&["apply", file]).expect(1);
    assert!(
        foreign.stderr.contains("not a cairn plan"),
        "{}",
        foreign.stderr
    );
}

#[test]
fn json_markdown_and_gates_for_pull_requests() {
    let sb = Sandbox::with_files(&[("main.toml", &config("one", ""))]);
    // With debug logs on, stdout still carries only the JSON document.
    let run = sb
        .command(&["plan", "--json", "--detailed-exitcode"])
        .env("CAIRN_LOG", "debug")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stdout = String::from_utf8(run.stdout).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is one JSON document");
    assert_valid(&json);
    let actions: Vec<_> = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("aws_subnet.a".to_string(), serde_json::json!(["create"])),
            ("aws_vpc.main".to_string(), serde_json::json!(["create"]))
        ]
    );
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );

    sb.run(&["apply", "--auto-approve"]).expect(0);
    // A new CIDR replaces the subnet.
    sb.write(
        "main.toml",
        &config("one", "").replace("10.93.1.0/24", "10.93.2.0/24"),
    );
    let md = sb.run(&["plan", "--format", "markdown"]).expect(0);
    assert!(
        md.stdout
            .contains("| ♻️ | `aws_subnet.a` | **replace** | cidr_block"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("<details>"), "{}", md.stdout);

    let denied = sb.run(&["plan", "--deny", "replace:aws_subnet"]).expect(3);
    assert!(
        denied.stderr.contains("aws_subnet.a would replace"),
        "{}",
        denied.stderr
    );
    sb.run(&["plan", "--deny", "delete:aws_vpc", "--detailed-exitcode"])
        .expect(2);
    // `delete` covers the destruction a replacement makes.
    sb.run(&["plan", "--deny", "delete"]).expect(3);
    sb.run(&["plan", "--deny", "explode"]).expect(1);

    // The stack's own policy gates every run, apply included.
    sb.write(
        "main.toml",
        &config("one", "\n[policy]\ndeny = [\"delete:aws_subnet\"]\n")
            .replace("10.93.1.0/24", "10.93.2.0/24"),
    );
    let refused = sb.run(&["apply", "--auto-approve"]).expect(3);
    assert!(
        refused.stderr.contains("delete:aws_subnet"),
        "{}",
        refused.stderr
    );
    let rt = rt();
    let subnets = rt
        .block_on(
            sb.ec2()
                .describe_subnets()
                .filters(
                    Filter::builder()
                        .name("cidr-block")
                        .values("10.93.1.0/24")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(
        subnets.subnets().len(),
        1,
        "the refused apply changed nothing"
    );
}

#[test]
fn nightly_drift_checks_report_and_record_changes_made_outside() {
    let sb = Sandbox::with_files(&[("main.toml", &config("one", ""))]);
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(0);

    // A console click: the tag changes, and the subnet is deleted.
    let state = sb.state("ci");
    let vpc = state["resources"]["aws_vpc.main"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = state["resources"]["aws_subnet.a"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let rt = rt();
    let ec2 = sb.ec2();
    rt.block_on(
        ec2.create_tags()
            .resources(&vpc)
            .tags(Tag::builder().key("Run").value("clicked").build())
            .send(),
    )
    .unwrap();
    rt.block_on(ec2.delete_subnet().subnet_id(&subnet).send())
        .unwrap();

    let drift = sb
        .run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(2);
    assert!(
        drift.stdout.contains("aws_vpc.main has changed"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("aws_subnet.a has been deleted"),
        "{}",
        drift.stdout
    );
    let json = sb.run(&["plan", "--refresh-only", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_valid(&json);
    assert_eq!(json["summary"]["drift"], 2);
    assert_eq!(json["resource_changes"], serde_json::json!([]));

    // Accepting the live values records them and changes nothing in AWS.
    sb.run(&["apply", "--refresh-only", "--auto-approve"])
        .expect(0);
    assert_eq!(vpc_tag(&sb).as_deref(), Some("clicked"));
    let state = sb.state("ci");
    assert!(state["resources"].get("aws_subnet.a").is_none());
    assert_eq!(state["written_by"]["operation"], "apply --refresh-only");
    sb.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .expect(0);
    // The configuration still wants its tag and its subnet back.
    sb.run(&["plan", "--detailed-exitcode"]).expect(2);
}
