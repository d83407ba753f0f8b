//! plan, apply and destroy.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cairn_engine::apply::ApplyOptions;
use cairn_engine::{render, PlanOptions};
use cairn_state::{Backend, LockInfo, StateError, WrittenBy};

use crate::args::{PlanArgs, RunArgs, StackArgs};
use crate::exit;
use crate::report::{operation_error, Failure};
use crate::workspace::{self, Workspace};

pub async fn plan(
    args: &StackArgs,
    p: &PlanArgs,
    detailed: bool,
    destroy: bool,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let prior = backend.read().await?.map(|v| v.doc);
    let plan = make_plan(
        &ws,
        prior,
        PlanOptions {
            refresh: p.refresh,
            destroy,
        },
    )
    .await?;
    print!("{}", render::plan_text(&plan));
    Ok(if detailed && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

async fn make_plan(
    ws: &Workspace,
    prior: Option<cairn_state::StateDocument>,
    opts: PlanOptions,
) -> Result<cairn_engine::Plan, Failure> {
    cairn_engine::plan(&ws.stack, &ws.graph, &ws.registry, prior, opts)
        .await
        .map_err(|e| Failure::Engine(e, ws.stack.sources.clone()))
}

pub async fn apply(
    args: &StackArgs,
    p: &PlanArgs,
    run: &RunArgs,
    destroy: bool,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let operation = if destroy { "destroy" } else { "apply" };
    let lock = LockInfo::new(operation, &ws.stack.name, ws.stack.env.as_deref());
    backend.lock(&lock).await?;
    let result = locked_apply(&ws, backend.clone(), &lock, p, run, destroy).await;
    if let Err(e) = backend.unlock(&lock.id).await {
        eprintln!("warning: could not release the state lock {}: {e}", lock.id);
    }
    result
}

async fn locked_apply(
    ws: &Workspace,
    backend: Arc<dyn Backend>,
    lock: &LockInfo,
    p: &PlanArgs,
    run: &RunArgs,
    destroy: bool,
) -> Result<i32, Failure> {
    let prior = backend.read().await?;
    let (doc, version) = match prior {
        Some(v) => (Some(v.doc), Some(v.version)),
        None => (None, None),
    };
    let plan = make_plan(
        ws,
        doc,
        PlanOptions {
            refresh: p.refresh,
            destroy,
        },
    )
    .await?;
    print!("{}", render::plan_text(&plan));
    if !plan.has_changes() {
        return Ok(exit::OK);
    }
    if !run.auto_approve {
        confirm(destroy)?;
    }
    println!();

    let stop = Arc::new(AtomicBool::new(false));
    let interrupt = tokio::spawn(watch_interrupts(stop.clone()));
    let mut opts = ApplyOptions::new(WrittenBy {
        who: lock.who.clone(),
        when: String::new(),
        operation: lock.operation.clone(),
        cairn_version: env!("CARGO_PKG_VERSION").to_string(),
        lock_id: Some(lock.id.clone()),
    });
    opts.parallelism = run.parallelism;
    opts.stop = stop;
    opts.events = Some(crate::progress::printer());
    let outcome = cairn_engine::apply(
        &plan,
        &ws.stack,
        &ws.registry,
        backend.clone(),
        version,
        opts,
    )
    .await;
    interrupt.abort();

    for e in &outcome.errors {
        eprint!("{}", operation_error(e));
    }
    if !outcome.diagnostics.is_empty() {
        let d = cairn_lang::Diagnostics {
            sources: ws.stack.sources.clone(),
            items: outcome.diagnostics.clone(),
        };
        eprint!("{}", d.render());
    }
    if let Some(e) = &outcome.state_error {
        eprintln!("error: the state could not be saved: {e}");
        rescue(&outcome.state, e);
        return Ok(exit::ERROR);
    }
    let counts = plan.counts();
    if outcome.interrupted {
        eprintln!("Interrupted: {} operation(s) completed and recorded in {}. Run apply again to continue.", outcome.completed, backend.location());
        return Ok(exit::INTERRUPTED);
    }
    if !outcome.succeeded() {
        eprintln!(
            "Apply failed: {} operation(s) completed and recorded in {}; fix the error above and run apply again.",
            outcome.completed,
            backend.location()
        );
        return Ok(exit::ERROR);
    }
    if destroy {
        println!(
            "\nDestroy complete! Resources: {} destroyed.",
            counts.destroy
        );
    } else {
        println!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
            counts.add, counts.change, counts.destroy
        );
        print_outputs(&outcome.state);
    }
    Ok(exit::OK)
}

fn print_outputs(state: &cairn_state::StateDocument) {
    if state.outputs.is_empty() {
        return;
    }
    println!("\nOutputs:\n");
    for (name, o) in &state.outputs {
        println!("{name} = {}", render::scalar(&o.value()));
    }
}

/// The state could not be written (someone else wrote it): keep ours beside
/// it rather than lose the record of what was just created.
fn rescue(state: &cairn_state::StateDocument, e: &StateError) {
    let dir = std::path::Path::new("state").join("rescued");
    let name = format!(
        "{}-{}-{}.json",
        state.stack,
        state.env.as_deref().unwrap_or("default"),
        state.serial
    );
    let path = dir.join(name);
    match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, state.to_json_pretty())) {
        Ok(()) => eprintln!(
            "   = note: the unsaved state is in {}; compare it with the stored state ({e}) before applying again",
            path.display()
        ),
        Err(w) => eprintln!("   = note: could not save the unsaved state either: {w}"),
    }
}

fn confirm(destroy: bool) -> Result<(), Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "refusing to apply without confirmation: stdin is not a terminal (pass --auto-approve to apply non-interactively)".into(),
        ));
    }
    let what = if destroy {
        "destroy all resources in this stack"
    } else {
        "perform these actions"
    };
    print!("\nDo you want to {what}? Only 'yes' will be accepted: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::Usage("cancelled: nothing was changed".into()))
    }
}

/// First Ctrl-C: stop starting operations, let in-flight ones finish and
/// save state. Second: exit at once.
async fn watch_interrupts(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop.store(true, Ordering::SeqCst);
    eprintln!("\nInterrupt received: waiting for in-flight operations to finish and saving state. Press Ctrl-C again to exit now.");
    if tokio::signal::ctrl_c().await.is_ok() {
        eprintln!(
            "Exiting without waiting: the state may miss the operations that were in flight."
        );
        std::process::exit(exit::INTERRUPTED);
    }
}
