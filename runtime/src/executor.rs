//! Where plugin calls run: a tokio runtime of their own, on threads of lower priority.
//!
//! Why: a plugin call burns CPU until it ends or its CPU budget is spent, yielding only between
//! epoch ticks. On the server's own runtime, every portal page, check-in and API request would
//! wait behind the running calls on its worker thread. On a runtime of their own whose threads
//! the system schedules at a lower priority (`nice`), the server's threads get the cores first
//! whenever they have work, and plugin calls take the rest. Optional: without it (tests,
//! benchmarks, embedders with their own plan), calls run on the caller's runtime.

use std::future::Future;

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinError;

/// How plugin calls get threads of their own.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// Worker threads of the plugin runtime.
    pub threads: usize,
    /// Their `nice` value (0 to 19: higher yields the CPU to the server's threads).
    pub nice: i32,
}

/// The plugin calls' runtime.
pub(crate) struct Executor {
    runtime: Option<Runtime>,
}

impl Executor {
    pub fn new(config: &ExecutorConfig) -> std::io::Result<Executor> {
        let nice = config.nice.clamp(0, 19);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name("corral-plugin-call")
            .enable_time()
            .enable_io()
            .on_thread_start(move || lower_priority(nice))
            .build()?;
        Ok(Executor {
            runtime: Some(runtime),
        })
    }

    fn handle(&self) -> &Handle {
        self.runtime.as_ref().expect("alive until dropped").handle()
    }

    /// Runs `call` on the plugin runtime and waits for its answer; the call is cancelled if
    /// the waiting caller goes away first.
    pub async fn run<T: Send + 'static>(
        &self,
        call: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, JoinError> {
        let mut task = AbortOnDrop(self.handle().spawn(call));
        // Aborting a task that has ended (when `task` drops here) does nothing.
        (&mut task.0).await
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // May be dropped inside an async context: do not block on the workers.
        if let Some(runtime) = self.runtime.take() {
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
