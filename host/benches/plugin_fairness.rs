//! Tenants cannot slow each other down (issue 20), on the release binary with its SQLite
//! default: tenant "acme" (B) calls its well-behaved plugin, a user of it loads a portal page and
//! its enrolled iPhone checks in, all open-loop (each request is sent at its planned time
//! whether or not the previous one has answered, and its latency is measured from then, so a
//! stall shows in full). Meanwhile tenant "noisy" (A) keeps 0, then 32, then 200 calls of a
//! looping plugin in flight, each re-sent as soon as it ends. One run, four phases: alone
//! (reference), 32 loops, 200 loops, alone again.
//!
//! The report gives, per phase, p50 / p99 / worst latency and failures of B's plugin calls,
//! portal pages and check-ins, the ratio of each p99 to the reference's, and how A's loops
//! ended: on the CPU deadline (with the most CPU any of them used, from the error message),
//! turned away with 429 (`plugin_busy`), or otherwise.
//!
//! Run: `scripts/bench-plugin-fairness.sh` (builds the test plugins, then
//! `cargo bench -p corral-host --bench plugin_fairness`). `BENCH_PHASE_SECS` sets each phase's
//! length (default 20). Figures are kept in docs/plugin-fairness-bench.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_tests::apple::{AppleTenant, PlayedDevice};
use corral_tests::{Client, Db, Env};
use serde_json::json;
use tokio::sync::Mutex;

const PLUGIN_EVERY: Duration = Duration::from_millis(20);
const PAGE_EVERY: Duration = Duration::from_millis(50);
const CHECK_IN_EVERY: Duration = Duration::from_millis(50);

/// Latencies (ms) and failures of one kind of request in one phase.
#[derive(Default)]
struct Probe {
    latencies: Vec<f64>,
    failures: Vec<String>,
}

impl Probe {
    fn percentile(&self, p: f64) -> f64 {
        corral_tests::percentile(&self.latencies, p)
    }
}

/// How the looping calls of one phase ended.
#[derive(Default)]
struct Loops {
    on_cpu_deadline: usize,
    most_cpu_ms: u64,
    busy: usize,
    other: Vec<String>,
}

/// What B does in one phase, measured.
#[derive(Default)]
struct Phase {
    plugin: Probe,
    page: Probe,
    check_in: Probe,
    loops: Loops,
}

/// B's three kinds of requests, open-loop, until `until` resolves.
struct Tenant {
    admin: Client,
    plugin: String,
    browser: Arc<corral_tests::portal::Browser>,
    home: String,
    device: Arc<PlayedDevice>,
    base: String,
}

async fn measure(
    b: &Tenant,
    phase: &Arc<Mutex<Phase>>,
    until: impl std::future::Future<Output = ()>,
) {
    let mut plugin_tick = tokio::time::interval(PLUGIN_EVERY);
    let mut page_tick = tokio::time::interval(PAGE_EVERY);
    let mut check_in_tick = tokio::time::interval(CHECK_IN_EVERY);
    for t in [&mut plugin_tick, &mut page_tick, &mut check_in_tick] {
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    }
    let mut sent = Vec::new();
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => break,
            _ = plugin_tick.tick() => {
                let (admin, path, phase) = (
                    b.admin.clone(),
                    format!("/api/v1/plugins/{}/validate", b.plugin),
                    phase.clone(),
                );
                sent.push(tokio::spawn(async move {
                    let start = Instant::now();
                    let r = admin
                        .send("POST", &path, Some(json!({"kind": "kiosk", "name": "L", "body": {}})))
                        .await;
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    let mut phase = phase.lock().await;
                    phase.plugin.latencies.push(ms);
                    if r.status != 200 {
                        phase.plugin.failures.push(format!("{} {}", r.status, r.body));
                    }
                }));
            }
            _ = page_tick.tick() => {
                let (browser, home, phase) = (b.browser.clone(), b.home.clone(), phase.clone());
                sent.push(tokio::spawn(async move {
                    let start = Instant::now();
                    let page = browser.get(&home).await;
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    let mut phase = phase.lock().await;
                    phase.page.latencies.push(ms);
                    if page.status != 200 {
                        phase.page.failures.push(format!("{}", page.status));
                    }
                }));
            }
            _ = check_in_tick.tick() => {
                let (device, base, phase) = (b.device.clone(), b.base.clone(), phase.clone());
                sent.push(tokio::spawn(async move {
                    let start = Instant::now();
                    let status = device.check_in(&base, &device.message("TokenUpdate"), true).await;
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    let mut phase = phase.lock().await;
                    phase.check_in.latencies.push(ms);
                    if status != 200 {
                        phase.check_in.failures.push(format!("{status}"));
                    }
                }));
            }
        }
    }
    for request in sent {
        request.await.unwrap();
    }
}

