//! The TOML data a document holds, to check that formatting did not change it.

use std::collections::BTreeMap;

use toml_edit::{Item, Table, Value};

/// A TOML value with everything about its layout forgotten.
#[derive(Debug, PartialEq)]
pub(crate) enum Data {
    String(String),
    Integer(i64),
    /// The bits of the float, so that `nan` equals itself.
    Float(u64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Data>),
    Table(BTreeMap<String, Data>),
}

pub(crate) fn of_table(table: &Table) -> Data {
    Data::Table(
        table
            .iter()
            .filter_map(|(key, item)| of_item(item).map(|data| (key.to_owned(), data)))
            .collect(),
    )
}

fn of_item(item: &Item) -> Option<Data> {
    match item {
        Item::None => None,
        Item::Value(value) => Some(of_value(value)),
        Item::Table(table) => Some(of_table(table)),
        Item::ArrayOfTables(tables) => Some(Data::Array(tables.iter().map(of_table).collect())),
    }
}

fn of_value(value: &Value) -> Data {
    match value {
        Value::String(s) => Data::String(s.value().clone()),
        Value::Integer(i) => Data::Integer(*i.value()),
        Value::Float(f) => Data::Float(f.value().to_bits()),
        Value::Boolean(b) => Data::Boolean(*b.value()),
        Value::Datetime(d) => Data::Datetime(d.value().to_string()),
        Value::Array(array) => Data::Array(array.iter().map(of_value).collect()),
        Value::InlineTable(table) => Data::Table(
            table
                .iter()
                .map(|(key, value)| (key.to_owned(), of_value(value)))
                .collect(),
        ),
    }
}
