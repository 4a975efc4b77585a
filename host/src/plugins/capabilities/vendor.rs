//! The `vendor` capability (`corral:plugin@0.2.0`, `@0.7.0`): the settings a tenant gave a plugin
//! and the credential the runtime uses on its behalf (the tenant's, or one the plugin keeps for
//! a named account: checked as an administrator's, sealed, never handed back), for the calling
//! plugin's tenant only. What
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

use super::{reader, writer};
use crate::secrets::SecretBox;
use crate::store::{now_ms, Store};
use crate::vendor_access::{accept_account_credential, account_purpose, purpose, StoredKey};
use corral_plugin_runtime::api::FieldError;

/// The runtime's view: settings and the opened credential of (tenant, plugin name).
pub struct DbVendor {
    store: Store,
    secrets: SecretBox,
    /// The last credential opened per (tenant, plugin name, account; "" for the tenant's), with
    /// the sealed value it came from.
    opened: Mutex<HashMap<Opened, (String, VendorCredential)>>,
}

/// (tenant, plugin name, account; "" for the tenant's credential).
type Opened = (String, String, String);

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
        self.open(scope, "", &purpose(&scope.tenant_id, &plugin_id), sealed)
            .map(Some)
    }

    async fn account_credential(
        &self,
        scope: &Scope,
        account: &str,
    ) -> Result<Option<VendorCredential>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT c.plugin_id, c.sealed FROM plugin_account_credentials c \
             JOIN plugins p ON p.id = c.plugin_id \
             WHERE c.tenant_id = $1 AND p.tenant_id = $1 AND p.name = $2 AND c.account = $3",
        )
        .bind(tenant)
        .bind(&scope.plugin_id)
        .bind(account)
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)?;
        let Some((plugin_id, sealed)) = row else {
            return Ok(None);
        };
        let purpose = account_purpose(&scope.tenant_id, &plugin_id, account);
        self.open(scope, account, &purpose, sealed).map(Some)
    }

    async fn keep_account_credential(
        &self,
        scope: &Scope,
        account: &str,
        credential: &str,
    ) -> Result<Result<(), Vec<FieldError>>, BackendError> {
        let (kind, stored) = match accept_account_credential(credential) {
            Ok(accepted) => accepted,
            Err(problems) => return Ok(Err(problems)),
        };
        let mut writer = writer(&self.store, scope).await?;
        let tenant = writer.tenant().as_str().to_string();
        let plugin_id: String =
            sqlx::query_scalar("SELECT id FROM plugins WHERE tenant_id = $1 AND name = $2")
                .bind(&tenant)
                .bind(&scope.plugin_id)
                .fetch_one(writer.conn())
                .await
                .map_err(unavailable)?;
        let plaintext = serde_json::to_vec(&stored).map_err(unavailable)?;
        let sealed = self
            .secrets
            .seal(&account_purpose(&tenant, &plugin_id, account), &plaintext);
        sqlx::query(
            "INSERT INTO plugin_account_credentials \
             (tenant_id, plugin_id, account, kind, sealed, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, plugin_id, account) \
             DO UPDATE SET kind = $4, sealed = $5, updated_at = $6",
        )
        .bind(&tenant)
        .bind(&plugin_id)
        .bind(account)
        .bind(kind)
        .bind(sealed)
        .bind(now_ms())
        .execute(writer.conn())
        .await
        .map_err(unavailable)?;
        writer.commit().await.map_err(unavailable)?;
        Ok(Ok(()))
    }

    async fn forget_account_credential(
        &self,
        scope: &Scope,
        account: &str,
    ) -> Result<(), BackendError> {
        let mut writer = writer(&self.store, scope).await?;
        let tenant = writer.tenant().as_str().to_string();
        sqlx::query(
            "DELETE FROM plugin_account_credentials WHERE tenant_id = $1 AND account = $2 \
             AND plugin_id IN (SELECT id FROM plugins WHERE tenant_id = $1 AND name = $3)",
        )
        .bind(tenant)
        .bind(account)
        .bind(&scope.plugin_id)
        .execute(writer.conn())
        .await
        .map_err(unavailable)?;
        writer.commit().await.map_err(unavailable)?;
        Ok(())
    }
}

impl DbVendor {
    /// Opens `sealed` (the credential of the plugin's `account`, "" for the tenant's), reusing
    /// the last opening of the same value.
    fn open(
        &self,
        scope: &Scope,
        account: &str,
        purpose: &str,
        sealed: String,
    ) -> Result<VendorCredential, BackendError> {
        let at = (
            scope.tenant_id.clone(),
            scope.plugin_id.clone(),
            account.to_string(),
        );
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((was, credential)) = opened.get(&at) {
            if *was == sealed {
                return Ok(credential.clone());
            }
        }
        let plaintext = self.secrets.open(purpose, &sealed).map_err(unavailable)?;
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
        Ok(credential)
    }
}
