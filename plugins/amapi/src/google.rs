//! The Android Management API as this plugin reaches it: through the host's `vendor`
//! capability (the host adds the tenant's service-account token), at the base URL of the
//! tenant's `api-base-url` setting (Google's by default; tests use a local stand-in), for the
//! enterprise of the `enterprise-id` setting. Query parameters are given plain and
//! percent-encoded here ([`query_string`]).

use corral_plugin_sdk::capabilities::http::{Request, Response};
use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::{HttpMethod, PluginError, Property};
use serde_json::{Value, json};

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

fn base_url() -> String {
    vendor::setting(API_BASE_URL)
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
        .trim_end_matches('/')
        .to_string()
}

/// Sends one AMAPI request with the tenant's credential: the status and the answer's JSON.
pub fn send(
    method: HttpMethod,
    path: &str,
    body: Option<Value>,
) -> Result<(u16, Value), PluginError> {
    send_query(method, path, &[], body)
}

/// `name=value&...` in the order given, encoded as `application/x-www-form-urlencoded`
/// (`form_urlencoded`, the `url` crate's); a name may come more than once (repeated parameters
/// such as `wipeDataFlags`).
pub fn query_string(query: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish()
}

/// [`send`] with query parameters (percent-encoded here; give them plain).
pub fn send_query(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<(u16, Value), PluginError> {
    let mut headers = Vec::new();
    if body.is_some() {
        headers.push(Property {
            name: "content-type".into(),
            value: "application/json".into(),
        });
    }
    let mut url = format!("{}/v1/{path}", base_url());
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query_string(query));
    }
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
    Ok((status, answer))
}

/// The refusal an administrator reads for a non-2xx answer.
pub fn refused(path: &str, status: u16, answer: &Value) -> PluginError {
    let message = answer["error"]["message"].as_str().unwrap_or("no message");
    PluginError::Upstream(format!("{path}: Google answered {status}: {message}"))
}

/// [`send`], and a 2xx answer's JSON (else the refusal).
pub fn call(method: HttpMethod, path: &str, body: Option<Value>) -> Result<Value, PluginError> {
    call_query(method, path, &[], body)
}

/// [`send_query`], and a 2xx answer's JSON (else the refusal).
pub fn call_query(
    method: HttpMethod,
    path: &str,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Result<Value, PluginError> {
    match send_query(method, path, query, body)? {
        (200..=299, answer) => Ok(answer),
        (status, answer) => Err(refused(path, status, &answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::query_string;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_string(&[]), "");
        assert_eq!(
            query_string(&[("pageToken", "a+b/c=="), ("pageSize", "100")]),
            "pageToken=a%2Bb%2Fc%3D%3D&pageSize=100"
        );
        assert_eq!(
            query_string(&[
                ("wipeDataFlags", "WIPE_EXTERNAL_STORAGE"),
                ("wipeDataFlags", "PRESERVE_RESET_PROTECTION_DATA"),
                ("wipeReasonMessage", "Not compliant: é & co~"),
            ]),
            "wipeDataFlags=WIPE_EXTERNAL_STORAGE&wipeDataFlags=PRESERVE_RESET_PROTECTION_DATA\
             &wipeReasonMessage=Not+compliant%3A+%C3%A9+%26+co%7E"
        );
    }
}
