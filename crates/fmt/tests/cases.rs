//! The formatter over the corpus in `tests/cases`: one snapshot per case, and for every case
//! the invariants (idempotence, same data, one final newline, no trailing whitespace).

mod common;

use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    cases.sort();
    cases
}

fn case_name(path: &Path) -> String {
    path.file_stem()
        .and_then(|stem| stem.to_str())
        .expect("a case name")
        .to_owned()
}

#[test]
fn every_case_matches_its_snapshot() {
    let cases = cases();
    assert!(cases.len() >= 15, "the corpus is missing: {cases:?}");
    for path in cases {
        let name = case_name(&path);
        let input = std::fs::read_to_string(&path).expect("a case");
        let output = common::format_checked(&name, &input);
        for (n, line) in output.lines().enumerate() {
            assert_eq!(
                line,
                line.trim_end(),
                "{name}: trailing whitespace on line {}",
                n + 1
            );
        }
        assert!(!output.contains('\r'), "{name}: a \\r is left");
        insta::with_settings!({
            description => format!("the formatted tests/cases/{name}.toml"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, output);
        });
    }
}

/// Every case saved with `\r\n` line endings formats exactly as it does with `\n` ones (but
/// for those with multi-line strings, whose content keeps its line endings).
#[test]
fn crlf_line_endings_make_no_difference() {
    let mut compared = 0;
    for path in cases() {
        let name = case_name(&path);
        let input = std::fs::read_to_string(&path).expect("a case");
        if input.contains("\"\"\"") || input.contains("\'\'\'") {
            continue;
        }
        let lf = input.replace("\r\n", "\n");
        let crlf = lf.replace('\n', "\r\n");
        assert_eq!(
            common::format_checked(&name, &crlf),
            common::format_checked(&name, &lf),
            "{name}"
        );
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} cases compared");
}

#[test]
fn the_crlf_case_really_has_crlf_line_endings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/crlf.toml");
    let input = std::fs::read_to_string(path).expect("the CRLF case");
    assert_eq!(
        input.matches("\r\n").count(),
        input.matches('\n').count(),
        "git or an editor normalised tests/cases/crlf.toml"
    );
}
