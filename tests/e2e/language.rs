//! The language through the binary, against moto: provider aliases at two
//! endpoints, `cairn import` and `[[import]]`, `--target`, saved plans of a
//! stack with modules, variable files and templates, `cairn fmt` and
//! `cairn schema`. Checked through the SDK.

use std::process::Command;

use aws_sdk_ec2::types::Filter;
use cairn_testkit::MotoServer;

use crate::support::{repo_root, rt, Run, Sandbox, BIN};

fn ec2_at(endpoint: &str) -> aws_sdk_ec2::Client {
    use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
    aws_sdk_ec2::Client::from_conf(
        aws_sdk_ec2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-2"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "e2e"))
            .build(),
    )
}

/// The VPCs of stack `stack` at an endpoint, by their `Name` tag.
fn vpc_names(endpoint: &str, stack: &str) -> Vec<String> {
    let out = rt()
        .block_on(
            ec2_at(endpoint)
                .describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:cairn:stack")
                        .values(stack)
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let mut names: Vec<String> = out
        .vpcs()
        .iter()
        .filter_map(|v| {
            v.tags()
                .iter()
                .find(|t| t.key() == Some("Name"))
                .and_then(|t| t.value())
        })
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn two_provider_aliases_reach_two_endpoints() {
    let other = MotoServer::start();
    let sb = Sandbox::with_files(&[
        (
            "main.toml",
            r#"
[stack]
name = "aliases"

[variable.primary]
type = "string"

[variable.secondary]
type = "string"

[provider.aws]
region = "eu-west-2"
endpoint_url = "${var.primary}"

[provider.aws.dr]
region = "eu-west-2"
endpoint_url = "${var.secondary}"

[resource.aws_vpc.main]
cidr_block = "10.10.0.0/16"
tags = { Name = "main" }

[resource.aws_vpc.dr]
provider = "aws.dr"
cidr_block = "10.20.0.0/16"
tags = { Name = "dr" }

[module.replica]
source = "../modules/replica"
providers = { aws = "aws.dr" }
"#,
        ),
        (
            "../modules/replica/main.toml",
            "[resource.aws_vpc.this]\ncidr_block = \"10.30.0.0/16\"\ntags = { Name = \"replica\" }\n",
        ),
    ]);
    let vars = |args: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.push("--var".into());
        a.push(format!("primary={}", sb.moto.endpoint()));
        a.push("--var".into());
        a.push(format!("secondary={}", other.endpoint()));
        a
    };
    let run = |args: &[&str]| {
        let a = vars(args);
        sb.run(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(&["apply", "--auto-approve"]).expect(0);
    assert_eq!(vpc_names(&sb.moto.endpoint(), "aliases"), ["main"]);
    assert_eq!(vpc_names(&other.endpoint(), "aliases"), ["dr", "replica"]);
    let state = sb.state("aliases");
    assert_eq!(state["resources"]["aws_vpc.dr"]["provider"], "aws.dr");
    assert_eq!(
        state["resources"]["module.replica.aws_vpc.this"]["provider"],
        "aws.dr"
    );
    run(&["plan", "--detailed-exitcode"]).expect(0);
    run(&["destroy", "--auto-approve"]).expect(0);
    assert!(vpc_names(&sb.moto.endpoint(), "aliases").is_empty());
    assert!(vpc_names(&other.endpoint(), "aliases").is_empty());
}

const LEGACY: &str = r#"
[stack]
name = "legacy"

[provider.aws]
region = "eu-west-2"

[resource.aws_vpc.legacy]
cidr_block = "10.77.0.0/16"
tags = { Name = "made-by-hand" }
"#;

fn vpc_by_hand(sb: &Sandbox, cidr: &str) -> String {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    rt().block_on(
        sb.ec2()
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Vpc)
                    .tags(Tag::builder().key("Name").value("made-by-hand").build())
                    .build(),
            )
            .send(),
    )
    .unwrap()
    .vpc()
    .unwrap()
    .vpc_id()
    .unwrap()
    .to_string()
}

#[test]
fn cairn_import_records_an_existing_object_and_the_next_plan_is_a_no_op() {
    let sb = Sandbox::with_files(&[("main.toml", LEGACY)]);
    let id = vpc_by_hand(&sb, "10.77.0.0/16");
    let out = sb.run(&["import", "aws_vpc.legacy", &id]).expect(0);
    assert!(
        out.stdout
            .contains(&format!("Imported aws_vpc.legacy ({id})")),
        "{}",
        out.stdout
    );
    let plan = sb.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert_eq!(
        sb.state("legacy")["resources"]["aws_vpc.legacy"]["id"],
        id.as_str()
    );
    // Errors are specific and change nothing.
    let again = sb.run(&["import", "aws_vpc.legacy", &id]).expect(1);
    assert!(
        again.stderr.contains("is already in state"),
        "{}",
        again.stderr
    );
    let missing = sb.run(&["import", "aws_vpc.other", &id]).expect(1);
    assert!(
        missing
            .stderr
            .contains("the configuration has no resource `aws_vpc.other`"),
        "{}",
        missing.stderr
    );
    sb.run(&["state", "rm", "aws_vpc.legacy"]).expect(0);
    let gone = sb
        .run(&["import", "aws_vpc.legacy", "vpc-00000000000000000"])
        .expect(1);
    assert!(
        gone.stderr
            .contains("no aws_vpc with id `vpc-00000000000000000` exists"),
        "{}",
        gone.stderr
    );
}

#[test]
fn an_import_block_shows_in_the_plan_and_applies_without_creating() {
    let sb = Sandbox::with_files(&[("main.toml", LEGACY)]);
    let id = vpc_by_hand(&sb, "10.77.0.0/16");
    sb.write(
        "main.toml",
        &format!("{LEGACY}\n[[import]]\nto = \"aws_vpc.legacy\"\nid = \"{id}\"\n"),
    );
    let plan = sb.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(
        plan.stdout.contains("aws_vpc.legacy will be imported"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    sb.run(&["apply", "--auto-approve"]).expect(0);
    sb.run(&["plan", "--detailed-exitcode"]).expect(0);
    let vpcs = rt()
        .block_on(
            sb.ec2()
                .describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("cidr")
                        .values("10.77.0.0/16")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "no second VPC was made");
}

#[test]
fn target_plans_and_applies_part_of_the_stack() {
    let sb = Sandbox::with_files(&[(
        "main.toml",
        r#"
[stack]
name = "part"

[provider.aws]
region = "eu-west-2"

[resource.aws_vpc.a]
cidr_block = "10.1.0.0/16"

[resource.aws_subnet.a]
vpc_id = "${aws_vpc.a.id}"
cidr_block = "10.1.1.0/24"

[resource.aws_vpc.b]
cidr_block = "10.2.0.0/16"
"#,
    )]);
    let plan = sb
        .run(&["plan", "--target", "aws_subnet.a", "--detailed-exitcode"])
        .expect(2);
    assert!(plan
        .stdout
        .contains("this plan covers part of the configuration (--target aws_subnet.a)"));
    assert!(
        plan.stdout.contains("Plan: 2 to add"),
        "the subnet and its VPC: {}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("aws_vpc.b"), "{}", plan.stdout);
    sb.run(&["apply", "--auto-approve", "--exclude", "aws_vpc.a"])
        .expect(0);
    let state = sb.state("part");
    assert_eq!(
        state["resources"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["aws_vpc.b"]
    );
    let bad = sb.run(&["plan", "--target", "aws_vpc.c"]).expect(1);
    assert!(
        bad.stderr
            .contains("--target aws_vpc.c: nothing in the configuration or the state"),
        "{}",
        bad.stderr
    );
    let typo = sb.run(&["plan", "--target", "aws_vpc"]).expect(1);
    assert!(
        typo.stderr.contains("expected a resource address"),
        "{}",
        typo.stderr
    );
}

#[test]
fn a_saved_plan_carries_modules_variable_files_and_templates() {
    let sb = Sandbox::with_files(&[
        (
            "main.toml",
            r#"
[stack]
name = "saved"

[variable.team]
type = "string"

[variable.name]
type = "string"
default = "from-default"

[provider.aws]
region = "eu-west-2"

[module.net]
source = "../modules/net"
name = "${var.name}"
team = "${var.team}"
"#,
        ),
        (
            "../modules/net/main.toml",
            r#"
[variable.name]
type = "string"

[variable.team]
type = "string"

[resource.aws_vpc.this]
cidr_block = "10.55.0.0/16"
tags = { Name = "${var.name}", Team = "${var.team}", Note = '${trimspace(templatefile("note.tpl", { team = var.team }))}' }
"#,
        ),
        ("../modules/net/note.tpl", "owned by ${team}\n"),
        ("../vars.json", "{ \"name\": \"from-var-file\" }"),
    ]);
    let file = sb.dir.path().join("reviewed.plan");
    let vars = sb.dir.path().join("vars.json");
    let mut cmd = sb.command(&[
        "plan",
        "--out",
        file.to_str().unwrap(),
        "--var-file",
        vars.to_str().unwrap(),
    ]);
    cmd.env("CAIRN_VAR_team", "platform");
    Run::from(cmd.output().unwrap()).expect(0);
    // Everything changes on disk after review; the reviewed plan is what runs.
    std::fs::write(
        sb.dir.path().join("modules/net/note.tpl"),
        "owned by nobody\n",
    )
    .unwrap();
    std::fs::write(&vars, "{ \"name\": \"changed\" }").unwrap();
    let module = sb.dir.path().join("modules/net/main.toml");
    let text = std::fs::read_to_string(&module)
        .unwrap()
        .replace("10.55.0.0/16", "10.66.0.0/16");
    std::fs::write(&module, text).unwrap();
    sb.run(&["apply", file.to_str().unwrap()]).expect(0);
    let vpcs = rt()
        .block_on(
            sb.ec2()
                .describe_vpcs()
                .filters(
                    Filter::builder()
                        .name("tag:cairn:stack")
                        .values("saved")
                        .build(),
                )
                .send(),
        )
        .unwrap();
    let vpc = &vpcs.vpcs()[0];
    let tag = |k: &str| {
        vpc.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(vpc.cidr_block(), Some("10.55.0.0/16"));
    assert_eq!(tag("Name"), "from-var-file");
    assert_eq!(
        tag("Team"),
        "platform",
        "CAIRN_VAR_team as it was at plan time"
    );
    assert_eq!(tag("Note"), "owned by platform");
}

#[test]
fn fmt_rewrites_in_the_canonical_layout_and_checks_for_ci() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.toml");
    std::fs::write(&file, "[stack]\nname=\"x\"   # the name\n[ resource.aws_vpc.main ]\ncidr_block   =  \"10.0.0.0/16\"\n").unwrap();
    let fmt = |args: &[&str]| {
        Run::from(
            Command::new(BIN)
                .arg("fmt")
                .args(args)
                .arg(dir.path())
                .output()
                .unwrap(),
        )
    };
    let check = fmt(&["--check"]).expect(2);
    assert!(check.stdout.contains("main.toml"), "{}", check.stdout);
    assert!(
        check.stderr.contains("not in the canonical layout"),
        "{}",
        check.stderr
    );
    let diff = fmt(&["--check", "--diff"]).expect(2);
    assert!(
        diff.stdout.contains("+cidr_block = \"10.0.0.0/16\""),
        "{}",
        diff.stdout
    );
    fmt(&[]).expect(0);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[stack]\nname = \"x\" # the name\n\n[resource.aws_vpc.main]\ncidr_block = \"10.0.0.0/16\"\n"
    );
    fmt(&["--check"]).expect(0);
    std::fs::write(&file, "[stack\n").unwrap();
    let bad = fmt(&[]).expect(1);
    assert!(bad.stderr.contains("main.toml:1:"), "{}", bad.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[stack\n",
        "an unparsable file is left alone"
    );
}

#[test]
fn the_repository_stacks_are_formatted() {
    let run = Run::from(
        Command::new(BIN)
            .args(["fmt", "--check", "--recursive"])
            .arg(repo_root().join("stacks"))
            .output()
            .unwrap(),
    );
    assert_eq!(
        run.code, 0,
        "run `cairn fmt --recursive stacks`:\n{}{}",
        run.stdout, run.stderr
    );
}

/// A TOML document as JSON, to check it against the schema.
fn toml_json(text: &str) -> serde_json::Value {
    fn item(i: &toml_edit::Item) -> serde_json::Value {
        match i {
            toml_edit::Item::Value(v) => value(v),
            toml_edit::Item::Table(t) => {
                serde_json::Value::Object(t.iter().map(|(k, v)| (k.to_string(), item(v))).collect())
            }
            toml_edit::Item::ArrayOfTables(a) => serde_json::Value::Array(
                a.iter()
                    .map(|t| {
                        serde_json::Value::Object(
                            t.iter().map(|(k, v)| (k.to_string(), item(v))).collect(),
                        )
                    })
                    .collect(),
            ),
            toml_edit::Item::None => serde_json::Value::Null,
        }
    }
    fn value(v: &toml_edit::Value) -> serde_json::Value {
        use toml_edit::Value as V;
        match v {
            V::String(s) => serde_json::json!(s.value()),
            V::Integer(i) => serde_json::json!(i.value()),
            V::Float(f) => serde_json::json!(f.value()),
            V::Boolean(b) => serde_json::json!(b.value()),
            V::Datetime(d) => serde_json::json!(d.to_string()),
            V::Array(a) => serde_json::Value::Array(a.iter().map(value).collect()),
            V::InlineTable(t) => serde_json::Value::Object(
                t.iter().map(|(k, v)| (k.to_string(), value(v))).collect(),
            ),
        }
    }
    item(toml_edit::Document::parse(text).unwrap().as_item())
}

fn schema(args: &[&str]) -> jsonschema::Validator {
    let out = Run::from(Command::new(BIN).arg("schema").args(args).output().unwrap()).expect(0);
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

#[test]
fn the_schema_accepts_every_stack_and_env_file_and_catches_mistakes() {
    let (stack_schema, env_schema) = (schema(&[]), schema(&["--env"]));
    let mut files = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).unwrap().map(|e| e.unwrap().path()) {
            if e.is_dir() {
                walk(&e, out);
            } else if e.extension().is_some_and(|x| x == "toml") {
                out.push(e);
            }
        }
    }
    walk(&repo_root().join("stacks"), &mut files);
    assert!(files.len() > 10, "{files:?}");
    for f in &files {
        let json = toml_json(&std::fs::read_to_string(f).unwrap());
        let is_env = f.parent().is_some_and(|p| p.ends_with("envs"));
        let v = if is_env { &env_schema } else { &stack_schema };
        let errors: Vec<String> = v
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {}", f.display(), errors.join("\n"));
    }
    let typo = toml_json("[resource.aws_vpc.main]\ncidr_blok = \"10.0.0.0/16\"\n");
    assert!(
        !stack_schema.is_valid(&typo),
        "an unknown attribute is flagged"
    );
    let wrong = toml_json(
        "[resource.aws_vpc.main]\ncidr_block = \"10.0.0.0/16\"\nenable_dns_support = 3\n",
    );
    assert!(!stack_schema.is_valid(&wrong), "a wrong type is flagged");
    let expression = toml_json("[resource.aws_vpc.main]\ncidr_block = \"10.0.0.0/16\"\nenable_dns_support = \"${var.dns}\"\n");
    assert!(
        stack_schema.is_valid(&expression),
        "an expression stands for any type"
    );
}

#[test]
fn the_type_tables_of_docs_resources_md_are_what_cairn_schema_prints() {
    let out = Run::from(
        Command::new(BIN)
            .args(["schema", "--markdown"])
            .output()
            .unwrap(),
    )
    .expect(0);
    let doc = std::fs::read_to_string(repo_root().join("docs/resources.md")).unwrap();
    let start =
        "<!-- generated by `cairn schema --markdown`; a test checks it: do not edit by hand -->\n";
    let end = "<!-- end of generated -->";
    let generated = doc
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(g, _)| g)
        .expect("docs/resources.md has its generated section");
    assert!(
        generated == out.stdout,
        "docs/resources.md is stale: replace its generated section with `cairn schema --markdown`"
    );
}

#[test]
fn the_committed_schemas_are_what_cairn_schema_prints() {
    for (args, file) in [
        (&[][..], "docs/stack.schema.json"),
        (&["--env"][..], "docs/env.schema.json"),
    ] {
        let out = Run::from(Command::new(BIN).arg("schema").args(args).output().unwrap()).expect(0);
        let committed = std::fs::read_to_string(repo_root().join(file)).unwrap();
        assert!(
            out.stdout == committed,
            "{file} is stale: run `cairn schema {}> {file}`",
            args.iter().map(|a| format!("{a} ")).collect::<String>()
        );
    }
}
