//! The engine and everything shared by all plugins.
//!
//! Why: there is exactly one `wasmtime::Engine` per host process, configured
//! once: Cranelift, the pooling allocator (instances, memories, tables and
//! async stacks are pre-reserved slots, so a fresh instance per call is cheap),
//! copy-on-write memory images, epoch interruption driven by a ticker thread,
//! async support so guests yield to tokio instead of blocking a worker. The
//! [`Runtime`] also owns the compile pipeline (validation, time budget,
//! artifact cache), the concurrency limit that keeps calls below the pool's
//! hard capacity, and the global cap on pre-instantiated (stocked) instances:
//! running calls + stock < pool capacity.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::admission::{Admission, AdmissionLimits, Busy};
use crate::backend::{
    Directory, HttpClient, InventoryBackend, KvBackend, NoHttpClient, NoInventory, NoVendor,
    SystemClock, VendorBackend, WallClock,
};
use crate::cache::{ArtifactCache, content_hash, engine_hash};
use crate::capability::CapabilitySet;
use crate::error::{RuntimeError, ValidationError};
use crate::executor::{Executor, ExecutorConfig};
use crate::memory::{MemoryDirectory, MemoryKv};
use crate::validate::{ComponentShape, check_header, inspect};

/// Limits applied to every call of an installation.
#[derive(Clone, Debug)]
pub struct CallLimits {
    /// CPU time a call may use (measured from its threads' CPU clocks, checked at every
    /// epoch tick, so it may overshoot by about `RuntimeConfig::epoch_tick`).
    pub cpu_deadline: Duration,
    /// Whole call including host capability awaits (KV, HTTP, ...).
    pub wall_timeout: Duration,
    /// Linear memory cap per instance (≤ `RuntimeConfig::max_memory_bytes`).
    pub memory_bytes: usize,
    /// Table elements cap per table.
    pub table_elements: usize,
    /// Approximate size cap of a hook's result once lifted into the host.
    pub max_result_bytes: usize,
    pub max_log_lines: u32,
    pub max_log_line_bytes: usize,
    pub max_kv_key_bytes: usize,
    pub max_kv_value_bytes: usize,
    pub max_kv_list: u32,
    pub max_directory_results: usize,
    pub http_timeout: Duration,
    pub max_http_body_bytes: usize,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            cpu_deadline: Duration::from_secs(1),
            wall_timeout: Duration::from_secs(10),
            memory_bytes: 64 << 20,
            table_elements: 20_000,
            max_result_bytes: 4 << 20,
            max_log_lines: 200,
            max_log_line_bytes: 4096,
            max_kv_key_bytes: 512,
            max_kv_value_bytes: 256 << 10,
            max_kv_list: 1000,
            max_directory_results: 1000,
            http_timeout: Duration::from_secs(5),
            max_http_body_bytes: 4 << 20,
        }
    }
}

