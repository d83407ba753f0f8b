//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

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
    /// No colour, even on a terminal (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,
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
    /// Read variables from a TOML file, or a JSON file (`*.json`); later
    /// files win, --var wins over all. Repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Args, Clone, Default)]
pub struct PlanArgs {
    /// Read live values from AWS first (--refresh=false plans against state alone).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Only report (plan) or record (apply) what changed outside cairn.
    #[arg(long, conflicts_with = "refresh")]
    pub refresh_only: bool,
    /// Refuse the plan (exit 3) if it would ACTION[:TYPE|ADDRESS-GLOB], e.g.
    /// `delete`, `replace:module.network.*`, `delete:aws_kms_key`. Repeatable;
    /// adds to the stack's [policy] deny.
    #[arg(long = "deny", value_name = "RULE", value_parser = parse_deny)]
    pub deny: Vec<String>,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Which part of the configuration a plan covers.
#[derive(Args, Clone, Default)]
pub struct SelectArgs {
    /// Plan only this resource, instance or module and what it depends on.
    /// Repeatable. For exceptional cases: the plan is partial.
    #[arg(long = "target", value_name = "ADDRESS", value_parser = parse_target)]
    pub targets: Vec<cairn_core::Target>,
    /// Leave this resource, instance or module (and what depends on it) out
    /// of the plan. Repeatable.
    #[arg(long = "exclude", value_name = "ADDRESS", value_parser = parse_target)]
    pub excludes: Vec<cairn_core::Target>,
}

/// `aws_subnet.private["a"]`, `module.network`, checked before anything runs.
fn parse_target(s: &str) -> Result<cairn_core::Target, String> {
    s.parse()
        .map_err(|e: cairn_core::AddressParseError| e.reason)
}

/// How much of a large plan is printed.
#[derive(Args, Clone, Copy)]
pub struct PlanSizeArgs {
    /// `--format markdown`: stay within this many bytes (the default fits
    /// a GitHub comment); per-resource diffs that do not fit are left out,
    /// destroys and replaces last, and the text says how many. 0: no limit.
    #[arg(long, value_name = "BYTES", default_value_t = cairn_engine::render_markdown::DEFAULT_MAX_BYTES)]
    pub max_bytes: usize,
    /// The human format as one line per resource, without attribute diffs.
    #[arg(long)]
    pub compact: bool,
}

impl PlanSizeArgs {
    /// The Markdown budget in bytes (`--max-bytes 0` lifts it).
    pub fn budget(&self) -> usize {
        match self.max_bytes {
            0 => usize::MAX,
            n => n,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Human,
    Markdown,
    Json,
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
        /// Exit 0 with no changes, 2 with changes (or drift, with
        /// --refresh-only), 1 on error, 3 when a gate refuses the plan.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan the destruction of everything in state.
        #[arg(long)]
        destroy: bool,
        /// Save the plan, to apply exactly it later with `cairn apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// How to print the plan on stdout.
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
        /// Same as --format json: stdout carries only the JSON plan.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        size: PlanSizeArgs,
    },
    /// Plan, confirm, and make the changes; or apply a saved plan exactly.
    Apply {
        /// A plan saved with `cairn plan --out FILE`: applied as planned, or
        /// refused if the state changed since.
        plan_file: Option<PathBuf>,
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        plan: PlanArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Show a saved plan.
    Show {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
        format: PlanFormat,
        /// Same as --format json.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        size: PlanSizeArgs,
    },
    /// Delete everything the stack's state records.
    Destroy {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        select: SelectArgs,
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
    /// Bring an existing AWS object under management at ADDRESS (which the
    /// configuration must declare), recording it in state.
    Import {
        #[command(flatten)]
        stack: StackArgs,
        /// Where the object goes, e.g. aws_vpc.main or module.network.aws_subnet.private["a"].
        address: String,
        /// The object's id in AWS, e.g. vpc-0a1b2c3d.
        id: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Rewrite stack files in the canonical layout, keeping comments.
    Fmt {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// Format the *.toml files of directories below too.
        #[arg(short, long)]
        recursive: bool,
        /// Change nothing; exit 2 if a file is not formatted (for CI).
        #[arg(long)]
        check: bool,
        /// Print what would change as a diff.
        #[arg(long)]
        diff: bool,
    },
    /// Carry a Terraform state over into this stack's (empty) state: every
    /// object re-read live, nothing written to AWS, the Terraform state left
    /// as it is.
    Migrate {
        #[command(flatten)]
        stack: StackArgs,
        /// The Terraform state: a file (`terraform state pull > tf.json`) or
        /// a directory holding terraform.tfstate.
        #[arg(long = "from-terraform", value_name = "STATE_FILE_OR_DIR")]
        from_terraform: PathBuf,
        /// Print how each instance maps, read nothing live, write nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Convert a Terraform configuration (a root module's `.tf` files, the
    /// local modules it calls, its `.tfvars`) into cairn stack files.
    /// Nothing is written while anything cannot be converted, unless
    /// `--partial`.
    Convert {
        /// The Terraform root module's directory.
        tf_dir: PathBuf,
        /// Where the stack goes: a new or empty directory.
        out_dir: PathBuf,
        /// Write what converts, leaving a comment where each construct that
        /// does not convert stood (it still exits 1).
        #[arg(long)]
        partial: bool,
    },
    /// Print the JSON Schema of the stack format (every resource type and
    /// data source with its attributes), for editors such as Taplo.
    Schema {
        /// The schema of env files (`envs/*.toml`) instead.
        #[arg(long)]
        env: bool,
        /// The tables of docs/resources.md instead: every resource type and
        /// data source, its crate, and what forces a replacement.
        #[arg(long, conflicts_with = "env")]
        markdown: bool,
    },
    /// Inspect, audit and repair state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Set up and move the state backend.
    Backend {
        #[command(subcommand)]
        command: BackendCommand,
    },
    /// An auditor's report of the state at one point: inventory, resource
    /// graph, timeline of versions with their diffs, drift, verification.
    /// Sensitive values are masked and never in the file.
    Report {
        #[command(flatten)]
        stack: StackArgs,
        /// The stored version to report on (see `state history`).
        #[arg(long, conflicts_with = "at")]
        version: Option<String>,
        /// The newest version stored at or before TIME (RFC 3339, or a
        /// date YYYY-MM-DD meaning the end of that day, UTC).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Write the report to FILE (created 0600) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
        format: ReportFormat,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page (inline CSS, SVG and script).
    Html,
    Markdown,
    /// The report model (format_version 1, see docs/cli.md).
    Json,
}

#[derive(Args, Clone)]
pub struct LockArgs {
    /// How long to wait for a state lock someone else holds (e.g. 30s, 5m);
    /// 0 fails at once.
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

/// A `--deny` rule, checked before anything runs.
fn parse_deny(s: &str) -> Result<String, String> {
    cairn_lang::DenyRule::parse(s).map(|_| s.to_string())
}

/// `90s`, `2m`, `1h`, or plain seconds (the stack files' syntax too).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    cairn_lang::parse_duration(s)
}

#[derive(Args, Clone)]
pub struct RunArgs {
    /// Skip the interactive confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// How many resource operations may run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    #[command(flatten)]
    pub lock: LockArgs,
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
        /// A stored version (see `state history`) instead of the current one.
        #[arg(long)]
        version: Option<String>,
    },
    /// Print the raw state document.
    Pull {
        #[command(flatten)]
        stack: StackArgs,
        /// A stored version (see `state history`) instead of the current one.
        #[arg(long)]
        version: Option<String>,
    },
    /// Every stored version, newest first: who wrote it, how, and what changed.
    History {
        #[command(flatten)]
        stack: StackArgs,
        /// One JSON object per version on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain of every stored version: exit 0 when the
    /// history is whole, 1 naming the first version that is not.
    Verify {
        #[command(flatten)]
        stack: StackArgs,
        /// One JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
    /// What changed between two stored versions, attribute by attribute.
    Diff {
        #[command(flatten)]
        stack: StackArgs,
        /// The older version.
        from: String,
        /// The newer version.
        to: String,
        /// Show sensitive values in clear.
        #[arg(long)]
        show_sensitive: bool,
    },
    /// Forget resources without deleting them.
    Rm {
        #[command(flatten)]
        stack: StackArgs,
        #[arg(required = true)]
        addresses: Vec<String>,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Seal the state's secrets with `[backend] encryption`'s KMS key (or
    /// again with a new key), as a new version.
    Encrypt {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Write the state's secrets back in clear, as a new version.
    Decrypt {
        #[command(flatten)]
        stack: StackArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Record a resource under another address (after renaming it in config).
    Mv {
        #[command(flatten)]
        stack: StackArgs,
        from: String,
        to: String,
        #[command(flatten)]
        lock: LockArgs,
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

#[derive(Subcommand)]
pub enum BackendCommand {
    /// Create the S3 state bucket with versioning, encryption, no public
    /// access and lock-version expiry; safe to run again.
    Bootstrap {
        #[command(flatten)]
        stack: StackArgs,
        /// Make state versions undeletable for this many days (S3 Object
        /// Lock default retention; cannot be turned off once on).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i32).range(1..=36500))]
        object_lock_days: Option<i32>,
        /// Who can remove a locked version before its retention ends:
        /// `governance` (the default: principals granted
        /// s3:BypassGovernanceRetention) or `compliance` (nobody, not even
        /// the root user).
        #[arg(long, value_name = "MODE", requires = "object_lock_days", value_parser = ["governance", "compliance"])]
        object_lock_mode: Option<String>,
    },
    /// Copy the state from another backend into the configured one, keeping
    /// lineage and serial.
    Migrate {
        #[command(flatten)]
        stack: StackArgs,
        /// Where the state is now: `local` (the default local path for this
        /// stack and env), `local:PATH`, or `s3://BUCKET/KEY`.
        #[arg(long)]
        from: String,
        #[command(flatten)]
        lock: LockArgs,
    },
}
