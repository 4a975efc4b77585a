//! Admission of plugin calls: each tenant (and each plugin within it) runs a bounded number of
//! calls at once, waiting calls are served fairly across tenants, and a tenant over its share
//! waits in its own queue or is turned away, never another tenant.
//!
//! Why: the cores are shared by every tenant's plugins. Without admission, 32 looping calls of
//! one tenant took every slot and every core, and another tenant's unrelated plugin waited
//! seconds behind them. Here a tenant holds at most `tenant_running` running calls (an
//! instance in use counts as one, warm ones included) and `plugin_running` per plugin; its
//! further calls wait in its queue, up to `tenant_waiting` of them and `max_wait` long, and
//! beyond that get [`Busy`] (the API answers 429 with `Retry-After`). When a call ends, the
//! next one admitted comes from the next tenant in turn that has a call it may run, so a
//! tenant with a long queue takes one turn like a tenant with one call.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::long_calls::LongCalls;

/// Limits of [`Admission`]; see the module documentation.
#[derive(Clone, Debug)]
pub struct AdmissionLimits {
    /// Calls running at once, all tenants together.
    pub running: usize,
    /// Calls of one tenant running at once.
    pub tenant_running: usize,
    /// Calls of one plugin of a tenant running at once.
    pub plugin_running: usize,
    /// Calls of one tenant waiting for a turn; more are refused at once.
    pub tenant_waiting: usize,
    /// How long a call waits for its turn before it is refused.
    pub max_wait: Duration,
    /// Calls of one tenant running at once once they are long (`long_calls.rs`).
    pub tenant_long_running: usize,
    /// CPU time after which a call is long.
    pub long_after: Duration,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            running: 32,
            tenant_running: 4,
            plugin_running: 4,
            tenant_waiting: 32,
            max_wait: Duration::from_secs(5),
            tenant_long_running: 3,
            long_after: Duration::from_millis(10),
        }
    }
}

/// A call refused because its tenant (or plugin) is over its share: try again after
/// `retry_after`.
#[derive(Debug, Clone)]
pub struct Busy {
    /// What was full, for the message: "its tenant's queue", "the wait for a turn".
    pub reason: &'static str,
    pub retry_after: Duration,
}

/// "its tenant's queue is full; try again in 1 s": the end of every message about a refused
/// call, whoever refused it.
impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.retry_after.as_secs().max(1);
        write!(f, "{}; try again in {secs} s", self.reason)
    }
}

/// Counts and queues, behind one lock (held for a few map operations, never across an await).
#[derive(Default)]
struct State {
    running: usize,
    tenants: HashMap<String, Tenant>,
    /// Tenants with waiting calls, in the order they take turns.
    turns: VecDeque<String>,
    next_waiter: u64,
}

#[derive(Default)]
struct Tenant {
    running: usize,
    plugins: HashMap<String, usize>,
    waiting: VecDeque<Waiter>,
}

struct Waiter {
    id: u64,
    plugin: String,
    grant: oneshot::Sender<Ticket>,
}

/// The admission of one runtime. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Admission {
    limits: Arc<AdmissionLimits>,
    state: Arc<Mutex<State>>,
    /// Turns of the tenants' long calls, once admitted.
    pub long: Arc<LongCalls>,
}

/// A running call's place: released (and the next call admitted) when dropped.
pub(crate) struct Ticket {
    admission: Admission,
    tenant: String,
    plugin: String,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.release(&self.tenant, &self.plugin);
    }
}

impl Admission {
    pub fn new(limits: AdmissionLimits) -> Admission {
        Admission {
            long: Arc::new(LongCalls::new(
                limits.tenant_long_running,
                limits.long_after,
            )),
            limits: Arc::new(limits),
            state: Arc::default(),
        }
    }

