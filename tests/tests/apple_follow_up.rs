//! After the download (SPEC D1, D4, D6), through the real server and its scheduled jobs:
//! - a profile must be installed within its install window; a re-enrolment the user cancels
//!   (Authenticate, then nothing) is cancelled and the device loses MDM, in the API and the
//!   history; check-ins with a cancelled or late profile are refused;
//! - a user who downloaded a profile and did not finish gets reminder e-mails (real SMTP to the
//!   local sink) until the device completes its TokenUpdate, and none after; with two server
//!   processes on the database, still one reminder per interval.

use std::time::Duration;

use corral_tests::apple::{AppleTenant, PlayedDevice};
use corral_tests::{both_backends, Db, Env, SmtpSink};

both_backends!(
    cancelled_reenrolment_disables_mdm,
    reminders_until_the_device_is_enrolled,
);

const UDID: &str = "00008110-000A1B2C3D4E5F6G";

/// Polls `check` every 200 ms for at most 20 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn device_history(apple: &AppleTenant, id: &str) -> Vec<(String, String)> {
    let r = apple
        .admin
        .get(&format!(
            "/api/v1/history?object_type=device&object_id={id}"
        ))
        .await;
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["actor_type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn cancelled_reenrolment_disables_mdm(db: Db) {
    let env = Env::new(db).await.with_env("CORRAL_JOBS_EVERY_SECS", "1");
    let apple = AppleTenant::start_in(env).await;
    let url = &apple.server.url;

    // Enrolled and managed.
    let device = PlayedDevice::install(&apple.download("ios").await.bytes, UDID);
    for kind in ["Authenticate", "TokenUpdate"] {
        assert_eq!(device.check_in(url, &device.message(kind), true).await, 200);
    }
    let list = apple.admin.get("/api/v1/devices").await.body;
    let id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["mdm_enabled"], true);

    // Re-enrolment: the new profile authenticates, then the user taps Cancel. Its install
    // window passes (made to pass in the database rather than waiting ten minutes).
    let again = PlayedDevice::install(&apple.download("ios").await.bytes, UDID);
    assert_eq!(
        again
            .check_in(url, &again.message("Authenticate"), true)
            .await,
        200
    );
    // A profile downloaded and never opened is cancelled too, and touches no device.
    let unused = PlayedDevice::install(&apple.download("ios").await.bytes, "OTHER-UDID");
    let late = apple
        .env
        .execute_sql(
            "UPDATE apple_enrolments SET install_deadline = 1 \
             WHERE status IN ('authenticated', 'downloaded')",
        )
        .await;
    assert_eq!(late, 2);

    // Late messages are refused at once, before the job runs.
    assert_eq!(
        again
            .check_in(url, &again.message("TokenUpdate"), true)
            .await,
        403
    );

    eventually("the device loses MDM", || async {
        apple.admin.get(&format!("/api/v1/devices/{id}")).await.body["mdm_enabled"] == false
    })
    .await;
    let r = apple.admin.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(r.body["state"], "active", "{r:?}");
    assert_eq!(
        device_history(&apple, &id).await,
        [
            ("mdm_disabled".to_string(), "system".to_string()),
            ("created".to_string(), "system".to_string())
        ]
    );
    // Cancelled enrolments refuse every message, and the unused one registered nothing.
    assert_eq!(
        again
            .check_in(url, &again.message("Authenticate"), true)
            .await,
        403
    );
    assert_eq!(
        unused
            .check_in(url, &unused.message("Authenticate"), true)
            .await,
        403
    );
    assert_eq!(
        apple
            .admin
            .get("/api/v1/devices")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A fresh profile installed in time manages the device again.
    let third = PlayedDevice::install(&apple.download("ios").await.bytes, UDID);
    for kind in ["Authenticate", "TokenUpdate"] {
        assert_eq!(third.check_in(url, &third.message(kind), true).await, 200);
    }
    let r = apple.admin.get("/api/v1/devices").await;
    let live: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["archived"] == false)
        .collect();
    assert_eq!(live.len(), 1, "{r:?}");
    assert_eq!(
        (live[0]["mdm_enabled"].as_bool(), live[0]["state"].as_str()),
        (Some(true), Some("active"))
    );
}

async fn reminders_until_the_device_is_enrolled(db: Db) {
    let sink = SmtpSink::start().await;
    let env = Env::new(db)
        .await
        .with_smtp(sink.port)
        .with_env("CORRAL_JOBS_EVERY_SECS", "1")
        .with_env("CORRAL_ENROLMENT_REMINDER_SECS", "1");
    let apple = AppleTenant::start_in(env).await;
    // A second process on the same database, behind the same public address, runs the same
    // jobs: each reminder still goes out once, with the same link whichever process sends it.
    let _second = apple.env.serve_behind(&apple.server).await;
    let registration_url = apple.admin.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();

    let profile = apple.download("macos").await;
    assert_eq!(profile.status, 200);

    // Reminders arrive, each pointing at the portal for a fresh profile.
    let mails = sink.wait_for(2, Duration::from_secs(30)).await;
    assert!(mails.len() >= 2, "{} reminder(s)", mails.len());
    for m in &mails {
        assert_eq!(m.to, "pat@acme.example");
        assert_eq!(m.subject, "Finish enrolling your device");
        assert!(m.text.contains("for your Mac"), "{}", m.text);
        assert!(m.text.contains(&registration_url), "{}", m.text);
    }

    // The device finishes: reminders stop.
    let device = PlayedDevice::install(&profile.bytes, UDID);
    let url = &apple.server.url;
    for kind in ["Authenticate", "TokenUpdate"] {
        assert_eq!(device.check_in(url, &device.message(kind), true).await, 200);
    }
    let queued = reminders_queued(&apple).await;
    let sent_by_then = queued.len();
    assert!(sent_by_then >= 2);
    // One reminder per interval (1 s) even with two processes: never two at once.
    for pair in queued.windows(2) {
        assert!(pair[1] - pair[0] >= 900, "reminders queued at {queued:?}");
    }
    // Three more job periods: nothing new is queued.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(reminders_queued(&apple).await.len(), sent_by_then);
    // And every queued reminder was delivered exactly once.
    let delivered = sink
        .wait_for(sent_by_then, Duration::from_secs(30))
        .await
        .len();
    assert_eq!(delivered, sent_by_then);
}

/// When the reminder e-mails were queued (Unix ms, oldest first), as the admin API lists them.
async fn reminders_queued(apple: &AppleTenant) -> Vec<i64> {
    let r = apple.admin.get("/api/v1/mail").await;
    let mut at: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "enrolment_reminder")
        .map(|m| m["created_at"].as_i64().unwrap())
        .collect();
    at.sort();
    at
}
