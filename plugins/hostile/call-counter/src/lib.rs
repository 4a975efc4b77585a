//! Test plugin: keeps a counter in linear memory (a `static`) and reports it.
//! `render-config` increments the counter and returns its new value, so a
//! fresh instance always answers "1"; anything else means the instance (its
//! memory) was used before. The host must never hand a used instance to a
//! one-shot hook call.
use std::sync::atomic::{AtomicU32, Ordering};

use corral_plugin_sdk::{Plugin, export_plugin, types::*};

static CALLS: AtomicU32 = AtomicU32::new(0);

struct Counter;

impl Plugin for Counter {
    fn describe() -> PluginInfo {
        corral_plugin_sdk::info("hostile-call-counter", "Test", "0.1.0")
    }
    fn render_config(_config: Configuration) -> Result<RenderedDocument, PluginError> {
        let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(RenderedDocument {
            media_type: "text/plain".into(),
            document: n.to_string(),
        })
    }
}

export_plugin!(Counter);
