//! KME profiles (what an enrolling Samsung device installs: the MDM agent, its settings, the
//! support contact): listed, created, changed (every detail, `PUT /kcs/v1/kme/profiles/{id}`)
//! and deleted at Knox, with KME's own field names.
//!
//! Rules (KME's, from its 20.12 release notes, checked here first so that an administrator
//! gets the field at fault): a name; `supportPhoneNumber` and `supportEmailAddress` unless
//! `doEnabled`; with `doEnabled` or `aeEnabled`, `skipSetupWizard` true, `supportedMDM` given,
//! `allowUserCancel` false; `customData` JSON; `mdmApkUrl` an https URL.

use corral_plugin_sdk::types::{FieldError, HttpMethod, Item, PluginError, Property};
use serde_json::{Map, Value, json};

use crate::kme;

const TEXTS: [(&str, &str); 7] = [
    ("profileName", "Name"),
    ("description", "Description"),
    ("mdmApkUrl", "MDM agent URL (https)"),
    ("supportedMDM", "MDM name"),
    ("companyName", "Company name"),
    ("supportPhoneNumber", "Support phone"),
    ("supportEmailAddress", "Support e-mail"),
];
const FLAGS: [(&str, &str); 4] = [
    ("doEnabled", "Device owner (fully managed)"),
    ("aeEnabled", "Work profile (Android Enterprise PO)"),
    ("skipSetupWizard", "Skip the setup wizard"),
    ("allowUserCancel", "Let the user cancel enrolment"),
];

/// The form of a profile, with `current`'s values as defaults.
pub fn form(current: Option<&Value>) -> Value {
    let mut properties = Map::new();
    for (name, title) in TEXTS {
        let mut p = json!({"type": "string", "title": title});
        if let Some(v) = current.and_then(|c| c[name].as_str()) {
            p["default"] = json!(v);
        }
        properties.insert(name.into(), p);
    }
    for (name, title) in FLAGS {
        let default = current.and_then(|c| c[name].as_bool()).unwrap_or(false);
        properties.insert(
            name.into(),
            json!({"type": "boolean", "title": title, "default": default}),
        );
    }
    let mut data = json!({"type": "string", "title": "Custom data (JSON)"});
    if let Some(v) = current.and_then(|c| c["customData"].as_str()) {
        data["default"] = json!(v);
    }
    properties.insert("customData".into(), data);
    json!({"type": "object", "required": ["profileName"], "properties": properties})
}

fn problem(path: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        path: format!("/{path}"),
        code: code.into(),
        message: message.into(),
    }
}

/// The KME body of a profile input, or the fields at fault.
pub fn check(input: &Value) -> Result<Value, Vec<FieldError>> {
    let mut problems = Vec::new();
    let mut body = Map::new();
    let Some(fields) = input.as_object() else {
        return Err(vec![problem("", "type", "expected an object")]);
    };
    if let Some(unknown) = fields.keys().find(|k| {
        !TEXTS.iter().any(|(n, _)| n == k)
            && !FLAGS.iter().any(|(n, _)| n == k)
            && k.as_str() != "customData"
    }) {
        problems.push(problem(unknown, "unknown", "not a field of a KME profile"));
    }
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let flag = |name: &str| fields.get(name).and_then(Value::as_bool).unwrap_or(false);
    for (name, _) in TEXTS {
        match fields.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(_)) => {
                if let Some(v) = text(name) {
                    body.insert(name.into(), json!(v));
                }
            }
            Some(_) => problems.push(problem(name, "type", "expected text")),
        }
    }
    for (name, _) in FLAGS {
        match fields.get(name) {
            None | Some(Value::Null) | Some(Value::Bool(_)) => {
                body.insert(name.into(), json!(flag(name)));
            }
            Some(_) => problems.push(problem(name, "type", "expected true or false")),
        }
    }
    if text("profileName").is_none() {
        problems.push(problem(
            "profileName",
            "required",
            "give the profile a name",
        ));
    }
    if text("mdmApkUrl").is_some_and(|url| !url.starts_with("https://")) {
        problems.push(problem("mdmApkUrl", "invalid", "expected an https:// URL"));
    }
    if let Some(data) = text("customData") {
        match serde_json::from_str::<Value>(data) {
            Ok(_) => {
                body.insert("customData".into(), json!(data));
            }
            Err(e) => problems.push(problem("customData", "invalid", &format!("not JSON: {e}"))),
        }
    }
    let managed = flag("doEnabled") || flag("aeEnabled");
    if !flag("doEnabled") {
        for name in ["supportPhoneNumber", "supportEmailAddress"] {
            if text(name).is_none() {
                problems.push(problem(
                    name,
                    "required",
                    "required unless the profile is device owner",
                ));
            }
        }
    }
    let address =
        |e: &str| matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.'));
    if text("supportEmailAddress").is_some_and(|e| !address(e)) {
        problems.push(problem(
            "supportEmailAddress",
            "invalid",
            "expected an e-mail address",
        ));
    }
    if managed {
        if !flag("skipSetupWizard") {
            problems.push(problem(
                "skipSetupWizard",
                "invalid",
                "must be on for a device-owner or work-profile profile",
            ));
        }
        if text("supportedMDM").is_none() {
            problems.push(problem(
                "supportedMDM",
                "required",
                "required for a device-owner or work-profile profile",
            ));
        }
        if flag("allowUserCancel") {
            problems.push(problem(
                "allowUserCancel",
                "invalid",
                "must be off for a device-owner or work-profile profile",
            ));
        }
    }
    if problems.is_empty() {
        Ok(Value::Object(body))
    } else {
        Err(problems)
    }
}

