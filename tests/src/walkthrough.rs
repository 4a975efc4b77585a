//! The browser walk-throughs (tests/browser/*.mjs): Debian's headless Chromium driven by
//! playwright-core, run by node with their arguments as JSON, answering one JSON report line.
//! scripts/test.sh installs Chromium, node and the scripts' packages.

use std::path::PathBuf;
use std::time::Duration;

use crate::Server;

/// The workspace's root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs `tests/browser/<script>` with `args`, within `limit`; panics with what it printed and
/// the server's log unless it succeeds with `{"ok": true, ...}`, which it answers.
pub async fn run(
    script: &str,
    args: &serde_json::Value,
    limit: Duration,
    server: &Server,
) -> serde_json::Value {
    let modules = workspace().join("tests/browser/node_modules");
    assert!(
        modules.join("playwright-core").exists() && modules.join("otpauth").exists(),
        "the browser tests' packages are not installed: run the suite with scripts/test.sh (it \
         runs npm ci in tests/browser and installs Chromium)"
    );
    let run = tokio::time::timeout(
        limit,
        tokio::process::Command::new("node")
            .arg(workspace().join("tests/browser").join(script))
            .arg(args.to_string())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{script} did not finish within {limit:?}"))
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "{script} failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.log()
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("no report from {script} ({e}): {stdout}"));
    assert_eq!(report["ok"], true, "{report}");
    report
}

/// Width and height of a PNG, from its header.
/// Checks a walk-through's report: `count` screenshots, each as wide as the window
/// (`width`: nothing stuck out) and at least as tall (`height`).
pub fn assert_screenshots(report: &serde_json::Value, count: usize, width: u32, height: u32) {
    let shots = report["screenshots"].as_array().unwrap();
    assert_eq!(shots.len(), count, "a screenshot of every page: {shots:?}");
    for shot in shots {
        let bytes = std::fs::read(shot.as_str().unwrap()).unwrap();
        let (w, h) = png_size(&bytes);
        assert_eq!(w, width, "{shot}: the page is no wider than the window");
        assert!(h >= height, "{shot}: {h}");
    }
}

pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}
