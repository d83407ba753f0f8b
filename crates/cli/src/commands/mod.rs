//! One function per command; each returns an exit code.

mod backend;
mod inspect;
mod run;
mod state;

use crate::args::{BackendCommand, Cli, Command, StateCommand};
use crate::exit;
use crate::report::Failure;

pub async fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Validate { stack } => validate(&stack),
        Command::Plan {
            stack,
            plan,
            detailed_exitcode,
            destroy,
        } => run::plan(&stack, &plan, detailed_exitcode, destroy).await,
        Command::Apply { stack, plan, run } => run::apply(&stack, &plan, &run, false).await,
        Command::Destroy { stack, run } => {
            run::apply(&stack, &crate::args::PlanArgs { refresh: true }, &run, true).await
        }
        Command::Output { stack, name, json } => {
            inspect::output(&stack, name.as_deref(), json).await
        }
        Command::Graph { stack, format } => inspect::graph(&stack, format),
        Command::State { command } => match command {
            StateCommand::List { stack } => state::list(&stack).await,
            StateCommand::Show {
                stack,
                address,
                show_sensitive,
                version,
            } => state::show(&stack, &address, show_sensitive, version.as_deref()).await,
            StateCommand::Pull { stack, version } => state::pull(&stack, version.as_deref()).await,
            StateCommand::History { stack, json } => state::history(&stack, json).await,
            StateCommand::Diff {
                stack,
                from,
                to,
                show_sensitive,
            } => state::diff(&stack, &from, &to, show_sensitive).await,
            StateCommand::Rm {
                stack,
                addresses,
                lock,
            } => state::rm(&stack, &addresses, &lock).await,
            StateCommand::Mv {
                stack,
                from,
                to,
                lock,
            } => state::mv(&stack, &from, &to, &lock).await,
            StateCommand::Unlock {
                stack,
                lock_id,
                force,
            } => state::unlock(&stack, &lock_id, force).await,
        },
        Command::Backend { command } => match command {
            BackendCommand::Bootstrap { stack } => backend::bootstrap(&stack).await,
            BackendCommand::Migrate { stack, from, lock } => {
                backend::migrate(&stack, &from, &lock).await
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(f) => f.report(),
    }
}

fn validate(args: &crate::args::StackArgs) -> Result<i32, Failure> {
    let ws = crate::workspace::load(args)?;
    println!(
        "The stack `{}` is valid: {} resource(s), {} output(s).",
        ws.stack.qualified_name(),
        ws.stack.resources.len(),
        ws.stack.outputs.len()
    );
    Ok(exit::OK)
}
