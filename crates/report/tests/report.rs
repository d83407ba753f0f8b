//! The report end to end, from state documents to HTML, Markdown and JSON:
//! what each shows, and that no secret reaches any of them.

use cairn_core::{Object, Value};
use cairn_report::{Format, ReportInput, Verification, VersionCheck, VersionInput};
use cairn_state::{DeposedObject, OutputState, ResourceState, StateDocument, WrittenBy};

/// Secrets planted in every way a state can hold one.
const MARKED: &str = "canary-marked-3f9a1c";
const BY_NAME: &str = "canary-byname-77d2e0";
const ROTATED: &str = "canary-rotated-5b8e44";
const OUTPUT: &str = "canary-output-a1b2c3";
const DEPOSED: &str = "canary-deposed-99ee11";
const ALL: &[&str] = &[MARKED, BY_NAME, ROTATED, OUTPUT, DEPOSED];

fn obj(pairs: Vec<(&str, Value)>) -> Object {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn by(serial: u64, operation: &str) -> Option<WrittenBy> {
    Some(WrittenBy {
        who: "alice@laptop".into(),
        when: format!("2026-03-0{serial}T09:00:00Z"),
        operation: operation.into(),
        cairn_version: "0.1.0".into(),
        lock_id: None,
    })
}

fn v1() -> StateDocument {
    let mut d = StateDocument::new("tracker", Some("staging"));
    d.serial = 1;
    d.written_by = by(1, "apply");
    d.resources.insert(
        "module.network.aws_vpc.this".into(),
        ResourceState::new(
            "aws_vpc",
            "aws",
            "vpc-0abc",
            &obj(vec![
                ("cidr_block", "10.40.0.0/24".into()),
                (
                    "tags",
                    Value::Map(obj(vec![("Name", "tracker-staging".into())])),
                ),
            ]),
            vec![],
        ),
    );
    d.resources.insert(
        "module.network.aws_subnet.private[\"eu-west-2a\"]".into(),
        ResourceState::new(
            "aws_subnet",
            "aws",
            "subnet-1",
            &obj(vec![("cidr_block", "10.40.0.128/26".into())]),
            vec!["module.network.aws_vpc.this".into()],
        ),
    );
    d.resources.insert(
        "module.secrets.random_password.this[\"db\"]".into(),
        ResourceState::new(
            "random_password",
            "random",
            "none",
            &obj(vec![
                ("length", Value::Number(32.0)),
                ("result", Value::sensitive(MARKED.into())),
            ]),
            vec![],
        ),
    );
    // Not marked in state at all: only the copy rule can catch it.
    d.resources.insert(
        "module.secrets.aws_secretsmanager_secret_version.this[\"db\"]".into(),
        ResourceState::new(
            "aws_secretsmanager_secret_version",
            "aws",
            "arn:aws:secretsmanager:eu-west-2:1:secret:db|v1",
            &obj(vec![
                (
                    "secret_id",
                    "arn:aws:secretsmanager:eu-west-2:1:secret:db".into(),
                ),
                ("secret_string", MARKED.into()),
                ("version_id", "v1".into()),
            ]),
            vec!["module.secrets.random_password.this[\"db\"]".into()],
        ),
    );
    // Unmarked, but under a key that names a secret.
    d.resources.insert(
        "aws_db_instance.legacy".into(),
        ResourceState::new(
            "aws_db_instance",
            "aws",
            "legacy",
            &obj(vec![
                ("identifier", "legacy".into()),
                ("password", BY_NAME.into()),
                ("engine", "postgres".into()),
            ]),
            vec!["module.network.aws_subnet.private[\"eu-west-2a\"]".into()],
        ),
    );
    d.outputs.insert(
        "db_password".into(),
        OutputState::new(&Value::sensitive(OUTPUT.into())),
    );
    d.outputs
        .insert("vpc_id".into(), OutputState::new(&Value::from("vpc-0abc")));
    d
}

fn history() -> Vec<StateDocument> {
    let one = v1();
    // v2: the password rotated (a marked change in the diff), a tag changed,
    // the legacy database replaced with create_before_destroy.
    let mut two = one.clone();
    two.serial = 2;
    two.written_by = by(2, "apply");
    let pw = "module.secrets.random_password.this[\"db\"]";
    two.resources.insert(
        pw.into(),
        ResourceState::new(
            "random_password",
            "random",
            "none",
            &obj(vec![
                ("length", Value::Number(32.0)),
                ("result", Value::sensitive(ROTATED.into())),
            ]),
            vec![],
        ),
    );
    let sv = "module.secrets.aws_secretsmanager_secret_version.this[\"db\"]";
    if let Some(rs) = two.resources.get_mut(sv) {
        rs.attributes.insert("secret_string".into(), ROTATED.into());
    }
    if let Some(rs) = two.resources.get_mut("module.network.aws_vpc.this") {
        rs.attributes.insert(
            "tags".into(),
            serde_json::json!({"Name": "tracker-staging-2"}),
        );
    }
    let mut old_db = ResourceState::new(
        "aws_db_instance",
        "aws",
        "legacy-old",
        &obj(vec![("password", Value::sensitive(DEPOSED.into()))]),
        vec![],
    );
    old_db.id = "legacy-old".into();
    if let Some(rs) = two.resources.get_mut("aws_db_instance.legacy") {
        rs.deposed.push(DeposedObject::of(&old_db));
    }
    // v3: a resource forgotten (`state rm`).
    let mut three = two.clone();
    three.serial = 3;
    three.written_by = by(3, "state rm");
    three
        .resources
        .remove("module.network.aws_subnet.private[\"eu-west-2a\"]");
    // v4: drift accepted.
    let mut four = three.clone();
    four.serial = 4;
    four.written_by = by(4, "apply --refresh-only");
    if let Some(rs) = four.resources.get_mut("aws_db_instance.legacy") {
        rs.attributes
            .insert("engine".into(), serde_json::json!("postgres16"));
    }
    vec![one, two, three, four]
}

fn input(verification: Option<Verification>) -> ReportInput {
    let docs = history();
    let state = docs.last().cloned().unwrap();
    ReportInput {
        location: "s3://glimpse-staging/tracker/staging.json".into(),
        generated_at: "2026-03-05T00:00:00Z".into(),
        cairn_version: "0.1.0".into(),
        selected_by: "current".into(),
        version_id: Some("ver-4".into()),
        state,
        history: docs
            .into_iter()
            .enumerate()
            .map(|(i, doc)| VersionInput {
                id: format!("ver-{}", i + 1),
                stored: None,
                doc,
            })
            .collect(),
        later_versions: 0,
        history_warning: None,
        verification,
        verification_note: None,
    }
}

fn render(format: Format) -> String {
    cairn_report::render(&input(None), format).unwrap()
}

#[test]
fn no_secret_reaches_any_format() {
    for format in [Format::Html, Format::Markdown, Format::Json] {
        let text = render(format);
        for canary in ALL {
            assert!(
                !text.contains(canary),
                "{format:?} report contains the secret {canary}"
            );
        }
        assert!(text.contains("(sensitive value)"), "{format:?}");
    }
}

#[test]
fn html_is_one_self_contained_file_with_inventory_graph_and_timeline() {
    let html = render(Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Inventory, by module, every resource with its id.
    assert!(html.contains("<section id=\"inventory\">"));
    assert!(html.contains("module.network"));
    assert!(html.contains("aws_db_instance.legacy"));
    assert!(html.contains("vpc-0abc"));
    assert!(
        html.contains("tracker-staging-2"),
        "key attribute tags.Name"
    );
    // The graph, drawn inline, with an edge per dependency.
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\""));
    assert!(html.contains("marker-end=\"url(#arrow)\""));
    // The timeline, newest first, linked to each version's diff.
    let v4 = html.find("href=\"#v4\"").unwrap();
    let v1 = html.find("href=\"#v1\"").unwrap();
    assert!(v4 < v1);
    assert!(html.contains("<details id=\"v2\">"));
    assert!(html.contains("tags.Name"), "the per-attribute diff");
    assert!(html.contains("state rm"));
    // Drift: the plan's is not recorded; the accepted one links to v4.
    assert!(html.contains("not recorded"));
    assert!(html.contains("<a href=\"#v4\">v4</a> (serial 4"));
    assert!(html.contains("verification not available"));
    // Self-contained: nothing is fetched from anywhere.
    for banned in ["src=", "<link", "@import", "url(http", "href=\"http"] {
        assert!(!html.contains(banned), "the page references {banned}");
    }
    assert!(html.contains("id=\"filter\""));
}

