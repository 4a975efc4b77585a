//! Bindings for the frozen `corral:plugin@0.2.0` package (`wit/corral-plugin@0.2.0/`).
//!
//! 0.2.0's world imports and exports 0.1.0's interfaces themselves and adds the `vendor`
//! capability and the `extension` export. The 0.1.0 interfaces are mapped onto the `v0_1`
//! module (`with`), so both versions share one set of types ([`crate::api`]) and one
//! implementation of each 0.1 capability; only `vendor` and `extension` are new here.

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.2.0",
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
    },
});
