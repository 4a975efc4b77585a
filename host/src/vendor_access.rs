//! What a tenant gives a plugin for its vendor calls (the `vendor` capability of
//! `corral:plugin@0.2.0`): named settings the plugin reads (an enterprise id, an API base URL)
//! and one credential the runtime uses on the plugin's behalf.
//!
//! Rules:
//! - only settings the plugin declares (in its latest version's `extension-info`) are accepted,
//!   and every setting it marks required must be given;
//! - the credential is checked (a usable RSA key, an `https` token endpoint) and stored sealed
//!   with the server key, bound to its tenant and plugin; it is never returned or logged: an
//!   administrator sees its summary (type, account, token endpoint) only;
//! - every change writes a history entry (settings with their values, which are not secret;
//!   the credential by its summary).

use std::collections::BTreeMap;

use corral_plugin_runtime::api::Property;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::plugins::{hook, HookError, Plugins};
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::{now_ms, Scoped};
use crate::tenants::TenantId;

/// Longest accepted setting value.
const MAX_SETTING_BYTES: usize = 2048;

/// A plugin's settings and credential summary in a tenant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VendorAccess {
    pub settings: BTreeMap<String, String>,
    pub credential: Option<CredentialSummary>,
}

/// What an administrator may see of a stored credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CredentialSummary {
    /// `service_account` or `client_credentials`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The service account's e-mail (`service_account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_email: Option<String>,
    /// The OAuth 2 client's id (`client_credentials`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub token_uri: String,
    pub updated_at: i64,
}

/// A credential as an administrator gives it.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialInput {
    /// An OAuth 2 service account: `key` is the service-account key file as the vendor issues
    /// it (Google's JSON; fields other than the three below are ignored).
    ServiceAccount { key: ServiceAccountKey },
    /// An OAuth 2 client of the vendor (for example a Knox cloud app, or an Entra application
    /// for Exchange Online): tokens come from `token_uri` with the client credentials grant.
    ClientCredentials {
        client_id: String,
        client_secret: String,
        /// The OAuth 2 token endpoint (`https`).
        token_uri: String,
    },
}

#[derive(Deserialize, ToSchema)]
pub struct ServiceAccountKey {
    pub client_email: String,
    /// RSA private key, PEM (PKCS #8 or PKCS #1).
    pub private_key: String,
    /// The OAuth 2 token endpoint (`https`).
    pub token_uri: String,
}

/// The sealed form (JSON inside the sealed value); the kinds differ by their fields (values
/// sealed before client credentials existed are service accounts).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum StoredKey {
    ServiceAccount {
        client_email: String,
        private_key: String,
        token_uri: String,
    },
    ClientCredentials {
        client_id: String,
        client_secret: String,
        token_uri: String,
    },
}

pub(crate) fn purpose(tenant: &str, plugin_id: &str) -> String {
    format!("plugin-credential:{tenant}:{plugin_id}")
}

/// The sealing purpose of a plugin's account's credential.
pub(crate) fn account_purpose(tenant: &str, plugin_id: &str, account: &str) -> String {
    format!("plugin-account:{tenant}:{plugin_id}:{account}")
}

/// A credential a plugin hands over for one of its accounts (JSON text, the admin API's
/// form), checked as an administrator's: its kind and what is sealed, or the problems found
/// (a JSON Pointer each: `/client_secret`...).
pub(crate) fn accept_account_credential(
    json: &str,
) -> Result<(String, StoredKey), Vec<corral_plugin_runtime::api::FieldError>> {
    let problem = |path: String, message: String| {
        vec![corral_plugin_runtime::api::FieldError {
            path,
            code: "invalid".into(),
            message,
        }]
    };
    let input: CredentialInput = serde_json::from_str(json).map_err(|e| {
        problem(
            String::new(),
            format!(
                "expected {{\"type\": \"client_credentials\", \"client_id\", \"client_secret\",                  \"token_uri\"}} or {{\"type\": \"service_account\", \"key\"}}: {e}"
            ),
        )
    })?;
    match accept(input, now_ms()) {
        Ok((summary, stored)) => Ok((summary.kind, stored)),
        Err(Error::Invalid { field, message }) => Err(problem(
            format!(
                "/{}",
                field
                    .strip_prefix("credential.")
                    .unwrap_or(&field)
                    .replace('.', "/")
            ),
            message,
        )),
        Err(e) => Err(problem(String::new(), e.to_string())),
    }
}

/// The settings the latest uploaded version of the plugin declares: (name, required).
async fn declared(scoped: &mut Scoped, plugin_id: &str) -> Result<Vec<(String, bool)>, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let info: Option<String> = sqlx::query_scalar(
        "SELECT info_json FROM plugin_versions WHERE tenant_id = $1 AND plugin_id = $2 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(tenant)
    .bind(plugin_id)
    .fetch_optional(scoped.conn())
    .await?;
    let info: serde_json::Value = info
        .and_then(|i| serde_json::from_str(&i).ok())
        .unwrap_or_default();
    Ok(info["extension"]["settings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["name"].as_str()?.to_string(),
                s["required"].as_bool().unwrap_or(false),
            ))
        })
        .collect())
}

