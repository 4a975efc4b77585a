//! Discovery (SPEC G5): the devices each installed connector's organisation reports
//! (`Get-MobileDevice`) are recorded in the host's inventory as `<user>_<devicetype>` (the
//! mailbox's user name before the `@`), with what Exchange says of them. For an on-premises
//! organisation the device is linked to the tenant's user with the mailbox's address
//! (`directory`); for Exchange Online an administrator links it by hand.
//!
//! Each device's details say which access it has under the connector's rules and why. With the
//! connector's external MDM option (SPEC G7), the devices also enrolled in Corral (their IMEI
//! is a Corral device's, `device-lookup`) are kept in their mailbox's allowed devices
//! (`Set-CASMailbox -ActiveSyncAllowedDeviceIDs`), and taken out again when they no longer are
//! or the option is off (only the ones Corral put there).
//!
//! A listing that reached every organisation ends by forgetting the devices no organisation
//! reports any more; one that failed somewhere forgets nothing (an unreachable organisation's
//! devices are not gone).

use corral_plugin_sdk::capabilities::discoveries::{self, Discovery};
use corral_plugin_sdk::capabilities::{clock, device_lookup, directory};
use corral_plugin_sdk::types::{DeviceIdentity, PluginError, Property};
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::connectors::{self, Connector, Kind};
use crate::devices::{self, text};
use crate::invoke::{Failure, invoke};

/// The host's name of a device's system, from Exchange's `DeviceOS` ("iOS 17.1 21B74").
fn os_of(device_os: &str) -> Option<String> {
    let lower = device_os.to_ascii_lowercase();
    Some(
        if lower.starts_with("ios") || lower.starts_with("ipados") {
            "ios"
        } else if lower.starts_with("android") {
            "android"
        } else if lower.starts_with("mac") {
            "macos"
        } else {
            "other"
        }
        .to_string(),
    )
}

/// The discovery of one device Exchange lists, owned (on-premises) by `owner`, last
/// synchronised at `last_seen_ms` (from its statistics).
pub fn discovery(
    c: &Connector,
    d: &Value,
    owner: Option<String>,
    last_seen_ms: Option<u64>,
) -> Discovery {
    let mailbox = text(d, "UserPrincipalName");
    let decided = devices::decision(c, d);
    let device_os = text(d, "DeviceOS");
    let p = |name: &str, field: &str| Property {
        name: name.into(),
        value: text(d, field),
    };
    Discovery {
        vendor_name: format!("{}/{}", c.id, text(d, "Identity")),
        name: devices::name(d),
        identity: DeviceIdentity {
            device_id: None,
            serial_number: None,
            imeis: Vec::new(),
            meid: None,
            manufacturer: None,
            model: Some(text(d, "DeviceModel")).filter(|m| !m.is_empty()),
            os: os_of(&device_os),
            os_version: device_os.split_whitespace().nth(1).map(str::to_string),
            security_patch_level: None,
        },
        owner_user_id: owner,
        last_seen_ms,
        details: vec![
            Property {
                name: "connector".into(),
                value: c.name.clone(),
            },
            Property {
                name: "mailbox".into(),
                value: mailbox,
            },
            p("device-id", "DeviceId"),
            p("device-type", "DeviceType"),
            p("device-model", "DeviceModel"),
            p("device-os", "DeviceOS"),
            p("user-agent", "DeviceUserAgent"),
            p("access-state", "DeviceAccessState"),
            p("wipe-status", "DeviceWipeStatus"),
            Property {
                name: "access".into(),
                value: decided.level.into(),
            },
            Property {
                name: "access-explanation".into(),
                value: decided.explanation,
            },
        ],
    }
}

/// Lists every installed connector's devices into the inventory; answers how many.
pub fn sync() -> Result<u32, PluginError> {
    let started = clock::now_ms();
    let mut count = 0;
    let mut complete = true;
    for c in connectors::all()? {
        if c.status != "installed" {
            complete = false;
            continue;
        }
        let mut c = c;
        let listed = match invoke(&c, "Get-MobileDevice", Map::new()) {
            Ok(devices) => devices,
            Err(failure) => {
                corral_plugin_sdk::capabilities::logging::log(
                    corral_plugin_sdk::capabilities::logging::Level::Warn,
                    &format!("connector {}: {failure}", c.name),
                );
                complete = false;
                continue;
            }
        };
        if let Err(failure) = keep_allowed(&mut c, &listed) {
            corral_plugin_sdk::capabilities::logging::log(
                corral_plugin_sdk::capabilities::logging::Level::Warn,
                &format!("connector {}: external MDM: {failure}", c.name),
            );
        }
        connectors::save(&c)?;
        devices::keep(&c, &listed)?;
        let synced = last_syncs(&c, &listed);
        let mut found = Vec::with_capacity(listed.len());
        for d in &listed {
            let owner = match c.kind {
                Kind::OnPremises => {
                    let mailbox = text(d, "UserPrincipalName");
                    match directory::find_user_by_email(&mailbox) {
                        Ok(user) => user.map(|u| u.id),
                        Err(_) => None,
                    }
                }
                Kind::Online => None,
            };
            let seen = synced.get(&text(d, "Identity")).copied();
            found.push(discovery(&c, d, owner, seen));
        }
        for chunk in found.chunks(1000) {
            count += discoveries::record_discoveries(chunk)?;
        }
    }
    if complete {
        discoveries::forget_discoveries(started)?;
    }
    Ok(count)
}

