//! The `directory` capability: the plugin's tenant's users and devices (by serial number or
//! IMEI), read through the tenant-scoped handle.

use async_trait::async_trait;
use corral_plugin_runtime::{BackendError, Directory, DirectoryDevice, DirectoryUser, Scope};

use super::{failed, reader, unavailable};
use crate::devices;
use crate::store::Store;

/// Users and devices of the plugin's tenant. Device look-ups go through the tenant-scoped
/// handle, like the rest of the host's reads of tenant data.
pub struct DbDirectory {
    pub store: Store,
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

    async fn find_devices(
        &self,
        scope: &Scope,
        identifiers: &[String],
    ) -> Result<Vec<Option<DirectoryDevice>>, BackendError> {
        let mut reader = reader(&self.store, scope).await?;
        let found = devices::find_many_identified(&mut reader, identifiers)
            .await
            .map_err(failed)?;
        Ok(found.into_iter().map(|d| d.map(directory_device)).collect())
    }
}
