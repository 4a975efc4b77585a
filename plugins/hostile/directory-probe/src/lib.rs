//! Test plugin for the directory capability: `render-config` looks up every entry of the
//! configuration body (a JSON array of strings): an e-mail address as a user, reported as
//! `email=first last (source), N device(s)`, anything else as a device's serial number or IMEI,
//! reported as `key=device name: serial, imeis, owner`. Run in two tenants, it shows that a
//! plugin sees only its own tenant's users and devices.
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
        let denied = |e| PluginError::Denied(format!("{e:?}"));
        for key in &emails {
            if key.contains('@') {
                if let Some(u) = directory::find_user_by_email(key).map_err(denied)? {
                    let devices = directory::list_user_devices(&u.id).map_err(denied)?;
                    seen.push(format!(
                        "{}={} {} ({}), {} device(s)",
                        u.email,
                        u.first_name,
                        u.last_name,
                        u.source,
                        devices.len()
                    ));
                }
            } else if let Some(d) = directory::find_device(key).map_err(denied)? {
                let owner = d
                    .owner_user_id
                    .and_then(|id| directory::get_user(&id).ok().flatten())
                    .map_or_else(|| "nobody".to_string(), |u| u.email);
                seen.push(format!(
                    "{key}={}: {}, {}, {owner}",
                    d.name,
                    d.serial_number.unwrap_or_default(),
                    d.imeis.join("+")
                ));
            }
        }
        Ok(RenderedDocument {
            media_type: "text/plain".into(),
            document: seen.join("\n"),
        })
    }
}

export_plugin!(Probe);
