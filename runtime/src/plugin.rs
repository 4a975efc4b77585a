//! Installations and calls.
//!
//! Why: an [`Installation`] is one plugin version installed for one tenant with
//! its grants. Installing links exactly the granted capabilities that the
//! component imports (plus WASI only if it imports WASI) and pre-instantiates
//! (`InstancePre`), so each call only has to allocate a fresh sandbox from the
//! pool. Every hook call then: takes a concurrency permit, creates a new
//! `Store` with the installation's limits (memory cap via `ResourceLimiter`,
//! CPU budget via epoch callback that yields to tokio every tick), instantiates
//! asynchronously, calls, checks the result size, and drops the store. A store
//! that saw any error is never reused.
//!
//! Pre-instantiation (`stock.rs`): by default an installation also keeps
//! `RuntimeConfig::prewarm` never-used instances ready, made by a background
//! task; a one-shot call pops one (else instantiates inline), and the used
//! instance is dropped by that task after the call. Still one fresh instance
//! per call; the per-call budgets start when the hook call starts.
//!
//! Ungranted capabilities: a component importing a capability that is not
//! granted is refused at install time with `ValidationError::NotGranted` (it
//! never runs half-linked). Chosen over "link a stub returning an error"
//! because the import list is the plugin's manifest: an administrator sees
//! the refusal up front instead of discovering failures at call time.

use std::sync::Arc;

use tokio::sync::OwnedSemaphorePermit;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::api::*;
use crate::backend::Scope;
use crate::bindings::WorldVersion;
use crate::bindings::{v0_1, v0_2, v0_3, v0_4};
use crate::capability::{Capability, CapabilitySet, Grants};
use crate::error::{CallError, Oversize, PluginRef, RuntimeError};
use crate::runtime::{CallLimits, CompiledPlugin, Runtime, RuntimeInner};
use crate::size::ApproxSize;
use crate::state::{HostState, InstallCtx, MemoryCapExceeded};
use crate::stock::{Stock, StockStats};

/// Parameters of [`Runtime::install`].
#[derive(Clone, Debug)]
pub struct InstallOptions {
    pub tenant_id: String,
    /// Stable plugin identifier (KV scope survives version upgrades).
    pub plugin_id: String,
    /// Version label for errors and logs.
    pub version: String,
    pub grants: Grants,
    /// None = `RuntimeConfig::default_limits`.
    pub limits: Option<CallLimits>,
}

pub(crate) enum Pre {
    V0_1(v0_1::PluginPre<HostState>),
    V0_2(v0_2::PluginPre<HostState>),
    V0_3(v0_3::PluginPre<HostState>),
    V0_4(v0_4::PluginPre<HostState>),
}

/// What an instance is made from: fixed at install time (version, tenant
/// scope, grants, limits), shared by the installation and its stock task.
#[derive(Clone)]
pub(crate) struct Core {
    pub runtime: Arc<RuntimeInner>,
    pub ctx: Arc<InstallCtx>,
    pre: Arc<Pre>,
}

/// A plugin version installed for a tenant. Cheap to clone; calls on it are
/// independent and may run concurrently. Dropping the last clone releases its
/// stock of pre-instantiated instances.
#[derive(Clone)]
pub struct Installation {
    core: Core,
    stock: Option<Arc<Stock>>,
}

impl Runtime {
    /// Install a compiled plugin for a tenant with the given grants, keeping
    /// `RuntimeConfig::prewarm` instances in stock.
    pub fn install(
        &self,
        compiled: &CompiledPlugin,
        opts: InstallOptions,
    ) -> Result<Installation, RuntimeError> {
        self.install_with_prewarm(compiled, opts, self.inner.config.prewarm)
    }

