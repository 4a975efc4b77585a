//! `corral:plugin/registrations@0.5.0`: devices registered at the plugin's provisioning service
//! and awaiting enrolment, recorded by the host's [`crate::backend::InventoryBackend`] (linked
//! when `inventory` is granted), always with the installation's scope.
//!
//! Rules: at most [`MAX_REGISTRATIONS`] per call (more is the plugin's `invalid-input`); a
//! malformed registration is `invalid-input`, a backend failure `internal`, never a trap.

use crate::api::{PluginError, Registration};
use crate::backend::InventoryError;
use crate::state::HostState;
use crate::wit::since_v0_5_0::corral::plugin0_5_0::registrations::Host;

/// The most registrations one call may record (the WIT says so).
pub const MAX_REGISTRATIONS: usize = 10_000;

fn plugin_error(e: InventoryError) -> PluginError {
    match e {
        InventoryError::Invalid(m) => PluginError::InvalidInput(m),
        InventoryError::Backend(b) => PluginError::Internal(b.to_string()),
    }
}

impl Host for HostState {
    async fn record_registrations(
        &mut self,
        registrations: Vec<Registration>,
    ) -> Result<u32, PluginError> {
        if registrations.len() > MAX_REGISTRATIONS {
            return Err(PluginError::InvalidInput(format!(
                "at most {MAX_REGISTRATIONS} registrations at once ({} given)",
                registrations.len()
            )));
        }
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .record_registrations(&ctx.scope, registrations)
            .await
            .map_err(plugin_error)
    }

    async fn forget_registrations(&mut self, since_ms: u64) -> Result<u32, PluginError> {
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .forget_registrations(&ctx.scope, since_ms)
            .await
            .map_err(plugin_error)
    }
}
