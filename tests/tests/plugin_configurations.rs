//! Stored plugin configurations (SPEC E4: priority and distribution), on both databases, with
//! the AMAPI plugin's COSU kind through the same runtime path as any tenant plugin: nothing is
//! stored unless the plugin finds the body valid (the error names the field); for each device
//! the highest-priority configuration distributed to it applies; distribution "none" (the
//! default) applies to no device; priorities within a kind are distinct; an edit the plugin
//! refuses changes nothing; every change is in the history.

use corral_tests::{both_backends, Client, Db, Env};
use serde_json::{json, Value};

both_backends!(the_highest_applicable_configuration_wins);

async fn insert_device(env: &Env, tenant_id: &str, id: &str) {
    let n = env
        .execute_sql(&format!(
            "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, name, \
             model, state, archived, mdm_enabled, registrations, registered_at, created_at, \
             updated_at) VALUES ('{id}', '{tenant_id}', NULL, 'android', '14', 'SN-{id}', \
             'Kiosk {id}', 'Pixel 8', 'active', 0, 1, 1, 1, 1, 1)"
        ))
        .await;
    assert_eq!(n, 1);
}

fn kiosk(package: &str) -> Value {
    json!({"pinnedApp": {"packageName": package, "source": "public"}})
}

async fn applied(c: &Client, plugin: &str, device: &str) -> Vec<String> {
    let r = c
        .get(&format!(
            "/api/v1/plugins/{plugin}/devices/{device}/configurations"
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

async fn the_highest_applicable_configuration_wins(db: Db) {
    let env = Env::new(db).await;
    let acme = env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let (plugin, _) = c.install_active("corral_amapi_plugin").await;
    for device in ["kiosk-1", "kiosk-2", "kiosk-3"] {
        insert_device(&env, &acme, device).await;
    }
    let base = format!("/api/v1/plugins/{plugin}/configurations");

    // The plugin's validation decides: a pinned app is required.
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Broken", "priority": 1, "body": {}})),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(r.error(), ("invalid_configuration", Some("body/pinnedApp")));
    // An unknown device in a custom distribution is named.
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Lobby", "priority": 10,
                        "distribution": {"type": "custom", "devices": ["kiosk-1", "nope"]},
                        "body": kiosk("com.acme.lobby")})),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        r.error(),
        ("invalid_field", Some("distribution.devices[1]"))
    );
    assert!(c.get(&base).await.body.as_array().unwrap().is_empty());

    // Defaults to no device.
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Draft", "priority": 50,
                        "body": kiosk("com.acme.draft")})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["distribution"], json!({"type": "none"}));
    let draft = r.body["id"].as_str().unwrap().to_string();
    assert!(applied(&c, &plugin, "kiosk-1").await.is_empty());

    // All devices at priority 1; two devices also get a priority-10 one.
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Everywhere", "priority": 1,
                        "distribution": {"type": "all"}, "body": kiosk("com.acme.all")})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Lobby", "priority": 10,
                        "distribution": {"type": "custom", "devices": ["kiosk-1", "kiosk-2"]},
                        "body": kiosk("com.acme.lobby")})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let lobby = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(applied(&c, &plugin, "kiosk-1").await, ["Lobby"]);
    assert_eq!(applied(&c, &plugin, "kiosk-3").await, ["Everywhere"]);

    // A tie would make "the highest" ambiguous: refused.
    let r = c
        .send(
            "POST",
            &base,
            Some(json!({"kind": "cosu", "name": "Same", "priority": 10,
                        "distribution": {"type": "all"}, "body": kiosk("com.acme.same")})),
        )
        .await;
    assert_eq!(r.status, 409, "{r:?}");
    assert_eq!(r.error().0, "configuration_conflict");

    // The draft is switched on for kiosk-2 with the highest priority: it wins there only.
    let r = c
        .send(
            "PUT",
            &format!("{base}/{draft}"),
            Some(json!({"kind": "cosu", "name": "Draft", "priority": 50,
                        "distribution": {"type": "custom", "devices": ["kiosk-2"]},
                        "body": kiosk("com.acme.draft")})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(applied(&c, &plugin, "kiosk-2").await, ["Draft"]);
    assert_eq!(applied(&c, &plugin, "kiosk-1").await, ["Lobby"]);

    // The kind is fixed, and an invalid edit changes nothing.
    let r = c
        .send(
            "PUT",
            &format!("{base}/{lobby}"),
            Some(json!({"kind": "other", "name": "Lobby", "priority": 10,
                        "body": kiosk("com.acme.lobby")})),
        )
        .await;
    // (The plugin has one kind: it refuses the unknown one before the host's own check.)
    assert_eq!((r.status, r.error().0), (422, "plugin_refused"), "{r:?}");
    let r = c
        .send(
            "PUT",
            &format!("{base}/{lobby}"),
            Some(json!({"kind": "cosu", "name": "Lobby", "priority": 10,
                        "body": {"pinnedApp": {"packageName": "com.acme.lobby",
                                               "source": "in_house"}}})),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(
        c.get(&format!("{base}/{lobby}")).await.body["distribution"]["devices"],
        json!(["kiosk-1", "kiosk-2"])
    );

    // Deleted: the next one down applies again.
    let r = c.send("DELETE", &format!("{base}/{lobby}"), None).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(applied(&c, &plugin, "kiosk-1").await, ["Everywhere"]);

    let r = c
        .get("/api/v1/history?object_type=plugin_configuration")
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let mut actions: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        ["created", "created", "created", "deleted", "updated"]
    );
}
