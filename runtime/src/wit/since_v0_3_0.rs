//! Bindings for the frozen `corral:plugin@0.3.0` package (`wit/corral-plugin@0.3.0/`).
//!
//! 0.3.0's world imports and exports the 0.1.0 and 0.2.0 interfaces themselves and adds the
//! `enrolment-tokens` export. Imported interfaces are mapped onto `v0_1` and `v0_2` (`with`), so
//! their implementations are shared; exports cannot be mapped, so the `extension` export has
//! its own (identical) types here, converted in [`crate::plugin`].

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.3.0",
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