/// Engine and pool configuration, fixed for the life of the [`Runtime`].
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Pool capacity: component instances alive at once (hard cap in wasmtime).
    pub max_instances: u32,
    /// Concurrent plugin calls; must be below `max_instances`.
    pub max_concurrent_calls: usize,
    /// Size of a linear-memory slot in the pool: the largest memory cap any
    /// installation may get.
    pub max_memory_bytes: usize,
    /// Epoch tick: granularity of CPU deadlines and of guest yields to tokio.
    pub epoch_tick: Duration,
    /// WebAssembly stack limit (deep recursion traps past it).
    pub max_wasm_stack: usize,
    /// Bytes of each memory slot kept resident (memset instead of madvise on
    /// reuse): lower per-instance cost for small guests.
    pub memory_keep_resident: usize,
    /// Same for tables.
    pub table_keep_resident: usize,
    /// Bytes of each async (fiber) stack kept resident between uses.
    pub async_stack_keep_resident: usize,
    /// Pool slots are decommitted (madvise) in batches of this many.
    pub decommit_batch_size: usize,
    /// Unused pool slots kept warm (their kept-resident pages stay in memory, ready for the
    /// next instance of the same plugin); past this, a new instance takes the least recently
    /// used slot instead of a cold one, so the slots a server has ever touched stay at most
    /// the instances alive at once plus this many, whatever number of plugins came and went.
    pub max_unused_warm_slots: u32,
    /// Upload size limit.
    pub max_upload_bytes: usize,
    /// Time budget for compiling one upload.
    pub compile_timeout: Duration,
    /// Artifact cache directory (none = always compile).
    pub cache_dir: Option<PathBuf>,
    /// HMAC key authenticating cached artifacts (keep it secret, stable
    /// across restarts of the same deployment).
    pub cache_key: Vec<u8>,
    /// Defaults for new installations.
    pub default_limits: CallLimits,
    /// Pre-instantiation: never-used instances each installation keeps ready
    /// ahead of demand (refilled by a background task; 0 disables). Override
    /// per installation with [`Runtime::install_with_prewarm`].
    pub prewarm: usize,
    /// Global cap on stocked (ready, idle) instances across all
    /// installations. Stocked instances occupy pool slots, so the cap is
    /// clamped to `max_instances - max_concurrent_calls - 1`: running calls
    /// plus stock can never exhaust the pool. When the cap is reached an
    /// installation simply does not stock (its calls instantiate inline).
    pub max_stocked_instances: usize,
    /// Threads of their own for plugin calls (`executor.rs`); none: calls run on the
    /// caller's runtime.
    pub executor: Option<ExecutorConfig>,
    /// Fair shares of the running calls between tenants and plugins (`admission.rs`).
    /// `admission.running` is clamped to `max_concurrent_calls`.
    pub admission: AdmissionLimits,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_instances: 128,
            max_concurrent_calls: 96,
            max_memory_bytes: 128 << 20,
            epoch_tick: Duration::from_millis(1),
            max_wasm_stack: 512 << 10,
            memory_keep_resident: 256 << 10,
            table_keep_resident: 64 << 10,
            async_stack_keep_resident: 128 << 10,
            decommit_batch_size: 1,
            max_unused_warm_slots: 2,
            max_upload_bytes: 32 << 20,
            compile_timeout: Duration::from_secs(60),
            cache_dir: None,
            cache_key: Vec::new(),
            default_limits: CallLimits::default(),
            prewarm: 1,
            max_stocked_instances: 16,
            admission: AdmissionLimits::default(),
            executor: None,
        }
    }
}

/// Backends the capabilities are implemented with (shared by all plugins;
/// every call passes its own scope).
#[derive(Clone)]
pub struct HostServices {
    pub kv: Arc<dyn KvBackend>,
    pub directory: Arc<dyn Directory>,
    pub http: Arc<dyn HttpClient>,
    /// Settings and credentials behind the `vendor` capability.
    pub vendor: Arc<dyn VendorBackend>,
    /// Device records behind the `inventory` capability.
    pub inventory: Arc<dyn InventoryBackend>,
    /// The time behind the `clock` capability.
    pub clock: Arc<dyn WallClock>,
    /// Operator switch: let plugins reach loopback/private addresses
    /// (for on-premises Exchange, for instance). Off by default.
    pub allow_private_addresses: bool,
}

impl HostServices {
    /// In-memory KV and directory, no outbound HTTP: for tests and benches.
    pub fn in_memory() -> Self {
        HostServices {
            kv: Arc::new(MemoryKv::new()),
            directory: Arc::new(MemoryDirectory::new()),
            http: Arc::new(NoHttpClient),
            vendor: Arc::new(NoVendor),
            inventory: Arc::new(NoInventory),
            clock: Arc::new(SystemClock),
            allow_private_addresses: false,
        }
    }
}

/// A validated, compiled component (shared by all installations of it).
#[derive(Clone)]
pub struct CompiledPlugin {
    pub(crate) component: Component,
    /// What its type says: world version, capability imports, WASI use.
    pub shape: ComponentShape,
    /// SHA-256 of the uploaded bytes.
    pub content_hash: String,
    /// Whether it came from the artifact cache (no compilation).
    pub from_cache: bool,
}

impl CompiledPlugin {
    /// Refuse if the component imports a capability outside `granted`.
    pub fn check_grants(&self, granted: CapabilitySet) -> Result<(), ValidationError> {
        let missing = self.shape.capabilities.difference(granted);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::NotGranted { missing, granted })
        }
    }
}

pub(crate) struct RuntimeInner {
    pub engine: Engine,
    pub config: RuntimeConfig,
    pub services: HostServices,
    pub calls: Arc<Semaphore>,
    /// Turns of the tenants' calls (`admission.rs`).
    pub admission: Admission,
    /// Where one-shot calls run, if not on the caller's runtime.
    pub executor: Option<Executor>,
    /// One permit per stocked instance (see `RuntimeConfig::max_stocked_instances`).
    pub stock_permits: Arc<Semaphore>,
    pub stock_cap: usize,
    /// Access tokens of the `vendor` capability, shared by every installation.
    pub tokens: Arc<crate::host::TokenCache>,
    compiles: Semaphore,
    cache: Option<ArtifactCache>,
    stop: Arc<AtomicBool>,
}

