//! The AMAPI plugin's dedicated-device (COSU) configurations (SPEC E4, E5), through the same
//! runtime path as any tenant plugin (uploaded, activated, called over the admin API): every
//! validation rule answers a field error at the right JSON Pointer, and the rendered `Policy`
//! carries the configuration's values and uses only fields and enum values that Google's
//! discovery document (`tests/fixtures/google/androidmanagement.v1.json`) defines, checked
//! mechanically against the document.

use corral_tests::discovery::Discovery;
use corral_tests::{Client, Env};
use serde_json::{json, Value};

async fn installed_amapi() -> (Env, corral_tests::Server, Client, String) {
    let env = Env::new(corral_tests::Db::Sqlite).await;
    env.create_tenant("acme").await;
    let server = env.serve().await;
    let c = env.signed_in_owner(&server, "acme", "owner").await;
    let (id, uploaded) = c.install_active("corral_amapi_plugin").await;
    assert_eq!(
        uploaded.body["plugin"]["versions"][0]["info"]["config_kinds"][0]["id"],
        "cosu"
    );
    (env, server, c, id)
}

fn cosu(body: Value) -> Value {
    json!({"kind": "cosu", "name": "Lobby kiosk", "priority": 10, "body": body})
}

async fn errors(c: &Client, id: &str, body: Value) -> Vec<(String, String)> {
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/validate"),
            Some(cosu(body)),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn render(c: &Client, id: &str, body: Value) -> Value {
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/render"),
            Some(cosu(body)),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body["media_type"]
        .as_str()
        .unwrap()
        .contains("androidmanagement.v1.Policy"));
    r.body["document"].clone()
}

fn pinned() -> Value {
    json!({"packageName": "com.acme.kiosk", "source": "public"})
}

/// A freeze period: (start month, day), (end month, day).
type Period = ((u32, u32), (u32, u32));

fn freeze(periods: &[Period]) -> Value {
    let periods: Vec<Value> = periods
        .iter()
        .map(|((sm, sd), (em, ed))| {
            json!({"start": {"month": sm, "day": sd}, "end": {"month": em, "day": ed}})
        })
        .collect();
    json!({"pinnedApp": pinned(), "systemUpdate": {"type": "automatic", "freezePeriods": periods}})
}

fn pair(path: &str, code: &str) -> (String, String) {
    (path.to_string(), code.to_string())
}

