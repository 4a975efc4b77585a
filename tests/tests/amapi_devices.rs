//! Devices the AMAPI plugin manages (SPEC E1, E2, E3, E6, E8), through `corral:plugin@0.4.0`:
//! the plugin lists the enterprise's devices at the Google stand-in (`devices.list`, paged),
//! reports each to the host (`inventory.report-device`) and acts on the host's verdict.
//! - a device enrolled with an enrolment profile's token belongs to the profile's owner, and its
//!   details say AMAPI manages it;
//! - a device that used the token after it expired is reset (`devices.delete` with wipe flags),
//!   with one history entry;
//! - the 10-minute rule, against the server's controllable clock (`CORRAL_TEST_CLOCK_FILE`): a
//!   device not compliant 10 minutes after enrolling is reset, once, and so is one compliant
//!   only with the policy it enrolled with, not its configuration's; a compliant one is kept;
//! - the enrolment requirements (manufacturer, Android version, patch level, allow-list)
//!   reset the devices they refuse;
//! - each device is assigned the policy of the highest-priority configuration distributed to
//!   it (`devices.patch` of `policyName`), never one distributed to none;
//! - administrators' commands (lock, reboot, sync, wipe) reach Google and the history.
//!
//! Every request the stand-in receives is checked against the discovery document.

use chrono::{TimeZone, Utc};
use corral_tests::amapi::{assert_call, assert_field, setup, Setup};
use corral_tests::google::Recorded;
use corral_tests::Db;
use serde_json::{json, Value};

const ENTERPRISE: &str = "enterprises/LC01abcdef";
const MINUTE: i64 = 60_000;

