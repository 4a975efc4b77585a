//! Invitations delivered over real SMTP (aiosmtpd) through the outbox.

use std::time::Duration;

use corral_tests::{both_backends, free_port, pin_in, Client, Db, Env, SmtpSink};
use serde_json::json;

both_backends!(invitation_mail_carries_the_link_and_pin);

/// Polls the delivery status of the mail about `object_id` until `done` accepts it.
async fn delivery(
    c: &Client,
    object_id: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    for _ in 0..300 {
        let r = c.get(&format!("/api/v1/mail?object_id={object_id}")).await;
        assert_eq!(r.status, 200, "{r:?}");
        if let Some(m) = r.body.as_array().and_then(|a| a.first()) {
            if done(m) {
                return m.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("mail about {object_id} never reached the expected state");
}

async fn invitation_mail_carries_the_link_and_pin(db: Db) {
    let sink = SmtpSink::start().await;
    let env = Env::new(db).await.with_smtp(sink.port);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;

    let r = c.get("/api/v1/registration").await;
    let url = r.body["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/r/acme.1.", server.url)),
        "{url}"
    );

    // A user without a password, invited at creation: link + PIN.
    let r = c
        .send("POST", "/api/v1/users", Some(json!({
            "email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee", "send_invitation": true
        })))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ann = r.body["id"].as_str().unwrap().to_string();
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(
        (m.to.as_str(), m.subject.as_str()),
        ("ann@acme.example", "Register your device")
    );
    assert!(
        m.text.contains("Hello Ann,") && m.text.contains(&url),
        "{}",
        m.text
    );
    assert!(m.text.contains(&format!("{url}/go")), "{}", m.text);
    let pin = pin_in(&m.text).expect("a PIN in the mail");
    assert!(
        m.html.contains(&pin) && m.html.contains(&format!("href=\"{url}\"")),
        "{}",
        m.html
    );
    let sent = delivery(&c, &ann, |m| m["status"] == "sent").await;
    assert_eq!(
        (sent["kind"].as_str(), sent["attempts"].as_i64()),
        (Some("invitation"), Some(1))
    );

    // A user with a password needs no PIN...
    let r = c
        .send("POST", "/api/v1/users", Some(json!({
            "email": "pat@acme.example", "first_name": "Pat", "last_name": "Roe", "password": "pat's long password"
        })))
        .await;
    let pat = r.body["id"].as_str().unwrap().to_string();
    let r = c
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [pat]})),
        )
        .await;
    assert_eq!(
        (r.status, r.body[0]["pin_issued"].as_bool()),
        (200, Some(false)),
        "{r:?}"
    );
    let mails = sink.wait_for(2, Duration::from_secs(20)).await;
    assert!(
        pin_in(&mails[1].text).is_none() && !mails[1].text.contains("one-time PIN:"),
        "{}",
        mails[1].text
    );

    // ...unless the tenant requires one; and the tenant's language is used.
    let r = c
        .send(
            "PATCH",
            "/api/v1/settings/users",
            Some(json!({"require_registration_pin": true, "language": "fr"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["require_registration_pin"].as_bool()),
        (200, Some(true))
    );
    let r = c
        .send(
            "PATCH",
            "/api/v1/settings/users",
            Some(json!({"pin_validity_hours": 0})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("pin_validity_hours")))
    );
    let r = c
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [pat]})),
        )
        .await;
    assert_eq!(r.body[0]["pin_issued"], true);
    let mails = sink.wait_for(3, Duration::from_secs(20)).await;
    assert_eq!(mails[2].subject, "Inscrivez votre appareil");
    assert!(
        mails[2].text.contains("Bonjour Pat,") && pin_in(&mails[2].text).is_some(),
        "{}",
        mails[2].text
    );

    // Rotating the key changes the URL; later invitations carry the new one.
    let r = c
        .send("POST", "/api/v1/registration/rotate-key", None)
        .await;
    let new_url = r.body["url"].as_str().unwrap().to_string();
    assert!(
        new_url.contains("/r/acme.2.") && new_url != url,
        "{new_url}"
    );
    c.send(
        "POST",
        "/api/v1/users/invitations",
        Some(json!({"user_ids": [ann]})),
    )
    .await;
    let mails = sink.wait_for(4, Duration::from_secs(20)).await;
    assert!(
        mails[3].text.contains(&new_url) && !mails[3].text.contains(&url),
        "{}",
        mails[3].text
    );

    // The operator can rotate too (command line); the API then hands out version 3.
    assert_eq!(
        env.cli_ok(&["tenant", "rotate-enrolment-key", "--tenant", "acme"], "")
            .await
            .trim(),
        "3"
    );
    let r = c.get("/api/v1/registration").await;
    assert!(
        r.body["url"].as_str().unwrap().contains("/r/acme.3."),
        "{r:?}"
    );

    // Unknown users: nothing sent.
    let r = c
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [ann, "nope"]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("user_ids[1]")))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 4);
    let h = c
        .get(&format!("/api/v1/history?object_type=user&object_id={ann}"))
        .await;
    let invited = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "invited")
        .count();
    assert_eq!(invited, 2);
}

/// The SMTP server is down when the invitation is sent: it waits in the outbox, is retried, and
/// is delivered exactly once when the server comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_survives_smtp_down_and_is_sent_once() {
    let port = free_port();
    let env = Env::new(Db::Sqlite).await.with_smtp(port);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let r = c
        .send("POST", "/api/v1/users", Some(json!({
            "email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee", "send_invitation": true
        })))
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ann = r.body["id"].as_str().unwrap().to_string();
    let pending = delivery(&c, &ann, |m| m["attempts"].as_i64() >= Some(2)).await;
    assert_eq!(pending["status"], "pending");
    assert!(
        pending["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{pending}"
    );

    let sink = SmtpSink::start_on(port).await;
    let mails = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "ann@acme.example");
    let sent = delivery(&c, &ann, |m| m["status"] == "sent").await;
    assert!(sent["last_error"].is_null());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sink.messages().len(), 1, "sent twice");
}
