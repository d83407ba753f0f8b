//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "Plan and apply AWS infrastructure from TOML stack files."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct StackArgs {
    /// The stack directory.
    #[arg(short = 'C', long = "dir", default_value = ".")]
    pub dir: PathBuf,
    /// The environment: reads envs/<ENV>.toml.
    #[arg(short, long)]
    pub env: Option<String>,
    /// Set a variable (highest precedence), e.g. --var vpc_cidr=10.0.0.0/16.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Args, Clone)]
pub struct PlanArgs {
    /// Read live values from AWS first (--refresh=false plans against state alone).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the stack offline: syntax, names, types, references, cycles.
    Validate {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Show what apply would change.
    Plan {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        plan: PlanArgs,
        /// Exit 0 with no changes, 2 with changes, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan the destruction of everything in state.
        #[arg(long)]
        destroy: bool,
    },
    /// Plan, confirm, and make the changes.
    Apply {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Delete everything the stack's state records.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Show output values from state.
    Output {
        #[command(flatten)]
        stack: StackArgs,
        /// One output; named explicitly, a sensitive output is shown in clear.
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print the resource graph.
    Graph {
        #[command(flatten)]
        stack: StackArgs,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Inspect and repair state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
}

#[derive(Args, Clone)]
pub struct RunArgs {
    /// Skip the interactive confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many resource operations may run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Subcommand)]
pub enum StateCommand {
    /// List the addresses in state.
    List {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Show one resource's recorded attributes.
    Show {
        #[command(flatten)]
        stack: StackArgs,
        address: String,
        /// Show sensitive values in clear.
        #[arg(long)]
        show_sensitive: bool,
    },
    /// Print the raw state document.
    Pull {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Release a lock left behind (after confirming nobody holds it).
    Unlock {
        #[command(flatten)]
        stack: StackArgs,
        lock_id: String,
        /// Skip the confirmation.
        #[arg(long)]
        force: bool,
    },
}
