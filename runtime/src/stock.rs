//! Pre-instantiation: a small per-installation stock of never-used instances.
//!
//! Why: instantiating a component (pool slot reset, several core instances,
//! vmctx and import setup) is most of a fresh-instance hook call, and dropping
//! the used store (returning pool slots, memset of the resident pages) costs
//! too. A background task per installation keeps `target` instances ready,
//! so a one-shot call only pops one, calls it once and hands it back to the
//! task to be dropped: every call still runs on an instance no other call has
//! touched, but instantiation and teardown happen off the call's critical
//! path, while the machine is otherwise idle.
//!
//! Invariants:
//! * an instance leaves the stock at most once (`pop` under the lock) and is
//!   never put back: used instances go to `retired` and are only dropped;
//! * each stocked instance holds a permit of the runtime's global stock
//!   semaphore (pool slots: running calls + stock < `max_instances`); when it
//!   is popped the call swaps it for a call permit;
//! * per-call limits are not baked in at instantiation: the CPU meter
//!   and epoch deadline are reset when the hook call starts, the wall-clock
//!   timeout wraps the call, the memory cap is the installation's limiter;
//! * the stock belongs to one `Installation` (one `InstancePre`: plugin
//!   version x tenant x grants), so a new installation never sees it; when the
//!   last clone of the installation is dropped the stock is dropped (pool
//!   slots and stock permits returned) and the task exits.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::plugin::{Core, Instance};

/// Counters of one installation's stock (see [`crate::Installation::stock_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StockStats {
    /// Instances the installation tries to keep ready.
    pub target: usize,
    /// Instances ready right now.
    pub ready: usize,
    /// Fresh instances served from the stock.
    pub hits: u64,
    /// Fresh instances instantiated inline because the stock was empty.
    pub misses: u64,
    /// Instances the background task instantiated for the stock.
    pub prewarmed: u64,
    /// Instantiations for the stock that failed (retried after a pause, see `refill`).
    pub failures: u64,
}

struct Shared {
    target: usize,
    ready: Mutex<Vec<Instance>>,
    /// Used instances waiting for the task to drop them.
    retired: Mutex<Vec<Instance>>,
    wake: Notify,
    closed: AtomicBool,
    /// A refill task is alive (set by `ensure_started`, cleared when it exits).
    running: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    prewarmed: AtomicU64,
    failures: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Owned by an `Installation` (shared by its clones); dropping the last one
/// releases the stock.
pub(crate) struct Stock {
    shared: Arc<Shared>,
    core: Core,
}

impl Stock {
    pub fn new(core: Core, target: usize) -> Self {
        let stock = Stock {
            shared: Arc::new(Shared {
                target,
                ready: Mutex::new(Vec::with_capacity(target)),
                retired: Mutex::new(Vec::new()),
                wake: Notify::new(),
                closed: AtomicBool::new(false),
                running: AtomicBool::new(false),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                prewarmed: AtomicU64::new(0),
                failures: AtomicU64::new(0),
            }),
            core,
        };
        stock.ensure_started();
        stock
    }

    /// Start the refill task on the current tokio runtime if none is running
    /// (install may happen outside tokio; a runtime may have shut down).
    pub fn ensure_started(&self) {
        if self.shared.running.load(Ordering::Acquire) {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self
            .shared
            .running
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            handle.spawn(refill(self.shared.clone(), self.core.clone()));
        }
    }

    /// Pop a never-used instance, if one is ready (and ask for a refill).
    pub fn take(&self) -> Option<Instance> {
        let inst = lock(&self.shared.ready).pop();
        let counter = match inst {
            Some(_) => &self.shared.hits,
            None => &self.shared.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        // Refill; after a miss this is also the retry of a refill that was
        // refused by the global cap or failed.
        self.shared.wake.notify_one();
        inst
    }

    /// Hand a used instance to the task to be dropped off the call path
    /// (inline if no task is running or `target` instances already wait).
    pub fn retire(&self, inst: Instance) {
        if !self.shared.running.load(Ordering::Acquire) {
            drop(inst);
            return;
        }
        let mut retired = lock(&self.shared.retired);
        if retired.len() >= self.shared.target {
            // The task is behind (calls faster than it can drop and refill,
            // or it has no thread to run on): drop here rather than let used
            // instances pile up holding call permits and pool slots.
            drop(retired);
            drop(inst);
            return;
        }
        retired.push(inst);
        drop(retired);
        self.shared.wake.notify_one();
    }

    pub fn stats(&self) -> StockStats {
        StockStats {
            target: self.shared.target,
            ready: lock(&self.shared.ready).len(),
            hits: self.shared.hits.load(Ordering::Relaxed),
            misses: self.shared.misses.load(Ordering::Relaxed),
            prewarmed: self.shared.prewarmed.load(Ordering::Relaxed),
            failures: self.shared.failures.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Stock {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
        let ready = std::mem::take(&mut *lock(&self.shared.ready));
        let retired = std::mem::take(&mut *lock(&self.shared.retired));
        drop(ready);
        drop(retired);
    }
}

/// Clears `running` when the task ends for any reason (including its tokio
/// runtime shutting down), so that later calls drop inline or restart it.
struct Running(Arc<Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Release);
        // Anything retired after the last drain: drop it now.
        drop(std::mem::take(&mut *lock(&self.0.retired)));
    }
}

/// The pause after a failed instantiation before the stock tries again (unless a call wakes it
/// first), doubling up to `RETRY_MAX` while it keeps failing.
const RETRY_FIRST: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(5);

async fn refill(shared: Arc<Shared>, core: Core) {
    let _running = Running(shared.clone());
    let mut retry = RETRY_FIRST;
    loop {
        if shared.closed.load(Ordering::SeqCst) {
            break;
        }
        let retired = std::mem::take(&mut *lock(&shared.retired));
        drop(retired);
        let missing = lock(&shared.ready).len() < shared.target;
        // Global cap reached: do not stock; a later call wakes us to retry.
        let permit = match missing {
            true => core.runtime.stock_permits.clone().try_acquire_owned().ok(),
            false => None,
        };
        if let Some(permit) = permit {
            match core.new_instance(permit, true).await {
                Ok(inst) => {
                    let stored = {
                        let mut ready = lock(&shared.ready);
                        if shared.closed.load(Ordering::SeqCst) {
                            Err(inst)
                        } else {
                            ready.push(inst);
                            Ok(())
                        }
                    };
                    if let Err(inst) = stored {
                        drop(inst);
                        break;
                    }
                    shared.prewarmed.fetch_add(1, Ordering::Relaxed);
                    retry = RETRY_FIRST;
                    // Let waiting calls run between two instantiations.
                    tokio::task::yield_now().await;
                    continue;
                }
                // A pool momentarily full, a budget reached while the machine was busy: try
                // again after a pause, or at the next call. The pauses double while it keeps
                // failing, so a component that cannot be instantiated costs an attempt every
                // few seconds, not a hot loop.
                Err(e) => {
                    shared.failures.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(plugin = %core.ctx.plugin, error = %e, "pre-instantiation failed");
                    tokio::select! {
                        _ = shared.wake.notified() => {}
                        _ = tokio::time::sleep(retry) => {}
                    }
                    retry = (retry * 2).min(RETRY_MAX);
                    continue;
                }
            }
        }
        shared.wake.notified().await;
    }
}
