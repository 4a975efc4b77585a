//! Plugins (SPEC H): tenants' WebAssembly plugins, run by `corral-plugin-runtime`.
//!
//! - `registry`: uploads (validated and compiled by the runtime before anything is stored),
//!   versions, activation and roll-back, the capabilities a tenant allows. Component bytes live
//!   in the database so every host process can install them.
//! - [`Plugins`]: the service handlers call. It looks up the tenant's active version on every
//!   call (so an activation through one process is seen by all), and keeps an `Installation`
//!   per active version and grant set as a cache. Compiled artifacts are cached on disk by the
//!   runtime, so a restart does not recompile.
//! - `configurations`: configurations stored for a plugin (validated by it), their priority
//!   and distribution, and which one applies to a device.
//! - `deliveries`: configuration changes on their way to the plugin (`on-event`), kept until
//!   it takes them.
//! - `enrolment_profiles`: enrolment profiles whose tokens a plugin creates at its vendor.
//! - `inventory`: the devices a plugin manages at its vendor, reported to the host, which
//!   answers a verdict for each; administrators' device commands.
//! - `backends`: the database and HTTPS behind the plugins' capabilities.
//! - `vendor`: the settings and sealed credential a tenant gives a plugin for its vendor calls.
//!
//! Built-in vendor plugins take the same path as uploads (`corral plugin install`), so the host
//! holds no vendor's rules and no special case.

pub mod capabilities;
pub mod registry;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corral_plugin_runtime::{
    api, heap, AdmissionLimits, Busy, CallError, CallLimits, ExecutorConfig, Grants, HostServices,
    InstallOptions, Installation, Runtime, RuntimeConfig, RuntimeError,
};
use sha2::{Digest, Sha256};

use crate::admins::Permission;
use crate::error::Error;
use crate::secrets::SecretBox;
use crate::services::AsAdmin;
use crate::store::Store;
use crate::tenants::TenantId;

pub use registry::{PluginSummary, PluginVersion};

/// Operator settings of the plugin host.
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_upload_bytes: usize,
    pub compile_timeout: Duration,
    /// Let plugins reach loopback and private addresses (tests, on-premises vendors).
    pub allow_private_addresses: bool,
    /// PEM file of certificate authorities that plugins' HTTPS trusts besides the system's
    /// (an on-premises vendor server, a test stand-in).
    pub extra_roots: Option<std::path::PathBuf>,
    /// First retry delay of a configuration change the plugin failed to take (`deliveries`).
    pub delivery_retry: Duration,
    /// Where the inventory's deadlines read the time (`inventory`).
    pub clock: crate::devices::inventory::Clock,
    /// The threads plugin calls run on.
    pub executor: ExecutorConfig,
    /// CPU time and wall-clock time of one call.
    pub cpu_deadline: Duration,
    pub wall_timeout: Duration,
    /// Each tenant's and plugin's share of the running calls.
    pub admission: AdmissionLimits,
    /// How bulk imports run (their directory is the data directory's `imports`).
    pub imports: crate::imports::Settings,
}

/// An installation kept for the next calls of a plugin, while its active version and grants
/// stay the same.
struct Cached {
    fingerprint: String,
    installation: Installation,
    last_used: Instant,
}

/// The plugin host of this process. Cheap to clone.
#[derive(Clone)]
pub struct Plugins {
    runtime: Runtime,
    store: Store,
    installed: Arc<Mutex<HashMap<String, Cached>>>,
    /// Per plugin: held while its installation is being made.
    installing: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    delivery_retry: Duration,
    /// How bulk imports through plugins run (`imports`), and the runner's wake-up call.
    imports: Arc<crate::imports::Settings>,
    imports_wake: Arc<tokio::sync::Notify>,
}

