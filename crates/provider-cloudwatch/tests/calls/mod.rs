//! Counts the AWS calls a piece of code makes, by operation, from the
//! per-call debug event every cairn client emits (`cairn::aws`, "aws call").

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    /// The calls made since the last `take`, by operation.
    pub fn take(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for op in std::mem::take(&mut *self.0.lock().unwrap()) {
            *out.entry(op).or_default() += 1;
        }
        out
    }
}

struct Operation(Option<String>);

impl Visit for Operation {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "operation" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "operation" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: Subscriber> Layer<S> for Calls {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "cairn::aws" {
            return;
        }
        let mut op = Operation(None);
        event.record(&mut op);
        if let Some(op) = op.0 {
            self.0.lock().unwrap().push(op);
        }
    }
}

/// Counts the calls made on this thread (a current-thread tokio test)
/// while the guard lives.
pub fn count() -> (Calls, tracing::subscriber::DefaultGuard) {
    let calls = Calls::default();
    let subscriber = tracing_subscriber::registry().with(calls.clone());
    (calls, tracing::subscriber::set_default(subscriber))
}
