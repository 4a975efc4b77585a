//! `corral:plugin/directory`: read-only look-ups of the calling tenant's users
//! and devices through the [`crate::Directory`] backend, always with the
//! installation's scope.

use crate::backend::{BackendError, DirectoryDevice, DirectoryUser};
use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::directory::{Device, DirectoryError, Host, User};

fn map(e: BackendError) -> DirectoryError {
    DirectoryError::Unavailable(e.to_string())
}

fn user(u: DirectoryUser) -> User {
    User {
        id: u.id,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        source: u.source,
    }
}

pub(super) fn device(d: DirectoryDevice) -> Device {
    Device {
        id: d.id,
        owner_user_id: d.owner_user_id,
        name: d.name,
        serial_number: d.serial_number,
        imeis: d.imeis,
        manufacturer: d.manufacturer,
        model: d.model,
        os: d.os,
        os_version: d.os_version,
    }
}

impl Host for HostState {
    async fn find_user_by_email(&mut self, email: String) -> Result<Option<User>, DirectoryError> {
        let ctx = self.ctx.clone();
        Ok(ctx
            .services
            .directory
            .find_user_by_email(&ctx.scope, &email)
            .await
            .map_err(map)?
            .map(user))
    }

    async fn get_user(&mut self, id: String) -> Result<Option<User>, DirectoryError> {
        let ctx = self.ctx.clone();
        Ok(ctx
            .services
            .directory
            .get_user(&ctx.scope, &id)
            .await
            .map_err(map)?
            .map(user))
    }

    async fn list_user_devices(&mut self, user_id: String) -> Result<Vec<Device>, DirectoryError> {
        let ctx = self.ctx.clone();
        let max = ctx.limits.max_directory_results;
        let devices = ctx
            .services
            .directory
            .list_user_devices(&ctx.scope, &user_id)
            .await
            .map_err(map)?;
        Ok(devices.into_iter().take(max).map(device).collect())
    }

    async fn find_device(
        &mut self,
        serial_or_imei: String,
    ) -> Result<Option<Device>, DirectoryError> {
        let ctx = self.ctx.clone();
        Ok(ctx
            .services
            .directory
            .find_device(&ctx.scope, &serial_or_imei)
            .await
            .map_err(map)?
            .map(device))
    }
}
