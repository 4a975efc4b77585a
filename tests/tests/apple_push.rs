//! Waking Apple devices through APNs (issue 25), against the HTTP/2 TLS stand-in of APNs
//! (`corral_tests::apns`, which checks the client certificate's topic, the headers and the
//! body of every push): the tenant's push certificate (upload, topic in new profiles, the
//! refusal of a topic change, the expiry warning by e-mail), a push after each enqueue that
//! never precedes its commit (the played device polls as soon as it is woken and must find its
//! command), retries after a 503, and retire and wipe (SPEC D7) sending their commands.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use corral_tests::apns::ApnsStandIn;
use corral_tests::apple::{acknowledged, idle, security_info, AppleTenant};
use corral_tests::{both_backends, Db, SmtpSink};
use serde_json::json;

both_backends!(commands_wake_the_device_after_their_commit);
both_backends!(a_topic_change_is_refused_unless_confirmed);
both_backends!(owners_are_warned_before_the_certificate_expires);
both_backends!(devices_out_of_contact_are_pushed_again);

const TOPIC: &str = "com.apple.mgmt.External.5f1c2a4e-7d3b-4c1e-9a0f-2b6d8e4c1a37";

/// Enqueues a command without parameters for the device `id` through the admin API.
async fn enqueue(apple: &AppleTenant, id: &str, request_type: &str) -> corral_tests::Reply {
    apple
        .admin
        .send(
            "POST",
            "/api/v1/apple/commands",
            Some(json!({"device_ids": [id], "command": {"request_type": request_type}})),
        )
        .await
}

