//! Counting the AWS calls a piece of provider code makes, by operation,
//! from the per-call debug event every cairn client emits (`cairn::aws`,
//! "aws call"): how tests prove that reads are batched.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    /// Counts the calls made on this thread (a `#[tokio::test]` runs on
    /// one) until the guard is dropped.
    pub fn start() -> (Calls, DefaultGuard) {
        let calls = Calls::default();
        let subscriber = tracing_subscriber::registry().with(calls.clone());
        (calls, tracing::subscriber::set_default(subscriber))
    }

    /// The calls made since the last `take`, by operation.
    pub fn take(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for op in std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner())) {
            *out.entry(op).or_default() += 1;
        }
        out
    }
}

/// An expected count by operation, to compare with [`Calls::take`].
pub fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(op, n)| (op.to_string(), *n)).collect()
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
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(op);
        }
    }
}
