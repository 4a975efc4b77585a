//! Zero-touch CSV files (SPEC F3 to F5; issue 22) through the host's imports, against the
//! customer API's stand-in:
//! - an upload answers at once with its job; files larger than the limit get 413, a header
//!   without the portal's columns or a file without rows 400, and nothing is kept;
//! - every row gets a status: the bad ones (IMEI not 15 digits or failing its Luhn check,
//!   another modem type, no manufacturer, a serial without its model, another profile type, a
//!   profile id that is not one of the customer's configurations, the higher IMEI of a dual-SIM
//!   device, too many fields) are reported with their line numbers and reasons, the others
//!   applied at Google (IMEI rows and serial+model rows mixed), through 429 and 503 answers
//!   tried again, a row Google refuses for good failing with Google's message;
//! - the failed rows come as a page and as CSV; the administrator gets a notification and an
//!   e-mail linking to them;
//! - the same file with `owner` = 0 unregisters the devices (`devices:unclaim`);
//! - a second upload of the tenant waits for the first.

use std::time::Duration;

use corral_tests::zero_touch::{setup_with, Setup, CUSTOMER};
use corral_tests::{Db, SmtpSink};
use serde_json::{json, Value};

const HEADER: &str = "modemtype,modemid,serial,model,manufacturer,profiletype,profileid\n";

fn vars(smtp: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("CORRAL_SMTP_URL", smtp.url()),
        ("CORRAL_MAIL_POLL_MS", "100".into()),
        ("CORRAL_MAIL_FROM", "Corral <corral@acme.example>".into()),
        ("CORRAL_IMPORT_ROWS_PER_SECOND", "0".into()),
        ("CORRAL_IMPORT_RETRY_MS", "20".into()),
        ("CORRAL_IMPORT_TRIES", "3".into()),
        ("CORRAL_IMPORT_BATCH_ROWS", "4".into()),
        ("CORRAL_IMPORT_IN_FLIGHT", "2".into()),
        ("CORRAL_IMPORT_MAX_BYTES", "4000".into()),
    ]
}

async fn start(db: Db, smtp: &SmtpSink) -> Setup {
    let vars = vars(smtp);
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    setup_with(db, &pairs).await
}

