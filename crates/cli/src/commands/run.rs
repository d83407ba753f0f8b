//! plan, apply and destroy.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::path::Path;

use cairn_engine::apply::ApplyOptions;
use cairn_engine::{gates, render, PlanOptions};
use cairn_lang::DenyRule;
use cairn_state::Backend;

use crate::args::{PlanArgs, RunArgs, StackArgs};
use crate::exit;
use crate::locking::HeldLock;
use crate::plan_output;
use crate::plan_output::PlanOutput;
use crate::report::{operation_error, Failure};
use crate::saved_plan::{PriorState, SavedPlan};
use crate::workspace::{self, Workspace};

pub async fn plan(
    args: &StackArgs,
    p: &PlanArgs,
    detailed: bool,
    destroy: bool,
    out: Option<&Path>,
    output: PlanOutput,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let prior = backend.read().await?;
    let prior_state = PriorState::of(backend.location(), prior.as_ref());
    let plan = make_plan(&ws, prior.map(|v| v.doc), plan_options(p, destroy)).await?;
    plan_output::print(&plan, &output);
    if let Some(code) = refuse_by_gates(&ws.stack, p, &plan)? {
        return Ok(code);
    }
    if let Some(path) = out {
        let opts = workspace::load_options(args)?;
        SavedPlan::new(
            &ws.stack,
            &args.dir,
            &args.vars,
            &opts,
            prior_state,
            plan.clone(),
        )
        .write(path, workspace::state_keys(&ws.stack).as_deref())
        .await?;
        eprintln!(
            "Saved the plan to {}; apply exactly it with `cairn apply {}`.",
            path.display(),
            path.display()
        );
    }
    Ok(if detailed && plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}

fn plan_options(p: &PlanArgs, destroy: bool) -> PlanOptions {
    PlanOptions {
        refresh: p.refresh || p.refresh_only,
        destroy,
        refresh_only: p.refresh_only,
        targets: p.select.targets.clone(),
        excludes: p.select.excludes.clone(),
    }
}

/// The stack's `[policy] deny` and `--deny` rules: the offending changes
/// on stderr and exit 3, or `None` when the plan passes.
fn refuse_by_gates(
    stack: &cairn_lang::Stack,
    p: &PlanArgs,
    plan: &cairn_engine::Plan,
) -> Result<Option<i32>, Failure> {
    let mut rules = stack.policy.clone();
    for text in &p.deny {
        rules.push(
            DenyRule::parse(text).map_err(|e| Failure::Usage(format!("--deny {text}: {e}")))?,
        );
    }
    let violations = gates::check(plan, &rules);
    if violations.is_empty() {
        return Ok(None);
    }
    eprintln!(
        "error: the plan is refused by {} deny gate(s):",
        violations.len()
    );
    for v in &violations {
        eprintln!(
            "  - {} would {} (denied by `{}`)",
            v.address, v.action, v.rule
        );
    }
    eprintln!(
        "   = hint: nothing was changed; the rules come from --deny and the stack's [policy] deny"
    );
    Ok(Some(exit::DENIED))
}

async fn make_plan(
    ws: &Workspace,
    prior: Option<cairn_state::StateDocument>,
    opts: PlanOptions,
) -> Result<cairn_engine::Plan, Failure> {
    // On stderr: stdout may carry a JSON or Markdown plan.
    let throttling = crate::progress::watch_throttling(|line| eprintln!("{line}"));
    let plan = cairn_engine::plan(&ws.stack, &ws.graph, &ws.providers, prior, opts).await;
    throttling.finish();
    plan.map_err(|e| Failure::Engine(e, ws.stack.sources.clone()))
}

pub async fn apply(
    args: &StackArgs,
    p: &PlanArgs,
    run: &RunArgs,
    destroy: bool,
    color: bool,
) -> Result<i32, Failure> {
    let ws = workspace::load(args)?;
    let backend = workspace::backend(&ws.stack)?;
    let operation = operation_name(destroy, p.refresh_only);
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
    let result = async {
        let prior = backend.read().await?;
        let version = prior.as_ref().map(|v| v.version.clone());
        let plan = make_plan(&ws, prior.map(|v| v.doc), plan_options(p, destroy)).await?;
        plan_output::print(&plan, &PlanOutput::human(color));
        if let Some(code) = refuse_by_gates(&ws.stack, p, &plan)? {
            return Ok(code);
        }
        if !plan.has_changes() {
            return Ok(exit::OK);
        }
        if !run.auto_approve {
            confirm(destroy)?;
        }
        outln!();
        if plan.refresh_only {
            return record_refresh(&plan, backend.as_ref(), version, &lock).await;
        }
        execute(&ws, &plan, backend.clone(), version, &lock, stop, run).await
    }
    .await;
    lock.release().await;
    result
}

/// What the lock and `written_by` record.
fn operation_name(destroy: bool, refresh_only: bool) -> &'static str {
    match (destroy, refresh_only) {
        (true, _) => "destroy",
        (false, true) => "apply --refresh-only",
        (false, false) => "apply",
    }
}

