//! The enterprise's devices (SPEC E2, E3, E6, E8): inventory sync and device commands.
//!
//! Why here: Google holds the devices an AMAPI enterprise manages, the host holds Corral's
//! device records and the rules every vendor shares. `sync_inventory` brings the two together:
//! it pages through `enterprises.devices.list`, reports each device to the host
//! (`inventory.report-device`) with what only AMAPI knows, and carries out the host's verdict
//! at Google. `execute` carries out an administrator's command on one device.
//!
//! Rules:
//! - a device Google lists as `DELETED` is skipped (not reported);
//! - the report says who enrolled the device: the profile id and custom attributes come back
//!   from the token's `additionalData` (`enrollmentTokenData`, written by `tokens::for_profile`;
//!   data that does not parse is ignored);
//! - `compliant` is Google's `policyCompliant`, and `applied-configuration` the configuration
//!   whose policy the device applies (`appliedPolicyName`): the host counts the device
//!   compliant only when it applies the configuration it should have, not the policy it
//!   enrolled with;
//! - the compliance deadline is the enrolment time plus 10 minutes (SPEC E3: AMAPI's rule, so
//!   the plugin states it; the host resets a device not compliant by then, once);
//! - the tenant's enrolment requirements (module `requirements`) give the `refusal`;
//! - verdict `reset`: `devices.delete` wiping external storage too but keeping the
//!   factory-reset protection data (`PRESERVE_RESET_PROTECTION_DATA`; without it Google wipes
//!   that data as well), with the reason as the message (at most 200 characters, Google's
//!   limit); a device Google no longer has (404) is done. Verdict `keep` with a configuration:
//!   the device is assigned its policy (`devices.patch` of `policyName`) unless it already has
//!   it (Google may give `policyName` as the full name or the policy id alone);
//! - one device's failure does not stop the others: the sync reports what it can and then
//!   answers an `upstream` error naming the failures (the first ten, and how many more);
//! - commands: `lock` and `reboot` are `devices.issueCommand`; `sync` sends the configuration
//!   the device should have again (`policies.patch`) and assigns it to the device; `wipe` is
//!   `devices.delete` (external storage too; factory-reset protection data kept only when the
//!   options say so). A command names a device of the tenant's enterprise or is refused.

use corral_plugin_sdk::capabilities::{inventory, vendor};
use corral_plugin_sdk::types::{
    Configuration, DeviceAction, DeviceCommand, DeviceIdentity, DeviceReport, HttpMethod,
    ManagedDevice, PluginError, Property, Verdict,
};
use serde_json::{Value, json};

use crate::google::{call_query, enterprise, refused, send_query};
use crate::policies::policy_path;
use crate::requirements::Requirements;

/// SPEC E3: a device must be compliant within 10 minutes of its enrolment.
const COMPLIANCE_WINDOW_MS: u64 = 10 * 60 * 1000;
/// Google's limit on `wipeReasonMessage`.
const MAX_WIPE_REASON: usize = 200;
/// Devices asked for per `devices.list` page (Google's maximum).
const PAGE_SIZE: &str = "100";
/// Failures named in the error of a sync; the rest are counted.
const FAILURES_SHOWN: usize = 10;

const WIPE_EXTERNAL_STORAGE: &str = "WIPE_EXTERNAL_STORAGE";
const PRESERVE_RESET_PROTECTION_DATA: &str = "PRESERVE_RESET_PROTECTION_DATA";

fn text(e: PluginError) -> String {
    match e {
        PluginError::Unsupported(m)
        | PluginError::InvalidInput(m)
        | PluginError::Denied(m)
        | PluginError::Upstream(m)
        | PluginError::Internal(m) => m,
    }
}

/// `name` if it is `{enterprise}/devices/{id}` (the id letters, digits, `-` or `_`).
fn device_path(enterprise: &str, name: &str) -> Result<String, PluginError> {
    match name.strip_prefix(&format!("{enterprise}/devices/")) {
        Some(id)
            if !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(name.to_string())
        }
        _ => Err(PluginError::InvalidInput(format!(
            "device {name:?}: expected {enterprise}/devices/<id>"
        ))),
    }
}

