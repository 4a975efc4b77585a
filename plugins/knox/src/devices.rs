//! The customer's devices in Knox Mobile Enrollment: listed (with their profile, reseller and
//! upload approval), reported to the host's inventory as registrations (channel
//! `knox-mobile-enrollment`, the profile as configuration), the uploads pending approval, and
//! the changes: unassigning a device's profile ("let zero-touch provision this device"),
//! approving an upload.
//!
//! Rules:
//! - the sync reads every device once a day (then forgets registrations KME no longer lists),
//!   and otherwise only those changed since the last sync (`changedAfter`, in minutes, one more
//!   than elapsed); the times are kept in `kv`;
//! - a device uploaded by a reseller and not approved yet is registered without a profile:
//!   KME configures no device before its upload is approved;
//! - pending uploads of an enabled reseller set to approve at once are approved by the sync,
//!   and get the reseller's default profile;
//! - a change answered per device (partial success) is reported device by device.

use corral_plugin_sdk::capabilities::registrations::Registration;
use corral_plugin_sdk::capabilities::{clock, kv, registrations};
use corral_plugin_sdk::types::{
    ConfigurationRef, DeviceIdentity, EnrolmentChannel, Item, PluginError, Property,
};
use serde_json::Value;

use crate::kme::{self, Changed, text};
use crate::resellers;

const FULL_EVERY_MS: u64 = 24 * 3600 * 1000;
const LAST_SYNC: &str = "sync/last-ms";
const LAST_FULL: &str = "sync/full-ms";
pub const PENDING: &str = "PENDING";

pub fn pending(d: &Value) -> bool {
    text(d, "approvalStatus") == PENDING
}

pub fn item(d: &Value, resellers: &[Value]) -> Item {
    let value = |name: &str, v: String| Property {
        name: name.into(),
        value: v,
    };
    let profile = match text(d, "profileName") {
        p if p.is_empty() => "None".to_string(),
        p => p,
    };
    let flag = resellers::flag(resellers, d).unwrap_or_default();
    let values = vec![
        value("imei", text(d, "mei")),
        value("serial", text(d, "serialNumber")),
        value("model", text(d, "model")),
        value("profile", profile),
        value("reseller", text(d, "resellerName")),
        value("approval", text(d, "approvalStatus")),
        value("flag", flag),
    ];
    let mut details = values.clone();
    details.extend([
        value("KME id", text(d, "id")),
        value("Upload", text(d, "uploadId")),
        value("User", text(d, "userName")),
    ]);
    Item {
        id: text(d, "id"),
        title: match text(d, "mei") {
            m if m.is_empty() => text(d, "serialNumber"),
            m => m,
        },
        values,
        details,
    }
}

/// A device as the host records a registration: at KME, with its profile once approved.
pub fn registration(d: &Value) -> Registration {
    let some = |s: String| (!s.is_empty()).then_some(s);
    let profile = text(d, "profileId");
    Registration {
        vendor_name: text(d, "id"),
        identity: DeviceIdentity {
            device_id: None,
            serial_number: some(text(d, "serialNumber")),
            imeis: some(text(d, "mei")).into_iter().collect(),
            meid: None,
            manufacturer: Some("samsung".into()),
            model: some(text(d, "model")),
            os: Some("android".into()),
            os_version: None,
            security_patch_level: None,
        },
        channel: EnrolmentChannel::KnoxMobileEnrollment,
        configuration: (!profile.is_empty() && !pending(d)).then(|| ConfigurationRef {
            title: match text(d, "profileName") {
                n if n.is_empty() => profile.clone(),
                n => n,
            },
            id: profile,
        }),
        registered_at_ms: d["createTime"].as_u64(),
    }
}

fn kv_time(key: &str) -> Result<Option<u64>, PluginError> {
    let bytes = kv::get(key).map_err(|e| PluginError::Internal(format!("kv: {e:?}")))?;
    Ok(bytes.and_then(|b| String::from_utf8(b).ok()?.parse().ok()))
}

fn set_kv_time(key: &str, ms: u64) -> Result<(), PluginError> {
    kv::set(key, ms.to_string().as_bytes()).map_err(|e| PluginError::Internal(format!("kv: {e:?}")))
}

/// Approves the pending uploads of enabled resellers set to approve at once (and assigns their
/// default profile); updates `devices` to what KME now holds.
fn auto_approve(devices: &mut [Value], resellers: &[Value]) -> Result<(), PluginError> {
    let mut by_reseller: Vec<(&Value, Vec<String>)> = Vec::new();
    for d in devices.iter().filter(|d| pending(d)) {
        let Some(r) = resellers::of_device(resellers, d) else {
            continue;
        };
        if r["enabled"] == false || r["autoApprove"] != true {
            continue;
        }
        match by_reseller.iter_mut().find(|(x, _)| x["id"] == r["id"]) {
            Some((_, ids)) => ids.push(text(d, "id")),
            None => by_reseller.push((r, vec![text(d, "id")])),
        }
    }
    for (reseller, ids) in by_reseller {
        let approved = kme::approve(&ids)?.success;
        let profile = reseller["defaultProfile"].as_str().unwrap_or_default();
        let assigned = if profile.is_empty() || approved.is_empty() {
            Vec::new()
        } else {
            kme::assign(&approved, profile)?.success
        };
        let name = kme::profile(profile)?.map(|p| text(&p, "profileName"));
        for d in devices.iter_mut() {
            let id = text(d, "id");
            if approved.contains(&id) {
                d["approvalStatus"] = "APPROVED".into();
            }
            if assigned.contains(&id) {
                d["profileId"] = profile.into();
                d["profileName"] = name.clone().unwrap_or_default().into();
            }
        }
    }
    Ok(())
}