    /// [`Runtime::install`] with its own stock size (0 = always instantiate
    /// inline). The stock task starts now if called inside a tokio runtime,
    /// else at the first call.
    pub fn install_with_prewarm(
        &self,
        compiled: &CompiledPlugin,
        opts: InstallOptions,
        prewarm: usize,
    ) -> Result<Installation, RuntimeError> {
        compiled.check_grants(opts.grants.capabilities)?;
        let limits = opts
            .limits
            .unwrap_or_else(|| self.inner.config.default_limits.clone());
        if limits.memory_bytes > self.inner.config.max_memory_bytes {
            return Err(RuntimeError::Config(
                "memory cap exceeds the pool's memory slot size".into(),
            ));
        }
        let engine = &self.inner.engine;
        let mut linker: Linker<HostState> = Linker::new(engine);
        let linked = compiled
            .shape
            .capabilities
            .intersection(opts.grants.capabilities);
        link_v0_1(&mut linker, linked)?;
        if compiled.shape.uses_wasi {
            wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        }
        let pre = match compiled.shape.version {
            WorldVersion::V0_1 => Pre::V0_1(v0_1::PluginPre::new(
                linker.instantiate_pre(&compiled.component)?,
            )?),
            version @ (WorldVersion::V0_2 | WorldVersion::V0_3 | WorldVersion::V0_4) => {
                type Me = HasSelf<HostState>;
                if linked.contains(Capability::Vendor) {
                    v0_2::corral::plugin0_2_0::vendor::add_to_linker::<HostState, Me>(
                        &mut linker,
                        |s| s,
                    )?;
                }
                if linked.contains(Capability::Inventory) {
                    v0_4::corral::plugin0_4_0::inventory::add_to_linker::<HostState, Me>(
                        &mut linker,
                        |s| s,
                    )?;
                }
                let pre = linker.instantiate_pre(&compiled.component)?;
                match version {
                    WorldVersion::V0_2 => Pre::V0_2(v0_2::PluginPre::new(pre)?),
                    WorldVersion::V0_3 => Pre::V0_3(v0_3::PluginPre::new(pre)?),
                    _ => Pre::V0_4(v0_4::PluginPre::new(pre)?),
                }
            }
        };
        let core = Core {
            runtime: self.inner.clone(),
            ctx: Arc::new(InstallCtx {
                plugin: PluginRef {
                    plugin: opts.plugin_id.clone(),
                    version: opts.version,
                },
                scope: Scope {
                    tenant_id: opts.tenant_id,
                    plugin_id: opts.plugin_id,
                },
                grants: opts.grants,
                services: self.inner.services.clone(),
                limits,
                tick: self.inner.config.epoch_tick,
                tokens: self.inner.tokens.clone(),
            }),
            pre: Arc::new(pre),
        };
        let target = prewarm.min(self.inner.stock_cap);
        let stock = (target > 0).then(|| Arc::new(Stock::new(core.clone(), target)));
        Ok(Installation { core, stock })
    }
}

/// Links `types` and the granted 0.1.0 capabilities (which 0.2.0 imports unchanged).
fn link_v0_1(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    use v0_1::corral::plugin as p;
    type Me = HasSelf<HostState>;
    p::types::add_to_linker::<HostState, Me>(linker, |s| s)?;
    for cap in linked.iter() {
        match cap {
            Capability::Logging => p::logging::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Kv => p::kv::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Http => p::http::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Directory => p::directory::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Clock => p::clock::add_to_linker::<HostState, Me>(linker, |s| s)?,
            // 0.2.0 and 0.4.0: linked by the caller.
            Capability::Vendor | Capability::Inventory => {}
        }
    }
    Ok(())
}

enum Bindings {
    V0_1(v0_1::Plugin),
    V0_2(v0_2::Plugin),
    V0_3(v0_3::Plugin),
    V0_4(v0_4::Plugin),
}

/// A live instance: normally created and dropped inside one hook call, but can
/// be kept for several calls by the same caller (e.g. the batches of one bulk
/// import, or the warm benchmark). Becomes unusable after any failure.
pub struct Instance {
    store: Store<HostState>,
    bindings: Bindings,
    poisoned: bool,
    prewarmed: bool,
    // Dropped after the store (field order): the pool slot is free first.
    _permit: OwnedSemaphorePermit,
}

