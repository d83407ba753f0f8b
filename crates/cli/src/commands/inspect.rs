//! Read-only commands: output, graph, state list/show/pull, and unlock.

use std::io::{BufRead, IsTerminal, Write};

use cairn_engine::render::scalar;
use cairn_state::StateDocument;

use crate::args::{GraphFormat, StackArgs};
use crate::exit;
use crate::report::Failure;
use crate::workspace;

async fn read_state(args: &StackArgs) -> Result<(Option<StateDocument>, String), Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let doc = backend.read().await?.map(|v| v.doc);
    Ok((doc, backend.location()))
}

fn require(doc: Option<StateDocument>, location: &str) -> Result<StateDocument, Failure> {
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
                println!("{}", o.value);
            } else {
                match o.value() {
                    v if v.as_str().is_some() => println!("{}", v.as_str().unwrap_or_default()),
                    v => println!("{}", v.deep_unmarked()),
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
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
        None => {
            for (k, o) in &doc.outputs {
                println!("{k} = {}", scalar(&o.value()));
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
        GraphFormat::Dot => print!("{}", ws.graph.to_dot()),
        GraphFormat::Mermaid => print!("{}", ws.graph.to_mermaid()),
    }
    Ok(exit::OK)
}

pub async fn state_list(args: &StackArgs) -> Result<i32, Failure> {
    let (doc, _) = read_state(args).await?;
    for (addr, rs) in doc.iter().flat_map(|d| d.resources.iter()) {
        let tainted = if rs.status == cairn_state::ResourceStatus::Tainted {
            "  (tainted)"
        } else {
            ""
        };
        println!("{addr}{tainted}");
    }
    Ok(exit::OK)
}

pub async fn state_show(
    args: &StackArgs,
    address: &str,
    show_sensitive: bool,
) -> Result<i32, Failure> {
    let (doc, location) = read_state(args).await?;
    let doc = require(doc, &location)?;
    let rs = doc.resources.get(address).ok_or_else(|| {
        Failure::Usage(format!(
            "`{address}` is not in the state at {location} (see `cairn state list`)"
        ))
    })?;
    println!("# {address}  (id {})", rs.id);
    let attrs = rs.attributes();
    let width = attrs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in &attrs {
        let shown = if show_sensitive {
            scalar(&v.deep_unmarked())
        } else {
            scalar(v)
        };
        println!("{k:width$} = {shown}");
    }
    if !rs.dependencies.is_empty() {
        println!("# depends on: {}", rs.dependencies.join(", "));
    }
    Ok(exit::OK)
}

pub async fn state_pull(args: &StackArgs) -> Result<i32, Failure> {
    let (doc, location) = read_state(args).await?;
    print!("{}", require(doc, &location)?.to_json_pretty());
    Ok(exit::OK)
}

pub async fn state_unlock(args: &StackArgs, lock_id: &str, force: bool) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let holder = backend.current_lock().await?;
    let Some(holder) = holder else {
        println!("The state at {} is not locked.", backend.location());
        return Ok(exit::OK);
    };
    if holder.id != lock_id {
        return Err(Failure::Usage(format!(
            "the state is locked by another lock: {}",
            holder.describe()
        )));
    }
    if !force {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(
                "refusing to unlock without confirmation (pass --force)".into(),
            ));
        }
        print!(
            "Release the lock held by {}? Only 'yes' will be accepted: ",
            holder.describe()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim() != "yes" {
            return Err(Failure::Usage("cancelled: the lock was kept".into()));
        }
    }
    backend.unlock(lock_id).await?;
    println!("Released the lock {lock_id}.");
    Ok(exit::OK)
}
