//! The frozen WIT versions this runtime runs, one module per version, in the way Zed's
//! extension host keeps `since_vX_Y_Z.rs`.
//!
//! Why: a frozen WIT package never changes, so plugins built against `corral:plugin@0.1.0`
//! must keep working after later versions ship. Each `since_vX_Y_Z` module holds everything
//! about its version: its `bindgen!` bindings, the imports it adds to the linker (`link`), and
//! the [`Exports`] of its instances, which convert its types to the newest ones ([`crate::api`]).
//! The runtime detects a component's version as the newest version among the `corral:plugin`
//! interfaces it exports (`collections@0.7.0`, `provisioning@0.6.0`... else `hooks@0.1.0`), and
//! [`prepare`] is the one dispatch point from a version to its module. Everything else in the
//! runtime (`plugin.rs`) only sees [`Prepared`] and [`Exports`].
//!
//! Adding a version (0.5.0 to 0.7.0 were added so): a `since_vX_Y_Z.rs` module (bindings
//! mapping the older interfaces with `with`, a `link` adding its new imports, `impl Exports` for
//! its instances, mostly the shared forwarding of `forwarding.rs`), one arm in [`prepare`]
//! and one [`WorldVersion`] variant; a new export hook is a new [`Exports`] method whose
//! default answers "this version does not have it".

mod forwarding;
mod hooks;
pub mod since_v0_1_0;
pub mod since_v0_2_0;
pub mod since_v0_3_0;
pub mod since_v0_4_0;
pub mod since_v0_5_0;
pub mod since_v0_6_0;
pub mod since_v0_7_0;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use wasmtime::Store;
use wasmtime::component::{Component, Instance, InstancePre, Linker};

use hooks::Hooks;

use crate::api::*;
use crate::capability::CapabilitySet;
use crate::state::HostState;

/// A call into an instance: the outer error is wasmtime's (trap, interrupt), the value is the
/// export's answer.
pub(crate) type Call<'a, T> = Pin<Box<dyn Future<Output = wasmtime::Result<T>> + Send + 'a>>;

/// A hook's answer: the plugin's value or its own `plugin-error`.
pub(crate) type Answer<T> = Result<T, PluginError>;

/// A version's bindings of its whole world (`bindgen!`'s `Plugin` and `PluginIndices`), for the
/// exports after 0.1.0's hooks.
pub(crate) trait Bindings: Send + Sync + Sized + 'static {
    type Indices: Send + Sync + 'static;
    fn indices(pre: &InstancePre<HostState>) -> wasmtime::Result<Self::Indices>;
    fn load(
        indices: &Self::Indices,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<Self>;
}

/// `Bindings` for the version module's `bindgen!` output (`Plugin`, `PluginIndices`).
macro_rules! bindings {
    () => {
        impl super::Bindings for Plugin {
            type Indices = PluginIndices;
            fn indices(
                pre: &wasmtime::component::InstancePre<HostState>,
            ) -> wasmtime::Result<PluginIndices> {
                PluginIndices::new(pre)
            }
            fn load(
                indices: &PluginIndices,
                store: &mut Store<HostState>,
                instance: &wasmtime::component::Instance,
            ) -> wasmtime::Result<Plugin> {
                indices.load(store, instance)
            }
        }
    };
}
pub(crate) use bindings;
pub(crate) use forwarding::*;

/// A component linked and pre-instantiated, with its hooks found (`hooks.rs`) and its world's
/// bindings' export indices.
pub(crate) struct Prep<B: Bindings> {
    pre: InstancePre<HostState>,
    hooks: Hooks,
    indices: B::Indices,
}

/// A live instance: its hooks are called directly (`hooks.rs`); the version's later exports
/// through its bindings, loaded (and type-checked) on the first call of one of them.
pub(crate) struct Live<B: Bindings> {
    instance: Instance,
    prep: Arc<Prep<B>>,
    bindings: OnceLock<B>,
}

impl<B: Bindings> Live<B> {
    /// The version's bindings of this instance's exports.
    fn bindings(&self, store: &mut Store<HostState>) -> wasmtime::Result<&B> {
        if let Some(b) = self.bindings.get() {
            return Ok(b);
        }
        let loaded = B::load(&self.prep.indices, store, &self.instance)?;
        Ok(self.bindings.get_or_init(|| loaded))
    }
}

/// Pre-instantiates `component` (linked) with version `B`'s bindings.
fn prepared<B: Bindings>(
    pre: InstancePre<HostState>,
    component: &Component,
) -> wasmtime::Result<Box<dyn Prepared>>
where
    Live<B>: Exports,
{
    let indices = B::indices(&pre)?;
    Ok(Box::new(Arc::new(Prep::<B> {
        hooks: Hooks::find(component)?,
        indices,
        pre,
    })))
}

