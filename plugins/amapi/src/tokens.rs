//! Enrolment tokens (SPEC E2): `enterprises.enrollmentTokens.create` and `.delete`, called
//! through the host's `vendor` capability (the host adds the tenant's service-account token;
//! this plugin never sees the credential).
//!
//! Rules: the validity is 1 to 30 days (the product's rule; Google would accept more); the
//! profile's custom attributes travel in `additionalData` (at most 1024 characters, Google's
//! limit), so they come back with every device enrolled with the token. The answer is what
//! Google returned: the token's name, value, expiry and `qrCode` (the provisioning JSON).

use corral_plugin_sdk::types::{HttpMethod, PluginError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::google::{call, enterprise};

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

fn invalid(message: impl Into<String>) -> PluginError {
    PluginError::InvalidInput(message.into())
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