#[tokio::test]
async fn cosu_policy_follows_the_configuration_and_googles_schema() {
    let (_env, _server, c, id) = installed_amapi().await;
    let discovery = Discovery::android_management();

    // The checker itself catches unknown fields, bad enum values, wrong types, deprecated
    // fields and deprecated enum values.
    let bogus = json!({
        "kioskCustomization": {"statusBar": "SOMETIMES"},
        "funEnabled": true,
        "keyguardDisabled": "yes",
        "statusBarDisabled": false,
        "applications": [{"packageName": "com.acme.kiosk", "installType": "KIOSK"}],
    });
    let mut found = discovery.violations("Policy", &bogus);
    found.sort();
    assert_eq!(
        found,
        [
            "/applications/0/installType: \"KIOSK\" is a deprecated value",
            "/funEnabled: no such field",
            "/keyguardDisabled: expected boolean, got \"yes\"",
            "/kioskCustomization/statusBar: \"SOMETIMES\" is not a value of this enum",
            "/statusBarDisabled: deprecated field",
        ]
    );

    // Everything set.
    let full = json!({
        "description": "Front desk",
        "pinnedApp": {"packageName": "com.acme.kiosk", "source": "private"},
        "apps": [
            {"packageName": "com.acme.scanner", "source": "public", "silentInstall": true,
             "managedConfiguration": {"server": "https://scan.acme.example", "beep": false}},
            {"packageName": "com.acme.notes", "source": "public", "installOnDevice": true},
            {"packageName": "com.acme.optional", "source": "public"}
        ],
        "keepScreenOn": "any",
        "disallowSetTime": false,
        "disallowUnknownApps": true,
        "disableDefaultGames": true,
        "disallowInstallApps": true,
        "disableScreenLock": true,
        "disallowModifyAccounts": true,
        "allowNetworkEscapeHatch": false,
        "disableNetworkReset": true,
        "allowChooseCertificates": false,
        "disallowRemoveAccounts": true,
        "disallowSetUserIcon": true,
        "disallowSetWallpaper": true,
        "disableStatusBar": false,
        "disallowUninstallApps": true,
        "disallowAddAccounts": true,
        "statusBar": "notifications_and_system_info",
        "navigation": "home_only",
        "globalActions": true,
        "errorDialogs": true,
        "systemUpdate": {"type": "windowed", "windowStart": 120, "windowEnd": 300,
                         "freezePeriods": [
                             {"start": {"month": 12, "day": 1}, "end": {"month": 1, "day": 15}},
                             {"start": {"month": 6, "day": 1}, "end": {"month": 6, "day": 30}}
                         ]},
        "wifi": {"ssid": "acme-kiosk", "security": "wpa", "passphrase": "correct horse"},
        "alwaysOnVpn": {"packageName": "com.acme.vpn", "lockdown": true},
        "distribution": {"mode": "custom", "deviceIds": ["d1", "d2"]}
    });
    assert_eq!(errors(&c, &id, full.clone()).await, []);
    let policy = render(&c, &id, full).await;
    assert_eq!(
        discovery.violations("Policy", &policy),
        Vec::<String>::new()
    );
    assert_eq!(
        policy["applications"],
        json!([
            {"packageName": "com.acme.kiosk", "installType": "REQUIRED_FOR_SETUP",
             "roles": [{"roleType": "KIOSK"}]},
            {"packageName": "com.acme.scanner", "installType": "FORCE_INSTALLED",
             "managedConfiguration": {"server": "https://scan.acme.example", "beep": false}},
            {"packageName": "com.acme.notes", "installType": "PREINSTALLED"}
        ]),
        "apps without install on device or silent install stay off the device"
    );
    assert_eq!(
        policy["stayOnPluggedModes"],
        json!(["AC", "USB", "WIRELESS"])
    );
    assert_eq!(
        policy["autoDateAndTimeZone"],
        "AUTO_DATE_AND_TIME_ZONE_USER_CHOICE"
    );
    for (field, expected) in [
        ("funDisabled", true),
        ("installAppsDisabled", true),
        ("keyguardDisabled", true),
        ("modifyAccountsDisabled", true),
        ("networkEscapeHatchEnabled", false),
        ("networkResetDisabled", true),
        ("privateKeySelectionEnabled", false),
        ("removeUserDisabled", true),
        ("setUserIconDisabled", true),
        ("setWallpaperDisabled", true),
        ("uninstallAppsDisabled", true),
        ("addUserDisabled", true),
    ] {
        assert_eq!(policy[field], expected, "{field}");
    }
    assert_eq!(
        policy["kioskCustomization"],
        json!({
            "statusBar": "NOTIFICATIONS_AND_SYSTEM_INFO_ENABLED",
            "systemNavigation": "HOME_BUTTON_ONLY",
            "powerButtonActions": "POWER_BUTTON_AVAILABLE",
            "systemErrorWarnings": "ERROR_AND_WARNINGS_ENABLED",
            "deviceSettings": "SETTINGS_ACCESS_BLOCKED"
        })
    );
    assert_eq!(
        policy["systemUpdate"],
        json!({
            "type": "WINDOWED", "startMinutes": 120, "endMinutes": 300,
            "freezePeriods": [
                {"startDate": {"month": 12, "day": 1}, "endDate": {"month": 1, "day": 15}},
                {"startDate": {"month": 6, "day": 1}, "endDate": {"month": 6, "day": 30}}
            ]
        })
    );
    assert_eq!(
        policy["openNetworkConfiguration"]["NetworkConfigurations"][0]["WiFi"]["SSID"],
        "acme-kiosk"
    );
    assert_eq!(
        policy["alwaysOnVpnPackage"],
        json!({"packageName": "com.acme.vpn", "lockdownEnabled": true})
    );

    // Left out, settings take the product form's defaults.
    let policy = render(&c, &id, json!({"pinnedApp": pinned()})).await;
    assert_eq!(
        discovery.violations("Policy", &policy),
        Vec::<String>::new()
    );
    for (field, expected) in [
        ("funDisabled", true),
        ("installAppsDisabled", false),
        ("keyguardDisabled", false),
        ("modifyAccountsDisabled", true),
        ("networkEscapeHatchEnabled", true),
        ("networkResetDisabled", false),
        ("privateKeySelectionEnabled", true),
        ("setUserIconDisabled", true),
        ("setWallpaperDisabled", true),
        ("uninstallAppsDisabled", false),
        ("addUserDisabled", true),
    ] {
        assert_eq!(policy[field], expected, "default of {field}");
    }
    assert_eq!(
        policy["autoDateAndTimeZone"],
        "AUTO_DATE_AND_TIME_ZONE_ENFORCED"
    );
    assert_eq!(
        policy["advancedSecurityOverrides"]["untrustedAppsPolicy"],
        "DISALLOW_INSTALL"
    );
    assert!(policy.get("systemUpdate").is_none());
    assert_eq!(
        policy["kioskCustomization"]["statusBar"],
        "SYSTEM_INFO_ONLY"
    );
    assert!(policy.get("statusBarDisabled").is_none(), "deprecated");

    // "Disable status bar" through the current field, nothing else.
    let policy = render(
        &c,
        &id,
        json!({"pinnedApp": pinned(), "disableStatusBar": true}),
    )
    .await;
    assert_eq!(
        discovery.violations("Policy", &policy),
        Vec::<String>::new()
    );
    assert_eq!(
        policy["kioskCustomization"]["statusBar"],
        "NOTIFICATIONS_AND_SYSTEM_INFO_DISABLED"
    );
    assert!(policy.get("statusBarDisabled").is_none(), "deprecated");
}