impl<B: Bindings> Prepared for Arc<Prep<B>>
where
    Live<B>: Exports,
{
    fn instantiate<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, Box<dyn Exports>> {
        Box::pin(async move {
            let instance = self.pre.instantiate_async(store).await?;
            Ok(Box::new(Live {
                instance,
                prep: self.clone(),
                bindings: OnceLock::new(),
            }) as Box<dyn Exports>)
        })
    }
}

/// A component of some version, linked and pre-instantiated.
pub(crate) trait Prepared: Send + Sync {
    fn instantiate<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, Box<dyn Exports>>;
}

/// The exports of a live instance, as the newest API types. Every version has 0.1.0's hooks;
/// the later exports answer, on versions that lack them, what the caller should see.
pub(crate) trait Exports: Send + Sync {
    fn describe<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, PluginInfo>;
    fn validate_config<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        config: &'a Configuration,
    ) -> Call<'a, Answer<Vec<FieldError>>>;
    fn render_config<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        config: &'a Configuration,
    ) -> Call<'a, Answer<RenderedDocument>>;
    fn decide_enrolment<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        request: &'a EnrolmentRequest,
    ) -> Call<'a, Answer<EnrolmentDecision>>;
    fn map_import_rows<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        batch: &'a ImportBatch,
    ) -> Call<'a, Answer<Vec<RowResult>>>;
    fn translate_command<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        target: &'a CommandTarget,
        command: &'a DeviceCommand,
    ) -> Call<'a, Answer<Vec<VendorRequest>>>;
    fn evaluate_access<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        connector: &'a Configuration,
        request: &'a AccessRequest,
    ) -> Call<'a, Answer<AccessDecision>>;
    fn on_event<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        event: &'a LifecycleEvent,
    ) -> Call<'a, Answer<()>>;

    /// `extension.describe-extension` (0.2.0); None before.
    fn describe_extension<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
    ) -> Call<'a, Option<ExtensionInfo>> {
        Box::pin(async { Ok(None) })
    }

    /// `extension.perform` (0.2.0).
    fn perform<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _action: &'a str,
        _input: &'a Json,
    ) -> Call<'a, Answer<Json>> {
        unsupported("0.2.0, which added actions")
    }

    /// `enrolment-tokens.create-token` (0.3.0).
    fn create_token<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _request: &'a TokenRequest,
    ) -> Call<'a, Answer<Token>> {
        unsupported("0.3.0, which added enrolment tokens")
    }

    /// `enrolment-tokens.delete-token` (0.3.0).
    fn delete_token<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _name: &'a str,
    ) -> Call<'a, Answer<()>> {
        unsupported("0.3.0, which added enrolment tokens")
    }

    /// `devices.sync-inventory` (0.4.0).
    fn sync_inventory<'a>(&'a self, _store: &'a mut Store<HostState>) -> Call<'a, Answer<u32>> {
        unsupported("0.4.0, which added device management")
    }

    /// `devices.execute` (0.4.0).
    fn execute<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _device: &'a ManagedDevice,
        _command: &'a DeviceCommand,
    ) -> Call<'a, Answer<()>> {
        unsupported("0.4.0, which added device management")
    }

    /// `collections.describe-collections` (0.5.0); older plugins have none.
    fn describe_collections<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
    ) -> Call<'a, Vec<CollectionInfo>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// `collections.list` (0.5.0).
    fn list_items<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _collection: &'a str,
        _search: Option<&'a str>,
        _page_token: Option<&'a str>,
    ) -> Call<'a, Answer<ItemPage>> {
        unsupported("0.5.0, which added collections")
    }

    /// `collections.get` (0.5.0).
    fn get_item<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _collection: &'a str,
        _id: &'a str,
    ) -> Call<'a, Answer<Option<Item>>> {
        unsupported("0.5.0, which added collections")
    }

    /// `collections.form` (0.5.0).
    fn action_form<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _collection: &'a str,
        _item: Option<&'a str>,
        _action: &'a str,
    ) -> Call<'a, Answer<Json>> {
        unsupported("0.5.0, which added collections")
    }

    /// `collections.act` (0.5.0).
    fn act<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _collection: &'a str,
        _item: Option<&'a str>,
        _action: &'a str,
        _input: &'a Json,
    ) -> Call<'a, Answer<Outcome>> {
        unsupported("0.5.0, which added collections")
    }

    /// `collections.check-import-rows` (0.5.0). Before 0.5.0, the rows' `map-import-rows`
    /// results: the rows not accepted are refused (a skipped row with its reason).
    fn check_import_rows<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        import_name: &'a str,
        job_id: &'a str,
        columns: &'a [String],
        rows: &'a [ImportValues],
    ) -> Call<'a, Answer<Vec<RefusedRow>>> {
        Box::pin(async move {
            let batch = ImportBatch {
                job_id: job_id.to_owned(),
                import_kind: import_name.to_owned(),
                rows: rows
                    .iter()
                    .map(|row| ImportRow {
                        line: row.line,
                        fields: columns
                            .iter()
                            .zip(&row.values)
                            .map(|(name, value)| Property {
                                name: name.clone(),
                                value: value.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            };
            let answer = self.map_import_rows(store, &batch).await?;
            Ok(answer.map(|results| {
                results
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
                    .collect()
            }))
        })
    }

    /// `provisioning.decides-between` (0.6.0); older plugins decide nothing.
    fn decides_between<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
    ) -> Call<'a, Vec<EnrolmentChannel>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// `provisioning.decide-provisioning` (0.6.0).
    fn decide_provisioning<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _devices: &'a [DeviceFacts],
    ) -> Call<'a, Answer<Vec<ProvisioningAnswer>>> {
        unsupported("0.6.0, which added provisioning decisions")
    }

    /// `settings.validate-settings` (0.4.0); older plugins check no settings.
    fn validate_settings<'a>(
        &'a self,
        _store: &'a mut Store<HostState>,
        _settings: &'a [Property],
    ) -> Call<'a, Answer<Vec<FieldError>>> {
        Box::pin(async { Ok(Ok(Vec::new())) })
    }
}

