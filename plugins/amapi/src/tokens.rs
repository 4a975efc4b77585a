//! Enrolment tokens (SPEC E2): `enterprises.enrollmentTokens.create` and `.delete`, called
//! through the host's `vendor` capability (the host adds the tenant's service-account token;
//! this plugin never sees the credential).
//!
//! Rules: the validity is 1 to 30 days (the product's rule; Google would accept more); the
//! profile's custom attributes travel in `additionalData` (at most 1024 characters, Google's
//! limit), so they come back with every device enrolled with the token. The answer is what
//! Google returned: the token's name, value, expiry and `qrCode` (the provisioning JSON).

use corral_plugin_sdk::capabilities::http::{Request, Response};
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError, Property};
use serde::Deserialize;
use serde_json::{Value, json};

/// Google's endpoint, unless the tenant's `api-base-url` setting says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://androidmanagement.googleapis.com";
pub const ENTERPRISE_ID: &str = "enterprise-id";
pub const API_BASE_URL: &str = "api-base-url";
/// Longest `additionalData` Google accepts.
const MAX_ADDITIONAL_DATA: usize = 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateInput {
    validity_days: u32,
    /// Opaque to Google (the host puts the profile's id and attributes here).
    #[serde(default)]
    additional_data: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteInput {
    name: String,
}

/// `enterprises/{id}` from the `enterprise-id` setting (given with or without the prefix).
fn enterprise() -> Result<String, PluginError> {
    let id = vendor::setting(ENTERPRISE_ID)
        .ok_or_else(|| PluginError::Denied(format!("the setting {ENTERPRISE_ID} is not set")))?;
    let id = id.trim().trim_start_matches("enterprises/");
    if id.is_empty() || id.contains('/') {
        return Err(PluginError::Denied(format!(
            "the setting {ENTERPRISE_ID} is not an enterprise id"
        )));
    }
    Ok(format!("enterprises/{id}"))
}

fn base_url() -> String {
    vendor::setting(API_BASE_URL)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
        .trim_end_matches('/')
        .to_string()
}

fn invalid(message: impl Into<String>) -> PluginError {
    PluginError::InvalidInput(message.into())
}

/// Sends one AMAPI request with the tenant's credential and returns the answer's JSON.
pub fn call(method: HttpMethod, path: &str, body: Option<Value>) -> Result<Value, PluginError> {
    let mut headers = Vec::new();
    if body.is_some() {
        headers.push(Property {
            name: "content-type".into(),
            value: "application/json".into(),
        });
    }
    let request = Request {
        method,
        url: format!("{}/v1/{path}", base_url()),
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
    if !(200..300).contains(&status) {
        let message = answer["error"]["message"].as_str().unwrap_or("no message");
        return Err(PluginError::Upstream(format!(
            "{path}: Google answered {status}: {message}"
        )));
    }
    Ok(answer)
}

/// `create-enrollment-token`: `{validity_days, additional_data?}` → the token as Google
/// returned it (`name`, `value`, `expirationTimestamp`, `qrCode`, ...).
pub fn create(input: &str) -> Result<String, PluginError> {
    let input: CreateInput =
        serde_json::from_str(input).map_err(|e| invalid(format!("input: {e}")))?;
    if !(1..=30).contains(&input.validity_days) {
        return Err(invalid("validity_days: give 1 to 30 days"));
    }
    let mut token = json!({
        "duration": format!("{}s", u64::from(input.validity_days) * 86_400),
    });
    if let Some(data) = input.additional_data {
        if data.chars().count() > MAX_ADDITIONAL_DATA {
            return Err(invalid(format!(
                "additional_data: at most {MAX_ADDITIONAL_DATA} characters"
            )));
        }
        token["additionalData"] = Value::String(data);
    }
    let parent = enterprise()?;
    let created = call(
        HttpMethod::Post,
        &format!("{parent}/enrollmentTokens"),
        Some(token),
    )?;
    for field in ["name", "value", "expirationTimestamp", "qrCode"] {
        if !created[field].is_string() {
            return Err(PluginError::Upstream(format!(
                "enrollmentTokens.create answered without {field}"
            )));
        }
    }
    Ok(created.to_string())
}

/// `delete-enrollment-token`: `{name}` (as `create` returned it) → `{}`.
pub fn delete(input: &str) -> Result<String, PluginError> {
    let input: DeleteInput =
        serde_json::from_str(input).map_err(|e| invalid(format!("input: {e}")))?;
    let parent = enterprise()?;
    let Some(token) = input
        .name
        .strip_prefix(&format!("{parent}/enrollmentTokens/"))
        .filter(|t| !t.is_empty() && !t.contains('/'))
    else {
        return Err(invalid(format!(
            "name: expected {parent}/enrollmentTokens/<token>"
        )));
    };
    call(
        HttpMethod::Delete,
        &format!("{parent}/enrollmentTokens/{token}"),
        None,
    )?;
    Ok("{}".into())
}