fn rfc3339(unix_ms: i64) -> String {
    Utc.timestamp_millis_opt(unix_ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A device as Google lists it.
struct Android {
    id: &'static str,
    serial: &'static str,
    manufacturer: &'static str,
    android: &'static str,
    patch: &'static str,
    enrolled_at: i64,
    compliant: bool,
    /// The policy it applies (`appliedPolicyName`).
    applied: Option<String>,
    /// (token name, profile id, owner id) it enrolled with.
    token: Option<(String, String, String)>,
}

impl Android {
    fn new(id: &'static str, serial: &'static str, enrolled_at: i64) -> Android {
        Android {
            id,
            serial,
            manufacturer: "Google",
            android: "14",
            patch: "2025-10-05",
            enrolled_at,
            compliant: false,
            applied: None,
            token: None,
        }
    }

    fn name(&self) -> String {
        format!("{ENTERPRISE}/devices/{}", self.id)
    }

    fn resource(&self) -> Value {
        let mut d = json!({
            "name": self.name(),
            "state": "ACTIVE",
            "managementMode": "DEVICE_OWNER",
            "enrollmentTime": rfc3339(self.enrolled_at),
            "policyCompliant": self.compliant,
            "hardwareInfo": {"manufacturer": self.manufacturer, "serialNumber": self.serial,
                             "model": "Pixel 8", "brand": "google"},
            "softwareInfo": {"androidVersion": self.android,
                             "securityPatchLevel": self.patch},
            "networkInfo": {"imei": format!("35693803564{:04}", self.serial.len())},
        });
        if let Some(policy) = &self.applied {
            d["appliedPolicyName"] = json!(policy);
        }
        if let Some((token, profile, owner)) = &self.token {
            d["enrollmentTokenName"] = json!(token);
            d["enrollmentTokenData"] = json!(json!({
                "profile": profile, "owner": owner, "attributes": {"site": "Lyon"}
            })
            .to_string());
        }
        d
    }
}

/// The tenant's live device entry with this serial number.
async fn device(s: &Setup, serial: &str) -> Value {
    let r = s.c.get("/api/v1/devices").await;
    assert_eq!(r.status, 200, "{r:?}");
    let found = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["hardware_id"] == serial)
        .unwrap_or_else(|| panic!("no device {serial} in {r:?}"))
        .clone();
    let id = found["id"].as_str().unwrap();
    let r = s.c.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

/// The device's history entries with this action.
async fn history(s: &Setup, device_id: &str, action: &str) -> Vec<Value> {
    let r =
        s.c.get(&format!(
            "/api/v1/history?object_type=device&object_id={device_id}"
        ))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

async fn sync(s: &Setup, expected: u64) {
    let r = s.sync_devices().await;
    assert_eq!(
        (r.status, r.body["reported"].as_u64()),
        (200, Some(expected)),
        "{r:?}"
    );
}

/// The `devices.delete` calls (wipes) the stand-in received for `name`.
fn wipes(s: &Setup, name: &str) -> Vec<Recorded> {
    s.google
        .requests()
        .into_iter()
        .filter(|r| r.method.ends_with("devices.delete") && r.path == format!("/v1/{name}"))
        .collect()
}

fn query<'a>(r: &'a Recorded, key: &str) -> Vec<&'a str> {
    r.query
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

async fn owner_and_profile(s: &Setup) -> (String, String, String, i64) {
    let r =
        s.c.send(
            "POST",
            "/api/v1/users",
            Some(
                json!({"email": "camille@acme.example", "first_name": "Camille",
                        "last_name": "Roux"}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let owner = r.body["id"].as_str().unwrap().to_string();
    let r =
        s.c.send(
            "POST",
            &format!("/api/v1/plugins/{}/enrolment-profiles", s.plugin),
            Some(json!({"name": "Lyon kiosks", "description": "Front desks",
                        "owner_user_id": owner, "validity_days": 1,
                        "attributes": {"site": "Lyon"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let profile = r.body["id"].as_str().unwrap().to_string();
    let token = r.body["token"]["name"].as_str().unwrap().to_string();
    let expires_at = r.body["token"]["expires_at"].as_i64().unwrap();
    (owner, profile, token, expires_at)
}

async fn enrolment_owner_expiry_and_the_ten_minute_rule(db: Db) {
    let s = setup(db).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    let (owner, profile, token, expires_at) = owner_and_profile(&s).await;
    let t0 = chrono::Utc::now().timestamp_millis();
    s.set_clock(t0);
    // A configuration every device should have.
    let r =
        s.c.send(
            "POST",
            &format!("/api/v1/plugins/{}/configurations", s.plugin),
            Some(json!({"kind": "cosu", "name": "Lobby", "priority": 1,
                        "distribution": {"type": "all"},
                        "body": {"pinnedApp": {"packageName": "com.acme.kiosk",
                                               "source": "public"}}})),
        )
        .await;
    assert_eq!(r.status, 201, "{r:?}");
    let lobby = format!("{ENTERPRISE}/policies/{}", r.body["id"].as_str().unwrap());

    // Enrolled a minute ago with the profile's token, not compliant yet.
    let mut late = Android::new("late", "SER-LATE", t0 - MINUTE);
    late.token = Some((token.clone(), profile.clone(), owner.clone()));
    // Enrolled with the token an hour after it expired.
    let mut expired = Android::new("expired", "SER-EXPIRED", expires_at + 60 * MINUTE);
    expired.token = late.token.clone();
    // Compliant with the configuration's policy from the start.
    let mut good = Android::new("good", "SER-GOOD", t0 - MINUTE);
    good.compliant = true;
    good.applied = Some(lobby.clone());
    good.token = late.token.clone();
    // Compliant, but only with the policy it enrolled with, never with the configuration's.
    let mut stuck = Android::new("stuck", "SER-STUCK", t0 - MINUTE);
    stuck.compliant = true;
    stuck.applied = Some(format!("{ENTERPRISE}/policies/default"));
    stuck.token = late.token.clone();
    for d in [&late, &expired, &good, &stuck] {
        s.google.add_device(d.resource());
    }
    sync(&s, 4).await;

    // The profile's owner owns its devices; their details say AMAPI manages them.
    let late_entry = device(&s, "SER-LATE").await;
    assert_eq!(late_entry["user_id"], owner.as_str(), "{late_entry}");
    assert_eq!(late_entry["state"], "active", "{late_entry}");
    assert_eq!(late_entry["management"]["plugin"], "amapi", "{late_entry}");
    assert_eq!(late_entry["management"]["enabled"], true, "{late_entry}");
    assert_eq!(
        late_entry["management"]["vendor_name"],
        late.name().as_str()
    );
    assert_eq!(late_entry["management"]["reset"], Value::Null);

    // The expired token's device is reset at Google and in the host, with one history entry.
    let expired_entry = device(&s, "SER-EXPIRED").await;
    assert_eq!(expired_entry["state"], "reset", "{expired_entry}");
    assert_eq!(
        expired_entry["management"]["reset"]["code"],
        "enrolment-token-expired"
    );
    let wiped = wipes(&s, &expired.name());
    assert_eq!(wiped.len(), 1, "{:?}", s.google.requests());
    assert!(
        !query(&wiped[0], "wipeDataFlags").is_empty(),
        "{:?}",
        wiped[0]
    );
    let expired_id = expired_entry["id"].as_str().unwrap();
    assert_eq!(history(&s, expired_id, "reset").await.len(), 1);
    assert!(!s
        .google
        .devices()
        .iter()
        .any(|d| d["name"] == expired.name().as_str()));

    // Eight minutes later (nine after enrolling): still within the 10 minutes.
    s.set_clock(t0 + 8 * MINUTE);
    sync(&s, 3).await;
    assert_eq!(device(&s, "SER-LATE").await["state"], "active");
    assert_eq!(device(&s, "SER-STUCK").await["state"], "active");
    assert!(wipes(&s, &late.name()).is_empty());

    // Past the 10 minutes: the device that never became compliant is reset; the good one
    // is kept.
    s.set_clock(t0 + 9 * MINUTE + 1_000);
    sync(&s, 3).await;
    let late_entry = device(&s, "SER-LATE").await;
    assert_eq!(late_entry["state"], "reset", "{late_entry}");
    assert_eq!(
        late_entry["management"]["reset"]["code"],
        "not-compliant-in-time"
    );
    assert_eq!(wipes(&s, &late.name()).len(), 1);
    let good_entry = device(&s, "SER-GOOD").await;
    assert_eq!(good_entry["state"], "active", "{good_entry}");
    assert!(
        good_entry["management"]["compliant_at"].is_i64(),
        "{good_entry}"
    );
    assert!(wipes(&s, &good.name()).is_empty());
    let stuck_entry = device(&s, "SER-STUCK").await;
    assert_eq!(
        stuck_entry["management"]["reset"]["code"],
        "not-compliant-in-time"
    );
    assert_eq!(wipes(&s, &stuck.name()).len(), 1);

    // Google still listing it (the wipe not yet through): the wipe is sent again, but the
    // reset happened once.
    s.google.add_device(late.resource());
    sync(&s, 2).await;
    assert_eq!(wipes(&s, &late.name()).len(), 2);
    let late_id = late_entry["id"].as_str().unwrap();
    let resets = history(&s, late_id, "reset").await;
    assert_eq!(resets.len(), 1, "{resets:?}");
    assert_eq!(resets[0]["actor_type"], "system");
    assert_eq!(
        resets[0]["after"]["reason"]["code"],
        "not-compliant-in-time"
    );

    s.google.assert_conforms();
}

#[tokio::test]
async fn enrolment_owner_expiry_and_the_ten_minute_rule_sqlite() {
    enrolment_owner_expiry_and_the_ten_minute_rule(Db::Sqlite).await;
}

#[tokio::test]
async fn enrolment_owner_expiry_and_the_ten_minute_rule_postgres() {
    enrolment_owner_expiry_and_the_ten_minute_rule(Db::Postgres).await;
}

#[tokio::test]
async fn enrolment_requirements_refuse_devices() {
    let s = setup(Db::Sqlite).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    // Values the plugin cannot use are refused before anything is stored, naming the setting.
    let settings = format!("/api/v1/plugins/{}/vendor/settings", s.plugin);
    for (name, value) in [
        ("minimum-android-version", "twelve"),
        ("minimum-security-patch-level", "2025-13-01"),
        ("api-base-url", "http://localhost:1"),
        ("enterprise-id", "enterprises/a/b"),
    ] {
        let mut given = json!({"enterprise-id": "LC01abcdef", "api-base-url": s.google.base_url});
        given[name] = json!(value);
        let r =
            s.c.send("PUT", &settings, Some(json!({ "settings": given })))
                .await;
        assert_field(&r, &format!("settings.{name}"));
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expected"),
            "{r:?}"
        );
    }
    let r =
        s.c.get(&format!("/api/v1/plugins/{}/vendor", s.plugin))
            .await;
    assert_eq!(
        r.body["settings"],
        json!({"enterprise-id": "enterprises/LC01abcdef", "api-base-url": s.google.base_url}),
        "nothing stored: {r:?}"
    );
    s.configure_with(json!({
        "allowed-manufacturers": "Google, samsung",
        "minimum-android-version": "12",
        "minimum-security-patch-level": "2025-01-01",
        "allowed-devices": "SER-OK, SER-MOTO, SER-OLD-OS, SER-OLD-PATCH, SER-QUIET, \
                            356938035640011",
    }))
    .await;
    let t0 = chrono::Utc::now().timestamp_millis();
    s.set_clock(t0);
    let ok = Android::new("ok", "SER-OK", t0);
    let mut moto = Android::new("moto", "SER-MOTO", t0);
    moto.manufacturer = "motorola";
    let mut old_os = Android::new("old-os", "SER-OLD-OS", t0);
    old_os.manufacturer = "Samsung";
    old_os.android = "11";
    let mut old_patch = Android::new("old-patch", "SER-OLD-PATCH", t0);
    old_patch.android = "12.1";
    old_patch.patch = "2024-05-01";
    let stranger = Android::new("stranger", "SER-STRANGER", t0);
    // Not listed by serial number, but by IMEI (356938035640011: the IMEI ends with the
    // serial number's length, 11).
    let by_imei = Android::new("by-imei", "SER-BY-IMEI", t0);
    // Reports no software information yet (its policy has not asked for it).
    let mut quiet = Android::new("quiet", "SER-QUIET", t0);
    quiet.patch = "2024-02-01";
    for d in [&ok, &moto, &old_os, &old_patch, &stranger, &by_imei, &quiet] {
        s.google.add_device(d.resource());
    }
    s.google.set_device(&quiet.name(), |d| {
        d.as_object_mut().unwrap().remove("softwareInfo");
    });
    sync(&s, 7).await;
    // The host keeps its connection to the vendor: one TLS handshake, not one per request.
    assert!(
        s.google.connections() <= 2 && s.google.requests().len() >= 6,
        "{} connections for {} requests",
        s.google.connections(),
        s.google.requests().len()
    );

    for (d, refused) in [
        (&ok, None),
        (&by_imei, None),
        (&moto, Some("manufacturer-not-allowed")),
        (&old_os, Some("android-version-too-old")),
        (&old_patch, Some("security-patch-too-old")),
        (&stranger, Some("device-not-allowed")),
    ] {
        let entry = device(&s, d.serial).await;
        match refused {
            None => {
                assert_eq!(entry["state"], "active", "{entry}");
                assert!(wipes(&s, &d.name()).is_empty());
            }
            Some(code) => {
                assert_eq!(entry["state"], "reset", "{entry}");
                assert_eq!(entry["management"]["reset"]["code"], code, "{entry}");
                assert_eq!(wipes(&s, &d.name()).len(), 1, "{}", d.serial);
                let id = entry["id"].as_str().unwrap();
                assert_eq!(history(&s, id, "reset").await.len(), 1);
            }
        }
    }

    // The quiet device waits for its software information; the report that brings it decides.
    let entry = device(&s, quiet.serial).await;
    assert_eq!(entry["state"], "active", "{entry}");
    assert_eq!(entry["os_version"], "unknown", "{entry}");
    s.google.set_device(&quiet.name(), |d| {
        d["softwareInfo"] = json!({"androidVersion": "14", "securityPatchLevel": "2024-02-01"});
    });
    sync(&s, 3).await;
    let entry = device(&s, quiet.serial).await;
    assert_eq!(
        entry["management"]["reset"]["code"], "security-patch-too-old",
        "{entry}"
    );
    assert_eq!(
        entry["os_version"], "14",
        "the version once reported: {entry}"
    );
    assert_eq!(wipes(&s, &quiet.name()).len(), 1);
    s.google.assert_conforms();
}

#[tokio::test]
async fn each_device_gets_its_highest_priority_policy_and_commands() {
    let s = setup(Db::Sqlite).await;
    s.grant(&["localhost"]).await;
    s.configure().await;
    let t0 = chrono::Utc::now().timestamp_millis();
    s.set_clock(t0);
    let mut kiosk = Android::new("kiosk", "SER-KIOSK", t0);
    kiosk.compliant = true;
    s.google.add_device(kiosk.resource());

    let configurations = format!("/api/v1/plugins/{}/configurations", s.plugin);
    let config = |name: &str, priority: i64, distribution: Value| {
        json!({"kind": "cosu", "name": name, "priority": priority,
               "distribution": distribution,
               "body": {"pinnedApp": {"packageName": "com.acme.kiosk", "source": "public"}}})
    };
    let mut ids = Vec::new();
    for (name, priority, distribution) in [
        ("Low", 5, json!({"type": "all"})),
        ("High", 10, json!({"type": "all"})),
        ("Unused", 50, json!({"type": "none"})),
    ] {
        let r =
            s.c.send(
                "POST",
                &configurations,
                Some(config(name, priority, distribution)),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    sync(&s, 1).await;
    let assigned = |s: &Setup| -> Vec<String> {
        s.google
            .requests()
            .into_iter()
            .filter(|r| r.method.ends_with("devices.patch"))
            .map(|r| {
                assert_eq!(query(&r, "updateMask"), vec!["policyName"], "{r:?}");
                r.body["policyName"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let policy = |id: &str| format!("{ENTERPRISE}/policies/{id}");
    assert_eq!(assigned(&s), vec![policy(&ids[1])]);
    // Assigned already: not patched again.
    sync(&s, 1).await;
    assert_eq!(assigned(&s).len(), 1);

    // Low now outranks High: the device is moved to Low's policy.
    let r =
        s.c.send(
            "PUT",
            &format!("{configurations}/{}", ids[0]),
            Some(config("Low", 20, json!({"type": "all"}))),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    sync(&s, 1).await;
    assert_eq!(assigned(&s), vec![policy(&ids[1]), policy(&ids[0])]);

    // Commands (SPEC E6).
    let entry = device(&s, "SER-KIOSK").await;
    let id = entry["id"].as_str().unwrap().to_string();
    let commands = format!("/api/v1/devices/{id}/commands");
    let r =
        s.c.send(
            "POST",
            &commands,
            Some(json!({"command": "lock", "reason": "x"})),
        )
        .await;
    assert_field(&r, "reason");
    let r =
        s.c.send("POST", &commands, Some(json!({"command": "explode"})))
            .await;
    assert_eq!(r.status, 400, "{r:?}");
    let before = s.google.requests().len();
    for command in ["lock", "reboot"] {
        let r =
            s.c.send("POST", &commands, Some(json!({"command": command})))
                .await;
        assert_eq!(
            (r.status, &r.body["outcome"]),
            (200, &json!("done")),
            "{r:?}"
        );
    }
    let sent = &s.google.requests()[before..];
    assert_call(
        &sent[0],
        "devices.issueCommand",
        Some(&format!("/v1/{}:issueCommand", kiosk.name())),
    );
    assert_eq!(sent[0].body["type"], "LOCK");
    assert_eq!(sent[1].body["type"], "REBOOT");

    // Sync sends the device's policy again.
    let before = s.google.requests().len();
    let r =
        s.c.send("POST", &commands, Some(json!({"command": "sync"})))
            .await;
    assert_eq!(r.status, 200, "{r:?}");
    let sent = &s.google.requests()[before..];
    assert!(
        sent.iter().any(|r| r.method.ends_with("policies.patch")
            && r.path == format!("/v1/{}", policy(&ids[0]))),
        "{sent:?}"
    );

    let r =
        s.c.send(
            "POST",
            &commands,
            Some(json!({"command": "wipe", "reason": "Lost at the front desk"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let wiped = wipes(&s, &kiosk.name());
    assert_eq!(wiped.len(), 1);
    assert_eq!(
        query(&wiped[0], "wipeReasonMessage"),
        vec!["Lost at the front desk"]
    );
    assert_eq!(device(&s, "SER-KIOSK").await["state"], "wiped");
    let recorded = history(&s, &id, "command").await;
    let mut kinds: Vec<&str> = recorded
        .iter()
        .map(|e| e["after"]["command"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(kinds, vec!["lock", "reboot", "sync", "wipe"]);
    assert!(recorded.iter().all(|e| e["after"]["outcome"] == "done"));
    // A wiped device takes no more commands.
    let r =
        s.c.send("POST", &commands, Some(json!({"command": "lock"})))
            .await;
    assert_eq!((r.status, r.error().0), (409, "device_not_active"), "{r:?}");

    s.google.assert_conforms();
}
