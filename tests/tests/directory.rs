//! The tenant's LDAP directory (SPEC B1) against a real OpenLDAP server (slapd, started by
//! scripts/test.sh with tests/fixtures/ldap/seed.ldif), reached through a TCP relay so that the
//! test can take it down: settings are tried before they are stored, the directory is searched
//! and chosen entries imported (all or none), a directory user signs in to the portal with the
//! directory password (a bind) and a wrong one is refused; with the directory down, search,
//! import and sign-in fail with a clear error and change nothing.

use corral_tests::network::{ldap_url, Relay};
use corral_tests::portal::Browser;
use corral_tests::{both_backends, Client, Db, Env};
use serde_json::{json, Value};

both_backends!(directory_users_are_searched_imported_and_sign_in_by_bind);

const READER: &str = "cn=corral-reader,ou=services,dc=corral,dc=test";

fn settings(port: u16, password: &str) -> Value {
    json!({
        "url": format!("ldap://127.0.0.1:{port}"),
        "bind_dn": READER,
        "bind_password": password,
        "base_dn": "ou=people,dc=corral,dc=test",
    })
}

/// History entries about users and the directory.
async fn history_len(admin: &Client) -> usize {
    let mut n = 0;
    for kind in ["user", "directory"] {
        let r = admin
            .get(&format!("/api/v1/history?object_type={kind}&limit=500"))
            .await;
        n += r.body.as_array().unwrap().len();
    }
    n
}

