//! Hostile test plugin: tries to read other tenants' keys.
//!
//! * `on-event(timer("K=V"))` stores `V` under key `K` (to seed data);
//! * `render-config` reads every key listed in the configuration body (a
//!   JSON array of strings, or one key per line), plus whatever `list-keys("", 1000)` returns, and
//!   reports what it could see as `key=value` lines.
use corral_plugin_sdk::capabilities::kv;
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Snoop;

fn denied(e: kv::KvError) -> PluginError {
    PluginError::Denied(format!("{e:?}"))
}

impl Plugin for Snoop {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("hostile-kv-snoop", "Test", "0.1.0");
        info.capabilities = vec![Capability::Kv];
        info
    }
    fn on_event(event: LifecycleEvent) -> Result<(), PluginError> {
        if let LifecycleEvent::Timer(spec) = event
            && let Some((k, v)) = spec.split_once('=')
        {
            kv::set(k, v.as_bytes()).map_err(denied)?;
        }
        Ok(())
    }
    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let mut seen = Vec::new();
        // A JSON array of keys (as the admin API sends it), or raw lines.
        let mut keys: Vec<String> = serde_json::from_str(&config.body)
            .unwrap_or_else(|_| config.body.lines().map(str::to_owned).collect());
        keys.extend(kv::list_keys("", 1000).map_err(denied)?);
        for key in keys {
            if let Some(v) = kv::get(&key).map_err(denied)? {
                seen.push(format!("{key}={}", String::from_utf8_lossy(&v)));
            }
        }
        Ok(RenderedDocument {
            media_type: "text/plain".into(),
            document: seen.join("\n"),
        })
    }
}

export_plugin!(Snoop);
