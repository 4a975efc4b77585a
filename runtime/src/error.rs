//! Error types.
//!
//! Why: callers must tell apart three very different outcomes:
//! * the plugin answered with its own `plugin-error` (a normal, guest-visible
//!   answer: `Ok(Err(PluginError))` from a hook call);
//! * the plugin misbehaved or was stopped: trap, CPU deadline, out of memory,
//!   stack overflow, oversized result ([`CallError`], always naming the plugin
//!   and version); the instance is dropped and nothing else is affected;
//! * an upload was refused ([`ValidationError`]) or the runtime could not be
//!   set up ([`RuntimeError`]).

use std::time::Duration;

use crate::admission::Busy;
use crate::capability::CapabilitySet;

/// Identifies an installed plugin version in error messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PluginRef {
    pub plugin: String,
    pub version: String,
}

impl std::fmt::Display for PluginRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.plugin, self.version)
    }
}

/// A hook call failed on the host side (the plugin did not produce an answer).
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call used its CPU budget (CPU time of the call, however many calls shared the
    /// cores): the deadline, then the CPU time it had used when it was stopped.
    #[error("plugin {0} reached its CPU deadline of {1:?} of CPU time (used {used_ms} ms) and was stopped", used_ms = .2.as_millis())]
    DeadlineExceeded(PluginRef, Duration, Duration),
    /// The call lasted longer than its wall-clock timeout (the backstop: waiting on host calls
    /// such as HTTP counts here, not in the CPU deadline).
    #[error("plugin {0} did not finish within its wall-clock timeout of {1:?}")]
    Timeout(PluginRef, Duration),
    #[error("plugin {0} ran out of memory (cap {1} bytes)")]
    OutOfMemory(PluginRef, usize),
    #[error("plugin {0} overflowed its stack")]
    StackOverflow(PluginRef),
    /// Out-of-bounds linear-memory access. Rust and C guests keep a shadow
    /// stack at the bottom of linear memory; when deep recursion exhausts it
    /// the stack pointer wraps around and the next store lands here.
    #[error(
        "plugin {0} accessed memory out of bounds (in Rust/C guests usually a shadow-stack overflow from deep recursion)"
    )]
    MemoryFault(PluginRef),
    #[error("plugin {0} trapped: {1}")]
    Trap(PluginRef, String),
    #[error("plugin {0} returned {what} of about {size} bytes, over the limit of {limit}", what = .1.what, size = .1.size, limit = .1.limit)]
    ResultTooLarge(PluginRef, Oversize),
    #[error("plugin {0} could not be instantiated: {1}")]
    Instantiation(PluginRef, String),
    #[error("plugin {0}: instance unusable after an earlier failure")]
    Poisoned(PluginRef),
    #[error("plugin {0}: host failure: {1}")]
    Host(PluginRef, String),
    /// Not run: its tenant (or plugin) is over its share of the runtime (`admission.rs`).
    #[error("plugin {0} was not run: {1}")]
    Busy(PluginRef, Busy),
}

/// Details of [`CallError::ResultTooLarge`].
#[derive(Debug, Clone)]
pub struct Oversize {
    pub what: &'static str,
    pub size: usize,
    pub limit: usize,
}

impl CallError {
    /// The plugin version concerned.
    pub fn plugin(&self) -> &PluginRef {
        match self {
            CallError::DeadlineExceeded(p, _, _)
            | CallError::Timeout(p, _)
            | CallError::OutOfMemory(p, _)
            | CallError::StackOverflow(p)
            | CallError::MemoryFault(p)
            | CallError::Trap(p, _)
            | CallError::ResultTooLarge(p, _)
            | CallError::Instantiation(p, _)
            | CallError::Poisoned(p)
            | CallError::Host(p, _)
            | CallError::Busy(p, _) => p,
        }
    }
}

/// An uploaded component was refused.
#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("upload of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("not a WebAssembly binary")]
    NotWasm,
    #[error(
        "a core WebAssembly module, not a component (build for wasm32-wasip2 or run `wasm-tools component new`)"
    )]
    CoreModule,
    #[error("malformed component: {0}")]
    Malformed(String),
    #[error("compilation exceeded its time budget of {0:?}")]
    CompileTimeout(Duration),
    #[error("component does not export a supported `corral:plugin/hooks` version (exports: {0})")]
    UnsupportedWorld(String),
    #[error("component targets corral:plugin@{0}, which this host does not support")]
    UnsupportedVersion(String),
    #[error("component mixes corral:plugin versions ({0} and {1})")]
    MixedVersions(String, String),
    #[error("component imports `{0}`, which no plugin can be granted")]
    ForbiddenImport(String),
    #[error("component imports capabilities {missing} that are not granted (granted: {granted})")]
    NotGranted {
        missing: CapabilitySet,
        granted: CapabilitySet,
    },
}

/// The runtime itself failed (configuration, engine, cache I/O, ...).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("invalid runtime configuration: {0}")]
    Config(String),
    #[error("wasmtime: {0}")]
    Wasmtime(String),
    #[error("artifact cache: {0}")]
    Cache(#[from] std::io::Error),
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

impl From<wasmtime::Error> for RuntimeError {
    fn from(e: wasmtime::Error) -> Self {
        RuntimeError::Wasmtime(format!("{e:#}"))
    }
}
