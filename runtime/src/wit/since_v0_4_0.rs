//! `corral:plugin@0.4.0` (`wit/corral-plugin@0.4.0/`): adds the `inventory` capability and
//! the `devices` and `settings` exports. Imported interfaces are mapped onto the older modules
//! (`with`), so their implementations are shared; exports cannot be mapped, so its `extension`
//! and `enrolment-tokens` exports have their own (identical) types, converted by the shared
//! forwarding (`forwarding.rs`).

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::{Answer, Call, Exports, Live, Prepared, extension_info, hooks_v0_1};
use crate::api::*;
use crate::capability::{Capability, CapabilitySet};
use crate::state::HostState;

use exports::corral::plugin0_3_0::enrolment_tokens as tokens;
use exports::corral::plugin0_4_0::devices;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.4.0",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
    with: {
        "corral:plugin/types@0.1.0": super::since_v0_1_0::corral::plugin::types,
        "corral:plugin/logging@0.1.0": super::since_v0_1_0::corral::plugin::logging,
        "corral:plugin/kv@0.1.0": super::since_v0_1_0::corral::plugin::kv,
        "corral:plugin/http@0.1.0": super::since_v0_1_0::corral::plugin::http,
        "corral:plugin/directory@0.1.0": super::since_v0_1_0::corral::plugin::directory,
        "corral:plugin/clock@0.1.0": super::since_v0_1_0::corral::plugin::clock,
        "corral:plugin/vendor@0.2.0": super::since_v0_2_0::corral::plugin0_2_0::vendor,
    },
});

/// 0.2.0's imports and, when granted, `inventory`.
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    super::since_v0_2_0::link(linker, linked)?;
    if linked.contains(Capability::Inventory) {
        corral::plugin0_4_0::inventory::add_to_linker::<HostState, HasSelf<HostState>>(
            linker,
            |s| s,
        )?;
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
    super::exports_v0_4!();
}
