//! Issue 21: the administrator console walked through in a real browser, Debian's headless
//! Chromium driven by playwright-core (tests/browser/console-walkthrough.mjs), with JavaScript
//! off, at 1280 x 800 and at 390 x 844, each against a fresh server: sign-in with the TOTP
//! set-up, a user created and invited, a directory user imported, unmanaged devices on, a user
//! labelled, the feature off for good, a plugin uploaded, activated and rolled back, a COSU
//! configuration after a field error, a device acted on, and the history of each. Screenshots
//! of every page go to `test-output/console-browser/`. scripts/test.sh installs Chromium,
//! playwright-core and otpauth, and starts slapd.

use std::path::PathBuf;
use std::time::Duration;

use corral_tests::network::ldap_url;
use corral_tests::walkthrough::{self, workspace};
use corral_tests::{Db, Env};
use serde_json::json;

fn guest_path(name: &str) -> PathBuf {
    let path = workspace()
        .join("plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(path.exists(), "{}: build the guests first", path.display());
    path
}

async fn walk_through(width: u32, height: u32) {
    let out_dir = workspace().join("test-output/console-browser");
    std::fs::create_dir_all(&out_dir).unwrap();

    let env = Env::new(Db::Sqlite).await;
    let tenant = env.create_tenant("acme").await;
    let server = env.serve().await;
    let api = env.signed_in_owner(&server, "acme", "api").await;
    let password = "console passphrase 1";
    env.create_admin("acme", "admin@acme.example", "admin", password)
        .await;
    // A device to act on, as enrolment would have left it.
    let owner = api
        .create_user(json!({"email": "pat@acme.example", "first_name": "Pat",
                            "last_name": "Doe"}))
        .await;
    let n = env
        .execute_sql(&format!(
            "INSERT INTO devices (id, tenant_id, user_id, platform, os_version, hardware_id, \
             name, model, state, archived, mdm_enabled, registrations, registered_at, \
             created_at, updated_at) VALUES ('pat-phone', '{tenant}', '{owner}', 'ios', '18', \
             'HW-1', 'Pat phone', 'iPhone', 'active', 0, 0, 1, 1, 1, 1)"
        ))
        .await;
    assert_eq!(n, 1);

    let args = json!({
        "base": server.url,
        "tenant": "acme",
        "email": "admin@acme.example",
        "password": password,
        "width": width,
        "height": height,
        "outDir": out_dir,
        "example": guest_path("corral_example_plugin"),
        "exampleV2": guest_path("corral_example_plugin_v2"),
        "amapi": guest_path("corral_amapi_plugin"),
        "ldap": {
            "url": ldap_url(),
            "bindDn": "cn=corral-reader,ou=services,dc=corral,dc=test",
            "bindPassword": "reader password",
            "baseDn": "ou=people,dc=corral,dc=test",
        },
        "deviceName": "Pat phone",
        "sentence": "I understand that deactivating unmanaged devices is permanent",
    });
    let limit = Duration::from_secs(240);
    let report = walkthrough::run("console-walkthrough.mjs", &args, limit, &server).await;
    walkthrough::assert_screenshots(&report, 27, width, height);

    // What the pages did is what the services hold.
    let users = api.get("/api/v1/users").await.body;
    let emails: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"ann@acme.example"), "{users}");
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["source"] == "ldap"),
        "{users}"
    );
    let feature = api.get("/api/v1/unmanaged-devices").await.body;
    assert_eq!(feature["state"], "deactivated", "{feature}");
    let plugins = api.get("/api/v1/plugins").await.body;
    let example = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "example")
        .unwrap();
    assert_eq!(example["active_version"], 1, "rolled back: {example}");
    let device = api.get("/api/v1/devices/pat-phone").await.body;
    assert_eq!(device["state"], "retired", "{device}");
}

#[tokio::test(flavor = "multi_thread")]
async fn console_walk_through_at_desktop_and_phone_sizes_without_javascript() {
    let _ = std::fs::remove_dir_all(workspace().join("test-output/console-browser"));
    walk_through(1280, 800).await;
    walk_through(390, 844).await;
}
