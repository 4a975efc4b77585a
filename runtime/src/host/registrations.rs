//! `corral:plugin/registrations@0.5.0` and `@0.6.0`: devices registered at the plugin's
//! provisioning service, recorded by the host's [`crate::backend::InventoryBackend`] (linked
//! when `inventory` is granted), always with the installation's scope. 0.5.0's registrations
//! become 0.6.0's without a channel, their configuration's title being its id.
//!
//! Rules: at most [`MAX_REGISTRATIONS`] per call (more is the plugin's `invalid-input`); a
//! malformed registration is `invalid-input`, a backend failure `internal`, never a trap.

use crate::api::{ConfigurationRef, PluginError, Registration};
use crate::backend::InventoryError;
use crate::state::HostState;
use crate::wit::since_v0_5_0::corral::plugin0_5_0::registrations as v0_5;
use crate::wit::since_v0_6_0::corral::plugin0_6_0::registrations as v0_6;

/// The most registrations one call may record (the WIT says so).
pub const MAX_REGISTRATIONS: usize = 10_000;

fn plugin_error(e: InventoryError) -> PluginError {
    match e {
        InventoryError::Invalid(m) => PluginError::InvalidInput(m),
        InventoryError::Backend(b) => PluginError::Internal(b.to_string()),
    }
}

impl HostState {
    async fn record(&mut self, registrations: Vec<Registration>) -> Result<u32, PluginError> {
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .record_registrations(&ctx.scope, registrations)
            .await
            .map_err(plugin_error)
    }

    async fn forget(&mut self, since_ms: u64) -> Result<u32, PluginError> {
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .forget_registrations(&ctx.scope, since_ms)
            .await
            .map_err(plugin_error)
    }
}

fn at_most(count: usize) -> Result<(), PluginError> {
    if count > MAX_REGISTRATIONS {
        return Err(PluginError::InvalidInput(format!(
            "at most {MAX_REGISTRATIONS} registrations at once ({count} given)"
        )));
    }
    Ok(())
}

impl v0_5::Host for HostState {
    async fn record_registrations(
        &mut self,
        registrations: Vec<v0_5::Registration>,
    ) -> Result<u32, PluginError> {
        at_most(registrations.len())?;
        let registrations = registrations
            .into_iter()
            .map(|r| Registration {
                vendor_name: r.vendor_name,
                identity: r.identity,
                channel: None,
                configuration: r.configuration.map(|id| ConfigurationRef {
                    title: id.clone(),
                    id,
                }),
                registered_at_ms: None,
            })
            .collect();
        self.record(registrations).await
    }

    async fn forget_registrations(&mut self, since_ms: u64) -> Result<u32, PluginError> {
        self.forget(since_ms).await
    }
}

impl v0_6::Host for HostState {
    async fn record_registrations(
        &mut self,
        registrations: Vec<v0_6::Registration>,
    ) -> Result<u32, PluginError> {
        at_most(registrations.len())?;
        let registrations = registrations
            .into_iter()
            .map(|r| Registration {
                vendor_name: r.vendor_name,
                identity: r.identity,
                channel: Some(r.channel),
                configuration: r.configuration,
                registered_at_ms: r.registered_at_ms,
            })
            .collect();
        self.record(registrations).await
    }

    async fn forget_registrations(&mut self, since_ms: u64) -> Result<u32, PluginError> {
        self.forget(since_ms).await
    }
}
