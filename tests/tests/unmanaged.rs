//! Unmanaged (MAM-only) devices and the app catalogue (SPEC C1 to C5, E7) through the real
//! server on both databases: the feature switch, users labelled one at a time and in bulk
//! (never administrators, never without confirmation), the MAM invitation e-mail at the SMTP
//! sink whose "Get started" link leads to the user's app list (exactly the allowed apps), and
//! the permanent deactivation: refused without the sentence, all or nothing (a failure
//! injected into its last step leaves everything as it was), then final.

use std::time::Duration;

use corral_tests::portal::{Browser, Page};
use corral_tests::{both_backends, link_in, pin_in, Client, Db, Env, SmtpSink};
use serde_json::{json, Value};

both_backends!(unmanaged_users_get_allowed_apps_until_deactivated_for_good);

const SENTENCE: &str = "I understand that deactivating unmanaged devices is permanent";

async fn add_app(admin: &Client, body: Value) -> Value {
    let r = admin.send("POST", "/api/v1/apps", Some(body)).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body
}

async fn upload(admin: &Client, query: &str, bytes: &[u8]) -> corral_tests::Reply {
    admin
        .post_bytes(
            &format!("/api/v1/apps/in-house?{query}"),
            "application/octet-stream",
            bytes.to_vec(),
        )
        .await
}

