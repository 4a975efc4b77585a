//! The Android Management API (AMAPI) plugin (SPEC E): everything Google-specific lives here,
//! behind the `corral:plugin` WIT contract; the host knows nothing of AMAPI.
//!
//! This first part covers dedicated-device (COSU) configurations (E4) and their translation
//! into an AMAPI `Policy` (E5): `validate-config` checks a `cosu` configuration and answers
//! field errors (JSON Pointers into the body); `render-config` turns a valid one into the
//! `Policy` for `enterprises.policies.patch`. The module `cosu` holds the model and its rules.
//!
//! Enrolment tokens (E2) are administrator actions (`extension.perform`): `tokens` calls
//! Google through the host's `vendor` capability, with the tenant's settings `enterprise-id`
//! and `api-base-url` (Google's endpoint by default; tests point it at a local stand-in).
//! The host's enrolment profiles get their tokens through `enrolment-tokens` (`tokens`).
//!
//! Devices (E2, E3, E6, E8) are the `devices` export, with the host's `inventory` capability:
//! `sync-inventory` reports every device of the enterprise to the host, with the profile it
//! enrolled with, its compliance deadline (enrolment + 10 minutes) and the refusal of the
//! tenant's enrolment requirements (`requirements`: settings `allowed-manufacturers`,
//! `minimum-android-version`, `minimum-security-patch-level`, `allowed-devices`), then resets
//! the device or assigns it the policy of its configuration as the host answers; `execute`
//! locks, reboots, re-sends the policy to (sync) or wipes one device. The module `devices`
//! holds both.

mod cosu;
mod devices;
mod google;
mod policies;
mod requirements;
mod tokens;

use corral_plugin_sdk::types::*;
use corral_plugin_sdk::{Plugin, export_plugin};

