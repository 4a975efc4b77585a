//! CPU time of each call, however many calls share the cores.
//!
//! Why: a plugin's CPU deadline must mean CPU time, however many calls share the cores and
//! however the system schedules their threads. Counting epoch ticks only approximates it: a call
//! is charged one tick for every epoch in which it ran at all, whatever CPU it got in it (a
//! call resumed only to yield pays a whole tick), so calls crowded on a thread are stopped
//! before their budget, and the count depends on when the system happened to run the thread.
//! The threads' CPU clocks are the measure itself. Reading one costs a system call (about 1 µs
//! here), too much for every poll of every call, so the reading happens off the call path:
//!
//! - every thread that polls a call registers itself once (its CPU clock id), and each poll
//!   marks the thread's slot with the call's [`CpuMeter`] while it runs (two uncontended
//!   lock operations, no system call);
//! - one accounting thread per process reads every registered thread's CPU clock each tick
//!   (while any call runs, parked otherwise) and charges the CPU the thread used since its
//!   previous reading to the call it is running, if any;
//! - the epoch callback (`plugin.rs`) stops the call once its meter reaches the budget.
//!
//! Calls yield to the scheduler at every epoch tick, so a CPU-bound call holds its thread for
//! whole ticks and is the one running when the thread is read. A short call that happens to
//! run at that moment is charged the thread's tick instead; it is far under any budget, and the
//! long call it displaced overshoots its budget by at most that tick.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::time::Duration;

/// CPU time charged to one call.
#[derive(Debug, Default)]
pub(crate) struct CpuMeter {
    used_ns: AtomicU64,
}

impl CpuMeter {
    pub fn used(&self) -> Duration {
        Duration::from_nanos(self.used_ns.load(Ordering::Relaxed))
    }

    fn charge(&self, ns: u64) {
        self.used_ns.fetch_add(ns, Ordering::Relaxed);
    }
}

/// A thread that polls calls.
struct Slot {
    clock: libc::clockid_t,
    /// The call running on the thread, if any.
    running: Mutex<Option<Arc<CpuMeter>>>,
    /// The thread's CPU clock at its previous reading (nanoseconds).
    last_ns: AtomicU64,
}

/// Registered threads, read by the accounting thread.
struct Accounting {
    threads: Mutex<Vec<Weak<Slot>>>,
    /// Calls being polled or waiting between polls, across the process.
    active: AtomicUsize,
    /// Whether the accounting thread waits on `wake` (it lingers for `LINGER_TICKS` after
    /// the last call before it parks, so back-to-back calls do not wake it each time).
    parked: AtomicBool,
    wake: Condvar,
    idle: Mutex<()>,
    tick: Duration,
}

fn accounting() -> &'static Accounting {
    static ACCOUNTING: OnceLock<Accounting> = OnceLock::new();
    ACCOUNTING.get_or_init(|| {
        let tick = Duration::from_millis(1);
        std::thread::Builder::new()
            .name("corral-plugin-cpu".into())
            .spawn(move || run(accounting()))
            .expect("the CPU accounting thread starts");
        Accounting {
            threads: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            parked: AtomicBool::new(false),
            wake: Condvar::new(),
            idle: Mutex::new(()),
            tick,
        }
    })
}

/// Ticks without any active call after which the accounting thread parks. While it runs, a
/// call starting costs one atomic increment; waking it costs a system call.
const LINGER_TICKS: u32 = 100;

/// The accounting loop: every tick while calls are active (and for `LINGER_TICKS` after the
/// last one), charge each thread's CPU to the call it runs.
fn run(accounting: &Accounting) {
    let mut quiet = 0u32;
    loop {
        if accounting.active.load(Ordering::SeqCst) == 0 {
            quiet += 1;
            if quiet > LINGER_TICKS {
                let mut idle = accounting.idle.lock().expect("not poisoned");
                // `parked` then `active`, against `start`'s `active` then `parked` (all
                // SeqCst): either this sees the new call or `start` sees this parked.
                accounting.parked.store(true, Ordering::SeqCst);
                while accounting.active.load(Ordering::SeqCst) == 0 {
                    idle = accounting.wake.wait(idle).expect("not poisoned");
                }
                accounting.parked.store(false, Ordering::SeqCst);
                quiet = 0;
                // While parked, the threads kept working outside any call (serving requests,
                // compiling): that CPU belongs to no call, so readings start again from now.
                // Without this, the first call after a quiet spell was charged all of it
                // and could be stopped at its CPU deadline before it had done anything.
                for slot in registered(accounting) {
                    if let Some(now) = cpu_ns(slot.clock) {
                        slot.last_ns.store(now, Ordering::Relaxed);
                    }
                }
            }
        } else {
            quiet = 0;
        }
        std::thread::sleep(accounting.tick);
        for slot in registered(accounting) {
            let Some(now) = cpu_ns(slot.clock) else {
                continue;
            };
            let used = now.saturating_sub(slot.last_ns.swap(now, Ordering::Relaxed));
            if let Some(meter) = &*slot.running.lock().expect("not poisoned") {
                meter.charge(used);
            }
        }
    }
}