impl Plugins {
    pub fn new(
        store: Store,
        secrets: &SecretBox,
        data_dir: &Path,
        settings: &Settings,
    ) -> Result<Plugins, Error> {
        let config = RuntimeConfig {
            max_upload_bytes: settings.max_upload_bytes,
            compile_timeout: settings.compile_timeout,
            cache_dir: Some(data_dir.join("plugin-cache")),
            cache_key: secrets.derive_key("plugin-artifact-cache").to_vec(),
            admission: settings.admission.clone(),
            executor: Some(settings.executor.clone()),
            default_limits: CallLimits {
                cpu_deadline: settings.cpu_deadline,
                wall_timeout: settings.wall_timeout,
                ..CallLimits::default()
            },
            ..RuntimeConfig::default()
        };
        let services = HostServices {
            kv: Arc::new(capabilities::kv::DbKv {
                store: store.clone(),
                max_keys: 10_000,
            }),
            directory: Arc::new(capabilities::directory::DbDirectory {
                store: store.clone(),
            }),
            http: Arc::new(capabilities::http::TlsHttpClient::new(
                config.default_limits.http_timeout,
                capabilities::http::load_roots(settings.extra_roots.as_deref())?,
            )),
            vendor: Arc::new(capabilities::vendor::DbVendor::new(
                store.clone(),
                secrets.clone(),
            )),
            inventory: Arc::new(capabilities::inventory::DbInventory {
                store: store.clone(),
                clock: settings.clock.clone(),
            }),
            clock: Arc::new(settings.clock.clone()),
            allow_private_addresses: settings.allow_private_addresses,
        };
        let runtime = Runtime::new(config, services)
            .map_err(|e| Error::Config(format!("plugin runtime: {e}")))?;
        Ok(Plugins {
            runtime,
            store,
            installed: Arc::default(),
            installing: Arc::default(),
            delivery_retry: settings.delivery_retry,
            imports: Arc::new(crate::imports::Settings {
                dir: data_dir.join("imports"),
                ..settings.imports.clone()
            }),
            imports_wake: Arc::default(),
        })
    }

    /// How bulk imports run in this process.
    pub fn imports(&self) -> &crate::imports::Settings {
        &self.imports
    }

    /// Tells this process's import runner that a job may be waiting.
    pub(crate) fn wake_imports(&self) {
        self.imports_wake.notify_one();
    }

    /// Returns once [`Plugins::wake_imports`] was called.
    pub(crate) async fn imports_woken(&self) {
        self.imports_wake.notified().await
    }

    pub(crate) fn delivery_retry(&self) -> Duration {
        self.delivery_retry
    }

    pub(crate) fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The installation to call a hook of the plugin's active version on, unless the tenant's
    /// queue of plugin calls is full: such a call is turned away here, before any database
    /// work, so that a tenant flooding its share costs the server a map look-up per request
    /// (200 clients of one tenant coming back together after their `Retry-After` otherwise
    /// cost each a look-up of the plugin and delayed other tenants' requests behind them).
    pub async fn for_call(
        &self,
        tenant: &TenantId,
        plugin_id: &str,
    ) -> Result<Installation, HookError> {
        if let Some(busy) = self.runtime.tenant_refusal(tenant.as_str()) {
            return Err(HookError::Busy(plugin_id.to_string(), busy));
        }
        Ok(self.active(tenant, plugin_id).await?)
    }

    /// The installation of the plugin's active version for its tenant, with the grants the
    /// tenant allows (from cache when nothing changed).
    pub async fn active(&self, tenant: &TenantId, plugin_id: &str) -> Result<Installation, Error> {
        let active = match registry::active_version(&self.store, tenant, plugin_id).await {
            Ok(active) => active,
            Err(e) => {
                // Deleted or switched off (perhaps through another process): let it go.
                self.forget(plugin_id);
                return Err(e);
            }
        };
        let fingerprint = format!(
            "{}|{}|{}",
            active.version_id,
            active
                .allowed
                .iter()
                .map(|c| c.interface())
                .collect::<Vec<_>>()
                .join(","),
            active.http_allow_hosts.join(",")
        );
        if let Some(installation) = self.cached(plugin_id, &fingerprint) {
            return Ok(installation);
        }
        // One installation at a time per plugin: calls arriving together for a plugin that is
        // not installed wait for the first to install it instead of each compiling or loading
        // it (32 at once did, and stalled the server for half a second).
        let turn = self
            .installing
            .lock()
            .expect("not poisoned")
            .entry(plugin_id.to_string())
            .or_default()
            .clone();
        let _turn = turn.lock().await;
        if let Some(installation) = self.cached(plugin_id, &fingerprint) {
            return Ok(installation);
        }
        let bytes = registry::component_bytes(&self.store, tenant, &active.version_id).await?;
        let compiled = self.runtime.compile(&bytes).await.map_err(runtime_error)?;
        tracing::info!(
            plugin = %active.name, version = %active.label, from_cache = compiled.from_cache,
            "plugin installed"
        );
        let grants = Grants {
            oauth_scopes: active.oauth_scopes.clone(),
            ..Grants::intersect(
                active.requested,
                active.allowed,
                active.http_allow_hosts.clone(),
            )
        };
        let installation = self
            .runtime
            .install(
                &compiled,
                InstallOptions {
                    tenant_id: tenant.as_str().to_string(),
                    plugin_id: active.name.clone(),
                    version: active.label.clone(),
                    grants,
                    limits: None,
                },
            )
            .map_err(runtime_error)?;
        let cached = Cached {
            fingerprint,
            installation: installation.clone(),
            last_used: Instant::now(),
        };
        self.installed
            .lock()
            .expect("not poisoned")
            .insert(plugin_id.to_string(), cached);
        Ok(installation)
    }

