//! The Apple pages of the console (issue 25) in a real browser
//! (tests/browser/apple-walkthrough.mjs), JavaScript off, at a desktop and a phone size, each
//! against a fresh server with the APNs stand-in and two enrolled played devices (an iPhone
//! that answers whenever it is woken, a Mac that never does); screenshots in
//! `test-output/console-browser/apple/`. What the pages did is then checked through the admin
//! API and at the stand-in.

use std::time::Duration;

use corral_tests::apns::ApnsStandIn;
use corral_tests::apple::{acknowledged, answer, idle, AppleTenant, PlayedDevice};
use corral_tests::{walkthrough, Db};
use plist::{Dictionary, Value};
use serde_json::json;

const PASSWORD: &str = "console passphrase 1";
const TOPIC: &str = "com.apple.mgmt.External.0c6a1d1e-55b4-4b8e-8f53-9f1e0c2d7a11";

/// What the played iPhone answers to a command: its information, an error for SecurityInfo,
/// NotNow for anything else (the command stays open).
fn reply(command: &Dictionary) -> Dictionary {
    let uuid = command["CommandUUID"].as_string().unwrap();
    let kind = command["Command"].as_dictionary().unwrap()["RequestType"]
        .as_string()
        .unwrap();
    match kind {
        "DeviceInformation" => {
            let mut info = Dictionary::new();
            info.insert("DeviceName".into(), "Pat's console iPhone".into());
            info.insert("OSVersion".into(), "18.2".into());
            info.insert("ProductName".into(), "iPhone17,1".into());
            info.insert("SerialNumber".into(), "F2LCONSOLE1".into());
            acknowledged(
                "information.device",
                uuid,
                &[("QueryResponses", info.into())],
            )
        }
        "SecurityInfo" => {
            let mut e = Dictionary::new();
            e.insert("ErrorCode".into(), Value::Integer(12081.into()));
            e.insert("ErrorDomain".into(), "MCMDMErrorDomain".into());
            e.insert("LocalizedDescription".into(), "Not allowed now".into());
            e.insert("USEnglishDescription".into(), "Not allowed now".into());
            let chain = Value::Array(vec![Value::Dictionary(e)]);
            answer(uuid, "Error", &[("ErrorChain", chain)])
        }
        _ => answer(uuid, "NotNow", &[]),
    }
}

/// The iPhone, woken: polls and answers until the queue has nothing for it or it said NotNow.
async fn woken(device: PlayedDevice, url: String) {
    let (_, mut command) = device.send(&url, idle()).await;
    while let Some(c) = command {
        let answer = reply(&c);
        let not_now = answer["Status"].as_string() == Some("NotNow");
        let (_, next) = device.send(&url, answer).await;
        command = if not_now { None } else { next };
    }
}

async fn walk_through(width: u32, height: u32) {
    let dir = tempfile::tempdir().unwrap();
    let apns = ApnsStandIn::start(dir.path()).await;
    let apple = AppleTenant::start_in(apns.env(Db::Sqlite).await).await;
    // A certificate that expires in 20 days: the page warns; the browser uploads its renewal.
    let r = apns.install(&apple.admin, TOPIC, 20, false).await;
    assert_eq!(r.status, 200, "{r:?}");
    let first_serial = r.body["serial"].as_str().unwrap().to_string();
    let (iphone, iphone_id) = apple.enrolled("ios", "00008110-000C0A50LE1PH0NE").await;
    let (_mac, mac_id) = apple.enrolled("macos", "C02CONSOLE12-MAC").await;
    let url = apple.server.url.clone();
    let poller = iphone.clone();
    apns.on_push(move |_push| woken(iphone.clone(), url.clone()));

    let (renewal, renewal_key) = apns.push_certificate(TOPIC, 365);
    let (other, other_key) = apns.push_certificate("com.apple.mgmt.External.another-topic", 365);
    let totp = apple
        .env
        .create_admin("acme", "apple@acme.example", "admin", PASSWORD)
        .await;
    let out_dir = walkthrough::workspace().join("test-output/console-browser/apple");
    let args = json!({
        "base": apple.server.url,
        "tenant": "acme",
        "email": "apple@acme.example",
        "password": PASSWORD,
        "totpSecret": totp.get_secret_base32(),
        "width": width,
        "height": height,
        "outDir": out_dir,
        "iphoneId": iphone_id,
        "macId": mac_id,
        "renewal": {"certificate": renewal, "key": renewal_key},
        "otherTopic": {"certificate": other, "key": other_key},
    });
    let limit = Duration::from_secs(240);
    let report = walkthrough::run("apple-walkthrough.mjs", &args, limit, &apple.server).await;
    walkthrough::assert_screenshots(&report, 11, width, height);

    // The renewal is installed (same topic), the other topic was not.
    let r = apple.admin.get("/api/v1/apple/push-certificate").await;
    assert_eq!(r.body["topic"], TOPIC, "{r:?}");
    assert_ne!(r.body["serial"], first_serial.as_str());
    assert_eq!(r.body["expires_soon"], false);
    // DeviceInformation's answer changed the iPhone.
    let r = apple
        .admin
        .get(&format!("/api/v1/devices/{iphone_id}"))
        .await;
    assert_eq!(r.body["name"], "Pat's console iPhone", "{r:?}");
    assert_eq!(r.body["os_version"], "18.2");
    // The commands as the pages left them.
    let r = apple
        .admin
        .get(&format!("/api/v1/apple/commands?device_id={iphone_id}"))
        .await;
    let status = |kind: &str| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["request_type"] == kind)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status("DeviceInformation"), ["acknowledged"], "{r:?}");
    assert_eq!(status("SecurityInfo"), ["error"]);
    assert_eq!(status("RestartDevice"), ["cancelled"]);
    assert_eq!(status("DeviceLock"), Vec::<String>::new(), "refused twice");
    let r = apple
        .admin
        .get(&format!("/api/v1/apple/commands?device_id={mac_id}"))
        .await;
    let lock = &r.body[0];
    assert_eq!(lock["request_type"], "DeviceLock", "{r:?}");
    assert_eq!(lock["pin"], report["macPin"], "the PIN the page showed");
    // The cancelled restart never reaches the iPhone again: its queue is empty.
    assert_eq!(poller.send(&apple.server.url, idle()).await, (200, None));
    assert!(apns.pushes().len() >= 4, "pushes: {:?}", apns.pushes());
    assert!(apns.refusals().is_empty(), "{:?}", apns.refusals());
}

#[tokio::test]
async fn apple_pages_in_a_browser_at_desktop_size() {
    walk_through(1280, 800).await;
}

#[tokio::test]
async fn apple_pages_in_a_browser_at_phone_size() {
    walk_through(390, 844).await;
}