    /// A place for one call of `plugin` of `tenant`: at once when the tenant is under its
    /// share and nobody of its own waits ahead, else after waiting its turn.
    pub async fn admit(&self, tenant: &str, plugin: &str) -> Result<Ticket, Busy> {
        let receiver = {
            let mut state = self.state.lock().expect("not poisoned");
            let limits = &*self.limits;
            let global_free = state.running < limits.running;
            let t = state.tenants.entry(tenant.to_string()).or_default();
            let own_free = t.running < limits.tenant_running
                && t.plugins.get(plugin).copied().unwrap_or(0) < limits.plugin_running;
            if global_free && own_free && t.waiting.is_empty() {
                return Ok(self.take(&mut state, tenant, plugin));
            }
            if t.waiting.len() >= limits.tenant_waiting {
                return Err(Self::queue_full());
            }
            let (grant, receiver) = oneshot::channel();
            let id = state.next_waiter;
            state.next_waiter += 1;
            let t = state.tenants.get_mut(tenant).expect("just made");
            let first = t.waiting.is_empty();
            t.waiting.push_back(Waiter {
                id,
                plugin: plugin.to_string(),
                grant,
            });
            if first {
                state.turns.push_back(tenant.to_string());
            }
            // Its turn may be now (a place is free and only others' plugins were full).
            let refused = self.dispatch(&mut state);
            let waiting = Waiting {
                admission: self,
                tenant,
                id,
                receiver,
            };
            (waiting, refused)
        };
        let (waiting, refused) = receiver;
        drop(refused);
        waiting.wait(self.limits.max_wait).await
    }

    /// The refusal a call of `tenant` would get now because its queue is full, if so. Cheap
    /// (one lock, no waiting): callers check it before any work of their own for the call
    /// (authentication aside), so that a tenant flooding its share is turned away for the
    /// price of a map look-up. It reserves nothing: [`Admission::admit`] decides for real.
    pub fn refusal(&self, tenant: &str) -> Option<Busy> {
        let state = self.state.lock().expect("not poisoned");
        let t = state.tenants.get(tenant)?;
        (t.waiting.len() >= self.limits.tenant_waiting).then(Self::queue_full)
    }

    fn queue_full() -> Busy {
        Busy {
            reason: "its tenant's queue of waiting calls is full",
            retry_after: Duration::from_secs(1),
        }
    }

    /// Counts a call as running and makes its ticket (the lock is held).
    fn take(&self, state: &mut State, tenant: &str, plugin: &str) -> Ticket {
        state.running += 1;
        let t = state.tenants.entry(tenant.to_string()).or_default();
        t.running += 1;
        *t.plugins.entry(plugin.to_string()).or_default() += 1;
        Ticket {
            admission: self.clone(),
            tenant: tenant.to_string(),
            plugin: plugin.to_string(),
        }
    }

    fn release(&self, tenant: &str, plugin: &str) {
        let refused = {
            let mut state = self.state.lock().expect("not poisoned");
            state.running -= 1;
            if let Some(t) = state.tenants.get_mut(tenant) {
                t.running -= 1;
                if let Some(n) = t.plugins.get_mut(plugin) {
                    *n -= 1;
                    if *n == 0 {
                        t.plugins.remove(plugin);
                    }
                }
                if t.running == 0 && t.waiting.is_empty() {
                    state.tenants.remove(tenant);
                }
            }
            self.dispatch(&mut state)
        };
        // Tickets whose waiter gave up meanwhile: released outside the lock.
        drop(refused);
    }

    /// Admits waiting calls while there is room, one per tenant in turn. Answers the tickets
    /// whose waiter is gone, to be dropped once the lock is released.
    fn dispatch(&self, state: &mut State) -> Vec<Ticket> {
        let mut refused = Vec::new();
        let mut passed = 0;
        while state.running < self.limits.running && passed < state.turns.len() {
            let tenant = state.turns.pop_front().expect("checked");
            let limits = &*self.limits;
            let t = state
                .tenants
                .get_mut(&tenant)
                .expect("a tenant in turn exists");
            // The first waiting call this tenant may run now (its plugin under its share).
            let eligible = (t.running < limits.tenant_running)
                .then(|| {
                    t.waiting.iter().position(|w| {
                        t.plugins.get(&w.plugin).copied().unwrap_or(0) < limits.plugin_running
                    })
                })
                .flatten();
            let Some(index) = eligible else {
                state.turns.push_back(tenant);
                passed += 1;
                continue;
            };
            passed = 0;
            let waiter = t.waiting.remove(index).expect("found");
            if !t.waiting.is_empty() {
                state.turns.push_back(tenant.clone());
            }
            let ticket = self.take(state, &tenant, &waiter.plugin);
            if let Err(ticket) = waiter.grant.send(ticket) {
                refused.push(ticket);
            }
        }
        refused
    }

