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
use wasmtime::component::Linker;
use wasmtime::{Store, Trap, UpdateDeadline};

use crate::admission::Ticket;
use crate::api::*;
use crate::backend::Scope;
use crate::capability::Grants;
use crate::cpu::Metered;
use crate::error::{CallError, Oversize, PluginRef, RuntimeError};
use crate::runtime::{CallLimits, CompiledPlugin, Runtime, RuntimeInner};
use crate::size::ApproxSize;
use crate::state::{HostState, InstallCtx, MemoryCapExceeded};
use crate::stock::{Stock, StockStats};
use crate::wit::{self, Exports, Prepared};

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

/// What an instance is made from: fixed at install time (version, tenant
/// scope, grants, limits), shared by the installation and its stock task.
#[derive(Clone)]
pub(crate) struct Core {
    pub runtime: Arc<RuntimeInner>,
    pub ctx: Arc<InstallCtx>,
    pre: Arc<dyn Prepared>,
}

/// A plugin version installed for a tenant. Cheap to clone; calls on it are
/// independent and may run concurrently. Dropping the last clone releases its
/// stock of pre-instantiated instances.
#[derive(Clone)]
pub struct Installation {
    core: Core,
    stock: Option<Arc<Stock>>,
    /// The language its calls serve people in (`locale`, 0.7.0).
    language: Arc<str>,
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
        if compiled.shape.uses_wasi {
            wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        }
        // The one dispatch point from the component's WIT version to its module.
        let pre = wit::prepare(
            compiled.shape.version,
            &mut linker,
            linked,
            &compiled.component,
        )?;
        let long = self.inner.admission.long.gate(&opts.tenant_id);
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
                tokens: self.inner.tokens.clone(),
                long,
            }),
            pre: Arc::from(pre),
        };
        let target = prewarm.min(self.inner.stock_cap);
        let stock = (target > 0).then(|| Arc::new(Stock::new(core.clone(), target)));
        Ok(Installation {
            core,
            stock,
            language: Arc::from(crate::locale::DEFAULT),
        })
    }
}

/// A live instance: normally created and dropped inside one hook call, but can
/// be kept for several calls by the same caller (e.g. the batches of one bulk
/// import, or the warm benchmark). Becomes unusable after any failure.
pub struct Instance {
    store: Store<HostState>,
    exports: Box<dyn Exports>,
    poisoned: bool,
    prewarmed: bool,
    // Dropped after the store (field order): the pool slot is free first.
    _permit: OwnedSemaphorePermit,
    /// The call's place among its tenant's (`admission.rs`); none while in stock.
    _ticket: Option<Ticket>,
}

