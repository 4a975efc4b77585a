//! Example Corral plugin: a small "Android fleet" integration showing every
//! hook. It validates and renders a kiosk (COSU) configuration into an Android
//! Management API `Policy`, applies Knox-over-zero-touch precedence and a
//! minimum patch level at enrolment, maps zero-touch CSV rows, translates
//! device commands into AMAPI requests, evaluates Exchange-style access rules,
//! and counts lifecycle events in its key-value store.
//!
//! Capabilities used (hence imported): logging, kv, clock.

mod logic;

use corral_plugin_sdk::capabilities::{clock, kv, logging};
use corral_plugin_sdk::types::*;
use corral_plugin_sdk::{Plugin, export_plugin};
use serde_json::{Value, json};

/// The plugin's version; set `CORRAL_EXAMPLE_VERSION` when building to make another version of
/// the same plugin (the upload and roll-back tests use 0.1.0 and 0.2.0).
const VERSION: &str = match option_env!("CORRAL_EXAMPLE_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

struct Example;

const AMAPI: &str = "https://androidmanagement.googleapis.com/v1";

fn field(path: &str, code: &str, message: &str) -> FieldError {
    FieldError {
        path: path.into(),
        code: code.into(),
        message: message.into(),
    }
}

fn parse(body: &str) -> Result<Value, PluginError> {
    serde_json::from_str(body)
        .map_err(|e| PluginError::InvalidInput(format!("body is not JSON: {e}")))
}

fn reason(code: &str, message: String) -> Reason {
    Reason {
        code: code.into(),
        message,
    }
}

fn to_logic(c: EnrolmentChannel) -> logic::Channel {
    match c {
        EnrolmentChannel::QrCode => logic::Channel::QrCode,
        EnrolmentChannel::ZeroTouch => logic::Channel::ZeroTouch,
        EnrolmentChannel::KnoxMobileEnrollment => logic::Channel::Knox,
        EnrolmentChannel::AppleAutomatedDeviceEnrollment => logic::Channel::AppleAde,
        EnrolmentChannel::UserInitiated => logic::Channel::UserInitiated,
        EnrolmentChannel::ExchangeActivesync => logic::Channel::ExchangeActiveSync,
    }
}

fn from_logic(c: logic::Channel) -> EnrolmentChannel {
    match c {
        logic::Channel::QrCode => EnrolmentChannel::QrCode,
        logic::Channel::ZeroTouch => EnrolmentChannel::ZeroTouch,
        logic::Channel::Knox => EnrolmentChannel::KnoxMobileEnrollment,
        logic::Channel::AppleAde => EnrolmentChannel::AppleAutomatedDeviceEnrollment,
        logic::Channel::UserInitiated => EnrolmentChannel::UserInitiated,
        logic::Channel::ExchangeActiveSync => EnrolmentChannel::ExchangeActivesync,
    }
}

impl Plugin for Example {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("example", "Corral", VERSION);
        info.hooks = vec![
            Hook::ValidateConfig,
            Hook::RenderConfig,
            Hook::DecideEnrolment,
            Hook::MapImportRows,
            Hook::TranslateCommand,
            Hook::EvaluateAccess,
            Hook::OnEvent,
        ];
        info.capabilities = vec![Capability::Logging, Capability::Kv, Capability::Clock];
        info.http_hosts = vec!["androidmanagement.googleapis.com".into()];
        info.config_kinds = vec![
            ConfigKind {
                id: "kiosk".into(),
                display_name: "Dedicated device (kiosk)".into(),
                description: "One pinned app, status bar and system update settings".into(),
                json_schema: None,
            },
            ConfigKind {
                id: "access-rules".into(),
                display_name: "Exchange access rules".into(),
                description: "Allow/block/quarantine rules and a default access level".into(),
                json_schema: None,
            },
        ];
        info
    }

    fn validate_config(config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        if config.kind != "kiosk" {
            return Err(PluginError::Unsupported(format!("kind {}", config.kind)));
        }
        let body = parse(&config.body)?;
        let mut errors = Vec::new();
        match body.get("pinnedApp").and_then(Value::as_str) {
            None => errors.push(field("/pinnedApp", "required", "a pinned app is required")),
            Some(p) if !p.contains('.') => errors.push(field(
                "/pinnedApp",
                "invalid",
                "expected an Android package name such as com.example.app",
            )),
            _ => {}
        }
        if let Some(update) = body.get("systemUpdate") {
            match update.get("type").and_then(Value::as_str) {
                Some("AUTOMATIC") | Some("POSTPONE") => {}
                Some("WINDOWED") => {
                    for key in ["startMinutes", "endMinutes"] {
                        match update.get(key).and_then(Value::as_u64) {
                            Some(m) if m < 1440 => {}
                            _ => errors.push(field(
                                &format!("/systemUpdate/{key}"),
                                "out-of-range",
                                "minutes after midnight, 0 to 1439",
                            )),
                        }
                    }
                }
                _ => errors.push(field(
                    "/systemUpdate/type",
                    "invalid",
                    "AUTOMATIC, WINDOWED or POSTPONE",
                )),
            }
        }
        Ok(errors)
    }

    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let errors = Self::validate_config(config.clone())?;
        if let Some(e) = errors.first() {
            return Err(PluginError::InvalidInput(format!(
                "{}: {}",
                e.path, e.message
            )));
        }
        let body = parse(&config.body)?;
        let mut policy = json!({
            "applications": [{
                "packageName": body["pinnedApp"],
                "installType": "KIOSK",
            }],
            "statusBarDisabled": !body.get("statusBar").and_then(Value::as_bool).unwrap_or(false),
            "kioskCustomLauncherEnabled": false,
        });
        if let Some(update) = body.get("systemUpdate") {
            policy["systemUpdate"] = update.clone();
        }
        Ok(RenderedDocument {
            media_type: format!(
                "application/json; profile=androidmanagement.v1.Policy; generator=example-{VERSION}"
            ),
            document: policy.to_string(),
        })
    }

    fn decide_enrolment(request: EnrolmentRequest) -> Result<EnrolmentDecision, PluginError> {
        let min_patch = request
            .attributes
            .iter()
            .find(|p| p.name == "min-patch-level")
            .map(|p| p.value.as_str())
            .unwrap_or("");
        let regs: Vec<(logic::Channel, Option<&str>)> = request
            .registrations
            .iter()
            .map(|r| (to_logic(r.channel), r.configuration_id.as_deref()))
            .collect();
        Ok(
            match logic::decide(
                to_logic(request.channel),
                &regs,
                request.device.security_patch_level.as_deref(),
                min_patch,
            ) {
                logic::Decision::Allow {
                    provisioned_by,
                    configuration_id,
                    reason: (code, msg),
                } => EnrolmentDecision::Allow(EnrolmentAllow {
                    provisioned_by: from_logic(provisioned_by),
                    configuration_id: configuration_id.map(str::to_owned),
                    reasons: vec![reason(code, msg)],
                }),
                logic::Decision::Deny(code, msg) => {
                    EnrolmentDecision::Deny(vec![reason(code, msg)])
                }
            },
        )
    }

    fn map_import_rows(batch: ImportBatch) -> Result<Vec<RowResult>, PluginError> {
        let results = batch
            .rows
            .into_iter()
            .map(|row| {
                let get = |name: &str| {
                    row.fields
                        .iter()
                        .find(|p| p.name.eq_ignore_ascii_case(name))
                        .map(|p| p.value.trim().to_owned())
                        .filter(|v| !v.is_empty())
                };
                let mut errors = Vec::new();
                let mut device = DeviceIdentity {
                    device_id: None,
                    serial_number: None,
                    imeis: Vec::new(),
                    meid: None,
                    manufacturer: get("manufacturer"),
                    model: get("model"),
                    os: Some("android".into()),
                    os_version: None,
                    security_patch_level: None,
                };
                match get("modeltype").as_deref() {
                    Some("IMEI") => {
                        let imeis = get("imei").unwrap_or_default();
                        match logic::lowest_valid_imei(imeis.split(['/', ' '])) {
                            Some(i) => device.imeis = vec![i.to_owned()],
                            None => errors.push(field(
                                "imei",
                                "invalid",
                                "15 digits with a valid Luhn check digit",
                            )),
                        }
                    }
                    Some("SERIAL") => {
                        device.serial_number = get("serial");
                        if device.serial_number.is_none() {
                            errors.push(field("serial", "required", "serial number required"));
                        }
                        if device.model.is_none() {
                            errors.push(field(
                                "model",
                                "required",
                                "model required with a serial number",
                            ));
                        }
                    }
                    _ => errors.push(field("modeltype", "invalid", "IMEI or SERIAL")),
                }
                if get("profiletype").as_deref() != Some("ZERO_TOUCH") {
                    errors.push(field("profiletype", "invalid", "must be ZERO_TOUCH"));
                }
                let outcome = if !errors.is_empty() {
                    RowOutcome::Rejected(errors)
                } else {
                    let configuration_id = get("profileid");
                    RowOutcome::Accepted(RowAction {
                        device,
                        action: if configuration_id.is_some() {
                            "apply-configuration"
                        } else {
                            "remove-configuration"
                        }
                        .into(),
                        configuration_id,
                        requests: Vec::new(),
                    })
                };
                RowResult {
                    line: row.line,
                    outcome,
                }
            })
            .collect();
        Ok(results)
    }

    fn translate_command(
        target: CommandTarget,
        command: DeviceCommand,
    ) -> Result<Vec<VendorRequest>, PluginError> {
        let name = target
            .vendor_device_name
            .ok_or_else(|| PluginError::InvalidInput("device is not known to AMAPI".into()))?;
        let issue = |kind: &str| VendorRequest {
            method: HttpMethod::Post,
            url: format!("{AMAPI}/{name}:issueCommand"),
            headers: Vec::new(),
            body: Some(json!({ "type": kind }).to_string()),
        };
        Ok(match command {
            DeviceCommand::Lock => vec![issue("LOCK")],
            DeviceCommand::Reboot => vec![issue("REBOOT")],
            // AMAPI has no "sync" command: re-reading the device refreshes its
            // state on the host side; policy changes are pushed by AMAPI itself.
            DeviceCommand::Sync => vec![VendorRequest {
                method: HttpMethod::Get,
                url: format!("{AMAPI}/{name}"),
                headers: Vec::new(),
                body: None,
            }],
            DeviceCommand::Wipe(opts) => {
                let flags = if opts.preserve_reset_protection {
                    "PRESERVE_RESET_PROTECTION_DATA"
                } else {
                    "WIPE_EXTERNAL_STORAGE"
                };
                vec![VendorRequest {
                    method: HttpMethod::Delete,
                    url: format!("{AMAPI}/{name}?wipeDataFlags={flags}"),
                    headers: Vec::new(),
                    body: None,
                }]
            }
            DeviceCommand::CancelWipe => {
                return Err(PluginError::Unsupported(
                    "AMAPI cannot cancel a wipe".into(),
                ));
            }
            DeviceCommand::Custom((kind, _)) => {
                return Err(PluginError::Unsupported(format!("command {kind}")));
            }
        })
    }

    fn evaluate_access(
        connector: Configuration,
        request: AccessRequest,
    ) -> Result<AccessDecision, PluginError> {
        let body = parse(&connector.body)?;
        let level = |s: Option<&str>| match s {
            Some("allow") => Some(AccessLevel::Allow),
            Some("block") => Some(AccessLevel::Block),
            Some("quarantine") => Some(AccessLevel::Quarantine),
            _ => None,
        };
        if request.managed_by_corral && request.compliant {
            return Ok(AccessDecision {
                level: AccessLevel::Allow,
                rule_id: None,
                reasons: vec![reason(
                    "external-mdm",
                    "managed and compliant in Corral".into(),
                )],
            });
        }
        for rule in body
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let value = match rule.get("field").and_then(Value::as_str) {
                Some("deviceType") => request.device_type.as_deref(),
                Some("model") => request.device.model.as_deref(),
                Some("os") => request.device.os.as_deref(),
                Some("userAgent") => request.user_agent.as_deref(),
                _ => None,
            };
            if value.is_some() && value == rule.get("equals").and_then(Value::as_str) {
                let lvl = level(rule.get("access").and_then(Value::as_str)).ok_or_else(|| {
                    PluginError::InvalidInput("rule without a valid access level".into())
                })?;
                return Ok(AccessDecision {
                    level: lvl,
                    rule_id: rule.get("id").and_then(Value::as_str).map(str::to_owned),
                    reasons: vec![reason("rule", "matched an access rule".into())],
                });
            }
        }
        Ok(AccessDecision {
            level: level(body.get("defaultAccess").and_then(Value::as_str))
                .unwrap_or(AccessLevel::Quarantine),
            rule_id: None,
            reasons: vec![reason(
                "default",
                "no rule matched: default access level".into(),
            )],
        })
    }

    fn on_event(event: LifecycleEvent) -> Result<(), PluginError> {
        let name = match &event {
            LifecycleEvent::Activated => "activated",
            LifecycleEvent::Deactivated => "deactivated",
            LifecycleEvent::DeviceEnrolled(_) => "device-enrolled",
            LifecycleEvent::DeviceRemoved(_) => "device-removed",
            LifecycleEvent::ConfigurationChanged(_) => "configuration-changed",
            LifecycleEvent::ConfigurationDeleted(_) => "configuration-deleted",
            LifecycleEvent::Timer(_) => "timer",
        };
        let key = format!("events/{name}");
        let count = match kv::get(&key) {
            Ok(Some(v)) if v.len() == 8 => u64::from_le_bytes(v.try_into().unwrap_or([0; 8])),
            Ok(_) => 0,
            Err(e) => return Err(PluginError::Denied(format!("{e:?}"))),
        } + 1;
        kv::set(&key, &count.to_le_bytes()).map_err(|e| PluginError::Denied(format!("{e:?}")))?;
        kv::set("last-event-ms", &clock::now_ms().to_le_bytes())
            .map_err(|e| PluginError::Denied(format!("{e:?}")))?;
        logging::log(
            logging::Level::Info,
            &format!("event {name} seen {count} time(s)"),
        );
        Ok(())
    }
}

export_plugin!(Example);
