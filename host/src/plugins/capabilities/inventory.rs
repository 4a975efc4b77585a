//! The `inventory` capability (`corral:plugin@0.4.0`): a plugin reports the devices it sees at
//! its vendor and gets the host's verdict for each; with 0.5.0's `registrations`, the devices
//! registered at its provisioning service and awaiting enrolment; with 0.7.0's `discoveries`,
//! the devices it finds at its vendor without managing them. The rules are the device
//! inventory's (`devices::inventory::report_device`, `devices::registrations`,
//! `devices::discoveries`); this file only
//! adapts the runtime's calls to them.

use async_trait::async_trait;
use corral_plugin_runtime::api::{DeviceReport, Discovery, Registration, Verdict};
use corral_plugin_runtime::{BackendError, InventoryBackend, InventoryError, Scope};

use crate::devices::inventory::{report_device, Clock};
use crate::devices::{discoveries, registrations};
use crate::error::Error;
use crate::store::Store;
use crate::tenants::TenantId;

/// The [`InventoryBackend`] of this host: reports go to the tenant's device records.
pub struct DbInventory {
    pub store: Store,
    pub clock: Clock,
}

/// How a refusal of the device records reads to the plugin.
fn refusal(e: Error) -> InventoryError {
    match e {
        Error::Invalid { field, message } => InventoryError::Invalid(format!("{field}: {message}")),
        e => InventoryError::Backend(BackendError::Unavailable(e.to_string())),
    }
}

#[async_trait]
impl InventoryBackend for DbInventory {
    async fn record_registrations(
        &self,
        scope: &Scope,
        registrations: Vec<Registration>,
    ) -> Result<u32, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        let now = self.clock.now_ms();
        registrations::record(&self.store, &tenant, &scope.plugin_id, registrations, now)
            .await
            .map_err(refusal)
    }

    async fn forget_registrations(
        &self,
        scope: &Scope,
        since_ms: u64,
    ) -> Result<u32, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        registrations::forget(&self.store, &tenant, &scope.plugin_id, since_ms as i64)
            .await
            .map_err(refusal)
    }

    async fn record_discoveries(
        &self,
        scope: &Scope,
        found: Vec<Discovery>,
    ) -> Result<u32, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        let now = self.clock.now_ms();
        discoveries::record(&self.store, &tenant, &scope.plugin_id, found, now)
            .await
            .map_err(refusal)
    }

    async fn forget_discoveries(
        &self,
        scope: &Scope,
        since_ms: u64,
    ) -> Result<u32, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        discoveries::forget(&self.store, &tenant, &scope.plugin_id, since_ms as i64)
            .await
            .map_err(refusal)
    }

    async fn report_device(
        &self,
        scope: &Scope,
        report: DeviceReport,
    ) -> Result<Verdict, InventoryError> {
        let tenant = TenantId::from_db(scope.tenant_id.clone());
        let now = self.clock.now_ms();
        report_device(&self.store, &tenant, &scope.plugin_id, report, now)
            .await
            .map_err(refusal)
    }
}
