//! 0.1.0's hooks, which every version exports (`corral:plugin/hooks@0.1.0`), called with their
//! types checked once per installation instead of on every instance.
//!
//! Why: the bindings' `instantiate` looks up every export of the world and type-checks each
//! against its Rust signature, on every instance: about 1.5 µs of the 10 µs budget of a fresh
//! instance (`docs/plugin-bench.md`), spent on exports the call will not use. A component's
//! export types belong to the component, not to an instance, so once one instance's hook
//! passed the check, every later instance of the same component passes it too. Here each hook
//! is found once (its export index), checked on its first call, and then called without the
//! check. The later versions' other exports (extension, tokens, devices, settings) go through
//! their bindings, loaded on their first use (`since_v0_N_0.rs`).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, ComponentType, Instance, Lift, Lower,
    TypedFunc,
};

use super::{Answer, Call};
use crate::api::*;
use crate::state::HostState;

/// One export function taking `A` (a tuple of references to the arguments) and answering `R`.
struct Export<A, R> {
    name: &'static str,
    /// None when the component lacks it: an error at its call, not at installation (the
    /// bindings' check of the world found every export the host needs already).
    index: Option<ComponentExportIndex>,
    checked: AtomicBool,
    /// Covariant: an export taking `&'static T` is called with a shorter-lived `&T`.
    _signature: PhantomData<fn() -> (A, R)>,
}

impl<A, R> Export<A, R> {
    fn find(component: &Component, hooks: &ComponentExportIndex, name: &'static str) -> Self {
        Export {
            name,
            index: component.get_export_index(Some(hooks), name),
            checked: AtomicBool::new(false),
            _signature: PhantomData,
        }
    }

    /// The typed function of this export on `instance`.
    fn typed(
        &self,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<TypedFunc<A, (R,)>>
    where
        A: ComponentNamedList + Lower,
        (R,): ComponentNamedList + Lift,
    {
        let func = self
            .index
            .and_then(|index| instance.get_func(&mut *store, index))
            .ok_or_else(|| wasmtime::format_err!("the plugin does not export `{}`", self.name))?;
        if self.checked.load(Ordering::Acquire) {
            // SAFETY: `typed::<A, (R,)>` succeeded for this export on an instance of the same
            // component (below), and an export's type is the component's: the same on every
            // instance. `A` and `R` are this `Export`'s own type parameters, so every call
            // through it uses the signature that was checked.
            return Ok(unsafe { TypedFunc::new_unchecked(func) });
        }
        let typed = func.typed::<A, (R,)>(&*store)?;
        self.checked.store(true, Ordering::Release);
        Ok(typed)
    }
}

impl<R> Export<(), R>
where
    R: ComponentType + Lift + Send + Sync + 'static,
{
    async fn call0(
        &self,
        store: &mut Store<HostState>,
        instance: &Instance,
    ) -> wasmtime::Result<R> {
        let func = self.typed(store, instance)?;
        Ok(func.call_async(store, ()).await?.0)
    }
}

impl<'x, T, R> Export<(&'x T,), R>
where
    T: ComponentType + Lower + Sync + 'x,
    R: ComponentType + Lift + Send + Sync + 'static,
{
    async fn call1(
        &self,
        store: &mut Store<HostState>,
        instance: &Instance,
        a: &'x T,
    ) -> wasmtime::Result<R> {
        let func = self.typed(store, instance)?;
        Ok(func.call_async(store, (a,)).await?.0)
    }
}

impl<'x, T, U, R> Export<(&'x T, &'x U), R>
where
    T: ComponentType + Lower + Sync + 'x,
    U: ComponentType + Lower + Sync + 'x,
    R: ComponentType + Lift + Send + Sync + 'static,
{
    async fn call2(
        &self,
        store: &mut Store<HostState>,
        instance: &Instance,
        a: &'x T,
        b: &'x U,
    ) -> wasmtime::Result<R> {
        let func = self.typed(store, instance)?;
        Ok(func.call_async(store, (a, b)).await?.0)
    }
}

/// The hooks of one installed component.
pub(crate) struct Hooks {
    describe: Export<(), PluginInfo>,
    validate_config: Export<(&'static Configuration,), Answer<Vec<FieldError>>>,
    render_config: Export<(&'static Configuration,), Answer<RenderedDocument>>,
    decide_enrolment: Export<(&'static EnrolmentRequest,), Answer<EnrolmentDecision>>,
    map_import_rows: Export<(&'static ImportBatch,), Answer<Vec<RowResult>>>,
    translate_command:
        Export<(&'static CommandTarget, &'static DeviceCommand), Answer<Vec<VendorRequest>>>,
    evaluate_access:
        Export<(&'static Configuration, &'static AccessRequest), Answer<AccessDecision>>,
    on_event: Export<(&'static LifecycleEvent,), Answer<()>>,
}

impl Hooks {
    pub(crate) fn find(component: &Component) -> wasmtime::Result<Hooks> {
        let hooks = component
            .get_export_index(None, "corral:plugin/hooks@0.1.0")
            .ok_or_else(|| wasmtime::format_err!("no `corral:plugin/hooks@0.1.0` export"))?;
        Ok(Hooks {
            describe: Export::find(component, &hooks, "describe"),
            validate_config: Export::find(component, &hooks, "validate-config"),
            render_config: Export::find(component, &hooks, "render-config"),
            decide_enrolment: Export::find(component, &hooks, "decide-enrolment"),
            map_import_rows: Export::find(component, &hooks, "map-import-rows"),
            translate_command: Export::find(component, &hooks, "translate-command"),
            evaluate_access: Export::find(component, &hooks, "evaluate-access"),
            on_event: Export::find(component, &hooks, "on-event"),
        })
    }
}

/// Each hook on an instance of the component.
impl Hooks {
    pub(crate) fn describe<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
    ) -> Call<'a, PluginInfo> {
        Box::pin(self.describe.call0(store, instance))
    }
    pub(crate) fn validate_config<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        config: &'a Configuration,
    ) -> Call<'a, Answer<Vec<FieldError>>> {
        Box::pin(self.validate_config.call1(store, instance, config))
    }
    pub(crate) fn render_config<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        config: &'a Configuration,
    ) -> Call<'a, Answer<RenderedDocument>> {
        Box::pin(self.render_config.call1(store, instance, config))
    }
    pub(crate) fn decide_enrolment<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        request: &'a EnrolmentRequest,
    ) -> Call<'a, Answer<EnrolmentDecision>> {
        Box::pin(self.decide_enrolment.call1(store, instance, request))
    }
    pub(crate) fn map_import_rows<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        batch: &'a ImportBatch,
    ) -> Call<'a, Answer<Vec<RowResult>>> {
        Box::pin(self.map_import_rows.call1(store, instance, batch))
    }
    pub(crate) fn translate_command<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        target: &'a CommandTarget,
        command: &'a DeviceCommand,
    ) -> Call<'a, Answer<Vec<VendorRequest>>> {
        Box::pin(
            self.translate_command
                .call2(store, instance, target, command),
        )
    }
    pub(crate) fn evaluate_access<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        connector: &'a Configuration,
        request: &'a AccessRequest,
    ) -> Call<'a, Answer<AccessDecision>> {
        Box::pin(
            self.evaluate_access
                .call2(store, instance, connector, request),
        )
    }
    pub(crate) fn on_event<'a>(
        &'a self,
        store: &'a mut Store<HostState>,
        instance: &'a Instance,
        event: &'a LifecycleEvent,
    ) -> Call<'a, Answer<()>> {
        Box::pin(self.on_event.call1(store, instance, event))
    }
}
