//! The canonical formatter behind `cairn fmt`.
//!
//! [`format`] rewrites one stack file (a TOML document) in a single canonical layout, keeping
//! every comment. It changes only layout: the result always parses to exactly the same TOML
//! data as the input, and formatting is idempotent (`format(format(x)) == format(x)`).
//!
//! # The canonical layout
//!
//! 1. **Comments.** Every comment survives, in its place: comment lines before a table header
//!    or a key, trailing comments after a value (`key = 1 # why`) or a header, comments inside
//!    multi-line arrays (and after their opening bracket), comments at the end of the file.
//!    A trailing comment is separated from what it follows by exactly one space; comment lines
//!    are indented like the lines around them. The text of a comment is kept as written, less
//!    any trailing whitespace.
//! 2. **Table headers.** `[a.b.c]` and `[[a]]`, with no spaces inside the brackets or around the
//!    dots. A quoted key part becomes bare when it is a valid bare key (`A-Za-z0-9_-`), so
//!    `[resource.aws_vpc."main"]` becomes `[resource.aws_vpc.main]`; otherwise it keeps its
//!    quotes as written. Exactly one blank line stands before each header, none at the very
//!    start of the file; comment lines directly above a header stay attached to it, with the
//!    blank line above the comments. Blank lines right after a header are dropped.
//! 3. **Key/value pairs.** `key = value`, single spaces around `=`, no indentation. Blank lines
//!    between entries are collapsed to at most one, so a blank line the author put between
//!    groups of keys is kept, as one. Keys follow the same bare-or-quoted rule as headers.
//!    Dotted keys (`a.b = 1`) keep their dotted form, with no spaces around the dots.
//! 4. **Inline tables.** `{ a = 1, b = "x" }`: one space inside the braces, `, ` between
//!    entries, no trailing comma; an empty one is `{}`. An inline table is written on one line
//!    with everything inside it, whatever its width. Only an inline table with comments
//!    directly between its braces (TOML 1.1 allows them) is written one entry per line, laid
//!    out like a multi-line array; an array holding a comment inside a one-line inline table is
//!    still written on several lines (rule 5).
//! 5. **Arrays.** `["a", "b"]` on one line when the original was on one line (no line break
//!    outside strings), has no comment inside, and the formatted line fits in 100 columns (a
//!    trailing comment is not counted); otherwise one element per line, indented by 2 spaces
//!    per nesting level, each followed by a comma (the last one too), and the closing bracket
//!    on its own line at the indentation of the line that opened the array. An empty array is
//!    `[]` (unless it holds a comment). Nested arrays and inline tables inside a multi-line array are formatted by the same
//!    rules, in the same way as a key's value; inside a one-line array everything stays on one
//!    line. In a multi-line array, a blank line between two elements is kept (as one); blank
//!    lines after the opening or before the closing bracket are dropped.
//! 6. **Scalars keep their text.** Strings keep their exact original representation (basic,
//!    literal, multi-line; escapes untouched), since they hold `${...}` expressions with quotes
//!    inside. Numbers, booleans and datetimes keep their original text too.
//! 7. **Whitespace.** No trailing whitespace on any line, and the file ends with exactly one
//!    newline; an empty (or blank) document formats to an empty string. `\r\n` line endings
//!    become `\n`, and a leading byte order mark is dropped. The one exception is the inside of
//!    multi-line strings: it is string content, so a trailing space or a `\r\n` there is kept
//!    (changing it would change the data, see rule 9).
//! 8. **Order.** The order of tables and keys is never changed (even where `toml_edit` groups
//!    interleaved dotted keys, or tables defined out of order, in its own model).
//! 9. **Same data.** The result parses to exactly the same TOML data as the input. [`format`]
//!    checks this itself on every call: if the formatted text did not hold the same data (which
//!    would be a bug in the formatter), it returns an error instead of the text.
//!
//! # How it works
//!
//! The input is parsed with `toml_edit`, which checks that it is valid TOML and gives the
//! span of every table header, key and value. The formatter orders headers and key/value pairs
//! by their position in the source, and reads the text between two spans (whitespace, line
//! breaks, comments, commas) back from the source itself, so it finds every comment whichever
//! piece of `toml_edit` decor holds it. It then prints everything anew in the layout above.

mod data;
mod gap;
mod render;
mod tree;

use std::ops::Range;

/// Why a document could not be formatted: it is not valid TOML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FormatError {
    /// What is wrong, as the TOML parser says it.
    pub message: String,
    /// byte range in the input
    pub span: Range<usize>,
}

/// Formats one TOML document in the canonical layout (see the [crate] documentation).
///
/// Returns an error when `text` is not valid TOML; nothing is rewritten then.
///
/// ```
/// let text = "[ stack ]\nname=\"tracker\"   # the stack's name\n";
/// assert_eq!(
///     cairn_fmt::format(text).unwrap(),
///     "[stack]\nname = \"tracker\" # the stack's name\n",
/// );
/// assert!(cairn_fmt::format("name = \n").is_err());
/// ```
pub fn format(text: &str) -> Result<String, FormatError> {
    let doc = toml_edit::Document::parse(text).map_err(|err| parse_error(text, &err))?;
    let formatted = render::document(&tree::build(text, &doc)?);

    let reparsed = toml_edit::Document::parse(formatted.as_str())
        .map_err(|_| tree::internal(text, 0..0, "the result is not valid TOML"))?;
    if data::of_table(reparsed.as_table()) != data::of_table(doc.as_table()) {
        return Err(tree::internal(text, 0..0, "the result holds other data"));
    }
    Ok(formatted)
}

fn parse_error(text: &str, err: &toml_edit::TomlError) -> FormatError {
    let span = err.span().unwrap_or(0..0);
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    FormatError {
        message: err.message().trim_end().to_owned(),
        span: start..end,
    }
}
