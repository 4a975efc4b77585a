//! Hardening found by an outside test (issue 18), against the real binary on both databases:
//! cross-site writes, bodies where none is taken, private database files.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use corral_tests::portal::{Browser, Page};
use corral_tests::{both_backends, Db, Env, SmtpSink};
use serde_json::json;

both_backends!(
    cookie_writes_from_other_sites_are_refused_and_change_nothing,
    routes_without_a_body_refuse_one,
    data_files_are_private,
    guessing_is_limited_and_tells_nobody_who_exists,
    one_address_is_limited_across_accounts,
    input_edge_cases_are_refused_alike_on_both_databases,
    a_bulk_import_keeps_no_one_waiting,
);

async fn cookie_writes_from_other_sites_are_refused_and_change_nothing(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let url_before = c.get("/api/v1/registration").await.body["url"].clone();
    assert!(url_before.is_string());
    let history = "/api/v1/history?object_type=tenant&limit=50";
    let history_before = c.get(history).await.body;

    // What a form or a preflight-free fetch of another page can send: refused before the route.
    let rotate = "/api/v1/registration/rotate-key";
    let enable = "/api/v1/unmanaged-devices/enable";
    for path in [rotate, enable] {
        for headers in [
            &[("content-type", "application/x-www-form-urlencoded")][..],
            &[("content-type", "multipart/form-data; boundary=x")][..],
            &[("content-type", "text/plain")][..],
            &[][..],
        ] {
            let r = c.send_with("POST", path, headers, "a=1").await;
            assert_eq!(
                (r.status, r.error().0),
                (415, "unsupported_media_type"),
                "{path} {headers:?}: {r:?}"
            );
        }
        // JSON, but the browser says it comes from a sibling subdomain or another origin.
        for headers in [
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "same-site"),
            ][..],
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site"),
            ][..],
            &[
                ("content-type", "application/json"),
                ("origin", "http://evil.example"),
            ][..],
        ] {
            let r = c.send_with("POST", path, headers, "").await;
            assert_eq!(
                (r.status, r.error().0),
                (403, "cross_site_request"),
                "{path} {headers:?}: {r:?}"
            );
        }
    }
    // Nothing changed.
    assert_eq!(c.get("/api/v1/registration").await.body["url"], url_before);
    let feature = c.get("/api/v1/unmanaged-devices").await;
    assert_eq!(feature.body["state"], "off", "{feature:?}");
    assert_eq!(c.get(history).await.body, history_before);

    // The application itself: same origin (as a browser on this site says it), JSON.
    let own_origin = server.url.clone();
    let r = c
        .send_with(
            "POST",
            rotate,
            &[
                ("content-type", "application/json"),
                ("origin", &own_origin),
                ("sec-fetch-site", "same-origin"),
            ],
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_ne!(r.body["url"], url_before);
    let r = c.send("POST", enable, None).await;
    assert_eq!(
        (r.status, r.body["state"].as_str()),
        (200, Some("on")),
        "{r:?}"
    );
}

async fn routes_without_a_body_refuse_one(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let json = [("content-type", "application/json")];
    let r = c
        .send_with(
            "POST",
            "/api/v1/unmanaged-devices/enable",
            &json,
            r#"{"force": true}"#,
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("unknown_field", Some("force")))
    );
    let r = c
        .send_with("POST", "/api/v1/unmanaged-devices/enable", &json, "[1]")
        .await;
    assert_eq!((r.status, r.error().0), (400, "unexpected_body"), "{r:?}");
    assert_eq!(
        c.get("/api/v1/unmanaged-devices").await.body["state"],
        "off"
    );
    // An empty object is no body.
    let r = c
        .send_with("POST", "/api/v1/unmanaged-devices/enable", &json, "{}")
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

