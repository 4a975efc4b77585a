//! Scheduled work runs once per period whatever the number of host processes (issue 5, D6):
//! two schedulers on two separate connection pools to one database (as two `corral serve`
//! processes would have) race for the same due job; exactly one runs it, and neither runs it
//! again before its period is over. A run that dies keeps its lease only until it expires.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corral_host::jobs::{Job, Scheduler};
use corral_host::store::Store;
use corral_tests::{both_backends, Db};

both_backends!(a_due_job_runs_in_one_process_only);

fn counting_job(count: Arc<AtomicUsize>) -> Job {
    Job::new("test.count", Duration::from_secs(3600), move |_store| {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            // Long enough for the other process to try while this run holds the lease.
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(1)
        }
    })
}

async fn a_due_job_runs_in_one_process_only(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = corral_tests::database_url(db, dir.path()).await;
    let first = Store::connect(&url, 2).await.unwrap();
    first.migrate().await.unwrap();
    let second = Store::connect(&url, 2).await.unwrap();

    let count = Arc::new(AtomicUsize::new(0));
    let poll = Duration::from_secs(1);
    let a = Scheduler::new(first.clone(), poll, vec![counting_job(count.clone())]);
    let b = Scheduler::new(second.clone(), poll, vec![counting_job(count.clone())]);

    let (ran_a, ran_b) = tokio::join!(a.run_due(), b.run_due());
    let (ran_a, ran_b) = (ran_a.unwrap(), ran_b.unwrap());
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "ran in {ran_a:?} and {ran_b:?}"
    );
    assert_eq!(ran_a.len() + ran_b.len(), 1);

    // Not due again within its period, in either process.
    assert!(a.run_due().await.unwrap().is_empty());
    assert!(b.run_due().await.unwrap().is_empty());
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Due again (its period over): runs once more, in one process.
    sqlx::query("UPDATE scheduled_jobs SET next_run_at = 0 WHERE name = 'test.count'")
        .execute(first.raw_pool_for_tests())
        .await
        .unwrap();
    let (ran_a, ran_b) = tokio::join!(b.run_due(), a.run_due());
    assert_eq!(ran_a.unwrap().len() + ran_b.unwrap().len(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 2);

    // A process that died mid-run: its lease holds the job until it expires.
    sqlx::query(
        "UPDATE scheduled_jobs SET next_run_at = 0, lease_token = 'dead', \
         lease_until = 9223372036854775807 WHERE name = 'test.count'",
    )
    .execute(first.raw_pool_for_tests())
    .await
    .unwrap();
    assert!(a.run_due().await.unwrap().is_empty());
    sqlx::query("UPDATE scheduled_jobs SET lease_until = 1 WHERE name = 'test.count'")
        .execute(first.raw_pool_for_tests())
        .await
        .unwrap();
    assert_eq!(b.run_due().await.unwrap(), ["test.count"]);
    assert_eq!(count.load(Ordering::SeqCst), 3);

    let (runs, error): (i64, Option<String>) =
        sqlx::query_as("SELECT runs, last_error FROM scheduled_jobs WHERE name = 'test.count'")
            .fetch_one(first.raw_pool_for_tests())
            .await
            .unwrap();
    assert_eq!((runs, error), (3, None));
}