/// The answer of an export the plugin's version does not have.
fn unsupported<'a, T: Send + 'a>(since: &'static str) -> Call<'a, Answer<T>> {
    Box::pin(async move {
        Ok(Err(PluginError::Unsupported(format!(
            "the plugin targets a corral:plugin version before {since}"
        ))))
    })
}

/// The one dispatch point: links what `version` imports (the `linked` capabilities among
/// them) and pre-instantiates the component with that version's bindings.
pub(crate) fn prepare(
    version: WorldVersion,
    linker: &mut Linker<HostState>,
    linked: CapabilitySet,
    component: &Component,
) -> wasmtime::Result<Box<dyn Prepared>> {
    match version {
        WorldVersion::V0_1 => since_v0_1_0::prepare(linker, linked, component),
        WorldVersion::V0_2 => since_v0_2_0::prepare(linker, linked, component),
        WorldVersion::V0_3 => since_v0_3_0::prepare(linker, linked, component),
        WorldVersion::V0_4 => since_v0_4_0::prepare(linker, linked, component),
        WorldVersion::V0_5 => since_v0_5_0::prepare(linker, linked, component),
        WorldVersion::V0_6 => since_v0_6_0::prepare(linker, linked, component),
        WorldVersion::V0_7 => since_v0_7_0::prepare(linker, linked, component),
    }
}

/// 0.1.0's hooks, the same in every version, for a `Live<_>` (`hooks.rs`).
macro_rules! hooks_v0_1 {
    () => {
        fn describe<'a>(&'a self, store: &'a mut Store<HostState>) -> Call<'a, PluginInfo> {
            self.prep.hooks.describe(store, &self.instance)
        }
        fn validate_config<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            config: &'a Configuration,
        ) -> Call<'a, Answer<Vec<FieldError>>> {
            self.prep
                .hooks
                .validate_config(store, &self.instance, config)
        }
        fn render_config<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            config: &'a Configuration,
        ) -> Call<'a, Answer<RenderedDocument>> {
            self.prep.hooks.render_config(store, &self.instance, config)
        }
        fn decide_enrolment<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            request: &'a EnrolmentRequest,
        ) -> Call<'a, Answer<EnrolmentDecision>> {
            self.prep
                .hooks
                .decide_enrolment(store, &self.instance, request)
        }
        fn map_import_rows<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            batch: &'a ImportBatch,
        ) -> Call<'a, Answer<Vec<RowResult>>> {
            self.prep
                .hooks
                .map_import_rows(store, &self.instance, batch)
        }
        fn translate_command<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            target: &'a CommandTarget,
            command: &'a DeviceCommand,
        ) -> Call<'a, Answer<Vec<VendorRequest>>> {
            self.prep
                .hooks
                .translate_command(store, &self.instance, target, command)
        }
        fn evaluate_access<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            connector: &'a Configuration,
            request: &'a AccessRequest,
        ) -> Call<'a, Answer<AccessDecision>> {
            self.prep
                .hooks
                .evaluate_access(store, &self.instance, connector, request)
        }
        fn on_event<'a>(
            &'a self,
            store: &'a mut Store<HostState>,
            event: &'a LifecycleEvent,
        ) -> Call<'a, Answer<()>> {
            self.prep.hooks.on_event(store, &self.instance, event)
        }
    };
}
pub(crate) use hooks_v0_1;