    /// Removes a waiter that gave up (timed out or was cancelled), if still waiting.
    fn forget(&self, tenant: &str, id: u64) {
        let mut guard = self.state.lock().expect("not poisoned");
        let state = &mut *guard;
        let Some(t) = state.tenants.get_mut(tenant) else {
            return;
        };
        let Some(index) = t.waiting.iter().position(|w| w.id == id) else {
            return;
        };
        t.waiting.remove(index);
        if t.waiting.is_empty() {
            state.turns.retain(|name| name != tenant);
            if t.running == 0 {
                state.tenants.remove(tenant);
            }
        }
    }
}

/// A call waiting for its turn; leaves the queue if it is dropped first.
struct Waiting<'a> {
    admission: &'a Admission,
    tenant: &'a str,
    id: u64,
    receiver: oneshot::Receiver<Ticket>,
}

impl Waiting<'_> {
    async fn wait(mut self, max_wait: Duration) -> Result<Ticket, Busy> {
        match tokio::time::timeout(max_wait, &mut self.receiver).await {
            Ok(Ok(ticket)) => Ok(ticket),
            // Timed out (or the admission went away): leave the queue; a ticket granted at
            // that very moment is in the channel and is released when it is dropped.
            _ => Err(Busy {
                reason: "no turn came within the longest wait",
                retry_after: Duration::from_secs(1),
            }),
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.admission.forget(self.tenant, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime's and the host's refusals end alike: what was full, and when to come back
    /// (at least 1 s, as `Retry-After` says).
    #[test]
    fn a_refusal_says_what_was_full_and_when_to_come_back() {
        let busy = Busy {
            reason: "its tenant's queue is full",
            retry_after: Duration::from_millis(300),
        };
        assert_eq!(
            busy.to_string(),
            "its tenant's queue is full; try again in 1 s"
        );
    }

    fn limits() -> AdmissionLimits {
        AdmissionLimits {
            running: 3,
            tenant_running: 2,
            plugin_running: 2,
            tenant_waiting: 2,
            max_wait: Duration::from_millis(200),
            ..AdmissionLimits::default()
        }
    }

    #[tokio::test]
    async fn a_tenant_over_its_share_waits_then_is_refused_while_others_run() {
        let admission = Admission::new(limits());
        let a1 = admission.admit("a", "p").await.unwrap();
        let _a2 = admission.admit("a", "p").await.unwrap();
        // A's third and fourth calls wait; its fifth is refused at once.
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let admission = admission.clone();
                tokio::spawn(async move { admission.admit("a", "p").await.map(|_| ()) })
            })
            .collect();
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let refused = admission.admit("a", "p").await.err().unwrap();
        assert!(refused.reason.contains("queue"), "{}", refused.reason);
        // The cheap check says so before any call is tried, for A only.
        assert!(admission.refusal("a").is_some());
        assert!(admission.refusal("b").is_none());
        // B runs meanwhile.
        let b = admission.admit("b", "q").await.unwrap();
        drop(b);
        drop(a1);
        // A's waiting calls take the freed places in turn (each ends at once).
        let outcomes: Vec<_> = outcomes(waiting).await;
        assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 2);
        assert!(admission.refusal("a").is_none());
    }

    async fn outcomes(handles: Vec<tokio::task::JoinHandle<Result<(), Busy>>>) -> Vec<bool> {
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap().is_ok());
        }
        out
    }

    #[tokio::test]
    async fn freed_places_go_to_tenants_in_turn() {
        let admission = Admission::new(AdmissionLimits {
            running: 1,
            tenant_running: 1,
            plugin_running: 1,
            tenant_waiting: 10,
            max_wait: Duration::from_secs(5),
            ..AdmissionLimits::default()
        });
        let first = admission.admit("a", "p").await.unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut handles = Vec::new();
        // A queues three calls, then B one: B is served second, not fourth.
        for tenant in ["a", "a", "a", "b"] {
            let (admission, order) = (admission.clone(), order.clone());
            handles.push(tokio::spawn(async move {
                let ticket = admission.admit(tenant, "p").await.unwrap();
                order.lock().unwrap().push(tenant);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(ticket);
            }));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(first);
        for h in handles {
            h.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec!["a", "b", "a", "a"]);
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_the_queue_and_counts_stay_right() {
        let admission = Admission::new(limits());
        let a1 = admission.admit("a", "p").await.unwrap();
        let a2 = admission.admit("a", "p").await.unwrap();
        let waiting = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.admit("a", "p").await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        waiting.abort();
        let _ = waiting.await;
        drop((a1, a2));
        let state = admission.state.lock().unwrap();
        assert_eq!(state.running, 0);
        assert!(state.tenants.is_empty() && state.turns.is_empty());
    }
}
