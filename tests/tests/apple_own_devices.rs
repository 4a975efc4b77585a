//! Users' own Apple devices (SPEC I1, issue 25): from the portal's home page a user locks,
//! wipes or retires (removes management from) their own enrolled device after a confirmation
//! page, in Debian's headless Chromium with JavaScript disabled (tests/browser/own-devices.mjs;
//! screenshots in `test-output/portal-browser/own-devices/`). The action is the
//! administrators' queue (the commands are in the admin API, with the Mac's PIN the user was
//! shown), the device is pushed, and the history says the user did it. Another user's device
//! id, in the address or in a posted form, gives 404 and queues nothing.

use std::time::Duration;

use corral_tests::apns::ApnsStandIn;
use corral_tests::apple::{sign_in_user, AppleTenant, PlayedDevice};
use corral_tests::walkthrough::{self, workspace};
use corral_tests::Db;
use serde_json::json;

const TOPIC: &str = "com.apple.mgmt.External.3c9e1f20-5a7b-4d8c-b1e2-7f6a5d4c3b2a";

/// Enrols a device of `kind` through `browser` (signed in to the portal at `home`).
async fn enrol(
    apple: &AppleTenant,
    browser: &corral_tests::portal::Browser,
    home: &corral_tests::portal::Page,
    kind: &str,
    udid: &str,
) -> String {
    let path = home.attr("a[href$='/profile']", "href").unwrap();
    let page = browser.get(&path).await;
    let profile = browser.submit(&page, "/profile", &[("kind", kind)]).await;
    assert_eq!(profile.status, 200);
    let device = PlayedDevice::install(&profile.bytes, udid);
    for message in ["Authenticate", "TokenUpdate"] {
        assert_eq!(
            device
                .check_in(&apple.server.url, &device.message(message), true)
                .await,
            200
        );
    }
    // Newest registration first.
    let r = apple.admin.get("/api/v1/devices").await;
    r.body[0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn users_lock_wipe_and_retire_their_own_devices() {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let apple = AppleTenant::start_in(apns.env(Db::Sqlite).await).await;
    let r = apns.install(&apple.admin, TOPIC, 300, false).await;
    assert_eq!(r.status, 200, "{r:?}");

    let mac = enrol(&apple, &apple.browser, &apple.home, "macos", "C02PAT0MAC01").await;
    let iphone = enrol(
        &apple,
        &apple.browser,
        &apple.home,
        "ios",
        "00008110-PAT0IPHONE01",
    )
    .await;
    let (bob, bob_home) = sign_in_user(&apple.admin, &apple.server, "bob@acme.example").await;
    let bobs = enrol(&apple, &bob, &bob_home, "ios", "00008110-BOB0IPHONE01").await;

    let link = apple.admin.get("/api/v1/registration").await.body["url"]
        .as_str()
        .unwrap()
        .to_string();
    let out_dir = workspace().join("test-output/portal-browser/own-devices");
    let args = json!({
        "link": link,
        "email": "pat@acme.example",
        "password": "pat's long password",
        "macId": mac,
        "iphoneId": iphone,
        "othersId": bobs,
        "outDir": out_dir,
    });
    let report = walkthrough::run(
        "own-devices.mjs",
        &args,
        Duration::from_secs(120),
        &apple.server,
    )
    .await;

    // The Mac: the lock (cancelled by the wipe that followed) and the erase, each with the PIN
    // the user was shown; the iPhone: the enrolment profile's removal.
    let commands = |id: String| {
        let admin = &apple.admin;
        async move {
            let r = admin
                .get(&format!("/api/v1/apple/commands?device_id={id}"))
                .await;
            r.body.as_array().unwrap().clone()
        }
    };
    let on_mac = commands(mac.clone()).await;
    let kinds: Vec<(&str, &str)> = on_mac
        .iter()
        .map(|c| {
            (
                c["request_type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("EraseDevice", "pending"), ("DeviceLock", "cancelled")],
        "{on_mac:?}"
    );
    assert_eq!(on_mac[0]["pin"], report["wipePin"]);
    assert_eq!(on_mac[1]["pin"], report["lockPin"]);
    assert_eq!(on_mac[0]["requested_by"], "pat@acme.example");
    let on_iphone = commands(iphone.clone()).await;
    assert_eq!(on_iphone.len(), 1, "{on_iphone:?}");
    assert_eq!(on_iphone[0]["request_type"], "RemoveProfile");
    assert!(
        commands(bobs.clone()).await.is_empty(),
        "nothing for Bob's device"
    );
    let states = apple.admin.get("/api/v1/devices").await;
    let state = |id: &str| {
        states
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()["state"]
            .clone()
    };
    assert_eq!(
        (state(&mac), state(&iphone), state(&bobs)),
        (json!("wiped"), json!("retired"), json!("active"))
    );
    // In the history as Pat's.
    let h = apple
        .admin
        .get(&format!(
            "/api/v1/history?object_type=device&object_id={iphone}"
        ))
        .await;
    let retired = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "retired")
        .unwrap_or_else(|| panic!("{h:?}"))
        .clone();
    assert_eq!(
        (
            retired["actor_type"].as_str(),
            retired["actor_label"].as_str()
        ),
        (Some("user"), Some("pat@acme.example"))
    );
    // Each action woke its device.
    let pushed = apns.wait_delivered(3, 20).await;
    assert!(pushed.len() >= 3, "{:?}", apns.pushes());
    assert!(apns.refusals().is_empty(), "{:?}", apns.refusals());
    // In French too: the states the actions left.
    let fr = apple
        .browser
        .get(&format!("{}?lang=fr", apple.home.url))
        .await;
    let items = fr.texts("ul.devices li").join(" | ");
    assert!(
        items.contains("Effacé") && items.contains("Retiré"),
        "{items}"
    );
}
