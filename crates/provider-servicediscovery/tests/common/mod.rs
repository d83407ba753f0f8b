//! Counting the AWS calls a provider makes: the `aws call` lines cairn's
//! call logger writes (one per call), by operation.

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

    /// The operations since the last `take`, sorted.
    pub fn take(&self) -> Vec<String> {
        let mut ops = std::mem::take(&mut *self.0.lock().unwrap());
        ops.sort();
        ops
    }
}

struct Operation(Option<String>);

impl Visit for Operation {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "operation" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: Subscriber> Layer<S> for Calls {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
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
