//! Hook-call latency: fresh sandboxed instance (instantiated inline, or taken
//! from the pre-instantiated stock at a paced arrival rate) vs warm instance
//! vs native Rust, plus the sustained instantiation throughput.
//!
//!     cargo bench -p corral-plugin-runtime --bench hook_call
//!
//! The hook is `decide-enrolment` of the example plugin (Knox-over-zero-touch
//! precedence + patch-level check), built for wasm32-unknown-unknown (no WASI
//! imports); one row repeats (a) with its wasm32-wasip2 build. "Native" runs the very same logic
//! (`plugins/example/src/logic.rs`, included below) without any sandbox. The (c-raw) rows
//! make the warm call on a bare wasmtime store of the same engine, without any of Corral's
//! code: what wasmtime itself costs for this call, side by side.
//! Everything runs on ONE tokio current-thread runtime: the stock's refill
//! task (drop of the used instance + instantiation of the next one) shares
//! the calling thread, so the paced measurement only works because the gap
//! between calls leaves it time to run.
//! Environment knobs for experiments: BENCH_ITERS (default 20000),
//! BENCH_PACES_US (default "100,50"), BENCH_PREWARM (default 2),
//! BENCH_KEEP_RESIDENT (bytes of memory kept resident per pool slot),
//! BENCH_PROFILE=a|c|c' (run only the fresh-inline, the warm or the warm describe loop, for
//! perf).

#[path = "../tests/common/mod.rs"]
mod common;

#[path = "../../plugins/example/src/logic.rs"]
#[allow(dead_code)]
mod logic;

use std::hint::black_box;
use std::time::{Duration, Instant};

use corral_plugin_runtime::api::*;
use corral_plugin_runtime::*;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

struct Stats {
    name: String,
    p50: Duration,
    p99: Duration,
}

