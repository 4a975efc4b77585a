//! Scheduled work (reminders, expiring enrolments) that must run once per period across every
//! `corral serve` process sharing the database.
//!
//! Each process runs a [`Scheduler`] that wakes every `poll` and, for each job whose
//! `next_run_at` has passed, tries to take its lease with one conditional UPDATE on
//! `scheduled_jobs`. Only one process can win it; the winner runs the job, then schedules the
//! next run and releases the lease. A process that dies mid-run leaves a lease that expires
//! after [`LEASE`], so the job is picked up again. Jobs themselves stay idempotent (each
//! reminder is claimed by its own conditional UPDATE), so even an expired lease cannot make a
//! user receive the same reminder twice.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::error::Error;
use crate::secrets::random_token;
use crate::store::{now_ms, Store};

/// How long a run may take before another process may start the job again.
pub const LEASE: Duration = Duration::from_secs(300);

type RunFn =
    Box<dyn Fn(Store) -> Pin<Box<dyn Future<Output = Result<usize, Error>> + Send>> + Send + Sync>;

/// One kind of scheduled work.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    run: RunFn,
}

impl Job {
    /// A job running `run` every `every`; `run` returns how many items it handled (logged).
    pub fn new<F, Fut>(name: &'static str, every: Duration, run: F) -> Job
    where
        F: Fn(Store) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<usize, Error>> + Send + 'static,
    {
        Job {
            name,
            every,
            run: Box::new(move |store| Box::pin(run(store))),
        }
    }
}

pub struct Scheduler {
    store: Store,
    jobs: Vec<Job>,
    poll: Duration,
    /// Set once every job has its row in `scheduled_jobs`.
    registered: OnceCell<()>,
}

impl Scheduler {
    pub fn new(store: Store, poll: Duration, jobs: Vec<Job>) -> Scheduler {
        Scheduler {
            store,
            jobs,
            poll,
            registered: OnceCell::new(),
        }
    }

    /// Gives each job its row (due at once when new); other processes may have done so.
    async fn register(&self) -> Result<(), Error> {
        for job in &self.jobs {
            sqlx::query(
                "INSERT INTO scheduled_jobs (name, next_run_at) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(job.name)
            .bind(now_ms())
            .execute(self.store.pool())
            .await?;
        }
        Ok(())
    }

    /// Runs until the process ends.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.run_due().await {
                tracing::warn!(error = %e, "scheduled jobs: will retry");
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// Runs every due job whose lease this process wins; returns the names of those it ran.
    pub async fn run_due(&self) -> Result<Vec<&'static str>, Error> {
        self.registered.get_or_try_init(|| self.register()).await?;
        let mut ran = Vec::new();
        for job in &self.jobs {
            let now = now_ms();
            let token = random_token();
            let won = sqlx::query(
                "UPDATE scheduled_jobs SET lease_token = $1, lease_until = $2, \
                 last_started_at = $3 WHERE name = $4 AND next_run_at <= $3 AND lease_until <= $3",
            )
            .bind(&token)
            .bind(now + LEASE.as_millis() as i64)
            .bind(now)
            .bind(job.name)
            .execute(self.store.pool())
            .await?
            .rows_affected()
                == 1;
            if !won {
                continue;
            }
            let outcome = (job.run)(self.store.clone()).await;
            let finished = now_ms();
            let error = match &outcome {
                Ok(n) => {
                    if *n > 0 {
                        tracing::info!(job = job.name, handled = n, "scheduled job ran");
                    }
                    None
                }
                Err(e) => {
                    tracing::warn!(job = job.name, error = %e, "scheduled job failed");
                    Some(e.to_string())
                }
            };
            sqlx::query(
                "UPDATE scheduled_jobs SET next_run_at = $1, lease_token = NULL, lease_until = 0, \
                 runs = runs + 1, last_finished_at = $2, last_error = $3 \
                 WHERE name = $4 AND lease_token = $5",
            )
            .bind(now + job.every.as_millis() as i64)
            .bind(finished)
            .bind(error)
            .bind(job.name)
            .bind(&token)
            .execute(self.store.pool())
            .await?;
            ran.push(job.name);
        }
        Ok(ran)
    }
}
