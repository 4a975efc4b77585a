//! Hostile test plugin: `validate-config` panics (with panic=abort this is a
//! wasm `unreachable` trap).
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Panics;

impl Plugin for Panics {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-panic", "Test", "0.1.0")
    }
    fn validate_config(config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        panic!("plugin bug while validating {}", config.id);
    }
}

export_plugin!(Panics);
