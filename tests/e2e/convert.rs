//! `cairn convert` on the converter's Terraform fixtures
//! (crates/convert/tests/fixtures): what converts validates and is in the
//! canonical layout; what does not is listed by `.tf` file and line and
//! nothing is written.

use std::process::Command;

use crate::support::{repo_root, Run, BIN};

fn cairn(args: &[&str]) -> Run {
    Run::from(
        Command::new(BIN)
            .args(args)
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env_remove("CAIRN_LOG")
            .output()
            .unwrap(),
    )
}

fn fixture(name: &str) -> String {
    repo_root()
        .join("crates/convert/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn converted_configurations_validate_and_are_formatted() {
    for (name, env) in [
        ("quickstart", Some("default")),
        ("count", None),
        ("dynamic", None),
        ("lifecycle", None),
    ] {
        let out = tempfile::tempdir().unwrap();
        let dir = out.path().join(name);
        let dir = dir.to_str().unwrap();
        let run = cairn(&["convert", &fixture(name), dir]);
        assert_eq!(run.code, 0, "{name}: {}\n{}", run.stdout, run.stderr);
        cairn(&["fmt", "--check", "--recursive", dir]).expect(0);
        let mut validate = vec!["validate", "-C", dir];
        if let Some(env) = env {
            validate.extend(["--env", env]);
        }
        let run = cairn(&validate).expect(0);
        assert!(run.stdout.contains("is valid"), "{name}: {}", run.stdout);
    }
}

#[test]
fn what_cannot_be_converted_is_named_by_file_and_line_and_nothing_is_written() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("stack");
    let run = cairn(&["convert", &fixture("problems"), dir.to_str().unwrap()]).expect(1);
    for (construct, line) in [
        ("resource \"aws_unicorn\" \"x\"", "main.tf:6:1"),
        ("provisioner \"local-exec\"", "main.tf:17:3"),
        ("function call timestamp", "main.tf:14:13"),
    ] {
        assert!(
            run.stderr.contains(construct) && run.stderr.contains(line),
            "{construct} at {line}:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert!(!dir.exists());
    // --partial writes the rest and still says it is incomplete.
    cairn(&[
        "convert",
        "--partial",
        &fixture("problems"),
        dir.to_str().unwrap(),
    ])
    .expect(1);
    assert!(dir.join("main.toml").exists());
}
