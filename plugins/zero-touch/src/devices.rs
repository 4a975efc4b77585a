//! The customer's devices registered for zero-touch (SPEC F2, F5): listed from
//! `customers.devices.list` (pages of up to 10,000 when reading them all, 100 for a page shown
//! to an administrator), found by IMEI or serial number, with their configuration; one device's
//! configuration applied or removed ("None"), or the device unregistered (`devices:unclaim`).
//! The inventory sync reports them to the host (`registrations`), which lists them as awaiting
//! enrolment.
//!
//! Rules:
//! - the customer API has no search: a look-up reads every page and keeps the devices whose
//!   IMEI, second IMEI, MEID or serial number (case-insensitive) is the one asked for;
//! - a dual-SIM device is registered by its lower IMEI: a look-up naming the higher one is an
//!   error saying so, with the IMEI to use.

use corral_plugin_sdk::capabilities::registrations::{self, Registration};
use corral_plugin_sdk::types::{
    ConfigurationRef, DeviceIdentity, EnrolmentChannel, HttpMethod, Item, PluginError, Property,
};
use serde_json::{Value, json};

use crate::customer::{Customer, call};

/// Devices per page when reading them all (the API's most).
pub const ALL_PAGE: &str = "10000";
/// Devices per page shown to an administrator.
pub const SHOWN_PAGE: &str = "100";

/// One page of devices and the token of the next.
pub fn page(
    customer: &Customer,
    size: &str,
    token: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), PluginError> {
    let mut query = vec![("pageSize", size)];
    if let Some(t) = token {
        query.push(("pageToken", t));
    }
    let answer = call(
        HttpMethod::Get,
        &format!("{}/devices", customer.resource()),
        &query,
        None,
    )?;
    let next = answer["nextPageToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    Ok((
        answer["devices"].as_array().cloned().unwrap_or_default(),
        next,
    ))
}

/// Every device of the customer, page by page; `each` sees each page.
pub fn each_page(
    customer: &Customer,
    mut each: impl FnMut(Vec<Value>) -> Result<(), PluginError>,
) -> Result<(), PluginError> {
    let mut token: Option<String> = None;
    loop {
        let (devices, next) = page(customer, ALL_PAGE, token.as_deref())?;
        each(devices)?;
        match next {
            Some(t) => token = Some(t),
            None => return Ok(()),
        }
    }
}

/// Every device of the customer.
pub fn all(customer: &Customer) -> Result<Vec<Value>, PluginError> {
    let mut out = Vec::new();
    each_page(customer, |page| {
        out.extend(page);
        Ok(())
    })?;
    Ok(out)
}

fn text<'a>(device: &'a Value, field: &str) -> &'a str {
    device["deviceIdentifier"][field]
        .as_str()
        .unwrap_or_default()
}

/// Digits only, for IMEIs written with spaces or dashes.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// What a look-up for `wanted` finds among `devices`: the matches, or the dual-SIM advice.
pub fn search(devices: &[Value], wanted: &str) -> Result<Vec<Value>, PluginError> {
    let wanted = wanted.trim();
    let number = digits(wanted);
    let is_number = !number.is_empty()
        && wanted
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let mut found = Vec::new();
    for d in devices {
        if is_number && text(d, "imei2") == number && !text(d, "imei").is_empty() {
            let lower = text(d, "imei").min(text(d, "imei2"));
            if lower != number {
                return Err(dual_sim_advice(&number, lower));
            }
        }
        let hit = (is_number
            && [text(d, "imei"), text(d, "imei2"), text(d, "meid")].contains(&number.as_str()))
            || (!text(d, "serialNumber").is_empty()
                && text(d, "serialNumber").eq_ignore_ascii_case(wanted));
        if hit {
            found.push(d.clone());
        }
    }
    Ok(found)
}

/// The advice for the higher IMEI of a dual-SIM device.
pub fn dual_sim_advice(higher: &str, lower: &str) -> PluginError {
    PluginError::InvalidInput(format!(
        "IMEI {higher} is the second IMEI of a dual-SIM device, which zero-touch registers by \
         its lower IMEI: use {lower}"
    ))
}

