//! The admin API against the real binary, on SQLite and on PostgreSQL.

use corral_tests::{both_backends, totp_code, Db, Env};
use serde_json::json;

const OWNER_PW: &str = "owner passphrase 1";
const ADMIN_PW: &str = "admin passphrase 2";

both_backends!(
    owner_manages_administrators_and_history_records_it,
    wrong_and_replayed_totp_codes_are_refused,
    repeated_failures_lock_the_account,
    tenants_cannot_see_each_other,
    bad_input_is_refused_with_the_field_named,
);

async fn owner_manages_administrators_and_history_records_it(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let owner_totp = env
        .create_admin("acme", "owner@acme.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;
    let owner = server.client();

    let code = totp_code(&owner_totp, 0);
    let r = owner
        .sign_in("acme", "owner@acme.example", OWNER_PW, &code)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["admin"]["role"], "owner");
    let cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("corral_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http base URL: no Secure flag"
    );
    let token = cookie["corral_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_string();

    let me = owner.get("/api/v1/session").await;
    assert_eq!(
        (me.status, me.body["admin"]["email"].as_str()),
        (200, Some("owner@acme.example"))
    );
    let owner_id = me.body["admin"]["id"].as_str().unwrap().to_string();

    // The owner adds an administrator with one Exchange permission.
    let r = owner
        .send(
            "POST",
            "/api/v1/admins",
            Some(json!({
                "email": "Ann@Acme.example", "role": "admin", "password": ADMIN_PW,
                "exchange_permissions": ["delete_resource"]
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let ann_id = r.body["admin"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["admin"]["email"], "ann@acme.example");
    assert_eq!(
        r.body["admin"]["exchange_permissions"],
        json!(["delete_resource"])
    );
    assert_eq!(
        r.headers["location"],
        format!("/api/v1/admins/{ann_id}").as_str()
    );
    let ann_totp = corral_tests::totp_from_uri(r.body["totp_uri"].as_str().unwrap());

    // Same e-mail again: conflict, nothing added.
    let r = owner
        .send(
            "POST",
            "/api/v1/admins",
            Some(json!({
                "email": "ann@acme.example", "role": "owner", "password": ADMIN_PW
            })),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "email_taken"));
    assert_eq!(
        owner
            .get("/api/v1/admins")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // History: who created which administrator.
    let h = owner
        .get(&format!(
            "/api/v1/history?object_type=admin&object_id={ann_id}"
        ))
        .await;
    assert_eq!(h.status, 200, "{h:?}");
    let entries = h.body.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "created");
    assert_eq!(entries[0]["actor_type"], "admin");
    assert_eq!(entries[0]["actor_id"].as_str(), Some(owner_id.as_str()));
    assert_eq!(entries[0]["actor_label"], "owner@acme.example");
    assert_eq!(entries[0]["after"]["email"], "ann@acme.example");
    assert!(entries[0]["before"].is_null());
    assert!(
        entries[0]["after"].get("password_hash").is_none(),
        "no secrets in history"
    );
    // The owner created by the CLI is attributed to the operator.
    let h = owner
        .get(&format!(
            "/api/v1/history?object_type=admin&object_id={owner_id}"
        ))
        .await;
    assert_eq!(h.body[0]["actor_type"], "operator");

    // The plain admin can read but not manage administrators.
    let ann = server.client();
    let r = ann
        .sign_in(
            "acme",
            "ann@acme.example",
            ADMIN_PW,
            &totp_code(&ann_totp, 0),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(ann.get("/api/v1/admins").await.status, 200);
    let r = ann
        .send(
            "POST",
            "/api/v1/admins",
            Some(json!({
                "email": "eve@acme.example", "role": "owner", "password": ADMIN_PW
            })),
        )
        .await;
    assert_eq!((r.status, r.error().0), (403, "forbidden"), "{r:?}");
    let r = ann
        .send(
            "PATCH",
            &format!("/api/v1/admins/{ann_id}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = ann
        .send("DELETE", &format!("/api/v1/admins/{owner_id}"), None)
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        owner
            .get("/api/v1/admins")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Owner changes the role; history has before and after.
    let r = owner
        .send(
            "PATCH",
            &format!("/api/v1/admins/{ann_id}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["role"].as_str()),
        (200, Some("owner")),
        "{r:?}"
    );
    let h = owner
        .get(&format!(
            "/api/v1/history?object_type=admin&object_id={ann_id}"
        ))
        .await;
    assert_eq!(h.body[0]["action"], "updated");
    assert_eq!(h.body[0]["before"]["role"], "admin");
    assert_eq!(h.body[0]["after"]["role"], "owner");

    // Two owners: one may go. Then the last owner may neither be demoted nor deleted.
    assert_eq!(
        owner
            .send("DELETE", &format!("/api/v1/admins/{ann_id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        owner.get(&format!("/api/v1/admins/{ann_id}")).await.status,
        404
    );
    assert_eq!(
        ann.get("/api/v1/session").await.status,
        401,
        "deleted admin's session ends"
    );
    let r = owner
        .send(
            "PATCH",
            &format!("/api/v1/admins/{owner_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "last_owner"));
    let r = owner
        .send("DELETE", &format!("/api/v1/admins/{owner_id}"), None)
        .await;
    assert_eq!((r.status, r.error().0), (409, "last_owner"));
    let h = owner
        .get(&format!(
            "/api/v1/history?object_type=admin&object_id={ann_id}"
        ))
        .await;
    assert_eq!(h.body[0]["action"], "deleted");
    assert_eq!(h.body.as_array().unwrap().len(), 3);

    // Signing in again from the same browser rotates the session: the old token is dead.
    let r = owner
        .sign_in(
            "acme",
            "owner@acme.example",
            OWNER_PW,
            &totp_code(&owner_totp, 1),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let old = reqwest::Client::new()
        .get(format!("{}/api/v1/session", server.url))
        .header("cookie", format!("corral_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the pre-sign-in token still works");
    assert_eq!(owner.get("/api/v1/session").await.status, 200);

    // Sign-out ends the session.
    assert_eq!(
        owner.send("DELETE", "/api/v1/session", None).await.status,
        204
    );
    assert_eq!(owner.get("/api/v1/session").await.status, 401);

    // Nothing secret reached the log.
    let log = server.log();
    assert!(
        log.contains("request") && log.contains("status=201"),
        "request lines logged"
    );
    for secret in [OWNER_PW, ADMIN_PW, code.as_str(), token.as_str()] {
        assert!(!log.contains(secret), "log contains a secret: {secret}");
    }
}

async fn wrong_and_replayed_totp_codes_are_refused(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let totp = env
        .create_admin("acme", "owner@acme.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;
    let client = server.client();

    let right = totp_code(&totp, 0);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    let r = client
        .sign_in("acme", "owner@acme.example", OWNER_PW, &wrong)
        .await;
    assert_eq!((r.status, r.error().0), (401, "unauthenticated"));
    let r = client
        .sign_in("acme", "owner@acme.example", "not the password", &right)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(client.get("/api/v1/session").await.status, 401);

    let r = client
        .sign_in("acme", "owner@acme.example", OWNER_PW, &right)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    // The same code again, from another browser: refused.
    let r = server
        .client()
        .sign_in("acme", "owner@acme.example", OWNER_PW, &right)
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (401, "unauthenticated"),
        "replayed code accepted"
    );
    // The next step's code is fine (one step of skew), and rotates the session.
    let first = client.get("/api/v1/session").await;
    assert_eq!(first.status, 200);
    let other = server.client();
    let r = other
        .sign_in("acme", "owner@acme.example", OWNER_PW, &totp_code(&totp, 1))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
}

async fn repeated_failures_lock_the_account(db: Db) {
    let env = Env::new(db)
        .await
        .with_env("CORRAL_MAX_FAILED_SIGN_INS", "3");
    env.create_tenant("acme").await;
    let totp = env
        .create_admin("acme", "owner@acme.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;
    let client = server.client();
    for _ in 0..3 {
        let r = client
            .sign_in("acme", "owner@acme.example", "wrong password!", "000000")
            .await;
        assert_eq!(r.status, 401);
    }
    // Now even the right password and code are refused, with a delay to wait.
    let r = client
        .sign_in("acme", "owner@acme.example", OWNER_PW, &totp_code(&totp, 0))
        .await;
    assert_eq!((r.status, r.error().0), (429, "account_locked"), "{r:?}");
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
}

async fn tenants_cannot_see_each_other(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("alpha").await;
    env.create_tenant("bravo").await;
    let a_totp = env
        .create_admin("alpha", "owner@alpha.example", "owner", OWNER_PW)
        .await;
    let b_totp = env
        .create_admin("bravo", "owner@bravo.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;

    let bravo = server.client();
    let r = bravo
        .sign_in(
            "bravo",
            "owner@bravo.example",
            OWNER_PW,
            &totp_code(&b_totp, 0),
        )
        .await;
    assert_eq!(r.status, 200);
    let b_owner = r.body["admin"]["id"].as_str().unwrap().to_string();
    let r = bravo
        .send(
            "POST",
            "/api/v1/admins",
            Some(json!({
                "email": "bob@bravo.example", "role": "admin", "password": ADMIN_PW
            })),
        )
        .await;
    let b_admin = r.body["admin"]["id"].as_str().unwrap().to_string();

    // Alpha's owner cannot sign in on bravo with alpha's credentials.
    let alpha = server.client();
    let code = totp_code(&a_totp, 0);
    assert_eq!(
        alpha
            .sign_in("bravo", "owner@alpha.example", OWNER_PW, &code)
            .await
            .status,
        401
    );
    let r = alpha
        .sign_in(
            "alpha",
            "owner@alpha.example",
            OWNER_PW,
            &totp_code(&a_totp, 1),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");

    let list = alpha.get("/api/v1/admins").await;
    let emails: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["owner@alpha.example"]);
    for id in [&b_owner, &b_admin] {
        let path = format!("/api/v1/admins/{id}");
        assert_eq!(alpha.get(&path).await.status, 404, "GET {path}");
        let r = alpha
            .send("PATCH", &path, Some(json!({"role": "owner"})))
            .await;
        assert_eq!((r.status, r.error().0), (404, "not_found"), "PATCH {path}");
        assert_eq!(
            alpha.send("DELETE", &path, None).await.status,
            404,
            "DELETE {path}"
        );
        let h = alpha
            .get(&format!("/api/v1/history?object_type=admin&object_id={id}"))
            .await;
        assert_eq!(h.status, 404, "history of {id}");
    }
    let h = alpha.get("/api/v1/history?object_type=admin").await;
    assert!(
        h.body
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["object_id"] != b_owner.as_str() && e["object_id"] != b_admin.as_str()),
        "{h:?}"
    );
    // Bravo's objects are untouched.
    let r = bravo.get(&format!("/api/v1/admins/{b_admin}")).await;
    assert_eq!((r.status, r.body["role"].as_str()), (200, Some("admin")));
}

async fn bad_input_is_refused_with_the_field_named(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let totp = env
        .create_admin("acme", "owner@acme.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;
    let c = server.client();

    let r = c
        .send_raw(
            "POST",
            "/api/v1/session",
            "application/json",
            "{\"tenant\": ",
        )
        .await;
    assert_eq!((r.status, r.error().0), (400, "malformed_json"));
    let r = c
        .send(
            "POST",
            "/api/v1/session",
            Some(json!({"tenant": "acme", "email": "x@y.zz"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("missing_field", Some("password")))
    );
    assert_eq!(
        c.sign_in("acme", "owner@acme.example", OWNER_PW, &totp_code(&totp, 0))
            .await
            .status,
        200
    );

    let before = c.get("/api/v1/history?object_type=admin").await.body;
    let cases = [
        (
            json!({"role": "admin", "password": ADMIN_PW}),
            400,
            "missing_field",
            Some("email"),
        ),
        (
            json!({"email": "a@acme.example", "password": ADMIN_PW}),
            400,
            "missing_field",
            Some("role"),
        ),
        (
            json!({"email": "a@acme.example", "role": "boss", "password": ADMIN_PW}),
            400,
            "invalid_field",
            Some("role"),
        ),
        (
            json!({"email": 7, "role": "admin", "password": ADMIN_PW}),
            400,
            "invalid_field",
            Some("email"),
        ),
        (
            json!({"email": "not-an-email", "role": "admin", "password": ADMIN_PW}),
            400,
            "invalid_field",
            Some("email"),
        ),
        (
            json!({"email": "a@acme.example", "role": "admin", "password": "short"}),
            400,
            "invalid_field",
            Some("password"),
        ),
        (
            json!({"email": "a@acme.example", "role": "admin", "password": ADMIN_PW, "exchange_permissions": ["fly"]}),
            400,
            "invalid_field",
            Some("exchange_permissions[0]"),
        ),
        (
            json!({"email": "a@acme.example", "role": "admin", "password": ADMIN_PW, "colour": "red"}),
            400,
            "unknown_field",
            Some("colour"),
        ),
    ];
    for (body, status, code, field) in cases {
        let r = c.send("POST", "/api/v1/admins", Some(body.clone())).await;
        assert_eq!(
            (r.status, r.error()),
            (status, (code, field)),
            "{body}: {r:?}"
        );
        assert!(r.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let r = c
        .send_raw("POST", "/api/v1/admins", "text/plain", "{}")
        .await;
    assert_eq!((r.status, r.error().0), (415, "unsupported_media_type"));
    let r = c
        .send_raw("POST", "/api/v1/admins", "application/json", "[1,")
        .await;
    assert_eq!((r.status, r.error().0), (400, "malformed_json"));
    let r = c.get("/api/v1/history").await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("missing_field", Some("object_type")))
    );
    let r = c.get("/api/v1/history?object_type=admin&limit=lots").await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("limit")))
    );
    let r = c.get("/api/v1/history?object_type=admin&limit=0").await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("limit")))
    );

    // Nothing was created by any of it.
    assert_eq!(
        c.get("/api/v1/admins").await.body.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        c.get("/api/v1/history?object_type=admin").await.body,
        before
    );
    let r = c.get("/api/v1/no-such-thing").await;
    assert_eq!((r.status, r.error().0), (404, "route_not_found"));
    let r = c.send("PUT", "/api/v1/admins", None).await;
    assert_eq!((r.status, r.error().0), (405, "method_not_allowed"));
}

/// Under an https base URL the session cookie is also `Secure`.
#[tokio::test]
async fn session_cookie_is_secure_under_https() {
    let env = Env::new(Db::Sqlite)
        .await
        .with_env("CORRAL_BASE_URL", "https://corral.example");
    env.create_tenant("acme").await;
    let totp = env
        .create_admin("acme", "owner@acme.example", "owner", OWNER_PW)
        .await;
    let server = env.serve().await;
    let r = server
        .client()
        .sign_in("acme", "owner@acme.example", OWNER_PW, &totp_code(&totp, 0))
        .await;
    assert_eq!(r.status, 200);
    let cookie = r.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}