fn classify(e: wasmtime::Error, state: &HostState) -> CallError {
    let p = state.ctx.plugin.clone();
    if state.out_of_memory || e.is::<MemoryCapExceeded>() {
        return CallError::OutOfMemory(p, state.ctx.limits.memory_bytes);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::DeadlineExceeded(p, state.ctx.limits.cpu_deadline),
        Some(Trap::StackOverflow) => CallError::StackOverflow(p),
        Some(Trap::MemoryOutOfBounds) => CallError::MemoryFault(p),
        Some(Trap::UnreachableCodeReached) => CallError::Trap(
            p,
            "wasm `unreachable` executed (the plugin panicked or aborted)".into(),
        ),
        Some(t) => CallError::Trap(p, t.to_string()),
        None => CallError::Host(p, format!("{e:#}")),
    }
}

fn check_size<T: ApproxSize>(
    value: &T,
    what: &'static str,
    limit: usize,
    plugin: &PluginRef,
) -> Result<(), CallError> {
    let size = value.approx_size();
    if size > limit {
        return Err(CallError::ResultTooLarge(
            plugin.clone(),
            Oversize { what, size, limit },
        ));
    }
    Ok(())
}

impl Core {
    /// Build a store with the installation's limits and instantiate.
    pub(crate) async fn new_instance(
        &self,
        permit: OwnedSemaphorePermit,
        prewarmed: bool,
    ) -> Result<Instance, CallError> {
        let mut store = Store::new(&self.runtime.engine, HostState::new(self.ctx.clone()));
        store.limiter(|s| s);
        store.data_mut().start_call();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            if s.ticks_left == 0 {
                return Err(Trap::Interrupt.into());
            }
            s.ticks_left -= 1;
            Ok(UpdateDeadline::Yield(1))
        });
        let wall = self.ctx.limits.wall_timeout;
        let instantiated = match &*self.pre {
            Pre::V0_1(pre) => tokio::time::timeout(wall, pre.instantiate_async(&mut store))
                .await
                .map(|r| r.map(Bindings::V0_1)),
            Pre::V0_2(pre) => tokio::time::timeout(wall, pre.instantiate_async(&mut store))
                .await
                .map(|r| r.map(Bindings::V0_2)),
            Pre::V0_3(pre) => tokio::time::timeout(wall, pre.instantiate_async(&mut store))
                .await
                .map(|r| r.map(Bindings::V0_3)),
            Pre::V0_4(pre) => tokio::time::timeout(wall, pre.instantiate_async(&mut store))
                .await
                .map(|r| r.map(Bindings::V0_4)),
        };
        let bindings = match instantiated {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                return Err(match classify(e, store.data()) {
                    CallError::Host(p, m) => CallError::Instantiation(p, m),
                    other => other,
                });
            }
            Err(_) => return Err(CallError::Timeout(self.ctx.plugin.clone(), wall)),
        };
        Ok(Instance {
            store,
            bindings,
            poisoned: false,
            prewarmed,
            _permit: permit,
        })
    }
}

impl Installation {
    pub fn plugin(&self) -> &PluginRef {
        &self.core.ctx.plugin
    }

    pub fn tenant_id(&self) -> &str {
        &self.core.ctx.scope.tenant_id
    }

    pub fn limits(&self) -> &CallLimits {
        &self.core.ctx.limits
    }

    /// Counters of the pre-instantiated stock (all zero if it has none).
    pub fn stock_stats(&self) -> StockStats {
        self.stock.as_ref().map(|s| s.stats()).unwrap_or_default()
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, CallError> {
        self.core
            .runtime
            .calls
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| CallError::Host(self.core.ctx.plugin.clone(), "runtime shut down".into()))
    }

    /// A fresh, never-used sandboxed instance (waits for a concurrency
    /// permit): taken from the stock if one is ready, else instantiated now.
    pub async fn instantiate(&self) -> Result<Instance, CallError> {
        if let Some(stock) = &self.stock {
            stock.ensure_started();
        }
        let permit = self.permit().await?;
        if let Some(stock) = &self.stock
            && let Some(mut inst) = stock.take()
        {
            // Swap the stock permit for a call permit: the instance now
            // counts as a running call, and its stock slot can be refilled.
            inst._permit = permit;
            return Ok(inst);
        }
        self.core.new_instance(permit, false).await
    }