/// Reports KME's devices (all once a day, else those changed since the last sync) to the
/// host's inventory; answers how many.
pub fn sync() -> Result<u32, PluginError> {
    let started = clock::now_ms();
    let full = match (kv_time(LAST_FULL)?, kv_time(LAST_SYNC)?) {
        (Some(full), Some(_)) => started.saturating_sub(full) >= FULL_EVERY_MS,
        _ => true,
    };
    let changed_after = match kv_time(LAST_SYNC)? {
        Some(last) if !full => Some(format!("{}m", started.saturating_sub(last) / 60_000 + 2)),
        _ => None,
    };
    let mut devices = kme::devices(changed_after.as_deref())?;
    auto_approve(&mut devices, &resellers::all()?)?;
    let mut reported = 0;
    for batch in devices.chunks(1000) {
        let batch: Vec<Registration> = batch.iter().map(registration).collect();
        reported += registrations::record_registrations(&batch)?;
    }
    if full {
        registrations::forget_registrations(started)?;
        set_kv_time(LAST_FULL, started)?;
    }
    set_kv_time(LAST_SYNC, started)?;
    Ok(reported)
}

/// The words for each device id of a change: what KME did with it.
pub fn rows(changed: &Changed, done: &str) -> Vec<Property> {
    let row = |id: &String, what: &str| Property {
        name: id.clone(),
        value: what.to_string(),
    };
    changed
        .success
        .iter()
        .map(|id| row(id, done))
        .chain(
            changed
                .not_found
                .iter()
                .map(|id| row(id, "not found in Knox Mobile Enrollment")),
        )
        .chain(changed.invalid.iter().map(|id| {
            row(
                id,
                "refused: neither a device id, an IMEI nor a serial number",
            )
        }))
        .collect()
}

/// The uploads pending approval: (upload id, reseller name, devices).
pub fn pending_uploads(devices: &[Value]) -> Vec<(String, String, Vec<Value>)> {
    let mut uploads: Vec<(String, String, Vec<Value>)> = Vec::new();
    for d in devices.iter().filter(|d| pending(d)) {
        let upload = match text(d, "uploadId") {
            u if u.is_empty() => format!("device-{}", text(d, "id")),
            u => u,
        };
        match uploads.iter_mut().find(|(u, _, _)| *u == upload) {
            Some((_, _, ds)) => ds.push(d.clone()),
            None => uploads.push((upload, text(d, "resellerName"), vec![d.clone()])),
        }
    }
    uploads
}

pub fn upload_item(
    (id, reseller, devices): &(String, String, Vec<Value>),
    resellers: &[Value],
) -> Item {
    let value = |name: &str, v: String| Property {
        name: name.into(),
        value: v,
    };
    let flag = devices
        .first()
        .and_then(|d| resellers::flag(resellers, d))
        .unwrap_or_default();
    let values = vec![
        value("upload", id.clone()),
        value("reseller", reseller.clone()),
        value("devices", devices.len().to_string()),
        value("flag", flag),
    ];
    let mut details = values.clone();
    details.extend(devices.iter().map(|d| {
        value(
            &text(d, "id"),
            format!(
                "{} {} {}",
                text(d, "mei"),
                text(d, "serialNumber"),
                text(d, "model")
            ),
        )
    }));
    Item {
        id: id.clone(),
        title: format!("{reseller} ({})", devices.len()),
        values,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pending_devices_have_no_profile_yet() {
        let d = json!({"id": "d1", "mei": "490154203237518", "serialNumber": "R58M1",
                       "profileId": "7", "profileName": "Warehouse", "approvalStatus": "PENDING"});
        let r = registration(&d);
        assert_eq!(r.vendor_name, "d1");
        assert!(r.configuration.is_none());
        let mut approved = d.clone();
        approved["approvalStatus"] = json!("APPROVED");
        let c = registration(&approved).configuration.unwrap();
        assert_eq!((c.id.as_str(), c.title.as_str()), ("7", "Warehouse"));
        assert_eq!(pending_uploads(&[d.clone(), approved]).len(), 1);
    }

    #[test]
    fn every_row_of_a_change_is_reported() {
        let changed = Changed {
            success: vec!["d1".into()],
            not_found: vec!["R58M0".into()],
            invalid: vec!["?".into()],
        };
        let rows = rows(&changed, "unassigned");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].value, "not found in Knox Mobile Enrollment");
    }
}