/// The plugin's settings and credential summary.
pub async fn get(scoped: &mut Scoped, plugin_id: &str) -> Result<VendorAccess, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let settings: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, value FROM plugin_settings WHERE tenant_id = $1 AND plugin_id = $2",
    )
    .bind(&tenant)
    .bind(plugin_id)
    .fetch_all(scoped.conn())
    .await?;
    let summary: Option<String> = sqlx::query_scalar(
        "SELECT summary_json FROM plugin_credentials WHERE tenant_id = $1 AND plugin_id = $2",
    )
    .bind(&tenant)
    .bind(plugin_id)
    .fetch_optional(scoped.conn())
    .await?;
    Ok(VendorAccess {
        settings: settings.into_iter().collect(),
        credential: summary.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// The active version's check of `settings` (`settings.validate-settings`, 0.4.0; older
/// versions accept any value): the first value it refuses, as a 400 naming
/// `settings.<name>`. Nothing to check while the plugin has no active version. Run before the
/// write transaction of [`set_settings`] (a plugin call is slow).
pub async fn check_with_plugin(
    plugins: &Plugins,
    tenant: &TenantId,
    plugin_id: &str,
    settings: &BTreeMap<String, String>,
) -> Result<(), HookError> {
    let installation = match plugins.active(tenant, plugin_id).await {
        Ok(installation) => installation,
        Err(Error::Conflict {
            code: "plugin_inactive",
            ..
        }) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let given: Vec<Property> = settings
        .iter()
        .map(|(name, value)| Property {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    let answer = installation.validate_settings(&given).await;
    match hook(&installation, answer)?.first() {
        Some(e) => Err(Error::invalid(format!("settings.{}", e.path), e.message.clone()).into()),
        None => Ok(()),
    }
}

/// Replaces the plugin's settings with `settings`.
pub async fn set_settings(
    scoped: &mut Scoped,
    actor: &Actor,
    plugin_id: &str,
    settings: BTreeMap<String, String>,
) -> Result<VendorAccess, Error> {
    let declared = declared(scoped, plugin_id).await?;
    let names: Vec<&str> = declared.iter().map(|(n, _)| n.as_str()).collect();
    for (name, value) in &settings {
        if !names.contains(&name.as_str()) {
            return Err(Error::invalid(
                format!("settings.{name}"),
                if names.is_empty() {
                    "the plugin declares no settings".to_string()
                } else {
                    format!(
                        "not a setting of this plugin (it has: {})",
                        names.join(", ")
                    )
                },
            ));
        }
        if value.trim().is_empty() || value.len() > MAX_SETTING_BYTES {
            return Err(Error::invalid(
                format!("settings.{name}"),
                format!("give 1 to {MAX_SETTING_BYTES} bytes"),
            ));
        }
    }
    if let Some((name, _)) = declared
        .iter()
        .find(|(name, required)| *required && !settings.contains_key(name))
    {
        return Err(Error::invalid(
            format!("settings.{name}"),
            "required by the plugin",
        ));
    }
    let before = get(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM plugin_settings WHERE tenant_id = $1 AND plugin_id = $2")
        .bind(&tenant)
        .bind(plugin_id)
        .execute(scoped.conn())
        .await?;
    let now = now_ms();
    for (name, value) in &settings {
        sqlx::query(
            "INSERT INTO plugin_settings (tenant_id, plugin_id, name, value, updated_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&tenant)
        .bind(plugin_id)
        .bind(name)
        .bind(value)
        .bind(now)
        .execute(scoped.conn())
        .await?;
    }
    let after = get(scoped, plugin_id).await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "plugin",
            plugin_id,
            "settings_changed",
            Some(&before.settings),
            Some(&after.settings),
        ),
    )
    .await?;
    Ok(after)
}

fn check_key(key: &ServiceAccountKey) -> Result<(), Error> {
    const FIELD: &str = "credential.key";
    let email = key.client_email.trim();
    if email.is_empty() || !email.contains('@') {
        return Err(Error::invalid(
            format!("{FIELD}.client_email"),
            "expected the service account's e-mail address",
        ));
    }
    let rsa = openssl::pkey::PKey::private_key_from_pem(key.private_key.as_bytes())
        .ok()
        .filter(|k| k.id() == openssl::pkey::Id::RSA);
    if rsa.is_none() {
        return Err(Error::invalid(
            format!("{FIELD}.private_key"),
            "expected an RSA private key in PEM",
        ));
    }
    check_token_uri(&format!("{FIELD}.token_uri"), &key.token_uri)
}

fn check_token_uri(field: &str, uri: &str) -> Result<(), Error> {
    match reqwest::Url::parse(uri) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(()),
        _ => Err(Error::invalid(field, "expected an https URL")),
    }
}

/// Checks a credential and splits it into what administrators see and what is sealed.
fn accept(input: CredentialInput, now: i64) -> Result<(CredentialSummary, StoredKey), Error> {
    match input {
        CredentialInput::ServiceAccount { key } => {
            check_key(&key)?;
            let client_email = key.client_email.trim().to_string();
            Ok((
                CredentialSummary {
                    kind: "service_account".into(),
                    client_email: Some(client_email.clone()),
                    client_id: None,
                    token_uri: key.token_uri.clone(),
                    updated_at: now,
                },
                StoredKey::ServiceAccount {
                    client_email,
                    private_key: key.private_key,
                    token_uri: key.token_uri,
                },
            ))
        }
        CredentialInput::ClientCredentials {
            client_id,
            client_secret,
            token_uri,
        } => {
            let client_id = client_id.trim().to_string();
            if client_id.is_empty() || client_id.len() > 512 {
                return Err(Error::invalid(
                    "credential.client_id",
                    "expected the OAuth 2 client's id (1 to 512 characters)",
                ));
            }
            if client_secret.trim().is_empty() || client_secret.len() > 4096 {
                return Err(Error::invalid(
                    "credential.client_secret",
                    "expected the OAuth 2 client's secret (at most 4096 characters)",
                ));
            }
            check_token_uri("credential.token_uri", &token_uri)?;
            Ok((
                CredentialSummary {
                    kind: "client_credentials".into(),
                    client_email: None,
                    client_id: Some(client_id.clone()),
                    token_uri: token_uri.clone(),
                    updated_at: now,
                },
                StoredKey::ClientCredentials {
                    client_id,
                    client_secret,
                    token_uri,
                },
            ))
        }
    }
}

/// Stores (or replaces) the plugin's credential, sealed.
pub async fn set_credential(
    scoped: &mut Scoped,
    secrets: &SecretBox,
    actor: &Actor,
    plugin_id: &str,
    input: CredentialInput,
) -> Result<VendorAccess, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let now = now_ms();
    let (summary, stored) = accept(input, now)?;
    let before = get(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let plaintext = serde_json::to_vec(&stored).map_err(|e| Error::Internal(e.to_string()))?;
    let sealed = secrets.seal(&purpose(&tenant, plugin_id), &plaintext);
    let summary_json =
        serde_json::to_string(&summary).map_err(|e| Error::Internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO plugin_credentials (tenant_id, plugin_id, kind, sealed, summary_json, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (tenant_id, plugin_id) DO UPDATE SET kind = $3, sealed = $4, summary_json = $5, \
         updated_at = $6",
    )
    .bind(&tenant)
    .bind(plugin_id)
    .bind(&summary.kind)
    .bind(sealed)
    .bind(summary_json)
    .bind(now)
    .execute(scoped.conn())
    .await?;
    let after = get(scoped, plugin_id).await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "plugin",
            plugin_id,
            "credential_set",
            before.credential.as_ref(),
            after.credential.as_ref(),
        ),
    )
    .await?;
    Ok(after)
}

/// Removes the plugin's credential (its vendor calls are refused until a new one is set).
pub async fn delete_credential(
    scoped: &mut Scoped,
    actor: &Actor,
    plugin_id: &str,
) -> Result<VendorAccess, Error> {
    let before = get(scoped, plugin_id).await?;
    let Some(old) = before.credential else {
        return Err(Error::NotFound("credential"));
    };
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM plugin_credentials WHERE tenant_id = $1 AND plugin_id = $2")
        .bind(tenant)
        .bind(plugin_id)
        .execute(scoped.conn())
        .await?;
    history::record(
        scoped,
        actor,
        Change::new::<_, ()>("plugin", plugin_id, "credential_deleted", Some(&old), None),
    )
    .await?;
    get(scoped, plugin_id).await
}

/// What administrators do with what a plugin is given for its vendor calls.
impl AsAdmin<'_> {
    pub async fn vendor_access(&self, plugin_id: &str) -> Result<VendorAccess, Error> {
        get(&mut self.read().await?, plugin_id).await
    }

    /// Replaces the plugin's settings, once the plugin's own check accepts them.
    pub async fn set_vendor_settings(
        &self,
        plugin_id: &str,
        settings: BTreeMap<String, String>,
    ) -> Result<VendorAccess, HookError> {
        self.require(Permission::ManagePlugins)?;
        check_with_plugin(self.services.plugins(), self.tenant(), plugin_id, &settings).await?;
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        let access = set_settings(&mut scoped, &self.actor(), plugin_id, settings).await?;
        scoped.commit().await?;
        Ok(access)
    }

    /// Checks and seals the plugin's credential (never returned).
    pub async fn set_vendor_credential(
        &self,
        plugin_id: &str,
        input: CredentialInput,
    ) -> Result<VendorAccess, Error> {
        let secrets = self.services.secrets();
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        let access = set_credential(&mut scoped, secrets, &self.actor(), plugin_id, input).await?;
        scoped.commit().await?;
        Ok(access)
    }

    pub async fn delete_vendor_credential(&self, plugin_id: &str) -> Result<VendorAccess, Error> {
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        let access = delete_credential(&mut scoped, &self.actor(), plugin_id).await?;
        scoped.commit().await?;
        Ok(access)
    }
}
