//! `corral:plugin@0.2.0` (`wit/corral-plugin@0.2.0/`): adds the `vendor` capability and the
//! `extension` export (settings, OAuth scopes, administrator actions). The 0.1.0 interfaces are
//! mapped onto `since_v0_1_0` (`with`); the `extension` types are the API's.

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::{Answer, Call, Exports, Live, Prepared, hooks_v0_1};
use crate::api::*;
use crate::capability::{Capability, CapabilitySet};
use crate::state::HostState;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.2.0",
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
    },
});

/// 0.1.0's imports and, when granted, `vendor`.
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    super::since_v0_1_0::link(linker, linked)?;
    if linked.contains(Capability::Vendor) {
        corral::plugin0_2_0::vendor::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)?;
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

    fn describe_extension<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
    ) -> Call<'a, Option<ExtensionInfo>> {
        Box::pin(async move {
            let extension = self.bindings(store)?.corral_plugin0_2_0_extension();
            Ok(Some(extension.call_describe_extension(store).await?))
        })
    }

    fn perform<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        action: &'a str,
        input: &'a Json,
    ) -> Call<'a, Answer<Json>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_2_0_extension()
                .call_perform(store, action, input)
                .await
        })
    }
}
