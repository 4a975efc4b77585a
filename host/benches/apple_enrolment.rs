//! Apple enrolment throughput on SQLite (a real database file), through the same library calls
//! the HTTP handlers make, from many concurrent devices (`BENCH_TASKS`, default 64: a server
//! doing thousands of enrolments a second has that many requests in flight):
//!
//! - download links handed out (the portal's profile page; reported, no target);
//! - signed profiles per second: links fetched (the link read, a new device identity, the
//!   profile built and CMS-signed, the link claimed);
//! - TokenUpdate check-ins per second: the first TokenUpdate of enrolled devices (signature and
//!   identity checked, the device registered Active, history written), then a second one from
//!   each (a token refresh).
//!
//! Run: `cargo bench -p corral-host --bench apple_enrolment` (`BENCH_N` sets the number of
//! enrolments, default 4000; `BENCH_DB=/path/file.db` keeps the database for inspection, e.g.
//! `EXPLAIN QUERY PLAN` with the `sqlite3` shell). Figures are kept in docs/apple-bench.md.

use std::sync::Arc;
use std::time::Instant;

use corral_host::apple::checkin::{self, CheckIns};
use corral_host::apple::enrolments::{self, Download, Downloads};
use corral_host::apple::profile::Scope;
use corral_host::devices::Platform;
use corral_tests::apple::PlayedDevice;
use measure::AppleBench;

mod measure;

/// A device installs its profile and signs its first TokenUpdate (as the end-to-end tests'
/// played device does).
fn signed_token_update(profile: &[u8], udid: &str) -> (String, Vec<u8>) {
    let device = PlayedDevice::install(profile, udid);
    let mut body = Vec::new();
    plist::to_writer_xml(
        &mut body,
        &plist::Value::Dictionary(device.message("TokenUpdate")),
    )
    .unwrap();
    (device.signature(&body), body)
}

/// Runs `work` on every input from `tasks` concurrent tasks, reports the rate, and returns the
/// outputs (in no particular order).
async fn timed<I, O, F, Fut>(what: &str, inputs: Vec<I>, tasks: usize, work: F) -> Vec<O>
where
    I: Send + 'static,
    O: Send + 'static,
    F: Fn(I) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = O> + Send,
{
    let n = inputs.len();
    let mut chunks: Vec<Vec<I>> = (0..tasks).map(|_| Vec::new()).collect();
    for (i, input) in inputs.into_iter().enumerate() {
        chunks[i % tasks].push(input);
    }
    let (started, cpu) = (Instant::now(), measure::cpu_secs());
    let mut handles = Vec::new();
    for chunk in chunks {
        let work = work.clone();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::with_capacity(chunk.len());
            for input in chunk {
                out.push(work(input).await);
            }
            out
        }));
    }
    let mut outputs = Vec::with_capacity(n);
    for h in handles {
        outputs.extend(h.await.unwrap());
    }
    measure::report(what, n, started, cpu);
    outputs
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = measure::env_usize("BENCH_N", 4000);
    let tasks = measure::env_usize("BENCH_TASKS", 64);
    let dir = tempfile::tempdir().unwrap();
    let path = std::env::var("BENCH_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("bench.db"));
    let bench = Arc::new(AppleBench::start(&path).await);
    println!("SQLite file, {n} enrolments, {tasks} concurrent tasks");

    // Download links, handed out one by one as the portal's profile page does (each in its
    // own write transaction).
    let b = bench.clone();
    let links = timed(
        "download links handed out",
        (0..n).collect(),
        tasks,
        move |_| {
            let b = b.clone();
            async move {
                let mut tx = b.store.scoped(&b.tenant.id).await.unwrap();
                let link = enrolments::create_link(
                    &mut tx,
                    &b.settings,
                    &b.user_id,
                    Platform::Ios,
                    Scope::System,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                link.token
            }
        },
    )
    .await;

    let downloads = Downloads::new(
        bench.store.clone(),
        bench.secrets.clone(),
        bench.settings.clone(),
    );
    let b = bench.clone();
    let profiles = timed("signed profiles", links, tasks, move |token: String| {
        let (b, downloads) = (b.clone(), downloads.clone());
        async move {
            let Download::Profile { bytes, .. } =
                downloads.fetch(&b.tenant.id, &token).await.unwrap()
            else {
                panic!("a fresh link downloads");
            };
            bytes
        }
    })
    .await;

    // Devices sign their TokenUpdate (not timed: that is the device's work).
    let messages: Vec<(String, Vec<u8>)> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| signed_token_update(p, &format!("UDID-{i:08}")))
        .collect();
    let check_ins = CheckIns::new(bench.store.clone());
    for what in [
        "TokenUpdate check-ins (first, registering the device)",
        "TokenUpdate check-ins (token refresh of an enrolled device)",
    ] {
        let (b, check_ins) = (bench.clone(), check_ins.clone());
        timed(what, messages.clone(), tasks, move |(sig, body)| {
            let (b, check_ins) = (b.clone(), check_ins.clone());
            async move {
                let outcome = check_ins
                    .handle(&b.tenant.id, Some(&sig), &body)
                    .await
                    .unwrap();
                assert!(matches!(outcome, Ok(checkin::Outcome::Active { .. })));
            }
        })
        .await;
    }
}
