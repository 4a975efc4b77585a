//! Apple enrolment throughput on SQLite (a real database file), through the same library calls
//! the HTTP handlers make:
//!
//! - signed profiles per second: hand out a download link and fetch it (a new enrolment, a new
//!   device identity, the profile built and CMS-signed), each in its own write transaction;
//! - TokenUpdate check-ins per second: the first TokenUpdate of enrolled devices (signature and
//!   identity checked, the device registered Active, history written).
//!
//! Run: `cargo bench -p corral-host --bench apple_enrolment` (`BENCH_N` sets the number of
//! enrolments, default 4000; `BENCH_TASKS` the concurrent tasks, default 4). Figures are kept
//! in docs/apple-bench.md.

use std::sync::Arc;
use std::time::Instant;

use corral_host::apple::checkin;
use corral_host::apple::enrolments::{self, AppleSettings, Download};
use corral_host::apple::pki::TenantPki;
use corral_host::apple::profile::Scope;
use corral_host::devices::Platform;
use corral_host::history::Actor;
use corral_host::secrets::SecretBox;
use corral_host::store::Store;
use corral_host::tenants::{self, Tenant};
use corral_host::users::{self, NewUser};
use corral_tests::apple::PlayedDevice;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

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

async fn profile(
    store: &Store,
    secrets: &SecretBox,
    settings: &AppleSettings,
    t: &Tenant,
    user: &str,
) -> Vec<u8> {
    let mut tx = store.scoped(&t.id).await.unwrap();
    let link = enrolments::create_link(&mut tx, settings, user, Platform::Ios, Scope::System)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let Download::Profile { bytes, .. } =
        enrolments::download(store, &t.id, secrets, settings, &link.token)
            .await
            .unwrap()
    else {
        panic!("a fresh link downloads");
    };
    bytes
}

/// CPU seconds this process has used so far (all threads), from /proc (Linux).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name: state is the 3rd field, utime the 14th, stime the 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn report(what: &str, n: usize, started: Instant, cpu_at_start: f64) {
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_at_start;
    println!(
        "{what}: {n} in {secs:.2} s = {:.0}/s ({:.0} µs each; {:.0} µs CPU each, {:.2} cores busy)",
        n as f64 / secs,
        secs * 1e6 / n as f64,
        cpu * 1e6 / n as f64,
        cpu / secs
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("BENCH_N", 4000);
    let tasks = env_usize("BENCH_TASKS", 4);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url, tasks as u32 + 1).await.unwrap();
    store.migrate().await.unwrap();
    let secrets = SecretBox::from_key(&[7; 32]);
    let settings = AppleSettings::new(Some("https://mdm.bench.example".into()));
    let tenant = tenants::create(&store, &Actor::Operator, "bench", "Bench Corp")
        .await
        .unwrap();
    let mut tx = store.scoped(&tenant.id).await.unwrap();
    let user = users::create(
        &mut tx,
        &Actor::Operator,
        NewUser {
            email: "pat@bench.example".into(),
            first_name: "Pat".into(),
            last_name: "Roe".into(),
            password: None,
        },
    )
    .await
    .unwrap();
    TenantPki::load_or_create(&mut tx, &secrets, &tenant.name)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let shared = Arc::new((store, secrets, settings, tenant, user.id));
    println!("SQLite file, {n} enrolments, {tasks} concurrent tasks");

    let (started, cpu) = (Instant::now(), cpu_secs());
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let s = shared.clone();
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..n / tasks {
                out.push(profile(&s.0, &s.1, &s.2, &s.3, &s.4).await);
            }
            out
        }));
    }
    let mut profiles = Vec::new();
    for h in handles {
        profiles.extend(h.await.unwrap());
    }
    report("signed profiles", profiles.len(), started, cpu);

    // Devices sign their TokenUpdate (not timed: that is the device's work).
    let messages: Vec<(String, Vec<u8>)> = profiles
        .iter()
        .enumerate()
        .map(|(i, p)| signed_token_update(p, &format!("UDID-{i:08}")))
        .collect();
    check_ins(
        &shared,
        &messages,
        tasks,
        "TokenUpdate check-ins (first, registering the device)",
    )
    .await;
    check_ins(
        &shared,
        &messages,
        tasks,
        "TokenUpdate check-ins (token refresh of an enrolled device)",
    )
    .await;
}

type Shared = Arc<(Store, SecretBox, AppleSettings, Tenant, String)>;

/// Sends every signed TokenUpdate once, from `tasks` concurrent tasks, and reports the rate.
async fn check_ins(shared: &Shared, messages: &[(String, Vec<u8>)], tasks: usize, what: &str) {
    let per_task = messages.len().div_ceil(tasks);
    let (started, cpu) = (Instant::now(), cpu_secs());
    let mut handles = Vec::new();
    for chunk in messages.chunks(per_task) {
        let s = shared.clone();
        let chunk = chunk.to_vec();
        handles.push(tokio::spawn(async move {
            let count = chunk.len();
            for (sig, body) in chunk {
                let outcome = checkin::handle(&s.0, &s.3.id, Some(&sig), &body)
                    .await
                    .unwrap();
                assert!(matches!(outcome, Ok(checkin::Outcome::Active { .. })));
            }
            count
        }));
    }
    let mut done = 0;
    for h in handles {
        done += h.await.unwrap();
    }
    report(what, done, started, cpu);
}