/// A string field, `None` when absent or blank.
fn string(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The identity of an AMAPI `Device`.
fn identity_of(device: &Value) -> DeviceIdentity {
    let hardware = &device["hardwareInfo"];
    let software = &device["softwareInfo"];
    let network = &device["networkInfo"];
    let mut imeis: Vec<String> = Vec::new();
    let sims = network["telephonyInfos"].as_array().into_iter().flatten();
    for imei in std::iter::once(&network["imei"])
        .chain(sims.map(|t| &t["imei"]))
        .filter_map(string)
    {
        if !imeis.contains(&imei) {
            imeis.push(imei);
        }
    }
    DeviceIdentity {
        device_id: None,
        serial_number: string(&hardware["serialNumber"]),
        imeis,
        meid: string(&network["meid"]),
        manufacturer: string(&hardware["manufacturer"]),
        model: string(&hardware["model"]),
        os: Some("android".into()),
        os_version: string(&software["androidVersion"]),
        security_patch_level: string(&software["securityPatchLevel"]),
    }
}

/// The profile id and custom attributes in a token's `additionalData` as
/// `tokens::for_profile` wrote it (`{"profile", "owner", "attributes"}`); nothing when the data
/// is not that.
fn token_data(data: Option<&str>) -> (Option<String>, Vec<Property>) {
    let Some(Ok(Value::Object(data))) = data.map(serde_json::from_str::<Value>) else {
        return (None, Vec::new());
    };
    let profile = data.get("profile").and_then(string);
    let attributes = data
        .get("attributes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            value.as_str().map(|v| Property {
                name: name.clone(),
                value: v.to_string(),
            })
        })
        .collect();
    (profile, attributes)
}

/// The host configuration whose policy the device applies (`appliedPolicyName`, the full name
/// `enterprises/{e}/policies/{id}` or the id alone; this plugin names policies after
/// configuration ids, so a policy it did not make, such as `default`, matches none).
fn applied_configuration(device: &Value) -> Option<String> {
    let name = string(&device["appliedPolicyName"])?;
    Some(match name.rsplit_once("/policies/") {
        Some((_, id)) => id.to_string(),
        None => name,
    })
}

/// The report of an AMAPI `Device`: `None` for a deleted one, an error when it cannot be
/// reported.
fn report_of(device: &Value, requirements: &Requirements) -> Result<Option<DeviceReport>, String> {
    if device["state"] == "DELETED" {
        return Ok(None);
    }
    let name = string(&device["name"]).ok_or("a device without a name")?;
    let enrolled = device["enrollmentTime"].as_str().unwrap_or_default();
    let enrolled_at_ms = chrono::DateTime::parse_from_rfc3339(enrolled)
        .map_err(|e| format!("enrollmentTime {enrolled:?} is not RFC 3339: {e}"))?
        .timestamp_millis()
        .max(0) as u64;
    let (profile_id, attributes) = token_data(device["enrollmentTokenData"].as_str());
    let identity = identity_of(device);
    let refusal = requirements.refusal(&identity);
    Ok(Some(DeviceReport {
        vendor_name: name,
        identity,
        enrolled_at_ms,
        profile_id,
        token_name: string(&device["enrollmentTokenName"]),
        compliant: device["policyCompliant"] == true,
        applied_configuration: applied_configuration(device),
        compliance_deadline_ms: Some(enrolled_at_ms.saturating_add(COMPLIANCE_WINDOW_MS)),
        refusal,
        attributes,
    }))
}