const VERSION: &str = match option_env!("CORRAL_AMAPI_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

/// Configuration kind of a dedicated-device configuration.
const COSU: &str = "cosu";

struct Amapi;

fn body_of(config: &Configuration) -> Result<Result<cosu::Cosu, FieldError>, PluginError> {
    if config.kind != COSU {
        return Err(PluginError::Unsupported(format!(
            "configuration kind {} (this plugin knows {COSU})",
            config.kind
        )));
    }
    Ok(
        cosu::parse(&config.body).map_err(|(path, message)| FieldError {
            path,
            code: "invalid".into(),
            message,
        }),
    )
}

/// Renders a COSU configuration and sends it as its policy (`policies.patch`).
pub(crate) fn send_policy(config: Configuration) -> Result<(), PluginError> {
    let id = config.id.clone();
    let policy = Amapi::render_config(config)?;
    let policy: serde_json::Value =
        serde_json::from_str(&policy.document).map_err(|e| PluginError::Internal(e.to_string()))?;
    policies::patch(&id, policy)
}

impl Plugin for Amapi {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("amapi", "Corral", VERSION);
        info.hooks = vec![Hook::ValidateConfig, Hook::RenderConfig, Hook::OnEvent];
        // `vendor` sends HTTPS (its requests pass the `http` allow-list), so `http` is asked for too.
        // `vendor` (asked for by the OAuth scopes of `describe_extension`) and `inventory` are
        // not in this 0.1.0 list: the host derives them from the component's imports.
        info.capabilities = vec![Capability::Http];
        info.http_hosts = vec![
            "androidmanagement.googleapis.com".into(),
            "oauth2.googleapis.com".into(),
        ];
        info.config_kinds = vec![ConfigKind {
            id: COSU.into(),
            display_name: "Dedicated device (COSU)".into(),
            description: "One pinned app in kiosk mode, lockdown switches, kiosk \
                          customisation and system updates, for fully managed Android devices"
                .into(),
            json_schema: Some(include_str!("cosu.schema.json").into()),
        }];
        info
    }

    fn describe_extension() -> ExtensionInfo {
        ExtensionInfo {
            settings: vec![
                SettingInfo {
                    name: google::ENTERPRISE_ID.into(),
                    description: "The Android Enterprise id (enterprises/LC...)".into(),
                    required: true,
                },
                SettingInfo {
                    name: google::API_BASE_URL.into(),
                    description: format!(
                        "Base URL of the Android Management API (default {})",
                        google::DEFAULT_BASE_URL
                    ),
                    required: false,
                },
                SettingInfo {
                    name: requirements::ALLOWED_MANUFACTURERS.into(),
                    description: "Enrolment requirement: the manufacturers allowed, \
                                  comma-separated, case-insensitive (e.g. Samsung, Google); \
                                  other devices are reset"
                        .into(),
                    required: false,
                },
                SettingInfo {
                    name: requirements::MINIMUM_ANDROID_VERSION.into(),
                    description: "Enrolment requirement: the oldest Android version allowed \
                                  (e.g. 12 or 12.1); older devices are reset"
                        .into(),
                    required: false,
                },
                SettingInfo {
                    name: requirements::MINIMUM_SECURITY_PATCH_LEVEL.into(),
                    description: "Enrolment requirement: the oldest security patch level \
                                  allowed, YYYY-MM-DD; devices with an older one, or none \
                                  reported, are reset"
                        .into(),
                    required: false,
                },
                SettingInfo {
                    name: requirements::ALLOWED_DEVICES.into(),
                    description: "Enrolment requirement: the serial numbers or IMEIs of the \
                                  only devices allowed to enrol, comma-separated; when set, \
                                  other devices are reset"
                        .into(),
                    required: false,
                },
            ],
            oauth_scopes: vec!["https://www.googleapis.com/auth/androidmanagement".into()],
            actions: vec![
                ActionInfo {
                    name: "create-enrollment-token".into(),
                    description: "enterprises.enrollmentTokens.create: \
                                  {validity_days: 1..30, additional_data?}"
                        .into(),
                },
                ActionInfo {
                    name: "delete-enrollment-token".into(),
                    description: "enterprises.enrollmentTokens.delete: {name}".into(),
                },
            ],
        }
    }

    /// A COSU configuration that applies to some device is sent as the policy
    /// `enterprises/{id}/policies/{configuration id}` (`policies.patch`); one that is deleted or
    /// distributed to no device any more is deleted there (a policy already gone is fine).
    fn on_event(event: LifecycleEvent) -> Result<(), PluginError> {
        match event {
            LifecycleEvent::ConfigurationChanged(config) => send_policy(config),
            LifecycleEvent::ConfigurationDeleted(id) => policies::delete(&id),
            _ => Ok(()),
        }
    }

    fn sync_inventory() -> Result<u32, PluginError> {
        devices::sync_inventory()
    }

    fn execute(device: ManagedDevice, command: DeviceCommand) -> Result<(), PluginError> {
        devices::execute(device, command)
    }

    fn create_token(request: TokenRequest) -> Result<Token, PluginError> {
        tokens::for_profile(request)
    }

    fn delete_token(name: String) -> Result<(), PluginError> {
        tokens::delete_by_name(&name)
    }

    /// Each setting on its own: the enterprise id's form, an `https` API base URL and the
    /// enrolment requirements' values (module `requirements`).
    fn validate_settings(settings: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        let invalid = |name: &str, message: String| FieldError {
            path: name.to_string(),
            code: "invalid".into(),
            message,
        };
        let mut errors = Vec::new();
        for Property { name, value } in settings {
            let value = value.trim();
            let problem = match name.as_str() {
                google::ENTERPRISE_ID => {
                    let id = value.trim_start_matches("enterprises/");
                    (id.is_empty() || id.contains('/'))
                        .then(|| "expected an enterprise id such as LC01abcdef".to_string())
                }
                google::API_BASE_URL => {
                    (!value.starts_with("https://")).then(|| "expected an https:// URL".to_string())
                }
                _ => requirements::Requirements::from_settings(|n| {
                    (n == name).then(|| value.to_string())
                })
                .err()
                .map(|e| match e {
                    PluginError::InvalidInput(m) => m,
                    other => format!("{other:?}"),
                }),
            };
            if let Some(message) = problem {
                errors.push(invalid(&name, message));
            }
        }
        Ok(errors)
    }

    fn perform(action: String, input: Json) -> Result<Json, PluginError> {
        match action.as_str() {
            "create-enrollment-token" => tokens::create(&input),
            "delete-enrollment-token" => tokens::delete(&input),
            other => Err(PluginError::Unsupported(format!("action {other}"))),
        }
    }

    fn validate_config(config: Configuration) -> Result<Vec<FieldError>, PluginError> {
        Ok(match body_of(&config)? {
            Err(e) => vec![e],
            Ok(body) => cosu::validate(&body)
                .into_iter()
                .map(|p| FieldError {
                    path: p.path,
                    code: p.code.into(),
                    message: p.message,
                })
                .collect(),
        })
    }

    fn render_config(config: Configuration) -> Result<RenderedDocument, PluginError> {
        let body = match body_of(&config)? {
            Err(e) => {
                return Err(PluginError::InvalidInput(format!(
                    "{}: {}",
                    e.path, e.message
                )));
            }
            Ok(body) => body,
        };
        if let Some(p) = cosu::validate(&body).first() {
            return Err(PluginError::InvalidInput(format!(
                "{}: {}",
                p.path, p.message
            )));
        }
        Ok(RenderedDocument {
            media_type: "application/json; profile=androidmanagement.v1.Policy".into(),
            document: cosu::policy(&body).to_string(),
        })
    }
}

export_plugin!(Amapi);
