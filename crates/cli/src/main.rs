//! `cairn`: plan and apply AWS infrastructure from TOML stack files.

/// `print!` and `println!` that ignore a closed stdout (`cairn schema | head`)
/// instead of panicking: a reader going away must never cut an apply short.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

// Plans of 100,000 resources allocate and free millions of small values:
// mimalloc is about a quarter faster there than the system allocator, and
// smaller at the peak (`plan_scale` bench, docs/architecture.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod commands;
mod exit;
mod locking;
mod plan_output;
mod progress;
mod report;
mod rescue;
mod saved_plan;
mod workspace;

use clap::Parser;

fn main() {
    // Usage errors exit 1 like every other error (clap's own 2 means
    // "changes present" here); --help and --version exit 0.
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(exit::ERROR);
        }
    };
    let code = runtime.block_on(commands::run(cli));
    // Do not wait for stray blocking tasks (credential providers) on exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    std::process::exit(code);
}

/// `CAIRN_LOG=debug` shows cairn's own debug events (one line per AWS call
/// with its duration) without the SDK's internals; any other value is a full
/// tracing filter (`CAIRN_LOG=aws_smithy_runtime=trace`).
fn init_logging() {
    let spec = std::env::var("CAIRN_LOG").unwrap_or_default();
    let directives = match spec.as_str() {
        "" => "warn".to_string(),
        lvl @ ("trace" | "debug" | "info" | "warn" | "error") => format!("warn,cairn={lvl}"),
        other => other.to_string(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colour on a terminal only, and never with NO_COLOR.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(true)
        .init();
}
