//! Sending COSU configurations as AMAPI policies (SPEC E5): `enterprises.policies.patch` with
//! the rendered `Policy` under `enterprises/{id}/policies/{configuration id}`, and
//! `enterprises.policies.delete` when the configuration is withdrawn (already gone is fine:
//! the host may repeat an event after a failure).

use corral_plugin_sdk::types::{HttpMethod, PluginError};
use serde_json::Value;

use crate::google::{call, enterprise, refused, send};

/// `enterprises/{id}/policies/{configuration id}`: the policy of a configuration.
pub(crate) fn policy_path(configuration_id: &str) -> Result<String, PluginError> {
    if configuration_id.is_empty()
        || !configuration_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(PluginError::InvalidInput(format!(
            "configuration id {configuration_id:?} cannot name a policy"
        )));
    }
    Ok(format!("{}/policies/{configuration_id}", enterprise()?))
}

/// `policies.patch`: the policy of the configuration becomes `policy`.
pub fn patch(configuration_id: &str, policy: Value) -> Result<(), PluginError> {
    call(
        HttpMethod::Patch,
        &policy_path(configuration_id)?,
        Some(policy),
    )
    .map(|_| ())
}

/// `policies.delete`; a policy Google does not have (404) counts as deleted.
pub fn delete(configuration_id: &str) -> Result<(), PluginError> {
    let path = policy_path(configuration_id)?;
    match send(HttpMethod::Delete, &path, None)? {
        (200..=299 | 404, _) => Ok(()),
        (status, answer) => Err(refused(&path, status, &answer)),
    }
}
