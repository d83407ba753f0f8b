//! Exit codes, the same for every command (docs/cli.md).

/// Success; with `--detailed-exitcode`, success with no changes.
pub const OK: i32 = 0;
/// Any error: bad input, AWS failures, refused confirmation.
pub const ERROR: i32 = 1;
/// `--detailed-exitcode`: the plan has changes.
pub const CHANGES: i32 = 2;
/// A deny gate refused the plan.
pub const DENIED: i32 = 3;
/// The state is locked by someone else.
pub const LOCKED: i32 = 4;
/// Interrupted (Ctrl-C) after saving state.
pub const INTERRUPTED: i32 = 130;
