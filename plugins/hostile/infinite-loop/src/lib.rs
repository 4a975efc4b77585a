//! Hostile test plugin: `validate-config` never returns (busy loop).
//! The host must interrupt it at the CPU deadline.
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Looper;

impl Plugin for Looper {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-infinite-loop", "Test", "0.1.0")
    }
    fn validate_config(_config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

export_plugin!(Looper);
