//! Reading the trivia between two tokens of the source text.
//!
//! In TOML, comments can only stand where whitespace may: between a table header or a
//! key/value pair and the next one, and between the elements of an array or an inline table.
//! The formatter takes the position of every header, key and value from `toml_edit`'s spans
//! and reads what lies between them here, so every comment is found in the source itself,
//! whichever piece of `toml_edit` decor it was attached to.

/// One line of trivia that stands on its own: a blank line or a comment line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    Blank,
    Comment(String),
}

/// The trivia that follows a token, up to the next token.
#[derive(Debug, Default)]
pub(crate) struct Gap {
    /// A comment on the same line as the token before the gap.
    pub(crate) trailing: Option<String>,
    /// Blank and comment lines standing on their own, in order.
    pub(crate) lines: Vec<Line>,
    /// Whether the gap contains a line break.
    pub(crate) newline: bool,
    /// Byte offset of the first character after the gap (the next token, or the end).
    pub(crate) end: usize,
}

/// Reads the trivia (spaces, tabs, line breaks, comments, and the commas separating array and
/// inline-table elements) starting at byte `from`.
///
/// `at_line_start` tells that `from` is the start of a line (the start of the file) rather
/// than just after a token, so that a comment before the first line break is a comment line
/// and not a trailing comment.
pub(crate) fn scan(text: &str, from: usize, at_line_start: bool) -> Gap {
    let bytes = text.as_bytes();
    let mut gap = Gap::default();
    let mut on_token_line = !at_line_start;
    // Whether the current line holds something (a comment or a comma): such a line is not blank.
    let mut line_has_content = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b',' => {
                line_has_content = true;
                i += 1;
            }
            b'\n' => {
                if !on_token_line && !line_has_content {
                    gap.lines.push(Line::Blank);
                }
                gap.newline = true;
                on_token_line = false;
                line_has_content = false;
                i += 1;
            }
            b'#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let comment = text[i..end].trim_end().to_owned();
                if on_token_line {
                    gap.trailing = Some(comment);
                } else {
                    gap.lines.push(Line::Comment(comment));
                }
                line_has_content = true;
                i = end;
            }
            _ if i == 0 && text.starts_with('\u{feff}') => i += '\u{feff}'.len_utf8(),
            _ => break,
        }
    }
    gap.end = i;
    gap
}

/// Whether any of `lines` is a comment.
pub(crate) fn has_comment(lines: &[Line]) -> bool {
    lines.iter().any(|line| matches!(line, Line::Comment(_)))
}

/// How the blank lines at the edges of a run of trivia lines are treated.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Edge {
    /// Blank lines there are dropped.
    Strip,
    /// At most one blank line is kept there.
    Keep,
    /// Exactly one blank line stands there.
    Force,
}

/// Collapses runs of blank lines to one and applies the edge rules.
pub(crate) fn normalise(lines: &[Line], leading: Edge, trailing: Edge) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len() + 1);
    for line in lines {
        if *line == Line::Blank && out.last() == Some(&Line::Blank) {
            continue;
        }
        out.push(line.clone());
    }
    match leading {
        Edge::Strip => {
            if out.first() == Some(&Line::Blank) {
                out.remove(0);
            }
        }
        Edge::Keep => {}
        Edge::Force => {
            if out.first() != Some(&Line::Blank) {
                out.insert(0, Line::Blank);
            }
        }
    }
    match trailing {
        Edge::Strip => {
            // Never strip the blank line that `Force` put at the front.
            let keep_front = matches!(leading, Edge::Force) && out.len() == 1;
            if out.last() == Some(&Line::Blank) && !keep_front {
                out.pop();
            }
        }
        Edge::Keep => {}
        Edge::Force => {
            if out.last() != Some(&Line::Blank) {
                out.push(Line::Blank);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_comment_then_lines() {
        let text = "1 # one\n\n\n  # two\n  , 3";
        let gap = scan(text, 1, false);
        assert_eq!(gap.trailing.as_deref(), Some("# one"));
        assert_eq!(
            gap.lines,
            vec![Line::Blank, Line::Blank, Line::Comment("# two".into())]
        );
        assert!(gap.newline);
        assert_eq!(&text[gap.end..], "3");
    }

    #[test]
    fn start_of_file_comment_is_a_line() {
        let text = "\u{feff}# top\r\nk = 1";
        let gap = scan(text, 0, true);
        assert_eq!(gap.trailing, None);
        assert_eq!(gap.lines, vec![Line::Comment("# top".into())]);
        assert_eq!(&text[gap.end..], "k = 1");
    }

    #[test]
    fn a_line_holding_only_a_comma_is_not_blank() {
        let gap = scan("1\n  ,\n  2", 1, false);
        assert!(gap.lines.is_empty());
    }

    #[test]
    fn normalise_edges() {
        let c = || Line::Comment("# c".into());
        let lines = [Line::Blank, Line::Blank, c(), Line::Blank, Line::Blank];
        assert_eq!(
            normalise(&lines, Edge::Strip, Edge::Strip),
            vec![c()],
            "strip both"
        );
        assert_eq!(
            normalise(&lines, Edge::Keep, Edge::Keep),
            vec![Line::Blank, c(), Line::Blank]
        );
        assert_eq!(
            normalise(&[c()], Edge::Force, Edge::Keep),
            vec![Line::Blank, c()]
        );
        assert_eq!(normalise(&[], Edge::Force, Edge::Strip), vec![Line::Blank]);
    }
}
