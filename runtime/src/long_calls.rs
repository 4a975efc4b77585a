//! Long calls: a tenant's calls that have used more than a few milliseconds of CPU take turns
//! for fewer threads than the tenant's share.
//!
//! Why: admission (`admission.rs`) lets a tenant run as many calls as there are plugin threads,
//! so that calls waiting on a vendor do not hold each other up. But when those calls loop,
//! they fill every thread, and every other tenant's call waits for a time slice behind them
//! (a 2 to 7 times higher p99 in the fairness bench). Limiting a tenant's or a plugin's running
//! calls to one less than the threads fixed that but serialised calls that only wait on their
//! vendor. Here the limit applies only to calls that have shown they are CPU-bound: once a
//! call has used `long_after` of CPU (checked at every epoch tick), it needs one of its
//! tenant's `tenant_long_running` turns to go on; without one it is parked (no CPU, its meter
//! still) until one of the tenant's long calls ends. Short calls, and calls waiting on I/O,
//! never take a turn. A call keeps its turn until it ends, whatever it does meanwhile; no
//! capability calls a plugin, so a call holding a turn never waits on another call of its
//! tenant.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The turns of every tenant (one gate per tenant, shared by its installations).
pub(crate) struct LongCalls {
    limit: usize,
    after: Duration,
    tenants: Mutex<HashMap<String, Weak<Turns>>>,
}

/// One tenant's turns.
struct Turns {
    semaphore: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// What an installation holds: its tenant's turns and the CPU after which a call is long.
#[derive(Clone)]
pub(crate) struct LongGate {
    turns: Arc<Turns>,
    after: Duration,
}

/// A call's turn, once it has one (a new one for every call).
pub(crate) type Turn = Arc<OnceLock<OwnedSemaphorePermit>>;

/// A tenant's long calls: running with a turn, and parked waiting for one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LongCallCounts {
    pub running: usize,
    pub waiting: usize,
}

impl LongCalls {
    pub fn new(limit: usize, after: Duration) -> LongCalls {
        LongCalls {
            limit: limit.max(1),
            after,
            tenants: Mutex::default(),
        }
    }

    /// The gate of `tenant`'s calls (the same for all its installations while any lives).
    pub fn gate(&self, tenant: &str) -> LongGate {
        let mut tenants = self.tenants.lock().expect("not poisoned");
        if let Some(turns) = tenants.get(tenant).and_then(Weak::upgrade) {
            return LongGate {
                turns,
                after: self.after,
            };
        }
        tenants.retain(|_, t| t.strong_count() > 0);
        let turns = Arc::new(Turns {
            semaphore: Arc::new(Semaphore::new(self.limit)),
            waiting: AtomicUsize::new(0),
        });
        tenants.insert(tenant.to_string(), Arc::downgrade(&turns));
        LongGate {
            turns,
            after: self.after,
        }
    }

    /// `tenant`'s long calls now.
    pub fn counts(&self, tenant: &str) -> LongCallCounts {
        let tenants = self.tenants.lock().expect("not poisoned");
        match tenants.get(tenant).and_then(Weak::upgrade) {
            Some(t) => LongCallCounts {
                running: self.limit - t.semaphore.available_permits(),
                waiting: t.waiting.load(Ordering::Relaxed),
            },
            None => LongCallCounts::default(),
        }
    }
}

impl LongGate {
    /// At an epoch tick of a call that has used `used` of CPU and holds `turn`, if it is long
    /// and has no turn: the wait for one (the turn is taken at once when free).
    pub fn wait_for_turn(
        &self,
        used: Duration,
        turn: &Turn,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        if used < self.after || turn.get().is_some() {
            return None;
        }
        let semaphore = self.turns.semaphore.clone();
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            let _ = turn.set(permit);
            return None;
        }
        let (turns, turn) = (self.turns.clone(), turn.clone());
        turns.waiting.fetch_add(1, Ordering::Relaxed);
        let waiting = Waiting(turns);
        Some(Box::pin(async move {
            let _waiting = waiting;
            // Never closed: the semaphore lives as long as the gate.
            if let Ok(permit) = semaphore.acquire_owned().await {
                let _ = turn.set(permit);
            }
        }))
    }
}

/// Counts a parked call as waiting until it gets its turn or is dropped (timed out).
struct Waiting(Arc<Turns>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_long_call_waits_for_a_turn_and_a_short_one_never_does() {
        let calls = LongCalls::new(1, Duration::from_millis(10));
        let gate = calls.gate("a");
        let (first, second): (Turn, Turn) = Default::default();
        // Short: no turn needed.
        assert!(
            gate.wait_for_turn(Duration::from_millis(9), &first)
                .is_none()
        );
        assert!(first.get().is_none());
        // Long, a turn free: taken at once.
        assert!(
            gate.wait_for_turn(Duration::from_millis(10), &first)
                .is_none()
        );
        assert!(first.get().is_some());
        // Another long call of the same tenant waits until the first ends.
        let wait = gate
            .wait_for_turn(Duration::from_millis(50), &second)
            .expect("waits");
        let wait = tokio::spawn(wait);
        tokio::task::yield_now().await;
        assert_eq!(
            calls.counts("a"),
            LongCallCounts {
                running: 1,
                waiting: 1
            }
        );
        // Another tenant is not held up.
        let other: Turn = Default::default();
        assert!(
            calls
                .gate("b")
                .wait_for_turn(Duration::from_secs(1), &other)
                .is_none()
        );
        drop(first);
        wait.await.unwrap();
        assert!(second.get().is_some());
        assert_eq!(
            calls.counts("a"),
            LongCallCounts {
                running: 1,
                waiting: 0
            }
        );
        drop(second);
        assert_eq!(calls.counts("a").running, 0);
    }
}
