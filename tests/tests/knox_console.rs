//! The Knox pages of the console in a real browser (tests/browser/knox-walkthrough.mjs),
//! JavaScript off, at a desktop and a phone size, each against a fresh server with the KME and
//! zero-touch stand-ins; screenshots in `test-output/console-browser/knox/`. What the pages
//! did is then checked at the stand-in.

use std::time::Duration;

use corral_tests::knox::setup;
use corral_tests::walkthrough;
use corral_tests::zero_touch::{imei, CUSTOMER};
use corral_tests::Db;
use serde_json::json;

const PASSWORD: &str = "console passphrase 1";

async fn walk_through(width: u32, height: u32) {
    let s = setup(Db::Sqlite).await;
    let warehouse = s.kme.add_profile("Warehouse");
    let retail = s.zt.create_configuration("Retail", false).await;
    let zero_touch = |identifier| s.zt.google.zero_touch().add_device(CUSTOMER, identifier);
    // Both, with a KME profile: KME provisions it.
    let both = s
        .kme
        .add_device(json!({"mei": imei(3), "serialNumber": "R58BOTH003", "model": "SM-G991B"}));
    s.kme.set_profile(&both, Some(&warehouse));
    let zt_both = zero_touch(json!({"imei": imei(3), "manufacturer": "samsung"}));
    // Zero-touch only; and neither (in KME without a profile, zero-touch "None").
    let zt_only = zero_touch(json!({"imei": imei(2), "manufacturer": "samsung"}));
    s.kme
        .add_device(json!({"mei": imei(7), "serialNumber": "R58NONE007", "model": "SM-G991B"}));
    zero_touch(json!({"imei": imei(7), "manufacturer": "samsung"}));
    for device in [&zt_both, &zt_only] {
        let r =
            s.zt.act(
                &s.zt.c,
                "devices",
                "apply-configuration",
                Some(device),
                json!({"configuration": retail}),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    // An upload waiting for approval (its devices are not synced as provisioned).
    let pending = s
        .kme
        .add_device(json!({"mei": "", "serialNumber": "R58UPL0001",
        "model": "SM-G991B", "resellerId": "R-100", "resellerName": "Acme Phones",
        "uploadId": "U1", "approvalStatus": "PENDING"}));
    s.sync().await;
    let totp =
        s.zt.env
            .create_admin("acme", "kme@acme.example", "admin", PASSWORD)
            .await;
    let out_dir = walkthrough::workspace().join("test-output/console-browser/knox");
    let args = json!({
        "base": s.zt.server.url,
        "tenant": "acme",
        "email": "kme@acme.example",
        "password": PASSWORD,
        "totpSecret": totp.get_secret_base32(),
        "width": width,
        "height": height,
        "outDir": out_dir,
        "plugin": s.plugin,
        "profile": warehouse,
    });
    let limit = Duration::from_secs(180);
    let report = walkthrough::run("knox-walkthrough.mjs", &args, limit, &s.zt.server).await;
    walkthrough::assert_screenshots(&report, 10, width, height);
    // What the pages did is what KME holds.
    assert!(s.kme.device(&both).get("profileId").is_none());
    let approved = s.kme.device(&pending);
    assert_eq!(approved["approvalStatus"], "APPROVED", "{approved}");
    assert_eq!(approved["profileId"], warehouse.as_str());
    s.kme.assert_conforms();
    s.zt.google.assert_conforms();
}

#[tokio::test]
async fn knox_pages_in_a_browser_at_desktop_size() {
    walk_through(1280, 800).await;
}

#[tokio::test]
async fn knox_pages_in_a_browser_at_phone_size() {
    walk_through(390, 844).await;
}
