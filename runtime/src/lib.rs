//! Corral plugin runtime: runs tenant and vendor plugins (WebAssembly
//! components of the `corral:plugin` WIT world) in a sandbox.
//!
//! Module map (each file says why it exists):
//! * [`runtime`]: the one `Engine` (pooling allocator, epochs, async), the
//!   compile pipeline with its time budget, the concurrency limit;
//! * `validate`: what an upload must be (component, supported world version,
//!   grantable imports only);
//! * `cache`: authenticated on-disk cache of compiled artifacts;
//! * [`plugin`]: installations (tenant x version x grants, `InstancePre`) and
//!   hook calls on fresh instances;
//! * `admission`, `long_calls`: each tenant's share of the running calls, and fewer turns
//!   for its calls once they have shown they are CPU-bound;
//! * `stock`: per-installation stock of pre-instantiated, never-used
//!   instances (instantiation and teardown off the call path);
//! * `state`: per-call store data, memory limiter, lazily built empty WASI;
//! * `host/`: one file per capability interface (`logging`, `kv`, `http`,
//!   `directory`, `clock`, 0.2.0's `vendor`, 0.4.0's `inventory`, 0.5.0's
//!   `device-lookup` and `registrations` and 0.6.0's `registrations`);
//! * [`backend`]: async traits the database layer implements
//!   ([`KvBackend`], [`Directory`], [`HttpClient`]); [`memory`]: in-memory ones;
//! * [`wit`]: one module per frozen WIT version (bindings, linking, conversions) and the one
//!   dispatch point from a version to its module; [`api`]: the types
//!   callers use (today those of `corral:plugin@0.1.0`);
//! * [`error`]: guest-visible errors vs. traps vs. validation failures.
//!
//! Typical flow:
//! ```ignore
//! let rt = Runtime::new(RuntimeConfig::default(), HostServices::in_memory())?;
//! let compiled = rt.validate_upload(&bytes, tenant_allowed_caps).await?;
//! let inst = rt.install(&compiled, InstallOptions { tenant_id, plugin_id, version, grants, limits: None })?;
//! match inst.validate_config(&cfg).await {
//!     Ok(Ok(field_errors)) => {}      // the plugin's answer
//!     Ok(Err(plugin_error)) => {}     // the plugin refused (guest-visible error)
//!     Err(call_error) => {}           // trap / deadline / OOM / ... (names plugin + version)
//! }
//! ```

mod admission;
pub mod backend;
mod cache;
pub mod capability;
mod cpu;
pub mod error;
mod executor;
pub mod heap;
mod host;
pub mod locale {
    //! The languages a call may be served in (`corral:plugin/locale@0.7.0`).

    /// The language of the host's own work, and of any call not given one.
    pub const DEFAULT: &str = "en";
    /// The languages the host serves people in.
    pub const SUPPORTED: &[&str] = &["en", "fr"];
}
mod long_calls;
pub mod memory;
pub mod plugin;
pub mod runtime;
mod size;
mod state;
mod stock;
mod validate;
pub mod wit;

/// Types exchanged with plugins (0.2.0 reuses 0.1.0's and adds the `extension` ones).
pub mod api {
    /// The `http` capability's request, answer and error (also those of requests the host
    /// sends for a plugin: `Installation::send_vendor_request`).
    pub use crate::wit::since_v0_1_0::corral::plugin::http::{
        HttpError, Request as HttpRequest, Response as HttpResponse,
    };
    pub use crate::wit::since_v0_1_0::corral::plugin::types::{
        AccessDecision, AccessLevel, AccessRequest, Capability, CommandTarget, ConfigKind,
        Configuration, DeviceCommand, DeviceIdentity, EnrolmentAllow, EnrolmentChannel,
        EnrolmentDecision, EnrolmentRequest, FieldError, Hook, HttpMethod, ImportBatch, ImportRow,
        Json, LifecycleEvent, PluginError, PluginInfo, Property, ProvisioningRegistration, Reason,
        RenderedDocument, RowAction, RowOutcome, RowResult, VendorRequest, WipeOptions,
    };
    /// The `extension` export of `corral:plugin@0.2.0`.
    pub use crate::wit::since_v0_2_0::exports::corral::plugin0_2_0::extension::{
        ActionInfo, ExtensionInfo, SettingInfo,
    };
    /// The `enrolment-tokens` export of `corral:plugin@0.3.0`.
    pub use crate::wit::since_v0_3_0::exports::corral::plugin0_3_0::enrolment_tokens::{
        Token, TokenRequest,
    };
    /// The `inventory` capability of `corral:plugin@0.4.0`.
    pub use crate::wit::since_v0_4_0::corral::plugin0_4_0::inventory::{
        DeviceAction, DeviceReport, Verdict,
    };
    /// The `devices` export of `corral:plugin@0.4.0`.
    pub use crate::wit::since_v0_4_0::exports::corral::plugin0_4_0::devices::ManagedDevice;
    /// The `registrations` capability of `corral:plugin@0.6.0` (0.5.0's is converted to it).
    pub use crate::wit::since_v0_6_0::corral::plugin0_6_0::registrations::ConfigurationRef;
    /// The `provisioning` export of `corral:plugin@0.6.0`.
    pub use crate::wit::since_v0_6_0::exports::corral::plugin0_6_0::provisioning::{
        AssignedConfiguration, Decision as ProvisioningAnswer, DeviceFacts, ProvisioningDecision,
        RegistrationFact, Remedy,
    };

    /// The `discoveries` capability of `corral:plugin@0.7.0`.
    pub use crate::wit::since_v0_7_0::corral::plugin0_7_0::discoveries::Discovery;

    /// A device's registration at the plugin's provisioning service, as the `registrations`
    /// capability records it: 0.6.0's, or 0.5.0's, which says neither the channel nor the
    /// configuration's title (its title is its id).
    #[derive(Clone, Debug)]
    pub struct Registration {
        pub vendor_name: String,
        pub identity: DeviceIdentity,
        pub channel: Option<EnrolmentChannel>,
        pub configuration: Option<ConfigurationRef>,
        pub registered_at_ms: Option<u64>,
    }
    /// The `collections` export of `corral:plugin@0.7.0` (older versions' are converted to it).
    pub use crate::wit::since_v0_7_0::exports::corral::plugin0_7_0::collections::{
        ActionInfo as CollectionActionInfo, CollectionInfo, Column, ImportInfo, ImportValues, Item,
        Outcome, Page as ItemPage, Permission as CollectionPermission, RefusedRow,
    };
}

pub use admission::{AdmissionLimits, Busy};
pub use backend::{
    BackendError, Directory, DirectoryDevice, DirectoryUser, HttpClient, InventoryBackend,
    InventoryError, KvBackend, NoHttpClient, NoInventory, NoVendor, OutboundError, OutboundRequest,
    OutboundResponse, Scope, SystemClock, VendorBackend, VendorCredential, WallClock,
};
pub use capability::{Capability, CapabilitySet, Grants};
pub use error::{CallError, Oversize, PluginRef, RuntimeError, ValidationError};
pub use executor::ExecutorConfig;
pub use long_calls::LongCallCounts;
pub use plugin::{HookResult, InstallOptions, Installation, Instance};
pub use runtime::{CallLimits, CompiledPlugin, HostServices, Runtime, RuntimeConfig};
pub use stock::StockStats;
pub use validate::ComponentShape;
pub use wit::WorldVersion;
