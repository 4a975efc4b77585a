//! Zero-touch configurations (SPEC F1): what a device shows and installs when zero-touch
//! provisions it (the EMM's DPC and its extras, the company's name and support contacts, a
//! message), kept at Google with the customer API's own field names.
//!
//! Rules (checked here before Google is asked; field errors point at the input's fields):
//! - `configurationName`, `companyName`, `contactEmail`, `contactPhone` and `dpcResourcePath`
//!   are required; the DPC is one of `customers.dpcs.list`'s;
//! - `contactEmail` is an e-mail address; `contactPhone` has numerals, spaces, `+`, `-` and
//!   parentheses only, and at least one numeral;
//! - `dpcExtras`, when given, is a JSON object (the EMM provisioning extras, passed as text);
//! - one default at a time: making one the default is Google's to switch (`isDefault` true
//!   clears the previous default there);
//! - a change sends only the changed fields (`configurations.patch` with their `updateMask`);
//! - a configuration still applied to devices is not deleted: the error says how many.

use corral_plugin_sdk::types::{FieldError, HttpMethod, Item, PluginError, Property};
use serde_json::{Map, Value, json};

use crate::customer::{Customer, call};

/// The fields an administrator edits, in the form's order: (field, title, required).
const FIELDS: [(&str, &str, bool); 8] = [
    ("configurationName", "Name", true),
    ("dpcResourcePath", "EMM DPC", true),
    ("dpcExtras", "DPC extras (JSON)", false),
    ("companyName", "Company name", true),
    ("contactEmail", "Support e-mail", true),
    ("contactPhone", "Support phone", true),
    ("customMessage", "Custom message", false),
    ("isDefault", "Default for new devices", false),
];

fn problem(field: &str, code: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        path: format!("/{field}"),
        code: code.into(),
        message: message.into(),
    }
}

/// Whether `email` looks like an address: one `@`, something before, a dotted domain after, no
/// spaces.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// Numerals, spaces, `+`, `-` and parentheses, with at least one numeral.
pub fn is_phone(phone: &str) -> bool {
    phone.chars().any(|c| c.is_ascii_digit())
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
}

/// The customer's DPCs that support zero-touch: (resource name, title).
pub fn dpcs(customer: &Customer) -> Result<Vec<(String, String)>, PluginError> {
    let answer = call(
        HttpMethod::Get,
        &format!("{}/dpcs", customer.resource()),
        &[],
        None,
    )?;
    Ok(answer["dpcs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d["name"].as_str()?.to_string();
            let title = d["dpcName"].as_str().unwrap_or(&name).to_string();
            Some((name, title))
        })
        .collect())
}