/// External MDM: keeps the listed devices also enrolled in Corral in their mailbox's allowed
/// devices, and takes out the ones Corral put there that no longer are (all of them when the
/// option is off). `c.allowed` follows what was done (the caller saves it).
fn keep_allowed(c: &mut Connector, listed: &[Value]) -> Result<(), Failure> {
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if c.external_mdm {
        let with_imei: Vec<&Value> = listed
            .iter()
            .filter(|d| !text(d, "DeviceImei").is_empty() && !text(d, "DeviceId").is_empty())
            .collect();
        let imeis: Vec<String> = with_imei.iter().map(|d| text(d, "DeviceImei")).collect();
        // The host answers at most 10,000 look-ups at once.
        let mut enrolled = Vec::with_capacity(imeis.len());
        for chunk in imeis.chunks(10_000) {
            enrolled.extend(
                device_lookup::find_devices(chunk)
                    .map_err(|e| Failure(format!("the inventory could not be read: {e:?}")))?,
            );
        }
        for (d, found) in with_imei.iter().zip(enrolled) {
            if found.is_some() {
                wanted
                    .entry(text(d, "UserPrincipalName"))
                    .or_default()
                    .push(text(d, "DeviceId"));
            }
        }
    }
    let mailboxes: Vec<String> = wanted.keys().chain(c.allowed.keys()).cloned().collect();
    for mailbox in mailboxes {
        let want = wanted.get(&mailbox).cloned().unwrap_or_default();
        let have = c.allowed.get(&mailbox).cloned().unwrap_or_default();
        let add: Vec<&String> = want.iter().filter(|id| !have.contains(id)).collect();
        let remove: Vec<&String> = have.iter().filter(|id| !want.contains(id)).collect();
        if add.is_empty() && remove.is_empty() {
            continue;
        }
        let mut change = Map::new();
        if !add.is_empty() {
            change.insert("Add".into(), json!(add));
        }
        if !remove.is_empty() {
            change.insert("Remove".into(), json!(remove));
        }
        let mut p = Map::new();
        p.insert("Identity".into(), json!(mailbox));
        p.insert("ActiveSyncAllowedDeviceIDs".into(), Value::Object(change));
        invoke(c, "Set-CASMailbox", p)?;
        if want.is_empty() {
            c.allowed.remove(&mailbox);
        } else {
            c.allowed.insert(mailbox, want);
        }
    }
    Ok(())
}

/// When each listed device last synchronised (`LastSuccessSync`), by identity, from its
/// mailbox's statistics (`Get-MobileDeviceStatistics -Mailbox`, one call per mailbox). A mailbox
/// whose statistics cannot be read leaves its devices without a date (logged).
fn last_syncs(c: &Connector, listed: &[Value]) -> BTreeMap<String, u64> {
    let mut mailboxes: Vec<String> = listed
        .iter()
        .map(|d| text(d, "UserPrincipalName"))
        .filter(|m| !m.is_empty())
        .collect();
    mailboxes.sort();
    mailboxes.dedup();
    let mut synced = BTreeMap::new();
    for mailbox in mailboxes {
        let mut p = Map::new();
        p.insert("Mailbox".into(), json!(mailbox));
        match invoke(c, "Get-MobileDeviceStatistics", p) {
            Ok(stats) => {
                for s in stats {
                    if let Some(ms) = unix_ms(&text(&s, "LastSuccessSync")) {
                        synced.insert(text(&s, "Identity"), ms);
                    }
                }
            }
            Err(failure) => corral_plugin_sdk::capabilities::logging::log(
                corral_plugin_sdk::capabilities::logging::Level::Warn,
                &format!("connector {}: statistics of {mailbox}: {failure}", c.name),
            ),
        }
    }
    synced
}

/// Unix milliseconds of an ISO 8601 date as Exchange writes it (`2026-12-01T09:30:00Z`,
/// `2026-12-01T09:30:00.1234567+00:00`).
fn unix_ms(date: &str) -> Option<u64> {
    let at = chrono::DateTime::parse_from_rfc3339(date.trim()).ok()?;
    u64::try_from(at.timestamp_millis()).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn exchange_dates_read_as_unix_milliseconds() {
        assert_eq!(super::unix_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(
            super::unix_ms("2026-12-01T09:30:00.1234567+00:00"),
            Some(1_796_117_400_123)
        );
        assert_eq!(super::unix_ms("yesterday"), None);
    }
}