async fn sign_in(
    browser: &Browser,
    url: &str,
    email: &str,
    password: &str,
) -> corral_tests::portal::Page {
    let page = browser.get(url).await;
    browser
        .submit(
            &page,
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
}

async fn directory_users_are_searched_imported_and_sign_in_by_bind(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let admin = env.signed_in_owner(&server, "acme", "owner").await;
    let slapd = ldap_url();
    let relay = Relay::start(slapd.trim_start_matches("ldap://")).await;

    // Settings are tried first: a wrong service password or a bad URL stores nothing.
    assert_eq!(admin.get("/api/v1/directory").await.status, 404);
    let r = admin
        .send(
            "PUT",
            "/api/v1/directory",
            Some(settings(relay.port, "wrong")),
        )
        .await;
    assert_eq!(r.status, 502, "{r:?}");
    assert_eq!(r.error().0, "directory_unavailable");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("ldap://127.0.0.1:{}", relay.port)),
        "{r:?}"
    );
    let mut bad = settings(relay.port, "reader password");
    bad["url"] = json!("http://127.0.0.1/");
    let r = admin.send("PUT", "/api/v1/directory", Some(bad)).await;
    assert_eq!((r.status, r.error().1), (400, Some("url")), "{r:?}");
    assert_eq!(admin.get("/api/v1/directory").await.status, 404);

    let r = admin
        .send(
            "PUT",
            "/api/v1/directory",
            Some(settings(relay.port, "reader password")),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = admin.get("/api/v1/directory").await;
    assert_eq!(r.body["email_attribute"], "mail");
    assert_eq!(r.body["user_filter"], "(objectClass=inetOrgPerson)");
    assert!(r.body.get("bind_password").is_none(), "{r:?}");

    // Search: entries without an e-mail address are left out.
    let r = admin.get("/api/v1/directory/users").await;
    let emails: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["ann@corral.test", "bob@corral.test", "chloe@corral.test"]
    );
    let r = admin.get("/api/v1/directory/users?q=dupr").await;
    let found = r.body.as_array().unwrap();
    assert_eq!(found.len(), 1, "{r:?}");
    assert_eq!(
        (
            &found[0]["first_name"],
            &found[0]["last_name"],
            &found[0]["user_id"]
        ),
        (&json!("Chloé"), &json!("Dupré"), &Value::Null)
    );
    let chloe_dn = found[0]["dn"].as_str().unwrap().to_string();
    let ann_dn = "uid=ann,ou=people,dc=corral,dc=test";

    // Import: all or none, errors name the entry.
    let r = admin
        .send(
            "POST",
            "/api/v1/directory/imports",
            Some(json!({"dns": [ann_dn, "uid=ghost,ou=people,dc=corral,dc=test"]})),
        )
        .await;
    assert_eq!((r.status, r.error().1), (400, Some("dns[1]")), "{r:?}");
    assert_eq!(admin.get("/api/v1/users").await.body, json!([]));
    let r = admin
        .send(
            "POST",
            "/api/v1/directory/imports",
            Some(json!({"dns": [ann_dn, chloe_dn]})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let users = admin.get("/api/v1/users").await.body;
    let imported: Vec<(&str, &str, bool)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["email"].as_str().unwrap(),
                u["source"].as_str().unwrap(),
                u["has_password"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        imported,
        [
            ("ann@corral.test", "ldap", false),
            ("chloe@corral.test", "ldap", false)
        ]
    );
    let r = admin
        .send(
            "POST",
            "/api/v1/directory/imports",
            Some(json!({"dns": [ann_dn]})),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("dns[0]"));
    let r = admin.get("/api/v1/directory/users?q=ann").await;
    assert_eq!(r.body[0]["user_id"], users[0]["id"], "{r:?}");

    // Portal sign-in by bind; no password step for directory users.
    let url = admin.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let browser = Browser::new(&server.url);
    let home = sign_in(
        &browser,
        &url,
        "ann@corral.test",
        "ann's directory password",
    )
    .await;
    assert!(home.url.ends_with("/home"), "{home:?}");
    let other = Browser::new(&server.url);
    let wrong = sign_in(
        &other,
        &url,
        "chloe@corral.test",
        "ann's directory password",
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.error("password").as_deref(),
        Some("The e-mail address or the password is wrong.")
    );
    // Not imported: not a user here, whatever the directory says.
    let bob = sign_in(&other, &url, "bob@corral.test", "bob's directory password").await;
    assert_eq!(bob.status, 401);

    // The directory goes down: clear errors, nothing changes.
    let before = history_len(&admin).await;
    relay.stop().await;
    let r = admin.get("/api/v1/directory/users?q=bob").await;
    assert_eq!(
        (r.status, r.error().0),
        (502, "directory_unavailable"),
        "{r:?}"
    );
    let r = admin
        .send(
            "POST",
            "/api/v1/directory/imports",
            Some(json!({"dns": ["uid=bob,ou=people,dc=corral,dc=test"]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (502, "directory_unavailable"),
        "{r:?}"
    );
    let down = sign_in(
        &other,
        &url,
        "chloe@corral.test",
        "chloé's directory password",
    )
    .await;
    assert_eq!(down.status, 503, "{down:?}");
    assert!(down
        .error("password")
        .unwrap()
        .contains("directory cannot be reached"));
    let home = other.get(&format!("{}/home", down.base_path())).await;
    assert!(
        !home.url.ends_with("/home") || home.status != 200,
        "{home:?}"
    );
    assert_eq!(admin.get("/api/v1/users").await.body, users);
    assert_eq!(history_len(&admin).await, before);

    // Back up: Chloé signs in.
    let relay = Relay::start(slapd.trim_start_matches("ldap://")).await;
    let r = admin
        .send(
            "PUT",
            "/api/v1/directory",
            Some(json!({
                "url": format!("ldap://127.0.0.1:{}", relay.port),
                "bind_dn": READER,
                "base_dn": "ou=people,dc=corral,dc=test",
            })),
        )
        .await;
    assert_eq!(r.status, 200, "kept password: {r:?}");
    let home = sign_in(
        &other,
        &url,
        "chloe@corral.test",
        "chloé's directory password",
    )
    .await;
    assert!(home.url.ends_with("/home"), "{home:?}");

    // Directory users can be unmanaged-device users too (SPEC C3).
    admin
        .send("POST", "/api/v1/unmanaged-devices/enable", None)
        .await;
    let r = admin
        .send(
            "POST",
            "/api/v1/users/unmanaged",
            Some(json!({"user_ids": [users[1]["id"]], "unmanaged": true, "confirm": true})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body[0]["source"], &r.body[0]["unmanaged"]),
        (200, &json!("ldap"), &json!(true)),
        "{r:?}"
    );
    let apps = other.get(&format!("{}/home", home.base_path())).await;
    assert!(apps.url.ends_with("/apps"), "{apps:?}");
}
