//! Rust SDK for Corral plugins (WIT package `corral:plugin@0.7.0`, which includes 0.1.0 to 0.6.0, but the interfaces later versions
//! replaced: 0.2.0's `vendor` and 0.5.0's `collections` by 0.7.0's, 0.5.0's `registrations` by
//! 0.6.0's).
//!
//! Why this crate exists: plugin authors should write plain Rust against one
//! trait, not wire `wit-bindgen` by hand. [`Plugin`] has a default
//! implementation for every hook (returning [`PluginError::Unsupported`]), so a
//! plugin implements only `describe` and the hooks it cares about, then calls
//! [`export_plugin!`] once.
//!
//! ```ignore
//! use corral_plugin_sdk::{export_plugin, Plugin, types::*};
//!
//! struct Hello;
//! impl Plugin for Hello {
//!     fn describe() -> PluginInfo { corral_plugin_sdk::info("hello", "Acme", "1.0.0") }
//! }
//! export_plugin!(Hello);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --release`: the output
//! `target/wasm32-wasip2/release/<crate>.wasm` is already a component.
//!
//! Host capabilities live in [`capabilities`] (`logging`, `kv`, `http`,
//! `directory`, `clock`, `vendor`, `inventory`, `device_lookup`, `registrations`). Only the interfaces your code actually calls end up
//! as imports of the component; each must be granted by the tenant
//! administrator or the plugin is refused at install time.

extern crate self as corral_plugin_sdk;

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod allocator;

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/corral-plugin@0.7.0",
        generate_all,
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_corral_plugin",
        default_bindings_module: "corral_plugin_sdk::bindings",
        runtime_path: "corral_plugin_sdk::__wit_bindgen::rt",
    });
}

/// Types shared by hooks (records, variants, enums of the WIT `types` interface).
pub mod types {
    pub use crate::bindings::corral::plugin0_1_0::types::*;
    pub use crate::bindings::corral::plugin0_4_0::inventory::{
        DeviceAction, DeviceReport, Verdict,
    };
    pub use crate::bindings::corral::plugin0_6_0::registrations::ConfigurationRef;
    pub use crate::bindings::exports::corral::plugin0_2_0::extension::{
        ActionInfo, ExtensionInfo, SettingInfo,
    };
    pub use crate::bindings::exports::corral::plugin0_3_0::enrolment_tokens::{
        Token, TokenRequest,
    };
    pub use crate::bindings::exports::corral::plugin0_4_0::devices::ManagedDevice;
    pub use crate::bindings::exports::corral::plugin0_6_0::provisioning::{
        AssignedConfiguration, Decision, DeviceFacts, ProvisioningDecision, RegistrationFact,
        Remedy,
    };
    pub use crate::bindings::exports::corral::plugin0_7_0::collections::{
        ActionInfo as CollectionAction, CollectionInfo, Column, ImportInfo, ImportValues, Item,
        Outcome, Page, Permission, RefusedRow,
    };
}

/// Host capabilities (imports). Calling one that is not granted is impossible:
/// a component that imports it is refused before it runs.
pub mod capabilities {
    pub use crate::bindings::corral::plugin0_1_0::{clock, directory, http, kv, logging};
    /// Reporting the devices the plugin manages at its vendor to the host, which answers what
    /// to do with each (keep, or reset) and which configuration it should have.
    pub use crate::bindings::corral::plugin0_4_0::inventory;
    /// The tenant's devices found by serial number or IMEI, many at once (granted with
    /// `directory`).
    pub use crate::bindings::corral::plugin0_5_0::device_lookup;
    /// Devices registered at the plugin's provisioning service (with the channel and the
    /// configuration), listed in the host's inventory (granted with `inventory`).
    pub use crate::bindings::corral::plugin0_6_0::registrations;
    /// Devices found at the vendor without being managed by the plugin (the phones reading a
    /// mailbox...), listed in the host's inventory (granted with `inventory`).
    pub use crate::bindings::corral::plugin0_7_0::discoveries;
    /// The language of the person a call serves (`en`, `fr`): what the plugin shows is worded
    /// in it. No grant needed.
    pub use crate::bindings::corral::plugin0_7_0::locale;
    /// Vendor API calls with the tenant's credential, or with one the plugin keeps for a named
    /// account (one per connection: an Exchange organisation...), added by the host (the
    /// plugin never sees a credential again once handed over), and the plugin's settings.
    pub use crate::bindings::corral::plugin0_7_0::vendor;
}

