//! Read-only commands: output and graph.

use cairn_engine::render::scalar;
use cairn_state::StateDocument;

use crate::args::{GraphFormat, StackArgs};
use crate::exit;
use crate::report::Failure;
use crate::workspace;

pub(super) async fn read_state(
    args: &StackArgs,
) -> Result<(Option<StateDocument>, String), Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let doc = backend.read().await?.map(|v| v.doc);
    Ok((doc, backend.location()))
}

pub(super) fn require(
    doc: Option<StateDocument>,
    location: &str,
) -> Result<StateDocument, Failure> {
    doc.ok_or_else(|| {
        Failure::Usage(format!(
            "no state at {location}: nothing has been applied yet"
        ))
    })
}

pub async fn output(args: &StackArgs, name: Option<&str>, json: bool) -> Result<i32, Failure> {
    let (doc, location) = read_state(args).await?;
    let doc = require(doc, &location)?;
    match name {
        // Named explicitly: the value in clear, even if sensitive.
        Some(n) => {
            let o = doc.outputs.get(n).ok_or_else(|| {
                Failure::Usage(format!("no output named `{n}` (outputs: {})", names(&doc)))
            })?;
            if json {
                outln!("{}", o.value);
            } else {
                match o.value() {
                    v if v.as_str().is_some() => outln!("{}", v.as_str().unwrap_or_default()),
                    v => outln!("{}", v.deep_unmarked()),
                }
            }
        }
        None if json => {
            let all: serde_json::Map<String, serde_json::Value> = doc
                .outputs
                .iter()
                .map(|(k, o)| {
                    let value = if o.sensitive {
                        serde_json::Value::Null
                    } else {
                        o.value.clone()
                    };
                    (
                        k.clone(),
                        serde_json::json!({ "sensitive": o.sensitive, "value": value }),
                    )
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        None => {
            for (k, o) in &doc.outputs {
                outln!("{k} = {}", scalar(&o.value()));
            }
        }
    }
    Ok(exit::OK)
}

fn names(doc: &StateDocument) -> String {
    doc.outputs.keys().cloned().collect::<Vec<_>>().join(", ")
}

pub fn graph(args: &StackArgs, format: GraphFormat) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    match format {
        GraphFormat::Dot => out!("{}", ws.graph.to_dot()),
        GraphFormat::Mermaid => out!("{}", ws.graph.to_mermaid()),
    }
    Ok(exit::OK)
}

/// `cairn show FILE`: a saved plan, in any plan format.
pub async fn show(
    file: &std::path::Path,
    output: &crate::plan_output::PlanOutput,
) -> Result<i32, Failure> {
    let saved = crate::saved_plan::SavedPlan::read(file).await?;
    crate::plan_output::print(&saved.plan, output);
    Ok(exit::OK)
}
