//! Apply progress lines, in the wording Terraform users know:
//! `aws_vpc.main: Creating...`, `Still creating... [10s elapsed]`,
//! `Creation complete after 2s [id=vpc-0abc]`; on a terminal, with a live
//! bar of operations done out of the total underneath.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use cairn_engine::apply::{ApplyEvent, EventSink, OpKind};
use indicatif::{ProgressBar, ProgressStyle};

/// The event printer, and the bar to clear when the apply ends (only on a
/// terminal; plain lines otherwise).
pub fn printer(total_operations: usize) -> (EventSink, Option<ProgressBar>) {
    let bar = std::io::stdout().is_terminal().then(|| {
        let bar = ProgressBar::new(total_operations as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} operations [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    });
    let shared = bar.clone();
    let sink: EventSink = Arc::new(move |e: ApplyEvent| {
        let done = matches!(e, ApplyEvent::Finished { .. } | ApplyEvent::Failed { .. });
        let line = line(e);
        match &shared {
            Some(bar) => {
                bar.println(line);
                if done {
                    bar.inc(1);
                }
            }
            None => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    });
    (sink, bar)
}

fn line(e: ApplyEvent) -> String {
    {
        let line = match e {
            ApplyEvent::Started { address, op } => format!("{address}: {}...", op.progressive()),
            ApplyEvent::StillRunning {
                address,
                op,
                elapsed,
                waiting_for,
            } => {
                let mut line = format!(
                    "{address}: Still {}... [{} elapsed]",
                    op.progressive().to_lowercase(),
                    human(elapsed)
                );
                if let Some(w) = waiting_for {
                    line.push(' ');
                    line.push_str(&w);
                }
                line
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
        line
    }
}

fn noun(op: OpKind) -> &'static str {
    match op {
        OpKind::Create => "Creation",
        OpKind::Update => "Modifications",
        OpKind::Delete => "Destruction",
        OpKind::Read => "Read",
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
