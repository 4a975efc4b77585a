//! The AMAPI plugin's calls to Google (SPEC E2), through the `vendor` capability of
//! `corral:plugin@0.2.0`, against a local HTTPS stand-in of Google's endpoints that checks
//! every request against the discovery document and the OAuth 2 grant against the test
//! service account's key:
//! - the tenant's settings and service-account credential are stored (the credential sealed:
//!   never returned, not in the database in the clear), with clear field errors for bad input;
//! - `create-enrollment-token` reaches `enterprises.enrollmentTokens.create` with the validity
//!   and `additionalData`, and answers the token with the provisioning JSON of its QR code;
//!   one access token serves several calls; `delete-enrollment-token` deletes it;
//! - without a credential, or without the host on the allow-list, nothing reaches Google and
//!   the administrator is told why;
//! - a COSU configuration is sent as a policy (`policies.patch`, the `Policy` checked against
//!   the discovery document) once it applies to some device, never while it is distributed to
//!   none, and deleted at Google when withdrawn; a change Google could not get is kept, shown
//!   and delivered by the scheduled job once it can;
//! - enrolment profiles (SPEC E2) get their token from Google through the plugin's
//!   `enrolment-tokens` export (corral:plugin@0.3.0): stored with its QR code, which decodes to
//!   the provisioning JSON; only the validity can change (a new token replaces the old one).

use corral_tests::amapi::{assert_call, assert_field, assert_refused, setup};
use corral_tests::google::CLIENT_EMAIL;
use corral_tests::Db;
use serde_json::{json, Value};

