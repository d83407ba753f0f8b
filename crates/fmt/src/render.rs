//! Printing the formatter's view of a document in the canonical layout.

use crate::gap::{normalise, Edge, Line};
use crate::tree::{Doc, List, ListItem, Node, StmtKind};

/// The widest line an array is kept on.
pub(crate) const MAX_WIDTH: usize = 100;
/// Spaces per nesting level inside multi-line arrays and inline tables.
const INDENT: usize = 2;

pub(crate) fn document(doc: &Doc) -> String {
    let mut out = String::new();
    // Whether the previous statement was a table header (blank lines after one are dropped).
    let mut after_header = false;
    for stmt in &doc.stmts {
        let at_start = out.is_empty();
        let leading = match stmt.kind {
            _ if at_start => Edge::Strip,
            StmtKind::Header { .. } => Edge::Force,
            StmtKind::KeyValue { .. } if after_header => Edge::Strip,
            StmtKind::KeyValue { .. } => Edge::Keep,
        };
        let lines = normalise(&stmt.before, leading, Edge::Keep);
        push_lines(&mut out, &lines, 0);
        let mut line = String::new();
        match &stmt.kind {
            StmtKind::Header { path, array } => {
                let (open, close) = if *array { ("[[", "]]") } else { ("[", "]") };
                line.push_str(open);
                line.push_str(path);
                line.push_str(close);
                after_header = true;
            }
            StmtKind::KeyValue { key, value } => {
                line.push_str(key);
                line.push_str(" = ");
                let col = width(&line);
                line.push_str(&render(value, 0, col, 0, true));
                after_header = false;
            }
        }
        push_trailing(&mut line, stmt.trailing.as_deref());
        out.push_str(&line);
        out.push('\n');
    }
    let leading = if out.is_empty() || after_header {
        Edge::Strip
    } else {
        Edge::Keep
    };
    push_lines(
        &mut out,
        &normalise(&doc.end_lines, leading, Edge::Strip),
        0,
    );
    out
}

/// Renders a value that starts at column `col` of a line indented by `level` levels, with
/// `suffix` more columns (a comma) after it.
///
/// In `block` position (the value of a key in a table, an element of a multi-line array, the
/// value of an entry of a multi-line inline table) an array may stay on one line or be broken
/// up; inside a one-line array or inline table everything stays on one line unless it holds a
/// comment, which only a multi-line layout can keep.
fn render(node: &Node, level: usize, col: usize, suffix: usize, block: bool) -> String {
    match node {
        Node::Scalar(text) => text.clone(),
        Node::Array(list) => {
            if !node.has_comments() {
                if list.items.is_empty() {
                    return "[]".to_owned();
                }
                let flat = flat(node);
                if !block || (!node.spans_lines() && fits(col, &flat, suffix)) {
                    return flat;
                }
            }
            multi_line(list, '[', ']', level)
        }
        Node::InlineTable(list) => {
            if list.has_own_comments() {
                multi_line(list, '{', '}', level)
            } else {
                one_line_table(list, level)
            }
        }
    }
}

/// A value with no comment inside, all on one line.
fn flat(node: &Node) -> String {
    match node {
        Node::Scalar(text) => text.clone(),
        Node::Array(list) => {
            let items: Vec<String> = list.items.iter().map(|item| flat(&item.value)).collect();
            format!("[{}]", items.join(", "))
        }
        Node::InlineTable(list) => {
            let items: Vec<String> = list
                .items
                .iter()
                .map(|item| entry(item, flat(&item.value)))
                .collect();
            table_braces(&items)
        }
    }
}

/// An inline table with no comment directly inside: `{ a = 1, b = 2 }`, everything in it on
/// the same line. A value in it that holds a comment is still written on several lines,
/// indented from `level`.
fn one_line_table(list: &List, level: usize) -> String {
    let items: Vec<String> = list
        .items
        .iter()
        .map(|item| entry(item, render(&item.value, level, 0, 0, false)))
        .collect();
    table_braces(&items)
}

fn table_braces(items: &[String]) -> String {
    if items.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

/// `key = value` for an inline-table entry.
fn entry(item: &ListItem, value: String) -> String {
    match &item.key {
        Some(key) => format!("{key} = {value}"),
        None => value,
    }
}

/// One item per line, each followed by a comma, the closing bracket on its own line.
fn multi_line(list: &List, open: char, close: char, level: usize) -> String {
    let mut out = String::new();
    out.push(open);
    push_trailing(&mut out, list.open.as_deref());
    out.push('\n');
    let inner = level + 1;
    for (i, item) in list.items.iter().enumerate() {
        let leading = if i == 0 { Edge::Strip } else { Edge::Keep };
        push_lines(
            &mut out,
            &normalise(&item.before, leading, Edge::Keep),
            inner,
        );
        let mut line = " ".repeat(inner * INDENT);
        line.push_str(&entry(item, String::new()));
        let col = width(&line);
        line.push_str(&render(&item.value, inner, col, 1, true));
        line.push(',');
        push_trailing(&mut line, item.trailing.as_deref());
        out.push_str(&line);
        out.push('\n');
    }
    let leading = if list.items.is_empty() {
        Edge::Strip
    } else {
        Edge::Keep
    };
    push_lines(
        &mut out,
        &normalise(&list.close_lines, leading, Edge::Strip),
        inner,
    );
    out.push_str(&" ".repeat(level * INDENT));
    out.push(close);
    out
}

fn push_lines(out: &mut String, lines: &[Line], level: usize) {
    for line in lines {
        if let Line::Comment(comment) = line {
            out.push_str(&" ".repeat(level * INDENT));
            out.push_str(comment);
        }
        out.push('\n');
    }
}

fn push_trailing(line: &mut String, comment: Option<&str>) {
    if let Some(comment) = comment {
        line.push(' ');
        line.push_str(comment);
    }
}

/// Whether `text`, starting at column `col` and followed by `suffix` columns, stays within
/// [`MAX_WIDTH`] on every line it covers (it covers several when it holds a multi-line string).
fn fits(col: usize, text: &str, suffix: usize) -> bool {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len() - 1;
    lines.iter().enumerate().all(|(i, line)| {
        let start = if i == 0 { col } else { 0 };
        let end = if i == last { suffix } else { 0 };
        start + width(line) + end <= MAX_WIDTH
    })
}

fn width(text: &str) -> usize {
    text.chars().count()
}