#[tokio::test]
async fn every_cosu_rule_answers_a_field_error() {
    let (_env, _server, c, id) = installed_amapi().await;

    // The pinned app: required, from a store only.
    assert_eq!(
        errors(&c, &id, json!({})).await,
        [pair("/pinnedApp", "required")]
    );
    assert_eq!(
        errors(
            &c,
            &id,
            json!({"pinnedApp": {"packageName": "com.acme.kiosk", "source": "in_house"}})
        )
        .await,
        [pair("/pinnedApp/source", "not-allowed")]
    );
    assert_eq!(
        errors(
            &c,
            &id,
            json!({"pinnedApp": pinned(),
                   "apps": [{"packageName": "com.acme.web", "source": "web"}]})
        )
        .await,
        [pair("/apps/0/source", "not-allowed")]
    );
    assert_eq!(
        errors(
            &c,
            &id,
            json!({"pinnedApp": {"packageName": "kiosk", "source": "public"}})
        )
        .await,
        [pair("/pinnedApp/packageName", "invalid")]
    );

    // A disabled status bar shows nothing: saying what it shows contradicts it.
    assert_eq!(
        errors(
            &c,
            &id,
            json!({"pinnedApp": pinned(), "disableStatusBar": true,
                   "statusBar": "notifications_and_system_info"})
        )
        .await,
        [pair("/statusBar", "conflict")]
    );

    // Wi-Fi keys: WPA 8 to 63 characters; WEP 5 or 13 characters, or 10 or 26 hex digits.
    let wifi = |security: &str, key: &str| {
        json!({"pinnedApp": pinned(),
               "wifi": {"ssid": "acme", "security": security, "passphrase": key}})
    };
    for key in [
        "abcde",
        "abcdefghijklm",
        "0123456789",
        "0123456789abcdef0123456789",
    ] {
        assert_eq!(errors(&c, &id, wifi("wep", key)).await, [], "WEP {key}");
    }
    for key in ["abcd", "abcdefgh", "012345678g", "abcdefghijklmn"] {
        assert_eq!(
            errors(&c, &id, wifi("wep", key)).await,
            [pair("/wifi/passphrase", "required")],
            "WEP {key}"
        );
    }
    assert_eq!(
        errors(&c, &id, wifi("wpa", "abcde")).await,
        [pair("/wifi/passphrase", "required")]
    );
    assert_eq!(errors(&c, &id, wifi("wpa", "abcdefgh")).await, []);

    // System updates: postpone 1 to 30 days, window minutes 0 to 1439.
    let update = |u: Value| json!({"pinnedApp": pinned(), "systemUpdate": u});
    assert_eq!(
        errors(
            &c,
            &id,
            update(json!({"type": "postpone", "postponeDays": 31}))
        )
        .await,
        [pair("/systemUpdate/postponeDays", "out-of-range")]
    );
    assert_eq!(
        errors(
            &c,
            &id,
            update(json!({"type": "postpone", "postponeDays": 30}))
        )
        .await,
        []
    );
    assert_eq!(
        errors(
            &c,
            &id,
            update(json!({"type": "windowed", "windowStart": 0, "windowEnd": 1440}))
        )
        .await,
        [pair("/systemUpdate/windowEnd", "out-of-range")]
    );

    // Freeze periods.
    // Wrapping the year (1 December to 31 January, 62 days) is fine.
    assert_eq!(errors(&c, &id, freeze(&[((12, 1), (1, 31))])).await, []);
    // 91 days.
    assert_eq!(
        errors(&c, &id, freeze(&[((1, 1), (4, 1))])).await,
        [pair("/systemUpdate/freezePeriods/0", "too-long")]
    );
    // Too long across the new year (1 November to 31 January: 92 days).
    assert_eq!(
        errors(&c, &id, freeze(&[((11, 1), (1, 31))])).await,
        [pair("/systemUpdate/freezePeriods/0", "too-long")]
    );
    // Overlapping.
    let found = errors(&c, &id, freeze(&[((1, 1), (1, 31)), ((1, 15), (2, 10))])).await;
    assert!(
        found.contains(&pair("/systemUpdate/freezePeriods/1", "overlapping")),
        "{found:?}"
    );
    // 28 days apart.
    assert_eq!(
        errors(&c, &id, freeze(&[((1, 1), (1, 31)), ((3, 1), (3, 10))])).await,
        [pair("/systemUpdate/freezePeriods/1", "too-close")]
    );
    // Exactly 60 days apart (1 February to 1 April exclusive) is allowed.
    assert_eq!(
        errors(&c, &id, freeze(&[((1, 1), (1, 31)), ((4, 2), (4, 10))])).await,
        []
    );
    // Too close around the year: 30 November to 10 January is 40 days.
    assert_eq!(
        errors(&c, &id, freeze(&[((11, 1), (11, 30)), ((1, 10), (1, 20))])).await,
        [pair("/systemUpdate/freezePeriods/1", "too-close")]
    );
    // No 29 February, no 31 April.
    assert_eq!(
        errors(&c, &id, freeze(&[((2, 29), (3, 5)), ((4, 31), (5, 2))])).await,
        [
            pair("/systemUpdate/freezePeriods/0/start", "invalid"),
            pair("/systemUpdate/freezePeriods/1/start", "invalid")
        ]
    );

    // Distribution: a custom one names devices.
    assert_eq!(
        errors(
            &c,
            &id,
            json!({"pinnedApp": pinned(), "distribution": {"mode": "custom"}})
        )
        .await,
        [pair("/distribution/deviceIds", "required")]
    );
    // Unknown fields and wrong types are named too.
    assert_eq!(
        errors(&c, &id, json!({"pinnedApp": pinned(), "kioskMode": true})).await,
        [pair("/kioskMode", "invalid")]
    );
    assert_eq!(
        errors(
            &c,
            &id,
            update(json!({"type": "postpone", "postponeDays": "soon"}))
        )
        .await,
        [pair("/systemUpdate/postponeDays", "invalid")]
    );

    // An invalid configuration is not rendered.
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/render"),
            Some(cosu(json!({}))),
        )
        .await;
    assert_eq!(r.status, 422, "{r:?}");
}