/// `devices.list`, every page: each device reported and its verdict carried out. Answers how
/// many were reported, or an error naming every device (or page) that failed.
pub fn sync_inventory() -> Result<u32, PluginError> {
    let enterprise = enterprise()?;
    let requirements = Requirements::from_settings(vendor::setting)?;
    let list = format!("{enterprise}/devices");
    let mut reported = 0u32;
    let mut failures: Vec<String> = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut query = vec![("pageSize", PAGE_SIZE)];
        if let Some(token) = &page_token {
            query.push(("pageToken", token.as_str()));
        }
        let page = match call_query(HttpMethod::Get, &list, &query, None) {
            Ok(page) => page,
            Err(e) => {
                failures.push(format!("devices.list: {}", text(e)));
                break;
            }
        };
        for device in page["devices"].as_array().into_iter().flatten() {
            if let Err(e) = sync_device(&enterprise, device, &requirements, &mut reported) {
                let name = device["name"].as_str().unwrap_or("a device");
                failures.push(format!("{name}: {e}"));
            }
        }
        match string(&page["nextPageToken"]) {
            Some(next) if page_token.as_deref() == Some(next.as_str()) => {
                failures.push(format!(
                    "devices.list: answered the page token {next:?} again; stopped there"
                ));
                break;
            }
            Some(next) => page_token = Some(next),
            None => break,
        }
    }
    if failures.is_empty() {
        return Ok(reported);
    }
    let mut summary = format!(
        "inventory sync: {reported} device(s) reported, {} failure(s): ",
        failures.len()
    );
    summary.push_str(
        &failures
            .iter()
            .take(FAILURES_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join("; "),
    );
    if failures.len() > FAILURES_SHOWN {
        summary.push_str(&format!("; and {} more", failures.len() - FAILURES_SHOWN));
    }
    Err(PluginError::Upstream(summary))
}

/// One listed device: reported (counted in `reported`), then its verdict carried out.
fn sync_device(
    enterprise: &str,
    device: &Value,
    requirements: &Requirements,
    reported: &mut u32,
) -> Result<(), String> {
    let Some(report) = report_of(device, requirements)? else {
        return Ok(());
    };
    let path = device_path(enterprise, &report.vendor_name).map_err(text)?;
    let verdict = inventory::report_device(&report).map_err(|e| format!("report: {}", text(e)))?;
    *reported += 1;
    act(&path, device, &verdict).map_err(text)
}

/// Carries out the host's verdict on the device at `path`.
fn act(path: &str, device: &Value, verdict: &Verdict) -> Result<(), PluginError> {
    match (&verdict.action, &verdict.configuration) {
        (DeviceAction::Reset(reason), _) => wipe(
            path,
            &[WIPE_EXTERNAL_STORAGE, PRESERVE_RESET_PROTECTION_DATA],
            Some(&reason.message),
        ),
        (DeviceAction::Keep, Some(config)) => {
            let policy = policy_path(&config.id)?;
            let current = device["policyName"].as_str().unwrap_or_default();
            if current == policy || current == config.id {
                Ok(())
            } else {
                assign(path, &policy)
            }
        }
        (DeviceAction::Keep, None) => Ok(()),
    }
}

