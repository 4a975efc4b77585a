//! Hostile test plugin: `validate-config` recurses without end. The host must
//! report a stack overflow, not crash.
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Deep;

#[inline(never)]
fn recurse(depth: u64, pad: [u64; 8]) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return pad[0];
    }
    let next = std::hint::black_box([pad[0].wrapping_add(depth); 8]);
    recurse(depth + 1, next).wrapping_add(next[7])
}

impl Plugin for Deep {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-deep-recursion", "Test", "0.1.0")
    }
    fn validate_config(_config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        let n = recurse(0, [1; 8]);
        Ok(vec![FieldError {
            path: n.to_string(),
            code: String::new(),
            message: String::new(),
        }])
    }
}

export_plugin!(Deep);