#[test]
fn masked_paths_are_listed_and_references_to_secrets_are_shown() {
    let report = cairn_report::build(&input(None));
    let rows: Vec<_> = report.inventory.iter().flat_map(|m| &m.resources).collect();
    let find = |a: &str| rows.iter().find(|r| r.address == a).unwrap();
    assert_eq!(
        find("module.secrets.random_password.this[\"db\"]").masked,
        ["result"]
    );
    let version = find("module.secrets.aws_secretsmanager_secret_version.this[\"db\"]");
    assert_eq!(version.masked, ["secret_string"]);
    assert_eq!(find("aws_db_instance.legacy").masked, ["password"]);
    assert_eq!(find("aws_db_instance.legacy").deposed, 1);
    let json = cairn_report::render(&input(None), Format::Json).unwrap();
    assert!(json.contains("arn:aws:secretsmanager:eu-west-2:1:secret:db"));
}

#[test]
fn json_has_the_documented_structure() {
    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["summary"]["resources"], 4);
    assert_eq!(json["summary"]["versions"], 4);
    assert_eq!(json["timeline"][0]["anchor"], "v4");
    assert_eq!(
        json["timeline"][0]["written_by"]["operation"],
        "apply --refresh-only"
    );
    // The deposed object is not part of the attribute diff (StateDiff).
    assert_eq!(
        json["timeline"][2]["changed"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(json["drift"]["plan_recorded"], false);
    assert_eq!(json["drift"]["last_accepted"]["anchor"], "v4");
    assert!(json["verification"].is_null());
    assert_eq!(json["graph"]["collapsed"], false);
    assert!(json["graph"]["edges"]
        .as_array()
        .is_some_and(|e| !e.is_empty()));
    let change = &json["timeline"][2]["changed"];
    let rotated = change
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "module.secrets.random_password.this[\"db\"]")
        .unwrap();
    assert_eq!(rotated["changes"][0]["path"], "result");
    assert_eq!(rotated["changes"][0]["after"], "(sensitive value)");
}

