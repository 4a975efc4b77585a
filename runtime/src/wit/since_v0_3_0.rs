//! `corral:plugin@0.3.0` (`wit/corral-plugin@0.3.0/`): adds the `enrolment-tokens` export.
//! Imported interfaces are mapped onto the older modules (`with`), so their implementations are
//! shared; exports cannot be mapped, so its `extension` export has its own (identical) types,
//! converted here. Its token types are the API's.

use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use super::{Answer, Call, Exports, Live, Prepared, extension_info, hooks_v0_1};
use crate::api::*;
use crate::capability::CapabilitySet;
use crate::state::HostState;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.3.0",
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

/// 0.3.0 imports nothing new.
pub(crate) fn prepare(
    linker: &mut Linker<HostState>,
    linked: CapabilitySet,
    component: &Component,
) -> wasmtime::Result<Box<dyn Prepared>> {
    super::since_v0_2_0::link(linker, linked)?;
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
            let info = extension.call_describe_extension(store).await?;
            Ok(Some(extension_info!(info)))
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

    fn create_token<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        request: &'a TokenRequest,
    ) -> Call<'a, Answer<Token>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_3_0_enrolment_tokens()
                .call_create_token(store, request)
                .await
        })
    }

    fn delete_token<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        name: &'a str,
    ) -> Call<'a, Answer<()>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_3_0_enrolment_tokens()
                .call_delete_token(store, name)
                .await
        })
    }
}
