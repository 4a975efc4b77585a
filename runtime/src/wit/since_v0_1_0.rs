//! `corral:plugin@0.1.0` (`wit/corral-plugin@0.1.0/`): the `hooks` export and the
//! capabilities `logging`, `kv`, `http`, `directory`, `clock`. Its types are the API's
//! ([`crate::api`]), and every later version maps its copies of these interfaces onto this
//! module (`with`), so their host implementations are shared. Imports and exports are async so
//! that a plugin call yields to tokio (epoch yields) and host capabilities can await the
//! database or the network without blocking a worker thread.

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::{Answer, Call, Exports, Live, Prepared, hooks_v0_1};
use crate::api::*;
use crate::capability::{Capability, CapabilitySet};
use crate::state::HostState;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.1.0",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
});

/// Links `types` and the granted 0.1.0 capabilities (which every later version imports
/// unchanged).
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    use corral::plugin as p;
    type Me = HasSelf<HostState>;
    p::types::add_to_linker::<HostState, Me>(linker, |s| s)?;
    for cap in linked.iter() {
        match cap {
            Capability::Logging => p::logging::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Kv => p::kv::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Http => p::http::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Directory => p::directory::add_to_linker::<HostState, Me>(linker, |s| s)?,
            Capability::Clock => p::clock::add_to_linker::<HostState, Me>(linker, |s| s)?,
            // Linked by the versions that added them.
            Capability::Vendor | Capability::Inventory => {}
        }
    }
    Ok(())
}

pub(crate) fn prepare(
    linker: &mut Linker<HostState>,
    linked: CapabilitySet,
    component: &Component,
) -> wasmtime::Result<Box<dyn Prepared>> {
    link(linker, linked)?;
    super::prepared::<Plugin>(linker.instantiate_pre(component)?, component)
}

super::bindings!();

impl Exports for Live<Plugin> {
    hooks_v0_1!();
}