    /// The kept installation of the plugin, if it is of this fingerprint (version and grants).
    fn cached(&self, plugin_id: &str, fingerprint: &str) -> Option<Installation> {
        let mut installed = self.installed.lock().expect("not poisoned");
        let cached = installed.get_mut(plugin_id)?;
        if cached.fingerprint != fingerprint {
            return None;
        }
        cached.last_used = Instant::now();
        Some(cached.installation.clone())
    }

    /// Lets go of the plugin's installation (its compiled code and stocked instances are freed
    /// once its running calls end): after its version changes, it is switched off or deleted.
    pub fn forget(&self, plugin_id: &str) {
        let removed = self
            .installed
            .lock()
            .expect("not poisoned")
            .remove(plugin_id);
        self.installing
            .lock()
            .expect("not poisoned")
            .remove(plugin_id);
        if let Some(cached) = removed {
            drop(cached);
            heap::give_back();
        }
    }

    /// Lets go of the installations not called for `idle`; answers how many.
    pub fn release_idle(&self, idle: Duration) -> usize {
        let mut installed = self.installed.lock().expect("not poisoned");
        let before = installed.len();
        installed.retain(|_, cached| cached.last_used.elapsed() < idle);
        let released = before - installed.len();
        drop(installed);
        if released > 0 {
            heap::give_back();
        }
        released
    }

    /// Installations kept in this process.
    pub fn installed_count(&self) -> usize {
        self.installed.lock().expect("not poisoned").len()
    }
}

impl AsAdmin<'_> {
    /// Performs one of the actions the plugin lists (`perform`), with its JSON input; answers
    /// the plugin's JSON result.
    pub async fn perform_plugin_action(
        &self,
        plugin_id: &str,
        action: &str,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, HookError> {
        self.require(Permission::ManagePlugins)?;
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?;
        let answer = installation.perform(action, &input.to_string()).await;
        let answer = hook(&installation, answer)?;
        serde_json::from_str(&answer).map_err(|e| HookError::Refused {
            plugin: installation.plugin().to_string(),
            message: format!("the plugin answered something that is not JSON: {e}"),
        })
    }
}

/// How a runtime refusal reads to a caller.
pub(crate) fn runtime_error(e: RuntimeError) -> Error {
    match e {
        RuntimeError::Validation(v) => Error::Invalid {
            field: "component".into(),
            message: v.to_string(),
        },
        other => Error::Internal(other.to_string()),
    }
}

/// A hook call's failures, as callers see them: the plugin's own refusal, or the host stopping
/// it (trap, deadline, memory, ...). Both name the plugin and version.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{0}")]
    Setup(#[from] Error),
    #[error("plugin {plugin} refused: {message}")]
    Refused { plugin: String, message: String },
    #[error(transparent)]
    Failed(#[from] CallError),
    /// Not tried: the tenant's queue of plugin calls is full (`Plugins::for_call`).
    #[error("plugin {0} was not run: {1}")]
    Busy(String, Busy),
}

/// Turns a `HookResult` into a value or a [`HookError`].
pub fn hook<T>(
    installation: &Installation,
    result: corral_plugin_runtime::HookResult<T>,
) -> Result<T, HookError> {
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(refusal)) => Err(HookError::Refused {
            plugin: installation.plugin().to_string(),
            message: plugin_error_text(&refusal),
        }),
        Err(failure) => Err(HookError::Failed(failure)),
    }
}

pub(crate) fn plugin_error_text(e: &api::PluginError) -> String {
    match e {
        api::PluginError::Unsupported(m) => format!("unsupported: {m}"),
        api::PluginError::InvalidInput(m) => format!("invalid input: {m}"),
        api::PluginError::Denied(m) => format!("denied: {m}"),
        api::PluginError::Upstream(m) => format!("vendor API: {m}"),
        api::PluginError::Internal(m) => format!("internal: {m}"),
    }
}

/// SHA-256 of an upload, hex.
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    crate::secrets::hex(&Sha256::digest(bytes))
}
