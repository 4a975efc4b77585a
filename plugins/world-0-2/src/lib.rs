//! A plugin built against the frozen `corral:plugin@0.2.0` directly (not through the SDK, which
//! follows the newest version): the host must keep running it beside newer plugins.
wit_bindgen::generate!({
    path: "../../wit/corral-plugin@0.2.0",
    world: "plugin",
    generate_all,
});

use corral::plugin0_1_0::types::*;
use exports::corral::plugin0_1_0::hooks;
use exports::corral::plugin0_2_0::extension;

struct Legacy;

fn unsupported() -> PluginError {
    PluginError::Unsupported("not in this test plugin".into())
}

impl hooks::Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "world-0-2".into(),
            vendor: "Corral tests".into(),
            version: "0.2.0".into(),
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
    fn map_import_rows(_: ImportBatch) -> Result<Vec<RowResult>, PluginError> {
        Err(unsupported())
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
            actions: vec![extension::ActionInfo {
                name: "echo".into(),
                description: "answers its input".into(),
            }],
        }
    }
    fn perform(action: String, input: Json) -> Result<Json, PluginError> {
        match action.as_str() {
            "echo" => Ok(input),
            _ => Err(unsupported()),
        }
    }
}

export!(Legacy);
