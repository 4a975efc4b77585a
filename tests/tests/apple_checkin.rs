//! A test device enrols (SPEC D4, D7): it downloads its profile from the portal, takes the
//! identity out of it, sends Authenticate then TokenUpdate signed with that identity, shows up
//! Active in the admin API and in the portal, then checks out. Forged identities, another
//! tenant's identity, unsigned and tampered messages are refused and change nothing.

use corral_tests::apple::{sign_in_user, AppleTenant, PlayedDevice};
use corral_tests::{both_backends, Db};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509Builder, X509NameBuilder};

both_backends!(
    device_enrols_checks_in_and_checks_out,
    forged_and_foreign_identities_are_refused,
);

async fn device_enrols_checks_in_and_checks_out(db: Db) {
    let apple = AppleTenant::start(db).await;
    let profile = apple.download("ios").await;
    assert_eq!(profile.status, 200);
    let device = PlayedDevice::install(&profile.bytes, "00008110-000A1B2C3D4E5F6G");
    assert_eq!(device.checkin_path, "/mdm/acme/checkin");
    let url = &apple.server.url;

    assert_eq!(
        device
            .check_in(url, &device.message("Authenticate"), true)
            .await,
        200
    );
    // Authenticated, not yet Active: no device yet.
    assert_eq!(
        apple.admin.get("/api/v1/devices").await.body,
        serde_json::json!([])
    );
    assert_eq!(
        device
            .check_in(url, &device.message("TokenUpdate"), true)
            .await,
        200
    );

    let r = apple.admin.get("/api/v1/devices").await;
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{r:?}");
    let d = &list[0];
    assert_eq!(
        (
            d["state"].as_str(),
            d["mdm_enabled"].as_bool(),
            d["platform"].as_str(),
            d["hardware_id"].as_str(),
            d["os_version"].as_str(),
            d["name"].as_str()
        ),
        (
            Some("active"),
            Some(true),
            Some("ios"),
            Some("00008110-000A1B2C3D4E5F6G"),
            Some("17.4"),
            Some("Pat's iPhone")
        )
    );
    let id = d["id"].as_str().unwrap().to_string();
    // The owner sees it in the portal.
    let home = apple
        .browser
        .get(&format!("{}/home", apple.home.base_path()))
        .await;
    let items = home.texts("ul.devices li");
    assert_eq!(
        items,
        ["Pat's iPhone — iOS 17.4 — Active — Lock… — Wipe… — Remove management…"],
        "{home:?}"
    );

    // A token refresh keeps the one device.
    assert_eq!(
        device
            .check_in(url, &device.message("TokenUpdate"), true)
            .await,
        200
    );
    assert_eq!(
        apple
            .admin
            .get("/api/v1/devices")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The command channel: idle with nothing to do (an empty answer), command results
    // accepted; another device's UDID or an unsigned report is refused.
    assert_eq!(device.server_path, "/mdm/acme/server");
    assert_eq!(
        device.report(url, "Idle", &device.udid).await,
        (200, vec![])
    );
    assert_eq!(
        device.report(url, "Acknowledged", &device.udid).await.0,
        200
    );
    assert_eq!(device.report(url, "Idle", "ANOTHER-UDID").await.0, 403);
    assert_eq!(device.report(url, "Sleeping", &device.udid).await.0, 400);
    let unsigned = reqwest::Client::new()
        .put(format!("{url}/mdm/acme/server"))
        .body("<plist/>")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);

    // CheckOut: MDM is off for that device, in the API, the portal and the history.
    assert_eq!(
        device
            .check_in(url, &device.message("CheckOut"), true)
            .await,
        200
    );
    let r = apple.admin.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(
        (r.body["state"].as_str(), r.body["mdm_enabled"].as_bool()),
        (Some("active"), Some(false)),
        "{r:?}"
    );
    let home = apple
        .browser
        .get(&format!("{}/home", apple.home.base_path()))
        .await;
    assert_eq!(
        home.texts("ul.devices li"),
        ["Pat's iPhone — iOS 17.4 — Active, management switched off"]
    );
    let r = apple
        .admin
        .get(&format!(
            "/api/v1/history?object_type=device&object_id={id}"
        ))
        .await;
    let actions: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["mdm_disabled", "created"]);
    // Checked out: the command channel is closed to that identity.
    assert_eq!(device.report(url, "Idle", &device.udid).await.0, 403);

    // Retired, the same device enrols again with a new profile: one entry, Active again.
    let r = apple
        .admin
        .send("POST", &format!("/api/v1/devices/{id}/retire"), None)
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let again = PlayedDevice::install(&apple.download("ios").await.bytes, &device.udid);
    assert_eq!(
        again
            .check_in(url, &again.message("Authenticate"), true)
            .await,
        200
    );
    assert_eq!(
        again
            .check_in(url, &again.message("TokenUpdate"), true)
            .await,
        200
    );
    let r = apple.admin.get("/api/v1/devices").await;
    let list = r.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{r:?}");
    assert_eq!(
        (
            list[0]["id"].as_str(),
            list[0]["state"].as_str(),
            list[0]["registrations"].as_i64()
        ),
        (Some(id.as_str()), Some("active"), Some(2))
    );
}

