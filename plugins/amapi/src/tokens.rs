//! Enrolment tokens (SPEC E2): `enterprises.enrollmentTokens.create` and `.delete`, called
//! through the host's `vendor` capability (the host adds the tenant's service-account token;
//! this plugin never sees the credential).
//!
//! Rules: the validity is 1 to 30 days (the product's rule; Google would accept more); the
//! profile's custom attributes travel in `additionalData` (at most 1024 characters, Google's
//! limit), so they come back with every device enrolled with the token. The answer is what
//! Google returned: the token's name, value, expiry and `qrCode` (the provisioning JSON).

use corral_plugin_sdk::types::{HttpMethod, PluginError, Token, TokenRequest};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::google::{call, enterprise, refused, send};

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
    create_at_google(input.validity_days, input.additional_data).map(|t| t.to_string())
}

/// `enrollmentTokens.create`; the answer checked for the fields the host relies on.
fn create_at_google(
    validity_days: u32,
    additional_data: Option<String>,
) -> Result<Value, PluginError> {
    if !(1..=30).contains(&validity_days) {
        return Err(invalid("validity_days: give 1 to 30 days"));
    }
    let mut token = json!({
        "duration": format!("{}s", u64::from(validity_days) * 86_400),
    });
    if let Some(data) = additional_data {
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
    Ok(created)
}

/// The token of a host enrolment profile (`enrolment-tokens.create-token`): the profile, its
/// owner and its attributes travel in `additionalData`, so each device enrolled with the token
/// brings them back.
pub fn for_profile(request: TokenRequest) -> Result<Token, PluginError> {
    let attributes: serde_json::Map<String, Value> = request
        .attributes
        .into_iter()
        .map(|p| (p.name, Value::String(p.value)))
        .collect();
    let data = json!({
        "profile": request.profile_id,
        "owner": request.owner_user_id,
        "attributes": attributes,
    })
    .to_string();
    if data.chars().count() > MAX_ADDITIONAL_DATA {
        return Err(invalid(format!(
            "attributes: with the profile and owner ids they exceed Google's \
             {MAX_ADDITIONAL_DATA} characters of additionalData"
        )));
    }
    let created = create_at_google(request.validity_days, Some(data))?;
    let expiry = created["expirationTimestamp"].as_str().unwrap_or_default();
    let expires_at_ms = chrono::DateTime::parse_from_rfc3339(expiry)
        .map_err(|e| {
            PluginError::Upstream(format!(
                "expirationTimestamp {expiry:?} is not RFC 3339: {e}"
            ))
        })?
        .timestamp_millis()
        .max(0) as u64;
    Ok(Token {
        name: created["name"].as_str().unwrap_or_default().to_string(),
        value: created["value"].as_str().unwrap_or_default().to_string(),
        expires_at_ms,
        qr_payload: created["qrCode"].as_str().map(str::to_string),
        vendor_document: created.to_string(),
    })
}

/// `enrolment-tokens.delete-token`: a token Google no longer has counts as deleted.
pub fn delete_by_name(name: &str) -> Result<(), PluginError> {
    let path = token_path(name)?;
    match send(HttpMethod::Delete, &path, None)? {
        (200..=299 | 404, _) => Ok(()),
        (status, answer) => Err(refused(&path, status, &answer)),
    }
}

fn token_path(name: &str) -> Result<String, PluginError> {
    let parent = enterprise()?;
    match name
        .strip_prefix(&format!("{parent}/enrollmentTokens/"))
        .filter(|t| !t.is_empty() && !t.contains('/'))
    {
        Some(token) => Ok(format!("{parent}/enrollmentTokens/{token}")),
        None => Err(invalid(format!(
            "name: expected {parent}/enrollmentTokens/<token>"
        ))),
    }
}

/// `delete-enrollment-token`: `{name}` (as `create` returned it) → `{}`.
pub fn delete(input: &str) -> Result<String, PluginError> {
    let input: DeleteInput =
        serde_json::from_str(input).map_err(|e| invalid(format!("input: {e}")))?;
    call(HttpMethod::Delete, &token_path(&input.name)?, None)?;
    Ok("{}".into())
}