#[test]
fn markdown_carries_the_same_sections() {
    let md = render(Format::Markdown);
    for heading in [
        "## Inventory",
        "## Resource graph",
        "```mermaid",
        "## Timeline",
        "## Drift",
        "## Verification",
        "## Outputs",
    ] {
        assert!(md.contains(heading), "{heading}");
    }
    assert!(md.contains("| [v3](#v3) | 3 |"));
}

#[test]
fn a_verification_result_is_shown_version_by_version() {
    let v = Verification {
        whole: false,
        first_bad: Some("ver-2".into()),
        versions: vec![
            VersionCheck {
                id: "ver-1".into(),
                serial: Some(1),
                stored: None,
                who: Some("alice@laptop".into()),
                operation: Some("apply".into()),
                sha256: "aa11".into(),
                problems: vec![],
                notes: vec![],
            },
            VersionCheck {
                id: "ver-2".into(),
                serial: Some(2),
                stored: None,
                who: None,
                operation: None,
                sha256: "bb22".into(),
                problems: vec!["the body's SHA-256 does not match cairn-sha256".into()],
                notes: vec![],
            },
        ],
        warning: None,
    };
    let html = cairn_report::render(&input(Some(v)), Format::Html).unwrap();
    assert!(html.contains("the first bad version is ver-2"));
    assert!(html.contains("does not match cairn-sha256"));
    assert!(!html.contains("verification not available"));
}

#[test]
fn a_masking_miss_fails_the_report_instead_of_publishing_it() {
    // A secret that appears where no value is masked: as a resource address.
    let mut inp = input(None);
    let rs = inp.state.resources["aws_db_instance.legacy"].clone();
    inp.state
        .resources
        .insert(format!("aws_db_instance.{MARKED}"), rs);
    let err = cairn_report::render(&inp, Format::Html).unwrap_err();
    assert!(err.to_string().contains("nothing was written"));
}

#[test]
fn a_big_estate_collapses_its_graph_and_sections() {
    let mut doc = StateDocument::new("big", None);
    for m in 0..20 {
        doc.resources.insert(
            format!("module.m{m}.aws_vpc.this"),
            ResourceState::new("aws_vpc", "aws", &format!("vpc-{m}"), &obj(vec![]), vec![]),
        );
        for i in 0..50 {
            doc.resources.insert(
                format!("module.m{m}.aws_subnet.s[{i}]"),
                ResourceState::new(
                    "aws_subnet",
                    "aws",
                    &format!("subnet-{m}-{i}"),
                    &obj(vec![]),
                    vec![format!("module.m{m}.aws_vpc.this")],
                ),
            );
        }
    }
    let inp = ReportInput {
        location: "local".into(),
        generated_at: "now".into(),
        cairn_version: "0.1.0".into(),
        selected_by: "current".into(),
        version_id: None,
        state: doc.clone(),
        history: vec![VersionInput {
            id: "only".into(),
            stored: None,
            doc,
        }],
        later_versions: 0,
        history_warning: Some("the local backend keeps only the current version".into()),
        verification: None,
        verification_note: None,
    };
    let report = cairn_report::build(&inp);
    assert!(report.graph.collapsed);
    assert_eq!(report.graph.nodes.len(), 40);
    let html = cairn_report::render(&inp, Format::Html).unwrap();
    assert!(html.contains("aws_subnet × 50"));
    assert!(!html.contains("<details class=\"group\" id=\"m0\" open>"));
    assert!(html.contains("the local backend keeps only the current version"));
}