async fn forged_and_foreign_identities_are_refused(db: Db) {
    let apple = AppleTenant::start(db).await;
    let url = apple.server.url.clone();
    let device = PlayedDevice::install(&apple.download("ios").await.bytes, "UDID-REAL");

    // Unsigned: 401.
    assert_eq!(
        device
            .check_in(&url, &device.message("Authenticate"), false)
            .await,
        401
    );

    // A self-made identity copying the real one's subject and serial: 403.
    let key = PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    for entry in device.cert.subject_name().entries() {
        name.append_entry_by_nid(entry.object().nid(), &entry.data().to_string().unwrap())
            .unwrap();
    }
    let name = name.build();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(device.cert.serial_number()).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(device.cert.issuer_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(device.cert.not_before()).unwrap();
    b.set_not_after(device.cert.not_after()).unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    let forged = device.with_identity(b.build(), key);
    for kind in ["Authenticate", "TokenUpdate", "CheckOut"] {
        assert_eq!(
            forged.check_in(&url, &forged.message(kind), true).await,
            403,
            "{kind}"
        );
    }

    // Another tenant's genuine identity, sent to this tenant: 403.
    apple.env.create_tenant("globex").await;
    let globex_admin = apple
        .env
        .signed_in_owner(&apple.server, "globex", "owner")
        .await;
    let (globex_browser, globex_home) =
        sign_in_user(&globex_admin, &apple.server, "pat@globex.example").await;
    let page = globex_browser
        .get(&format!("{}/profile", globex_home.base_path()))
        .await;
    let foreign = globex_browser
        .submit(&page, "/profile", &[("kind", "ios")])
        .await;
    let foreign = PlayedDevice::install(&foreign.bytes, "UDID-FOREIGN");
    assert_eq!(foreign.checkin_path, "/mdm/globex/checkin");
    let misdirected = PlayedDevice {
        checkin_path: device.checkin_path.clone(),
        topic: device.topic.clone(),
        ..foreign.with_identity(foreign.cert.clone(), foreign.key.clone())
    };
    assert_eq!(
        misdirected
            .check_in(&url, &misdirected.message("Authenticate"), true)
            .await,
        403
    );
    // At its own tenant it is fine.
    assert_eq!(
        foreign
            .check_in(&url, &foreign.message("Authenticate"), true)
            .await,
        200
    );

    // A genuine identity with a tampered body (signature over another message): 403.
    let mut body = Vec::new();
    plist::to_writer_xml(
        &mut body,
        &plist::Value::Dictionary(device.message("Authenticate")),
    )
    .unwrap();
    let signature = device.signature(&body);
    let mut tampered = device.message("TokenUpdate");
    tampered.insert("PushMagic".into(), plist::Value::from("attacker"));
    let mut tampered_body = Vec::new();
    plist::to_writer_xml(&mut tampered_body, &plist::Value::Dictionary(tampered)).unwrap();
    let status = reqwest::Client::new()
        .put(format!("{url}{}", device.checkin_path))
        .header("mdm-signature", signature)
        .body(tampered_body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    // The wrong topic, even signed by the right identity: 403.
    let mut wrong_topic = device.message("Authenticate");
    wrong_topic.insert("Topic".into(), plist::Value::from("com.apple.mgmt.Other"));
    assert_eq!(device.check_in(&url, &wrong_topic, true).await, 403);
    // A message missing a required key: 400.
    let mut incomplete = device.message("TokenUpdate");
    incomplete.remove("PushMagic");
    assert_eq!(device.check_in(&url, &incomplete, true).await, 400);

    // None of it registered a device.
    assert_eq!(
        apple.admin.get("/api/v1/devices").await.body,
        serde_json::json!([])
    );
    // The real device still enrols.
    assert_eq!(
        device
            .check_in(&url, &device.message("Authenticate"), true)
            .await,
        200
    );
    assert_eq!(
        device
            .check_in(&url, &device.message("TokenUpdate"), true)
            .await,
        200
    );
    assert_eq!(
        apple
            .admin
            .get("/api/v1/devices")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