use types::*;

/// A column of a collection's table: the name of its value in `Item::values`, and its title.
pub fn column(name: &str, title: &str) -> Column {
    Column {
        name: name.into(),
        title: title.into(),
    }
}

/// An action of a collection: taken on one item (`on_item`) or on the collection, allowed
/// with `permission`, with an input form (`takes_input`), confirmed first (`irreversible`).
pub fn collection_action(
    name: &str,
    title: &str,
    description: &str,
    on_item: bool,
    permission: Permission,
    takes_input: bool,
    irreversible: bool,
) -> CollectionAction {
    CollectionAction {
        name: name.into(),
        title: title.into(),
        description: description.into(),
        on_item,
        permission,
        takes_input,
        irreversible,
    }
}

/// Convenience constructor for a [`PluginInfo`] with no hooks/capabilities yet.
pub fn info(name: &str, vendor: &str, version: &str) -> PluginInfo {
    PluginInfo {
        name: name.into(),
        vendor: vendor.into(),
        version: version.into(),
        hooks: Vec::new(),
        capabilities: Vec::new(),
        http_hosts: Vec::new(),
        config_kinds: Vec::new(),
    }
}

fn unsupported(hook: &str) -> PluginError {
    PluginError::Unsupported(format!("hook {hook} is not implemented by this plugin"))
}

/// A Corral plugin. Every hook except `describe` has a default implementation
/// that answers [`PluginError::Unsupported`]; list the hooks you implement in
/// `PluginInfo::hooks` so the host knows which ones to call.
pub trait Plugin {
    /// Name, vendor, version, hooks, capabilities and configuration kinds.
    fn describe() -> PluginInfo;

    /// Field-level validation; `Ok(vec![])` means valid.
    fn validate_config(config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        let _ = config;
        Err(unsupported("validate-config"))
    }