async fn users(admin: &Client) -> Vec<(String, bool)> {
    admin
        .get("/api/v1/users")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap().to_string(),
                u["unmanaged"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn allowed_apps(admin: &Client) -> Vec<(String, bool)> {
    admin
        .get("/api/v1/apps")
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["allow_unmanaged"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn history_actions(admin: &Client, object_type: &str, id: &str) -> Vec<String> {
    admin
        .get(&format!(
            "/api/v1/history?object_type={object_type}&object_id={id}"
        ))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

async fn unmanaged_users_get_allowed_apps_until_deactivated_for_good(db: Db) {
    let sink = SmtpSink::start().await;
    let env = Env::new(db).await.with_smtp(sink.port);
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let admin = env.signed_in_owner(&server, "acme", "owner").await;

    // Off by default: nothing unmanaged can be made.
    let r = admin.get("/api/v1/unmanaged-devices").await;
    assert_eq!(r.body["state"], "off", "{r:?}");
    let r = admin
        .send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Archer",
                        "unmanaged": true}),
            ),
        )
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "unmanaged_devices_off"),
        "{r:?}"
    );
    assert_eq!(users(&admin).await, []);
    let r = admin
        .send(
            "POST",
            "/api/v1/apps",
            Some(
                json!({"kind": "store", "platform": "android", "name": "Slack",
                        "store_id": "com.Slack", "allow_unmanaged": true}),
            ),
        )
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "unmanaged_devices_off"),
        "{r:?}"
    );

    let r = admin
        .send("POST", "/api/v1/unmanaged-devices/enable", None)
        .await;
    assert_eq!(r.body["state"], "on", "{r:?}");

    // The catalogue: store, business and in-house apps, some allowed on unmanaged devices.
    add_app(
        &admin,
        json!({"kind": "store", "platform": "android", "name": "Slack",
               "store_id": "com.Slack", "allow_unmanaged": true}),
    )
    .await;
    let teams = add_app(
        &admin,
        json!({"kind": "store", "platform": "ios", "name": "Teams", "store_id": "1113153706",
               "silent_install": true}),
    )
    .await;
    assert_eq!(
        (
            teams["allow_unmanaged"].as_bool(),
            teams["install_on_device"].as_bool(),
            teams["store_url"].as_str()
        ),
        (
            Some(false),
            Some(true),
            Some("https://apps.apple.com/app/id1113153706")
        )
    );
    add_app(
        &admin,
        json!({"kind": "business", "platform": "android", "name": "Expenses",
               "store_id": "com.acme.expenses", "allow_unmanaged": true}),
    )
    .await;
    let r = admin
        .send(
            "POST",
            "/api/v1/apps",
            Some(json!({"kind": "store", "platform": "ios", "name": "Bad", "store_id": "com.x"})),
        )
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("store_id")), "{r:?}");
    let apk = b"PK\x03\x04 an in-house android app".to_vec();
    let r = upload(
        &admin,
        "platform=android&file_name=acme-tools.apk&name=Acme%20Tools&allow_unmanaged=true",
        &apk,
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let tools = r.body["id"].as_str().unwrap().to_string();
    let r = upload(
        &admin,
        "platform=ios&file_name=internal.ipa",
        b"PK\x03\x04 ipa",
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    let internal = r.body["id"].as_str().unwrap().to_string();
    let r = upload(&admin, "platform=android&file_name=x.apk", b"not a zip").await;
    assert_eq!((r.status, r.error().1), (400, Some("file")), "{r:?}");

    // Users: Ann added as unmanaged (and invited), Bob labelled in bulk with confirmation;
    // the owner's address cannot be an unmanaged-device user.
    let r = admin
        .send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Archer",
                        "unmanaged": true, "send_invitation": true}),
            ),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["unmanaged"]),
        (201, &json!(true)),
        "{r:?}"
    );
    let ann = r.body["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for (email, name) in [("bob@acme.example", "Bob"), ("owner@acme.example", "Owen")] {
        let r = admin
            .send(
                "POST",
                "/api/v1/users",
                Some(json!({"email": email, "first_name": name, "last_name": "Roe"})),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let (bob, owner_as_user) = (ids[0].clone(), ids[1].clone());
    let r = admin
        .send(
            "POST",
            "/api/v1/users/unmanaged",
            Some(json!({"user_ids": [bob], "unmanaged": true})),
        )
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("confirm")), "{r:?}");
    let r = admin
        .send(
            "POST",
            "/api/v1/users/unmanaged",
            Some(json!({"user_ids": [bob, owner_as_user], "unmanaged": true, "confirm": true})),
        )
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "administrator_cannot_be_unmanaged"),
        "{r:?}"
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("user_ids[1]"));
    let expected_before = vec![
        ("ann@acme.example".to_string(), true),
        ("bob@acme.example".to_string(), false),
        ("owner@acme.example".to_string(), false),
    ];
    assert_eq!(users(&admin).await, expected_before, "all or none");
    for unmanaged in [true, false, true] {
        let r = admin
            .send(
                "POST",
                "/api/v1/users/unmanaged",
                Some(json!({"user_ids": [bob], "unmanaged": unmanaged, "confirm": true})),
            )
            .await;
        assert_eq!(
            (r.status, &r.body[0]["unmanaged"]),
            (200, &json!(unmanaged))
        );
    }
    assert_eq!(
        history_actions(&admin, "user", &bob).await,
        [
            "labelled_unmanaged",
            "unlabelled_unmanaged",
            "labelled_unmanaged",
            "created"
        ]
    );

    // The MAM invitation: "Get started" leads to Ann's app list, after her PIN and password.
    let mails = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        (mail.to.as_str(), mail.subject.as_str()),
        ("ann@acme.example", "Get your work apps")
    );
    assert!(mail.text.contains("unknown sources"), "{}", mail.text);
    assert!(mail.html.contains(">Get started</a>"), "{}", mail.html);
    let get_started = mail
        .text
        .lines()
        .find(|l| l.starts_with("Get started: "))
        .and_then(link_in)
        .expect("a Get started link");
    assert!(get_started.ends_with("/apps"), "{get_started}");
    let pin = pin_in(&mail.text).expect("a PIN");
    let b = Browser::new(&server.url);
    let page = b.get(&get_started).await;
    assert_eq!(
        (page.status, page.h1().as_str()),
        (200, "Sign in"),
        "{page:?}"
    );
    let pin_path = page.attr("a[href$='/pin']", "href").unwrap();
    let page = b.get(&pin_path).await;
    let page = b
        .submit(
            &page,
            "/pin",
            &[("email", "ann@acme.example"), ("pin", &pin)],
        )
        .await;
    assert!(page.url.ends_with("/password"), "{page:?}");
    let page = b
        .submit(
            &page,
            "/password",
            &[
                ("password", "ann's long password"),
                ("confirm", "ann's long password"),
            ],
        )
        .await;
    assert!(page.url.ends_with("/apps"), "{page:?}");
    assert_eq!(page.h1(), "Your apps");
    let apps_page: Page = b.get(&get_started).await;
    assert_eq!(
        apps_page.texts("ul.apps li"),
        [
            "Acme Tools — Android — Download",
            "Expenses — Android — Get it from the store",
            "Slack — Android — Get it from the store"
        ]
    );
    assert_eq!(
        apps_page.attr("a[href^='https://play']", "href").as_deref(),
        Some("https://play.google.com/store/apps/details?id=com.acme.expenses")
    );
    assert!(apps_page
        .text("p.note")
        .unwrap()
        .contains("unknown sources"));
    let file = b
        .get(&format!("{}/apps/{tools}/file", apps_page.base_path()))
        .await;
    assert_eq!((file.status, file.bytes.as_slice()), (200, apk.as_slice()));
    let refused = b
        .get(&format!("{}/apps/{internal}/file", apps_page.base_path()))
        .await;
    assert_eq!(refused.status, 404, "not allowed on unmanaged devices");
    // No device enrolment for a MAM-only user: home is the app list.
    let home = b.get(&format!("{}/home", apps_page.base_path())).await;
    assert!(home.url.ends_with("/apps"), "{home:?}");

    // Deactivation: the exact sentence, or nothing happens.
    let r = admin
        .send(
            "POST",
            "/api/v1/unmanaged-devices/deactivate",
            Some(json!({"confirmation": "yes"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error().1),
        (400, Some("confirmation")),
        "{r:?}"
    );

    // All or nothing: a failure in its last step (resetting an app) leaves everything as it
    // was, users included.
    inject_failure(&env, db).await;
    let r = admin
        .send(
            "POST",
            "/api/v1/unmanaged-devices/deactivate",
            Some(json!({"confirmation": SENTENCE})),
        )
        .await;
    assert_eq!(r.status, 500, "{r:?}");
    assert_eq!(
        admin.get("/api/v1/unmanaged-devices").await.body["state"],
        "on"
    );
    assert_eq!(
        users(&admin).await,
        [
            ("ann@acme.example".to_string(), true),
            ("bob@acme.example".to_string(), true),
            ("owner@acme.example".to_string(), false),
        ]
    );
    let allowed_before = allowed_apps(&admin).await;
    assert_eq!(
        allowed_before
            .iter()
            .filter(|(_, allowed)| *allowed)
            .count(),
        3
    );
    remove_failure(&env, db).await;

    let r = admin
        .send(
            "POST",
            "/api/v1/unmanaged-devices/deactivate",
            Some(json!({"confirmation": SENTENCE})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["feature"]["state"], "deactivated");
    assert_eq!(r.body["feature"]["default_allow_new_apps"], false);
    assert_eq!(r.body["users_converted"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["apps_reset"].as_array().unwrap().len(), 3);
    assert!(users(&admin).await.iter().all(|(_, unmanaged)| !unmanaged));
    assert!(allowed_apps(&admin)
        .await
        .iter()
        .all(|(_, allowed)| !allowed));
    assert_eq!(
        history_actions(&admin, "user", &ann).await[0],
        "unlabelled_unmanaged"
    );
    assert_eq!(
        history_actions(&admin, "app", &tools).await[0],
        "unmanaged_reset"
    );

    // Final: no switching on again, no labelling.
    let r = admin
        .send("POST", "/api/v1/unmanaged-devices/enable", None)
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "unmanaged_devices_deactivated"),
        "{r:?}"
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("permanent"));
    let r = admin
        .send(
            "POST",
            "/api/v1/users/unmanaged",
            Some(json!({"user_ids": [ann], "unmanaged": true, "confirm": true})),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    // Ann is an MDM user again: her portal shows her devices and every app.
    let home = b.get(&format!("{}/home", apps_page.base_path())).await;
    assert_eq!(home.h1(), "Your devices", "{home:?}");
}

/// A database trigger that makes resetting an app's unmanaged flag fail.
async fn inject_failure(env: &Env, db: Db) {
    match db {
        Db::Sqlite => {
            env.execute_sql(
                "CREATE TRIGGER injected_failure BEFORE UPDATE OF allow_unmanaged ON apps \
                 WHEN NEW.allow_unmanaged = 0 BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
            )
            .await;
        }
        Db::Postgres => {
            env.execute_sql(
                "CREATE FUNCTION injected_failure() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            )
            .await;
            env.execute_sql(
                "CREATE TRIGGER injected_failure BEFORE UPDATE ON apps FOR EACH ROW \
                 WHEN (NEW.allow_unmanaged = 0) EXECUTE FUNCTION injected_failure()",
            )
            .await;
        }
    }
}

async fn remove_failure(env: &Env, db: Db) {
    match db {
        Db::Sqlite => {
            env.execute_sql("DROP TRIGGER injected_failure").await;
        }
        Db::Postgres => {
            env.execute_sql("DROP TRIGGER injected_failure ON apps")
                .await;
            env.execute_sql("DROP FUNCTION injected_failure()").await;
        }
    }
}