/// The message of the refusal to render an invalid body: it names the version that answered.
async fn refused_by(c: &Client, id: &str) -> String {
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/render"),
            Some(json!({"kind": "cosu", "name": "Broken", "priority": 1, "body": []})),
        )
        .await;
    assert_eq!((r.status, r.error().0), (422, "plugin_refused"), "{r:?}");
    r.body["error"]["message"].as_str().unwrap().to_string()
}

async fn activate(c: &Client, id: &str, version: i64) {
    let r = c
        .send(
            "POST",
            &format!("/api/v1/plugins/{id}/activate"),
            Some(json!({ "version": version })),
        )
        .await;
    assert_eq!(
        (r.status, r.body["active_version"].as_i64()),
        (200, Some(version)),
        "{r:?}"
    );
}

/// The built-in plugin is an upload like any other: a tenant replaces it with its own build
/// (`corral_amapi_plugin_acme`, version 0.1.0-acme), which then answers the hooks, and rolls
/// back to the original, which answers again.
#[tokio::test]
async fn a_tenant_replaces_the_amapi_plugin_and_rolls_back() {
    let (_env, _server, c, id) = installed_amapi().await;
    assert!(refused_by(&c, &id).await.contains("amapi@0.1.0#1"));

    let r = c
        .upload(corral_tests::guest("corral_amapi_plugin_acme"))
        .await;
    assert_eq!(
        (r.status, r.body["version"].as_i64()),
        (201, Some(2)),
        "{r:?}"
    );
    assert_eq!(
        r.body["plugin"]["id"].as_str(),
        Some(id.as_str()),
        "same plugin"
    );
    assert_eq!(
        r.body["plugin"]["versions"][1]["version"], "0.1.0-acme",
        "{r:?}"
    );
    let kiosk = json!({"pinnedApp": pinned()});
    activate(&c, &id, 2).await;
    assert!(refused_by(&c, &id).await.contains("amapi@0.1.0-acme#2"));
    assert_eq!(
        render(&c, &id, kiosk.clone()).await["applications"][0]["roles"],
        json!([{"roleType": "KIOSK"}])
    );

    activate(&c, &id, 1).await;
    assert!(refused_by(&c, &id).await.contains("amapi@0.1.0#1"));
    assert_eq!(
        render(&c, &id, kiosk).await["applications"][0]["roles"],
        json!([{"roleType": "KIOSK"}])
    );
}
