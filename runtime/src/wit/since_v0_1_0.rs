//! Bindings for the frozen `corral:plugin@0.1.0` package
//! (`wit/corral-plugin@0.1.0/`). Imports and exports are async so that a
//! plugin call yields to tokio (epoch yields) and host capabilities can await
//! the database / network without blocking a worker thread.

wasmtime::component::bindgen!({
    path: "../wit/corral-plugin@0.1.0",
    world: "plugin",
    imports: { default: async },
    exports: { default: async },
});
