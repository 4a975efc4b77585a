//! The capabilities this host gives plugins, one file per capability as in the runtime's
//! `runtime/src/host/`: `kv`, `directory`, `http`, `vendor`, `inventory`. (`clock` and
//! `logging` need nothing of the host: the runtime serves them itself.) The runtime passes
//! every call the scope it fixed at install time (tenant + plugin name); these files reach the
//! database only through the tenant-scoped handle of that tenant ([`reader`], [`writer`]),
//! never the raw pool, so a plugin can never name another tenant's data. Each file only adapts
//! the runtime's call: the rules live in the domain modules (`devices::inventory`,
//! `vendor_access`, `users`, `devices`).

pub mod directory;
pub mod http;
pub mod inventory;
pub mod kv;
pub mod vendor;

use corral_plugin_runtime::{BackendError, Scope};

use crate::error::Error;
use crate::store::{Scoped, Store};
use crate::tenants::TenantId;

fn unavailable(e: sqlx::Error) -> BackendError {
    tracing::warn!(error = %e, "plugin backend: database error");
    BackendError::Unavailable("database unavailable".into())
}

/// The plugin's tenant's data, read through the tenant-scoped handle like the rest of the host.
pub(crate) async fn reader(store: &Store, scope: &Scope) -> Result<Scoped, BackendError> {
    store
        .reader(&TenantId::from_db(scope.tenant_id.clone()))
        .await
        .map_err(failed)
}

/// A write transaction on the plugin's tenant.
pub(crate) async fn writer(store: &Store, scope: &Scope) -> Result<Scoped, BackendError> {
    store
        .scoped(&TenantId::from_db(scope.tenant_id.clone()))
        .await
        .map_err(failed)
}

pub(crate) fn failed(e: Error) -> BackendError {
    tracing::warn!(error = %e, "plugin backend: database error");
    BackendError::Unavailable("database unavailable".into())
}

#[cfg(test)]
mod tests {
    /// The capability files reach tenant data only through the tenant-scoped handle: none of
    /// them touches the raw pool (which would leave the tenant filter to each query). Reads
    /// the sources, so a new capability file is held to it too.
    #[test]
    fn capabilities_never_use_the_raw_pool() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/plugins/capabilities");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            assert!(
                !code.contains("pool()"),
                "{} uses the raw pool",
                path.display()
            );
            files.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
        files.sort();
        let expected = [
            "directory.rs",
            "http.rs",
            "inventory.rs",
            "kv.rs",
            "mod.rs",
            "vendor.rs",
        ];
        assert_eq!(files, expected, "one file per capability");
    }
}
