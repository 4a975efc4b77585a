//! The zero-touch customer API (`androiddeviceprovisioning.googleapis.com`, customer methods)
//! inside the Google stand-in ([`crate::google`], which checks every request against the
//! discovery document first: methods, paths, query parameters, body fields and enums, and the
//! OAuth scope `androidworkzerotouchemm`). This module keeps the customers' state and the rules
//! the document states in prose, as Google enforces them:
//!
//! - `customers.list` takes a `pageSize` from 1 to 100 ("Required"), and only page tokens the
//!   stand-in issued (as `devices.list`);
//! - a configuration is created with every field the document marks "Required"
//!   (`companyName`, `configurationName`, `contactEmail`, `contactPhone`, `dpcResourcePath`,
//!   `isDefault`) and without the output-only ones (`configurationId`, `name`); its
//!   `contactPhone` has "numerals, spaces, the plus sign, hyphens, and parentheses" only, its
//!   `contactEmail` is an address, its `dpcExtras` JSON, its `dpcResourcePath` one of the
//!   customer's `customers/[CUSTOMER_ID]/dpcs/*`;
//! - `configurations.patch` names an `updateMask` ("Required") of settable fields; the
//!   configuration it leaves must keep the rules above;
//! - a device reference names a `deviceId` or a `deviceIdentifier` (not both), an identifier an
//!   IMEI ("Validated on input": 15 digits, Luhn) or a serial number with its model; a
//!   configuration is named `customers/[CUSTOMER_ID]/configurations/[CONFIGURATION_ID]` of the
//!   same customer.
//!
//! Departures are violations (400, recorded). Legitimate answers that are errors: a customer
//! that has not accepted the terms of service gets 403 with a `TosError` detail on every call
//! under `customers/{id}`; an unknown device or configuration 404; deleting a configuration
//! devices still have 400 `FAILED_PRECONDITION`; and the failures a test queued
//! ([`Provisioning::fail_next`], e.g. 429 or 503) come before the next apply or unclaim.
//!
//! "One default at a time" is Google's: making a configuration the default clears the
//! previous one.

use std::collections::VecDeque;

use serde_json::{json, Value};

use crate::google::{google_error, page_after, page_token, param, Answer};

/// Customers and devices per list page at most: small, so that clients must follow the pages.
const PAGE: usize = 2;
const ACCEPTED: &str = "TERMS_STATUS_ACCEPTED";
/// Fields a client may set on a `Configuration`.
const SETTABLE: [&str; 9] = [
    "companyName",
    "configurationName",
    "contactEmail",
    "contactPhone",
    "customMessage",
    "dpcExtras",
    "dpcResourcePath",
    "forcedResetTime",
    "isDefault",
];
const REQUIRED: [&str; 6] = [
    "companyName",
    "configurationName",
    "contactEmail",
    "contactPhone",
    "dpcResourcePath",
    "isDefault",
];

/// What the customer API holds.
#[derive(Default)]
pub struct Provisioning {
    customers: Vec<Value>,
    dpcs: Vec<Value>,
    configurations: Vec<Value>,
    /// Each `Device` with the number it was added under (page tokens count on it).
    devices: Vec<(u64, Value)>,
    added: u64,
    /// The body of every apply, removal and unclaim that succeeded, in order.
    done: Vec<(String, Value)>,
    /// Statuses to answer the next applies and unclaims with, first first.
    failures: VecDeque<u16>,
    /// Bulk mode ([`Provisioning::accept_any_device`]): every valid identifier names a device
    /// of the customer; successful applies and unclaims are only counted, per identifier.
    any_device: bool,
    counted: std::collections::HashMap<String, u32>,
}

/// Whether `imei` is 15 digits with a valid Luhn check digit.
pub fn is_imei(imei: &str) -> bool {
    imei.len() == 15
        && imei.bytes().all(|b| b.is_ascii_digit())
        && imei
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 {
                    let t = d * 2;
                    if t > 9 {
                        t - 9
                    } else {
                        t
                    }
                } else {
                    d
                }
            })
            .sum::<u32>()
            % 10
            == 0
}

