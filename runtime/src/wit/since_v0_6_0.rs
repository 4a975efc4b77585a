//! `corral:plugin@0.6.0` (`wit/corral-plugin@0.6.0/`): replaces 0.5.0's `registrations`
//! capability (now with the channel and the configuration's title) and adds the `provisioning`
//! export. Imported interfaces are mapped onto the older modules (`with`), so their
//! implementations are shared; exports cannot be mapped, so its `extension`,
//! `enrolment-tokens`, `devices` and `collections` exports have their own (identical) types,
//! converted here. Its provisioning types are the API's.

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
    path: "../wit/corral-plugin@0.6.0",
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
        "corral:plugin/device-lookup@0.5.0": super::since_v0_5_0::corral::plugin0_5_0::device_lookup,
    },
});

/// 0.4.0's imports and, with `directory`, 0.5.0's `device-lookup`; with `inventory`, 0.6.0's
/// `registrations`.
pub(crate) fn link(linker: &mut Linker<HostState>, linked: CapabilitySet) -> wasmtime::Result<()> {
    super::since_v0_4_0::link(linker, linked)?;
    if linked.contains(Capability::Directory) {
        super::since_v0_5_0::corral::plugin0_5_0::device_lookup::add_to_linker::<
            HostState,
            HasSelf<HostState>,
        >(linker, |s| s)?;
    }
    if linked.contains(Capability::Inventory) {
        corral::plugin0_6_0::registrations::add_to_linker::<HostState, HasSelf<HostState>>(
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

fn collection_info(info: c::CollectionInfo) -> CollectionInfo {
    CollectionInfo {
        name: info.name,
        title: info.title,
        description: info.description,
        columns: info
            .columns
            .into_iter()
            .map(|col| Column {
                name: col.name,
                title: col.title,
            })
            .collect(),
        searchable: info.searchable,
        actions: info
            .actions
            .into_iter()
            .map(|a| CollectionActionInfo {
                name: a.name,
                title: a.title,
                description: a.description,
                on_item: a.on_item,
                permission: permission(a.permission),
                takes_input: a.takes_input,
                irreversible: a.irreversible,
            })
            .collect(),
        imports: info
            .imports
            .into_iter()
            .map(|i| ImportInfo {
                name: i.name,
                title: i.title,
                description: i.description,
                columns: i.columns,
                permission: permission(i.permission),
            })
            .collect(),
    }
}

fn item(i: c::Item) -> Item {
    Item {
        id: i.id,
        title: i.title,
        values: i.values,
        details: i.details,
    }
}

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
        let request = tokens::TokenRequest {
            profile_id: request.profile_id.clone(),
            owner_user_id: request.owner_user_id.clone(),
            validity_days: request.validity_days,
            attributes: request.attributes.clone(),
        };
        Box::pin(async move {
            let exports = self.bindings(store)?.corral_plugin0_3_0_enrolment_tokens();
            let answer = exports.call_create_token(store, &request).await?;
            Ok(answer.map(|t| Token {
                name: t.name,
                value: t.value,
                expires_at_ms: t.expires_at_ms,
                qr_payload: t.qr_payload,
                vendor_document: t.vendor_document,
            }))
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

    fn sync_inventory<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, Answer<u32>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_4_0_devices()
                .call_sync_inventory(store)
                .await
        })
    }

    fn execute<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        device: &'a ManagedDevice,
        command: &'a DeviceCommand,
    ) -> Call<'a, Answer<()>> {
        let device = devices::ManagedDevice {
            device_id: device.device_id.clone(),
            vendor_name: device.vendor_name.clone(),
            identity: device.identity.clone(),
            configuration: device.configuration.clone(),
        };
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_4_0_devices()
                .call_execute(store, &device, command)
                .await
        })
    }

    fn validate_settings<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        settings: &'a [Property],
    ) -> Call<'a, Answer<Vec<FieldError>>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_4_0_settings()
                .call_validate_settings(store, settings)
                .await
        })
    }

    fn describe_collections<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
    ) -> Call<'a, Vec<CollectionInfo>> {
        Box::pin(async move {
            let infos = self
                .bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_describe_collections(store)
                .await?;
            Ok(infos.into_iter().map(collection_info).collect())
        })
    }

    fn list_items<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        collection: &'a str,
        search: Option<&'a str>,
        page_token: Option<&'a str>,
    ) -> Call<'a, Answer<ItemPage>> {
        Box::pin(async move {
            let answer = self
                .bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_list_items(store, collection, search, page_token)
                .await?;
            Ok(answer.map(|page| ItemPage {
                items: page.items.into_iter().map(item).collect(),
                next_page_token: page.next_page_token,
            }))
        })
    }

    fn get_item<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        collection: &'a str,
        id: &'a str,
    ) -> Call<'a, Answer<Option<Item>>> {
        Box::pin(async move {
            let answer = self
                .bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_get_item(store, collection, id)
                .await?;
            Ok(answer.map(|found| found.map(item)))
        })
    }

    fn action_form<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        collection: &'a str,
        item: Option<&'a str>,
        action: &'a str,
    ) -> Call<'a, Answer<Json>> {
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_form(store, collection, item, action)
                .await
        })
    }

    fn check_import_rows<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        import_name: &'a str,
        job_id: &'a str,
        columns: &'a [String],
        rows: &'a [ImportValues],
    ) -> Call<'a, Answer<Vec<RefusedRow>>> {
        let rows: Vec<c::ImportValues> = rows
            .iter()
            .map(|row| c::ImportValues {
                line: row.line,
                values: row.values.clone(),
            })
            .collect();
        Box::pin(async move {
            let answer = self
                .bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_check_import_rows(store, import_name, job_id, columns, &rows)
                .await?;
            Ok(answer.map(|refused| {
                refused
                    .into_iter()
                    .map(|r| RefusedRow {
                        line: r.line,
                        problems: r.problems,
                    })
                    .collect()
            }))
        })
    }

    fn act<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        collection: &'a str,
        item: Option<&'a str>,
        action: &'a str,
        input: &'a Json,
    ) -> Call<'a, Answer<Outcome>> {
        Box::pin(async move {
            let answer = self
                .bindings(store)?
                .corral_plugin0_5_0_collections()
                .call_act(store, collection, item, action, input)
                .await?;
            Ok(answer.map(|outcome| match outcome {
                c::Outcome::Done(done) => Outcome::Done(done.map(self::item)),
                c::Outcome::Invalid(problems) => Outcome::Invalid(problems),
            }))
        })
    }

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
        Box::pin(async move {
            self.bindings(store)?
                .corral_plugin0_6_0_provisioning()
                .call_decide_provisioning(store, devices)
                .await
        })
    }
}
