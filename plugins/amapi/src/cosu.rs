//! Dedicated-device (COSU) configurations (SPEC E4) and their AMAPI `Policy` (E5).
//!
//! The body is JSON in camelCase; every setting of the product's COSU form is a field, with
//! the form's default when left out. Rules (each a field error with a JSON Pointer):
//! - exactly one pinned app, from a public or private store (no in-house or web app);
//! - other apps likewise from a store; only those with "install on device" or "silent
//!   install" reach the device;
//! - postponed system updates: 1 to 30 days; maintenance window start/end 0 to 1439 minutes;
//! - freeze periods: month/day pairs (no 29 February), which may wrap the year, each at most
//!   90 days, none overlapping, consecutive ones (around the year) at least 60 days apart;
//! - distribution: all, none (default) or a custom non-empty list of device ids.

use serde::Deserialize;
use serde_json::{Value, json};

/// A field error: JSON Pointer, code, message.
pub struct Problem {
    pub path: String,
    pub code: &'static str,
    pub message: String,
}

fn problem(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.into(),
        code,
        message: message.into(),
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A public Google Play app.
    Public,
    /// A private (managed Google Play) app.
    Private,
    InHouse,
    Web,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PinnedApp {
    pub package_name: String,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct App {
    pub package_name: String,
    pub source: Source,
    #[serde(default)]
    pub install_on_device: bool,
    #[serde(default)]
    pub silent_install: bool,
    /// Managed configuration (keys of the app's managed properties).
    pub managed_configuration: Option<serde_json::Map<String, Value>>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeepScreenOn {
    #[default]
    Never,
    Ac,
    Usb,
    Wireless,
    /// Any power source.
    Any,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusBar {
    NotificationsAndSystemInfo,
    #[default]
    SystemInfoOnly,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Navigation {
    Enabled,
    #[default]
    Disabled,
    HomeOnly,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UpdateType {
    Automatic,
    Postpone,
    Windowed,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezePeriod {
    pub start: MonthDay,
    pub end: MonthDay,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SystemUpdate {
    #[serde(rename = "type")]
    pub kind: UpdateType,
    /// Postpone: days (1 to 30).
    pub postpone_days: Option<u32>,
    /// Windowed: minutes after local midnight (0 to 1439).
    pub window_start: Option<u32>,
    pub window_end: Option<u32>,
    #[serde(default)]
    pub freeze_periods: Vec<FreezePeriod>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum DistributionMode {
    All,
    #[default]
    None,
    Custom,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Distribution {
    #[serde(default)]
    pub mode: DistributionMode,
    #[serde(default)]
    pub device_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Wifi {
    pub ssid: String,
    /// `none`, `wep` or `wpa` (WPA/WPA2-PSK).
    pub security: String,
    pub passphrase: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vpn {
    pub package_name: String,
    #[serde(default)]
    pub lockdown: bool,
}

fn yes() -> bool {
    true
}

/// A COSU configuration body. Field defaults are the product form's.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cosu {
    pub description: Option<String>,
    pub pinned_app: Option<PinnedApp>,
    #[serde(default)]
    pub apps: Vec<App>,
    // General lockdown.
    #[serde(default)]
    pub keep_screen_on: KeepScreenOn,
    #[serde(default = "yes")]
    pub disallow_set_time: bool,
    #[serde(default = "yes")]
    pub disallow_unknown_apps: bool,
    #[serde(default = "yes")]
    pub disable_default_games: bool,
    #[serde(default)]
    pub disallow_install_apps: bool,
    #[serde(default)]
    pub disable_screen_lock: bool,
    #[serde(default = "yes")]
    pub disallow_modify_accounts: bool,
    #[serde(default = "yes")]
    pub allow_network_escape_hatch: bool,
    #[serde(default)]
    pub disable_network_reset: bool,
    #[serde(default = "yes")]
    pub allow_choose_certificates: bool,
    #[serde(default = "yes")]
    pub disallow_remove_accounts: bool,
    #[serde(default = "yes")]
    pub disallow_set_user_icon: bool,
    #[serde(default = "yes")]
    pub disallow_set_wallpaper: bool,
    #[serde(default)]
    pub disable_status_bar: bool,
    #[serde(default)]
    pub disallow_uninstall_apps: bool,
    #[serde(default = "yes")]
    pub disallow_add_accounts: bool,
    // Kiosk customisation. Left out: system info only, or nothing when the status bar is
    // disabled (which leaves no status bar to customise).
    pub status_bar: Option<StatusBar>,
    #[serde(default)]
    pub navigation: Navigation,
    #[serde(default)]
    pub global_actions: bool,
    #[serde(default)]
    pub error_dialogs: bool,
    // System.
    pub system_update: Option<SystemUpdate>,
    pub wifi: Option<Wifi>,
    pub always_on_vpn: Option<Vpn>,
    #[serde(default)]
    pub distribution: Distribution,
}

/// Reads a body; a type error names its JSON Pointer.
pub fn parse(body: &str) -> Result<Cosu, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let pointer = if path == "." {
            String::new()
        } else {
            format!("/{}", path.replace('.', "/"))
        };
        (pointer, e.into_inner().to_string())
    })
}

fn package_ok(name: &str) -> bool {
    name.len() <= 255
        && name.contains('.')
        && name.split('.').all(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn check_app(path: &str, package: &str, source: Source, out: &mut Vec<Problem>) {
    if !package_ok(package) {
        out.push(problem(
            format!("{path}/packageName"),
            "invalid",
            "give an Android package name such as com.example.app",
        ));
    }
    if matches!(source, Source::InHouse | Source::Web) {
        out.push(problem(
            format!("{path}/source"),
            "not-allowed",
            "only public or private store apps can be deployed to dedicated devices (no \
             in-house or web apps)",
        ));
    }
}

const DAYS_IN_MONTH: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// Day of the (non-leap) year, 0 to 364.
fn day_of_year(d: MonthDay) -> u32 {
    DAYS_IN_MONTH[..(d.month - 1) as usize].iter().sum::<u32>() + d.day - 1
}

fn date_ok(d: MonthDay) -> bool {
    (1..=12).contains(&d.month) && d.day >= 1 && d.day <= DAYS_IN_MONTH[(d.month - 1) as usize]
}

/// A WEP key: 40 or 104 bits, as 5 or 13 ASCII characters or 10 or 26 hexadecimal digits.
fn wep_key_ok(key: &str) -> bool {
    match key.len() {
        5 | 13 => key.is_ascii(),
        10 | 26 => key.chars().all(|c| c.is_ascii_hexdigit()),
        _ => false,
    }
}

/// Checks a configuration; empty means valid.
pub fn validate(c: &Cosu) -> Vec<Problem> {
    let mut out = Vec::new();
    if c.description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        out.push(problem(
            "/description",
            "too-long",
            "at most 1000 characters",
        ));
    }
    match &c.pinned_app {
        None => out.push(problem(
            "/pinnedApp",
            "required",
            "choose the app to pin on the device",
        )),
        Some(app) => check_app("/pinnedApp", &app.package_name, app.source, &mut out),
    }
    for (i, app) in c.apps.iter().enumerate() {
        check_app(
            &format!("/apps/{i}"),
            &app.package_name,
            app.source,
            &mut out,
        );
    }
    if let Some(u) = &c.system_update {
        check_update(u, &mut out);
    }
    if c.disable_status_bar && c.status_bar.is_some() {
        out.push(problem(
            "/statusBar",
            "conflict",
            "the status bar is disabled (disableStatusBar): leave out what it shows",
        ));
    }
    if let Some(w) = &c.wifi {
        if w.ssid.trim().is_empty() || w.ssid.len() > 32 {
            out.push(problem("/wifi/ssid", "invalid", "give 1 to 32 characters"));
        }
        match (w.security.as_str(), &w.passphrase) {
            ("none", _) => {}
            ("wpa", Some(p)) if (8..=63).contains(&p.len()) => {}
            ("wpa", _) => out.push(problem(
                "/wifi/passphrase",
                "required",
                "give the network's passphrase (8 to 63 characters)",
            )),
            ("wep", Some(p)) if wep_key_ok(p) => {}
            ("wep", _) => out.push(problem(
                "/wifi/passphrase",
                "required",
                "give the network's WEP key: 5 or 13 characters, or 10 or 26 hexadecimal digits",
            )),
            _ => out.push(problem("/wifi/security", "invalid", "none, wep or wpa")),
        }
    }
    if let Some(v) = &c.always_on_vpn
        && !package_ok(&v.package_name)
    {
        out.push(problem(
            "/alwaysOnVpn/packageName",
            "invalid",
            "give the VPN app's package name",
        ));
    }
    if c.distribution.mode == DistributionMode::Custom && c.distribution.device_ids.is_empty() {
        out.push(problem(
            "/distribution/deviceIds",
            "required",
            "a custom distribution lists at least one device",
        ));
    }
    out
}

fn check_update(u: &SystemUpdate, out: &mut Vec<Problem>) {
    match u.kind {
        UpdateType::Automatic => {}
        UpdateType::Postpone => match u.postpone_days {
            Some(d) if (1..=30).contains(&d) => {}
            _ => out.push(problem(
                "/systemUpdate/postponeDays",
                "out-of-range",
                "updates can be postponed for 1 to 30 days",
            )),
        },
        UpdateType::Windowed => {
            for (key, value) in [("windowStart", u.window_start), ("windowEnd", u.window_end)] {
                match value {
                    Some(m) if m <= 1439 => {}
                    _ => out.push(problem(
                        format!("/systemUpdate/{key}"),
                        "out-of-range",
                        "minutes after midnight, 0 to 1439",
                    )),
                }
            }
        }
    }
    let mut spans = Vec::new();
    for (i, p) in u.freeze_periods.iter().enumerate() {
        let path = format!("/systemUpdate/freezePeriods/{i}");
        let mut dates_ok = true;
        for (key, d) in [("start", p.start), ("end", p.end)] {
            if !date_ok(d) {
                dates_ok = false;
                out.push(problem(
                    format!("{path}/{key}"),
                    "invalid",
                    "a month (1 to 12) and a day of that month (29 February is not allowed)",
                ));
            }
        }
        if !dates_ok {
            continue;
        }
        let (start, end) = (day_of_year(p.start), day_of_year(p.end));
        // Inclusive length; an end before the start wraps into the next year.
        let length = (end + 365 - start) % 365 + 1;
        if length > 90 {
            out.push(problem(
                path.clone(),
                "too-long",
                format!("a freeze period lasts at most 90 days (this one: {length})"),
            ));
        }
        spans.push((i, start, length));
    }
    // Around the year, in order of start: each period against the next one (the last against
    // the first of the next year).
    spans.sort_by_key(|&(_, start, _)| start);
    if spans.len() > 1 {
        for k in 0..spans.len() {
            let (_, start, length) = spans[k];
            let (next_i, next_start, _) = spans[(k + 1) % spans.len()];
            // Days from this period's start to the next one's.
            let offset = (next_start + 365 - start) % 365;
            let path = format!("/systemUpdate/freezePeriods/{next_i}");
            if offset < length {
                out.push(problem(
                    path,
                    "overlapping",
                    "freeze periods must not overlap",
                ));
            } else if offset - length < 60 {
                out.push(problem(
                    path,
                    "too-close",
                    format!(
                        "consecutive freeze periods must be at least 60 days apart (here: {})",
                        offset - length
                    ),
                ));
            }
        }
    }
}

/// The AMAPI `Policy` of a valid configuration (for `enterprises.policies.patch`).
pub fn policy(c: &Cosu) -> Value {
    let mut applications = Vec::new();
    if let Some(app) = &c.pinned_app {
        // The kiosk role (installType KIOSK is deprecated): the app is the home screen and
        // allowed in lock task mode; it needs REQUIRED_FOR_SETUP.
        applications.push(json!({
            "packageName": app.package_name,
            "installType": "REQUIRED_FOR_SETUP",
            "roles": [{"roleType": "KIOSK"}],
        }));
    }
    for app in &c.apps {
        // Only apps set to be installed reach the device.
        let install_type = if app.silent_install {
            "FORCE_INSTALLED"
        } else if app.install_on_device {
            "PREINSTALLED"
        } else {
            continue;
        };
        let mut entry = json!({"packageName": app.package_name, "installType": install_type});
        if let Some(config) = &app.managed_configuration {
            entry["managedConfiguration"] = Value::Object(config.clone());
        }
        applications.push(entry);
    }
    let stay_on: Vec<&str> = match c.keep_screen_on {
        KeepScreenOn::Never => vec![],
        KeepScreenOn::Ac => vec!["AC"],
        KeepScreenOn::Usb => vec!["USB"],
        KeepScreenOn::Wireless => vec!["WIRELESS"],
        KeepScreenOn::Any => vec!["AC", "USB", "WIRELESS"],
    };
    let mut policy = json!({
        "applications": applications,
        "stayOnPluggedModes": stay_on,
        "autoDateAndTimeZone": if c.disallow_set_time {
            "AUTO_DATE_AND_TIME_ZONE_ENFORCED"
        } else {
            "AUTO_DATE_AND_TIME_ZONE_USER_CHOICE"
        },
        "advancedSecurityOverrides": {
            "untrustedAppsPolicy": if c.disallow_unknown_apps {
                "DISALLOW_INSTALL"
            } else {
                "ALLOW_INSTALL_DEVICE_WIDE"
            }
        },
        "funDisabled": c.disable_default_games,
        "installAppsDisabled": c.disallow_install_apps,
        "keyguardDisabled": c.disable_screen_lock,
        "modifyAccountsDisabled": c.disallow_modify_accounts,
        "networkEscapeHatchEnabled": c.allow_network_escape_hatch,
        "networkResetDisabled": c.disable_network_reset,
        "privateKeySelectionEnabled": c.allow_choose_certificates,
        "removeUserDisabled": c.disallow_remove_accounts,
        "setUserIconDisabled": c.disallow_set_user_icon,
        "setWallpaperDisabled": c.disallow_set_wallpaper,
        "uninstallAppsDisabled": c.disallow_uninstall_apps,
        "addUserDisabled": c.disallow_add_accounts,
        "kioskCustomization": {
            // "Disable status bar" through the current field (statusBarDisabled is deprecated).
            "statusBar": match (c.disable_status_bar, c.status_bar.unwrap_or_default()) {
                (true, _) => "NOTIFICATIONS_AND_SYSTEM_INFO_DISABLED",
                (false, StatusBar::NotificationsAndSystemInfo) => {
                    "NOTIFICATIONS_AND_SYSTEM_INFO_ENABLED"
                }
                (false, StatusBar::SystemInfoOnly) => "SYSTEM_INFO_ONLY",
            },
            "systemNavigation": match c.navigation {
                Navigation::Enabled => "NAVIGATION_ENABLED",
                Navigation::Disabled => "NAVIGATION_DISABLED",
                Navigation::HomeOnly => "HOME_BUTTON_ONLY",
            },
            "powerButtonActions": if c.global_actions {
                "POWER_BUTTON_AVAILABLE"
            } else {
                "POWER_BUTTON_BLOCKED"
            },
            "systemErrorWarnings": if c.error_dialogs {
                "ERROR_AND_WARNINGS_ENABLED"
            } else {
                "ERROR_AND_WARNINGS_MUTED"
            },
            "deviceSettings": "SETTINGS_ACCESS_BLOCKED",
        },
        // Devices report their Android version, security patch level and IMEIs only when
        // their policy asks: the enrolment requirements (module `requirements`) need them.
        "statusReportingSettings": {
            "softwareInfoEnabled": true,
            "networkInfoEnabled": true,
        },
    });
    if let Some(u) = &c.system_update {
        let mut update = json!({
            "type": match u.kind {
                UpdateType::Automatic => "AUTOMATIC",
                UpdateType::Postpone => "POSTPONE",
                UpdateType::Windowed => "WINDOWED",
            }
        });
        if u.kind == UpdateType::Windowed {
            update["startMinutes"] = json!(u.window_start);
            update["endMinutes"] = json!(u.window_end);
        }
        if !u.freeze_periods.is_empty() {
            update["freezePeriods"] = Value::Array(
                u.freeze_periods
                    .iter()
                    .map(|p| {
                        json!({
                            "startDate": {"month": p.start.month, "day": p.start.day},
                            "endDate": {"month": p.end.month, "day": p.end.day},
                        })
                    })
                    .collect(),
            );
        }
        policy["systemUpdate"] = update;
    }
    if let Some(w) = &c.wifi {
        let (security, passphrase) = match w.security.as_str() {
            "wep" => ("WEP-PSK", w.passphrase.clone()),
            "wpa" => ("WPA-PSK", w.passphrase.clone()),
            _ => ("None", None),
        };
        let mut wifi = json!({"SSID": w.ssid, "Security": security, "AutoConnect": true});
        if let Some(p) = passphrase {
            wifi["Passphrase"] = json!(p);
        }
        policy["openNetworkConfiguration"] = json!({
            "NetworkConfigurations": [{
                "GUID": format!("corral-wifi-{}", w.ssid),
                "Name": w.ssid,
                "Type": "WiFi",
                "WiFi": wifi,
            }]
        });
    }
    if let Some(v) = &c.always_on_vpn {
        policy["alwaysOnVpnPackage"] =
            json!({"packageName": v.package_name, "lockdownEnabled": v.lockdown});
    }
    policy
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON Schema the plugin publishes for the console's form.
    fn schema() -> Value {
        serde_json::from_str(include_str!("cosu.schema.json")).expect("the schema is JSON")
    }

    /// A value for every property of `schema` (objects filled in, enums at `choice`).
    fn sample(schema: &Value, choice: usize) -> Value {
        match schema["type"].as_str() {
            Some("object") => {
                let mut out = serde_json::Map::new();
                for (key, property) in schema["properties"].as_object().into_iter().flatten() {
                    out.insert(key.clone(), sample(property, choice));
                }
                Value::Object(out)
            }
            Some("array") => json!([]),
            Some("boolean") => json!(true),
            Some("integer") | Some("number") => json!(1),
            _ => match schema["enum"].as_array() {
                Some(options) => options[choice % options.len()].clone(),
                None => json!("com.example.app"),
            },
        }
    }

    #[test]
    fn the_schema_names_every_field_the_body_takes_and_no_other() {
        let schema = schema();
        // Every property of the schema, with each of its enum values, is read by the body.
        for choice in 0..6 {
            let body = sample(&schema, choice);
            if let Err((path, message)) = parse(&body.to_string()) {
                panic!("schema property {path} refused: {message}");
            }
        }
        // A property the schema does not name is refused, so the two cannot drift apart
        // without this test noticing in one direction or the other.
        let mut body = sample(&schema, 0);
        body["notInTheSchema"] = json!(true);
        assert!(parse(&body.to_string()).is_err());
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