fn classify(e: wasmtime::Error, state: &HostState) -> CallError {
    let p = state.ctx.plugin.clone();
    if state.out_of_memory || e.is::<MemoryCapExceeded>() {
        return CallError::OutOfMemory(p, state.ctx.limits.memory_bytes);
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => {
            CallError::DeadlineExceeded(p, state.ctx.limits.cpu_deadline, state.meter.used())
        }
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
        // At every epoch tick: stop the call once it has used its CPU budget (CPU time, from
        // `cpu.rs`); park it while it is long and waits for a turn (`long_calls.rs`); else
        // yield to the scheduler so that calls sharing a thread take turns.
        store.epoch_deadline_callback(|ctx| {
            let state = ctx.data();
            if state.out_of_cpu() {
                return Err(Trap::Interrupt.into());
            }
            Ok(match state.wait_for_turn() {
                Some(wait) => UpdateDeadline::YieldCustom(1, wait),
                None => UpdateDeadline::Yield(1),
            })
        });
        let wall = self.ctx.limits.wall_timeout;
        let meter = store.data().meter.clone();
        let instantiate = Metered::new(meter, self.pre.instantiate(&mut store));
        let instantiated = tokio::time::timeout(wall, instantiate).await;
        let exports = match instantiated {
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
            exports,
            poisoned: false,
            prewarmed,
            _permit: permit,
            _ticket: None,
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
        let ticket = self.admit().await?;
        let permit = self.permit().await?;
        if let Some(stock) = &self.stock
            && let Some(mut inst) = stock.take()
        {
            // Swap the stock permit for a call permit: the instance now
            // counts as a running call, and its stock slot can be refilled.
            inst._permit = permit;
            inst._ticket = Some(ticket);
            inst.store.data_mut().language = self.language.clone();
            return Ok(inst);
        }
        let mut inst = self.core.new_instance(permit, false).await?;
        inst._ticket = Some(ticket);
        inst.store.data_mut().language = self.language.clone();
        Ok(inst)
    }

    /// This installation, its calls serving people in `language` (`locale`, 0.7.0): one of
    /// [`crate::locale::SUPPORTED`], else the default.
    pub fn in_language(&self, language: &str) -> Installation {
        let language = crate::locale::SUPPORTED
            .iter()
            .find(|l| l.eq_ignore_ascii_case(language))
            .copied()
            .unwrap_or(crate::locale::DEFAULT);
        Installation {
            language: Arc::from(language),
            ..self.clone()
        }
    }

    /// This call's turn among its tenant's and plugin's calls (`admission.rs`).
    async fn admit(&self) -> Result<Ticket, CallError> {
        let scope = &self.core.ctx.scope;
        self.core
            .runtime
            .admission
            .admit(&scope.tenant_id, &scope.plugin_id)
            .await
            .map_err(|busy| CallError::Busy(self.core.ctx.plugin.clone(), busy))
    }

    /// A fresh instance instantiated now, bypassing the stock.
    pub async fn instantiate_inline(&self) -> Result<Instance, CallError> {
        let ticket = self.admit().await?;
        let permit = self.permit().await?;
        let mut inst = self.core.new_instance(permit, false).await?;
        inst._ticket = Some(ticket);
        inst.store.data_mut().language = self.language.clone();
        Ok(inst)
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

/// Call an export of the instance's WIT version (`wit::Exports`) under the call's guards.
macro_rules! call {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        guarded!($self, wall, store => {
            let meter = store.data().meter.clone();
            let call = Metered::new(meter, $self.exports.$method(store, $($arg),*));
            tokio::time::timeout(wall, call).await
        })
    };
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
        let r = call!(self, describe());
        self.checked(r, "plugin info")
    }

    pub async fn validate_config(&mut self, config: &Configuration) -> HookResult<Vec<FieldError>> {
        let r = call!(self, validate_config(config));
        self.checked(r, "validation errors")
    }

    pub async fn render_config(&mut self, config: &Configuration) -> HookResult<RenderedDocument> {
        let r = call!(self, render_config(config));
        self.checked(r, "rendered document")
    }

    pub async fn decide_enrolment(
        &mut self,
        request: &EnrolmentRequest,
    ) -> HookResult<EnrolmentDecision> {
        let r = call!(self, decide_enrolment(request));
        self.checked(r, "enrolment decision")
    }

    pub async fn map_import_rows(&mut self, batch: &ImportBatch) -> HookResult<Vec<RowResult>> {
        let r = call!(self, map_import_rows(batch));
        self.checked(r, "row results")
    }

    pub async fn translate_command(
        &mut self,
        target: &CommandTarget,
        command: &DeviceCommand,
    ) -> HookResult<Vec<VendorRequest>> {
        let r = call!(self, translate_command(target, command));
        self.checked(r, "vendor requests")
    }

    pub async fn evaluate_access(
        &mut self,
        connector: &Configuration,
        request: &AccessRequest,
    ) -> HookResult<AccessDecision> {
        let r = call!(self, evaluate_access(connector, request));
        self.checked(r, "access decision")
    }

    pub async fn on_event(&mut self, event: &LifecycleEvent) -> HookResult<()> {
        call!(self, on_event(event))
    }

    /// The `extension` export's settings, scopes and actions; None for a 0.1.0 plugin.
    pub async fn describe_extension(&mut self) -> Result<Option<ExtensionInfo>, CallError> {
        let r = call!(self, describe_extension());
        self.checked(r, "extension info")
    }

    /// An administrator action (`extension.perform`, 0.2.0).
    pub async fn perform(&mut self, action: &str, input: &Json) -> HookResult<Json> {
        let r = call!(self, perform(action, input));
        self.checked(r, "action result")
    }

    /// A vendor enrolment token for a profile (`enrolment-tokens.create-token`, 0.3.0).
    pub async fn create_token(&mut self, request: &TokenRequest) -> HookResult<Token> {
        let r = call!(self, create_token(request));
        self.checked(r, "enrolment token")
    }

    /// Deletes a vendor enrolment token (`enrolment-tokens.delete-token`, 0.3.0).
    pub async fn delete_token(&mut self, name: &str) -> HookResult<()> {
        call!(self, delete_token(name))
    }

    /// Report every device at the vendor to the host (`devices.sync-inventory`, 0.4.0).
    pub async fn sync_inventory(&mut self) -> HookResult<u32> {
        call!(self, sync_inventory())
    }

    /// Check the settings a tenant gives the plugin (`settings.validate-settings`, 0.4.0);
    /// older plugins check none (`ok([])`).
    pub async fn validate_settings(
        &mut self,
        settings: &[Property],
    ) -> HookResult<Vec<FieldError>> {
        let r = call!(self, validate_settings(settings));
        self.checked(r, "validation errors")
    }

    /// Carry out a device command at the vendor (`devices.execute`, 0.4.0).
    pub async fn execute(
        &mut self,
        device: &ManagedDevice,
        command: &DeviceCommand,
    ) -> HookResult<()> {
        call!(self, execute(device, command))
    }

    /// The plugin's collections (`collections.describe-collections`, 0.5.0); none before.
    pub async fn describe_collections(&mut self) -> Result<Vec<CollectionInfo>, CallError> {
        let r = call!(self, describe_collections());
        self.checked(r, "collections")
    }

    /// The channels whose precedence the plugin decides (`provisioning.decides-between`,
    /// 0.6.0); none before.
    pub async fn decides_between(&mut self) -> Result<Vec<EnrolmentChannel>, CallError> {
        let r = call!(self, decides_between());
        self.checked(r, "channels")
    }

    /// One decision per device (`provisioning.decide-provisioning`, 0.6.0); a plugin that does
    /// not answer one per device is a malformed answer.
    pub async fn decide_provisioning(
        &mut self,
        devices: &[DeviceFacts],
    ) -> HookResult<Vec<ProvisioningAnswer>> {
        let r = call!(self, decide_provisioning(devices));
        let r = self.checked(r, "provisioning decisions")?;
        if let Ok(answers) = &r
            && answers.len() != devices.len()
        {
            return Ok(Err(PluginError::Internal(format!(
                "{} decisions for {} devices",
                answers.len(),
                devices.len()
            ))));
        }
        Ok(r)
    }

    /// A page of a collection (`collections.list`, 0.5.0).
    pub async fn list_items(
        &mut self,
        collection: &str,
        search: Option<&str>,
        page_token: Option<&str>,
    ) -> HookResult<ItemPage> {
        let r = call!(self, list_items(collection, search, page_token));
        self.checked(r, "page of items")
    }

    /// The refused rows of a batch of an import (`collections.check-import-rows`, 0.5.0; the
    /// rows `map-import-rows` does not accept before).
    pub async fn check_import_rows(
        &mut self,
        import_name: &str,
        job_id: &str,
        columns: &[String],
        rows: &[ImportValues],
    ) -> HookResult<Vec<RefusedRow>> {
        let r = call!(self, check_import_rows(import_name, job_id, columns, rows));
        self.checked(r, "refused rows")
    }

    /// One item of a collection (`collections.get`, 0.5.0).
    pub async fn get_item(&mut self, collection: &str, id: &str) -> HookResult<Option<Item>> {
        let r = call!(self, get_item(collection, id));
        self.checked(r, "item")
    }

    /// The JSON Schema of an action's input (`collections.form`, 0.5.0).
    pub async fn action_form(
        &mut self,
        collection: &str,
        item: Option<&str>,
        action: &str,
    ) -> HookResult<Json> {
        let r = call!(self, action_form(collection, item, action));
        self.checked(r, "form")
    }

    /// An action on a collection or one of its items (`collections.act`, 0.5.0).
    pub async fn act(
        &mut self,
        collection: &str,
        item: Option<&str>,
        action: &str,
        input: &Json,
    ) -> HookResult<Outcome> {
        let r = call!(self, act(collection, item, action, input));
        self.checked(r, "outcome")
    }
}

/// One-shot call: fresh instance (stock or inline), one hook, instance
/// retired (dropped off the call path when there is a stock task). Runs on
/// the plugin executor when there is one (`executor.rs`), with its own copies
/// of the arguments.
macro_rules! one_shot {
    ($self:ident, $method:ident ( $($arg:ident),* )) => {{
        $(let $arg = $arg.to_owned();)*
        let this = $self.clone();
        $self.on_executor(async move {
            let mut inst = this.instantiate().await?;
            let r = inst.$method($(&$arg),*).await;
            this.retire(inst);
            r
        })
        .await
    }};
}

/// Requests the host sends on a plugin's behalf.
impl Installation {
    /// Sends a request the plugin prepared (a `row-action`'s `vendor-request`) with the
    /// tenant's credential, through exactly what the plugin's own `vendor.send` goes through
    /// (the allow-list and address checks, the token exchange for the plugin's scopes, size and
    /// time limits), for work whose pace the host sets itself (bulk imports). Refused when the
    /// installation is not granted `vendor`.
    pub async fn send_vendor_request(
        &self,
        request: &VendorRequest,
    ) -> Result<HttpResponse, HttpError> {
        use crate::wit::since_v0_2_0::corral::plugin0_2_0::vendor::Host as _;
        if !self
            .core
            .ctx
            .grants
            .capabilities
            .contains(crate::Capability::Vendor)
        {
            return Err(HttpError::Denied(
                "the plugin is not granted the vendor capability in this tenant".into(),
            ));
        }
        let mut state = HostState::new(self.core.ctx.clone());
        state
            .send(HttpRequest {
                method: request.method,
                url: request.url.clone(),
                headers: request.headers.clone(),
                body: request.body.as_ref().map(|b| b.clone().into_bytes()),
            })
            .await
    }
}

/// One-shot calls: fresh instance, one hook, instance dropped.
impl Installation {
    /// Runs a one-shot call where plugin calls run: the executor's threads, else here.
    async fn on_executor<T: Send + 'static>(
        &self,
        call: impl std::future::Future<Output = Result<T, CallError>> + Send + 'static,
    ) -> Result<T, CallError> {
        match &self.core.runtime.executor {
            None => call.await,
            Some(executor) => executor.run(call).await.unwrap_or_else(|e| {
                Err(CallError::Host(
                    self.core.ctx.plugin.clone(),
                    format!("the plugin call's task ended: {e}"),
                ))
            }),
        }
    }

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
    /// The refused rows of a batch of an import; the rows are shared, not copied, so that the
    /// caller keeps them (a refused row's values) and can ask again.
    pub async fn check_import_rows(
        &self,
        import_name: &str,
        job_id: &str,
        columns: &Arc<[String]>,
        rows: &Arc<[ImportValues]>,
    ) -> HookResult<Vec<RefusedRow>> {
        one_shot!(self, check_import_rows(import_name, job_id, columns, rows))
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
    pub async fn describe_collections(&self) -> Result<Vec<CollectionInfo>, CallError> {
        one_shot!(self, describe_collections())
    }
    pub async fn decides_between(&self) -> Result<Vec<EnrolmentChannel>, CallError> {
        one_shot!(self, decides_between())
    }
    pub async fn decide_provisioning(
        &self,
        devices: &[DeviceFacts],
    ) -> HookResult<Vec<ProvisioningAnswer>> {
        one_shot!(self, decide_provisioning(devices))
    }
    pub async fn list_items(
        &self,
        collection: &str,
        search: Option<&str>,
        page_token: Option<&str>,
    ) -> HookResult<ItemPage> {
        let (collection, search, page_token) = (
            collection.to_owned(),
            search.map(str::to_owned),
            page_token.map(str::to_owned),
        );
        let this = self.clone();
        self.on_executor(async move {
            let mut inst = this.instantiate().await?;
            let r = inst
                .list_items(&collection, search.as_deref(), page_token.as_deref())
                .await;
            this.retire(inst);
            r
        })
        .await
    }
    pub async fn get_item(&self, collection: &str, id: &str) -> HookResult<Option<Item>> {
        one_shot!(self, get_item(collection, id))
    }
    pub async fn action_form(
        &self,
        collection: &str,
        item: Option<&str>,
        action: &str,
    ) -> HookResult<Json> {
        let (collection, item, action) = (
            collection.to_owned(),
            item.map(str::to_owned),
            action.to_owned(),
        );
        let this = self.clone();
        self.on_executor(async move {
            let mut inst = this.instantiate().await?;
            let r = inst
                .action_form(&collection, item.as_deref(), &action)
                .await;
            this.retire(inst);
            r
        })
        .await
    }
    pub async fn act(
        &self,
        collection: &str,
        item: Option<&str>,
        action: &str,
        input: &Json,
    ) -> HookResult<Outcome> {
        let (collection, item, action, input) = (
            collection.to_owned(),
            item.map(str::to_owned),
            action.to_owned(),
            input.to_owned(),
        );
        let this = self.clone();
        self.on_executor(async move {
            let mut inst = this.instantiate().await?;
            let r = inst
                .act(&collection, item.as_deref(), &action, &input)
                .await;
            this.retire(inst);
            r
        })
        .await
    }
}