/// A later version's copy of 0.2.0's `extension-info` (same fields), as the API type.
macro_rules! extension_info {
    ($info:expr) => {{
        let info = $info;
        ExtensionInfo {
            settings: info
                .settings
                .into_iter()
                .map(|s| SettingInfo {
                    name: s.name,
                    description: s.description,
                    required: s.required,
                })
                .collect(),
            oauth_scopes: info.oauth_scopes,
            actions: info
                .actions
                .into_iter()
                .map(|a| ActionInfo {
                    name: a.name,
                    description: a.description,
                })
                .collect(),
        }
    }};
}
pub(crate) use extension_info;

/// WIT package versions this host can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorldVersion {
    /// `corral:plugin@0.1.0`
    V0_1,
    /// `corral:plugin@0.2.0`: adds the `vendor` capability and the `extension` export.
    V0_2,
    /// `corral:plugin@0.3.0`: adds the `enrolment-tokens` export.
    V0_3,
    /// `corral:plugin@0.4.0`: adds the `inventory` capability and the `devices` export.
    V0_4,
    /// `corral:plugin@0.5.0`: adds the `collections` export and the `device-lookup` capability.
    V0_5,
    /// `corral:plugin@0.6.0`: replaces `registrations` and adds the `provisioning` export.
    V0_6,
    /// `corral:plugin@0.7.0`: replaces `vendor` (named accounts) and `collections`
    /// (the Exchange permissions), adds the `discoveries` capability and `locale`.
    V0_7,
}

impl WorldVersion {
    /// Every supported version, oldest first.
    pub const ALL: &'static [WorldVersion] = &[
        WorldVersion::V0_1,
        WorldVersion::V0_2,
        WorldVersion::V0_3,
        WorldVersion::V0_4,
        WorldVersion::V0_5,
        WorldVersion::V0_6,
        WorldVersion::V0_7,
    ];

    /// The semantic version string of the WIT package.
    pub fn as_str(self) -> &'static str {
        match self {
            WorldVersion::V0_1 => "0.1.0",
            WorldVersion::V0_2 => "0.2.0",
            WorldVersion::V0_3 => "0.3.0",
            WorldVersion::V0_4 => "0.4.0",
            WorldVersion::V0_5 => "0.5.0",
            WorldVersion::V0_6 => "0.6.0",
            WorldVersion::V0_7 => "0.7.0",
        }
    }

    /// The version at which this world has `interface` (0.2.0 imports and exports 0.1.0's
    /// interfaces unchanged and adds `vendor` and `extension`), or None when it lacks it.
    pub fn interface_version(self, interface: &str) -> Option<&'static str> {
        use WorldVersion::*;
        match (self, interface) {
            (V0_7, "vendor" | "collections" | "discoveries" | "locale") => Some("0.7.0"),
            (_, "discoveries" | "locale") => None,
            (V0_6 | V0_7, "registrations" | "provisioning") => Some("0.6.0"),
            (V0_1 | V0_2 | V0_3 | V0_4 | V0_5, "provisioning") => None,
            (V0_5, "registrations") => Some("0.5.0"),
            (V0_1 | V0_2 | V0_3 | V0_4, "registrations") => None,
            (V0_5 | V0_6, "collections") | (V0_5 | V0_6 | V0_7, "device-lookup") => Some("0.5.0"),
            (V0_1 | V0_2 | V0_3 | V0_4, "collections" | "device-lookup") => None,
            (V0_4 | V0_5 | V0_6 | V0_7, "inventory" | "devices" | "settings") => Some("0.4.0"),
            (V0_1 | V0_2 | V0_3, "inventory" | "devices" | "settings") => None,
            (V0_3 | V0_4 | V0_5 | V0_6 | V0_7, "enrolment-tokens") => Some("0.3.0"),
            (V0_1 | V0_2, "enrolment-tokens") => None,
            (V0_2 | V0_3 | V0_4 | V0_5 | V0_6, "vendor")
            | (V0_2 | V0_3 | V0_4 | V0_5 | V0_6 | V0_7, "extension") => Some("0.2.0"),
            (V0_1, "vendor" | "extension") => None,
            _ => Some("0.1.0"),
        }
    }

    /// Parse the version part of an interface name (`0.1.0`).
    pub fn parse(v: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|w| w.as_str() == v)
    }
}

impl std::fmt::Display for WorldVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corral:plugin@{}", self.as_str())
    }
}
