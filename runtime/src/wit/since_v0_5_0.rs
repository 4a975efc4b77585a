//! `corral:plugin@0.5.0` (`wit/corral-plugin@0.5.0/`): adds the `collections` export and the
//! `device-lookup` and `registrations` capabilities. Imported interfaces are mapped onto the older modules (`with`),
//! so their implementations are shared; exports cannot be mapped, so its `extension`,
//! `enrolment-tokens`, `devices` and `collections` exports have their own (identical) types,
//! converted by the shared forwarding (`forwarding.rs`).

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::{Answer, Call, Exports, Live, Prepared, extension_info, hooks_v0_1};
use crate::api::*;
use crate::capability::{Capability, CapabilitySet};
use crate::state::HostState;

use exports::corral::plugin0_3_0::enrolment_tokens as tokens;
use exports::corral::plugin0_4_0::devices;
use exports::corral::plugin0_5_0::collections as c;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.5.0",
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
        "corral:plugin/inventory@0.4.0": super::since_v0_4_0::corral::plugin0_4_0::inventory,
    },
});

/// 0.4.0's imports and, with `directory`, `device-lookup`; with `inventory`, `registrations`.
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    super::since_v0_4_0::link(linker, linked)?;
    if linked.contains(Capability::Directory) {
        corral::plugin0_5_0::device_lookup::add_to_linker::<HostState, HasSelf<HostState>>(
            linker,
            |s| s,
        )?;
    }
    if linked.contains(Capability::Inventory) {
        corral::plugin0_5_0::registrations::add_to_linker::<HostState, HasSelf<HostState>>(
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

fn permission(p: c::Permission) -> CollectionPermission {
    match p {
        c::Permission::ManageConfigurations => CollectionPermission::ManageConfigurations,
        c::Permission::ImportExport => CollectionPermission::ImportExport,
        c::Permission::DeleteDevices => CollectionPermission::DeleteDevices,
        c::Permission::ManagePlugins => CollectionPermission::ManagePlugins,
    }
}

super::collection_conversions!();

impl Exports for Live<Plugin> {
    hooks_v0_1!();
    super::exports_v0_4!();
    super::collections_exports!(corral_plugin0_5_0_collections);
}