fn is_email(s: &str) -> bool {
    matches!(s.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.contains('@'))
        && !s.contains(char::is_whitespace)
}

fn is_phone(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
}

/// The customer id of a path under `v1/customers/{id}`.
fn customer_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v1/customers/")?;
    Some(rest.split(['/', ':']).next().unwrap_or(rest))
}

fn tos_error() -> Answer {
    let (status, mut body) = google_error(
        403,
        "The caller has not accepted the latest Terms of Service for zero-touch enrollment.",
    );
    body["error"]["details"] = json!([{
        "@type": "type.googleapis.com/google.android.device.provisioning.v1.TosError"
    }]);
    (status, body)
}

impl Provisioning {
    /// Adds a customer account (`Company`) named `name`, its terms in `terms_status`, with one
    /// DPC (`customers/{id}/dpcs/corral`).
    pub fn add_customer(&mut self, id: &str, name: &str, terms_status: &str) {
        self.customers.push(json!({
            "name": format!("customers/{id}"),
            "companyId": id,
            "companyName": name,
            "termsStatus": terms_status,
            "ownerEmails": ["owner@acme.example"],
            "adminEmails": ["corral@acme.example"],
        }));
        self.dpcs.push(json!({
            "name": format!("customers/{id}/dpcs/corral"),
            "dpcName": "Corral Device Policy",
            "packageName": "com.example.corral.dpc",
        }));
    }

    /// Changes a customer's terms status.
    pub fn set_terms(&mut self, id: &str, terms_status: &str) {
        for c in self.customers.iter_mut().filter(|c| c["companyId"] == id) {
            c["termsStatus"] = json!(terms_status);
        }
    }

    /// Registers a device for zero-touch with customer `customer` (as a reseller would):
    /// answers its `deviceId`.
    pub fn add_device(&mut self, customer: &str, identifier: Value) -> String {
        self.added += 1;
        let id = format!("{}", 900_000 + self.added);
        let device = json!({
            "name": format!("customers/{customer}/devices/{id}"),
            "deviceId": id,
            "deviceIdentifier": identifier,
            "claims": [{"sectionType": "SECTION_TYPE_ZERO_TOUCH", "ownerCompanyId": customer, "resellerId": "100"}],
        });
        self.devices.push((self.added, device));
        id
    }

    pub fn devices(&self) -> Vec<Value> {
        self.devices.iter().map(|(_, d)| d.clone()).collect()
    }

    pub fn configurations(&self) -> Vec<Value> {
        self.configurations.clone()
    }

    /// Every apply, removal and unclaim that succeeded: (method, body), in order.
    pub fn done(&self) -> Vec<(String, Value)> {
        self.done.clone()
    }

    /// Bulk mode, for files of a million rows: every device identifier the rules allow names a
    /// device of the customer, and each apply or unclaim that succeeds is only counted per
    /// identifier ([`Provisioning::counted`]), not kept.
    pub fn accept_any_device(&mut self) {
        self.any_device = true;
    }

    /// Whether bulk mode is on.
    pub fn bulk(&self) -> bool {
        self.any_device
    }

    /// In bulk mode: how many times each identifier (IMEI, or serial/model) was applied or
    /// unclaimed with success.
    pub fn counted(&self) -> &std::collections::HashMap<String, u32> {
        &self.counted
    }

    /// Answers the next applies or unclaims with these statuses, in order.
    pub fn fail_next(&mut self, statuses: &[u16]) {
        self.failures.extend(statuses);
    }

