//! plan, apply and destroy.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cairn_engine::apply::ApplyOptions;
use cairn_engine::{render, PlanOptions};
use cairn_state::Backend;

use crate::args::{PlanArgs, RunArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
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
    // Raised by Ctrl-C and by the loss of the lock: no new operation starts.
    let stop = Arc::new(AtomicBool::new(false));
    let lock = HeldLock::take(
        backend.clone(),
        operation,
        &ws.stack,
        run.lock.lock_timeout,
        stop.clone(),
    )
    .await?;
    let result = locked_apply(&ws, backend, &lock, stop, p, run, destroy).await;
    lock.release().await;
    result
}

async fn locked_apply(
    ws: &Workspace,
    backend: Arc<dyn Backend>,
    lock: &HeldLock,
    stop: Arc<AtomicBool>,
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

    let interrupt = tokio::spawn(watch_interrupts(stop.clone()));
    let mut opts = ApplyOptions::new(lock.written_by());
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
        crate::rescue::save(&outcome.state, e);
        return Ok(exit::ERROR);
    }
    let counts = plan.counts();
    if let Some(why) = lock.lost() {
        eprintln!("error: {why}\n   = note: no operation started after that; {} completed and recorded in {}. Check `cairn state history` before applying again.", outcome.completed, backend.location());
        return Ok(exit::ERROR);
    }
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