async fn data_files_are_private(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    // One write so that SQLite has its WAL and shared-memory files.
    let _ = env.signed_in_owner(&server, "acme", "owner").await;
    let mode = |path: std::path::PathBuf| {
        std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(env.data_dir()), 0o700);
    assert_eq!(mode(env.data_dir().join("secret.key")), 0o600);
    if db == Db::Sqlite {
        let file = env.database_url.trim_start_matches("sqlite://").to_string();
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(
                mode(format!("{file}{suffix}").into()),
                0o600,
                "{file}{suffix}"
            );
        }
    }
    drop(server);

    // A database file left readable by an older version is tightened at the next start.
    if db == Db::Sqlite {
        let file = env.database_url.trim_start_matches("sqlite://").to_string();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _server = env.serve().await;
        assert_eq!(mode(file.into()), 0o600);
    }
}

/// Status, error text and whether `Retry-After` came, of a portal answer.
fn answer(page: &Page, field: &str) -> (u16, Option<String>, bool) {
    (
        page.status,
        page.error(field),
        page.headers.contains_key("retry-after"),
    )
}

async fn guessing_is_limited_and_tells_nobody_who_exists(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let pat_password = "pat's long password";
    c.create_user(
        json!({"email": "pat@acme.example", "first_name": "Pat", "last_name": "Roe",
                         "password": pat_password}),
    )
    .await;
    // Invited, with a PIN waiting (no SMTP here: the message stays in the outbox).
    c.create_user(
        json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee",
                         "send_invitation": true}),
    )
    .await;
    let link = c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();

    // Portal passwords: five wrong ones, then the right one is refused for a while. An address
    // that is nobody's gets exactly the same answers.
    let mut seen = Vec::new();
    for email in ["pat@acme.example", "nobody@acme.example"] {
        let b = Browser::new(&server.url);
        let mut page = b.get(&link).await;
        let mut answers = Vec::new();
        for password in ["wrong password 1"; 5].into_iter().chain([pat_password]) {
            page = b
                .submit(
                    &page,
                    "/sign-in",
                    &[("email", email), ("password", password)],
                )
                .await;
            answers.push(answer(&page, "password"));
        }
        seen.push(answers);
    }
    assert_eq!(seen[0], seen[1], "a user and nobody are told apart");
    let statuses: Vec<u16> = seen[0].iter().map(|a| a.0).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    assert!(seen[0][5].2, "429 with Retry-After");
    assert!(
        seen[0][5]
            .1
            .as_deref()
            .unwrap()
            .starts_with("Too many failed attempts for this address. Try again in 15 minute"),
        "{:?}",
        seen[0][5]
    );

    // PIN-first sign-in: an invited address and nobody's get the same answers too.
    let mut seen = Vec::new();
    for email in ["ann@acme.example", "nobody@acme.example"] {
        let b = Browser::new(&server.url);
        let mut page = b.get(&format!("{link}/pin")).await;
        let mut answers = Vec::new();
        for _ in 0..6 {
            page = b
                .submit(&page, "/pin", &[("email", email), ("pin", "12345678")])
                .await;
            answers.push(answer(&page, "pin"));
        }
        seen.push(answers);
    }
    assert_eq!(
        seen[0], seen[1],
        "an invited user and nobody are told apart"
    );
    let statuses: Vec<u16> = seen[0].iter().map(|a| a.0).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);

    // Administrators: a real one and an unknown address lock alike (401 five times, then 429
    // with the same message and Retry-After).
    env.create_admin("acme", "ops@acme.example", "admin", "ops passphrase 12")
        .await;
    let mut seen = Vec::new();
    for email in ["ops@acme.example", "ghost@acme.example"] {
        let client = server.client();
        let mut answers = Vec::new();
        for _ in 0..6 {
            let r = client
                .sign_in("acme", email, "a wrong passphrase", "000000")
                .await;
            answers.push((
                r.status,
                r.body.clone(),
                r.headers.contains_key("retry-after"),
            ));
        }
        seen.push(answers);
    }
    assert_eq!(
        seen[0], seen[1],
        "an administrator and nobody are told apart"
    );
    let statuses: Vec<u16> = seen[0].iter().map(|a| a.0).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    assert_eq!(seen[0][5].1["error"]["code"], "account_locked");
    assert!(seen[0][5].2);
}

