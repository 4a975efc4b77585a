//! The zero-touch import's speed (issue 22): a generated file of `BENCH_ROWS` rows (default a
//! million, about 46 MB, every kind of bad row mixed in) uploaded to the release server and
//! read, checked by the zero-touch plugin (`map-import-rows`) and given its per-row statuses in
//! the database, on SQLite and on PostgreSQL; timed from the upload's start until the job
//! leaves its validating phase (the vendor calls that follow are not counted: the job is
//! paced at one row a second), against `sqlite3 :memory: '.import --csv FILE t'` of the same
//! file run just before and just after (their mean is the reference). The server's peak
//! resident memory (`VmHWM`) is read at the end.
//!
//! Targets: at most 3x the reference, at most 200 MiB; the bench exits 1 otherwise.
//!
//! Run: `scripts/bench-zero-touch-import.sh` (builds the guests, then `cargo bench -p
//! corral-host --bench zero_touch_import`). Figures: docs/zero-touch-import-bench.md.

use std::time::{Duration, Instant};

use corral_tests::zero_touch::{generate, setup_with, CUSTOMER};
use corral_tests::Db;
use serde_json::json;

fn peak_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
        / 1024.0
}

/// `sqlite3 :memory: '.import --csv FILE t'`, timed.
fn reference(file: &std::path::Path) -> Duration {
    let t = Instant::now();
    // (Its warnings about the rows with an extra field go nowhere.)
    let status = std::process::Command::new("sqlite3")
        .arg(":memory:")
        .arg(format!(".import --csv {} t", file.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("sqlite3 (apt-get install sqlite3)");
    assert!(status.success());
    t.elapsed()
}

async fn run(db: Db, rows: u64) -> (f64, f64) {
    // `BENCH_BATCH_ROWS` overrides the server's batch size (to compare sizes).
    let batch = std::env::var("BENCH_BATCH_ROWS").unwrap_or_else(|_| "1000".into());
    let s = setup_with(
        db,
        &[
            ("CORRAL_IMPORT_ROWS_PER_SECOND", "1"),
            ("CORRAL_IMPORT_MAX_BYTES", "52428800"),
            ("CORRAL_IMPORT_BATCH_ROWS", batch.as_str()),
        ],
    )
    .await;
    let profile = s.create_configuration("Bench", false).await;
    // The dual-SIM device the bad rows name, known to the host.
    s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": "356938035643809", "imei2": "358240051111110", "manufacturer": "Google"}),
    );
    let sync = format!("/api/v1/plugins/{}/devices/sync", s.plugin);
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);
    let path = s.env.data_dir().join("bench.csv");
    let generated = generate(&path, rows, 997, &profile, false, "358240051111110");
    let bytes = std::fs::read(&path).unwrap();
    let before = reference(&path);
    let t = Instant::now();
    let r = s
        .upload(&s.c, "zero-touch-apply", "bench.csv", &bytes)
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    drop(bytes);
    let id = r.body["id"].as_str().unwrap().to_string();
    let job = loop {
        let job = s.c.get(&format!("/api/v1/imports/{id}")).await.body;
        if job["state"] != "queued" && job["state"] != "validating" {
            break job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = t.elapsed();
    let after = reference(&path);
    assert_eq!(job["rows_read"], rows, "{job}");
    assert_eq!(job["rows_invalid"], generated.bad.len(), "{job}");
    if let Some(line) = s
        .server
        .log()
        .lines()
        .rev()
        .find(|l| l.contains("import: rows checked"))
    {
        println!("  server: {line}");
    }
    let pid = s.server.child.id().unwrap();
    let peak = peak_mib(pid);
    let reference = (before + after).as_secs_f64() / 2.0;
    let ratio = took.as_secs_f64() / reference;
    println!(
        "{db:?}: {rows} rows, {:.1} MB: import {:.2} s, sqlite3 .import {:.2} s / {:.2} s \
         (mean {reference:.2} s): {ratio:.2}x; server peak RSS {peak:.0} MiB",
        generated.bytes as f64 / 1e6,
        took.as_secs_f64(),
        before.as_secs_f64(),
        after.as_secs_f64(),
    );
    (ratio, peak)
}

#[tokio::main]
async fn main() {
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let rows = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut ok = true;
    let dbs = match std::env::var("BENCH_DBS").as_deref() {
        Ok("sqlite") => vec![Db::Sqlite],
        Ok("postgres") => vec![Db::Postgres],
        _ => vec![Db::Sqlite, Db::Postgres],
    };
    for db in dbs {
        let (ratio, peak) = run(db, rows).await;
        ok &= ratio <= 3.0 && peak <= 200.0;
    }
    if !ok {
        eprintln!("over target: at most 3x the sqlite3 import, at most 200 MiB");
        std::process::exit(1);
    }
}
