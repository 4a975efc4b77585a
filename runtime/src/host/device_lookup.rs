//! `corral:plugin/device-lookup@0.5.0`: the tenant's devices found by serial number or IMEI,
//! a batch at once, through the same [`crate::Directory`] backend as `directory` (and linked
//! when `directory` is granted), always with the installation's scope.
//!
//! Rules: at most [`MAX_IDENTIFIERS`] identifiers per call (more is the plugin's mistake, an
//! `unavailable` answer rather than a trap); one answer per identifier, in order.

use super::directory::device;
use crate::state::HostState;
use crate::wit::since_v0_1_0::corral::plugin::directory::{Device, DirectoryError};
use crate::wit::since_v0_5_0::corral::plugin0_5_0::device_lookup::Host;

/// The most identifiers one call may look up (the WIT says so).
pub const MAX_IDENTIFIERS: usize = 10_000;

impl Host for HostState {
    async fn find_devices(
        &mut self,
        identifiers: Vec<String>,
    ) -> Result<Vec<Option<Device>>, DirectoryError> {
        if identifiers.len() > MAX_IDENTIFIERS {
            return Err(DirectoryError::Unavailable(format!(
                "at most {MAX_IDENTIFIERS} identifiers at once ({} given)",
                identifiers.len()
            )));
        }
        let ctx = self.ctx.clone();
        let found = ctx
            .services
            .directory
            .find_devices(&ctx.scope, &identifiers)
            .await
            .map_err(|e| DirectoryError::Unavailable(e.to_string()))?;
        Ok(found.into_iter().map(|d| d.map(device)).collect())
    }
}