/// A device as an item: its IMEIs, serial, model, manufacturer and configuration (by name, as
/// `configurations` maps resource names to names).
pub fn item(d: &Value, configurations: &[Value]) -> Item {
    let value = |name: &str, value: &str| Property {
        name: name.into(),
        value: value.to_string(),
    };
    let configuration = d["configuration"].as_str().unwrap_or_default();
    let configuration_name = configurations
        .iter()
        .find(|c| c["name"].as_str() == Some(configuration))
        .and_then(|c| c["configurationName"].as_str())
        .unwrap_or(if configuration.is_empty() {
            "None"
        } else {
            configuration
        });
    let title = [text(d, "imei"), text(d, "serialNumber"), text(d, "meid")]
        .into_iter()
        .find(|t| !t.is_empty())
        .unwrap_or("device");
    let mut details = vec![
        value("Device id", d["deviceId"].as_str().unwrap_or_default()),
        value("Resource name", d["name"].as_str().unwrap_or_default()),
    ];
    for (field, title) in [
        ("imei", "IMEI"),
        ("imei2", "Second IMEI"),
        ("meid", "MEID"),
        ("serialNumber", "Serial number"),
        ("model", "Model"),
        ("manufacturer", "Manufacturer"),
        ("deviceType", "Device type"),
    ] {
        if !text(d, field).is_empty() {
            details.push(value(title, text(d, field)));
        }
    }
    details.push(value("Configuration", configuration_name));
    for claim in d["claims"].as_array().into_iter().flatten() {
        details.push(value(
            "Claim",
            &format!(
                "{} (reseller {})",
                claim["sectionType"].as_str().unwrap_or_default(),
                claim["resellerId"].as_str().unwrap_or("?")
            ),
        ));
    }
    Item {
        id: d["deviceId"].as_str().unwrap_or_default().to_string(),
        title: title.to_string(),
        values: vec![
            value("imei", text(d, "imei")),
            value("serial", text(d, "serialNumber")),
            value("model", text(d, "model")),
            value("manufacturer", text(d, "manufacturer")),
            value("configuration", configuration_name),
        ],
        details,
    }
}

/// `customers/{c}/devices/{id}` for a numeric id.
fn resource(customer: &Customer, id: &str) -> Result<String, PluginError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(PluginError::InvalidInput(format!(
            "{id:?} is not a device id (a number)"
        )));
    }
    Ok(format!("{}/devices/{id}", customer.resource()))
}

/// One device, or none when Google does not have it.
pub fn get(customer: &Customer, id: &str) -> Result<Option<Value>, PluginError> {
    let path = resource(customer, id)?;
    match crate::customer::api().send(HttpMethod::Get, &path, &[], None)? {
        (200..=299, d) => Ok(Some(d)),
        (404, _) => Ok(None),
        (status, answer) => Err(crate::customer::refusal(&path, status, &answer)),
    }
}

/// `devices:{verb}` for one device by its id, with `extra` fields in the body.
fn device_call(
    customer: &Customer,
    verb: &str,
    id: &str,
    extra: Option<(&str, Value)>,
) -> Result<(), PluginError> {
    resource(customer, id)?;
    let mut body = json!({"device": {"deviceId": id}});
    if let Some((field, value)) = extra {
        body[field] = value;
    }
    call(
        HttpMethod::Post,
        &format!("{}/devices:{verb}", customer.resource()),
        &[],
        Some(body),
    )
    .map(|_| ())
}

/// Applies configuration `configuration` (its id) to device `id`.
pub fn apply(customer: &Customer, id: &str, configuration: &str) -> Result<(), PluginError> {
    let configuration = crate::configurations::resource(customer, configuration)?;
    device_call(
        customer,
        "applyConfiguration",
        id,
        Some(("configuration", json!(configuration))),
    )
}

/// Removes device `id`'s configuration ("None").
pub fn remove(customer: &Customer, id: &str) -> Result<(), PluginError> {
    device_call(customer, "removeConfiguration", id, None)
}

/// Unregisters device `id` from zero-touch (`devices:unclaim`).
pub fn unclaim(customer: &Customer, id: &str) -> Result<(), PluginError> {
    device_call(customer, "unclaim", id, None)
}