async fn rows_get_their_status_and_the_failed_ones_their_reason(db: Db) {
    let smtp = SmtpSink::start().await;
    let s = start(db, &smtp).await;
    let sales = s.create_configuration("Sales", false).await;
    let zt = |identifier: Value| s.google.zero_touch().add_device(CUSTOMER, identifier);
    zt(json!({"imei": "490154203237518", "manufacturer": "Google"}));
    zt(json!({"serialNumber": "R58M12AB", "model": "SM-G991B", "manufacturer": "samsung"}));
    zt(json!({"imei": "352099001761481", "manufacturer": "Google"}));
    zt(json!({"imei": "356938035643809", "imei2": "358240051111110", "manufacturer": "Google"}));
    // The dual-SIM device is in the host's inventory once synced.
    let sync = format!("/api/v1/plugins/{}/devices/sync", s.plugin);
    assert_eq!(s.c.send("POST", &sync, None).await.status, 200);

    // The limits, and a header without the portal's columns: refused, nothing kept.
    let big = format!(
        "{HEADER}{}",
        "IMEI,490154203237518,,,Google,ZERO_TOUCH,1\n".repeat(100)
    );
    let r = s
        .upload(&s.c, "zero-touch-apply", "big.csv", big.as_bytes())
        .await;
    assert_eq!(
        (r.status, r.body["error"]["field"].as_str()),
        (413, Some("file")),
        "{r:?}"
    );
    let r = s
        .upload(
            &s.c,
            "zero-touch-apply",
            "x.csv",
            b"modemid,profileid\n1,2\n",
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("modemtype"),
        "{r:?}"
    );
    let r = s
        .upload(&s.c, "zero-touch-apply", "x.csv", HEADER.as_bytes())
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(s
        .c
        .get("/api/v1/imports")
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());

    // Google answers the first apply 429 and the next 503: both tried again.
    s.google.zero_touch().fail_next(&[429, 503]);
    let csv = format!(
        "{HEADER}\
         IMEI,490154203237518,,,Google,ZERO_TOUCH,{sales}\n\
         ,,R58M12AB,SM-G991B,samsung,ZERO_TOUCH,{sales}\n\
         IMEI,490154203237519,,,Google,ZERO_TOUCH,{sales}\n\
         IMEI,4901542032375,,,Google,ZERO_TOUCH,{sales}\n\
         MEID,352099001761481,,,Google,ZERO_TOUCH,{sales}\n\
         IMEI,352099001761481,,,,ZERO_TOUCH,{sales}\n\
         ,,R58M99ZZ,,samsung,ZERO_TOUCH,{sales}\n\
         IMEI,352099001761481,,,Google,KNOX,{sales}\n\
         IMEI,352099001761481,,,Google,ZERO_TOUCH,999\n\
         IMEI,358240051111110,,,Google,ZERO_TOUCH,{sales}\n\
         IMEI,352099001761481,,,Google,ZERO_TOUCH,{sales},extra\n\
         IMEI,352099001761481,,,Google,ZERO_TOUCH,{sales}\n\
         IMEI,353000000000003,,,Google,ZERO_TOUCH,{sales}\n"
    );
    let r = s
        .upload(&s.c, "zero-touch-apply", "sales.csv", csv.as_bytes())
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    assert_eq!(r.body["total_rows"], 13, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    let job = s.finished(&id, 60).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        [
            &job["rows_read"],
            &job["rows_valid"],
            &job["rows_invalid"],
            &job["rows_applied"],
            &job["rows_failed"]
        ],
        [&json!(13), &json!(4), &json!(9), &json!(3), &json!(1)],
        "{job}"
    );

    // Exactly the bad rows, by line, with their reasons.
    let page = s.c.get(&format!("/api/v1/imports/{id}/failures")).await;
    assert_eq!(page.status, 200, "{page:?}");
    let failures: Vec<(i64, String)> = page.body["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_i64().unwrap(),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let lines: Vec<i64> = failures.iter().map(|f| f.0).collect();
    assert_eq!(lines, [4, 5, 6, 7, 8, 9, 10, 11, 12, 14], "{failures:#?}");
    let expect = [
        (4, "Luhn"),
        (5, "15 digits"),
        (6, "expected IMEI"),
        (7, "manufacturer"),
        (8, "needs its model"),
        (9, "ZERO_TOUCH"),
        (10, "configuration ids"),
        (11, "use 356938035643809"),
        (12, "8 fields where the header has 7"),
        (14, "404: Requested entity was not found"),
    ];
    for ((line, reason), (want_line, needle)) in failures.iter().zip(expect) {
        assert_eq!(*line, want_line);
        assert!(reason.contains(needle), "line {line}: {reason}");
    }
    assert_eq!(page.body["failures"][0]["fields"][1], "490154203237519");
    let csv_out = s.c.get(&format!("/api/v1/imports/{id}/failures.csv")).await;
    assert_eq!(csv_out.status, 200);
    let text = csv_out.body.as_str().unwrap().to_string();
    assert!(
        text.starts_with(
            "line,modemtype,modemid,serial,model,manufacturer,profiletype,profileid,reason\n"
        ),
        "{text}"
    );
    assert_eq!(text.lines().count(), 11, "{text}");

    // At Google: the three good rows applied, IMEI and serial+model, each once.
    let done = s.google.zero_touch().done();
    let applied: Vec<Value> = done
        .iter()
        .map(|(_, b)| b["device"]["deviceIdentifier"].clone())
        .collect();
    // (Rows in flight together reach Google in any order.)
    let mut names: Vec<String> = applied
        .iter()
        .map(|i| match i["imei"].as_str() {
            Some(imei) => imei.to_string(),
            None => format!(
                "{}/{}",
                i["serialNumber"].as_str().unwrap(),
                i["model"].as_str().unwrap()
            ),
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["352099001761481", "490154203237518", "R58M12AB/SM-G991B"],
        "{done:?}"
    );
    s.google.assert_conforms();

    // The summary: a notification and an e-mail with the link.
    let mail = smtp.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].to, "owner@acme.example");
    assert!(
        mail[0]
            .text
            .contains("3 of 13 rows applied, 9 refused, 1 failed"),
        "{}",
        mail[0].text
    );
    assert!(
        mail[0].text.contains(&format!("/console/imports/{id}")),
        "{}",
        mail[0].text
    );
    let notes = s.c.get("/api/v1/notifications").await;
    assert_eq!(notes.status, 200, "{notes:?}");
    assert!(
        notes.body[0]["text"]
            .as_str()
            .unwrap()
            .contains("sales.csv"),
        "{notes:?}"
    );

    // The same devices unregistered with owner = 0.
    let unregister = csv
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join("\n")
        .replace("profileid", "owner")
        .replace(&format!("ZERO_TOUCH,{sales}"), "ZERO_TOUCH,0");
    let r = s
        .upload(
            &s.c,
            "zero-touch-unregister",
            "gone.csv",
            unregister.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let job = s.finished(r.body["id"].as_str().unwrap(), 60).await;
    assert_eq!(
        (job["rows_applied"].as_i64(), job["rows_failed"].as_i64()),
        (Some(2), Some(0)),
        "{job}"
    );
    let unclaimed = s
        .google
        .zero_touch()
        .done()
        .into_iter()
        .filter(|(m, _)| m == "unclaim")
        .count();
    assert_eq!(unclaimed, 2);
    s.google.assert_conforms();
    smtp.stop().await;
}

#[tokio::test]
async fn rows_get_their_status_and_the_failed_ones_their_reason_sqlite() {
    rows_get_their_status_and_the_failed_ones_their_reason(Db::Sqlite).await;
}

#[tokio::test]
async fn rows_get_their_status_and_the_failed_ones_their_reason_postgres() {
    rows_get_their_status_and_the_failed_ones_their_reason(Db::Postgres).await;
}

#[tokio::test]
async fn a_tenant_s_second_upload_waits_for_its_first_and_google_s_last_refusal_fails_a_row() {
    let smtp = SmtpSink::start().await;
    let s = start(Db::Sqlite, &smtp).await;
    let sales = s.create_configuration("Sales", false).await;
    s.google.zero_touch().add_device(
        CUSTOMER,
        json!({"imei": "490154203237518", "manufacturer": "Google"}),
    );
    // Every try of the first file's row answered 503: the row fails with Google's message.
    s.google.zero_touch().fail_next(&[503, 503, 503]);
    let one = format!("{HEADER}IMEI,490154203237518,,,Google,ZERO_TOUCH,{sales}\n");
    let first = s
        .upload(&s.c, "zero-touch-apply", "one.csv", one.as_bytes())
        .await;
    let second = s
        .upload(&s.c, "zero-touch-apply", "two.csv", one.as_bytes())
        .await;
    assert_eq!((first.status, second.status), (202, 202));
    let (first, second) = (
        first.body["id"].as_str().unwrap().to_string(),
        second.body["id"].as_str().unwrap().to_string(),
    );
    // One job of a tenant at a time: the second waits while the first runs.
    loop {
        let one = s.c.get(&format!("/api/v1/imports/{first}")).await.body;
        let two = s.c.get(&format!("/api/v1/imports/{second}")).await.body;
        if one["state"] == "done" {
            break;
        }
        assert_eq!(two["state"], "queued", "{one} {two}");
    }
    let job = s.finished(&first, 60).await;
    assert_eq!(job["rows_failed"], 1, "{job}");
    let page = s.c.get(&format!("/api/v1/imports/{first}/failures")).await;
    let reason = page.body["failures"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("503") && reason.contains("retry later"),
        "{reason}"
    );
    let later = s.finished(&second, 60).await;
    assert_eq!(later["rows_applied"], 1, "{later}");
    assert_eq!(s.google.zero_touch().done().len(), 1);
    s.google.assert_conforms();
    smtp.stop().await;
}

/// A server killed with SIGKILL in the middle of an import: the next one picks the job up once
/// its lease ran out and finishes it; every row ends with its right status, and Google got no
/// row twice beyond those in flight at the kill.
#[tokio::test]
async fn an_import_survives_a_kill_9_of_the_server() {
    let smtp = SmtpSink::start().await;
    let mut vars = vars(&smtp);
    vars.retain(|(k, _)| !k.starts_with("CORRAL_IMPORT_"));
    vars.extend([
        ("CORRAL_IMPORT_ROWS_PER_SECOND", "400".to_string()),
        ("CORRAL_IMPORT_IN_FLIGHT", "4".to_string()),
        ("CORRAL_IMPORT_BATCH_ROWS", "50".to_string()),
        ("CORRAL_IMPORT_LEASE_SECS", "2".to_string()),
    ]);
    let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut s = setup_with(Db::Sqlite, &pairs).await;
    s.google.zero_touch().accept_any_device();
    let profile = s.create_configuration("Sales", false).await;
    let path = s.env.data_dir().join("kill.csv");
    let generated = corral_tests::zero_touch::generate(&path, 3000, 97, &profile, false, "0");
    let r = s
        .upload(
            &s.c,
            "zero-touch-apply",
            "kill.csv",
            &std::fs::read(&path).unwrap(),
        )
        .await;
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    // Half-way through the applies: kill -9.
    loop {
        let job = s.c.get(&format!("/api/v1/imports/{id}")).await.body;
        assert_ne!(job["state"], "done", "too fast to be killed: {job}");
        if job["rows_applied"].as_i64().unwrap_or(0) >= 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    s.server.child.start_kill().unwrap();
    s.server.child.wait().await.unwrap();
    let at_kill: u32 = s.google.zero_touch().counted().values().sum();
    assert!(at_kill < 2900, "{at_kill}");

    // The next server finishes it.
    s.server = s.env.serve().await;
    s.c = s.env.signed_in_owner(&s.server, "acme", "second").await;
    let job = s.finished(&id, 120).await;
    let bad = generated.bad.len() as i64;
    let valid = 3000 - bad;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        [
            &job["rows_read"],
            &job["rows_valid"],
            &job["rows_invalid"],
            &job["rows_applied"],
            &job["rows_failed"]
        ],
        [
            &json!(3000),
            &json!(valid),
            &json!(bad),
            &json!(valid),
            &json!(0)
        ],
        "{job}"
    );
    let page =
        s.c.get(&format!("/api/v1/imports/{id}/failures?limit=1000"))
            .await;
    let lines: Vec<u64> = page.body["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = generated.bad.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, expected);
    // Every valid row at Google; again only those in flight at the kill (at most 4).
    let counted = s.google.zero_touch().counted().clone();
    assert_eq!(counted.len() as i64, valid);
    let twice: u32 = counted.values().map(|n| n - 1).sum();
    assert!(twice <= 4, "{twice} rows sent again");
    s.google.assert_conforms();
    smtp.stop().await;
}
