//! Other tenants' writes while one tenant imports 5,000 users with invitations (issue 18), on
//! the release binary with its SQLite default and real SMTP delivery to a local sink.
//!
//! Four other tenants each create a user every 40 ms (100 writes/s in all), open-loop: every
//! write is sent at its planned time whether or not the previous one has answered, and its
//! latency is measured from then, so a stall shows in full. The same load runs three times in
//! one run: alone (reference), during the import, and alone again; the report gives p50, p99
//! and the worst latency of each, the ratio of the import's p99 to the references', and every
//! write not answered 201 (refused).
//!
//! Run: `scripts/bench-bulk-import.sh` (installs the SMTP sink, then
//! `cargo bench -p corral-host --bench bulk_import`). `BENCH_USERS` sets the import's size
//! (default 5000), `BENCH_REFERENCE_SECS` each reference's length (default 20). Figures are kept
//! in docs/bulk-import-bench.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_tests::{Client, Db, Env, SmtpSink};
use serde_json::json;
use tokio::sync::Mutex;

mod measure;

const OTHER_TENANTS: usize = 4;
const EVERY: Duration = Duration::from_millis(40);

/// Latencies (ms) and refusals of the other tenants' writes in one phase.
#[derive(Default)]
struct Phase {
    latencies: Vec<f64>,
    refused: Vec<String>,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        corral_tests::percentile(&self.latencies, p)
    }

    fn report(&self, name: &str) {
        println!(
            "{name:<22} {:>6} writes  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  refused {}",
            self.latencies.len(),
            self.percentile(50.0),
            self.percentile(99.0),
            self.percentile(100.0),
            self.refused.len()
        );
        for refusal in self.refused.iter().take(5) {
            println!("    refused: {refusal}");
        }
    }
}

/// Runs the other tenants' writes until `until` resolves.
async fn other_writes(
    clients: &[Client],
    phase_name: &str,
    until: impl std::future::Future<Output = ()>,
) -> Phase {
    let phase = Arc::new(Mutex::new(Phase::default()));
    let mut ticker = tokio::time::interval(EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut sent = Vec::new();
    let mut n = 0usize;
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => break,
            _ = ticker.tick() => {
                for (t, client) in clients.iter().enumerate() {
                    let (client, phase) = (client.clone(), phase.clone());
                    let email = format!("w{n}-{phase_name}@t{t}.example");
                    sent.push(tokio::spawn(async move {
                        let start = Instant::now();
                        let r = client
                            .send("POST", "/api/v1/users", Some(json!({
                                "email": email, "first_name": "Other", "last_name": "Writer"
                            })))
                            .await;
                        let ms = start.elapsed().as_secs_f64() * 1000.0;
                        let mut phase = phase.lock().await;
                        phase.latencies.push(ms);
                        if r.status != 201 {
                            phase.refused.push(format!("{} {}", r.status, r.body));
                        }
                    }));
                }
                n += 1;
            }
        }
    }
    for write in sent {
        write.await.unwrap();
    }
    Arc::try_unwrap(phase)
        .unwrap_or_else(|_| panic!("writes still running"))
        .into_inner()
}

#[tokio::main]
async fn main() {
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let users = measure::env_usize("BENCH_USERS", 5000);
    let reference = Duration::from_secs(measure::env_usize("BENCH_REFERENCE_SECS", 20) as u64);
    let sink = SmtpSink::start().await;
    let env = Env::new(Db::Sqlite).await.with_smtp(sink.port);
    env.create_tenant("importer").await;
    for t in 0..OTHER_TENANTS {
        env.create_tenant(&format!("t{t}")).await;
    }
    let server = env.serve().await;
    let importer = env.signed_in_owner(&server, "importer", "owner").await;
    let mut others = Vec::new();
    for t in 0..OTHER_TENANTS {
        others.push(
            env.signed_in_owner(&server, &format!("t{t}"), "owner")
                .await,
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "release binary, SQLite file, {cores} cores; {OTHER_TENANTS} other tenants writing every \
         {} ms each; import of {users} users with invitations",
        EVERY.as_millis()
    );

    let before = other_writes(&others, "before", tokio::time::sleep(reference)).await;

    let body = json!({ "users": (0..users).map(|i| json!({
        "email": format!("user{i}@importer.example"), "first_name": "Imported",
        "last_name": format!("Number {i}"), "send_invitation": true
    })).collect::<Vec<_>>() });
    let started = Instant::now();
    let import = tokio::spawn(async move {
        let r = importer
            .send("POST", "/api/v1/users/bulk", Some(body))
            .await;
        (r, started.elapsed())
    });
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let watcher = tokio::spawn(async move {
        let outcome = import.await.unwrap();
        let _ = done_tx.send(());
        outcome
    });
    let during = other_writes(&others, "during", async {
        let _ = done_rx.await;
    })
    .await;
    let (r, took) = watcher.await.unwrap();
    assert_eq!(r.status, 201, "the import failed: {} {}", r.status, r.body);
    let imported = r.body.as_array().map_or(0, Vec::len);

    let after = other_writes(&others, "after", tokio::time::sleep(reference)).await;

    println!(
        "import: {imported} users and invitations in {:.1} s ({:.0} users/s)",
        took.as_secs_f64(),
        imported as f64 / took.as_secs_f64()
    );
    before.report("reference (before)");
    during.report("during the import");
    after.report("reference (after)");
    let reference_p99 = before.percentile(99.0).max(after.percentile(99.0));
    println!(
        "p99 during / reference p99: {:.2}; target: p99 during < 100 ms, none refused",
        during.percentile(99.0) / reference_p99
    );
    let delivered = sink
        .wait_for(imported, Duration::from_secs(600))
        .await
        .len();
    println!("invitations delivered to the SMTP sink: {delivered} of {imported}");
}
