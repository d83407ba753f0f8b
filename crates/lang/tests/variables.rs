//! Where root variables get their values, in which order, and how values
//! from each source are converted and checked.

use std::path::Path;

use cairn_core::{Registry, Value};
use cairn_lang::{load, LoadOptions};

fn stack(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

const VARS: &str = r#"
[stack]
name = "v"

[variable.a]
type = "string"
default = "default"

[variable.b]
type = "string"
default = "default"

[variable.c]
type = "string"
default = "default"

[variable.d]
type = "string"
default = "default"

[variable.e]
type = "string"
default = "default"

[variable.tags]
type = "map(string)"
default = {}

[variable.port]
type = "number"
default = 80
"#;

fn value(s: &cairn_lang::Stack, name: &str) -> String {
    match &s.variables[name] {
        Value::String(v) => v.clone(),
        other => other.to_string(),
    }
}

#[test]
fn precedence_default_env_var_env_file_var_files_then_var() {
    let dir = tempfile::tempdir().unwrap();
    stack(
        dir.path(),
        &[
            ("main.toml", VARS),
            (
                "envs/staging.toml",
                "[vars]\nc = \"env-file\"\nd = \"env-file\"\ne = \"env-file\"\n",
            ),
            ("one.toml.vars", "d = \"var-file-1\"\ne = \"var-file-1\"\n"),
            (
                "two.json",
                "{ \"e\": \"var-file-2\", \"tags\": { \"Team\": \"core\" }, \"port\": \"8080\" }",
            ),
        ],
    );
    let opts = LoadOptions {
        env: Some("staging".into()),
        vars: vec![("e".into(), "cli".into())],
        var_files: vec![
            dir.path().join("one.toml.vars"),
            dir.path().join("two.json"),
        ],
        env_vars: vec![
            ("b".into(), "environment".into()),
            ("c".into(), "environment".into()),
            ("undeclared".into(), "ignored".into()),
        ],
    };
    let s =
        load(dir.path(), &opts, &Registry::default()).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(value(&s, "a"), "default");
    assert_eq!(
        value(&s, "b"),
        "environment",
        "CAIRN_VAR_b beats the default"
    );
    assert_eq!(value(&s, "c"), "env-file", "the env file beats CAIRN_VAR_c");
    assert_eq!(
        value(&s, "d"),
        "var-file-1",
        "a var file beats the env file"
    );
    assert_eq!(value(&s, "e"), "cli", "--var beats everything");
    assert_eq!(
        s.variables["tags"].as_map().unwrap()["Team"].as_str(),
        Some("core")
    );
    assert_eq!(
        s.variables["port"].as_f64(),
        Some(8080.0),
        "values convert to the variable's type"
    );
}

#[test]
fn later_var_files_win_and_command_line_values_are_typed() {
    let dir = tempfile::tempdir().unwrap();
    stack(
        dir.path(),
        &[
            ("main.toml", VARS),
            ("a.json", "{\"a\": \"first\"}"),
            ("b.json", "{\"a\": \"second\"}"),
        ],
    );
    let opts = LoadOptions {
        var_files: vec![dir.path().join("a.json"), dir.path().join("b.json")],
        vars: vec![
            ("tags".into(), "{ Owner = \"ops\" }".into()),
            ("port".into(), "443".into()),
        ],
        ..Default::default()
    };
    let s =
        load(dir.path(), &opts, &Registry::default()).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(value(&s, "a"), "second");
    assert_eq!(
        s.variables["tags"].as_map().unwrap()["Owner"].as_str(),
        Some("ops")
    );
    assert_eq!(s.variables["port"].as_f64(), Some(443.0));
}

#[test]
fn bad_values_name_their_source() {
    let dir = tempfile::tempdir().unwrap();
    stack(dir.path(), &[("main.toml", VARS)]);
    let opts = LoadOptions {
        vars: vec![
            ("port".into(), "eighty".into()),
            ("nope".into(), "x".into()),
        ],
        env_vars: vec![("tags".into(), "[1]".into())],
        ..Default::default()
    };
    let e = load(dir.path(), &opts, &Registry::default())
        .unwrap_err()
        .render();
    assert!(e.contains("--var port: wrong type for variable `port`: expected number, found the string \"eighty\""), "{e}");
    assert!(
        e.contains("--var nope: the stack declares no variable `nope`"),
        "{e}"
    );
    assert!(
        e.contains(
            "CAIRN_VAR_tags: wrong type for variable `tags`: expected map(string), found a list"
        ),
        "{e}"
    );
    let missing = LoadOptions {
        var_files: vec![dir.path().join("missing.json")],
        ..Default::default()
    };
    let e = load(dir.path(), &missing, &Registry::default())
        .unwrap_err()
        .render();
    assert!(e.contains("missing.json: no such file"), "{e}");
}

#[test]
fn sensitive_values_never_show_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    stack(
        dir.path(),
        &[(
            "main.toml",
            r#"
[stack]
name = "v"

[variable.password]
type = "number"
sensitive = true

[variable.token]
type = "string"
sensitive = true

[[variable.token.validation]]
condition = "${length(var.token) > 20}"
error_message = "the token ${var.token} is too short"
"#,
        )],
    );
    let opts = LoadOptions {
        vars: vec![
            ("password".into(), "hunter2".into()),
            ("token".into(), "s3cr3t".into()),
        ],
        ..Default::default()
    };
    let e = load(dir.path(), &opts, &Registry::default())
        .unwrap_err()
        .render();
    assert!(!e.contains("hunter2") && !e.contains("s3cr3t"), "{e}");
    assert!(e.contains("found a sensitive string"), "{e}");
    assert!(e.contains("it contains a sensitive value"), "{e}");
}
