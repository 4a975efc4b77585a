//! Test plugin for the directory capability: `render-config` looks up every e-mail address
//! of the configuration body (a JSON array of strings) and reports the users it found as
//! `email=first last (source)` lines. Run in two tenants, it shows that a plugin sees only its
//! own tenant's users.
use corral_plugin_sdk::capabilities::directory;
use corral_plugin_sdk::{Plugin, export_plugin, types::*};

struct Probe;

impl Plugin for Probe {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("hostile-directory-probe", "Test", "0.1.0");
        info.capabilities = vec![Capability::Directory];
        info
    }

    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let mut seen = Vec::new();
        let emails: Vec<String> = serde_json::from_str(&config.body)
            .map_err(|e| PluginError::InvalidInput(format!("body: {e}")))?;
        for email in &emails {
            match directory::find_user_by_email(email) {
                Ok(Some(u)) => seen.push(format!(
                    "{}={} {} ({})",
                    u.email, u.first_name, u.last_name, u.source
                )),
                Ok(None) => {}
                Err(e) => return Err(PluginError::Denied(format!("{e:?}"))),
            }
        }
        Ok(RenderedDocument {
            media_type: "text/plain".into(),
            document: seen.join("\n"),
        })
    }
}

export_plugin!(Probe);
