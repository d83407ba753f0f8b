//! A cap on one service's calls in flight that adapts to throttling:
//! halved (down to one) when AWS throttles, at most once a second, and
//! raised by one after as many successes as the current cap, up to the
//! configured maximum (additive increase, multiplicative decrease, as TCP
//! does for a congested link).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

#[derive(Debug)]
pub(crate) struct Gate {
    max: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    successes: usize,
    last_cut: Option<Instant>,
}

/// Held for one call; dropping it lets the next one in.
pub(crate) struct Pass<'a>(&'a Gate);

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.0.state().in_flight -= 1;
        self.0.freed.notify_one();
    }
}

impl Gate {
    pub(crate) fn new(max: usize) -> Self {
        let max = max.max(1);
        Gate {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                successes: 0,
                last_cut: None,
            }),
            freed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until fewer than the current cap are in flight.
    pub(crate) async fn enter(&self) -> Pass<'_> {
        loop {
            // Registered before the check, so a pass dropped in between
            // still wakes this one.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut s = self.state();
                if s.in_flight < s.limit {
                    s.in_flight += 1;
                    return Pass(self);
                }
            }
            freed.await;
        }
    }

    pub(crate) fn throttled(&self) {
        let mut s = self.state();
        let now = Instant::now();
        if s.last_cut.is_some_and(|t| now - t < Duration::from_secs(1)) {
            return;
        }
        s.limit = (s.limit / 2).max(1);
        s.successes = 0;
        s.last_cut = Some(now);
        tracing::debug!(target: "cairn::aws", limit = s.limit, "calls in flight cut after throttling");
    }

    pub(crate) fn succeeded(&self) {
        let raised = {
            let mut s = self.state();
            if s.limit >= self.max {
                return;
            }
            s.successes += 1;
            if s.successes < s.limit {
                return;
            }
            s.successes = 0;
            s.limit += 1;
            true
        };
        if raised {
            self.freed.notify_one();
        }
    }

    #[cfg(test)]
    fn limit(&self) -> usize {
        self.state().limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn throttling_halves_the_cap_and_successes_raise_it_again() {
        let gate = Gate::new(8);
        gate.throttled();
        assert_eq!(gate.limit(), 4);
        gate.throttled();
        assert_eq!(gate.limit(), 4, "one cut a second at most");
        for _ in 0..4 {
            gate.succeeded();
        }
        assert_eq!(gate.limit(), 5);
        for _ in 0..100 {
            gate.succeeded();
        }
        assert_eq!(gate.limit(), 8, "never above the maximum");
    }

    #[tokio::test]
    async fn no_more_than_the_cap_is_in_flight() {
        let gate = Gate::new(2);
        let a = gate.enter().await;
        let _b = gate.enter().await;
        let third = tokio::time::timeout(Duration::from_millis(50), gate.enter()).await;
        assert!(third.is_err(), "a third call waits");
        drop(a);
        let third = tokio::time::timeout(Duration::from_millis(50), gate.enter()).await;
        assert!(third.is_ok(), "and enters when one leaves");
    }
}