pub fn item(p: &Value) -> Item {
    let value = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    let yes = |name: &str| {
        if p[name].as_bool() == Some(true) {
            "yes"
        } else {
            "no"
        }
    };
    Item {
        id: kme::text(p, "id"),
        title: kme::text(p, "profileName"),
        values: vec![
            value("name", kme::text(p, "profileName")),
            value("id", kme::text(p, "id")),
            value("mdm", kme::text(p, "supportedMDM")),
            value("device-owner", yes("doEnabled").into()),
        ],
        details: TEXTS
            .iter()
            .map(|(n, t)| value(t, kme::text(p, n)))
            .chain(FLAGS.iter().map(|(n, t)| value(t, yes(n).into())))
            .chain([value("Custom data", kme::text(p, "customData"))])
            .collect(),
    }
}

pub fn create(body: Value) -> Result<Value, PluginError> {
    kme::call(
        HttpMethod::Post,
        "/kcs/v1/kme/profiles/create",
        &[],
        Some(body),
    )
}

pub fn update(id: &str, body: Value) -> Result<Value, PluginError> {
    kme::call(
        HttpMethod::Put,
        &format!("/kcs/v1/kme/profiles/{id}"),
        &[],
        Some(body),
    )
}

pub fn delete(id: &str) -> Result<(), PluginError> {
    kme::call(
        HttpMethod::Delete,
        &format!("/kcs/v1/kme/profiles/{id}"),
        &[],
        None,
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_note_rules_name_the_field() {
        let paths = |input: Value| -> Vec<String> {
            check(&input)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.path)
                .collect()
        };
        assert_eq!(
            paths(json!({"doEnabled": true})),
            ["/profileName", "/skipSetupWizard", "/supportedMDM"]
        );
        assert_eq!(
            paths(json!({"profileName": "W", "supportPhoneNumber": "1"})),
            ["/supportEmailAddress"]
        );
        assert_eq!(
            paths(
                json!({"profileName": "W", "colour": "red", "doEnabled": true,
            "skipSetupWizard": true, "supportedMDM": "Corral"})
            ),
            ["/colour"]
        );
        let body = check(&json!({"profileName": " Warehouse ", "doEnabled": true,
            "skipSetupWizard": true, "supportedMDM": "Corral", "customData": "{\"a\":1}"}))
        .unwrap();
        assert_eq!(body["profileName"], "Warehouse");
        assert_eq!(body["allowUserCancel"], false);
        assert_eq!(
            paths(
                json!({"profileName": "W", "doEnabled": true, "skipSetupWizard": true,
                "supportedMDM": "C", "customData": "{"})
            ),
            ["/customData"]
        );
    }
}
