//! The `inventory` capability (`corral:plugin@0.4.0`): a plugin reports the devices it sees at
//! its vendor and gets the host's verdict for each. The rules are the device inventory's
//! (`devices::inventory::report_device`); this file only adapts the runtime's call to them.

use async_trait::async_trait;
use corral_plugin_runtime::api::{DeviceReport, Verdict};
use corral_plugin_runtime::{BackendError, InventoryBackend, InventoryError, Scope};

use crate::devices::inventory::{report_device, Clock};
use crate::error::Error;
use crate::store::Store;
use crate::tenants::TenantId;

/// The [`InventoryBackend`] of this host: reports go to the tenant's device records.
pub struct DbInventory {
    pub store: Store,
    pub clock: Clock,
}

#[async_trait]
impl InventoryBackend for DbInventory {
    async fn report_device(
        &self,
        scope: &Scope,
        report: DeviceReport,
    ) -> Result<Verdict, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        let now = self.clock.now_ms();
        match report_device(&self.store, &tenant, &scope.plugin_id, report, now).await {
            Ok(verdict) => Ok(verdict),
            Err(Error::Invalid { field, message }) => {
                Err(InventoryError::Invalid(format!("{field}: {message}")))
            }
            Err(e) => Err(InventoryError::Backend(BackendError::Unavailable(
                e.to_string(),
            ))),
        }
    }
}
