//! The `vendor` capability (`corral:plugin@0.2.0`): the settings a tenant gave a plugin and the
//! credential the runtime uses on its behalf, read for the calling plugin's tenant only. What
//! administrators do with them (the rules, sealing, history) is `vendor_access`.

use async_trait::async_trait;
use corral_plugin_runtime::{BackendError, Scope, VendorBackend, VendorCredential};

use super::reader;
use crate::secrets::SecretBox;
use crate::store::Store;
use crate::vendor_access::{purpose, StoredKey};

/// The runtime's view: settings and the opened credential of (tenant, plugin name).
pub struct DbVendor {
    pub store: Store,
    pub secrets: SecretBox,
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
        let plaintext = self
            .secrets
            .open(&purpose(&scope.tenant_id, &plugin_id), &sealed)
            .map_err(unavailable)?;
        let key: StoredKey = serde_json::from_slice(&plaintext).map_err(unavailable)?;
        Ok(Some(VendorCredential::ServiceAccount {
            client_email: key.client_email,
            private_key_pem: key.private_key,
            token_uri: key.token_uri,
        }))
    }
}