async fn commands_wake_the_device_after_their_commit(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let apple = AppleTenant::start_in(apns.env(db).await).await;
    // A second process on the same database: its pusher runs too, and each push still goes
    // out once (the statuses below would show a second).
    let _second = apple.env.serve_behind(&apple.server).await;

    // Without a certificate: refused clearly, nothing stored.
    let r = apple.admin.get("/api/v1/apple/push-certificate").await;
    assert_eq!(r.status, 404, "{r:?}");
    let (certificate, _) = apns.push_certificate(TOPIC, 300);
    let (_, other_key) = apns.push_certificate(TOPIC, 300);
    let r = apple
        .admin
        .send(
            "PUT",
            "/api/v1/apple/push-certificate",
            Some(json!({"certificate": certificate, "private_key": other_key})),
        )
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("private_key")), "{r:?}");
    let r = apple
        .admin
        .send(
            "PUT",
            "/api/v1/apple/push-certificate",
            Some(json!({"certificate": "not a certificate", "private_key": other_key})),
        )
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("certificate")), "{r:?}");
    let r = apns
        .install(&apple.admin, "com.example.not-mdm", 300, false)
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("certificate")), "{r:?}");
    assert_eq!(
        apple
            .admin
            .get("/api/v1/apple/push-certificate")
            .await
            .status,
        404
    );

    let r = apns.install(&apple.admin, TOPIC, 300, false).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["topic"], TOPIC);
    assert_eq!(r.body["expires_soon"], false);
    assert!(r.body.get("private_key").is_none() && !r.body.to_string().contains("PRIVATE"));

    // New profiles name the certificate's topic.
    let (device, id) = apple.enrolled("ios", "00008110-000A1B2C3D4E5F6G").await;
    let url = apple.server.url.clone();

    // As soon as it is woken, the device polls: it must find the command that woke it.
    let woken: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    {
        let (woken, device, url) = (woken.clone(), device.clone(), url.clone());
        apns.on_push(move |_push| {
            let (woken, device, url) = (woken.clone(), device.clone(), url.clone());
            async move {
                let (_, command) = device.send(&url, idle()).await;
                let uuid = command.and_then(|c| {
                    c.get("CommandUUID")
                        .and_then(|u| u.as_string())
                        .map(str::to_string)
                });
                woken.lock().unwrap().push(uuid);
            }
        });
    }
    let r = enqueue(&apple, &id, "DeviceInformation").await;
    assert_eq!(r.status, 201, "{r:?}");
    let uuid = r.body[0]["id"].as_str().unwrap().to_string();
    let pushes = apns.wait_delivered(1, 20).await;
    assert_eq!(pushes.len(), 1, "{:?}", apns.refusals());
    let push = &pushes[0];
    assert_eq!(push.token, "07".repeat(32));
    assert_eq!(push.push_magic, "5B7F1C2A-push-magic");
    assert_eq!(push.topic, TOPIC);
    let now = chrono::Utc::now().timestamp();
    assert!(
        push.expiration > now + 86_400,
        "an expiration for offline devices: {push:?}"
    );
    assert_eq!(
        woken.lock().unwrap().clone(),
        vec![Some(uuid.clone())],
        "the woken device found its command"
    );

    // APNs unavailable once: the push is tried again and delivered.
    apns.answer_next(&[503]);
    let r = enqueue(&apple, &id, "ProfileList").await;
    assert_eq!(r.status, 201, "{r:?}");
    let delivered = apns.wait_delivered(2, 30).await;
    assert_eq!(delivered.len(), 2, "{:?}", apns.pushes());
    let statuses: Vec<u16> = apns.pushes().iter().map(|p| p.status).collect();
    assert_eq!(statuses, vec![200, 503, 200]);
    assert_eq!(woken.lock().unwrap().len(), 2);
    assert!(
        woken.lock().unwrap()[1].is_some(),
        "the retried push found its command"
    );

    // SPEC D7: retiring sends the removal of the enrolment profile before anything else; the
    // other waiting commands are cancelled.
    let r = enqueue(&apple, &id, "SecurityInfo").await;
    let security = r.body[0]["id"].as_str().unwrap().to_string();
    apns.wait_delivered(3, 20).await;
    let r = apple
        .admin
        .send("POST", &format!("/api/v1/devices/{id}/retire"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let listed = apple
        .admin
        .get(&format!("/api/v1/apple/commands?device_id={id}"))
        .await;
    let remove = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["request_type"] == "RemoveProfile")
        .cloned()
        .unwrap();
    assert_eq!(remove["status"], "pending");
    let s = apple
        .admin
        .get(&format!("/api/v1/apple/commands/{security}"))
        .await;
    assert_eq!(s.body["status"], "cancelled", "{s:?}");
    assert_eq!(apns.wait_delivered(4, 20).await.len(), 4);
    let last = woken.lock().unwrap().last().cloned().flatten();
    assert_eq!(
        last.as_deref(),
        remove["id"].as_str(),
        "woken for its removal"
    );
    assert!(apns.refusals().is_empty(), "{:?}", apns.refusals());

    // A Mac's wipe carries a PIN, shown to administrators (kept sealed in the database).
    let (_mac, mac_id) = apple.enrolled("macos", "C02XK0ABCD12-MAC").await;
    let r = apple
        .admin
        .send("POST", &format!("/api/v1/devices/{mac_id}/wipe"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let listed = apple
        .admin
        .get(&format!("/api/v1/apple/commands?device_id={mac_id}"))
        .await;
    let erase = &listed.body[0];
    assert_eq!(erase["request_type"], "EraseDevice");
    let pin = erase["pin"].as_str().unwrap();
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{erase}"
    );
    let stored = apple
        .env
        .number_sql(&format!(
            "SELECT COUNT(*) FROM apple_commands WHERE sealed = 1 AND command_plist LIKE '%{pin}%'"
        ))
        .await;
    assert_eq!(stored, 0, "the PIN is sealed at rest");
}

async fn a_topic_change_is_refused_unless_confirmed(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let apple = AppleTenant::start_in(apns.env(db).await).await;
    assert_eq!(
        apns.install(&apple.admin, TOPIC, 300, false).await.status,
        200
    );
    let _enrolled = apple.enrolled("ios", "00008110-000A1B2C3D4E5F6G").await;
    // The same topic renewed: fine.
    assert_eq!(
        apns.install(&apple.admin, TOPIC, 365, false).await.status,
        200
    );
    // Another topic: refused, saying what would happen, nothing changed.
    let other = "com.apple.mgmt.External.0a9b8c7d-0000-4000-8000-000000000001";
    let r = apns.install(&apple.admin, other, 300, false).await;
    assert_eq!((r.status, r.error().0), (409, "topic_change"), "{r:?}");
    let message = r.body["error"]["message"]
        .as_str()
        .or(r.body["message"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        message.contains("1 enrolled device") && message.contains("no push"),
        "{r:?}"
    );
    let now = apple.admin.get("/api/v1/apple/push-certificate").await;
    assert_eq!(now.body["topic"], TOPIC);
    // Confirmed: replaced, and the device on the old topic is counted.
    let r = apns.install(&apple.admin, other, 300, true).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (
            r.body["topic"].as_str(),
            r.body["devices_on_other_topics"].as_i64()
        ),
        (Some(other), Some(1))
    );
    let history = apple.admin.get("/api/v1/history?object_type=tenant").await;
    assert!(
        history.body.to_string().contains("apple_push_certificate"),
        "{history:?}"
    );
    assert!(!history.body.to_string().contains("PRIVATE KEY"));
}

async fn owners_are_warned_before_the_certificate_expires(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let sink = SmtpSink::start().await;
    let env = apns
        .env(db)
        .await
        .with_smtp(sink.port)
        .with_env("CORRAL_JOBS_EVERY_SECS", "1");
    let apple = AppleTenant::start_in(env).await;
    let r = apns.install(&apple.admin, TOPIC, 20, false).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["expires_soon"], true);
    assert!(
        (19..=20).contains(&r.body["days_left"].as_i64().unwrap()),
        "{r:?}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(30)).await;
    let warning: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.contains("push certificate"))
        .collect();
    assert_eq!(
        warning.len(),
        1,
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(warning[0].to.contains("owner"), "{}", warning[0].to);
    assert!(warning[0].text.contains(TOPIC));
    // Once per certificate.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = sink.wait_for(2, Duration::from_millis(100)).await;
    assert_eq!(
        again
            .iter()
            .filter(|m| m.subject.contains("push certificate"))
            .count(),
        1
    );
    let r = apple.admin.get("/api/v1/apple/push-certificate").await;
    assert!(r.body["expiry_warned_at"].is_i64(), "{r:?}");
    // A certificate a year away: no warning.
    let r = apns.install(&apple.admin, TOPIC, 365, false).await;
    assert_eq!(r.body["expires_soon"], false);
}

/// The sweep: a device with a command waiting and no contact for `--apns-sweep-after-secs` is
/// pushed again, until it answers; then no more pushes.
async fn devices_out_of_contact_are_pushed_again(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let env = apns
        .env(db)
        .await
        .with_env("CORRAL_JOBS_EVERY_SECS", "1")
        .with_env("CORRAL_APNS_SWEEP_AFTER_SECS", "1");
    let apple = AppleTenant::start_in(env).await;
    assert_eq!(
        apns.install(&apple.admin, TOPIC, 300, false).await.status,
        200
    );
    let (device, id) = apple.enrolled("ios", "00008110-000A1B2C3D4E5F6G").await;
    let r = enqueue(&apple, &id, "SecurityInfo").await;
    assert_eq!(r.status, 201, "{r:?}");
    // The device never polls: pushed again and again.
    let pushed = apns.wait_delivered(3, 30).await;
    assert_eq!(pushed.len(), 3, "{:?}", apns.pushes());
    // It answers: nothing more to wake it for.
    let url = &apple.server.url;
    let (_, command) = device.send(url, idle()).await;
    let uuid = command.unwrap()["CommandUUID"]
        .as_string()
        .unwrap()
        .to_string();
    let ack = acknowledged(
        "information.security",
        &uuid,
        &[("SecurityInfo", security_info())],
    );
    assert_eq!(device.send(url, ack).await, (200, None));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = apns.pushes().len();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(apns.pushes().len(), settled, "no push once nothing waits");
    assert!(apns.refusals().is_empty(), "{:?}", apns.refusals());
}
