//! Snapshots of converted fixtures (tests/fixtures/*), and the problems
//! that stop a conversion.

mod common;

use common::{convert, show};

fn snapshot(name: &str) {
    let c = convert(name);
    insta::assert_snapshot!(name, show(&c));
}

#[test]
fn quickstart() {
    let c = convert("quickstart");
    assert!(c.problems.is_empty(), "{:#?}", c.problems);
    snapshot("quickstart");
}

#[test]
fn count_scale() {
    snapshot("count");
}

#[test]
fn dynamic_blocks() {
    snapshot("dynamic");
}

#[test]
fn module_call_with_providers_and_for_each() {
    let c = cairn_convert::convert(&common::fixture("modcall/root"), &common::schemas()).unwrap();
    insta::assert_snapshot!("modcall", show(&c));
}

#[test]
fn lifecycle_depends_on_import_moved() {
    snapshot("lifecycle");
}

#[test]
fn backend_key_never_terraforms() {
    let c = convert("backend");
    let main = &c.files[std::path::Path::new("main.toml")];
    assert!(main.contains("key = \"network/prod/cairn.json\""), "{main}");
    snapshot("backend");
}

#[test]
fn tfvars() {
    snapshot("tfvars");
}

#[test]
fn expressions_keep_their_meaning() {
    let c = convert("expressions");
    assert!(c.problems.is_empty(), "{:#?}", c.problems);
    snapshot("expressions");
}