    /// Render a configuration into the vendor document (opaque JSON).
    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let _ = config;
        Err(unsupported("render-config"))
    }

    /// Allow/deny/abstain on an enrolment or provisioning request.
    fn decide_enrolment(request: EnrolmentRequest) -> Result<EnrolmentDecision, PluginError> {
        let _ = request;
        Ok(EnrolmentDecision::Abstain)
    }

    /// One result per row of a bulk-import batch, same order.
    fn map_import_rows(batch: ImportBatch) -> Result<Vec<RowResult>, PluginError> {
        let _ = batch;
        Err(unsupported("map-import-rows"))
    }

    /// Vendor requests carrying out a device command.
    fn translate_command(
        target: CommandTarget,
        command: DeviceCommand,
    ) -> Result<Vec<VendorRequest>, PluginError> {
        let _ = (target, command);
        Err(unsupported("translate-command"))
    }

    /// Allow/block/quarantine a device under a connector configuration.
    fn evaluate_access(
        connector: Configuration,
        request: AccessRequest,
    ) -> Result<AccessDecision, PluginError> {
        let _ = (connector, request);
        Err(unsupported("evaluate-access"))
    }

    /// React to a lifecycle event. Ignoring events is the default.
    fn on_event(event: LifecycleEvent) -> Result<(), PluginError> {
        let _ = event;
        Ok(())
    }

    /// Settings and OAuth 2 scopes the plugin needs from a tenant, and its administrator
    /// actions. Declaring settings or scopes asks for the `vendor` capability.
    fn describe_extension() -> ExtensionInfo {
        ExtensionInfo {
            settings: Vec::new(),
            oauth_scopes: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Perform an administrator action (JSON in, JSON out, in the plugin's own schema).
    fn perform(action: String, input: Json) -> Result<Json, PluginError> {
        let _ = input;
        Err(PluginError::Unsupported(format!("action {action}")))
    }

    /// The vendor's enrolment token for an enrolment profile of the host.
    fn create_token(request: TokenRequest) -> Result<Token, PluginError> {
        let _ = request;
        Err(unsupported("enrolment-tokens.create-token"))
    }

    /// Delete a token `create_token` made (one the vendor no longer has is not an error).
    fn delete_token(name: String) -> Result<(), PluginError> {
        let _ = name;
        Err(unsupported("enrolment-tokens.delete-token"))
    }

    /// Report every device the vendor lists (`capabilities::inventory::report_device`) and act
    /// on each verdict; answers how many were reported.
    fn sync_inventory() -> Result<u32, PluginError> {
        Err(unsupported("devices.sync-inventory"))
    }

    /// Check the settings a tenant gives the plugin before the host stores them; each field
    /// error's `path` names a setting. Accepting them all is the default.
    fn validate_settings(settings: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        let _ = settings;
        Ok(Vec::new())
    }

    /// Carry out a device command at the vendor.
    fn execute(device: ManagedDevice, command: DeviceCommand) -> Result<(), PluginError> {
        let _ = (device, command);
        Err(unsupported("devices.execute"))
    }

    /// The collections of vendor objects administrators browse and act on (none by default).
    fn describe_collections() -> Vec<CollectionInfo> {
        Vec::new()
    }

    /// A page of a collection, optionally searched.
    fn list_items(
        collection: String,
        search: Option<String>,
        page_token: Option<String>,
    ) -> Result<Page, PluginError> {
        let _ = (search, page_token);
        Err(PluginError::Unsupported(format!("collection {collection}")))
    }

    /// One item of a collection; `None` when the vendor does not have it.
    fn get_item(collection: String, id: String) -> Result<Option<Item>, PluginError> {
        let _ = id;
        Err(PluginError::Unsupported(format!("collection {collection}")))
    }

    /// The JSON Schema of an action's input, with the item's current values as defaults.
    fn form(collection: String, item: Option<String>, action: String) -> Result<Json, PluginError> {
        let _ = (item, collection);
        Err(PluginError::Unsupported(format!("action {action}")))
    }

    /// The refused rows of a batch of an import, with their problems. By default, the rows
    /// [`Plugin::map_import_rows`] does not accept (a plugin with many rows to check answers
    /// this without building the rows' vendor requests).
    fn check_import_rows(
        import_name: String,
        job_id: String,
        columns: Vec<String>,
        rows: Vec<ImportValues>,
    ) -> Result<Vec<RefusedRow>, PluginError> {
        let batch = ImportBatch {
            job_id,
            import_kind: import_name,
            rows: rows
                .into_iter()
                .map(|row| ImportRow {
                    line: row.line,
                    fields: columns
                        .iter()
                        .zip(row.values)
                        .map(|(name, value)| Property {
                            name: name.clone(),
                            value,
                        })
                        .collect(),
                })
                .collect(),
        };
        Ok(Self::map_import_rows(batch)?
            .into_iter()
            .filter_map(|result| {
                let problems = match result.outcome {
                    RowOutcome::Accepted(_) => return None,
                    RowOutcome::Rejected(problems) => problems,
                    RowOutcome::Skipped(reason) => vec![FieldError {
                        path: String::new(),
                        code: reason.code,
                        message: format!("skipped: {}", reason.message),
                    }],
                };
                Some(RefusedRow {
                    line: result.line,
                    problems,
                })
            })
            .collect())
    }

    /// The channels whose precedence the plugin decides (none by default).
    fn decides_between() -> Vec<EnrolmentChannel> {
        Vec::new()
    }

    /// One decision per device, in order: which channel provisions it and why, or abstain
    /// (the default, for every device).
    fn decide_provisioning(devices: Vec<DeviceFacts>) -> Result<Vec<Decision>, PluginError> {
        Ok(devices.iter().map(|_| Decision::Abstain).collect())
    }

    /// Take an action on a collection or one of its items.
    fn act(
        collection: String,
        item: Option<String>,
        action: String,
        input: Json,
    ) -> Result<Outcome, PluginError> {
        let _ = (item, collection, input);
        Err(PluginError::Unsupported(format!("action {action}")))
    }
}

/// Log through the `logging` capability (which must then be granted).
pub fn log(level: capabilities::logging::Level, message: &str) {
    capabilities::logging::log(level, message);
}

/// Export a type implementing [`Plugin`] as the component's `hooks`, `extension`,
/// `enrolment-tokens`, `devices`, `settings`, `collections` and `provisioning`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __CorralPluginExport;

        impl $crate::bindings::exports::corral::plugin0_6_0::provisioning::Guest
            for __CorralPluginExport
        {
            fn decides_between() -> Vec<$crate::types::EnrolmentChannel> {
                <$plugin as $crate::Plugin>::decides_between()
            }
            fn decide_provisioning(
                devices: Vec<$crate::types::DeviceFacts>,
            ) -> Result<Vec<$crate::types::Decision>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::decide_provisioning(devices)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_7_0::collections::Guest
            for __CorralPluginExport
        {
            fn describe_collections() -> Vec<$crate::types::CollectionInfo> {
                <$plugin as $crate::Plugin>::describe_collections()
            }
            fn list_items(
                collection: String,
                search: Option<String>,
                page_token: Option<String>,
            ) -> Result<$crate::types::Page, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::list_items(collection, search, page_token)
            }
            fn get_item(
                collection: String,
                id: String,
            ) -> Result<Option<$crate::types::Item>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::get_item(collection, id)
            }
            fn form(
                collection: String,
                item: Option<String>,
                action: String,
            ) -> Result<$crate::types::Json, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::form(collection, item, action)
            }
            fn act(
                collection: String,
                item: Option<String>,
                action: String,
                input: $crate::types::Json,
            ) -> Result<$crate::types::Outcome, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::act(collection, item, action, input)
            }
            fn check_import_rows(
                import_name: String,
                job_id: String,
                columns: Vec<String>,
                rows: Vec<$crate::types::ImportValues>,
            ) -> Result<Vec<$crate::types::RefusedRow>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::check_import_rows(import_name, job_id, columns, rows)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_4_0::settings::Guest for __CorralPluginExport {
            fn validate_settings(
                settings: Vec<$crate::types::Property>,
            ) -> Result<Vec<$crate::types::FieldError>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::validate_settings(settings)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_4_0::devices::Guest for __CorralPluginExport {
            fn sync_inventory() -> Result<u32, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::sync_inventory()
            }
            fn execute(
                device: $crate::types::ManagedDevice,
                command: $crate::types::DeviceCommand,
            ) -> Result<(), $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::execute(device, command)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_3_0::enrolment_tokens::Guest
            for __CorralPluginExport
        {
            fn create_token(
                request: $crate::types::TokenRequest,
            ) -> Result<$crate::types::Token, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::create_token(request)
            }
            fn delete_token(name: String) -> Result<(), $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::delete_token(name)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_2_0::extension::Guest
            for __CorralPluginExport
        {
            fn describe_extension() -> $crate::types::ExtensionInfo {
                <$plugin as $crate::Plugin>::describe_extension()
            }
            fn perform(
                action: String,
                input: $crate::types::Json,
            ) -> Result<$crate::types::Json, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::perform(action, input)
            }
        }

        impl $crate::bindings::exports::corral::plugin0_1_0::hooks::Guest for __CorralPluginExport {
            fn describe() -> $crate::types::PluginInfo {
                <$plugin as $crate::Plugin>::describe()
            }
            fn validate_config(
                config: $crate::types::Configuration,
            ) -> Result<Vec<$crate::types::FieldError>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::validate_config(config)
            }
            fn render_config(
                config: $crate::types::Configuration,
            ) -> Result<$crate::types::RenderedDocument, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::render_config(config)
            }
            fn decide_enrolment(
                request: $crate::types::EnrolmentRequest,
            ) -> Result<$crate::types::EnrolmentDecision, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::decide_enrolment(request)
            }
            fn map_import_rows(
                batch: $crate::types::ImportBatch,
            ) -> Result<Vec<$crate::types::RowResult>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::map_import_rows(batch)
            }
            fn translate_command(
                target: $crate::types::CommandTarget,
                command: $crate::types::DeviceCommand,
            ) -> Result<Vec<$crate::types::VendorRequest>, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::translate_command(target, command)
            }
            fn evaluate_access(
                connector: $crate::types::Configuration,
                request: $crate::types::AccessRequest,
            ) -> Result<$crate::types::AccessDecision, $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::evaluate_access(connector, request)
            }
            fn on_event(
                event: $crate::types::LifecycleEvent,
            ) -> Result<(), $crate::types::PluginError> {
                <$plugin as $crate::Plugin>::on_event(event)
            }
        }

        $crate::bindings::__export_corral_plugin!(__CorralPluginExport with_types_in $crate::bindings);
    };
}