async fn one_address_is_limited_across_accounts(db: Db) {
    let env = Env::new(db)
        .await
        .with_env("CORRAL_ATTEMPTS_PER_MINUTE", "3");
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let client = server.client();
    // Three attempts at three different accounts pass (and fail); the fourth is refused
    // before any account is looked at.
    for i in 0..3 {
        let r = client
            .sign_in(
                "acme",
                &format!("user{i}@acme.example"),
                "wrong passphrase",
                "000000",
            )
            .await;
        assert_eq!(r.status, 401, "{r:?}");
    }
    let r = client
        .sign_in("acme", "user9@acme.example", "wrong passphrase", "000000")
        .await;
    assert_eq!((r.status, r.error().0), (429, "too_many_attempts"), "{r:?}");
    let wait: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // The portal's forms share the address's budget, and answer with a page.
    let r = client
        .send_with(
            "POST",
            "/r/acme.1.x/sign-in",
            &[("content-type", "application/x-www-form-urlencoded")],
            "email=a%40b.c&password=x",
        )
        .await;
    assert_eq!(r.status, 429, "{r:?}");
    assert!(
        r.body.as_str().unwrap().contains("Too many attempts"),
        "{r:?}"
    );
    // Reading is not limited.
    assert_eq!(client.get("/healthz").await.status, 200);
}