    /// The rules of method `id` (`androiddeviceprovisioning.customers...`) stated in prose.
    pub fn rules(
        &self,
        id: &str,
        path: &str,
        query: &[(String, String)],
        body: &Value,
    ) -> Result<(), String> {
        let customer = customer_of(path).unwrap_or_default();
        match id.trim_start_matches("androiddeviceprovisioning.customers") {
            "" | ".list" => {
                match param(query, "pageSize").and_then(|s| s.parse::<i64>().ok()) {
                    Some(1..=100) => {}
                    other => {
                        return Err(format!(
                            "customers.list pageSize must be 1 to 100, not {other:?}"
                        ))
                    }
                }
                page_token_rule(query)
            }
            ".devices.list" => page_token_rule(query),
            ".configurations.create" => {
                if let Some(f) = ["configurationId", "name"]
                    .iter()
                    .find(|f| body.get(**f).is_some())
                {
                    return Err(format!("{f} is output only"));
                }
                if let Some(f) = REQUIRED.iter().find(|f| body.get(**f).is_none()) {
                    return Err(format!("{f} is required"));
                }
                self.configuration_rules(customer, body)
            }
            ".configurations.patch" => {
                let Some(mask) = param(query, "updateMask").filter(|m| !m.is_empty()) else {
                    return Err("configurations.patch needs its updateMask".into());
                };
                if let Some(bad) = mask.split(',').find(|f| !SETTABLE.contains(f)) {
                    return Err(format!(
                        "updateMask: {bad:?} is not a settable field of Configuration"
                    ));
                }
                let Some(mut after) = self.configuration(path.trim_start_matches("/v1/")) else {
                    return Ok(()); // 404, Google's answer
                };
                for f in mask.split(',') {
                    match body.get(f) {
                        Some(v) => after[f] = v.clone(),
                        None => {
                            after.as_object_mut().unwrap().remove(f);
                        }
                    }
                }
                self.configuration_rules(customer, &after)
            }
            ".devices.applyConfiguration" => {
                let configuration = body["configuration"].as_str().unwrap_or_default();
                let prefix = format!("customers/{customer}/configurations/");
                match configuration.strip_prefix(&prefix) {
                    Some(id) if !id.is_empty() && !id.contains('/') => {
                        device_rules(&body["device"])
                    }
                    _ => Err(format!(
                        "configuration {configuration:?} is not one of {prefix}*"
                    )),
                }
            }
            ".devices.removeConfiguration" | ".devices.unclaim" => device_rules(&body["device"]),
            _ => Ok(()),
        }
    }

    fn configuration_rules(&self, customer: &str, c: &Value) -> Result<(), String> {
        for f in REQUIRED.iter().filter(|f| **f != "isDefault") {
            if c[*f].as_str().is_none_or(str::is_empty) {
                return Err(format!("{f} is required"));
            }
        }
        let text = |f: &str| c[f].as_str().unwrap_or_default();
        if !is_email(text("contactEmail")) {
            return Err(format!(
                "contactEmail {:?} is not an e-mail address",
                text("contactEmail")
            ));
        }
        if !is_phone(text("contactPhone")) {
            return Err(format!(
                "contactPhone {:?}: numerals, spaces, +, - and parentheses only",
                text("contactPhone")
            ));
        }
        if let Some(extras) = c["dpcExtras"].as_str() {
            if serde_json::from_str::<Value>(extras).is_err() {
                return Err("dpcExtras is not JSON".into());
            }
        }
        let dpc = text("dpcResourcePath");
        if !dpc.starts_with(&format!("customers/{customer}/dpcs/"))
            || !self.dpcs.iter().any(|d| d["name"] == dpc)
        {
            return Err(format!(
                "dpcResourcePath {dpc:?} is not one of the customer's DPCs"
            ));
        }
        Ok(())
    }

    fn configuration(&self, name: &str) -> Option<Value> {
        self.configurations
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
    }

    /// The device a reference names, among `customer`'s.
    fn find(&self, customer: &str, reference: &Value) -> Option<usize> {
        let prefix = format!("customers/{customer}/devices/");
        self.devices.iter().position(|(_, d)| {
            d["name"].as_str().is_some_and(|n| n.starts_with(&prefix))
                && match (reference.get("deviceId"), reference.get("deviceIdentifier")) {
                    (Some(id), _) => d["deviceId"] == *id,
                    (_, Some(i)) => {
                        let known = &d["deviceIdentifier"];
                        match i["imei"].as_str() {
                            Some(imei) => known["imei"] == imei,
                            None => {
                                known["serialNumber"] == i["serialNumber"]
                                    && known["model"] == i["model"]
                            }
                        }
                    }
                    _ => false,
                }
        })
    }

