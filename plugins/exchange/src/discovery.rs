//! Discovery (SPEC G5): the devices each installed connector's organisation reports
//! (`Get-MobileDevice`) are recorded in the host's inventory as `<user>_<devicetype>` (the
//! mailbox's user name before the `@`), with what Exchange says of them. For an on-premises
//! organisation the device is linked to the tenant's user with the mailbox's address
//! (`directory`); for Exchange Online an administrator links it by hand.
//!
//! A listing that reached every organisation ends by forgetting the devices no organisation
//! reports any more; one that failed somewhere forgets nothing (an unreachable organisation's
//! devices are not gone).

use corral_plugin_sdk::capabilities::discoveries::{self, Discovery};
use corral_plugin_sdk::capabilities::{clock, directory};
use corral_plugin_sdk::types::{DeviceIdentity, PluginError, Property};
use serde_json::{Map, Value};

use crate::connectors::{self, Connector, Kind};
use crate::invoke::invoke;

fn text(d: &Value, name: &str) -> String {
    d[name].as_str().unwrap_or_default().trim().to_string()
}

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

/// The discovery of one device Exchange lists, owned (on-premises) by `owner`.
pub fn discovery(c: &Connector, d: &Value, owner: Option<String>) -> Discovery {
    let mailbox = text(d, "UserPrincipalName");
    let user = mailbox.split('@').next().unwrap_or_default().to_string();
    let device_type = text(d, "DeviceType");
    let device_os = text(d, "DeviceOS");
    let p = |name: &str, field: &str| Property {
        name: name.into(),
        value: text(d, field),
    };
    Discovery {
        vendor_name: format!("{}/{}", c.id, text(d, "Identity")),
        name: format!("{user}_{device_type}"),
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
        last_seen_ms: None,
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
        let devices = match invoke(&c, "Get-MobileDevice", Map::new()) {
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
        let mut found = Vec::with_capacity(devices.len());
        for d in &devices {
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
            found.push(discovery(&c, d, owner));
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
