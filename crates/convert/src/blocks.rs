//! Resource and data source bodies: attributes, nested blocks (shaped by the
//! cairn schema: one block is a table where the attribute is an object, an
//! array of tables where it is a list or set), `dynamic` blocks (as `for`
//! expressions), and the meta-arguments.

use std::sync::Arc;

use cairn_core::schema::{Schema, Type};
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span;

use crate::expr;
use crate::problems::FileCx;
use crate::toml_out::Val;

/// How a nested block is written: the attribute's type in the schema.
#[derive(Clone)]
enum Shape {
    /// `Type::Object`: one block, a table.
    Single(Arc<Schema>),
    /// `Type::List`/`Type::Set` of objects: any number, an array of tables.
    Many(Arc<Schema>),
}

fn shape(schema: &Schema, name: &str) -> Option<Shape> {
    match &schema.get(name)?.ty {
        Type::Object(s) => Some(Shape::Single(s.clone())),
        Type::List(t) | Type::Set(t) => match &**t {
            Type::Object(s) => Some(Shape::Many(s.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// Which meta-arguments a body may have.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Meta {
    /// A nested block: none.
    None,
    Resource,
    Data,
}

/// The entries of a resource's or data source's table, in source order;
/// nested blocks of one type stand where the first of them is.
pub(crate) fn entries(
    cx: &mut FileCx,
    schema: &Schema,
    type_name: &str,
    body: &Body,
    meta: Meta,
) -> Vec<(String, Val)> {
    let mut out: Vec<(String, Val)> = Vec::new();
    for item in items(body) {
        match item {
            Item::Attr(a) => {
                let key = a.key.as_str();
                if meta != Meta::None {
                    if let Some(v) = meta_attribute(cx, key, &a.value) {
                        out.push((key.to_string(), v));
                        continue;
                    }
                }
                if schema.get(key).is_none() {
                    cx.problem(
                        a.key.span(),
                        format!("attribute {key}"),
                        format!("cairn's {type_name} has no attribute `{key}`"),
                    );
                    continue;
                }
                out.push((key.to_string(), expr::value(cx, &a.value)));
            }
            Item::Blocks(name, blocks) => {
                if meta != Meta::None {
                    if let Some(v) = meta_block(cx, &name, &blocks, meta) {
                        if let Some(v) = v {
                            out.push((name, v));
                        }
                        continue;
                    }
                }
                let Some(shape) = shape(schema, &name) else {
                    cx.problem(
                        blocks[0].ident.span(),
                        format!("block {name}"),
                        format!("cairn's {type_name} has no nested block `{name}`"),
                    );
                    continue;
                };
                if let Some(v) = group_value(cx, &shape, &name, &blocks) {
                    out.push((name, v));
                }
            }
        }
    }
    out
}

enum Item<'b> {
    Attr(&'b hcl_edit::structure::Attribute),
    /// Blocks of one type (the label of a `dynamic` one), in source order.
    Blocks(String, Vec<&'b Block>),
}

fn block_name(b: &Block) -> String {
    if b.ident.as_str() == "dynamic" {
        b.labels
            .first()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default()
    } else {
        b.ident.as_str().to_string()
    }
}

fn items(body: &Body) -> Vec<Item<'_>> {
    let mut out: Vec<Item> = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => out.push(Item::Attr(a)),
            Structure::Block(b) => {
                let name = block_name(b);
                let existing = out.iter_mut().find_map(|i| match i {
                    Item::Blocks(n, bs) if *n == name => Some(bs),
                    _ => None,
                });
                match existing {
                    Some(bs) => bs.push(b),
                    None => out.push(Item::Blocks(name, vec![b])),
                }
            }
        }
    }
    out
}

/// Nested blocks of one type as a native value: tables when all are
/// static, else one expression.
fn group_value(cx: &mut FileCx, shape: &Shape, name: &str, blocks: &[&Block]) -> Option<Val> {
    if blocks.iter().any(|b| b.ident.as_str() == "dynamic") {
        return group_text(cx, shape, name, blocks).map(|t| Val::expr(&t));
    }
    match shape {
        Shape::Single(s) => {
            if blocks.len() > 1 {
                cx.problem(
                    blocks[1].ident.span(),
                    format!("block {name}"),
                    format!("`{name}` is a single block in cairn; this one is a second"),
                );
            }
            Some(Val::Table(entries(
                cx,
                s,
                name,
                &blocks[0].body,
                Meta::None,
            )))
        }
        Shape::Many(s) => Some(Val::Array(
            blocks
                .iter()
                .map(|b| Val::Table(entries(cx, s, name, &b.body, Meta::None)))
                .collect(),
        )),
    }
}

/// Nested blocks of one type as an HCL expression: each static block a
/// one-element tuple, each `dynamic` one a `for` expression, joined with
/// concat(); a single block's attribute takes one() of it.
fn group_text(cx: &mut FileCx, shape: &Shape, name: &str, blocks: &[&Block]) -> Option<String> {
    let schema = match shape {
        Shape::Single(s) | Shape::Many(s) => s.clone(),
    };
    let all_static = blocks.iter().all(|b| b.ident.as_str() != "dynamic");
    if all_static {
        let objs: Vec<String> = blocks
            .iter()
            .map(|b| object_text(cx, &schema, name, &b.body))
            .collect();
        return Some(match shape {
            Shape::Single(_) => objs.into_iter().next().unwrap_or_else(|| "null".into()),
            Shape::Many(_) => format!("[{}]", objs.join(", ")),
        });
    }
    let mut pieces = Vec::new();
    for b in blocks {
        if b.ident.as_str() == "dynamic" {
            pieces.push(dynamic_text(cx, &schema, name, b)?);
        } else {
            pieces.push(format!("[{}]", object_text(cx, &schema, name, &b.body)));
        }
    }
    let list = if pieces.len() == 1 {
        pieces.remove(0)
    } else {
        format!("concat({})", pieces.join(", "))
    };
    Some(match shape {
        Shape::Single(_) => format!("one({list})"),
        Shape::Many(_) => list,
    })
}

/// `dynamic "x" { for_each = E, iterator = I, content { ... } }` as
/// `[for I in [for k, v in E : { key = k, value = v }] : { ... }]`: the
/// content keeps its `I.key` and `I.value` references as written.
fn dynamic_text(cx: &mut FileCx, schema: &Schema, name: &str, b: &Block) -> Option<String> {
    let span = b.ident.span();
    let mut for_each = None;
    let mut iterator = name.to_string();
    for a in b.body.attributes() {
        match a.key.as_str() {
            "for_each" => for_each = Some(expr::text(cx, &a.value)),
            "iterator" => match &a.value {
                Expression::Variable(v) => iterator = v.as_str().to_string(),
                _ => {
                    cx.problem(
                        a.value.span(),
                        format!("dynamic \"{name}\" iterator"),
                        "the iterator must be a name",
                    );
                    return None;
                }
            },
            other => {
                cx.problem(
                    a.key.span(),
                    format!("dynamic \"{name}\" {other}"),
                    "only for_each, iterator and content are converted (labels: AWS blocks have none)",
                );
                return None;
            }
        }
    }
    let Some(for_each) = for_each else {
        cx.problem(
            span,
            format!("dynamic \"{name}\""),
            "a dynamic block needs for_each",
        );
        return None;
    };
    let Some(content) = b.body.get_blocks("content").next() else {
        cx.problem(
            span,
            format!("dynamic \"{name}\""),
            "a dynamic block needs a content block",
        );
        return None;
    };
    let obj = object_text(cx, schema, name, &content.body);
    Some(format!(
        "[for {iterator} in [for k, v in {for_each} : {{ key = k, value = v }}] : {obj}]"
    ))
}

/// A block's body as an HCL object expression.
fn object_text(cx: &mut FileCx, schema: &Schema, type_name: &str, body: &Body) -> String {
    let mut parts = Vec::new();
    for item in items(body) {
        match item {
            Item::Attr(a) => {
                let key = a.key.as_str();
                if schema.get(key).is_none() {
                    cx.problem(
                        a.key.span(),
                        format!("attribute {key}"),
                        format!("cairn's {type_name} has no attribute `{key}`"),
                    );
                    continue;
                }
                parts.push(format!("{key} = {}", expr::text(cx, &a.value)));
            }
            Item::Blocks(name, blocks) => {
                let Some(shape) = shape(schema, &name) else {
                    cx.problem(
                        blocks[0].ident.span(),
                        format!("block {name}"),
                        format!("cairn's {type_name} has no nested block `{name}`"),
                    );
                    continue;
                };
                if let Some(t) = group_text(cx, &shape, &name, &blocks) {
                    parts.push(format!("{name} = {t}"));
                }
            }
        }
    }
    if parts.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

/// `count`, `for_each`, `depends_on`, `provider`: `None` for any other key.
fn meta_attribute(cx: &mut FileCx, key: &str, value: &Expression) -> Option<Val> {
    Some(match key {
        "count" | "for_each" => expr::value(cx, value),
        "depends_on" => Val::Array(references(cx, value, "depends_on")),
        "provider" => match expr::reference(cx, value) {
            Some(r) => Val::Str(r),
            None => {
                cx.problem(
                    value.span(),
                    "provider",
                    "expected a provider reference such as aws.west",
                );
                return Some(Val::Str(String::new()));
            }
        },
        _ => return None,
    })
}

/// The elements of a list of references, as strings.
pub(crate) fn references(cx: &mut FileCx, value: &Expression, what: &str) -> Vec<Val> {
    let Expression::Array(items) = value else {
        cx.problem(
            value.span(),
            what.to_string(),
            "expected a list of references",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in items.iter() {
        match (expr::reference(cx, i), i) {
            (Some(r), _) => out.push(Val::Str(r)),
            // The old quoted form: "aws_vpc.this".
            (None, Expression::String(s)) => out.push(Val::Str(s.as_str().to_string())),
            _ => cx.problem(
                i.span(),
                what.to_string(),
                "expected a reference such as aws_vpc.this",
            ),
        }
    }
    out
}

/// `lifecycle`, `timeouts`, and the blocks cairn does not run
/// (`provisioner`, `connection`). `None`: not a meta block; `Some(None)`:
/// handled, nothing to write.
fn meta_block(cx: &mut FileCx, name: &str, blocks: &[&Block], meta: Meta) -> Option<Option<Val>> {
    let first = blocks[0];
    Some(match name {
        "lifecycle" => Some(lifecycle(cx, first, meta)),
        "timeouts" if meta == Meta::Resource => {
            let mut t = Vec::new();
            for a in first.body.attributes() {
                t.push((a.key.as_str().to_string(), expr::value(cx, &a.value)));
            }
            Some(Val::Table(t))
        }
        "provisioner" | "connection" => {
            for b in blocks {
                let label = b
                    .labels
                    .first()
                    .map(|l| format!(" \"{}\"", l.as_str()))
                    .unwrap_or_default();
                cx.problem(
                    b.ident.span(),
                    format!("{name}{label}"),
                    "cairn does not run provisioners: move the step to a script that runs after `cairn apply`, or to user_data",
                );
            }
            None
        }
        _ => return None,
    })
}

fn lifecycle(cx: &mut FileCx, b: &Block, meta: Meta) -> Val {
    let mut t = Vec::new();
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let key = a.key.as_str();
                match (key, meta) {
                    ("create_before_destroy" | "prevent_destroy", Meta::Resource) => {
                        t.push((key.to_string(), expr::value(cx, &a.value)))
                    }
                    ("ignore_changes", Meta::Resource) => {
                        let v = match &a.value {
                            Expression::Variable(v) if v.as_str() == "all" => Val::Str("all".into()),
                            other => Val::Array(
                                references(cx, other, "lifecycle ignore_changes")
                                    .into_iter()
                                    .map(|v| match v {
                                        Val::Str(s) => Val::Str(attribute_path(&s)),
                                        v => v,
                                    })
                                    .collect(),
                            ),
                        };
                        t.push((key.to_string(), v));
                    }
                    ("replace_triggered_by", Meta::Resource) => t.push((
                        key.to_string(),
                        Val::Array(references(cx, &a.value, "lifecycle replace_triggered_by")),
                    )),
                    _ => cx.problem(
                        a.key.span(),
                        format!("lifecycle {key}"),
                        "not a lifecycle setting cairn has",
                    ),
                }
            }
            Structure::Block(inner) => cx.problem(
                inner.ident.span(),
                format!("lifecycle {}", inner.ident.as_str()),
                "cairn has no preconditions or postconditions: a variable's validation rule, or a check in CI, can stand in",
            ),
        }
    }
    Val::Table(t)
}

/// `tags["Owner"]` -> `tags.Owner`: cairn's `ignore_changes` paths are
/// dotted.
fn attribute_path(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("[\"") {
        let after = &rest[i + 2..];
        match after.find("\"]") {
            Some(j) if !after[..j].contains(['"', '\\', '.']) => {
                out.push_str(&rest[..i]);
                out.push('.');
                out.push_str(&after[..j]);
                rest = &after[j + 2..];
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ignore_changes_paths_are_dotted() {
        assert_eq!(super::attribute_path(r#"tags["Owner"]"#), "tags.Owner");
        assert_eq!(super::attribute_path("ingress"), "ingress");
        assert_eq!(super::attribute_path(r#"a["x.y"]"#), r#"a["x.y"]"#);
    }
}
