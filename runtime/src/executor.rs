//! Where plugin calls run: tokio runtimes of their own, on threads of lower priority.
//!
//! Why: a plugin call burns CPU until it ends or its CPU budget is spent, yielding only between
//! epoch ticks. On the server's own runtime, every portal page, check-in and API request would
//! wait behind the running calls on its worker thread. On a runtime of their own whose threads
//! the system schedules at a lower priority (`nice`), the server's threads get the cores first
//! whenever they have work, and plugin calls take the rest. Optional: without it (tests,
//! benchmarks, embedders with their own plan), calls run on the caller's runtime.
//!
//! A call that has run `long_after` (polled that long, which is CPU time but for the system's
//! preemptions) moves to a second runtime whose threads run at the lowest priority (`nice` 19):
//! the system then gives the cores to every short call, of any tenant, before the long ones,
//! as it gives them to the server's threads before any call. A tenant's loops take what the
//! short calls leave, instead of sharing a core evenly with them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinError;

/// How plugin calls get threads of their own.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// Worker threads of the plugin runtime.
    pub threads: usize,
    /// Their `nice` value (0 to 19: higher yields the CPU to the server's threads).
    pub nice: i32,
    /// Time a call runs on those threads before it moves to the long calls' threads (as many,
    /// at `nice` 19).
    pub long_after: Duration,
}

/// The long calls' priority: the lowest.
const LONG_NICE: i32 = 19;

/// The plugin calls' runtimes: calls start on `short`, and move to `long` once they have run
/// `long_after`.
pub(crate) struct Executor {
    short: Option<Runtime>,
    long: Option<Runtime>,
    long_after: Duration,
}

fn threads(count: usize, name: &str, nice: i32) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(count.max(1))
        .thread_name(name)
        .enable_time()
        .enable_io()
        .on_thread_start(move || lower_priority(nice))
        .build()
}

impl Executor {
    pub fn new(config: &ExecutorConfig) -> std::io::Result<Executor> {
        let nice = config.nice.clamp(0, LONG_NICE);
        Ok(Executor {
            short: Some(threads(config.threads, "corral-plugin-call", nice)?),
            long: Some(threads(config.threads, "corral-plugin-long", LONG_NICE)?),
            long_after: config.long_after,
        })
    }

    fn handle(runtime: &Option<Runtime>) -> Handle {
        runtime
            .as_ref()
            .expect("alive until dropped")
            .handle()
            .clone()
    }

    /// Runs `call` on the plugin threads and waits for its answer, moving it to the long calls'
    /// threads once it has run `long_after`; the call is cancelled if the waiting caller goes
    /// away first.
    pub async fn run<T: Send + 'static>(
        &self,
        call: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, JoinError> {
        let long = Executor::handle(&self.long);
        let long_after = self.long_after;
        let mut task = AbortOnDrop(Executor::handle(&self.short).spawn(async move {
            let mut call = Box::pin(call);
            if let Some(out) = (Short {
                call: call.as_mut(),
                ran: Duration::ZERO,
                long_after,
            })
            .await
            {
                return Ok(out);
            }
            // Aborted with this task (the waiter went away) through `AbortOnDrop`.
            let mut moved = AbortOnDrop(long.spawn(call));
            (&mut moved.0).await
        }));
        // Aborting a task that has ended (when `task` drops here) does nothing.
        (&mut task.0).await?
    }
}

/// Polls a call until it ends (Some) or has been polled `long_after` in all (None: it goes on
/// elsewhere).
struct Short<'a, F: Future> {
    call: Pin<&'a mut F>,
    ran: Duration,
    long_after: Duration,
}

impl<F: Future> Future for Short<'_, F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let started = Instant::now();
        if let Poll::Ready(out) = self.call.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        self.ran += started.elapsed();
        match self.ran >= self.long_after {
            true => Poll::Ready(None),
            false => Poll::Pending,
        }
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // May be dropped inside an async context: do not block on the workers.
        for runtime in [self.short.take(), self.long.take()].into_iter().flatten() {
            runtime.shutdown_background();
        }
    }
}

/// Aborts the spawned call when its waiter is dropped before it ends.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Lowers the calling thread's scheduling priority (Linux: `nice` is per thread).
fn lower_priority(nice: i32) {
    // SAFETY: plain system calls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        if libc::setpriority(libc::PRIO_PROCESS, tid, nice) != 0 {
            tracing::warn!("could not lower the priority of a plugin call thread");
        }
    }
}
