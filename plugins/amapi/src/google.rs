//! The Android Management API as this plugin reaches it: through the host's `vendor`
//! capability (the `corral-google` crate), at the base URL of the tenant's `api-base-url`
//! setting (Google's by default; tests use a local stand-in), for the enterprise of the
//! `enterprise-id` setting.

use corral_google::Api;
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError};
use serde_json::Value;

pub use corral_google::refused;

/// Google's endpoint, unless the tenant's `api-base-url` setting says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://androidmanagement.googleapis.com";
pub const ENTERPRISE_ID: &str = "enterprise-id";
pub const API_BASE_URL: &str = "api-base-url";

/// `enterprises/{id}` from the `enterprise-id` setting (given with or without the prefix).
pub fn enterprise() -> Result<String, PluginError> {
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

fn api() -> Api {
    Api::from_setting(API_BASE_URL, DEFAULT_BASE_URL)
}

/// Sends one AMAPI request with the tenant's credential: the status and the answer's JSON.
pub fn send(
    method: HttpMethod,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), PluginError> {
    api().send(method, path, &[], body)
}

/// [`send`] with query parameters (percent-encoded there; give them plain).
pub fn send_query(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<(u16, Value), PluginError> {
    api().send(method, path, query, body)
}

/// [`send`], and a 2xx answer's JSON (else the refusal).
pub fn call(method: HttpMethod, path: &str, body: Option<Value>) -> Result<Value, PluginError> {
    api().call(method, path, &[], body)
}

/// [`send_query`], and a 2xx answer's JSON (else the refusal).
pub fn call_query(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<Value, PluginError> {
    api().call(method, path, query, body)
}
