//! Hostile test plugin: `validate-config` allocates (and touches) memory
//! until it runs out. The host's per-call memory cap must stop it.
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Hog;

impl Plugin for Hog {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-memory-hog", "Test", "0.1.0")
    }
    fn validate_config(_config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        let mut chunks: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk = vec![0u8; 1 << 20];
            chunk[0] = chunks.len() as u8;
            chunks.push(std::hint::black_box(chunk));
        }
    }
}

export_plugin!(Hog);
