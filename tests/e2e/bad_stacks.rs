//! The corpus under tests/bad-stacks: one directory per kind of error, the
//! expected diagnostic as a snapshot. `validate` must fail with exit code 1,
//! print file:line:col, the source line and a caret, and make no AWS call.

use std::process::Command;

use crate::support::{repo_root, Run, BIN};

#[test]
fn every_bad_stack_is_reported_with_a_located_diagnostic() {
    let corpus = repo_root().join("tests/bad-stacks");
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus has {} cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let extra = std::fs::read_to_string(case.join("args")).unwrap_or_default();
        let run = Run::from(
            Command::new(BIN)
                .current_dir(&corpus)
                .args(["validate", "-C", &name])
                .args(extra.split_whitespace())
                // Any AWS call would go here and fail: validate makes none.
                .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
                .env_remove("CAIRN_LOG")
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, 1, "{name}: exit code\n{}", run.stderr);
        assert!(
            run.stdout.is_empty(),
            "{name}: stdout should be empty: {}",
            run.stdout
        );
        assert!(
            run.stderr.contains(&format!("{name}/")),
            "{name}: no file location in\n{}",
            run.stderr
        );
        // Errors in stack files point into them; an error in a command-line
        // argument (the cases with an `args` file) has no span in a file.
        if extra.is_empty() {
            assert!(
                run.stderr.contains('^'),
                "{name}: no caret in
{}",
                run.stderr
            );
        }
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("bad_stack", run.stderr);
        });
    }
}
