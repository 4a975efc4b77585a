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
//! A's looping clients run in a process of their own (this binary, started again with
//! `BENCH_LOOPS_OF` set), as another client machine's would: their work is not done on B's
//! measuring threads. It shares the server's two cores, at `nice` 19 (`BENCH_LOOPS_NICE`)
//! so that it stands for a client elsewhere rather than a third party taking the cores.
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
#[derive(Default, serde::Serialize, serde::Deserialize)]
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
    outcome: &Arc<Mutex<Loops>>,
    stop: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let (a, outcome, stop) = (a.clone(), outcome.clone(), stop.clone());
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
                    let mut loops = outcome.lock().await;
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
                            drop(loops);
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

/// A's side: keeps `n` looping calls in flight (`loops`) from a process of its own until its
/// standard input closes, then prints how they ended (JSON) and exits.
async fn run_loops_process() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        var("BENCH_LOOPS_COOKIE").parse().unwrap(),
    );
    let a = Client {
        base: var("BENCH_LOOPS_BASE"),
        http: reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap(),
    };
    let n: usize = var("BENCH_LOOPS").parse().unwrap();
    let outcome = Arc::new(Mutex::new(Loops::default()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = loops(&a, &var("BENCH_LOOPS_OF"), n, &outcome, &stop).await;
    let mut rest = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut rest)
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for l in running {
        l.await.unwrap();
    }
    let outcome = outcome.lock().await;
    println!("{}", serde_json::to_string(&*outcome).unwrap());
}

/// Signed-in session of one of A's administrators, as a `Cookie` header for the loops' process.
struct Attacker {
    base: String,
    cookie: String,
}

async fn phase(
    name: &str,
    b: &Tenant,
    a: &Attacker,
    looping: &str,
    n: usize,
    length: Duration,
) -> Phase {
    let phase = Arc::new(Mutex::new(Phase::default()));
    let mut loader = (n > 0).then(|| {
        // A's process runs at `nice` 19 (BENCH_LOOPS_NICE): it stands for clients on other
        // machines, and here shares the server's two cores; at 19 it uses what the server
        // leaves instead of taking the cores from it.
        let nice = std::env::var("BENCH_LOOPS_NICE").unwrap_or_else(|_| "19".into());
        tokio::process::Command::new("nice")
            .args(["-n", &nice])
            .arg(std::env::current_exe().unwrap())
            .env("BENCH_LOOPS_OF", looping)
            .env("BENCH_LOOPS", n.to_string())
            .env("BENCH_LOOPS_BASE", &a.base)
            .env("BENCH_LOOPS_COOKIE", &a.cookie)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the loops' process starts")
    });
    if n > 0 {
        // Let the loops fill their share first.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    measure(b, &phase, tokio::time::sleep(length)).await;
    let mut phase = Arc::try_unwrap(phase)
        .unwrap_or_else(|_| panic!("requests still running"))
        .into_inner();
    if let Some(mut loader) = loader.take() {
        drop(loader.stdin.take()); // tells it to stop
        let out = loader.wait_with_output().await.unwrap();
        assert!(out.status.success(), "the loops' process failed");
        phase.loops = serde_json::from_slice(&out.stdout).expect("the loops' outcome");
    }
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
    if std::env::var_os("BENCH_LOOPS_OF").is_some() {
        return run_loops_process().await;
    }
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let length = Duration::from_secs(
        std::env::var("BENCH_PHASE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let mut env = Env::new(Db::Sqlite).await;
    // Experiments: any CORRAL_PLUGIN_* setting given to the bench is given to the server.
    for (key, value) in std::env::vars().filter(|(k, _)| k.starts_with("CORRAL_PLUGIN_")) {
        println!("server setting {key}={value}");
        env = env.with_env(&key, &value);
    }
    env.create_tenant("noisy").await;
    let apple = AppleTenant::start_in(env).await;
    let noisy = apple
        .env
        .signed_in_owner(&apple.server, "noisy", "owner")
        .await;
    let (good, _) = apple.admin.install_active("corral_example_plugin").await;
    let (looping, _) = noisy.install_active("hostile_infinite_loop").await;
    // The loops' process signs in as another of A's owners and gets the session cookie.
    let (email, password) = ("loops@noisy.example", "loops passphrase 1");
    let totp = apple
        .env
        .create_admin("noisy", email, "owner", password)
        .await;
    let plain = Client {
        base: apple.server.url.clone(),
        http: reqwest::Client::new(),
    };
    let r = plain
        .sign_in("noisy", email, password, &corral_tests::totp_code(&totp, 0))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let cookie = r
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ");
    let attacker = Attacker {
        base: apple.server.url.clone(),
        cookie,
    };
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
         a tenant (and each of its plugins) runs as many calls as there are plugin threads, 32 \
         wait, and one less once they have used 10 ms of CPU); tenant B: a plugin call every {} ms, a portal \
         page every {} ms, a check-in every {} ms; phases of {} s",
        PLUGIN_EVERY.as_millis(),
        PAGE_EVERY.as_millis(),
        CHECK_IN_EVERY.as_millis(),
        length.as_secs()
    );
    let alone = phase("alone (reference)", &b, &attacker, &looping, 0, length).await;
    report("plugin call", &alone.plugin, &alone.plugin);
    report("portal page", &alone.page, &alone.page);
    report("check-in", &alone.check_in, &alone.check_in);
    for n in [32, 200] {
        let p = phase(
            &format!("tenant A keeps {n} looping calls in flight"),
            &b,
            &attacker,
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
    let again = phase("alone again", &b, &attacker, &looping, 0, length).await;
    report("plugin call", &again.plugin, &alone.plugin);
    report("portal page", &again.page, &alone.page);
    report("check-in", &again.check_in, &alone.check_in);
}
