//! The `vendor` capability (`corral:plugin@0.2.0`): the settings a tenant gave a plugin and the
//! credential the runtime uses on its behalf, read for the calling plugin's tenant only. What
//! administrators do with them (the rules, sealing, history) is `vendor_access`.
//!
//! Why opened credentials are kept: every vendor request reads its tenant's credential (a bulk
//! import sends a million), and opening the sealed key (decryption, JSON) cost more than the
//! rest of the request's host work. The stored row is still read each time, so a changed or
//! removed credential takes effect at once; only the opening of the same sealed value is
//! reused.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use corral_plugin_runtime::{BackendError, Scope, VendorBackend, VendorCredential};

use super::reader;
use crate::secrets::SecretBox;
use crate::store::Store;
use crate::vendor_access::{purpose, StoredKey};

/// The runtime's view: settings and the opened credential of (tenant, plugin name).
pub struct DbVendor {
    store: Store,
    secrets: SecretBox,
    /// The last credential opened per (tenant, plugin name), with the sealed value it came
    /// from.
    opened: Mutex<HashMap<(String, String), (String, VendorCredential)>>,
}

/// Opened credentials kept at most (all are dropped when full).
const MAX_OPENED: usize = 1024;

impl DbVendor {
    pub fn new(store: Store, secrets: SecretBox) -> DbVendor {
        DbVendor {
            store,
            secrets,
            opened: Mutex::default(),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> BackendError {
    tracing::warn!(error = %e, "plugin vendor backend unavailable");
    BackendError::Unavailable("vendor settings unavailable".into())
}

#[async_trait]
impl VendorBackend for DbVendor {
    async fn setting(&self, scope: &Scope, name: &str) -> Result<Option<String>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        sqlx::query_scalar(
            "SELECT s.value FROM plugin_settings s JOIN plugins p ON p.id = s.plugin_id \
             WHERE s.tenant_id = $1 AND p.tenant_id = $1 AND p.name = $2 AND s.name = $3",
        )
        .bind(tenant)
        .bind(&scope.plugin_id)
        .bind(name)
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)
    }

    async fn credential(&self, scope: &Scope) -> Result<Option<VendorCredential>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT c.plugin_id, c.sealed FROM plugin_credentials c JOIN plugins p ON p.id = c.plugin_id \
             WHERE c.tenant_id = $1 AND p.tenant_id = $1 AND p.name = $2",
        )
        .bind(tenant)
        .bind(&scope.plugin_id)
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)?;
        let Some((plugin_id, sealed)) = row else {
            return Ok(None);
        };
        let at = (scope.tenant_id.clone(), scope.plugin_id.clone());
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((was, credential)) = opened.get(&at) {
            if *was == sealed {
                return Ok(Some(credential.clone()));
            }
        }
        let plaintext = self
            .secrets
            .open(&purpose(&scope.tenant_id, &plugin_id), &sealed)
            .map_err(unavailable)?;
        let key: StoredKey = serde_json::from_slice(&plaintext).map_err(unavailable)?;
        let credential = match key {
            StoredKey::ServiceAccount {
                client_email,
                private_key,
                token_uri,
            } => VendorCredential::ServiceAccount {
                client_email,
                private_key_pem: private_key,
                token_uri,
            },
            StoredKey::ClientCredentials {
                client_id,
                client_secret,
                token_uri,
            } => VendorCredential::ClientCredentials {
                client_id,
                client_secret,
                token_uri,
            },
        };
        if opened.len() >= MAX_OPENED {
            opened.clear();
        }
        opened.insert(at, (sealed, credential.clone()));
        Ok(Some(credential))
    }
}
