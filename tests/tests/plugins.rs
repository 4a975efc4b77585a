//! Plugins through the admin API, with real compiled components (scripts/build-guests.sh).

use std::time::Duration;

use corral_tests::{both_backends, guest, Client, Db, Env};
use serde_json::json;

both_backends!(
    upload_activate_upgrade_roll_back_and_restart,
    plugin_kv_is_scoped_to_its_tenant,
    directory_lookups_see_only_the_plugins_tenant,
);

fn kiosk(pinned: Option<&str>) -> serde_json::Value {
    let body = match pinned {
        Some(app) => json!({"pinnedApp": app}),
        None => json!({}),
    };
    json!({"kind": "kiosk", "name": "Lobby", "body": body})
}

/// Uploads, allows `caps`, activates; returns the plugin id.
async fn install(c: &Client, bytes: Vec<u8>, caps: &[&str]) -> String {
    let r = c.upload(bytes).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["plugin"]["id"].as_str().unwrap().to_string();
    let seq = r.body["version"].as_i64().unwrap();
    let r = c
        .send(
            "PUT",
            &format!("/api/v1/plugins/{id}/grants"),
            Some(json!({"capabilities": caps})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": seq})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    id
}

async fn rendered_by(c: &Client, id: &str) -> String {
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/render"),
            Some(kiosk(Some("com.example.kiosk"))),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["document"]["applications"][0]["installType"],
        "KIOSK"
    );
    r.body["media_type"]
        .as_str()
        .unwrap()
        .rsplit("generator=")
        .next()
        .unwrap()
        .to_string()
}

async fn upload_activate_upgrade_roll_back_and_restart(db: Db) {
    let env = Env::new(db).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;

    // Upload v1: stored, described, not active.
    let r = c.upload(guest("corral_example_plugin")).await;
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.body["plugin"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["version"], 1);
    let plugin = &r.body["plugin"];
    assert_eq!(
        (plugin["name"].as_str(), plugin["active_version"].as_i64()),
        (Some("example"), None)
    );
    assert_eq!(plugin["versions"][0]["version"], "0.1.0");
    assert_eq!(plugin["versions"][0]["world_version"], "0.7.0");
    assert_eq!(
        plugin["versions"][0]["info"]["config_kinds"][0]["id"],
        "kiosk"
    );
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/validate"),
            Some(kiosk(None)),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "plugin_inactive"));

    // It imports capabilities the tenant has not allowed yet: activation is refused.
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(
        (r.status, r.error().0),
        (409, "capability_not_allowed"),
        "{r:?}"
    );
    let r = c
        .send(
            "PUT",
            &format!("/api/v1/plugins/{id}/grants"),
            Some(json!({"capabilities": ["teleport"]})),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, ("invalid_field", Some("capabilities[0]")))
    );
    let grants = json!({"capabilities": ["logging", "kv", "clock"]});
    assert_eq!(
        c.send("PUT", &format!("/api/v1/plugins/{id}/grants"), Some(grants))
            .await
            .status,
        200
    );
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["active_version"].as_i64()),
        (200, Some(1)),
        "{r:?}"
    );

    // Call its hooks.
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/validate"),
            Some(kiosk(None)),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["valid"], false);
    assert_eq!(r.body["errors"][0]["path"], "/pinnedApp");
    assert_eq!(r.body["errors"][0]["code"], "required");
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/validate"),
            Some(kiosk(Some("com.example.kiosk"))),
        )
        .await;
    assert_eq!(r.body["valid"], true);
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/validate"),
            Some(json!({"kind": "nope", "body": {}})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (422, "plugin_refused"), "{r:?}");
    assert_eq!(rendered_by(&c, &id).await, "example-0.1.0");

    // Upload v2 of the same plugin, activate it, roll back to v1.
    let r = c.upload(guest("corral_example_plugin_v2")).await;
    assert_eq!(
        (r.status, r.body["version"].as_i64()),
        (201, Some(2)),
        "{r:?}"
    );
    assert_eq!(
        r.body["plugin"]["id"].as_str(),
        Some(id.as_str()),
        "same plugin, new version"
    );
    assert_eq!(
        r.body["plugin"]["active_version"], 1,
        "upload does not activate"
    );
    assert_eq!(rendered_by(&c, &id).await, "example-0.1.0");
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": 2})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(rendered_by(&c, &id).await, "example-0.2.0");
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["active_version"].as_i64()),
        (200, Some(1))
    );
    assert_eq!(rendered_by(&c, &id).await, "example-0.1.0");
    let h = c
        .get(&format!(
            "/api/v1/history?object_type=plugin&object_id={id}"
        ))
        .await;
    let actions: Vec<&str> = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "rolled_back",
            "activated",
            "version_uploaded",
            "activated",
            "grants_changed",
            "version_uploaded",
            "created"
        ]
    );

    // The active version cannot be removed; another can.
    let r = c
        .send("DELETE", &format!("/api/v1/plugins/{id}/versions/1"), None)
        .await;
    assert_eq!((r.status, r.error().0), (409, "version_active"));

    // A restart keeps the active version and loads the compiled artifact from the cache.
    drop(server);
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "second").await;
    assert_eq!(
        c.get(&format!("/api/v1/plugins/{id}")).await.body["active_version"],
        1
    );
    assert_eq!(rendered_by(&c, &id).await, "example-0.1.0");
    let log = server.log();
    assert!(
        log.contains("plugin installed") && log.contains("from_cache=true"),
        "{log}"
    );
    assert!(
        !log.contains("from_cache=false"),
        "recompiled after restart: {log}"
    );

    let r = c
        .send("DELETE", &format!("/api/v1/plugins/{id}/versions/2"), None)
        .await;
    assert_eq!(
        (r.status, r.body["versions"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    assert_eq!(
        c.send("DELETE", &format!("/api/v1/plugins/{id}"), None)
            .await
            .status,
        204
    );
    assert_eq!(c.get(&format!("/api/v1/plugins/{id}")).await.status, 404);
}

async fn plugin_kv_is_scoped_to_its_tenant(db: Db) {
    let env = Env::new(db).await;
    let alpha_id = env.create_tenant("alpha").await;
    env.create_tenant("bravo").await;
    let server = env.serve().await;
    let alpha = env.signed_in_owner(&server, "alpha", "owner").await;
    let bravo = env.signed_in_owner(&server, "bravo", "owner").await;
    let a_plugin = install(&alpha, guest("hostile_kv_snoop"), &["kv"]).await;
    let b_plugin = install(&bravo, guest("hostile_kv_snoop"), &["kv"]).await;

    // Alpha's copy of the plugin holds a secret (written straight into its KV rows).
    put_kv(&env, &alpha_id, "hostile-kv-snoop", "secret", b"alpha-only").await;

    let keys = json!([
        "secret",
        "../alpha/secret",
        "alpha/secret",
        "alpha\u{0}secret",
        "%",
        ""
    ]);
    // Alpha's plugin reads its key by name and finds it again through list-keys.
    let own = rendered_text(&alpha, &a_plugin, &keys).await;
    assert_eq!(
        own, "secret=alpha-only\nsecret=alpha-only",
        "own tenant sees its key"
    );
    assert_eq!(
        rendered_text(&bravo, &b_plugin, &keys).await,
        "",
        "another tenant's plugin sees nothing"
    );
    // Bravo's admin cannot even address alpha's plugin.
    let r = bravo
        .send(
            "POST",
            &format!("/api/v1/plugins/{a_plugin}/render"),
            Some(kiosk(None)),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        bravo
            .get(&format!("/api/v1/plugins/{a_plugin}"))
            .await
            .status,
        404
    );
    assert_eq!(
        bravo
            .get("/api/v1/plugins")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn directory_lookups_see_only_the_plugins_tenant(db: Db) {
    let env = Env::new(db).await;
    let alpha_id = env.create_tenant("alpha").await;
    let bravo_id = env.create_tenant("bravo").await;
    let server = env.serve().await;
    let alpha = env.signed_in_owner(&server, "alpha", "owner").await;
    let bravo = env.signed_in_owner(&server, "bravo", "owner").await;
    let mut owners = Vec::new();
    for (c, email, first) in [
        (&alpha, "ann@alpha.example", "Ann"),
        (&bravo, "bob@bravo.example", "Bob"),
    ] {
        let user = json!({"email": email, "first_name": first, "last_name": "Lee"});
        owners.push(c.create_user(user).await);
    }
    // A phone of each user, as the inventory records them (serial, both IMEIs of a dual-SIM
    // phone); both tenants have a device under the same serial number.
    for (tenant, owner, device, imeis) in [
        (
            &alpha_id,
            &owners[0],
            "dev-a",
            ["356938035643809", "356938035643817"],
        ),
        (
            &bravo_id,
            &owners[1],
            "dev-b",
            ["490154203237518", "490154203237526"],
        ),
    ] {
        env.execute_sql(&format!(
            "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, \
             name, model, state, archived, mdm_enabled, registrations, registered_at, \
             created_at, updated_at) VALUES ('{device}', '{tenant}', '{owner}', 'android', '14', \
             'R58M12AB', '{device} phone', 'Pixel 8', 'active', 0, 1, 1, 1, 1, 1)"
        ))
        .await;
        for (kind, value) in [
            ("serial", "R58M12AB"),
            ("imei", imeis[0]),
            ("imei", imeis[1]),
        ] {
            env.execute_sql(&format!(
                "INSERT INTO device_identifiers (device_id, tenant_id, kind, value) \
                 VALUES ('{device}', '{tenant}', '{kind}', '{value}')"
            ))
            .await;
        }
    }
    let keys = json!([
        "ann@alpha.example",
        "bob@bravo.example",
        "nobody@alpha.example",
        "R58M12AB",
        "356938035643817",
        "490154203237518"
    ]);
    let a = install(&alpha, guest("hostile_directory_probe"), &["directory"]).await;
    let b = install(&bravo, guest("hostile_directory_probe"), &["directory"]).await;
    assert_eq!(
        rendered_text(&alpha, &a, &keys).await,
        "ann@alpha.example=Ann Lee (local), 1 device(s)\n\
         R58M12AB=dev-a phone: R58M12AB, 356938035643809+356938035643817, ann@alpha.example\n\
         356938035643817=dev-a phone: R58M12AB, 356938035643809+356938035643817, ann@alpha.example"
    );
    assert_eq!(
        rendered_text(&bravo, &b, &keys).await,
        "bob@bravo.example=Bob Lee (local), 1 device(s)\n\
         R58M12AB=dev-b phone: R58M12AB, 490154203237518+490154203237526, bob@bravo.example\n\
         490154203237518=dev-b phone: R58M12AB, 490154203237518+490154203237526, bob@bravo.example"
    );

    // Without the grant the plugin cannot be activated at all.
    let r = bravo
        .send("POST", &format!("/api/v1/plugins/{b}/deactivate"), None)
        .await;
    assert_eq!(r.status, 200);
    let r = bravo
        .send(
            "PUT",
            &format!("/api/v1/plugins/{b}/grants"),
            Some(json!({"capabilities": []})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = bravo
        .send(
            "POST",
            &format!("/api/v1/plugins/{b}/activate"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "capability_not_allowed"));
}

/// Calls `render` with a JSON `body` and returns the plain-text document.
async fn rendered_text(c: &Client, id: &str, body: &serde_json::Value) -> String {
    let config = json!({"kind": "x", "body": body});
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/render"),
            Some(config),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["document"].as_str().unwrap().to_string()
}

async fn put_kv(env: &Env, tenant_id: &str, plugin: &str, key: &str, value: &[u8]) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&env.database_url).await.unwrap();
    sqlx::query("INSERT INTO plugin_kv (tenant_id, plugin, key, value, updated_at) VALUES ($1, $2, $3, $4, 0)")
        .bind(tenant_id)
        .bind(plugin)
        .bind(key)
        .bind(value.to_vec())
        .execute(&pool)
        .await
        .unwrap();
}

/// Hostile uploads and plugins, each refused or stopped with a clear error while a good plugin
/// keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_plugins_fail_alone() {
    let env = Env::new(Db::Sqlite)
        .await
        .with_env("CORRAL_PLUGIN_MAX_UPLOAD_BYTES", "400000");
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let good = install(
        &c,
        guest("corral_example_plugin"),
        &["logging", "kv", "clock"],
    )
    .await;

    // Refused uploads: nothing stored.
    let cases: [(Vec<u8>, u16, &str, &str); 4] = [
        (
            b"not wasm at all".to_vec(),
            400,
            "invalid_field",
            "not a WebAssembly binary",
        ),
        (
            b"\0asm\x01\0\0\0".to_vec(),
            400,
            "invalid_field",
            "core WebAssembly module",
        ),
        (guest("other_world"), 400, "invalid_field", "corral:plugin"),
        (
            vec![0u8; 500_000],
            413,
            "plugin_too_large",
            "at most 400000 bytes",
        ),
    ];
    for (bytes, status, code, text) in cases {
        let r = c.upload(bytes).await;
        assert_eq!((r.status, r.error().0), (status, code), "{r:?}");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(text),
            "{r:?}"
        );
    }
    let r = c
        .send_raw("POST", "/api/v1/plugins", "text/plain", "hello")
        .await;
    assert_eq!(r.status, 415);
    assert_eq!(
        c.get("/api/v1/plugins")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A plugin importing a capability the tenant does not allow cannot be activated.
    let r = c.upload(guest("hostile_ungranted_http")).await;
    let id = r.body["plugin"]["id"].as_str().unwrap().to_string();
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (409, "capability_not_allowed"));
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("http"),
        "{r:?}"
    );

    // Plugins that loop, eat memory, recurse, return too much or panic: each call fails with
    // an error naming the plugin and version; a concurrent good call succeeds.
    for (name, hook, expect) in [
        ("hostile_infinite_loop", "validate", "CPU deadline"),
        ("hostile_memory_hog", "validate", "out of memory"),
        (
            "hostile_deep_recursion",
            "validate",
            "hostile-deep-recursion@0.1.0#1",
        ),
        ("hostile_huge_return", "render", "over the limit"),
        ("hostile_panic", "validate", "trapped"),
    ] {
        let id = install(&c, guest(name), &[]).await;
        let bad_path = format!("/api/v1/plugins/{id}/{hook}");
        let bad = c.send("POST", &bad_path, Some(kiosk(None)));
        let ok = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let started = std::time::Instant::now();
            let r = c
                .send(
                    "POST",
                    &format!("/api/v1/plugins/{good}/validate"),
                    Some(kiosk(None)),
                )
                .await;
            (r, started.elapsed())
        };
        let (bad, (ok, ok_took)) = tokio::join!(bad, ok);
        assert_eq!(
            (bad.status, bad.error().0),
            (502, "plugin_failed"),
            "{name}: {bad:?}"
        );
        let message = bad.body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("hostile-") && message.contains("0.1.0#1"),
            "{name}: {message}"
        );
        assert!(message.contains(expect), "{name}: {message}");
        assert_eq!(ok.status, 200, "good call during {name}: {ok:?}");
        assert!(
            ok_took < Duration::from_secs(2),
            "good call waited {ok_took:?} during {name}"
        );
    }
    // The server is still healthy.
    assert_eq!(c.get("/readyz").await.status, 200);
}
