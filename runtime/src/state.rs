//! Per-call store data.
//!
//! Why: everything a running instance may touch lives here, created fresh for
//! every instance and dropped with it: the installation context (scope,
//! grants, backends, limits), the memory accounting that turns a memory-cap hit
//! into a clear [`crate::CallError::OutOfMemory`], the CPU time of the call
//! read by the epoch callback, and a WASI context that is only built if the guest
//! actually touches WASI (most calls never do, and building one costs time).

use std::sync::Arc;
use std::time::Duration;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView,
};

use crate::backend::Scope;
use crate::capability::{Capability, Grants};
use crate::cpu::CpuMeter;
use crate::error::PluginRef;
use crate::long_calls::{LongGate, Turn};
use crate::runtime::{CallLimits, HostServices};

/// Fixed for an installation (tenant x plugin version x grants).
pub(crate) struct InstallCtx {
    pub plugin: PluginRef,
    pub scope: Scope,
    pub grants: Grants,
    pub services: HostServices,
    pub limits: CallLimits,
    pub tokens: Arc<crate::host::TokenCache>,
    /// The turns of the tenant's long calls (`long_calls.rs`).
    pub long: LongGate,
}

/// Marker error raised by the limiter when a memory would exceed its cap.
#[derive(Debug, thiserror::Error)]
#[error("memory cap of {cap} bytes exceeded (wanted {desired} bytes)")]
pub(crate) struct MemoryCapExceeded {
    pub cap: usize,
    pub desired: usize,
}

pub(crate) struct HostState {
    pub ctx: Arc<InstallCtx>,
    pub out_of_memory: bool,
    /// CPU time of the current call (`cpu.rs`), read by the epoch callback.
    pub meter: Arc<CpuMeter>,
    /// The current call's turn among its tenant's long calls, once it is long.
    pub turn: Turn,
    pub log_lines: u32,
    /// The language of the person the current call serves (`locale`, 0.7.0).
    pub language: Arc<str>,
    wasi: Option<WasiCtx>,
    table: ResourceTable,
}

impl HostState {
    pub fn new(ctx: Arc<InstallCtx>) -> Self {
        HostState {
            ctx,
            out_of_memory: false,
            meter: Arc::default(),
            turn: Turn::default(),
            log_lines: 0,
            language: Arc::from(crate::locale::DEFAULT),
            wasi: None,
            table: ResourceTable::new(),
        }
    }

    /// Reset the per-call budgets (a warm instance makes several calls): a new meter, so that
    /// no CPU of an earlier call is charged to this one.
    pub fn start_call(&mut self) {
        // A new meter, in place when no one else holds the last call's (the usual case: the
        // accounting thread only holds it while the call is being polled).
        match Arc::get_mut(&mut self.meter) {
            Some(meter) => *meter = CpuMeter::default(),
            None => self.meter = Arc::default(),
        }
        if self.turn.get().is_some() {
            self.turn = Turn::default();
        }
        self.log_lines = 0;
    }

    /// Whether the current call has used its CPU budget.
    pub fn out_of_cpu(&self) -> bool {
        self.meter.used() >= self.ctx.limits.cpu_deadline
    }

    /// If the current call is long and has no turn yet, the wait for one.
    pub fn wait_for_turn(
        &self,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> {
        self.ctx.long.wait_for_turn(self.meter.used(), &self.turn)
    }
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let cap = self.ctx.limits.memory_bytes;
        if desired > cap {
            self.out_of_memory = true;
            return Err(wasmtime::Error::new(MemoryCapExceeded { cap, desired }));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= self.ctx.limits.table_elements)
    }
}

/// A clock stuck at zero: what WASI clocks show when `clock` is not granted.
struct FrozenClock;

impl HostWallClock for FrozenClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for FrozenClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// The WASI context for Rust/Python std imports. It grants nothing: no
/// preopened directories, no environment, no arguments, no network, stdio
/// discarded; random bytes are a fixed pattern (randomness is not a
/// capability); clocks are frozen unless the `clock` capability is granted.
fn empty_wasi(clock: bool) -> WasiCtx {
    let mut b = WasiCtx::builder();
    b.secure_random(Deterministic::new(vec![0x5a; 32]))
        .insecure_random(Deterministic::new(vec![0xa5; 32]))
        .insecure_random_seed(0)
        .max_random_size(64 * 1024)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    if !clock {
        b.wall_clock(FrozenClock).monotonic_clock(FrozenClock);
    }
    b.build()
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let clock = self.ctx.grants.capabilities.contains(Capability::Clock);
        let ctx = self.wasi.get_or_insert_with(|| empty_wasi(clock));
        WasiCtxView {
            ctx,
            table: &mut self.table,
        }
    }
}
