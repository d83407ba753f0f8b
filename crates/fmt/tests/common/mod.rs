//! Checks shared by the formatter's tests, written independently of the crate's own check.

use std::collections::BTreeMap;

use toml_edit::{Decor, DocumentMut, Item, RawString, Table, Value};

/// A TOML value with its layout forgotten.
#[derive(Debug, PartialEq)]
pub enum Data {
    String(String),
    Integer(i64),
    Float(String),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Data>),
    Table(BTreeMap<String, Data>),
}

pub fn data(text: &str) -> Data {
    let doc: DocumentMut = text
        .parse()
        .unwrap_or_else(|err| panic!("not valid TOML: {err}\n{text}"));
    table(doc.as_table())
}

fn table(t: &Table) -> Data {
    let mut map = BTreeMap::new();
    for (key, item) in t.iter() {
        let data = match item {
            Item::None => continue,
            Item::Value(v) => value(v),
            Item::Table(t) => table(t),
            Item::ArrayOfTables(a) => Data::Array(a.iter().map(table).collect()),
        };
        map.insert(key.to_owned(), data);
    }
    Data::Table(map)
}

fn value(v: &Value) -> Data {
    match v {
        Value::String(s) => Data::String(s.value().clone()),
        Value::Integer(i) => Data::Integer(*i.value()),
        // Debug keeps the sign of zero and NaN, and every digit.
        Value::Float(f) => Data::Float(format!("{:?}", f.value())),
        Value::Boolean(b) => Data::Boolean(*b.value()),
        Value::Datetime(d) => Data::Datetime(d.value().to_string()),
        Value::Array(a) => Data::Array(a.iter().map(value).collect()),
        Value::InlineTable(t) => {
            Data::Table(t.iter().map(|(k, v)| (k.to_owned(), value(v))).collect())
        }
    }
}

/// Every comment in the document, as `toml_edit` holds them in its decor, trimmed, sorted.
pub fn comments(text: &str) -> Vec<String> {
    let doc: DocumentMut = text
        .parse()
        .unwrap_or_else(|err| panic!("not valid TOML: {err}\n{text}"));
    let mut raw = Vec::new();
    decor(doc.decor(), &mut raw);
    table_trivia(doc.as_table(), &mut raw);
    raw.push(doc.trailing().as_str().unwrap_or_default().to_owned());
    let mut comments: Vec<String> = raw
        .iter()
        .flat_map(|trivia| trivia.lines())
        .filter_map(|line| line.find('#').map(|at| line[at..].trim_end().to_owned()))
        .collect();
    comments.sort();
    comments
}

fn push(raw: &RawString, out: &mut Vec<String>) {
    out.push(raw.as_str().unwrap_or_default().to_owned());
}

fn decor(decor: &Decor, out: &mut Vec<String>) {
    for raw in [decor.prefix(), decor.suffix()].into_iter().flatten() {
        push(raw, out);
    }
}

fn table_trivia(t: &Table, out: &mut Vec<String>) {
    decor(t.decor(), out);
    for (name, item) in t.iter() {
        let key = t.key(name).expect("a key");
        decor(key.leaf_decor(), out);
        decor(key.dotted_decor(), out);
        match item {
            Item::None => {}
            Item::Value(v) => value_trivia(v, out),
            Item::Table(t) => table_trivia(t, out),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| table_trivia(t, out)),
        }
    }
}

fn value_trivia(v: &Value, out: &mut Vec<String>) {
    decor(v.decor(), out);
    match v {
        Value::Array(a) => {
            push(a.trailing(), out);
            a.iter().for_each(|v| value_trivia(v, out));
        }
        Value::InlineTable(t) => {
            push(t.trailing(), out);
            for (name, v) in t.iter() {
                let key = t.key(name).expect("a key");
                decor(key.leaf_decor(), out);
                decor(key.dotted_decor(), out);
                value_trivia(v, out);
            }
        }
        _ => {}
    }
}

/// Formats `input` and checks the invariants every result has; returns the result.
pub fn format_checked(name: &str, input: &str) -> String {
    let once = cairn_fmt::format(input).unwrap_or_else(|err| panic!("{name}: {err:?}"));
    let twice = cairn_fmt::format(&once).unwrap_or_else(|err| panic!("{name} (again): {err:?}"));
    assert_eq!(twice, once, "{name}: formatting is not idempotent");
    assert_eq!(data(&once), data(input), "{name}: the data changed");
    assert_eq!(
        comments(&once),
        comments(input),
        "{name}: the comments changed"
    );
    if once.is_empty() {
        assert!(
            input.trim().is_empty(),
            "{name}: a document with content formatted to nothing"
        );
    } else {
        assert!(
            once.ends_with('\n') && !once.ends_with("\n\n"),
            "{name}: must end with exactly one newline"
        );
        assert!(!once.starts_with('\n'), "{name}: starts with a blank line");
    }
    once
}