    /// A fresh instance instantiated now, bypassing the stock.
    pub async fn instantiate_inline(&self) -> Result<Instance, CallError> {
        let permit = self.permit().await?;
        self.core.new_instance(permit, false).await
    }

    /// Dispose of an instance after a one-shot call: dropped by the stock
    /// task (off the call path) when there is one, else here.
    fn retire(&self, inst: Instance) {
        match &self.stock {
            Some(stock) => stock.retire(inst),
            None => drop(inst),
        }
    }
}

/// Run one export call on an instance: budgets reset, wall-clock timeout, error
/// classification, poisoning on failure. `$run` starts the call with `$store` and awaits it
/// under `tokio::time::timeout($wall, ..)`.
macro_rules! guarded {
    ($self:ident, $wall:ident, $store:ident => $run:expr) => {{
        if $self.poisoned {
            return Err(CallError::Poisoned($self.store.data().ctx.plugin.clone()));
        }
        // Budgets start here, at the call, not at instantiation: a stocked
        // instance may have waited any time since it was made.
        $self.store.data_mut().start_call();
        $self.store.set_epoch_deadline(1);
        let $wall = $self.store.data().ctx.limits.wall_timeout;
        let done = {
            let $store = &mut $self.store;
            $run
        };
        match done {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                $self.poisoned = true;
                Err(classify(e, $self.store.data()))
            }
            Err(_) => {
                $self.poisoned = true;
                Err(CallError::Timeout(
                    $self.store.data().ctx.plugin.clone(),
                    $wall,
                ))
            }
        }
    }};
}

