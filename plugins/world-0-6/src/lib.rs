//! A plugin built against the frozen `corral:plugin@0.6.0` directly (not through the SDK, which
//! follows the newest version): the host must keep running it, through its own bindings, beside
//! newer plugins: its collections (0.5.0's), its registrations and its provisioning decisions.
wit_bindgen::generate!({
    path: "../../wit/corral-plugin@0.6.0",
    world: "plugin",
    generate_all,
});

use corral::plugin0_1_0::types::*;
use corral::plugin0_6_0::registrations;
use exports::corral::plugin0_1_0::hooks;
use exports::corral::plugin0_2_0::extension;
use exports::corral::plugin0_3_0::enrolment_tokens as tokens;
use exports::corral::plugin0_4_0::{devices, settings};
use exports::corral::plugin0_5_0::collections as c;
use exports::corral::plugin0_6_0::provisioning as p;

struct Legacy;

fn unsupported() -> PluginError {
    PluginError::Unsupported("not in this test plugin".into())
}

impl hooks::Guest for Legacy {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "world-0-6".into(),
            vendor: "Corral tests".into(),
            version: "0.6.0".into(),
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
            actions: vec![],
        }
    }
    fn perform(_: String, _: Json) -> Result<Json, PluginError> {
        Err(unsupported())
    }
}

impl tokens::Guest for Legacy {
    fn create_token(_: tokens::TokenRequest) -> Result<tokens::Token, PluginError> {
        Err(unsupported())
    }
    fn delete_token(_: String) -> Result<(), PluginError> {
        Ok(())
    }
}

impl devices::Guest for Legacy {
    /// Records one registration (serial `LEGACY-1`, configuration `configurations/7`).
    fn sync_inventory() -> Result<u32, PluginError> {
        registrations::record_registrations(&[registrations::Registration {
            vendor_name: "devices/legacy-1".into(),
            identity: DeviceIdentity {
                device_id: None,
                serial_number: Some("LEGACY-1".into()),
                imeis: vec![],
                meid: None,
                manufacturer: Some("Acme".into()),
                model: Some("L1".into()),
                os: Some("android".into()),
                os_version: None,
                security_patch_level: None,
            },
            channel: EnrolmentChannel::KnoxMobileEnrollment,
            configuration: Some(registrations::ConfigurationRef {
                id: "configurations/7".into(),
                title: "Seven".into(),
            }),
            registered_at_ms: Some(7),
        }])
    }
    fn execute(_: devices::ManagedDevice, _: DeviceCommand) -> Result<(), PluginError> {
        Err(unsupported())
    }
}

impl settings::Guest for Legacy {
    fn validate_settings(_: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        Ok(vec![])
    }
}

fn thing() -> c::Item {
    c::Item {
        id: "t1".into(),
        title: "Thing one".into(),
        values: vec![Property {
            name: "kind".into(),
            value: "thing".into(),
        }],
        details: vec![],
    }
}

impl c::Guest for Legacy {
    fn describe_collections() -> Vec<c::CollectionInfo> {
        vec![c::CollectionInfo {
            name: "things".into(),
            title: "Things".into(),
            description: "A collection of 0.6.0".into(),
            columns: vec![c::Column {
                name: "kind".into(),
                title: "Kind".into(),
            }],
            searchable: false,
            actions: vec![c::ActionInfo {
                name: "touch".into(),
                title: "Touch".into(),
                description: "Touches a thing".into(),
                on_item: true,
                permission: c::Permission::ManageConfigurations,
                takes_input: true,
                irreversible: false,
            }],
            imports: vec![c::ImportInfo {
                name: "things".into(),
                title: "Things".into(),
                description: "Rows of things".into(),
                columns: vec!["state".into()],
                permission: c::Permission::ImportExport,
            }],
        }]
    }
    fn list_items(
        _: String,
        _: Option<String>,
        page_token: Option<String>,
    ) -> Result<c::Page, PluginError> {
        Ok(c::Page {
            items: vec![thing()],
            next_page_token: page_token.map(|t| format!("{t}+1")),
        })
    }
    fn get_item(_: String, id: String) -> Result<Option<c::Item>, PluginError> {
        Ok((id == "t1").then(thing))
    }
    fn form(_: String, _: Option<String>, _: String) -> Result<Json, PluginError> {
        Ok(r#"{"type":"object"}"#.into())
    }
    /// A row whose value is not `ok` is refused.
    fn check_import_rows(
        _: String,
        _: String,
        _: Vec<String>,
        rows: Vec<c::ImportValues>,
    ) -> Result<Vec<c::RefusedRow>, PluginError> {
        Ok(rows
            .into_iter()
            .filter(|r| r.values.first().is_none_or(|v| v != "ok"))
            .map(|r| c::RefusedRow {
                line: r.line,
                problems: vec![FieldError {
                    path: "state".into(),
                    code: "invalid".into(),
                    message: "not ok".into(),
                }],
            })
            .collect())
    }
    /// `touch` with `{"bad": ...}` is invalid at `/bad`; else done, answering the thing.
    fn act(
        _: String,
        _: Option<String>,
        _: String,
        input: Json,
    ) -> Result<c::Outcome, PluginError> {
        if input.contains("bad") {
            return Ok(c::Outcome::Invalid(vec![FieldError {
                path: "/bad".into(),
                code: "invalid".into(),
                message: "no".into(),
            }]));
        }
        Ok(c::Outcome::Done(Some(thing())))
    }
}

/// Decides every device with a registration of its own: provisioned by Knox Mobile Enrollment
/// with that registration's configuration, with one reason and one remedy.
impl p::Guest for Legacy {
    fn decides_between() -> Vec<EnrolmentChannel> {
        vec![EnrolmentChannel::KnoxMobileEnrollment]
    }
    fn decide_provisioning(devices: Vec<p::DeviceFacts>) -> Result<Vec<p::Decision>, PluginError> {
        Ok(devices
            .into_iter()
            .map(|d| {
                let Some(own) = d
                    .registrations
                    .into_iter()
                    .find(|r| r.plugin == "world-0-6")
                else {
                    return p::Decision::Abstain;
                };
                p::Decision::Decided(p::ProvisioningDecision {
                    provisioned_by: Some(own.channel),
                    configuration: own.configuration,
                    reasons: vec![Reason {
                        code: "legacy".into(),
                        message: format!("{} decided by 0.6.0", d.device_id),
                    }],
                    remedies: vec![p::Remedy {
                        collection: "things".into(),
                        item: own.vendor_name,
                        action: "touch".into(),
                        title: "Touch it".into(),
                    }],
                })
            })
            .collect())
    }
}

export!(Legacy);