impl Drop for RuntimeInner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The plugin runtime: one per host process. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<RuntimeInner>,
}

fn engine_config(cfg: &RuntimeConfig) -> Config {
    let mut pool = PoolingAllocationConfig::new();
    let n = cfg.max_instances;
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(8))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(4))
        .total_stacks(n)
        .max_core_instances_per_component(32)
        .max_memories_per_component(4)
        .max_tables_per_component(8)
        .max_memory_size(cfg.max_memory_bytes)
        .table_elements(cfg.default_limits.table_elements.max(20_000))
        .max_core_instance_size(4 << 20)
        .max_component_instance_size(4 << 20)
        .linear_memory_keep_resident(cfg.memory_keep_resident)
        .table_keep_resident(cfg.table_keep_resident)
        .async_stack_keep_resident(cfg.async_stack_keep_resident)
        .decommit_batch_size(cfg.decommit_batch_size)
        .max_unused_warm_slots(cfg.max_unused_warm_slots)
        // Linux 6.7+: reset only the pages an instance wrote, not all it keeps resident.
        .pagemap_scan(wasmtime::Enabled::Auto);
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .epoch_interruption(true)
        .memory_init_cow(true)
        .max_wasm_stack(cfg.max_wasm_stack)
        .async_stack_size(cfg.max_wasm_stack + (256 << 10))
        .wasm_component_model(true)
        .parallel_compilation(true);
    config
}

/// The configuration of a compile-only engine: the running engine's, whose artifacts it must
/// produce, without the instance pool (it never instantiates).
fn compile_config(cfg: &RuntimeConfig) -> Config {
    let mut config = engine_config(cfg);
    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    config
}

