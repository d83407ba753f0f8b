//! The formatter's guarantees on the real stacks, on invalid input, and on string content.

mod common;

use std::path::{Path, PathBuf};

fn toml_files_under(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            toml_files_under(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            found.push(path);
        }
    }
}

/// Every stack file of the repository formats, idempotently, to the same data.
#[test]
fn every_stack_in_the_repository() {
    let stacks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../stacks");
    let mut files = Vec::new();
    toml_files_under(&stacks, &mut files);
    files.sort();
    assert!(
        files.len() >= 5,
        "no stacks found under {}",
        stacks.display()
    );
    for path in files {
        let input = std::fs::read_to_string(&path).expect("a stack file");
        let output = common::format_checked(&path.display().to_string(), &input);
        assert!(!output.is_empty(), "{}", path.display());
    }
}

#[test]
fn invalid_toml_is_an_error_with_a_span_in_the_input() {
    let invalid = [
        "name = \n",
        "name = \"unclosed\n",
        "a = 1\na = 2\n",
        "[t]\n[t]\n",
        "x = [1, 2\n",
        "x = { a = 1\n",
        "[unclosed\nk = 1\n",
        "k = \"bad \\q escape\"\n",
        "# é\nk = 'ünïcode' garbage\n",
        "= 1\n",
        "k = 1 2\n",
    ];
    for text in invalid {
        let err = cairn_fmt::format(text).expect_err(text);
        assert!(!err.message.is_empty(), "{text:?}");
        assert!(
            err.span.start <= err.span.end && err.span.end <= text.len(),
            "{text:?}: span {:?} outside the input",
            err.span
        );
        assert!(
            text.is_char_boundary(err.span.start) && text.is_char_boundary(err.span.end),
            "{text:?}: span {:?} splits a character",
            err.span
        );
        assert_eq!(err.to_string(), err.message);
    }
}

#[test]
fn the_error_points_at_the_problem() {
    let text = "[stack]\nname = \"a\"\nname = \"b\"\n";
    let err = cairn_fmt::format(text).expect_err("a duplicate key");
    assert_eq!(&text[err.span.clone()], "name", "{err:?}");
}

/// Inside a multi-line string, trailing whitespace and `\r\n` are string content: they stay, so
/// the data does not change, while the file's own line endings become `\n`.
#[test]
fn multi_line_string_content_is_kept_byte_for_byte() {
    let input = "[t]\r\nscript = \"\"\"\r\necho hi   \r\n\"\"\"   \r\nraw = '''a \t\r\nb'''\r\n";
    let output = common::format_checked("multi-line strings", input);
    assert_eq!(
        output,
        "[t]\nscript = \"\"\"\r\necho hi   \r\n\"\"\"\nraw = '''a \t\r\nb'''\n"
    );
}

/// A leading byte order mark is dropped.
#[test]
fn a_byte_order_mark_is_dropped() {
    let output = common::format_checked("bom", "\u{feff}# top\nk=1\n");
    assert_eq!(output, "# top\nk = 1\n");
}

/// The comment check of every test finds a comment in each place one can stand, so a comment
/// the formatter dropped or duplicated would fail it.
#[test]
fn the_comment_check_sees_every_comment() {
    for case in [
        "comments_everywhere",
        "inline_table_comments",
        "nested_arrays",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/cases/{case}.toml"));
        let text = std::fs::read_to_string(path).expect("a case");
        let comments = common::comments(&text);
        assert_eq!(comments.len(), text.matches('#').count(), "{case}");
        // Without its first comment, the document has other comments.
        let at = text.find('#').expect("a comment");
        let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let fewer = format!("{}{}", &text[..at], &text[end..]);
        assert_eq!(common::comments(&fewer).len(), comments.len() - 1, "{case}");
    }
}
