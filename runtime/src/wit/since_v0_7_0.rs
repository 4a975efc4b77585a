//! `corral:plugin@0.7.0` (`wit/corral-plugin@0.7.0/`, frozen with the Exchange connector):
//! replaces 0.2.0's `vendor` capability (credentials of several named accounts) and
//! 0.5.0's `collections` export (the Exchange connector's permissions), and adds the
//! `discoveries` capability and `locale`. Imported interfaces are mapped onto the older modules (`with`), so
//! their implementations are shared; its exports have their own (identical) types, converted by
//! the shared forwarding (`forwarding.rs`), and here for `provisioning`. Its collection types are the API's.

use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker};

use super::{Answer, Call, Exports, Live, Prepared, extension_info, hooks_v0_1};
use crate::api::*;
use crate::capability::{Capability, CapabilitySet};
use crate::state::HostState;

use exports::corral::plugin0_3_0::enrolment_tokens as tokens;
use exports::corral::plugin0_4_0::devices;
use exports::corral::plugin0_6_0::provisioning as p;
use exports::corral::plugin0_7_0::collections as c;

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.7.0",
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
        "corral:plugin/inventory@0.4.0": super::since_v0_4_0::corral::plugin0_4_0::inventory,
        "corral:plugin/device-lookup@0.5.0": super::since_v0_5_0::corral::plugin0_5_0::device_lookup,
        "corral:plugin/registrations@0.6.0": super::since_v0_6_0::corral::plugin0_6_0::registrations,
    },
});

/// 0.6.0's imports (0.2.0's `vendor` among them, which this world does not import: linked,
/// never used), with `vendor` 0.7.0's, with `inventory` `discoveries`, and `locale` (no grant).
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    super::since_v0_6_0::link(linker, linked)?;
    corral::plugin0_7_0::locale::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)?;
    if linked.contains(Capability::Vendor) {
        corral::plugin0_7_0::vendor::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)?;
    }
    if linked.contains(Capability::Inventory) {
        corral::plugin0_7_0::discoveries::add_to_linker::<HostState, HasSelf<HostState>>(
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

/// The API's permissions are this version's.
fn permission(p: c::Permission) -> CollectionPermission {
    p
}

super::collection_conversions!();

impl Exports for Live<Plugin> {
    hooks_v0_1!();
    super::exports_v0_4!();
    super::collections_exports!(corral_plugin0_7_0_collections);

    fn decides_between<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
    ) -> Call<'a, Vec<EnrolmentChannel>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_6_0_provisioning()
                .call_decides_between(store)
                .await
        })
    }

    fn decide_provisioning<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        devices: &'a [DeviceFacts],
    ) -> Call<'a, Answer<Vec<ProvisioningAnswer>>> {
        let devices: Vec<p::DeviceFacts> = devices.iter().map(device_facts).collect();
        Box::pin(async move {
            let answer = self
                .bindings(store)?
                .corral_plugin0_6_0_provisioning()
                .call_decide_provisioning(store, &devices)
                .await?;
            Ok(answer.map(|decisions| decisions.into_iter().map(decision).collect()))
        })
    }
}

fn assigned(c: &AssignedConfiguration) -> p::AssignedConfiguration {
    p::AssignedConfiguration {
        id: c.id.clone(),
        title: c.title.clone(),
    }
}

fn device_facts(d: &DeviceFacts) -> p::DeviceFacts {
    p::DeviceFacts {
        device_id: d.device_id.clone(),
        identity: d.identity.clone(),
        registrations: d
            .registrations
            .iter()
            .map(|r| p::RegistrationFact {
                plugin: r.plugin.clone(),
                channel: r.channel,
                vendor_name: r.vendor_name.clone(),
                configuration: r.configuration.as_ref().map(assigned),
                registered_at_ms: r.registered_at_ms,
            })
            .collect(),
    }
}

fn decision(d: p::Decision) -> ProvisioningAnswer {
    match d {
        p::Decision::Abstain => ProvisioningAnswer::Abstain,
        p::Decision::Decided(d) => ProvisioningAnswer::Decided(ProvisioningDecision {
            provisioned_by: d.provisioned_by,
            configuration: d.configuration.map(|c| AssignedConfiguration {
                id: c.id,
                title: c.title,
            }),
            reasons: d.reasons,
            remedies: d
                .remedies
                .into_iter()
                .map(|r| Remedy {
                    collection: r.collection,
                    item: r.item,
                    action: r.action,
                    title: r.title,
                })
                .collect(),
        }),
    }
}
