//! The resellers a tenant works with (SPEC F6): name, Knox reseller id, enabled or disabled,
//! whether their uploads are approved at once, and the profile those devices then get. Kept
//! in the plugin's `kv` (the tenant's own store): KME knows resellers only by the uploads they
//! make.
//!
//! Rules: a reseller id is unique; devices uploaded by a disabled reseller are flagged
//! ([`flag`]) and never auto-approved; a default profile must be one of KME's.

use corral_plugin_sdk::capabilities::kv;
use corral_plugin_sdk::types::{FieldError, Item, PluginError, Property};
use serde_json::{Value, json};

const KEY: &str = "resellers";

fn kv_error(e: kv::KvError) -> PluginError {
    PluginError::Internal(format!("kv: {e:?}"))
}

/// Every reseller (`{id, name, enabled, autoApprove, defaultProfile}`).
pub fn all() -> Result<Vec<Value>, PluginError> {
    match kv::get(KEY).map_err(kv_error)? {
        None => Ok(Vec::new()),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| PluginError::Internal(format!("kv {KEY}: {e}"))),
    }
}

fn save(all: &[Value]) -> Result<(), PluginError> {
    kv::set(KEY, json!(all).to_string().as_bytes()).map_err(kv_error)
}

/// The reseller a device was uploaded by (by reseller id, else by name), if the tenant knows it.
pub fn of_device<'a>(resellers: &'a [Value], device: &Value) -> Option<&'a Value> {
    let id = crate::kme::text(device, "resellerId");
    let name = crate::kme::text(device, "resellerName");
    resellers.iter().find(|r| {
        (!id.is_empty() && r["id"] == id.as_str())
            || (!name.is_empty()
                && r["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name)))
    })
}

/// Why a device is flagged, if it is: uploaded by a reseller the tenant disabled.
pub fn flag(resellers: &[Value], device: &Value) -> Option<String> {
    let r = of_device(resellers, device)?;
    (r["enabled"] == false).then(|| {
        format!(
            "uploaded by disabled reseller {}",
            r["name"].as_str().unwrap_or_default()
        )
    })
}

pub fn form(current: Option<&Value>, profile_ids: &[String]) -> Value {
    let default = |name: &str, fallback: Value| {
        current
            .map(|c| c[name].clone())
            .filter(|v| !v.is_null())
            .unwrap_or(fallback)
    };
    let mut profiles = vec![json!("")];
    profiles.extend(profile_ids.iter().map(|p| json!(p)));
    let mut properties = json!({
        "name": {"type": "string", "title": "Name", "default": default("name", json!(""))},
        "enabled": {"type": "boolean", "title": "Enabled", "default": default("enabled", json!(true))},
        "autoApprove": {"type": "boolean", "title": "Approve its uploads at once",
                        "default": default("autoApprove", json!(false))},
        "defaultProfile": {"type": "string", "title": "Profile its approved devices get (id)",
                           "enum": profiles, "default": default("defaultProfile", json!(""))},
    });
    let mut required = vec!["name"];
    if current.is_none() {
        properties["id"] = json!({"type": "string", "title": "Reseller id (Knox)"});
        required.push("id");
    }
    json!({"type": "object", "required": required, "properties": properties})
}

fn problem(path: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        path: format!("/{path}"),
        code: code.into(),
        message: message.into(),
    }
}

/// Adds (`id` None) or changes reseller `id`; answers the reseller, or the fields at fault.
pub fn save_one(
    id: Option<&str>,
    input: &Value,
    profile_ids: &[String],
) -> Result<Result<Value, Vec<FieldError>>, PluginError> {
    let mut all = all()?;
    let mut problems = Vec::new();
    let text = |name: &str| {
        input[name]
            .as_str()
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    let new_id = match id {
        Some(id) => id.to_string(),
        None => text("id"),
    };
    if id.is_none() {
        if new_id.is_empty() || new_id.len() > 64 || new_id.chars().any(char::is_whitespace) {
            problems.push(problem(
                "id",
                "invalid",
                "the reseller's Knox id (no spaces, at most 64 characters)",
            ));
        } else if all.iter().any(|r| r["id"] == new_id.as_str()) {
            problems.push(problem(
                "id",
                "duplicate",
                "this reseller is already listed",
            ));
        }
    }
    let name = text("name");
    if name.is_empty() || name.len() > 200 {
        problems.push(problem(
            "name",
            "required",
            "give the reseller's name (at most 200 characters)",
        ));
    }
    let flag = |name: &str, default: bool, problems: &mut Vec<FieldError>| match &input[name] {
        Value::Null => default,
        Value::Bool(b) => *b,
        _ => {
            problems.push(problem(name, "type", "expected true or false"));
            default
        }
    };
    let enabled = flag("enabled", true, &mut problems);
    let auto = flag("autoApprove", false, &mut problems);
    let profile = text("defaultProfile");
    if !profile.is_empty() && !profile_ids.contains(&profile) {
        problems.push(problem(
            "defaultProfile",
            "unknown",
            "not one of the KME profiles",
        ));
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let reseller = json!({"id": new_id, "name": name, "enabled": enabled, "autoApprove": auto,
                          "defaultProfile": profile});
    match all.iter_mut().find(|r| r["id"] == new_id.as_str()) {
        Some(r) => *r = reseller.clone(),
        None if id.is_none() => all.push(reseller.clone()),
        None => return Err(PluginError::InvalidInput(format!("no reseller {new_id}"))),
    }
    save(&all)?;
    Ok(Ok(reseller))
}

pub fn delete(id: &str) -> Result<(), PluginError> {
    let mut all = all()?;
    let before = all.len();
    all.retain(|r| r["id"] != id);
    if all.len() == before {
        return Err(PluginError::InvalidInput(format!("no reseller {id}")));
    }
    save(&all)
}

pub fn item(r: &Value) -> Item {
    let value = |name: &str, v: String| Property {
        name: name.into(),
        value: v,
    };
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    let values = vec![
        value("name", r["name"].as_str().unwrap_or_default().into()),
        value("id", r["id"].as_str().unwrap_or_default().into()),
        value("enabled", yes(r["enabled"] != false)),
        value("auto-approve", yes(r["autoApprove"] == true)),
        value(
            "default-profile",
            r["defaultProfile"].as_str().unwrap_or_default().into(),
        ),
    ];
    Item {
        id: r["id"].as_str().unwrap_or_default().into(),
        title: r["name"].as_str().unwrap_or_default().into(),
        details: values.clone(),
        values,
    }
}