async fn enrolment_tokens_reach_google_by_its_contract(db: Db) {
    let s = setup(db).await;
    s.grant(&["localhost"]).await;
    s.configure().await;

    let r = s
        .perform(
            "create-enrollment-token",
            json!({"validity_days": 7, "additional_data": "{\"profile\":\"p1\",\"site\":\"Lyon\"}"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let token = &r.body["result"];
    let value = token["value"].as_str().unwrap();
    let name = token["name"].as_str().unwrap();
    assert!(
        name.starts_with("enterprises/LC01abcdef/enrollmentTokens/"),
        "{token}"
    );
    let qr: Value = serde_json::from_str(token["qrCode"].as_str().unwrap()).unwrap();
    assert_eq!(
        qr["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
            ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
        value
    );
    assert_eq!(
        token["additionalData"],
        "{\"profile\":\"p1\",\"site\":\"Lyon\"}"
    );

    let requests = s.google.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_call(
        &requests[0],
        "enrollmentTokens.create",
        Some("/v1/enterprises/LC01abcdef/enrollmentTokens"),
    );
    assert_eq!(requests[0].body["duration"], "604800s");
    assert_eq!(
        requests[0].body["additionalData"],
        "{\"profile\":\"p1\",\"site\":\"Lyon\"}"
    );

    // A second call reuses the access token; delete reaches enrollmentTokens.delete.
    let r = s
        .perform("delete-enrollment-token", json!({"name": name}))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["result"], json!({}));
    let requests = s.google.requests();
    assert_call(
        &requests[1],
        "enrollmentTokens.delete",
        Some(&format!("/v1/{name}")),
    );
    assert_eq!(s.google.tokens_issued(), 1);
    s.google.assert_conforms();

    // A token Google revoked early is dropped on its 401; the next call gets a new one.
    s.google.revoke_tokens();
    let input = json!({"validity_days": 1});
    let r = s.perform("create-enrollment-token", input.clone()).await;
    assert_refused(&r, 422, "401");
    let r = s.perform("create-enrollment-token", input).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(s.google.tokens_issued(), 2);

    // The plugin's own rules answer before Google is asked.
    for days in [0, 31] {
        let r = s
            .perform("create-enrollment-token", json!({"validity_days": days}))
            .await;
        assert_refused(&r, 422, "validity_days");
    }
    assert_eq!(s.google.requests().len(), 3);
}

#[tokio::test]
async fn enrolment_tokens_reach_google_by_its_contract_sqlite() {
    enrolment_tokens_reach_google_by_its_contract(Db::Sqlite).await;
}

#[tokio::test]
async fn enrolment_tokens_reach_google_by_its_contract_postgres() {
    enrolment_tokens_reach_google_by_its_contract(Db::Postgres).await;
}

#[tokio::test]
async fn settings_and_credential_are_checked_and_the_credential_never_shown() {
    let s = setup(Db::Sqlite).await;
    let settings = format!("/api/v1/plugins/{}/vendor/settings", s.plugin);
    let credential = format!("/api/v1/plugins/{}/vendor/credential", s.plugin);

    // Only declared settings; required ones must be there.
    let r =
        s.c.send(
            "PUT",
            &settings,
            Some(json!({"settings": {"enterprise-id": "LC01", "colour": "red"}})),
        )
        .await;
    assert_field(&r, "settings.colour");
    let r =
        s.c.send(
            "PUT",
            &settings,
            Some(json!({"settings": {"api-base-url": "https://x.example"}})),
        )
        .await;
    assert_field(&r, "settings.enterprise-id");

    // A credential must be usable: an e-mail, an RSA key, an https token endpoint.
    for (field, bad) in [
        (
            "private_key",
            "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        ),
        ("token_uri", "http://localhost/token"),
        ("client_email", "nobody"),
    ] {
        let mut key = s.google.service_account_key();
        key[field] = json!(bad);
        let body = json!({"type": "service_account", "key": key});
        let r = s.c.send("PUT", &credential, Some(body)).await;
        assert_field(&r, &format!("credential.key.{field}"));
    }
    let r =
        s.c.get(&format!("/api/v1/plugins/{}/vendor", s.plugin))
            .await;
    assert_eq!(r.body, json!({"settings": {}, "credential": null}));

    // Without a credential the plugin is told so and nothing reaches Google.
    s.grant(&["localhost"]).await;
    let r =
        s.c.send(
            "PUT",
            &settings,
            Some(json!({"settings": {
                "enterprise-id": "LC01abcdef", "api-base-url": s.google.base_url,
            }})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s
        .perform("create-enrollment-token", json!({"validity_days": 3}))
        .await;
    assert_refused(&r, 422, "no vendor credential");

    // Stored: the summary is shown, the key never (not in the API, not in the database).
    s.configure().await;
    let r =
        s.c.get(&format!("/api/v1/plugins/{}/vendor", s.plugin))
            .await;
    assert_eq!(r.body["credential"]["client_email"], CLIENT_EMAIL);
    assert_eq!(r.body["credential"]["type"], "service_account");
    assert!(!r.body.to_string().contains("PRIVATE KEY"), "{r:?}");
    let key = s.google.service_account_key();
    let pem = key["private_key"].as_str().unwrap();
    let body_line = pem.lines().nth(1).unwrap();
    let db_dir = s.env.data_dir().parent().unwrap().to_path_buf();
    let mut db = std::fs::read(db_dir.join("corral.db")).unwrap();
    db.extend(std::fs::read(db_dir.join("corral.db-wal")).unwrap_or_default());
    let db = String::from_utf8_lossy(&db);
    assert!(
        db.contains(CLIENT_EMAIL),
        "the summary is in the database file"
    );
    assert!(
        !db.contains(body_line),
        "the private key is stored in the clear"
    );
    let history = s.c.get("/api/v1/history?object_type=plugin").await;
    assert!(
        history.body.to_string().contains("credential_set"),
        "{history:?}"
    );
    assert!(!history.body.to_string().contains("PRIVATE KEY"));

    // `vendor` is the tenant's to allow: not withdrawn while the active version imports it.
    let r =
        s.c.send(
            "PUT",
            &format!("/api/v1/plugins/{}/grants", s.plugin),
            Some(json!({"capabilities": ["http"], "http_allow_hosts": ["localhost"]})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "capability_in_use"), "{r:?}");

    // Off the allow-list: refused by the host before any connection.
    s.grant(&["androidmanagement.googleapis.com"]).await;
    let r = s
        .perform("create-enrollment-token", json!({"validity_days": 3}))
        .await;
    assert_refused(&r, 422, "allow-list");
    assert!(s.google.requests().is_empty());
    s.google.assert_conforms();
}

async fn cosu_policies_follow_their_distribution(db: Db) {
    let s = setup(db).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    let configurations = format!("/api/v1/plugins/{}/configurations", s.plugin);
    let body = json!({
        "pinnedApp": {"packageName": "com.acme.kiosk", "source": "public"},
        "apps": [{"packageName": "com.acme.scanner", "source": "private", "silentInstall": true}],
        "keepScreenOn": "ac",
        "systemUpdate": {"type": "windowed", "windowStart": 60, "windowEnd": 180},
    });
    let config = |distribution: Value| {
        json!({"kind": "cosu", "name": "Lobby", "priority": 5, "distribution": distribution,
               "body": body.clone()})
    };

    // Distributed to no device (the default): stored, nothing sent.
    let r =
        s.c.send(
            "POST",
            &configurations,
            Some(config(json!({"type": "none"}))),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["delivery"], Value::Null, "{r:?}");
    let id = r.body["id"].as_str().unwrap().to_string();
    let one = format!("{configurations}/{id}");
    assert!(s.google.requests().is_empty(), "{:?}", s.google.requests());

    // Applies to every device: the policy is patched at Google, by its contract.
    let r =
        s.c.send("PUT", &one, Some(config(json!({"type": "all"}))))
            .await;
    assert_eq!(
        (r.status, &r.body["delivery"]),
        (200, &Value::Null),
        "{r:?}"
    );
    let requests = s.google.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_call(
        &requests[0],
        "policies.patch",
        Some(&format!("/v1/enterprises/LC01abcdef/policies/{id}")),
    );
    let policy = &requests[0].body;
    assert_eq!(
        policy["applications"],
        json!([
            {"packageName": "com.acme.kiosk", "installType": "REQUIRED_FOR_SETUP",
             "roles": [{"roleType": "KIOSK"}]},
            {"packageName": "com.acme.scanner", "installType": "FORCE_INSTALLED"}
        ])
    );
    assert_eq!(policy["stayOnPluggedModes"], json!(["AC"]));
    assert_eq!(
        policy["systemUpdate"],
        json!({"type": "WINDOWED", "startMinutes": 60, "endMinutes": 180})
    );
    s.google.assert_conforms();

    // Withdrawn (distributed to none again): deleted at Google.
    let r =
        s.c.send("PUT", &one, Some(config(json!({"type": "none"}))))
            .await;
    assert_eq!(
        (r.status, &r.body["delivery"]),
        (200, &Value::Null),
        "{r:?}"
    );
    let requests = s.google.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_call(
        &requests[1],
        "policies.delete",
        Some(&format!("/v1/enterprises/LC01abcdef/policies/{id}")),
    );

    // Google unreachable for this tenant (no credential): the change is kept and shown...
    let r =
        s.c.send(
            "DELETE",
            &format!("/api/v1/plugins/{}/vendor/credential", s.plugin),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r =
        s.c.send("PUT", &one, Some(config(json!({"type": "all"}))))
            .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["distribution"]["type"], "all");
    assert_eq!(r.body["delivery"]["event"], "changed", "{r:?}");
    assert_eq!(r.body["delivery"]["attempts"], 1, "{r:?}");
    let error = r.body["delivery"]["last_error"].as_str().unwrap();
    assert!(error.contains("no vendor credential"), "{error}");
    assert_eq!(s.google.requests().len(), 2);

    // ... and the scheduled job delivers it once the credential is back.
    s.configure().await;
    let mut delivered = false;
    for _ in 0..100 {
        if s.c.get(&one).await.body["delivery"].is_null() {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(delivered, "{:?}", s.c.get(&one).await);
    let requests = s.google.requests();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_call(&requests[2], "policies.patch", None);

    // Deleting it deletes the policy.
    let r = s.c.send("DELETE", &one, None).await;
    assert_eq!(r.status, 204, "{r:?}");
    let requests = s.google.requests();
    assert_call(&requests[3], "policies.delete", None);
    s.google.assert_conforms();
}

#[tokio::test]
async fn cosu_policies_follow_their_distribution_sqlite() {
    cosu_policies_follow_their_distribution(Db::Sqlite).await;
}

#[tokio::test]
async fn cosu_policies_follow_their_distribution_postgres() {
    cosu_policies_follow_their_distribution(Db::Postgres).await;
}

async fn enrolment_profiles_carry_googles_token(db: Db) {
    let s = setup(db).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    let r = s
        .c
        .send(
            "POST",
            "/api/v1/users",
            Some(json!({"email": "camille@acme.example", "first_name": "Camille", "last_name": "Roux"})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let owner = r.body["id"].as_str().unwrap().to_string();
    // The owner is found by name prefix (type-ahead).
    let r = s.c.get("/api/v1/users?prefix=cam").await;
    assert_eq!(r.body[0]["id"], owner.as_str(), "{r:?}");

    let profiles = format!("/api/v1/plugins/{}/enrolment-profiles", s.plugin);
    let new = |days: i64| {
        json!({"name": "Lyon kiosks", "description": "Front desks", "owner_user_id": owner,
               "validity_days": days, "attributes": {"site": "Lyon", "floor": "2"}})
    };
    for days in [0, 31] {
        let r = s.c.send("POST", &profiles, Some(new(days))).await;
        assert_field(&r, "validity_days");
    }
    let mut unknown_owner = new(7);
    unknown_owner["owner_user_id"] = json!("nobody");
    assert_field(
        &s.c.send("POST", &profiles, Some(unknown_owner)).await,
        "owner_user_id",
    );
    // An unmanaged (MAM-only) user never enrols a device, so owns no profile.
    let r =
        s.c.send("POST", "/api/v1/unmanaged-devices/enable", None)
            .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r =
        s.c.send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Archer",
                        "unmanaged": true}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let mut unmanaged_owner = new(7);
    unmanaged_owner["owner_user_id"] = r.body["id"].clone();
    assert_field(
        &s.c.send("POST", &profiles, Some(unmanaged_owner)).await,
        "owner_user_id",
    );
    assert!(
        s.google.requests().is_empty(),
        "refused before Google is asked"
    );

    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let r = s.c.send("POST", &profiles, Some(new(7))).await;
    assert_eq!(r.status, 201, "{r:?}");
    let profile = r.body.clone();
    let id = profile["id"].as_str().unwrap().to_string();
    assert_eq!(profile["owner_email"], "camille@acme.example");
    assert_eq!(profile["attributes"], json!({"site": "Lyon", "floor": "2"}));
    let token = &profile["token"];
    let value = token["value"].as_str().unwrap();
    let expires = token["expires_at"].as_i64().unwrap();
    let week = 7 * 86_400_000;
    assert!((expires - before - week).abs() < 120_000, "{token}");
    let qr: Value = serde_json::from_str(token["qr_payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        qr["android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE"]
            ["com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN"],
        value
    );
    let sent = s.google.requests();
    assert_call(&sent[0], "enrollmentTokens.create", None);
    assert_eq!(sent[0].body["duration"], "604800s");
    let data: Value =
        serde_json::from_str(sent[0].body["additionalData"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"profile": id, "owner": owner, "attributes": {"site": "Lyon", "floor": "2"}})
    );

    // The QR code image decodes to the provisioning JSON.
    let one = format!("{profiles}/{id}");
    let qr = s.c.get(&format!("{one}/qr")).await;
    assert_eq!(qr.status, 200, "{qr:?}");
    let svg = qr.body.as_str().unwrap();
    assert_eq!(
        corral_tests::portal::decode_qr_svg(svg),
        token["qr_payload"].as_str().unwrap()
    );

    // The owner cannot be deleted from under the profile.
    let r =
        s.c.send("DELETE", &format!("/api/v1/users/{owner}"), None)
            .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "user_owns_enrolment_profiles"),
        "{r:?}"
    );

    // Names are unique; only the validity can change.
    let r = s.c.send("POST", &profiles, Some(new(7))).await;
    assert_eq!((r.status, r.error().0), (409, "profile_conflict"), "{r:?}");
    for (field, value) in [
        ("name", json!("Paris")),
        ("attributes", json!({"site": "Paris"})),
    ] {
        let r = s.c.send("PATCH", &one, Some(json!({field: value}))).await;
        assert_field(&r, field);
    }
    let r =
        s.c.send("PATCH", &one, Some(json!({"validity_days": 31})))
            .await;
    assert_field(&r, "validity_days");
    assert_eq!(s.google.requests().len(), 1);

    let r =
        s.c.send("PATCH", &one, Some(json!({"validity_days": 14})))
            .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["validity_days"], 14);
    assert_eq!(r.body["name"], "Lyon kiosks");
    let renewed = r.body["token"]["value"].as_str().unwrap();
    assert_ne!(renewed, value, "a new token replaces the old one");
    let sent = s.google.requests();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_eq!(sent[1].body["duration"], "1209600s");
    assert_call(
        &sent[2],
        "enrollmentTokens.delete",
        Some(&format!("/v1/{}", token["name"].as_str().unwrap())),
    );

    // Deleting the profile deletes its token at Google.
    let current = r.body["token"]["name"].as_str().unwrap().to_string();
    let r = s.c.send("DELETE", &one, None).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(s.c.get(&one).await.status, 404);
    let r =
        s.c.send("DELETE", &format!("/api/v1/users/{owner}"), None)
            .await;
    assert_eq!(r.status, 204, "{r:?}");
    let sent = s.google.requests();
    assert_eq!(sent[3].path, format!("/v1/{current}"));
    s.google.assert_conforms();

    let history =
        s.c.get("/api/v1/history?object_type=enrolment_profile")
            .await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["created", "validity_changed", "deleted"] {
        assert!(actions.contains(&action), "{actions:?}");
    }
}

#[tokio::test]
async fn enrolment_profiles_carry_googles_token_sqlite() {
    enrolment_profiles_carry_googles_token(Db::Sqlite).await;
}

#[tokio::test]
async fn enrolment_profiles_carry_googles_token_postgres() {
    enrolment_profiles_carry_googles_token(Db::Postgres).await;
}