/// The threads registered and still alive.
fn registered(accounting: &Accounting) -> Vec<Arc<Slot>> {
    let mut threads = accounting.threads.lock().expect("not poisoned");
    threads.retain(|t| t.strong_count() > 0);
    threads.iter().filter_map(Weak::upgrade).collect()
}

fn cpu_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a thread's CPU clock, and a
    // clock of a thread that has exited makes the call fail (checked), not misbehave.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

thread_local! {
    /// This thread's slot, registered on its first poll of a call and dropped (unregistered)
    /// when the thread exits.
    static SLOT: Option<Arc<Slot>> = register();
}

fn register() -> Option<Arc<Slot>> {
    let mut clock: libc::clockid_t = 0;
    // SAFETY: asks for the CPU clock of the calling thread into a valid out-parameter.
    let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) };
    if rc != 0 {
        return None;
    }
    let slot = Arc::new(Slot {
        clock,
        running: Mutex::new(None),
        last_ns: AtomicU64::new(cpu_ns(clock)?),
    });
    accounting()
        .threads
        .lock()
        .expect("not poisoned")
        .push(Arc::downgrade(&slot));
    Some(slot)
}

/// Marks `meter`'s call as active for as long as it lives (the accounting thread runs while any
/// call is active).
pub(crate) struct Active(());

impl Active {
    pub fn start() -> Active {
        let accounting = accounting();
        if accounting.active.fetch_add(1, Ordering::SeqCst) == 0
            && accounting.parked.load(Ordering::SeqCst)
        {
            // Under the lock: the thread is either not yet waiting (and will see `active`) or
            // waiting (and gets the notification).
            let _idle = accounting.idle.lock().expect("not poisoned");
            accounting.wake.notify_one();
        }
        Active(())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        accounting().active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `poll` with this thread's CPU charged to `meter`.
pub(crate) fn metered<T>(meter: &Arc<CpuMeter>, poll: impl FnOnce() -> T) -> T {
    SLOT.with(|slot| match slot {
        Some(slot) => {
            *slot.running.lock().expect("not poisoned") = Some(meter.clone());
            let out = poll();
            *slot.running.lock().expect("not poisoned") = None;
            out
        }
        None => poll(),
    })
}

/// A future whose polls are charged to a call's meter.
pub(crate) struct Metered<F> {
    meter: Arc<CpuMeter>,
    inner: F,
    _active: Active,
}

impl<F> Metered<F> {
    pub fn new(meter: Arc<CpuMeter>, inner: F) -> Metered<F> {
        Metered {
            meter,
            inner,
            _active: Active::start(),
        }
    }
}

impl<F: std::future::Future> std::future::Future for Metered<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`, and `Metered`
        // has no `Drop` of its own that could move it.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { std::pin::Pin::new_unchecked(&mut this.inner) };
        metered(&this.meter, || inner.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spins until this thread has used `d` of CPU (however busy the machine is).
    fn spin(d: Duration) {
        let mut clock: libc::clockid_t = 0;
        // SAFETY: the calling thread's CPU clock, into a valid out-parameter.
        assert_eq!(0, unsafe {
            libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock)
        });
        let start = cpu_ns(clock).unwrap();
        while cpu_ns(clock).unwrap() - start < d.as_nanos() as u64 {
            std::hint::black_box(0u64);
        }
    }

    /// A busy loop's thread CPU is charged to its meter, within a few ticks of the truth,
    /// while time spent asleep is not.
    #[test]
    fn charges_a_threads_cpu_to_the_running_call() {
        let meter = Arc::new(CpuMeter::default());
        let _active = Active::start();
        metered(&meter, || {
            spin(Duration::from_millis(60));
            std::thread::sleep(Duration::from_millis(60));
        });
        std::thread::sleep(Duration::from_millis(10));
        let used = meter.used();
        assert!(
            used >= Duration::from_millis(50) && used <= Duration::from_millis(75),
            "{used:?}"
        );
        // Outside a metered poll, nothing is charged.
        spin(Duration::from_millis(30));
        std::thread::sleep(Duration::from_millis(10));
        assert!(meter.used() <= used + Duration::from_millis(2));
    }

    /// CPU a thread used while no call was active (the accounting thread parked) is charged to
    /// no call: the first call after a quiet spell starts from zero.
    #[test]
    fn cpu_used_while_parked_is_charged_to_no_call() {
        // Register this thread and let the accounting thread run, then park.
        metered(&Arc::new(CpuMeter::default()), || {
            drop(Active::start());
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !accounting().parked.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the accounting thread never parked"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        // Work outside any call while it is parked.
        spin(Duration::from_millis(200));
        // A call that then uses almost no CPU.
        let meter = Arc::new(CpuMeter::default());
        let active = Active::start();
        metered(&meter, || std::thread::sleep(Duration::from_millis(20)));
        drop(active);
        assert!(
            meter.used() < Duration::from_millis(20),
            "charged {:?} of CPU used before the call",
            meter.used()
        );
    }
}