impl Runtime {
    /// Build the engine and start the epoch ticker.
    pub fn new(config: RuntimeConfig, services: HostServices) -> Result<Self, RuntimeError> {
        if config.max_concurrent_calls == 0
            || config.max_concurrent_calls >= config.max_instances as usize
        {
            return Err(RuntimeError::Config(
                "max_concurrent_calls must be in 1..max_instances".into(),
            ));
        }
        let shares = &config.admission;
        if shares.running == 0
            || shares.tenant_running == 0
            || shares.plugin_running == 0
            || shares.tenant_long_running == 0
        {
            return Err(RuntimeError::Config(
                "admission limits must let at least one call run".into(),
            ));
        }
        if config.default_limits.memory_bytes > config.max_memory_bytes {
            return Err(RuntimeError::Config(
                "default memory cap exceeds the pool's memory slot size".into(),
            ));
        }
        crate::heap::limit_retention();
        let engine = Engine::new(&engine_config(&config))?;
        let cache = match &config.cache_dir {
            Some(dir) => {
                if config.cache_key.len() < 16 {
                    return Err(RuntimeError::Config(
                        "cache_key must be at least 16 bytes".into(),
                    ));
                }
                Some(ArtifactCache::new(
                    dir,
                    &config.cache_key,
                    engine_hash(&engine),
                )?)
            }
            None => None,
        };
        let stop = Arc::new(AtomicBool::new(false));
        {
            let engine = engine.weak();
            let stop = stop.clone();
            let tick = config.epoch_tick;
            std::thread::Builder::new()
                .name("corral-plugin-epoch".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(tick);
                        match engine.upgrade() {
                            Some(e) => e.increment_epoch(),
                            None => break,
                        }
                    }
                })
                .map_err(RuntimeError::Cache)?;
        }
        let stock_cap = config
            .max_stocked_instances
            .min(config.max_instances as usize - config.max_concurrent_calls - 1);
        Ok(Runtime {
            inner: Arc::new(RuntimeInner {
                engine,
                calls: Arc::new(Semaphore::new(config.max_concurrent_calls)),
                executor: config
                    .executor
                    .as_ref()
                    .map(Executor::new)
                    .transpose()
                    .map_err(|e| RuntimeError::Config(format!("plugin executor: {e}")))?,
                admission: Admission::new(AdmissionLimits {
                    running: config.admission.running.min(config.max_concurrent_calls),
                    ..config.admission.clone()
                }),
                stock_permits: Arc::new(Semaphore::new(stock_cap)),
                stock_cap,
                compiles: Semaphore::new(1),
                config,
                services,
                tokens: Arc::default(),
                cache,
                stop,
            }),
        })
    }

    /// The refusal (`CallError::Busy`'s) a call of `tenant` would get now because its queue
    /// of waiting calls is full, if so: for callers to turn such a call away before doing any
    /// work for it. Reserves nothing.
    pub fn tenant_refusal(&self, tenant: &str) -> Option<Busy> {
        self.inner.admission.refusal(tenant)
    }

    /// `tenant`'s long calls now (`long_calls.rs`).
    pub fn long_calls(&self, tenant: &str) -> crate::LongCallCounts {
        self.inner.admission.long.counts(tenant)
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.config
    }

    /// Effective global cap on stocked instances (after clamping, see
    /// `RuntimeConfig::max_stocked_instances`).
    pub fn stock_capacity(&self) -> usize {
        self.inner.stock_cap
    }

    /// Stocked (pre-instantiated, idle) instances alive right now, across all
    /// installations; each holds one pool slot.
    pub fn stocked_instances(&self) -> usize {
        self.inner.stock_cap - self.inner.stock_permits.available_permits()
    }

    /// Validate and compile uploaded bytes (or load the cached artifact).
    /// Checks size, component-ness, world version and grantable imports; see
    /// `validate.rs`. Does not check grants: use [`Runtime::validate_upload`]
    /// or [`CompiledPlugin::check_grants`].
    pub async fn compile(&self, bytes: &[u8]) -> Result<CompiledPlugin, RuntimeError> {
        let inner = &self.inner;
        check_header(bytes, inner.config.max_upload_bytes)?;
        let hash = content_hash(bytes);
        if let Some(cache) = &inner.cache
            && let Some(artifact) = cache.load(&hash)
        {
            // SAFETY: the artifact is authenticated with the host's HMAC key and
            // its name carries the engine compatibility hash: it was produced by
            // `Engine::precompile_component` of an identically configured engine.
            match unsafe { Component::deserialize(&inner.engine, &artifact) } {
                Ok(component) => {
                    let shape = inspect(&inner.engine, &component)?;
                    return Ok(CompiledPlugin {
                        component,
                        shape,
                        content_hash: hash,
                        from_cache: true,
                    });
                }
                Err(e) => tracing::warn!(error = %e, "cached artifact rejected; recompiling"),
            }
        }
        let _permit = inner
            .compiles
            .acquire()
            .await
            .expect("compile semaphore never closed");
        let config = compile_config(&inner.config);
        let owned = bytes.to_vec();
        // Cranelift cannot be cancelled: on timeout the blocking thread runs to
        // completion in the background, but at most one compile runs at a time.
        // Compiled by an engine of its own, dropped with the compile: Cranelift's
        // working buffers grow to the largest function it has compiled and an engine
        // keeps them for its life (hundreds of MB after an 18 MB Python component).
        let job =
            tokio::task::spawn_blocking(move || Engine::new(&config)?.precompile_component(&owned));
        let finished = tokio::time::timeout(inner.config.compile_timeout, job).await;
        // The compile engine and its buffers are gone: give their pages back.
        crate::heap::give_back();
        let artifact = match finished {
            Err(_) => {
                return Err(ValidationError::CompileTimeout(inner.config.compile_timeout).into());
            }
            Ok(Err(join)) => {
                return Err(RuntimeError::Wasmtime(format!(
                    "compile task failed: {join}"
                )));
            }
            Ok(Ok(Err(e))) => return Err(ValidationError::Malformed(format!("{e:#}")).into()),
            Ok(Ok(Ok(artifact))) => artifact,
        };
        // SAFETY: produced just above by this engine.
        let component = unsafe { Component::deserialize(&inner.engine, &artifact)? };
        let shape = inspect(&inner.engine, &component)?;
        if let Some(cache) = &inner.cache {
            cache.store(&hash, &artifact)?;
        }
        Ok(CompiledPlugin {
            component,
            shape,
            content_hash: hash,
            from_cache: false,
        })
    }

    /// Upload check for a tenant: [`Runtime::compile`] plus "imports nothing
    /// beyond what this tenant may grant".
    pub async fn validate_upload(
        &self,
        bytes: &[u8],
        grantable: CapabilitySet,
    ) -> Result<CompiledPlugin, RuntimeError> {
        let compiled = self.compile(bytes).await?;
        compiled.check_grants(grantable)?;
        Ok(compiled)
    }
}
