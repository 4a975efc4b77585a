//! The file (SPEC F3, F4; issue 22): about a million rows, about 46 MB, IMEI rows and
//! serial+model rows mixed with one bad row of every kind in turn every 997 rows (a Luhn
//! failure, a 14-digit IMEI, another modem type, no manufacturer, a serial without its model,
//! another profile type, a profile id that is not one of the customer's configurations, the
//! higher IMEI of a dual-SIM device the host knows, a field too many). It imports with exactly
//! those rows reported (line numbers and reasons, in the failed rows' CSV) and every other row
//! applied at the customer API's stand-in once; the same file with `owner` = 0 unclaims them.

use corral_tests::zero_touch::{generate, imei, setup_with, Generated, Setup, BAD_ROWS, CUSTOMER};
use corral_tests::Db;
use serde_json::{json, Value};

const ROWS: u64 = 1_000_000;

/// Uploads the file at `path` to import `import` and waits for its end.
async fn import(s: &Setup, import: &str, path: &std::path::Path) -> (String, Value) {
    let bytes = std::fs::read(path).unwrap();
    let r = s.upload(&s.c, import, "devices.csv", &bytes).await;
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    let job = s.finished(&id, 1500).await;
    (id, job)
}

/// The job's counts are the file's, and its failed rows exactly the generated bad rows, each
/// with its reason.
async fn assert_reported(
    s: &Setup,
    id: &str,
    job: &Value,
    generated: &Generated,
    unregister: bool,
) {
    let bad = generated.bad.len() as u64;
    assert_eq!(
        [
            &job["state"],
            &job["total_rows"],
            &job["rows_read"],
            &job["rows_invalid"],
            &job["rows_applied"],
            &job["rows_failed"]
        ],
        [
            &json!("done"),
            &json!(ROWS),
            &json!(ROWS),
            &json!(bad),
            &json!(ROWS - bad),
            &json!(0)
        ],
        "{job}"
    );
    let reply = s.c.get(&format!("/api/v1/imports/{id}/failures.csv")).await;
    assert_eq!(reply.status, 200);
    let text = reply.body.as_str().unwrap().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let failed: Vec<(u64, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[r.len() - 1].to_string())
        })
        .collect();
    assert_eq!(failed.len(), generated.bad.len());
    for ((line, reason), (expected_line, kind)) in failed.iter().zip(&generated.bad) {
        assert_eq!(line, expected_line, "{reason}");
        let word = match *kind {
            // Its `owner` is not 0.
            "unknown-profile" if unregister => "expected 0 to unregister",
            _ => BAD_ROWS.iter().find(|(k, _)| k == kind).unwrap().1,
        };
        assert!(reason.contains(word), "line {line} ({kind}): {reason}");
    }
}

#[tokio::test]
async fn a_million_row_file_applies_with_exactly_its_bad_rows_reported_then_unregisters() {
    let vars = [
        ("CORRAL_IMPORT_ROWS_PER_SECOND", "0"),
        ("CORRAL_IMPORT_IN_FLIGHT", "64"),
    ];
    let s = setup_with(Db::Sqlite, &vars).await;
    let profile = s.create_configuration("Sales", false).await;
    // A dual-SIM device in the host's inventory, whose higher IMEI the dual-SIM rows name.
    let (lower, higher) = (imei(10_000_001), imei(10_000_002));
    s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": lower, "imei2": higher, "manufacturer": "Google"}),
    );
    let sync = format!("/api/v1/plugins/{}/devices/sync", s.plugin);
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);
    s.google.zero_touch().accept_any_device();

    let dir = s.env.data_dir();
    let apply = dir.join("apply.csv");
    let generated = generate(&apply, ROWS, 997, &profile, false, &higher);
    assert!(generated.bytes > 40_000_000, "{}", generated.bytes);
    assert_eq!(generated.bad.len(), 1003);
    let (id, job) = import(&s, "zero-touch-apply", &apply).await;
    assert_reported(&s, &id, &job, &generated, false).await;
    let valid = ROWS - generated.bad.len() as u64;
    {
        let counted = s.google.zero_touch().counted().clone();
        assert_eq!(counted.len() as u64, valid);
        assert!(counted.values().all(|n| *n == 1), "a row applied twice");
    }
    std::fs::remove_file(&apply).unwrap();

    let unregister = dir.join("unregister.csv");
    let generated = generate(&unregister, ROWS, 997, "", true, &higher);
    let (id, job) = import(&s, "zero-touch-unregister", &unregister).await;
    assert_reported(&s, &id, &job, &generated, true).await;
    // The same devices unclaimed, each once after its apply.
    let counted = s.google.zero_touch().counted().clone();
    assert_eq!(counted.len() as u64, valid);
    assert!(counted.values().all(|n| *n == 2), "a row unclaimed twice");
    s.google.assert_conforms();
}
