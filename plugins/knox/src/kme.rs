//! The Knox Mobile Enrollment API as the plugin reaches it: through the host's `vendor`
//! capability (the host adds the tenant's Knox OAuth 2.0 token, client credentials of a Knox
//! cloud app), at the base URL of the tenant's `api-base-url` setting (Samsung's by default),
//! JSON in and out.
//!
//! Rules:
//! - lists (`devices/list`, `profiles/list`) are read page by page (`pageNum` from 0) until
//!   `totalCount` items came, whatever page size the service keeps to;
//! - a device change (`unassignProfile` and the others taking `deviceIds`) succeeds per device:
//!   the answer's lists say which ids were changed, not found, or invalid ([`Changed`]), and
//!   the caller reports each row.

use corral_plugin_sdk::capabilities::http::{Request, Response};
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError, Property};
use serde_json::{Value, json};

pub const API_BASE_URL: &str = "api-base-url";
pub const DEFAULT_BASE_URL: &str = "https://api.samsungknox.com";
/// Items asked per list page (the service may answer fewer).
const PAGE_SIZE: &str = "100";
/// Device ids per change request.
pub const CHANGE_BATCH: usize = 1000;

fn base() -> String {
    vendor::setting(API_BASE_URL)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// The message of an error answer (`{"code", "message"}`), if any.
fn message(answer: &Value) -> String {
    match (answer["code"].as_str(), answer["message"].as_str()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (None, Some(message)) => message.to_string(),
        (Some(code), None) => code.to_string(),
        (None, None) => "no message".to_string(),
    }
}

/// One call: a 2xx answer's JSON, else an error naming the call and KME's message.
pub fn call(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<Value, PluginError> {
    let mut url = format!("{}{path}", base());
    if !query.is_empty() {
        url.push('?');
        url.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish(),
        );
    }
    let headers = if body.is_some() {
        vec![Property {
            name: "content-type".into(),
            value: "application/json".into(),
        }]
    } else {
        Vec::new()
    };
    let request = Request {
        method,
        url,
        headers,
        body: body.map(|b| b.to_string().into_bytes()),
    };
    let Response { status, body, .. } =
        vendor::send(&request).map_err(|e| PluginError::Upstream(format!("{path}: {e:?}")))?;
    let answer: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| PluginError::Upstream(format!("{path}: answer is not JSON: {e}")))?
    };
    match status {
        200..=299 => Ok(answer),
        404 => Err(PluginError::InvalidInput(format!(
            "{path}: Knox Mobile Enrollment has no such item ({})",
            message(&answer)
        ))),
        401 | 403 => Err(PluginError::Denied(format!(
            "{path}: Knox refused the credential ({status}: {}); check the Knox cloud app's \
             client id, secret and KME scopes",
            message(&answer)
        ))),
        _ => Err(PluginError::Upstream(format!(
            "{path}: Knox Mobile Enrollment answered {status}: {}",
            message(&answer)
        ))),
    }
}

/// Every item of a list (`list_field` of each page), page by page.
fn all(path: &str, list_field: &str, extra: &[(&str, &str)]) -> Result<Vec<Value>, PluginError> {
    let mut out: Vec<Value> = Vec::new();
    for page in 0u32.. {
        let number = page.to_string();
        let mut query = vec![("pageNum", number.as_str()), ("pageSize", PAGE_SIZE)];
        query.extend_from_slice(extra);
        let answer = call(HttpMethod::Get, path, &query, None)?;
        let items = answer[list_field].as_array().cloned().unwrap_or_default();
        let total = answer["totalCount"].as_u64().unwrap_or(0) as usize;
        let empty = items.is_empty();
        out.extend(items);
        if empty || out.len() >= total {
            break;
        }
    }
    Ok(out)
}

/// Every KME device, or those changed after `changed_after` (`30m`, `12h`, a date).
pub fn devices(changed_after: Option<&str>) -> Result<Vec<Value>, PluginError> {
    let extra: Vec<(&str, &str)> = changed_after
        .map(|c| ("changedAfter", c))
        .into_iter()
        .collect();
    all("/kcs/v1/kme/devices/list", "deviceList", &extra)
}

/// Every KME profile.
pub fn profiles() -> Result<Vec<Value>, PluginError> {
    all("/kcs/v1/kme/profiles/list", "profileList", &[])
}

pub fn profile(id: &str) -> Result<Option<Value>, PluginError> {
    Ok(profiles()?.into_iter().find(|p| text(p, "id") == id))
}

/// A string field of a KME object ("" when absent; ids may come as numbers).
pub fn text(v: &Value, field: &str) -> String {
    match &v[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// What a device change did, per device id.
#[derive(Debug, Default, PartialEq)]
pub struct Changed {
    pub success: Vec<String>,
    pub not_found: Vec<String>,
    pub invalid: Vec<String>,
}

impl Changed {
    fn of(answer: &Value) -> Changed {
        let list = |field: &str| {
            answer[field]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        };
        Changed {
            success: list("successDeviceList"),
            not_found: list("notFoundDeviceList"),
            invalid: list("invalidDeviceList"),
        }
    }
}

/// Posts a change of `ids` to `path` (in batches), with `extra` fields in each body.
pub fn change(path: &str, ids: &[String], extra: &[(&str, Value)]) -> Result<Changed, PluginError> {
    let mut all = Changed::default();
    for batch in ids.chunks(CHANGE_BATCH) {
        let mut body = json!({"deviceIds": batch});
        for (name, value) in extra {
            body[*name] = value.clone();
        }
        let changed = Changed::of(&call(HttpMethod::Post, path, &[], Some(body))?);
        all.success.extend(changed.success);
        all.not_found.extend(changed.not_found);
        all.invalid.extend(changed.invalid);
    }
    Ok(all)
}

/// Unassigns the profile of these devices (`POST /kcs/v2/kme/devices/unassignProfile`).
pub fn unassign(ids: &[String]) -> Result<Changed, PluginError> {
    change("/kcs/v2/kme/devices/unassignProfile", ids, &[])
}

/// Assigns profile `profile` to these devices.
pub fn assign(ids: &[String], profile: &str) -> Result<Changed, PluginError> {
    change(
        "/kcs/v2/kme/devices/assignProfile",
        ids,
        &[("profileId", json!(profile))],
    )
}

/// Approves these devices a reseller uploaded.
pub fn approve(ids: &[String]) -> Result<Changed, PluginError> {
    change("/kcs/v2/kme/devices/approve", ids, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_success_is_read_per_device() {
        let answer = json!({"successDeviceList": ["d1"], "notFoundDeviceList": ["R58M000000"],
                            "invalidDeviceList": ["??"]});
        assert_eq!(
            Changed::of(&answer),
            Changed {
                success: vec!["d1".into()],
                not_found: vec!["R58M000000".into()],
                invalid: vec!["??".into()],
            }
        );
        assert_eq!(Changed::of(&json!({})), Changed::default());
    }

    #[test]
    fn errors_name_the_code_and_message() {
        assert_eq!(message(&json!({"code": "X", "message": "y"})), "X: y");
        assert_eq!(message(&json!({})), "no message");
    }
}
