//! Apply progress lines, in the wording Terraform users know:
//! `aws_vpc.main: Creating...`, `Still creating... [10s elapsed]`,
//! `Creation complete after 2s [id=vpc-0abc]`; on a terminal, with a live
//! bar of operations done out of the total underneath.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
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
        print_line(shared.as_ref(), &line(e));
        if let (true, Some(bar)) = (done, &shared) {
            bar.inc(1);
        }
    });
    (sink, bar)
}

/// A line above the bar, or on stdout.
pub fn print_line(bar: Option<&ProgressBar>, line: &str) {
    match bar {
        Some(bar) => bar.println(line),
        None => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }
}

/// Until finished, every few seconds: a line naming the services that
/// answered with throttling since the last one, so a slow apply or refresh
/// says that it is waiting on AWS's request limits.
pub struct ThrottleWatch {
    task: tokio::task::JoinHandle<()>,
    total: Arc<Mutex<BTreeMap<String, u64>>>,
}

pub fn watch_throttling(print: impl Fn(&str) + Send + 'static) -> ThrottleWatch {
    const EVERY: Duration = Duration::from_secs(5);
    cairn_aws::take_throttled();
    let total = Arc::new(Mutex::new(BTreeMap::new()));
    let sum = total.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let seen = add(&sum, cairn_aws::take_throttled());
            if let Some(line) = throttling_line(&seen, &format!("in the last {}", human(EVERY))) {
                print(&format!(
                    "{line}; each call is retried after a backoff and the request rate is lowered."
                ));
            }
        }
    });
    ThrottleWatch { task, total }
}

impl ThrottleWatch {
    /// Stops watching; on stderr, how many calls AWS throttled in all.
    pub fn finish(self) {
        self.task.abort();
        add(&self.total, cairn_aws::take_throttled());
        let total = self.total.lock().map(|t| t.clone()).unwrap_or_default();
        if let Some(line) = throttling_line(&total, "in all") {
            eprintln!("{line}; every one was retried.");
        }
    }
}

/// Adds `seen` to the running total; returns `seen`.
fn add(total: &Mutex<BTreeMap<String, u64>>, seen: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    if let Ok(mut total) = total.lock() {
        for (service, n) in &seen {
            *total.entry(service.clone()).or_default() += n;
        }
    }
    seen
}

fn throttling_line(seen: &BTreeMap<String, u64>, when: &str) -> Option<String> {
    if seen.is_empty() {
        return None;
    }
    let services: Vec<String> = seen
        .iter()
        .map(|(service, n)| format!("{service} ({n} call(s))"))
        .collect();
    Some(format!("AWS throttled {} {when}", services.join(", ")))
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
