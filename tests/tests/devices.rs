//! The device admin API against the real server (SPEC D7): list, retire, wipe, delete, with the
//! history naming the administrator, tenant isolation, and the owner's portal showing the state.
//! Devices are inserted as an enrolment would leave them (Apple check-in builds on this).

use corral_tests::portal::Browser;
use corral_tests::{both_backends, Db, Env};
use serde_json::json;

both_backends!(administrators_retire_wipe_and_delete_devices);

async fn insert_device(env: &Env, tenant_id: &str, user_id: &str, id: &str, hw: &str) {
    let n = env
        .execute_sql(&format!(
            "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, name, \
             model, state, archived, mdm_enabled, registrations, registered_at, created_at, \
             updated_at) VALUES ('{id}', '{tenant_id}', '{user_id}', 'ios', '17.4', '{hw}', \
             'Pat''s iPhone', 'iPhone15,2', 'active', 0, 1, 1, 1, 1, 1)"
        ))
        .await;
    assert_eq!(n, 1);
}

async fn administrators_retire_wipe_and_delete_devices(db: Db) {
    let env = Env::new(db).await;
    let acme = env.create_tenant("acme").await;
    env.create_tenant("globex").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let r = c
        .send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "pat@acme.example", "first_name": "Pat", "last_name": "Roe",
                        "password": "pat's long password"}),
            ),
        )
        .await;
    let pat = r.body["id"].as_str().unwrap().to_string();
    insert_device(&env, &acme, &pat, "dev-1", "UDID-1").await;
    insert_device(&env, &acme, &pat, "dev-2", "UDID-2").await;

    let r = c.get("/api/v1/devices").await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    let r = c
        .get(&format!("/api/v1/devices?user_id={pat}&state=active"))
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 2, "{r:?}");
    let r = c.get("/api/v1/devices?state=lost").await;
    assert_eq!((r.status, r.error().1), (400, Some("state")), "{r:?}");

    let r = c.send("POST", "/api/v1/devices/dev-1/retire", None).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        (r.body["state"].as_str(), r.body["mdm_enabled"].as_bool()),
        (Some("retired"), Some(false))
    );
    let r = c.send("POST", "/api/v1/devices/dev-1/wipe", None).await;
    assert_eq!((r.status, r.error().0), (409, "device_not_active"), "{r:?}");
    let r = c.send("POST", "/api/v1/devices/dev-2/wipe", None).await;
    assert_eq!(r.body["state"], "wiped", "{r:?}");

    // The owner's portal shows the states.
    let url = c.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let b = Browser::new(&server.url);
    let page = b.get(&url).await;
    let home = b
        .submit(
            &page,
            "/sign-in",
            &[
                ("email", "pat@acme.example"),
                ("password", "pat's long password"),
            ],
        )
        .await;
    let items = home.texts("ul.devices li");
    assert_eq!(items.len(), 2, "{home:?}");
    assert!(
        items
            .iter()
            .any(|i| i.contains("Pat's iPhone — iOS 17.4 — Retired")),
        "{items:?}"
    );
    assert!(items.iter().any(|i| i.contains("Wiped")), "{items:?}");

    // Another tenant sees none of it.
    let globex = env.signed_in_owner(&server, "globex", "owner").await;
    assert_eq!(globex.get("/api/v1/devices").await.body, json!([]));
    let r = globex
        .send("POST", "/api/v1/devices/dev-2/retire", None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        globex
            .send("DELETE", "/api/v1/devices/dev-2", None)
            .await
            .status,
        404
    );

    let r = c.send("DELETE", "/api/v1/devices/dev-2", None).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(c.get("/api/v1/devices/dev-2").await.status, 404);

    let r = c
        .get("/api/v1/history?object_type=device&object_id=dev-2")
        .await;
    let actions: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(actions, [("deleted", "admin"), ("wiped", "admin")]);
}
