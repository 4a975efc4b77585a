//! A plugin built against the frozen `corral:plugin@0.4.0` directly (not through the SDK, which
//! follows the newest version): the host must keep running it, through its own bindings, beside
//! newer plugins.
wit_bindgen::generate!({
    path: "../../wit/corral-plugin@0.4.0",
    world: "plugin",
    generate_all,
});

use corral::plugin0_1_0::types::*;
use exports::corral::plugin0_1_0::hooks;
use exports::corral::plugin0_2_0::extension;
use exports::corral::plugin0_3_0::enrolment_tokens as tokens;
use exports::corral::plugin0_4_0::{devices, settings};

struct Legacy;

fn unsupported() -> PluginError {
    PluginError::Unsupported("not in this test plugin".into())
}

impl hooks::Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "world-0-4".into(),
            vendor: "Corral tests".into(),
            version: "0.4.0".into(),
            hooks: vec![],
            capabilities: vec![],
            http_hosts: vec![],
            config_kinds: vec![],
        }
    }
    fn validate_config(_: Configuration) -> Result<Vec<FieldError>, PluginError> {
        Err(unsupported())
    }
    fn render_config(_: Configuration) -> Result<RenderedDocument, PluginError> {
        Err(unsupported())
    }
    fn decide_enrolment(_: EnrolmentRequest) -> Result<EnrolmentDecision, PluginError> {
        Ok(EnrolmentDecision::Abstain)
    }
    /// A row is accepted when its `state` is `ok`, skipped when `skip`, refused otherwise
    /// (for the host's checking of rows through this hook before 0.5.0's `check-import-rows`).
    fn map_import_rows(batch: ImportBatch) -> Result<Vec<RowResult>, PluginError> {
        Ok(batch
            .rows
            .into_iter()
            .map(|row| {
                let state = row
                    .fields
                    .iter()
                    .find(|p| p.name == "state")
                    .map_or("", |p| p.value.as_str());
                let outcome = match state {
                    "ok" => RowOutcome::Accepted(RowAction {
                        device: DeviceIdentity {
                            device_id: None,
                            serial_number: None,
                            imeis: vec![],
                            meid: None,
                            manufacturer: None,
                            model: None,
                            os: None,
                            os_version: None,
                            security_patch_level: None,
                        },
                        action: "none".into(),
                        configuration_id: None,
                        requests: vec![],
                    }),
                    "skip" => RowOutcome::Skipped(Reason {
                        code: "skipped".into(),
                        message: "left as it is".into(),
                    }),
                    other => RowOutcome::Rejected(vec![FieldError {
                        path: "state".into(),
                        code: "invalid".into(),
                        message: format!("not {other:?}"),
                    }]),
                };
                RowResult {
                    line: row.line,
                    outcome,
                }
            })
            .collect())
    }
    fn translate_command(
        _: CommandTarget,
        _: DeviceCommand,
    ) -> Result<Vec<VendorRequest>, PluginError> {
        Err(unsupported())
    }
    fn evaluate_access(_: Configuration, _: AccessRequest) -> Result<AccessDecision, PluginError> {
        Err(unsupported())
    }
    fn on_event(_: LifecycleEvent) -> Result<(), PluginError> {
        Ok(())
    }
}

impl extension::Guest for Legacy {
    fn describe_extension() -> extension::ExtensionInfo {
        extension::ExtensionInfo {
            settings: vec![],
            oauth_scopes: vec![],
            actions: vec![],
        }
    }
    fn perform(_: String, _: Json) -> Result<Json, PluginError> {
        Err(unsupported())
    }
}

impl tokens::Guest for Legacy {
    /// A token named after the profile, valid for its days from the Unix epoch.
    fn create_token(request: tokens::TokenRequest) -> Result<tokens::Token, PluginError> {
        Ok(tokens::Token {
            name: format!("tokens/{}", request.profile_id),
            value: format!("T-{}", request.owner_user_id),
            expires_at_ms: u64::from(request.validity_days) * 86_400_000,
            qr_payload: None,
            vendor_document: "{}".into(),
        })
    }
    fn delete_token(_: String) -> Result<(), PluginError> {
        Ok(())
    }
}

impl devices::Guest for Legacy {
    fn sync_inventory() -> Result<u32, PluginError> {
        Ok(0)
    }
    /// Locks are done; anything else is refused, naming the device.
    fn execute(device: devices::ManagedDevice, command: DeviceCommand) -> Result<(), PluginError> {
        match command {
            DeviceCommand::Lock => Ok(()),
            _ => Err(PluginError::InvalidInput(format!(
                "only lock for {}",
                device.vendor_name
            ))),
        }
    }
}

impl settings::Guest for Legacy {
    /// A setting named `region` must be `eu` or `us`.
    fn validate_settings(settings: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        Ok(settings
            .into_iter()
            .filter(|p| p.name == "region" && p.value != "eu" && p.value != "us")
            .map(|p| FieldError {
                path: p.name,
                code: "invalid".into(),
                message: "eu or us".into(),
            })
            .collect())
    }
}

export!(Legacy);
