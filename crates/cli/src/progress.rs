//! Apply progress lines, in the wording Terraform users know:
//! `aws_vpc.main: Creating...`, `Still creating... [10s elapsed]`,
//! `Creation complete after 2s [id=vpc-0abc]`.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use cairn_engine::apply::{ApplyEvent, EventSink, OpKind};

pub fn printer() -> EventSink {
    Arc::new(|e: ApplyEvent| {
        let line = match e {
            ApplyEvent::Started { address, op } => format!("{address}: {}...", op.progressive()),
            ApplyEvent::StillRunning {
                address,
                op,
                elapsed,
            } => {
                format!(
                    "{address}: Still {}... [{} elapsed]",
                    op.progressive().to_lowercase(),
                    human(elapsed)
                )
            }
            ApplyEvent::Finished {
                address,
                op,
                elapsed,
                id,
            } => {
                let id = id
                    .filter(|_| op != OpKind::Delete)
                    .map(|i| format!(" [id={i}]"))
                    .unwrap_or_default();
                format!(
                    "{address}: {} complete after {}{id}",
                    noun(op),
                    human(elapsed)
                )
            }
            ApplyEvent::Failed {
                address,
                op,
                elapsed,
            } => format!("{address}: {} failed after {}", noun(op), human(elapsed)),
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    })
}

fn noun(op: OpKind) -> &'static str {
    match op {
        OpKind::Create => "Creation",
        OpKind::Update => "Modifications",
        OpKind::Delete => "Destruction",
    }
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}