    /// What the API answers to an accepted request.
    pub fn result(
        &mut self,
        id: &str,
        path: &str,
        query: &[(String, String)],
        body: &Value,
    ) -> Result<Value, Answer> {
        let resource = path.trim_start_matches("/v1/");
        let method = id.trim_start_matches("androiddeviceprovisioning.customers");
        if method == ".list" {
            return Ok(page(
                &self
                    .customers
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, c)| (i as u64 + 1, c))
                    .collect::<Vec<_>>(),
                query,
                "customers",
            ));
        }
        let customer = customer_of(path).unwrap_or_default().to_string();
        match self
            .customers
            .iter()
            .find(|c| c["companyId"] == customer.as_str())
        {
            None => return Err(google_error(403, "The caller does not have permission")),
            Some(c) if c["termsStatus"] != ACCEPTED => return Err(tos_error()),
            Some(_) => {}
        }
        let not_found = || google_error(404, "Requested entity was not found.");
        Ok(match method {
            ".dpcs.list" => {
                let prefix = format!("customers/{customer}/dpcs/");
                json!({"dpcs": self.dpcs.iter().filter(|d| d["name"].as_str().is_some_and(|n| n.starts_with(&prefix))).collect::<Vec<_>>()})
            }
            ".configurations.list" => {
                let prefix = format!("customers/{customer}/configurations/");
                let mine: Vec<&Value> = self
                    .configurations
                    .iter()
                    .filter(|c| c["name"].as_str().is_some_and(|n| n.starts_with(&prefix)))
                    .collect();
                if mine.is_empty() {
                    json!({})
                } else {
                    json!({"configurations": mine})
                }
            }
            ".configurations.get" => self.configuration(resource).ok_or_else(not_found)?,
            ".configurations.create" => {
                self.added += 1;
                let id = format!("{}", 500 + self.added);
                let mut c = body.clone();
                c["configurationId"] = json!(id);
                c["name"] = json!(format!("{resource}/{id}"));
                self.make_default_if(&c);
                self.configurations.push(c.clone());
                c
            }
            ".configurations.patch" => {
                let mut c = self.configuration(resource).ok_or_else(not_found)?;
                for f in param(query, "updateMask").unwrap_or_default().split(',') {
                    match body.get(f) {
                        Some(v) => c[f] = v.clone(),
                        None => {
                            c.as_object_mut().unwrap().remove(f);
                        }
                    }
                }
                self.make_default_if(&c);
                for stored in self
                    .configurations
                    .iter_mut()
                    .filter(|s| s["name"] == resource)
                {
                    *stored = c.clone();
                }
                c
            }
            ".configurations.delete" => {
                self.configuration(resource).ok_or_else(not_found)?;
                let applied = self
                    .devices
                    .iter()
                    .filter(|(_, d)| d["configuration"] == resource)
                    .count();
                if applied > 0 {
                    let (_, mut e) = google_error(
                        400,
                        "The configuration is applied to devices and cannot be deleted.",
                    );
                    e["error"]["status"] = json!("FAILED_PRECONDITION");
                    return Err((400, e));
                }
                self.configurations.retain(|c| c["name"] != resource);
                json!({})
            }
            ".devices.list" => {
                let prefix = format!("customers/{customer}/devices/");
                let mine: Vec<(u64, Value)> = self
                    .devices
                    .iter()
                    .filter(|(_, d)| d["name"].as_str().is_some_and(|n| n.starts_with(&prefix)))
                    .cloned()
                    .collect();
                page(&mine, query, "devices")
            }
            ".devices.get" => self
                .devices
                .iter()
                .find(|(_, d)| d["name"] == resource)
                .map(|(_, d)| d.clone())
                .ok_or_else(not_found)?,
            verb @ (".devices.applyConfiguration"
            | ".devices.removeConfiguration"
            | ".devices.unclaim") => {
                if let Some(status) = self.failures.pop_front() {
                    let (_, mut e) = google_error(
                        status,
                        "Quota exceeded or backend unavailable; retry later.",
                    );
                    e["error"]["status"] = json!(if status == 429 {
                        "RESOURCE_EXHAUSTED"
                    } else {
                        "UNAVAILABLE"
                    });
                    return Err((status, e));
                }
                if self.any_device {
                    if verb == ".devices.applyConfiguration" {
                        let configuration = body["configuration"].as_str().unwrap_or_default();
                        self.configuration(configuration).ok_or_else(not_found)?;
                    }
                    let i = &body["device"]["deviceIdentifier"];
                    let key = match i["imei"].as_str() {
                        Some(imei) => imei.to_string(),
                        None => format!(
                            "{}/{}",
                            i["serialNumber"].as_str().unwrap_or_default(),
                            i["model"].as_str().unwrap_or_default()
                        ),
                    };
                    *self.counted.entry(key).or_default() += 1;
                    return Ok(json!({}));
                }
                let at = self
                    .find(&customer, &body["device"])
                    .ok_or_else(not_found)?;
                match verb {
                    ".devices.applyConfiguration" => {
                        let configuration = body["configuration"].as_str().unwrap_or_default();
                        self.configuration(configuration).ok_or_else(not_found)?;
                        self.devices[at].1["configuration"] = json!(configuration);
                    }
                    ".devices.removeConfiguration" => {
                        self.devices[at]
                            .1
                            .as_object_mut()
                            .unwrap()
                            .remove("configuration");
                    }
                    _ => {
                        self.devices.remove(at);
                    }
                }
                self.done.push((
                    verb.trim_start_matches(".devices.").to_string(),
                    body.clone(),
                ));
                json!({})
            }
            _ => json!({}),
        })
    }

    fn make_default_if(&mut self, c: &Value) {
        if c["isDefault"] == true {
            let customer = c["name"]
                .as_str()
                .unwrap_or_default()
                .split("/configurations/")
                .next()
                .unwrap_or_default()
                .to_string();
            for other in self
                .configurations
                .iter_mut()
                .filter(|o| o["name"].as_str().is_some_and(|n| n.starts_with(&customer)))
            {
                other["isDefault"] = json!(false);
            }
        }
    }
}