async fn input_edge_cases_are_refused_alike_on_both_databases(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let ann = c
        .create_user(json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee"}))
        .await;

    // NUL (and other control characters) in a field, a query parameter or the path: a field
    // error, never a database error, on either database.
    let r = c
        .send(
            "POST",
            "/api/v1/users",
            Some(json!({"email": "bo@acme.example", "first_name": "B\u{0}o", "last_name": "X"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("first_name")))
    );
    let r = c
        .send(
            "POST",
            "/api/v1/users/bulk",
            Some(json!({"users": [
                {"email": "cy@acme.example", "first_name": "Cy", "last_name": "X"},
                {"email": "di@acme.example", "first_name": "Di", "last_name": "X\u{1b}[31m"}
            ]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("users[1].last_name")))
    );
    let r = c
        .send(
            "PATCH",
            &format!("/api/v1/users/{ann}"),
            Some(json!({"first_name": "Ann\nMarie"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("first_name")))
    );
    let r = c.get("/api/v1/users?prefix=a%00").await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("prefix")))
    );
    let r = c.get("/api/v1/users/%00").await;
    assert_eq!((r.status, r.error().0), (400, "invalid_path"), "{r:?}");
    let r = c.get("/api/v1/users").await;
    assert_eq!(r.body.as_array().unwrap().len(), 1, "nothing stored: {r:?}");

    // PATCH: null changes nothing, so it is refused rather than answered 200.
    let r = c
        .send(
            "PATCH",
            &format!("/api/v1/users/{ann}"),
            Some(json!({"email": null})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("email")))
    );
    // A body is an object: serde would read the fields from an array in order.
    for body in [
        json!([null, null, null]),
        json!(["x@acme.example"]),
        json!("x"),
    ] {
        let r = c
            .send("PATCH", &format!("/api/v1/users/{ann}"), Some(body.clone()))
            .await;
        assert_eq!(
            (r.status, r.error().0),
            (400, "invalid_json"),
            "{body}: {r:?}"
        );
    }
    let r = c.get(&format!("/api/v1/users/{ann}")).await;
    assert_eq!(r.body["email"], "ann@acme.example", "unchanged: {r:?}");

    // One catalogue entry per store id and platform.
    let app = json!({"kind": "store", "platform": "android", "name": "Scanner",
                     "store_id": "com.acme.scanner"});
    assert_eq!(
        c.send("POST", "/api/v1/apps", Some(app.clone()))
            .await
            .status,
        201
    );
    for again in [
        app.clone(),
        json!({"kind": "business", "platform": "android", "name": "Scanner (work)",
               "store_id": "com.acme.scanner"}),
    ] {
        let r = c.send("POST", "/api/v1/apps", Some(again)).await;
        assert_eq!((r.status, r.error().0), (409, "app_listed"), "{r:?}");
    }
    let ios = json!({"kind": "store", "platform": "ios", "name": "Scanner", "store_id": "12345"});
    assert_eq!(c.send("POST", "/api/v1/apps", Some(ios)).await.status, 201);
    assert_eq!(
        c.get("/api/v1/apps").await.body.as_array().unwrap().len(),
        2
    );

    // The same user three times in one invitation request: refused, nothing queued.
    let r = c
        .send(
            "POST",
            "/api/v1/users/invitations",
            Some(json!({"user_ids": [ann, ann, ann]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("user_ids[1]")))
    );
    let mail = c.get("/api/v1/mail").await;
    assert_eq!(mail.body.as_array().map(Vec::len), Some(0), "{mail:?}");
    let r = c
        .send(
            "POST",
            "/api/v1/users/bulk-delete",
            Some(json!({"ids": [ann, ann]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("ids[1]")))
    );
    assert_eq!(c.get(&format!("/api/v1/users/{ann}")).await.status, 200);

    // A NUL in a portal form asks again, like an empty field.
    let link = c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let b = Browser::new(&server.url);
    let page = b.get(&link).await;
    let page = b
        .submit(
            &page,
            "/sign-in",
            &[
                ("email", "ann@acme.example\u{0}"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.error("email").is_some());
}

/// Point 2: a bulk import hashes its PINs before taking the write turn. While 100 invited users
/// are being prepared (100 argon2id hashes), another tenant and the same tenant write at once,
/// and what they wrote is older than every imported user; the registration key is rotated
/// meanwhile, and every invitation carries the URL that is valid when it is written.
async fn a_bulk_import_keeps_no_one_waiting(db: Db) {
    let sink = SmtpSink::start().await;
    let env = Env::new(db).await.with_smtp(sink.port);
    env.create_tenant("acme").await;
    env.create_tenant("other").await;
    let server = env.serve().await;
    let acme = env.signed_in_owner(&server, "acme", "owner").await;
    let other = env.signed_in_owner(&server, "other", "owner").await;
    let old_url = acme.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();

    let users: Vec<_> = (0..100)
        .map(|i| {
            json!({"email": format!("u{i}@acme.example"), "first_name": "U",
                "last_name": format!("Number {i}"), "send_invitation": true})
        })
        .collect();
    let bulk = {
        let acme = acme.clone();
        tokio::spawn(async move {
            acme.send(
                "POST",
                "/api/v1/users/bulk",
                Some(json!({ "users": users })),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut meanwhile = Vec::new();
    for (c, email) in [(&other, "o@other.example"), (&acme, "a@acme.example")] {
        let r = c
            .send(
                "POST",
                "/api/v1/users",
                Some(json!({
                    "email": email, "first_name": "Meanwhile", "last_name": "Writer"
                })),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        meanwhile.push(r.body["created_at"].as_i64().unwrap());
    }
    let r = acme
        .send("POST", "/api/v1/registration/rotate-key", None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let new_url = r.body["url"].as_str().unwrap().to_string();
    assert_ne!(new_url, old_url);
    assert!(
        !bulk.is_finished(),
        "the import was still hashing when the others had written"
    );

    let r = bulk.await.unwrap();
    assert_eq!(r.status, 201, "{r:?}");
    let created = r.body.as_array().unwrap();
    assert_eq!(created.len(), 100);
    let latest_meanwhile = meanwhile.into_iter().max().unwrap();
    for user in created {
        assert!(
            user["created_at"].as_i64().unwrap() >= latest_meanwhile,
            "an imported user was written before the others' writes: {user}"
        );
    }
    let mails = sink.wait_for(100, Duration::from_secs(60)).await;
    assert_eq!(mails.len(), 100);
    for m in &mails {
        assert!(
            m.text.contains(&new_url) && !m.text.contains(&old_url),
            "an invitation with a rotated-away URL: {}",
            m.text
        );
    }
}