fn stats(name: impl Into<String>, mut v: Vec<Duration>) -> Stats {
    v.sort();
    Stats {
        name: name.into(),
        p50: percentile(&v, 0.50),
        p99: percentile(&v, 0.99),
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let mut config = common::test_config();
    if let Some(k) = std::env::var("BENCH_KEEP_RESIDENT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.memory_keep_resident = k;
        config.table_keep_resident = k;
    }
    if let Some(k) = std::env::var("BENCH_STACK_RESIDENT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.async_stack_keep_resident = k;
    }
    if let Some(k) = std::env::var("BENCH_DECOMMIT_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.decommit_batch_size = k;
    }
    eprintln!(
        "memory/table keep resident {} / {}, async stack keep resident {}, decommit batch {}",
        config.memory_keep_resident,
        config.table_keep_resident,
        config.async_stack_keep_resident,
        config.decommit_batch_size
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let h = common::host_with(config, std::sync::Arc::new(NoHttpClient));
    let prewarm: usize = std::env::var("BENCH_PREWARM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let paces: Vec<u64> = std::env::var("BENCH_PACES_US")
        .unwrap_or_else(|_| "100,50".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    // (a) and the warm instance: no stock, every fresh instance inline.
    let inline_inst = rt.block_on(async {
        let compiled =
            h.rt.compile(&common::lean_guest("corral_example_plugin"))
                .await
                .unwrap();
        let with_wasi =
            h.rt.compile(&common::guest("corral_example_plugin"))
                .await
                .unwrap();
        let opts = |v: &str| InstallOptions {
            tenant_id: "tenant-good".into(),
            plugin_id: "corral_example_plugin".into(),
            version: v.into(),
            grants: Grants::of([
                corral_plugin_runtime::Capability::Logging,
                corral_plugin_runtime::Capability::Kv,
                corral_plugin_runtime::Capability::Clock,
            ]),
            limits: None,
        };
        let inline =
            h.rt.install_with_prewarm(&compiled, opts("inline"), 0)
                .unwrap();
        let stocked =
            h.rt.install_with_prewarm(&compiled, opts("stocked"), prewarm)
                .unwrap();
        let wasi_inline =
            h.rt.install_with_prewarm(&with_wasi, opts("wasi-inline"), 0)
                .unwrap();
        (inline, stocked, wasi_inline)
    });
    let (inst, stocked, wasi_inst) = inline_inst;
    let req = common::enrolment_request();

    // sanity: same answer in both worlds
    let sandboxed = rt.block_on(inst.decide_enrolment(&req)).unwrap().unwrap();
    assert!(
        matches!(sandboxed, EnrolmentDecision::Allow(ref a) if a.configuration_id.as_deref() == Some("kme-7"))
    );
    let sandboxed = rt
        .block_on(stocked.decide_enrolment(&req))
        .unwrap()
        .unwrap();
    assert!(
        matches!(sandboxed, EnrolmentDecision::Allow(ref a) if a.configuration_id.as_deref() == Some("kme-7"))
    );

    // Profiling aid: `BENCH_PROFILE=a` (fresh inline) or `c` (warm) runs only that loop, for
    // `perf record` on this binary.
    if let Ok(which) = std::env::var("BENCH_PROFILE") {
        rt.block_on(async {
            let mut w = inst.instantiate().await.unwrap();
            for _ in 0..iters {
                if which == "c'" {
                    black_box(w.describe().await.unwrap());
                    continue;
                }
                let r = if which == "c" {
                    w.decide_enrolment(black_box(&req)).await
                } else {
                    inst.decide_enrolment(black_box(&req)).await
                };
                black_box(r.unwrap().unwrap());
            }
        });
        return;
    }
    let warmup = iters / 10;
    let mut results = Vec::new();
    let mut notes = Vec::new();

    // (a) fresh instance per call, instantiated inline (no stock); then the same for the
    // plugin built for wasm32-wasip2 (WASI imports linked)
    let one_shots = |installation: &Installation| {
        rt.block_on(async {
            let mut v = Vec::with_capacity(iters);
            for i in 0..iters + warmup {
                let t = Instant::now();
                let r = installation.decide_enrolment(black_box(&req)).await;
                let d = t.elapsed();
                black_box(r.unwrap().unwrap());
                if i >= warmup {
                    v.push(d);
                }
            }
            v
        })
    };
    results.push(stats(
        "(a) fresh instance, inline (instantiate + call + drop)",
        one_shots(&inst),
    ));
    results.push(stats(
        "  (a) same, plugin built for wasm32-wasip2 (WASI imports)",
        one_shots(&wasi_inst),
    ));

    // (a') instantiation alone; its closed-loop rate is the sustained
    // instantiation throughput of one thread
    let (inst_only, elapsed) = rt.block_on(async {
        let mut v = Vec::with_capacity(iters);
        let mut start = Instant::now();
        for i in 0..iters + warmup {
            if i == warmup {
                start = Instant::now();
            }
            let t = Instant::now();
            let x = inst.instantiate_inline().await.unwrap();
            drop(black_box(x));
            let d = t.elapsed();
            if i >= warmup {
                v.push(d);
            }
        }
        (v, start.elapsed())
    });
    let inst_rate = iters as f64 / elapsed.as_secs_f64();
    results.push(stats("  (a') of which instantiate + drop only", inst_only));
    notes.push(format!(
        "sustained instantiation throughput (instantiate + drop, closed loop, one thread): {inst_rate:.0} instances/s"
    ));

    // (b) fresh instance from the stock, calls arriving every `pace`
    for &pace_us in &paces {
        let pace = Duration::from_micros(pace_us);
        let before = stocked.stock_stats();
        let (issue, arrival) = rt.block_on(async {
            let mut issue = Vec::with_capacity(iters);
            let mut arrival = Vec::with_capacity(iters);
            let mut next = Instant::now() + pace;
            for i in 0..iters + warmup {
                // wait for the arrival time, letting the refill task run
                while Instant::now() < next {
                    tokio::task::yield_now().await;
                }
                let arrived = next;
                let t = Instant::now();
                let r = stocked.decide_enrolment(black_box(&req)).await;
                let done = Instant::now();
                black_box(r.unwrap().unwrap());
                if i >= warmup {
                    issue.push(done - t);
                    arrival.push(done - arrived);
                }
                next = arrived + pace;
                if next < done {
                    next = done; // fell behind: do not burst to catch up
                }
            }
            (issue, arrival)
        });
        let after = stocked.stock_stats();
        let hits = after.hits - before.hits;
        let misses = after.misses - before.misses;
        let hit_rate = 100.0 * hits as f64 / (hits + misses).max(1) as f64;
        results.push(stats(
            format!(
                "(b) fresh instance from stock, 1 call / {pace_us} µs ({hit_rate:.1}% from stock)"
            ),
            issue,
        ));
        results.push(stats(
            format!("  (b) same, measured from scheduled arrival (1 call / {pace_us} µs)"),
            arrival,
        ));
    }

    // (b') the stock is not unlimited throughput: back-to-back calls
    {
        let before = stocked.stock_stats();
        let (v, elapsed) = rt.block_on(async {
            let mut v = Vec::with_capacity(iters);
            let start = Instant::now();
            for _ in 0..iters {
                let t = Instant::now();
                let r = stocked.decide_enrolment(black_box(&req)).await;
                v.push(t.elapsed());
                black_box(r.unwrap().unwrap());
            }
            (v, start.elapsed())
        });
        let after = stocked.stock_stats();
        let hits = after.hits - before.hits;
        let misses = after.misses - before.misses;
        let hit_rate = 100.0 * hits as f64 / (hits + misses).max(1) as f64;
        notes.push(format!(
            "stocked installation, back-to-back calls (unpaced): {:.0} calls/s, {hit_rate:.1}% from stock",
            iters as f64 / elapsed.as_secs_f64()
        ));
        results.push(stats(
            format!(
                "  (b') stocked installation, back-to-back, unpaced ({hit_rate:.1}% from stock)"
            ),
            v,
        ));
    }

    // (c) warm instance
    let warm = rt.block_on(async {
        let mut w = inst.instantiate().await.unwrap();
        let mut v = Vec::with_capacity(iters);
        for i in 0..iters + warmup {
            let t = Instant::now();
            let r = w.decide_enrolment(black_box(&req)).await;
            let d = t.elapsed();
            black_box(r.unwrap().unwrap());
            if i >= warmup {
                v.push(d);
            }
        }
        v
    });
    results.push(stats("(c) warm instance (call only)", warm));

    // (c') the same instance's `describe`: nothing to lower, a record to lift; what a warm
    // call costs apart from the request's 10 strings and 2 lists
    let bare = rt.block_on(async {
        let mut w = inst.instantiate().await.unwrap();
        let mut v = Vec::with_capacity(iters);
        for i in 0..iters + warmup {
            let t = Instant::now();
            let r = w.describe().await;
            let d = t.elapsed();
            black_box(r.unwrap());
            if i >= warmup {
                v.push(d);
            }
        }
        v
    });
    results.push(stats("(c') warm instance, describe (no arguments)", bare));

    // (c-raw) the same warm call on a bare wasmtime store, without any of Corral's code
    // (`Store<()>`, imports as traps, no meter, no timeout): wasmtime's own cost for this
    // call; then with every optional field of the request empty (the answer unchanged).
    let (raw_full, raw_empty) = raw_warm(&h, &req, iters, warmup);
    results.push(stats(
        "(c-raw) same warm call, bare wasmtime store (no Corral code)",
        raw_full,
    ));
    results.push(stats(
        "(c-raw) same, request without its strings and lists",
        raw_empty,
    ));

    // (d) native Rust, same logic
    let native = {
        let mut v = Vec::with_capacity(iters);
        for i in 0..iters + warmup {
            let t = Instant::now();
            let regs = [
                (logic::Channel::ZeroTouch, Some("zt-1")),
                (logic::Channel::Knox, Some("kme-7")),
            ];
            let d = logic::decide(
                logic::Channel::ZeroTouch,
                black_box(&regs),
                black_box(Some("2025-01-01")),
                black_box("2024-06-01"),
            );
            black_box(&d);
            let el = t.elapsed();
            drop(d);
            if i >= warmup {
                v.push(el);
            }
        }
        v
    };
    results.push(stats("(d) native Rust (same logic)", native));

    if std::env::var_os("BENCH_RAW").is_some() {
        raw_breakdown(&h, iters, warmup);
    }

    let native = results.last().unwrap();
    let native_p50 = native.p50.max(Duration::from_nanos(1));
    let native_p99 = native.p99.max(Duration::from_nanos(1));
    println!(
        "hook: decide-enrolment, {iters} iterations each, {} CPUs, stock of {prewarm} per installation",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("| measurement | p50 (µs) | p99 (µs) | p50 / native | p99 / native |");
    println!("|---|---:|---:|---:|---:|");
    for s in &results {
        println!(
            "| {} | {:.2} | {:.2} | {:.0}x | {:.0}x |",
            s.name,
            us(s.p50),
            us(s.p99),
            s.p50.as_secs_f64() / native_p50.as_secs_f64(),
            s.p99.as_secs_f64() / native_p99.as_secs_f64()
        );
    }
    for n in &notes {
        println!("* {n}");
    }
}

/// The example plugin (built without WASI) on the runtime's engine, ready to instantiate in a
/// bare `Store<()>`: every import a trap stub.
fn bare_example(
    h: &common::Host,
) -> (
    wasmtime::component::Component,
    wasmtime::component::InstancePre<()>,
) {
    use wasmtime::component::{Component, Linker};
    let engine = h.rt.engine();
    let component = Component::new(engine, common::lean_guest("corral_example_plugin")).unwrap();
    let mut linker: Linker<()> = Linker::new(engine);
    linker.define_unknown_imports_as_traps(&component).unwrap();
    let pre = linker.instantiate_pre(&component).unwrap();
    (component, pre)
}

/// A warm `decide-enrolment` on a bare store of the runtime's engine (no host state, imports as
/// traps, no CPU meter, no timeout), with `req` and then with `req` stripped of its strings and
/// lists: wasmtime's own cost of the call, measured next to Corral's (c).
fn raw_warm(
    h: &common::Host,
    req: &EnrolmentRequest,
    iters: usize,
    warmup: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let (component, pre) = bare_example(h);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut store = wasmtime::Store::new(h.rt.engine(), ());
    store.set_epoch_deadline(1 << 40);
    let instance = rt.block_on(pre.instantiate_async(&mut store)).unwrap();
    let hooks = component
        .get_export_index(None, "corral:plugin/hooks@0.1.0")
        .unwrap();
    let index = component
        .get_export_index(Some(&hooks), "decide-enrolment")
        .unwrap();
    let decide = instance
        .get_typed_func::<(&EnrolmentRequest,), (Result<EnrolmentDecision, PluginError>,)>(
            &mut store, index,
        )
        .unwrap();
    let empty = EnrolmentRequest {
        device: DeviceIdentity {
            device_id: None,
            serial_number: None,
            imeis: vec![],
            meid: None,
            manufacturer: None,
            model: None,
            os: None,
            os_version: None,
            security_patch_level: None,
        },
        channel: req.channel,
        user_id: None,
        profile_id: None,
        registrations: vec![],
        attributes: vec![],
    };
    let mut run = |req: &EnrolmentRequest| {
        rt.block_on(async {
            let mut v = Vec::with_capacity(iters);
            for i in 0..iters + warmup {
                let t = Instant::now();
                let r = decide.call_async(&mut store, (black_box(req),)).await;
                let d = t.elapsed();
                black_box(r.unwrap().0.unwrap());
                if i >= warmup {
                    v.push(d);
                }
            }
            v
        })
    };
    (run(req), run(&empty))
}

/// Lower bounds measured directly on the runtime's engine, without Corral's
/// store data, limits or capabilities: `Store<()>`, every import a trap stub.
fn raw_breakdown(h: &common::Host, iters: usize, warmup: usize) {
    use wasmtime::Store;
    let engine = h.rt.engine();
    let (_, pre) = bare_example(h);
    let measure = |name: &str, f: &mut dyn FnMut()| {
        let mut v = Vec::with_capacity(iters);
        for i in 0..iters + warmup {
            let t = Instant::now();
            f();
            if i >= warmup {
                v.push(t.elapsed());
            }
        }
        v.sort();
        eprintln!(
            "raw {name}: p50 {:.2} µs, p99 {:.2} µs",
            us(percentile(&v, 0.5)),
            us(percentile(&v, 0.99))
        );
    };
    measure("Store<()>::new + drop", &mut || {
        drop(black_box(Store::new(engine, ())))
    });
    measure("sync instantiate + drop", &mut || {
        let mut store = Store::new(engine, ());
        store.set_epoch_deadline(1 << 40);
        black_box(pre.instantiate(&mut store).unwrap());
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    measure("async instantiate + drop", &mut || {
        rt.block_on(async {
            let mut store = Store::new(engine, ());
            store.set_epoch_deadline(1 << 40);
            black_box(pre.instantiate_async(&mut store).await.unwrap());
        })
    });
}
