//! `corral:plugin/discoveries@0.7.0`: devices the plugin finds at its vendor without managing
//! them, recorded by the host's [`crate::backend::InventoryBackend`] (linked when `inventory`
//! is granted), always with the installation's scope.
//!
//! Rules: at most [`MAX_DISCOVERIES`] per call (more is the plugin's `invalid-input`); a
//! malformed discovery is `invalid-input`, a backend failure `internal`, never a trap.

use crate::api::{Discovery, PluginError};
use crate::backend::InventoryError;
use crate::state::HostState;
use crate::wit::since_v0_7_0::corral::plugin0_7_0::discoveries::Host;

/// The most discoveries one call may record (the WIT says so).
pub const MAX_DISCOVERIES: usize = 10_000;

fn plugin_error(e: InventoryError) -> PluginError {
    match e {
        InventoryError::Invalid(m) => PluginError::InvalidInput(m),
        InventoryError::Backend(b) => PluginError::Internal(b.to_string()),
    }
}

impl Host for HostState {
    async fn record_discoveries(
        &mut self,
        discoveries: Vec<Discovery>,
    ) -> Result<u32, PluginError> {
        if discoveries.len() > MAX_DISCOVERIES {
            return Err(PluginError::InvalidInput(format!(
                "at most {MAX_DISCOVERIES} discoveries at once ({} given)",
                discoveries.len()
            )));
        }
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .record_discoveries(&ctx.scope, discoveries)
            .await
            .map_err(plugin_error)
    }

    async fn forget_discoveries(&mut self, since_ms: u64) -> Result<u32, PluginError> {
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .forget_discoveries(&ctx.scope, since_ms)
            .await
            .map_err(plugin_error)
    }
}
