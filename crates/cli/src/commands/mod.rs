//! One function per command; each returns an exit code.

mod backend;
mod convert;
mod fmt;
mod import;
mod inspect;
mod migrate;
mod report;
mod resource_docs;
mod run;
mod state;

use crate::args::{BackendCommand, Cli, Command, PlanArgs, PlanFormat, StateCommand};
use crate::exit;
use crate::plan_output::PlanOutput;
use crate::report::Failure;

pub async fn run(cli: Cli) -> i32 {
    let color = crate::plan_output::color_enabled(cli.no_color);
    let result = match cli.command {
        Command::Validate { stack } => validate(&stack),
        Command::Plan {
            stack,
            plan,
            detailed_exitcode,
            destroy,
            out,
            format,
            json,
            size,
        } => {
            let format = if json { PlanFormat::Json } else { format };
            let output = PlanOutput {
                format,
                color: color && format == PlanFormat::Human,
                max_bytes: size.budget(),
                compact: size.compact,
            };
            run::plan(
                &stack,
                &plan,
                detailed_exitcode,
                destroy,
                out.as_deref(),
                output,
            )
            .await
        }
        Command::Apply {
            plan_file: Some(file),
            stack,
            plan,
            run,
        } => run::apply_saved(&file, &stack, &plan, &run, color).await,
        Command::Apply {
            plan_file: None,
            stack,
            plan,
            run,
        } => run::apply(&stack, &plan, &run, false, color).await,
        Command::Destroy { stack, select, run } => {
            let p = PlanArgs {
                refresh: true,
                select,
                ..Default::default()
            };
            run::apply(&stack, &p, &run, true, color).await
        }
        Command::Show {
            file,
            format,
            json,
            size,
        } => {
            let format = if json { PlanFormat::Json } else { format };
            inspect::show(
                &file,
                &PlanOutput {
                    format,
                    color: color && format == PlanFormat::Human,
                    max_bytes: size.budget(),
                    compact: size.compact,
                },
            )
            .await
        }
        Command::Output { stack, name, json } => {
            inspect::output(&stack, name.as_deref(), json).await
        }
        Command::Graph { stack, format } => inspect::graph(&stack, format),
        Command::Import {
            stack,
            address,
            id,
            lock,
        } => import::import(&stack, &address, &id, &lock).await,
        Command::Fmt {
            paths,
            recursive,
            check,
            diff,
        } => fmt::fmt(&paths, recursive, check, diff),
        Command::Migrate {
            stack,
            from_terraform,
            dry_run,
            lock,
        } => migrate::migrate(&stack, &from_terraform, dry_run, &lock).await,
        Command::Convert {
            tf_dir,
            out_dir,
            partial,
        } => convert::convert(&tf_dir, &out_dir, partial),
        Command::Schema {
            env: _,
            markdown: true,
        } => {
            out!(
                "{}",
                resource_docs::markdown(&crate::workspace::registries(
                    cairn_aws::AwsSettings::default()
                ))
            );
            Ok(exit::OK)
        }
        Command::Schema { env, .. } => {
            let schema = if env {
                cairn_lang::json_schema::env_schema()
            } else {
                cairn_lang::json_schema::stack_schema(&crate::workspace::registry(
                    cairn_aws::AwsSettings::default(),
                ))
            };
            outln!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(exit::OK)
        }
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
            StateCommand::Verify { stack, json } => state::verify(&stack, json).await,
            StateCommand::Diff {
                stack,
                from,
                to,
                show_sensitive,
            } => state::diff(&stack, &from, &to, show_sensitive).await,
            StateCommand::Encrypt { stack, lock } => state::encrypt(&stack, &lock).await,
            StateCommand::Decrypt { stack, lock } => state::decrypt(&stack, &lock).await,
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
        Command::Report {
            stack,
            version,
            at,
            out,
            format,
        } => {
            report::report(
                &stack,
                version.as_deref(),
                at.as_deref(),
                out.as_deref(),
                format,
            )
            .await
        }
        Command::Backend { command } => match command {
            BackendCommand::Bootstrap {
                stack,
                object_lock_days,
                object_lock_mode,
            } => backend::bootstrap(&stack, object_lock_days, object_lock_mode.as_deref()).await,
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
    outln!(
        "The stack `{}` is valid: {} resource block(s), {} output(s).",
        ws.stack.qualified_name(),
        ws.stack.resource_count(),
        ws.stack.root().outputs.len()
    );
    Ok(exit::OK)
}
