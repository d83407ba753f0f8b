//! One function per command; each returns an exit code.

mod inspect;
mod run;

use crate::args::{Cli, Command, StateCommand};
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
            StateCommand::List { stack } => inspect::state_list(&stack).await,
            StateCommand::Show {
                stack,
                address,
                show_sensitive,
            } => inspect::state_show(&stack, &address, show_sensitive).await,
            StateCommand::Pull { stack } => inspect::state_pull(&stack).await,
            StateCommand::Unlock {
                stack,
                lock_id,
                force,
            } => inspect::state_unlock(&stack, &lock_id, force).await,
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
