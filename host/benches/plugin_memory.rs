//! Memory that comes back (issue 20): the release server's resident memory before, during and
//! after ten versions of a large plugin (the 18 MB Python component, each version made distinct
//! by a custom section so each is compiled and installed anew) are uploaded, activated and
//! called in turn, then the plugin is deleted.
//!
//! Before: the server has started, an administrator has signed in and the small example plugin
//! has been installed and called (what any working server has done). After: the large plugin is
//! deleted; the resident size is read every 500 ms for `BENCH_SETTLE_SECS` (default 10) and the
//! last reading is compared with the one before. The bench fails (exit 1) if it is more than
//! 20 % above.
//!
//! Run: `scripts/bench-plugin-memory.sh` (builds the guests and the Python component, then
//! `cargo bench -p corral-host --bench plugin_memory`). Figures: docs/plugin-memory-bench.md.

use std::time::{Duration, Instant};

use corral_tests::{Client, Db, Env};
use serde_json::json;

/// Resident memory of `pid`, in MiB, with its anonymous and file-backed parts.
fn resident(pid: u32) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
            / 1024.0
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

fn show(label: &str, pid: u32) -> f64 {
    let (rss, anon, file) = resident(pid);
    println!("  {label:<44} RSS {rss:>7.1} MiB  (anonymous {anon:>7.1}, file {file:>6.1})");
    rss
}

/// `component` with a custom section appended, so that each version has bytes of its own.
fn distinct(component: &[u8], version: u32) -> Vec<u8> {
    let name = b"corral-bench-version";
    let payload = version.to_le_bytes();
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(&payload);
    let mut bytes = component.to_vec();
    bytes.push(0); // custom section
    bytes.push(body.len() as u8); // fits one LEB128 byte
    bytes.extend_from_slice(&body);
    bytes
}

async fn call(admin: &Client, plugin: &str, body: serde_json::Value) {
    let r = admin
        .send(
            "POST",
            &format!("/api/v1/plugins/{plugin}/validate"),
            Some(json!({"kind": "kiosk", "name": "Lobby", "body": body})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::main]
async fn main() {
    std::env::set_var("CORRAL_BIN", env!("CARGO_BIN_EXE_corral"));
    let settle = Duration::from_secs(
        std::env::var("BENCH_SETTLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10),
    );
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/python/python_plugin.wasm");
    let python = std::fs::read(&python).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/build-python-plugin.sh builds it)",
            python.display()
        )
    });
    let env = Env::new(Db::Sqlite).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let pid = server.child.id().unwrap();
    let admin = env.signed_in_owner(&server, "acme", "owner").await;
    println!(
        "release binary, SQLite file, default settings; large component: {:.1} MB \
         (componentize-py), 10 versions",
        python.len() as f64 / 1e6
    );
    show("started", pid);
    let (small, _) = admin.install_active("corral_example_plugin").await;
    for _ in 0..20 {
        call(&admin, &small, json!({})).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = show("before (small plugin installed and called)", pid);

    let mut plugin = String::new();
    let mut peak = before;
    for version in 1..=10u32 {
        let start = Instant::now();
        let r = admin.upload(distinct(&python, version)).await;
        assert_eq!(r.status, 201, "{r:?}");
        plugin = r.body["plugin"]["id"].as_str().unwrap().to_string();
        let seq = r.body["version"].as_i64().unwrap();
        let uploaded = start.elapsed();
        let r = admin
            .send(
                "POST",
                &format!("/api/v1/plugins/{plugin}/activate"),
                Some(json!({"version": seq})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        call(&admin, &plugin, json!({"pinnedApp": "com.example.kiosk"})).await;
        let rss = show(
            &format!(
                "version {version} active and called (upload {:.1} s)",
                uploaded.as_secs_f64()
            ),
            pid,
        );
        peak = peak.max(rss);
    }
    let r = admin
        .send("DELETE", &format!("/api/v1/plugins/{plugin}"), None)
        .await;
    assert!(r.status == 204 || r.status == 200, "{r:?}");
    let deleted = Instant::now();
    let mut after = f64::NAN;
    while deleted.elapsed() < settle {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = resident(pid).0;
    }
    show(
        &format!("after deleting it, {} s later", settle.as_secs()),
        pid,
    );
    // The small plugin still answers.
    call(&admin, &small, json!({})).await;
    let ratio = after / before;
    println!(
        "before {before:.1} MiB, peak {peak:.1} MiB, after {after:.1} MiB: after / before = \
         {ratio:.2} (at most 1.20)"
    );
    if ratio > 1.2 {
        println!("FAILED: resident memory did not come back within 20 %");
        std::process::exit(1);
    }
}
