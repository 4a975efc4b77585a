//! The `kv` capability: a plugin's own key-value store in its tenant (`plugin_kv` rows of
//! tenant and plugin), with a quota of keys per plugin.

use async_trait::async_trait;
use corral_plugin_runtime::{BackendError, KvBackend, Scope};

use super::{failed, reader, unavailable, writer};
use crate::store::{now_ms, Store};

/// `plugin_kv` rows of (tenant, plugin).
pub struct DbKv {
    pub store: Store,
    /// Keys one plugin may hold in one tenant.
    pub max_keys: i64,
}

#[async_trait]
impl KvBackend for DbKv {
    async fn get(&self, scope: &Scope, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        sqlx::query_scalar(
            "SELECT value FROM plugin_kv WHERE tenant_id = $1 AND plugin = $2 AND key = $3",
        )
        .bind(tenant)
        .bind(&scope.plugin_id)
        .bind(key)
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)
    }

    async fn set(&self, scope: &Scope, key: &str, value: Vec<u8>) -> Result<(), BackendError> {
        // The quota is checked and the value written in one transaction: two calls at once
        // cannot both take the last free key.
        let mut tx = writer(&self.store, scope).await?;
        let tenant = tx.tenant().as_str().to_string();
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM plugin_kv WHERE tenant_id = $1 AND plugin = $2 AND key <> $3",
        )
        .bind(&tenant)
        .bind(&scope.plugin_id)
        .bind(key)
        .fetch_one(tx.conn())
        .await
        .map_err(unavailable)?;
        if count >= self.max_keys {
            return Err(BackendError::Quota(format!(
                "at most {} keys",
                self.max_keys
            )));
        }
        sqlx::query(
            "INSERT INTO plugin_kv (tenant_id, plugin, key, value, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, plugin, key) DO UPDATE SET value = $4, updated_at = $5",
        )
        .bind(&tenant)
        .bind(&scope.plugin_id)
        .bind(key)
        .bind(value)
        .bind(now_ms())
        .execute(tx.conn())
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(failed)
    }

    async fn delete(&self, scope: &Scope, key: &str) -> Result<(), BackendError> {
        let mut tx = writer(&self.store, scope).await?;
        let tenant = tx.tenant().as_str().to_string();
        sqlx::query("DELETE FROM plugin_kv WHERE tenant_id = $1 AND plugin = $2 AND key = $3")
            .bind(tenant)
            .bind(&scope.plugin_id)
            .bind(key)
            .execute(tx.conn())
            .await
            .map_err(unavailable)?;
        tx.commit().await.map_err(failed)
    }

    async fn list_keys(
        &self,
        scope: &Scope,
        prefix: &str,
        limit: u32,
    ) -> Result<Vec<String>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        // Prefix match without LIKE (keys may hold % and _): range [prefix, prefix + U+FFFF).
        let upper = format!("{prefix}\u{ffff}");
        sqlx::query_scalar(
            "SELECT key FROM plugin_kv WHERE tenant_id = $1 AND plugin = $2 AND key >= $3 AND key < $4 \
             ORDER BY key LIMIT $5",
        )
        .bind(tenant)
        .bind(&scope.plugin_id)
        .bind(prefix)
        .bind(upper)
        .bind(limit as i64)
        .fetch_all(reader.conn())
        .await
        .map_err(unavailable)
    }
}