/// Call a `hooks` export (0.1.0's interface, exported by every version).
macro_rules! call_hook {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        guarded!($self, wall, store => match &$self.bindings {
            Bindings::V0_1(b) => {
                let fut = b.corral_plugin_hooks().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            Bindings::V0_2(b) => {
                let fut = b.corral_plugin0_1_0_hooks().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            Bindings::V0_3(b) => {
                let fut = b.corral_plugin0_1_0_hooks().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            Bindings::V0_4(b) => {
                let fut = b.corral_plugin0_1_0_hooks().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
        })
    };
}

/// Call an `extension` export (0.2.0 and later; callers answer for 0.1.0 themselves). 0.3.0's
/// and 0.4.0's answers have their own copies of the types: `$from_v0_3` and `$from_v0_4`
/// convert them.
macro_rules! call_extension {
    ($self:ident, $method:ident ( $($arg:expr),* ), $from_v0_3:expr, $from_v0_4:expr) => {
        guarded!($self, wall, store => match &$self.bindings {
            Bindings::V0_1(_) => Ok(Err(wasmtime::Error::msg(
                "corral:plugin@0.1.0 has no extension export",
            ))),
            Bindings::V0_2(b) => {
                let fut = b.corral_plugin0_2_0_extension().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            Bindings::V0_3(b) => {
                let fut = b.corral_plugin0_2_0_extension().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await.map(|r| r.map($from_v0_3))
            }
            Bindings::V0_4(b) => {
                let fut = b.corral_plugin0_2_0_extension().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await.map(|r| r.map($from_v0_4))
            }
        })
    };
}

/// Call an `enrolment-tokens` export (0.3.0 and later; callers answer for older ones). 0.4.0's
/// copy of the types: `$v0_4_args` are its arguments, `$from_v0_4` converts its answer.
macro_rules! call_tokens {
    ($self:ident, $method:ident ( $($arg:expr),* ), ( $($arg4:expr),* ), $from_v0_4:expr) => {
        guarded!($self, wall, store => match &$self.bindings {
            Bindings::V0_1(_) | Bindings::V0_2(_) => Ok(Err(wasmtime::Error::msg(
                "this corral:plugin version has no enrolment-tokens export",
            ))),
            Bindings::V0_3(b) => {
                let fut = b.corral_plugin0_3_0_enrolment_tokens().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            Bindings::V0_4(b) => {
                let fut = b.corral_plugin0_3_0_enrolment_tokens().$method(store, $($arg4),*);
                tokio::time::timeout(wall, fut).await.map(|r| r.map(|r| r.map($from_v0_4)))
            }
        })
    };
}

/// Call an export new in 0.4.0 (`devices`, `settings`) through its accessor (callers answer
/// for older versions).
macro_rules! call_v0_4 {
    ($self:ident, $export:ident, $method:ident ( $($arg:expr),* )) => {
        guarded!($self, wall, store => match &$self.bindings {
            Bindings::V0_4(b) => {
                let fut = b.$export().$method(store, $($arg),*);
                tokio::time::timeout(wall, fut).await
            }
            _ => Ok(Err(wasmtime::Error::msg(concat!(
                "this corral:plugin version has no ",
                stringify!($export)
            )))),
        })
    };
}

/// A later version's copy of 0.2.0's `extension-info` (same fields), as the one API type.
macro_rules! extension_info {
    ($info:expr) => {{
        let info = $info;
        ExtensionInfo {
            settings: info
                .settings
                .into_iter()
                .map(|s| SettingInfo {
                    name: s.name,
                    description: s.description,
                    required: s.required,
                })
                .collect(),
            oauth_scopes: info.oauth_scopes,
            actions: info
                .actions
                .into_iter()
                .map(|a| ActionInfo {
                    name: a.name,
                    description: a.description,
                })
                .collect(),
        }
    }};
}

fn extension_from_v0_3(
    info: v0_3::exports::corral::plugin0_2_0::extension::ExtensionInfo,
) -> ExtensionInfo {
    extension_info!(info)
}

fn extension_from_v0_4(
    info: v0_4::exports::corral::plugin0_2_0::extension::ExtensionInfo,
) -> ExtensionInfo {
    extension_info!(info)
}

/// The API's token request as 0.4.0's copy of the type.
fn token_request_v0_4(
    r: &TokenRequest,
) -> v0_4::exports::corral::plugin0_3_0::enrolment_tokens::TokenRequest {
    v0_4::exports::corral::plugin0_3_0::enrolment_tokens::TokenRequest {
        profile_id: r.profile_id.clone(),
        owner_user_id: r.owner_user_id.clone(),
        validity_days: r.validity_days,
        attributes: r.attributes.clone(),
    }
}

/// 0.4.0's copy of the token, as the API type.
fn token_from_v0_4(t: v0_4::exports::corral::plugin0_3_0::enrolment_tokens::Token) -> Token {
    Token {
        name: t.name,
        value: t.value,
        expires_at_ms: t.expires_at_ms,
        qr_payload: t.qr_payload,
        vendor_document: t.vendor_document,
    }
}

fn no_devices() -> PluginError {
    PluginError::Unsupported(
        "the plugin targets a corral:plugin version before 0.4.0, which has no device management"
            .into(),
    )
}

fn no_tokens() -> PluginError {
    PluginError::Unsupported(
        "the plugin targets a corral:plugin version before 0.3.0, which has no enrolment tokens"
            .into(),
    )
}

/// Result of a hook: outer error = the host stopped or refused the plugin;
/// inner error = the plugin's own `plugin-error` answer.
pub type HookResult<T> = Result<Result<T, PluginError>, CallError>;

impl Instance {
    /// Whether this instance came from the installation's stock (made ahead
    /// of demand) rather than instantiated on request. Never used before
    /// either way.
    pub fn was_prewarmed(&self) -> bool {
        self.prewarmed
    }

    fn limit(&self) -> usize {
        self.store.data().ctx.limits.max_result_bytes
    }

    fn checked<T: ApproxSize>(
        &mut self,
        r: Result<T, CallError>,
        what: &'static str,
    ) -> Result<T, CallError> {
        let v = r?;
        let limit = self.limit();
        if let Err(e) = check_size(&v, what, limit, &self.store.data().ctx.plugin) {
            self.poisoned = true;
            return Err(e);
        }
        Ok(v)
    }

    pub async fn describe(&mut self) -> Result<PluginInfo, CallError> {
        let r = call_hook!(self, call_describe());
        self.checked(r, "plugin info")
    }

    pub async fn validate_config(&mut self, config: &Configuration) -> HookResult<Vec<FieldError>> {
        let r = call_hook!(self, call_validate_config(config));
        self.checked(r, "validation errors")
    }

    pub async fn render_config(&mut self, config: &Configuration) -> HookResult<RenderedDocument> {
        let r = call_hook!(self, call_render_config(config));
        self.checked(r, "rendered document")
    }

    pub async fn decide_enrolment(
        &mut self,
        request: &EnrolmentRequest,
    ) -> HookResult<EnrolmentDecision> {
        let r = call_hook!(self, call_decide_enrolment(request));
        self.checked(r, "enrolment decision")
    }

    pub async fn map_import_rows(&mut self, batch: &ImportBatch) -> HookResult<Vec<RowResult>> {
        let r = call_hook!(self, call_map_import_rows(batch));
        self.checked(r, "row results")
    }

    pub async fn translate_command(
        &mut self,
        target: &CommandTarget,
        command: &DeviceCommand,
    ) -> HookResult<Vec<VendorRequest>> {
        let r = call_hook!(self, call_translate_command(target, command));
        self.checked(r, "vendor requests")
    }

    pub async fn evaluate_access(
        &mut self,
        connector: &Configuration,
        request: &AccessRequest,
    ) -> HookResult<AccessDecision> {
        let r = call_hook!(self, call_evaluate_access(connector, request));
        self.checked(r, "access decision")
    }

    pub async fn on_event(&mut self, event: &LifecycleEvent) -> HookResult<()> {
        call_hook!(self, call_on_event(event))
    }

    /// The `extension` export's settings, scopes and actions; None for a 0.1.0 plugin.
    pub async fn describe_extension(&mut self) -> Result<Option<ExtensionInfo>, CallError> {
        if let Bindings::V0_1(_) = self.bindings {
            return Ok(None);
        }
        let r = call_extension!(
            self,
            call_describe_extension(),
            extension_from_v0_3,
            extension_from_v0_4
        );
        self.checked(r, "extension info").map(Some)
    }

    /// An administrator action (`extension.perform`); `unsupported` for a 0.1.0 plugin.
    pub async fn perform(&mut self, action: &str, input: &Json) -> HookResult<Json> {
        if let Bindings::V0_1(_) = self.bindings {
            return Ok(Err(PluginError::Unsupported(
                "the plugin targets corral:plugin@0.1.0, which has no actions".into(),
            )));
        }
        let r = call_extension!(
            self,
            call_perform(action, input),
            |answer| answer,
            |answer| answer
        );
        self.checked(r, "action result")
    }

    /// A vendor enrolment token for a profile (`enrolment-tokens.create-token`, 0.3.0).
    pub async fn create_token(&mut self, request: &TokenRequest) -> HookResult<Token> {
        if matches!(self.bindings, Bindings::V0_1(_) | Bindings::V0_2(_)) {
            return Ok(Err(no_tokens()));
        }
        let v0_4 = token_request_v0_4(request);
        let r = call_tokens!(self, call_create_token(request), (&v0_4), token_from_v0_4);
        self.checked(r, "enrolment token")
    }

    /// Deletes a vendor enrolment token (`enrolment-tokens.delete-token`, 0.3.0).
    pub async fn delete_token(&mut self, name: &str) -> HookResult<()> {
        if matches!(self.bindings, Bindings::V0_1(_) | Bindings::V0_2(_)) {
            return Ok(Err(no_tokens()));
        }
        call_tokens!(self, call_delete_token(name), (name), |done| done)
    }

    /// Whether the plugin has 0.4.0's exports (`devices`, `settings`).
    fn is_v0_4(&self) -> bool {
        matches!(self.bindings, Bindings::V0_4(_))
    }

    /// Report every device at the vendor to the host (`devices.sync-inventory`, 0.4.0).
    pub async fn sync_inventory(&mut self) -> HookResult<u32> {
        if !self.is_v0_4() {
            return Ok(Err(no_devices()));
        }
        call_v0_4!(self, corral_plugin0_4_0_devices, call_sync_inventory())
    }

    /// Check the settings a tenant gives the plugin (`settings.validate-settings`, 0.4.0);
    /// older plugins check none (`ok([])`).
    pub async fn validate_settings(
        &mut self,
        settings: &[Property],
    ) -> HookResult<Vec<FieldError>> {
        if !self.is_v0_4() {
            return Ok(Ok(Vec::new()));
        }
        let r = call_v0_4!(
            self,
            corral_plugin0_4_0_settings,
            call_validate_settings(settings)
        );
        self.checked(r, "validation errors")
    }

    /// Carry out a device command at the vendor (`devices.execute`, 0.4.0).
    pub async fn execute(
        &mut self,
        device: &ManagedDevice,
        command: &DeviceCommand,
    ) -> HookResult<()> {
        if !self.is_v0_4() {
            return Ok(Err(no_devices()));
        }
        call_v0_4!(
            self,
            corral_plugin0_4_0_devices,
            call_execute(device, command)
        )
    }
}

/// One-shot call: fresh instance (stock or inline), one hook, instance
/// retired (dropped off the call path when there is a stock task).
macro_rules! one_shot {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {{
        let mut inst = $self.instantiate().await?;
        let r = inst.$method($($arg),*).await;
        $self.retire(inst);
        r
    }};
}

/// One-shot calls: fresh instance, one hook, instance dropped.
impl Installation {
    pub async fn describe(&self) -> Result<PluginInfo, CallError> {
        one_shot!(self, describe())
    }
    pub async fn validate_config(&self, config: &Configuration) -> HookResult<Vec<FieldError>> {
        one_shot!(self, validate_config(config))
    }
    pub async fn render_config(&self, config: &Configuration) -> HookResult<RenderedDocument> {
        one_shot!(self, render_config(config))
    }
    pub async fn decide_enrolment(
        &self,
        request: &EnrolmentRequest,
    ) -> HookResult<EnrolmentDecision> {
        one_shot!(self, decide_enrolment(request))
    }
    pub async fn map_import_rows(&self, batch: &ImportBatch) -> HookResult<Vec<RowResult>> {
        one_shot!(self, map_import_rows(batch))
    }
    pub async fn translate_command(
        &self,
        target: &CommandTarget,
        command: &DeviceCommand,
    ) -> HookResult<Vec<VendorRequest>> {
        one_shot!(self, translate_command(target, command))
    }
    pub async fn evaluate_access(
        &self,
        connector: &Configuration,
        request: &AccessRequest,
    ) -> HookResult<AccessDecision> {
        one_shot!(self, evaluate_access(connector, request))
    }
    pub async fn on_event(&self, event: &LifecycleEvent) -> HookResult<()> {
        one_shot!(self, on_event(event))
    }
    pub async fn describe_extension(&self) -> Result<Option<ExtensionInfo>, CallError> {
        one_shot!(self, describe_extension())
    }
    pub async fn perform(&self, action: &str, input: &Json) -> HookResult<Json> {
        one_shot!(self, perform(action, input))
    }
    pub async fn create_token(&self, request: &TokenRequest) -> HookResult<Token> {
        one_shot!(self, create_token(request))
    }
    pub async fn delete_token(&self, name: &str) -> HookResult<()> {
        one_shot!(self, delete_token(name))
    }
    pub async fn sync_inventory(&self) -> HookResult<u32> {
        one_shot!(self, sync_inventory())
    }
    pub async fn validate_settings(&self, settings: &[Property]) -> HookResult<Vec<FieldError>> {
        one_shot!(self, validate_settings(settings))
    }
    pub async fn execute(&self, device: &ManagedDevice, command: &DeviceCommand) -> HookResult<()> {
        one_shot!(self, execute(device, command))
    }
}