/// The query of `devices.delete`: each flag, and the message (at most
/// [`MAX_WIPE_REASON`] characters) unless blank.
fn wipe_query(flags: &[&'static str], message: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query: Vec<(&str, String)> = flags
        .iter()
        .map(|f| ("wipeDataFlags", f.to_string()))
        .collect();
    if let Some(message) = message.map(str::trim).filter(|m| !m.is_empty()) {
        query.push((
            "wipeReasonMessage",
            message.chars().take(MAX_WIPE_REASON).collect(),
        ));
    }
    query
}

/// `devices.delete` (which wipes the device); a device Google does not have (404) is done.
fn wipe(path: &str, flags: &[&'static str], message: Option<&str>) -> Result<(), PluginError> {
    let query = wipe_query(flags, message);
    let query: Vec<(&str, &str)> = query.iter().map(|(n, v)| (*n, v.as_str())).collect();
    match send_query(HttpMethod::Delete, path, &query, None)? {
        (200..=299 | 404, _) => Ok(()),
        (status, answer) => Err(refused(path, status, &answer)),
    }
}

/// `devices.patch` of `policyName` only.
fn assign(path: &str, policy: &str) -> Result<(), PluginError> {
    call_query(
        HttpMethod::Patch,
        path,
        &[("updateMask", "policyName")],
        Some(json!({"policyName": policy})),
    )
    .map(|_| ())
}

/// `devices.issueCommand` of a command without parameters.
fn issue(path: &str, command: &str) -> Result<(), PluginError> {
    call_query(
        HttpMethod::Post,
        &format!("{path}:issueCommand"),
        &[],
        Some(json!({"type": command})),
    )
    .map(|_| ())
}

/// An administrator's command on one of the enterprise's devices.
pub fn execute(device: ManagedDevice, command: DeviceCommand) -> Result<(), PluginError> {
    let path = || device_path(&enterprise()?, &device.vendor_name);
    match command {
        DeviceCommand::Lock => issue(&path()?, "LOCK"),
        DeviceCommand::Reboot => issue(&path()?, "REBOOT"),
        DeviceCommand::Sync => {
            let path = path()?;
            let config: &Configuration = device.configuration.as_ref().ok_or_else(|| {
                PluginError::InvalidInput("no configuration applies to this device".into())
            })?;
            crate::send_policy(config.clone())?;
            assign(&path, &policy_path(&config.id)?)
        }
        DeviceCommand::Wipe(options) => {
            let path = path()?;
            let mut flags = vec![WIPE_EXTERNAL_STORAGE];
            if options.preserve_reset_protection {
                flags.push(PRESERVE_RESET_PROTECTION_DATA);
            }
            wipe(&path, &flags, options.reason.as_deref())
        }
        DeviceCommand::CancelWipe => Err(PluginError::Unsupported(
            "cancel-wipe: an AMAPI wipe (devices.delete) cannot be cancelled".into(),
        )),
        DeviceCommand::Custom((name, _)) => {
            Err(PluginError::Unsupported(format!("custom command {name}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> Value {
        json!({
            "name": "enterprises/LC01/devices/d1",
            "state": "ACTIVE",
            "enrollmentTime": "2025-01-02T03:04:05Z",
            "enrollmentTokenName": "enterprises/LC01/enrollmentTokens/tok",
            "enrollmentTokenData":
                "{\"profile\":\"p1\",\"owner\":\"u1\",\"attributes\":{\"site\":\"Lyon\",\"n\":3}}",
            "policyName": "enterprises/LC01/policies/default",
            "appliedPolicyName": "enterprises/LC01/policies/default",
            "policyCompliant": true,
            "hardwareInfo": {"serialNumber": "SN-1", "manufacturer": "Google", "model": "Pixel 8"},
            "softwareInfo": {"androidVersion": "15", "securityPatchLevel": "2025-01-05"},
            "networkInfo": {
                "imei": "490154203237518",
                "telephonyInfos": [{"imei": "356938035643809"}, {"imei": "490154203237518"}, {}],
            },
        })
    }

    fn report(device: &Value) -> DeviceReport {
        report_of(device, &Requirements::default())
            .unwrap()
            .expect("reported")
    }

    #[test]
    fn a_device_becomes_a_report() {
        let r = report(&device());
        assert_eq!(r.vendor_name, "enterprises/LC01/devices/d1");
        assert_eq!(r.identity.serial_number.as_deref(), Some("SN-1"));
        assert_eq!(r.identity.imeis, ["490154203237518", "356938035643809"]);
        assert_eq!(r.identity.manufacturer.as_deref(), Some("Google"));
        assert_eq!(r.identity.model.as_deref(), Some("Pixel 8"));
        assert_eq!(r.identity.os.as_deref(), Some("android"));
        assert_eq!(r.identity.os_version.as_deref(), Some("15"));
        assert_eq!(
            r.identity.security_patch_level.as_deref(),
            Some("2025-01-05")
        );
        assert_eq!(r.identity.device_id, None);
        assert_eq!(r.enrolled_at_ms, 1_735_787_045_000);
        assert_eq!(r.compliance_deadline_ms, Some(1_735_787_045_000 + 600_000));
        assert_eq!(r.profile_id.as_deref(), Some("p1"));
        assert_eq!(
            r.token_name.as_deref(),
            Some("enterprises/LC01/enrollmentTokens/tok")
        );
        let attributes: Vec<(&str, &str)> = r
            .attributes
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str()))
            .collect();
        assert_eq!(attributes, [("site", "Lyon")], "string attributes only");
        assert!(r.compliant);
        assert!(r.refusal.is_none());
    }

    #[test]
    fn the_applied_policy_names_a_configuration() {
        let mut d = device();
        d["appliedPolicyName"] = json!("enterprises/LC01/policies/0193-cfg");
        assert_eq!(
            report(&d).applied_configuration.as_deref(),
            Some("0193-cfg")
        );
        d["appliedPolicyName"] = json!("0193-cfg");
        assert_eq!(
            report(&d).applied_configuration.as_deref(),
            Some("0193-cfg")
        );
        d.as_object_mut().unwrap().remove("appliedPolicyName");
        assert_eq!(report(&d).applied_configuration, None);
    }

    #[test]
    fn what_a_device_leaves_out() {
        let mut d = device();
        d["policyCompliant"] = json!(false);
        assert!(!report(&d).compliant);
        for field in [
            "policyCompliant",
            "enrollmentTokenData",
            "enrollmentTokenName",
        ] {
            d.as_object_mut().unwrap().remove(field);
        }
        d["networkInfo"] = json!({});
        let r = report(&d);
        assert!(!r.compliant);
        assert_eq!(r.profile_id, None);
        assert_eq!(r.token_name, None);
        assert!(r.attributes.is_empty());
        assert!(r.identity.imeis.is_empty());
        for data in ["not json", "[1]", "{\"profile\": 7}", "\"p1\""] {
            d["enrollmentTokenData"] = json!(data);
            let r = report(&d);
            assert_eq!(r.profile_id, None, "{data}");
            assert!(r.attributes.is_empty(), "{data}");
        }
        d["state"] = json!("DELETED");
        assert!(report_of(&d, &Requirements::default()).unwrap().is_none());
        let mut d = device();
        d["enrollmentTime"] = json!("yesterday");
        assert!(report_of(&d, &Requirements::default()).is_err());
        d.as_object_mut().unwrap().remove("enrollmentTime");
        assert!(report_of(&d, &Requirements::default()).is_err());
    }

    #[test]
    fn requirements_refuse_in_the_report() {
        let requirements = Requirements::from_settings(|name| {
            (name == crate::requirements::MINIMUM_SECURITY_PATCH_LEVEL)
                .then(|| "2025-06-01".to_string())
        })
        .unwrap();
        let r = report_of(&device(), &requirements).unwrap().unwrap();
        assert_eq!(r.refusal.unwrap().code, "security-patch-too-old");
    }

    #[test]
    fn device_paths_belong_to_the_enterprise() {
        let e = "enterprises/LC01";
        assert_eq!(
            device_path(e, "enterprises/LC01/devices/3a_b-C").unwrap(),
            "enterprises/LC01/devices/3a_b-C"
        );
        for bad in [
            "enterprises/LC02/devices/d1",
            "enterprises/LC01/devices/",
            "enterprises/LC01/devices/d1/operations/1",
            "enterprises/LC01/devices/d1:issueCommand",
            "enterprises/LC01/devices/..",
            "enterprises/LC01/devices/d1?x=1",
            "enterprises/LC01/policies/d1",
            "d1",
        ] {
            assert!(
                matches!(device_path(e, bad), Err(PluginError::InvalidInput(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn wipe_queries() {
        assert_eq!(
            wipe_query(
                &[WIPE_EXTERNAL_STORAGE, PRESERVE_RESET_PROTECTION_DATA],
                Some("Enrolled with an expired token")
            ),
            [
                ("wipeDataFlags", "WIPE_EXTERNAL_STORAGE".to_string()),
                (
                    "wipeDataFlags",
                    "PRESERVE_RESET_PROTECTION_DATA".to_string()
                ),
                (
                    "wipeReasonMessage",
                    "Enrolled with an expired token".to_string()
                ),
            ]
        );
        assert_eq!(
            wipe_query(&[WIPE_EXTERNAL_STORAGE], Some("  ")),
            [("wipeDataFlags", "WIPE_EXTERNAL_STORAGE".to_string())]
        );
        let long = "é".repeat(250);
        let query = wipe_query(&[], Some(&long));
        assert_eq!(query[0].1.chars().count(), 200);
    }
}