/// Checks an administrator's input: the `Configuration` fields to send, or the problems.
pub fn check(
    input: &Value,
    dpcs: &[(String, String)],
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut problems = Vec::new();
    let Some(object) = input.as_object() else {
        return Err(vec![problem("", "invalid", "expected a JSON object")]);
    };
    if let Some(unknown) = object
        .keys()
        .find(|k| !FIELDS.iter().any(|(f, _, _)| f == k))
    {
        problems.push(problem(
            unknown,
            "unknown",
            "not a field of a zero-touch configuration",
        ));
    }
    let mut out = Map::new();
    for (field, title, required) in FIELDS {
        let value = object.get(field).unwrap_or(&Value::Null);
        if field == "isDefault" {
            match value {
                Value::Null => {
                    out.insert(field.into(), json!(false));
                }
                Value::Bool(b) => {
                    out.insert(field.into(), json!(b));
                }
                _ => problems.push(problem(field, "invalid", "expected true or false")),
            }
            continue;
        }
        let text = match value {
            Value::Null => "",
            Value::String(s) => s.trim(),
            _ => {
                problems.push(problem(field, "invalid", "expected text"));
                continue;
            }
        };
        if text.is_empty() {
            if required {
                problems.push(problem(field, "required", format!("{title} is required")));
            }
            continue;
        }
        let bad = match field {
            "contactEmail" if !is_email(text) => Some("expected an e-mail address"),
            "contactPhone" if !is_phone(text) => {
                Some("use numerals, spaces, +, - and parentheses only")
            }
            "dpcExtras" if !serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()) => {
                Some("expected a JSON object, such as {\"key\": \"value\"}")
            }
            "dpcResourcePath" if !dpcs.iter().any(|(name, _)| name == text) => {
                Some("not one of the customer's DPCs supporting zero-touch")
            }
            _ if text.chars().count() > 1000 => Some("at most 1,000 characters"),
            _ => None,
        };
        match bad {
            Some(message) => problems.push(problem(field, "invalid", message)),
            None => {
                out.insert(field.into(), json!(text));
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The form: the fields with the DPCs as choices, `current`'s values as defaults.
pub fn form(dpcs: &[(String, String)], current: Option<&Value>) -> Value {
    let mut properties = Map::new();
    for (field, title, _) in FIELDS {
        let mut p = match field {
            "isDefault" => json!({"type": "boolean", "default": false}),
            "dpcResourcePath" => json!({
                "type": "string",
                "enum": dpcs.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
                "description": dpcs.iter().map(|(n, t)| format!("{t}: {n}")).collect::<Vec<_>>().join("; "),
            }),
            "contactPhone" => json!({"type": "string", "pattern": "^[0-9 +()-]+$"}),
            "contactEmail" => json!({"type": "string", "format": "email"}),
            _ => json!({"type": "string"}),
        };
        p["title"] = json!(title);
        if let Some(v) = current.and_then(|c| c.get(field)) {
            p["default"] = v.clone();
        }
        properties.insert(field.into(), p);
    }
    json!({
        "type": "object",
        "required": FIELDS.iter().filter(|f| f.2).map(|f| f.0).collect::<Vec<_>>(),
        "properties": properties,
    })
}

/// The fields of `wanted` that differ from `current` (what `updateMask` names).
pub fn changed(current: &Value, wanted: &Map<String, Value>) -> Vec<String> {
    FIELDS
        .iter()
        .map(|(f, _, _)| *f)
        .filter(|f| {
            let now = current.get(*f).filter(|v| !v.is_null() && **v != json!(""));
            let then = wanted.get(*f).filter(|v| !v.is_null());
            match (now, then) {
                // Google leaves a false `isDefault` out.
                (None, Some(v)) => *v != json!(false),
                (now, then) => now != then,
            }
        })
        .map(str::to_string)
        .collect()
}

/// A configuration as an item of the collection.
pub fn item(c: &Value) -> Item {
    let text = |f: &str| c[f].as_str().unwrap_or_default().to_string();
    let value = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    let default = if c["isDefault"].as_bool() == Some(true) {
        "yes"
    } else {
        "no"
    };
    Item {
        id: text("configurationId"),
        title: text("configurationName"),
        values: vec![
            value("name", text("configurationName")),
            value("id", text("configurationId")),
            value("company", text("companyName")),
            value("dpc", text("dpcResourcePath")),
            value("default", default.into()),
        ],
        details: FIELDS
            .iter()
            .map(|(f, title, _)| match *f {
                "isDefault" => value(title, default.into()),
                f => value(title, text(f)),
            })
            .chain([value("Resource name", text("name"))])
            .collect(),
    }
}

/// Every configuration of the customer (`configurations.list`).
pub fn list(customer: &Customer) -> Result<Vec<Value>, PluginError> {
    let answer = call(
        HttpMethod::Get,
        &format!("{}/configurations", customer.resource()),
        &[],
        None,
    )?;
    Ok(answer["configurations"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// `customers/{c}/configurations/{id}` for a numeric id.
pub fn resource(customer: &Customer, id: &str) -> Result<String, PluginError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(PluginError::InvalidInput(format!(
            "{id:?} is not a configuration id (a number)"
        )));
    }
    Ok(format!("{}/configurations/{id}", customer.resource()))
}

/// One configuration, or none when Google does not have it.
pub fn get(customer: &Customer, id: &str) -> Result<Option<Value>, PluginError> {
    let path = resource(customer, id)?;
    match crate::customer::api().send(HttpMethod::Get, &path, &[], None)? {
        (200..=299, c) => Ok(Some(c)),
        (404, _) => Ok(None),
        (status, answer) => Err(crate::customer::refusal(&path, status, &answer)),
    }
}

/// Creates a configuration (`configurations.create`).
pub fn create(customer: &Customer, fields: Map<String, Value>) -> Result<Value, PluginError> {
    call(
        HttpMethod::Post,
        &format!("{}/configurations", customer.resource()),
        &[],
        Some(Value::Object(fields)),
    )
}

/// Changes the fields that differ (`configurations.patch` with their `updateMask`).
pub fn update(current: &Value, wanted: Map<String, Value>) -> Result<Value, PluginError> {
    let mask = changed(current, &wanted);
    if mask.is_empty() {
        return Ok(current.clone());
    }
    let body: Map<String, Value> = mask
        .iter()
        .map(|f| (f.clone(), wanted.get(f).cloned().unwrap_or(json!(""))))
        .collect();
    let path = current["name"]
        .as_str()
        .ok_or_else(|| PluginError::Upstream("a configuration without its name".into()))?;
    call(
        HttpMethod::Patch,
        path,
        &[("updateMask", &mask.join(","))],
        Some(Value::Object(body)),
    )
}

/// Deletes a configuration no device has (`configurations.delete`); one applied to devices is
/// refused, saying how many.
pub fn delete(customer: &Customer, id: &str) -> Result<(), PluginError> {
    let path = resource(customer, id)?;
    let applied = crate::devices::all(customer)?
        .iter()
        .filter(|d| d["configuration"].as_str() == Some(path.as_str()))
        .count();
    if applied > 0 {
        return Err(PluginError::InvalidInput(format!(
            "the configuration {id} is applied to {applied} device{}: apply another \
             configuration, or None, to {} first",
            if applied == 1 { "" } else { "s" },
            if applied == 1 { "it" } else { "them" },
        )));
    }
    call(HttpMethod::Delete, &path, &[], None).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dpcs() -> Vec<(String, String)> {
        vec![("customers/1/dpcs/d1".into(), "Corral DPC".into())]
    }

    fn good() -> Value {
        json!({
            "configurationName": "Sales",
            "dpcResourcePath": "customers/1/dpcs/d1",
            "dpcExtras": "{\"server\": \"https://corral.example\"}",
            "companyName": "Acme",
            "contactEmail": "help@acme.example",
            "contactPhone": "+33 (1) 23-45-67-89",
            "customMessage": "Call us",
            "isDefault": true,
        })
    }

    #[test]
    fn a_good_configuration_passes_with_google_s_field_names() {
        let fields = check(&good(), &dpcs()).unwrap();
        assert_eq!(Value::Object(fields), good());
        let mut minimal = good();
        for f in ["dpcExtras", "customMessage", "isDefault"] {
            minimal.as_object_mut().unwrap().remove(f);
        }
        assert_eq!(check(&minimal, &dpcs()).unwrap()["isDefault"], false);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            ("configurationName", json!(""), "required"),
            ("contactEmail", json!("help at acme"), "invalid"),
            ("contactPhone", json!("call 555"), "invalid"),
            ("contactPhone", json!("+-()"), "invalid"),
            ("dpcExtras", json!("[1, 2]"), "invalid"),
            ("dpcExtras", json!("{oops"), "invalid"),
            (
                "dpcResourcePath",
                json!("customers/1/dpcs/other"),
                "invalid",
            ),
            ("isDefault", json!("yes"), "invalid"),
            ("colour", json!("red"), "unknown"),
        ];
        for (field, value, code) in cases {
            let mut input = good();
            input[field] = value;
            let problems = check(&input, &dpcs()).unwrap_err();
            assert_eq!(problems.len(), 1, "{field}: {problems:?}");
            assert_eq!(problems[0].path, format!("/{field}"));
            assert_eq!(problems[0].code, code);
        }
    }

    #[test]
    fn only_changed_fields_are_patched() {
        let mut current = good();
        current["configurationId"] = json!("7");
        current.as_object_mut().unwrap().remove("isDefault");
        let mut wanted = check(&good(), &dpcs()).unwrap();
        assert_eq!(changed(&current, &wanted), ["isDefault"]);
        wanted.insert("isDefault".into(), json!(false));
        wanted.insert("companyName".into(), json!("Acme SA"));
        assert_eq!(changed(&current, &wanted), ["companyName"]);
        wanted.remove("customMessage");
        assert_eq!(changed(&current, &wanted), ["companyName", "customMessage"]);
    }

    #[test]
    fn the_form_offers_the_dpcs_and_the_current_values() {
        let form = form(&dpcs(), Some(&good()));
        assert_eq!(
            form["properties"]["dpcResourcePath"]["enum"],
            json!(["customers/1/dpcs/d1"])
        );
        assert_eq!(form["properties"]["companyName"]["default"], "Acme");
        assert_eq!(form["required"].as_array().unwrap().len(), 5);
    }
}