/// A device as the host's inventory records a registration: at zero-touch, with its
/// configuration (named as `configurations` maps resource names to names).
pub fn registration(d: &Value, configurations: &[Value]) -> Registration {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Registration {
        vendor_name: d["name"].as_str().unwrap_or_default().to_string(),
        identity: DeviceIdentity {
            device_id: None,
            serial_number: some(text(d, "serialNumber")),
            imeis: [text(d, "imei"), text(d, "imei2")]
                .into_iter()
                .filter(|i| !i.is_empty())
                .map(str::to_string)
                .collect(),
            meid: some(text(d, "meid")),
            manufacturer: some(text(d, "manufacturer")),
            model: some(text(d, "model")),
            os: Some("android".to_string()),
            os_version: None,
            security_patch_level: None,
        },
        channel: EnrolmentChannel::ZeroTouch,
        configuration: d["configuration"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(|id| ConfigurationRef {
                id: id.to_string(),
                title: configurations
                    .iter()
                    .find(|c| c["name"].as_str() == Some(id))
                    .and_then(|c| c["configurationName"].as_str())
                    .unwrap_or(id)
                    .to_string(),
            }),
        registered_at_ms: None,
    }
}

/// Reports every Android device to the host's inventory as awaiting enrolment, then has it
/// forget those Google no longer lists. Answers how many were reported.
pub fn sync(customer: &Customer, started_ms: u64) -> Result<u32, PluginError> {
    let mut reported = 0;
    let configurations = crate::configurations::list(customer)?;
    each_page(customer, |page| {
        // The host keeps Android (and Apple) devices; Chrome OS ones are left out.
        let batch: Vec<Registration> = page
            .iter()
            .filter(|d| text(d, "deviceType") != "DEVICE_TYPE_CHROME_OS")
            .map(|d| registration(d, &configurations))
            .collect();
        if !batch.is_empty() {
            reported += registrations::record_registrations(&batch)?;
        }
        Ok(())
    })?;
    registrations::forget_registrations(started_ms)?;
    Ok(reported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, identifier: Value) -> Value {
        json!({"name": format!("customers/1/devices/{id}"), "deviceId": id,
               "deviceIdentifier": identifier})
    }

    #[test]
    fn look_ups_by_imei_or_serial_and_the_dual_sim_advice() {
        let devices = [
            device(
                "1",
                json!({"imei": "490154203237518", "imei2": "490154203237526", "manufacturer": "Google"}),
            ),
            device(
                "2",
                json!({"serialNumber": "R58M12AB", "model": "SM-G991B", "manufacturer": "samsung"}),
            ),
        ];
        assert_eq!(
            search(&devices, "49015420 3237518").unwrap()[0]["deviceId"],
            "1"
        );
        assert_eq!(search(&devices, "r58m12ab").unwrap()[0]["deviceId"], "2");
        assert!(search(&devices, "353000000000000").unwrap().is_empty());
        match search(&devices, "490154203237526") {
            Err(PluginError::InvalidInput(m)) => assert!(m.contains("use 490154203237518"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn items_name_their_configuration() {
        let mut d = device("1", json!({"imei": "490154203237518", "model": "Pixel 8"}));
        d["configuration"] = json!("customers/1/configurations/7");
        let configurations =
            [json!({"name": "customers/1/configurations/7", "configurationName": "Sales"})];
        let item = item(&d, &configurations);
        assert_eq!(item.id, "1");
        assert_eq!(item.title, "490154203237518");
        assert_eq!(item.values[4].value, "Sales");
        let bare = super::item(&device("2", json!({"serialNumber": "S"})), &[]);
        assert_eq!(bare.values[4].value, "None");
        let r = registration(&d, &configurations);
        assert_eq!(r.vendor_name, "customers/1/devices/1");
        assert_eq!(r.identity.imeis, ["490154203237518"]);
        assert_eq!(r.channel, EnrolmentChannel::ZeroTouch);
        let configuration = r.configuration.unwrap();
        assert_eq!(
            (configuration.id.as_str(), configuration.title.as_str()),
            ("customers/1/configurations/7", "Sales")
        );
        assert!(
            registration(&device("2", json!({"serialNumber": "S"})), &[])
                .configuration
                .is_none()
        );
    }
}