/// `cairn apply FILE`: exactly the saved plan, against exactly the state it
/// was made from, or nothing.
pub async fn apply_saved(
    file: &Path,
    args: &StackArgs,
    p: &PlanArgs,
    run: &RunArgs,
    color: bool,
) -> Result<i32, Failure> {
    let saved = SavedPlan::read(file).await?;
    // The planned configuration, not whatever the directory holds now.
    let unpacked =
        tempfile::tempdir().map_err(|e| Failure::Usage(format!("cannot unpack the plan: {e}")))?;
    saved.materialize(unpacked.path())?;
    let stack_dir = if args.dir == Path::new(".") {
        saved.stack_dir.clone()
    } else {
        args.dir.clone()
    };
    let ws = workspace::load_saved(unpacked.path(), &stack_dir, &saved)?;
    let backend = workspace::backend(&ws.stack)?;
    let stop = Arc::new(AtomicBool::new(false));
    let plan = &saved.plan;
    let operation = operation_name(plan.destroy, plan.refresh_only);
    let lock = HeldLock::take(
        backend.clone(),
        operation,
        &ws.stack,
        run.lock.lock_timeout,
        stop.clone(),
    )
    .await?;
    let result = async {
        let current = backend.read().await?;
        saved.check_fresh(&PriorState::of(backend.location(), current.as_ref()))?;
        plan_output::print(plan, &PlanOutput::human(color));
        if let Some(code) = refuse_by_gates(&ws.stack, p, plan)? {
            return Ok(code);
        }
        if !plan.has_changes() {
            return Ok(exit::OK);
        }
        outln!();
        let version = current.map(|v| v.version);
        if plan.refresh_only {
            return record_refresh(plan, backend.as_ref(), version, &lock).await;
        }
        execute(&ws, plan, backend.clone(), version, &lock, stop, run).await
    }
    .await;
    lock.release().await;
    result
}

/// `apply --refresh-only`: the refreshed state becomes the recorded one.
async fn record_refresh(
    plan: &cairn_engine::Plan,
    backend: &dyn Backend,
    version: Option<cairn_state::Version>,
    lock: &HeldLock,
) -> Result<i32, Failure> {
    let mut doc = plan.state.clone();
    if !crate::rescue::commit(backend, &mut doc, version.as_ref(), lock).await {
        return Ok(exit::ERROR);
    }
    outln!(
        "\nApply complete! Recorded {} change(s) made outside cairn in {}.",
        plan.drift.len(),
        backend.location()
    );
    Ok(exit::OK)
}

async fn execute(
    ws: &Workspace,
    plan: &cairn_engine::Plan,
    backend: Arc<dyn Backend>,
    version: Option<cairn_state::Version>,
    lock: &HeldLock,
    stop: Arc<AtomicBool>,
    run: &RunArgs,
) -> Result<i32, Failure> {
    let destroy = plan.destroy;
    let interrupt = tokio::spawn(watch_interrupts(stop.clone()));
    let mut opts = ApplyOptions::new(lock.written_by());
    opts.parallelism = run.parallelism;
    opts.stop = stop;
    let counts = plan.counts();
    let (events, bar) = crate::progress::printer(counts.add + counts.change + counts.destroy);
    opts.events = Some(events);
    let throttling = {
        let bar = bar.clone();
        crate::progress::watch_throttling(move |line| {
            crate::progress::print_line(bar.as_ref(), line)
        })
    };
    let outcome = cairn_engine::apply(
        plan,
        &ws.stack,
        &ws.graph,
        &ws.providers,
        backend.clone(),
        version,
        opts,
    )
    .await;
    interrupt.abort();
    throttling.finish();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }

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
        outln!(
            "\nDestroy complete! Resources: {} destroyed.",
            counts.destroy
        );
    } else {
        outln!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
            counts.add,
            counts.change,
            counts.destroy
        );
        print_outputs(&outcome.state);
    }
    Ok(exit::OK)
}

fn print_outputs(state: &cairn_state::StateDocument) {
    if state.outputs.is_empty() {
        return;
    }
    outln!("\nOutputs:\n");
    for (name, o) in &state.outputs {
        outln!("{name} = {}", render::scalar(&o.value()));
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
    out!("\nDo you want to {what}? Only 'yes' will be accepted: ");
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
