//! Hostile test plugin: `render-config` returns a 24 MiB "document" (within
//! its memory cap). The host must refuse a result above its size limit.
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Huge;

impl Plugin for Huge {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-huge-return", "Test", "0.1.0")
    }
    fn render_config(_config: Configuration) -> Result<RenderedDocument, PluginError> {
        Ok(RenderedDocument {
            media_type: "application/json".into(),
            document: "x".repeat(24 << 20),
        })
    }
    fn validate_config(_config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        // Many small items: a large list, also refused by the host.
        Ok((0..400_000)
            .map(|i| FieldError {
                path: format!("/{i}"),
                code: "x".into(),
                message: String::new(),
            })
            .collect())
    }
}

export_plugin!(Huge);
