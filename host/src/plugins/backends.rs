//! What plugins' capabilities run on in this host: the key-value store and the tenant directory
//! on the database, outbound HTTPS with reqwest. The runtime passes every call the scope it fixed
//! at install time (tenant + plugin name); these implementations reach the database only through
//! the tenant-scoped handle of that tenant (never the raw pool), so a plugin can never name
//! another tenant's data.

use std::time::Duration;

use async_trait::async_trait;
use corral_plugin_runtime::{
    BackendError, Directory, DirectoryDevice, DirectoryUser, HttpClient, KvBackend, OutboundError,
    OutboundRequest, OutboundResponse, Scope,
};

use crate::devices;
use crate::error::Error;
use crate::store::{now_ms, Scoped, Store};
use crate::tenants::TenantId;

fn unavailable(e: sqlx::Error) -> BackendError {
    tracing::warn!(error = %e, "plugin backend: database error");
    BackendError::Unavailable("database unavailable".into())
}

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

/// The plugin's tenant's data, read through the tenant-scoped handle like the rest of the host.
pub(crate) async fn reader(store: &Store, scope: &Scope) -> Result<Scoped, BackendError> {
    store
        .reader(&TenantId::from_db(scope.tenant_id.clone()))
        .await
        .map_err(failed)
}

/// A write transaction on the plugin's tenant.
async fn writer(store: &Store, scope: &Scope) -> Result<Scoped, BackendError> {
    store
        .scoped(&TenantId::from_db(scope.tenant_id.clone()))
        .await
        .map_err(failed)
}

/// Users and devices of the plugin's tenant. Device look-ups go through the tenant-scoped
/// handle, like the rest of the host's reads of tenant data.
pub struct DbDirectory {
    pub store: Store,
}

pub(crate) fn failed(e: Error) -> BackendError {
    tracing::warn!(error = %e, "plugin backend: database error");
    BackendError::Unavailable("database unavailable".into())
}

/// A device as the `directory` capability shows it.
fn directory_device(found: devices::Identified) -> DirectoryDevice {
    let d = found.device;
    DirectoryDevice {
        id: d.id,
        owner_user_id: d.user_id,
        name: d.name,
        serial_number: found.serial,
        imeis: found.imeis,
        manufacturer: None,
        model: Some(d.model).filter(|m| m != "unknown"),
        os: Some(d.platform.code().to_string()),
        os_version: Some(d.os_version).filter(|v| v != devices::UNKNOWN_VERSION),
    }
}

type UserRow = (String, String, String, String, String);

fn user(r: UserRow) -> DirectoryUser {
    DirectoryUser {
        id: r.0,
        email: r.1,
        first_name: r.2,
        last_name: r.3,
        source: r.4,
    }
}

#[async_trait]
impl Directory for DbDirectory {
    async fn find_user_by_email(
        &self,
        scope: &Scope,
        email: &str,
    ) -> Result<Option<DirectoryUser>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, first_name, last_name, source FROM users WHERE tenant_id = $1 AND email = $2",
        )
        .bind(tenant)
        .bind(email.trim().to_lowercase())
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)?;
        Ok(row.map(user))
    }

    async fn get_user(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<DirectoryUser>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let tenant = reader.tenant().as_str().to_string();
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, first_name, last_name, source FROM users WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(reader.conn())
        .await
        .map_err(unavailable)?;
        Ok(row.map(user))
    }

    async fn list_user_devices(
        &self,
        scope: &Scope,
        user_id: &str,
    ) -> Result<Vec<DirectoryDevice>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let found = devices::of_user(&mut reader, user_id)
            .await
            .map_err(failed)?;
        Ok(found.into_iter().map(directory_device).collect())
    }

    async fn find_device(
        &self,
        scope: &Scope,
        serial_or_imei: &str,
    ) -> Result<Option<DirectoryDevice>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let found = devices::find_identified(&mut reader, serial_or_imei)
            .await
            .map_err(failed)?;
        Ok(found.map(directory_device))
    }
}

/// Outbound HTTPS for plugins granted `http`. The runtime has already checked the allow-list
/// and resolved the host to public addresses (unless the operator allows private ones); the
/// connection goes only to those addresses, and redirects are not followed (each hop would
/// need the same checks).
pub struct TlsHttpClient {
    pub timeout: Duration,
    /// Trusted besides the system's certificate authorities (operator setting).
    pub extra_roots: Vec<reqwest::Certificate>,
}

/// The certificate authorities of the operator's PEM file, if one is set.
pub fn load_roots(
    path: Option<&std::path::Path>,
) -> Result<Vec<reqwest::Certificate>, crate::error::Error> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path).map_err(|e| {
        crate::error::Error::Config(format!("plugin trust roots {}: {e}", path.display()))
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        crate::error::Error::Config(format!("plugin trust roots {}: {e}", path.display()))
    })
}

#[async_trait]
impl HttpClient for TlsHttpClient {
    async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        let host = request
            .url
            .host_str()
            .ok_or_else(|| OutboundError::Transport("URL without host".into()))?
            .to_string();
        let mut client = reqwest::Client::builder();
        for root in &self.extra_roots {
            client = client.add_root_certificate(root.clone());
        }
        let client = client
            .resolve_to_addrs(&host, &request.addrs)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .build()
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| OutboundError::Transport(e.to_string()))?;
        let mut builder = client.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                OutboundError::Timeout
            } else {
                OutboundError::Transport(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| OutboundError::Transport(e.to_string()))?
            .to_vec();
        Ok(OutboundResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    /// The capability backends reach tenant data only through the tenant-scoped handle: none of
    /// their `impl` blocks touches the raw pool (which would leave the tenant filter to each
    /// query). Reads the sources, so a new backend is held to it too.
    #[test]
    fn capability_backends_never_use_the_raw_pool() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plugins");
        let traits = [
            "KvBackend",
            "Directory",
            "VendorBackend",
            "InventoryBackend",
        ];
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for backend in traits {
                let head = format!("impl {backend} for ");
                let Some(start) = text.find(&head) else {
                    continue;
                };
                // The impl block, by matching braces.
                let open = start + text[start..].find('{').unwrap();
                let mut depth = 0;
                let mut end = open;
                for (i, c) in text[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                let block = &text[start..=end];
                assert!(
                    !block.contains("pool()"),
                    "{backend} in {} uses the raw pool",
                    path.display()
                );
                found.push(backend);
            }
        }
        found.sort();
        let mut expected = traits.to_vec();
        expected.sort();
        assert_eq!(found, expected, "every capability backend was checked");
    }
}
