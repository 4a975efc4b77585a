//! `corral:plugin/inventory@0.4.0`: the devices a plugin manages, reported to the host.
//!
//! Rules: the report goes to the host's [`crate::backend::InventoryBackend`] under the
//! installation's scope (the plugin never names a tenant). A malformed report is the plugin's
//! `invalid-input`; a backend failure is `internal`, never a trap, so the plugin can carry on
//! with its other devices.

use crate::api::{DeviceReport, PluginError, Verdict};
use crate::backend::InventoryError;
use crate::state::HostState;
use crate::wit::since_v0_4_0::corral::plugin0_4_0::inventory::Host;

impl Host for HostState {
    async fn report_device(&mut self, report: DeviceReport) -> Result<Verdict, PluginError> {
        let ctx = self.ctx.clone();
        ctx.services
            .inventory
            .report_device(&ctx.scope, report)
            .await
            .map_err(|e| match e {
                InventoryError::Invalid(m) => PluginError::InvalidInput(m),
                InventoryError::Backend(b) => PluginError::Internal(b.to_string()),
            })
    }
}