fn page_token_rule(query: &[(String, String)]) -> Result<(), String> {
    match param(query, "pageToken") {
        Some(token) if !token.is_empty() && page_after(token).is_none() => Err(format!(
            "pageToken {token:?} is not one this stand-in issued"
        )),
        _ => Ok(()),
    }
}

fn device_rules(reference: &Value) -> Result<(), String> {
    match (reference.get("deviceId"), reference.get("deviceIdentifier")) {
        (Some(_), Some(_)) => {
            Err("a DeviceReference names a deviceId or a deviceIdentifier, not both".into())
        }
        (None, None) => Err("a DeviceReference needs a deviceId or a deviceIdentifier".into()),
        (Some(id), None) => match id.as_str() {
            Some(id) if !id.is_empty() => Ok(()),
            _ => Err("an empty deviceId".into()),
        },
        (None, Some(i)) => match (i["imei"].as_str(), i["serialNumber"].as_str()) {
            (Some(imei), _) if !is_imei(imei) => Err(format!("imei {imei:?} is not a valid IMEI")),
            (Some(_), _) => Ok(()),
            (None, Some(s))
                if !s.is_empty() && i["model"].as_str().is_some_and(|m| !m.is_empty()) =>
            {
                Ok(())
            }
            _ => Err(format!(
                "a deviceIdentifier needs an IMEI or a serial number with its model: {i}"
            )),
        },
    }
}

/// A page of `items` after the query's page token, at most [`PAGE`] (or `pageSize` when
/// smaller), under `field`, with a `nextPageToken` when more follow.
fn page(items: &[(u64, Value)], query: &[(String, String)], field: &str) -> Value {
    let after = param(query, "pageToken").and_then(page_after).unwrap_or(0);
    let size = param(query, "pageSize")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&s| s > 0)
        .map_or(PAGE, |s| s.min(PAGE));
    let mut rest = items.iter().filter(|(n, _)| *n > after);
    let taken: Vec<&(u64, Value)> = rest.by_ref().take(size).collect();
    let mut answer = json!({});
    if !taken.is_empty() {
        answer[field] = taken.iter().map(|(_, v)| v.clone()).collect();
    }
    if let (Some((last, _)), Some(_)) = (taken.last(), rest.next()) {
        answer["nextPageToken"] = json!(page_token(*last));
    }
    answer
}
