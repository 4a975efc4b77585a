//! Bindings for the frozen `corral:plugin@0.4.0` package (`wit/corral-plugin@0.4.0/`).
//!
//! 0.4.0's world imports and exports the interfaces of 0.1.0 to 0.3.0 themselves and adds the
//! `inventory` capability and the `devices` export. Imported interfaces are mapped onto the
//! older modules (`with`), so their implementations are shared; exports cannot be mapped, so
//! the `extension` and `enrolment-tokens` exports have their own (identical) types here,
//! converted in [`crate::plugin`].

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.4.0",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
    with: {
        "corral:plugin/types@0.1.0": super::v0_1::corral::plugin::types,
        "corral:plugin/logging@0.1.0": super::v0_1::corral::plugin::logging,
        "corral:plugin/kv@0.1.0": super::v0_1::corral::plugin::kv,
        "corral:plugin/http@0.1.0": super::v0_1::corral::plugin::http,
        "corral:plugin/directory@0.1.0": super::v0_1::corral::plugin::directory,
        "corral:plugin/clock@0.1.0": super::v0_1::corral::plugin::clock,
        "corral:plugin/vendor@0.2.0": super::v0_2::corral::plugin0_2_0::vendor,
    },
});