/// Keeps `n` looping calls of A in flight until `stop` is set, recording how each ended.
async fn loops(
    a: &Client,
    plugin: &str,
    n: usize,
    phase: &Arc<Mutex<Phase>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let (a, phase, stop) = (a.clone(), phase.clone(), stop.clone());
            let path = format!("/api/v1/plugins/{plugin}/validate");
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = a
                        .send(
                            "POST",
                            &path,
                            Some(json!({"kind": "kiosk", "name": "L", "body": {}})),
                        )
                        .await;
                    let message = r.body["error"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .to_string();
                    let mut phase = phase.lock().await;
                    let loops = &mut phase.loops;
                    match (r.status, r.error().0) {
                        (502, "plugin_failed") if message.contains("CPU deadline") => {
                            loops.on_cpu_deadline += 1;
                            let used = message
                                .split("(used ")
                                .nth(1)
                                .and_then(|rest| rest.split(' ').next())
                                .and_then(|ms| ms.parse::<u64>().ok())
                                .unwrap_or(u64::MAX);
                            loops.most_cpu_ms = loops.most_cpu_ms.max(used);
                        }
                        (429, "plugin_busy") => {
                            loops.busy += 1;
                            drop(phase);
                            // As a client told `Retry-After` would.
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        (status, code) => loops.other.push(format!("{status} {code} {message}")),
                    }
                }
            })
        })
        .collect()
}

async fn phase(
    name: &str,
    b: &Tenant,
    a: &Client,
    looping: &str,
    n: usize,
    length: Duration,
) -> Phase {
    let phase = Arc::new(Mutex::new(Phase::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = loops(a, looping, n, &phase, &stop).await;
    if n > 0 {
        // Let the loops fill their share first.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    measure(b, &phase, tokio::time::sleep(length)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in running {
        l.await.unwrap();
    }
    let phase = Arc::try_unwrap(phase)
        .unwrap_or_else(|_| panic!("requests still running"))
        .into_inner();
    println!("{name}:");
    phase
}

fn report(name: &str, probe: &Probe, reference: &Probe) {
    println!(
        "  {name:<14} {:>5} requests  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  \
         p99/reference {:>5.2}  failed {}",
        probe.latencies.len(),
        probe.percentile(50.0),
        probe.percentile(99.0),
        probe.percentile(100.0),
        probe.percentile(99.0) / reference.percentile(99.0),
        probe.failures.len()
    );
    for failure in probe.failures.iter().take(3) {
        println!("      failed: {failure}");
    }
}

#[tokio::main]
async fn main() {
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let length = Duration::from_secs(
        std::env::var("BENCH_PHASE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let env = Env::new(Db::Sqlite).await;
    env.create_tenant("noisy").await;
    let apple = AppleTenant::start_in(env).await;
    let noisy = apple
        .env
        .signed_in_owner(&apple.server, "noisy", "owner")
        .await;
    let (good, _) = apple.admin.install_active("corral_example_plugin").await;
    let (looping, _) = noisy.install_active("hostile_infinite_loop").await;
    let profile = apple.download("ios").await;
    let device = PlayedDevice::install(&profile.bytes, "00008110-BENCH0000000001");
    let base = apple.server.url.clone();
    for kind in ["Authenticate", "TokenUpdate"] {
        assert_eq!(
            device.check_in(&base, &device.message(kind), true).await,
            200
        );
    }
    let b = Tenant {
        admin: apple.admin.clone(),
        plugin: good,
        home: apple.home.url.clone(),
        browser: Arc::new(corral_tests::portal::Browser {
            http: apple.browser.http.clone(),
            no_follow: apple.browser.no_follow.clone(),
            base: apple.browser.base.clone(),
        }),
        device: Arc::new(device),
        base,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "release binary, SQLite file, {cores} cores, default plugin settings (CPU deadline 1 s, \
         a tenant runs as many calls as there are plugin threads, 32 wait); tenant B: a plugin call every {} ms, a portal \
         page every {} ms, a check-in every {} ms; phases of {} s",
        PLUGIN_EVERY.as_millis(),
        PAGE_EVERY.as_millis(),
        CHECK_IN_EVERY.as_millis(),
        length.as_secs()
    );
    let alone = phase("alone (reference)", &b, &noisy, &looping, 0, length).await;
    report("plugin call", &alone.plugin, &alone.plugin);
    report("portal page", &alone.page, &alone.page);
    report("check-in", &alone.check_in, &alone.check_in);
    for n in [32, 200] {
        let p = phase(
            &format!("tenant A keeps {n} looping calls in flight"),
            &b,
            &noisy,
            &looping,
            n,
            length,
        )
        .await;
        report("plugin call", &p.plugin, &alone.plugin);
        report("portal page", &p.page, &alone.page);
        report("check-in", &p.check_in, &alone.check_in);
        println!(
            "  A's loops: {} stopped by the CPU deadline (most CPU used: {} ms), {} turned away \
             with 429, {} otherwise",
            p.loops.on_cpu_deadline,
            p.loops.most_cpu_ms,
            p.loops.busy,
            p.loops.other.len()
        );
        for other in p.loops.other.iter().take(3) {
            println!("      otherwise: {other}");
        }
    }
    let again = phase("alone again", &b, &noisy, &looping, 0, length).await;
    report("plugin call", &again.plugin, &alone.plugin);
    report("portal page", &again.page, &alone.page);
    report("check-in", &again.check_in, &alone.check_in);
}
