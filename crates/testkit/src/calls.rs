//! Counting the AWS calls a piece of provider code makes, by operation,
//! from the per-call debug event every cairn client emits (`cairn::aws`,
//! "aws call"): how tests prove that reads are batched.
//!
//! One process-wide subscriber routes each event to the counter its thread
//! started. A subscriber set per thread (`set_default`) lost events when
//! other tests of the same binary ran in parallel: tracing caches each
//! call site's interest across all threads' subscribers, and a thread
//! without one could leave the cache saying "never".

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

thread_local! {
    static COUNTING: RefCell<Option<Calls>> = const { RefCell::new(None) };
}

/// Counting stops when this is dropped (on the thread that started it).
pub struct Guard {
    /// Set only when the process already had another global subscriber:
    /// then this thread gets its own, with the weakness described above.
    _scoped: Option<DefaultGuard>,
    _thread_bound: PhantomData<*const ()>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        COUNTING.with(|c| c.borrow_mut().take());
    }
}

impl Calls {
    /// Counts the calls made on this thread (a `#[tokio::test]` runs on
    /// one) until the guard is dropped.
    pub fn start() -> (Calls, Guard) {
        static GLOBAL: OnceLock<bool> = OnceLock::new();
        let global = *GLOBAL.get_or_init(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Router))
                .is_ok()
        });
        let calls = Calls::default();
        COUNTING.with(|c| *c.borrow_mut() = Some(calls.clone()));
        let scoped = (!global)
            .then(|| tracing::subscriber::set_default(tracing_subscriber::registry().with(Router)));
        (
            calls,
            Guard {
                _scoped: scoped,
                _thread_bound: PhantomData,
            },
        )
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

/// Hands each `cairn::aws` event to the counter of the thread it happens on.
struct Router;

impl<S: Subscriber> Layer<S> for Router {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "cairn::aws" {
            return;
        }
        let mut op = Operation(None);
        event.record(&mut op);
        let Some(op) = op.0 else { return };
        COUNTING.with(|c| {
            if let Some(calls) = &*c.borrow() {
                calls.0.lock().unwrap_or_else(|e| e.into_inner()).push(op);
            }
        });
    }
}
