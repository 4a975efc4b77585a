//! Administrators' commands to devices a plugin manages at its vendor (SPEC E6): lock, reboot,
//! sync, wipe. Each goes to the plugin that reported the device (`execute` of the `devices`
//! export) and is recorded in the history with its outcome.

use corral_plugin_runtime::api::{DeviceCommand, DeviceIdentity, ManagedDevice, WipeOptions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::inventory::{winner, Link, LINK_COLUMNS};
use crate::admins::{ExchangePermission, Permission};
use crate::devices::{self, Device, State};
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::plugins::{hook, HookError, Plugins};
use crate::services::AsAdmin;
use crate::store::Store;
use crate::tenants::TenantId;
use corral_plugin_runtime::api;

/// An administrator's command to a managed device (SPEC E6).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    Lock,
    Reboot,
    /// Send the device the configuration it should have again.
    Sync,
    /// Factory-reset the device at the vendor.
    Wipe,
}

/// A command as an administrator sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    pub command: Command,
    /// For `wipe`: shown on the device where the vendor supports it.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `wipe`: keep factory-reset protection data. Default false.
    #[serde(default)]
    pub preserve_reset_protection: bool,
}

/// What the history keeps of a command.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandOutcome {
    pub command: Command,
    pub plugin: String,
    pub vendor_name: String,
    /// `done`, or why it failed.
    pub outcome: String,
}

/// The device a command is for, the plugin managing it and the configuration it should have,
/// once the request and the device's state allow the command.
async fn target(
    store: &Store,
    tenant: &TenantId,
    device_id: &str,
    request: &CommandRequest,
) -> Result<(Device, Link, Option<api::Configuration>), Error> {
    if let Some(reason) = &request.reason {
        if request.command != Command::Wipe {
            return Err(Error::invalid("reason", "only a wipe takes a reason"));
        }
        if reason.chars().count() > 200 {
            return Err(Error::invalid("reason", "at most 200 characters"));
        }
    }
    if request.preserve_reset_protection && request.command != Command::Wipe {
        return Err(Error::invalid(
            "preserve_reset_protection",
            "only a wipe keeps or drops reset protection",
        ));
    }
    let (device, link, configuration) = {
        let mut read = store.scoped_read(tenant).await?;
        let device = devices::get(&mut read, device_id).await?;
        let link = sqlx::query_as::<_, Link>(&format!(
            "SELECT {LINK_COLUMNS} FROM plugin_devices WHERE tenant_id = $1 AND device_id = $2"
        ))
        .bind(tenant.as_str())
        .bind(device_id)
        .fetch_optional(read.conn())
        .await?
        .ok_or_else(|| Error::Conflict {
            code: "device_not_plugin_managed",
            message: "no plugin manages this device; commands go through the plugin that \
                      reported it"
                .into(),
        })?;
        let configuration = winner(&mut read, &link.plugin_id, device_id).await?;
        (device, link, configuration)
    };
    // A device the vendor only reports (discovered) takes a wipe, nothing else.
    let takes_it = device.state == State::Active
        || (device.state == State::Discovered && request.command == Command::Wipe);
    if device.archived || !takes_it {
        return Err(Error::Conflict {
            code: "device_not_active",
            message: format!(
                "the device is {}; only an active device takes commands (a discovered one, \
                 a wipe)",
                if device.archived {
                    "archived"
                } else {
                    device.state.code()
                }
            ),
        });
    }
    Ok((device, link, configuration))
}

/// Sends `request` to the plugin managing the device and records it (with its outcome) in the
/// history. A wipe that succeeded leaves the device Wiped. The plugin's refusal or failure is
/// recorded, then answered as the [`HookError`] it is.
pub async fn command(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    device_id: &str,
    request: &CommandRequest,
) -> Result<CommandOutcome, HookError> {
    let (device, link, configuration) = target(store, tenant, device_id, request).await?;
    let installation = plugins.active(tenant, &link.plugin_id).await?;
    let managed = ManagedDevice {
        device_id: device.id.clone(),
        vendor_name: link.vendor_name.clone(),
        identity: DeviceIdentity {
            device_id: Some(device.id.clone()),
            serial_number: Some(device.hardware_id.clone()),
            imeis: Vec::new(),
            meid: None,
            manufacturer: None,
            model: Some(device.model.clone()),
            os: Some(device.platform.code().to_string()),
            os_version: Some(device.os_version.clone()),
            security_patch_level: None,
        },
        configuration,
    };
    let vendor_command = match request.command {
        Command::Lock => DeviceCommand::Lock,
        Command::Reboot => DeviceCommand::Reboot,
        Command::Sync => DeviceCommand::Sync,
        Command::Wipe => DeviceCommand::Wipe(WipeOptions {
            preserve_reset_protection: request.preserve_reset_protection,
            reason: request.reason.clone(),
        }),
    };
    let answer = installation.execute(&managed, &vendor_command).await;
    let result = hook(&installation, answer);
    let outcome = CommandOutcome {
        command: request.command,
        plugin: installation.plugin().to_string(),
        vendor_name: link.vendor_name,
        outcome: match &result {
            Ok(()) => "done".into(),
            Err(e) => e.to_string(),
        },
    };
    let mut scoped = store.scoped(tenant).await?;
    // A discovered device stays what the vendor reports (its wipe pending there).
    if result.is_ok() && request.command == Command::Wipe && device.state == State::Active {
        devices::apply(&mut scoped, actor, device_id, devices::Action::Wipe).await?;
    }
    history::record(
        &mut scoped,
        actor,
        Change::new::<(), _>("device", device_id, "command", None, Some(&outcome)),
    )
    .await?;
    scoped.commit().await?;
    result.map(|()| outcome)
}

impl AsAdmin<'_> {
    /// Sends a command to a plugin-managed device; a wipe needs the permission to delete
    /// devices, the others the one to manage configurations.
    pub async fn send_device_command(
        &self,
        device_id: &str,
        request: &CommandRequest,
    ) -> Result<CommandOutcome, HookError> {
        let discovered = {
            let mut read = self.read().await?;
            devices::get(&mut read, device_id).await?.state == State::Discovered
        };
        // A discovered device is a resource at the vendor (SPEC A2): wiping it needs the
        // permission to delete resources there.
        self.require(match (request.command, discovered) {
            (Command::Wipe, true) => Permission::Exchange(ExchangePermission::DeleteResource),
            (Command::Wipe, false) => Permission::DeleteDevices,
            _ => Permission::ManageConfigurations,
        })?;
        command(
            self.services.plugins(),
            self.services.store(),
            self.tenant(),
            &self.actor(),
            device_id,
            request,
        )
        .await
    }
}

/// A user's wipe of their own device from the portal (SPEC G4): a device of theirs that a
/// plugin manages or discovered, wiped through that plugin and recorded in the history as
/// theirs. Another user's device, or one no plugin answers for, is not found.
pub async fn wipe_own(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    user: (&str, &str),
    device_id: &str,
) -> Result<CommandOutcome, HookError> {
    {
        let mut read = store.scoped_read(tenant).await?;
        let device = devices::get(&mut read, device_id).await?;
        if device.user_id.as_deref() != Some(user.0) {
            return Err(Error::NotFound("device").into());
        }
    }
    let actor = Actor::User {
        id: user.0.to_string(),
        email: user.1.to_string(),
    };
    let request = CommandRequest {
        command: Command::Wipe,
        reason: None,
        preserve_reset_protection: false,
    };
    command(plugins, store, tenant, &actor, device_id, &request).await
}
