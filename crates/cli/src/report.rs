//! Turns every kind of failure into what the user reads on stderr, and the
//! exit code that goes with it.

use cairn_engine::{EngineError, OperationError};
use cairn_lang::{Diagnostics, SourceMap};
use cairn_state::StateError;

use crate::exit;

pub enum Failure {
    /// Problems in the stack files, all of them.
    Diagnostics(Diagnostics),
    Engine(EngineError, SourceMap),
    State(StateError),
    /// Wrong use of the command line or a refused confirmation.
    Usage(String),
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Self {
        Failure::State(e)
    }
}

impl Failure {
    pub fn report(self) -> i32 {
        match self {
            Failure::Diagnostics(d) => {
                eprint!("{}", d.render());
                exit::ERROR
            }
            Failure::Engine(e, sources) => {
                match e {
                    EngineError::Config(items) => {
                        eprint!("{}", Diagnostics { sources, items }.render())
                    }
                    EngineError::Operations(errors) => {
                        for e in &errors {
                            eprint!("{}", operation_error(e));
                        }
                    }
                    other => eprintln!("error: {other}"),
                }
                exit::ERROR
            }
            Failure::State(e) => {
                let code = if matches!(e, StateError::Locked(_)) {
                    exit::LOCKED
                } else {
                    exit::ERROR
                };
                eprintln!("error: {e}");
                if let StateError::Locked(info) = &e {
                    eprintln!("   = hint: wait for it to finish; if its holder is gone, release it with `cairn state unlock {}`", info.id);
                }
                code
            }
            Failure::Usage(m) => {
                eprintln!("error: {m}");
                exit::ERROR
            }
        }
    }
}

/// `error: aws_vpc.main: ec2:CreateVpc failed: VpcLimitExceeded: ...`, with
/// what to do about it.
pub fn operation_error(e: &OperationError) -> String {
    let mut s = format!(
        "error: {} of {} failed\n   = operation: {}\n   = code: {}\n   = message: {}\n",
        e.action, e.address, e.error.operation, e.error.code, e.error.message
    );
    if e.error.partial.is_some() {
        s.push_str("   = note: the resource was created and is recorded in state as tainted; the next apply replaces it\n");
    }
    if e.error.retryable {
        s.push_str("   = hint: this error is transient; running apply again may succeed\n");
    }
    s
}
