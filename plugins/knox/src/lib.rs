//! The Knox Mobile Enrollment plugin (SPEC F6, F7): everything of Samsung's KME API lives
//! here, behind the `corral:plugin` WIT contract; the host knows nothing of Knox.
//!
//! - `provisioning` (0.6.0): the plugin decides between KME and zero-touch for every device
//!   registered at either (module `precedence`), from the registrations the host gives it;
//! - `collections`: the KME customer (`customer`), the profiles (`profiles`: create, change,
//!   delete; module `profiles`), the devices (`devices`, module `devices`: "let zero-touch
//!   provision this device" unassigns the KME profile, for one device or a list, reported row
//!   by row), the resellers the tenant works with (`resellers`, module `resellers`) and the
//!   uploads pending approval (`uploads`: approve, with a profile);
//! - the inventory sync records KME's devices as registrations (channel
//!   `knox-mobile-enrollment`, the profile as configuration) and approves the uploads of
//!   resellers set to be approved at once.
//!
//! KME is reached through the `vendor` capability with the tenant's Knox OAuth 2.0 client
//! (client credentials; module `kme`).

mod devices;
mod kme;
mod precedence;
mod profiles;
mod resellers;

use corral_plugin_sdk::capabilities::vendor;
use corral_plugin_sdk::types::*;
use corral_plugin_sdk::{Plugin, collection_action as action, column, export_plugin};
use serde_json::{Value, json};

const VERSION: &str = match option_env!("CORRAL_KNOX_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

const CUSTOMER: &str = "customer";
const PROFILES: &str = "profiles";
const DEVICES: &str = precedence::DEVICES;
const RESELLERS: &str = "resellers";
const UPLOADS: &str = "uploads";
const CUSTOMER_ID: &str = "customer-id";
/// Devices per page shown.
const SHOWN: usize = 100;

struct Knox;

fn unknown_action(collection: &str, action: &str) -> PluginError {
    PluginError::Unsupported(format!("action {action} of {collection}"))
}

fn item_id(item: Option<String>) -> Result<String, PluginError> {
    item.ok_or_else(|| PluginError::InvalidInput("this action is taken on one item".into()))
}

fn invalid(path: &str, message: &str) -> Outcome {
    Outcome::Invalid(vec![FieldError {
        path: path.into(),
        code: "invalid".into(),
        message: message.into(),
    }])
}

fn profile_ids() -> Result<Vec<String>, PluginError> {
    Ok(kme::profiles()?
        .iter()
        .map(|p| kme::text(p, "id"))
        .collect())
}

fn customer_item() -> Item {
    let id = vendor::setting(CUSTOMER_ID).unwrap_or_default();
    let base = vendor::setting(kme::API_BASE_URL).unwrap_or_else(|| kme::DEFAULT_BASE_URL.into());
    let values = vec![
        Property {
            name: "kme-customer-id".into(),
            value: id.clone(),
        },
        Property {
            name: "api".into(),
            value: base,
        },
    ];
    Item {
        id: "kme".into(),
        title: if id.is_empty() {
            "Knox Mobile Enrollment customer".into()
        } else {
            format!("Knox Mobile Enrollment customer {id}")
        },
        details: values.clone(),
        values,
    }
}

/// Items `start..start + SHOWN` of `items`, and the next page's token.
fn page_of(items: Vec<Item>, token: Option<&str>) -> Result<Page, PluginError> {
    let start: usize = match token {
        None => 0,
        Some(t) => t
            .parse()
            .map_err(|_| PluginError::InvalidInput(format!("page token {t:?}")))?,
    };
    let next = (items.len() > start + SHOWN).then(|| (start + SHOWN).to_string());
    Ok(Page {
        items: items.into_iter().skip(start).take(SHOWN).collect(),
        next_page_token: next,
    })
}

/// A device matches a search by IMEI or serial number (spaces ignored, any case).
fn matches(d: &Value, wanted: &str) -> bool {
    let wanted: String = wanted.chars().filter(|c| !c.is_whitespace()).collect();
    [kme::text(d, "mei"), kme::text(d, "serialNumber")]
        .iter()
        .any(|v| !v.is_empty() && v.eq_ignore_ascii_case(&wanted))
}

/// Unassigns the KME profile of `ids`, then records what changed; the outcome is a report (an
/// item without id) listing each id.
fn let_zero_touch(ids: &[String]) -> Result<Outcome, PluginError> {
    let changed = kme::unassign(ids)?;
    if !changed.success.is_empty() {
        devices::sync()?;
    }
    Ok(Outcome::Done(Some(Item {
        id: String::new(),
        title: format!(
            "{} unassigned, {} not found, {} refused",
            changed.success.len(),
            changed.not_found.len(),
            changed.invalid.len()
        ),
        values: vec![],
        details: devices::rows(&changed, "profile unassigned: zero-touch provisions it"),
    })))
}

impl Plugin for Knox {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("knox-mobile-enrollment", "Corral", VERSION);
        info.capabilities = vec![Capability::Http, Capability::Kv, Capability::Clock];
        info.http_hosts = vec!["api.samsungknox.com".into()];
        info
    }

    fn describe_extension() -> ExtensionInfo {
        ExtensionInfo {
            settings: vec![
                SettingInfo {
                    name: CUSTOMER_ID.into(),
                    description: "The KME customer id (shown with the customer account)".into(),
                    required: false,
                },
                SettingInfo {
                    name: kme::API_BASE_URL.into(),
                    description: format!(
                        "Base URL of the Knox cloud services API (default {})",
                        kme::DEFAULT_BASE_URL
                    ),
                    required: false,
                },
            ],
            oauth_scopes: [
                "kme.devices:read",
                "kme.devices:write",
                "kme.profiles:read",
                "kme.profiles:write",
                "kme.reseller",
            ]
            .map(String::from)
            .to_vec(),
            actions: vec![],
        }
    }

    fn validate_settings(settings: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        Ok(settings
            .into_iter()
            .filter_map(|Property { name, value }| {
                let value = value.trim();
                let problem = match name.as_str() {
                    CUSTOMER_ID if value.is_empty() || value.len() > 64 => {
                        "expected the KME customer id"
                    }
                    kme::API_BASE_URL if !value.starts_with("https://") => {
                        "expected an https:// URL"
                    }
                    _ => return None,
                };
                Some(FieldError {
                    path: name,
                    code: "invalid".into(),
                    message: problem.into(),
                })
            })
            .collect())
    }

    fn decides_between() -> Vec<EnrolmentChannel> {
        vec![
            EnrolmentChannel::KnoxMobileEnrollment,
            EnrolmentChannel::ZeroTouch,
        ]
    }

    fn decide_provisioning(devices: Vec<DeviceFacts>) -> Result<Vec<Decision>, PluginError> {
        Ok(devices.iter().map(precedence::decide).collect())
    }

    fn describe_collections() -> Vec<CollectionInfo> {
        use Permission::*;
        let collection =
            |name: &str, title: &str, description: &str, columns, actions| CollectionInfo {
                name: name.into(),
                title: title.into(),
                description: description.into(),
                columns,
                searchable: name == DEVICES,
                actions,
                imports: vec![],
            };
        vec![
            collection(
                CUSTOMER,
                "Knox Mobile Enrollment customer",
                "The KME customer account the Knox cloud app works in",
                vec![
                    column("kme-customer-id", "KME customer id"),
                    column("api", "API"),
                ],
                vec![],
            ),
            collection(
                PROFILES,
                "KME profiles",
                "What a Samsung device installs when KME provisions it",
                vec![
                    column("name", "Name"),
                    column("id", "Id"),
                    column("mdm", "MDM"),
                    column("device-owner", "Device owner"),
                ],
                vec![
                    action(
                        "create",
                        "Add a profile",
                        "A new KME profile",
                        false,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                    action(
                        "edit",
                        "Change",
                        "Change the profile at Knox",
                        true,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                    action(
                        "delete",
                        "Delete",
                        "Delete the profile at Knox (refused while devices have it)",
                        true,
                        ManageConfigurations,
                        false,
                        true,
                    ),
                ],
            ),
            collection(
                DEVICES,
                "KME devices",
                "The devices in Knox Mobile Enrollment, with their profile and reseller",
                vec![
                    column("imei", "IMEI"),
                    column("serial", "Serial number"),
                    column("model", "Model"),
                    column("profile", "Profile"),
                    column("reseller", "Reseller"),
                    column("approval", "Upload approval"),
                    column("flag", "Flag"),
                ],
                vec![
                    action(
                        precedence::LET_ZERO_TOUCH,
                        "Let zero-touch provision this device",
                        "Unassign the device's KME profile, so that its zero-touch configuration applies at its next factory reset",
                        true,
                        ManageConfigurations,
                        false,
                        false,
                    ),
                    action(
                        "let-zero-touch-provision-many",
                        "Let zero-touch provision these devices",
                        "Unassign the KME profile of a list of devices (KME ids, IMEIs or serial numbers, one per line); each is reported",
                        false,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                ],
            ),
            collection(
                RESELLERS,
                "Resellers",
                "The resellers that upload devices to the KME account; devices uploaded by a disabled one are flagged",
                vec![
                    column("name", "Name"),
                    column("id", "Reseller id"),
                    column("enabled", "Enabled"),
                    column("auto-approve", "Approved at once"),
                    column("default-profile", "Default profile"),
                ],
                vec![
                    action(
                        "create",
                        "Add a reseller",
                        "A reseller the tenant works with",
                        false,
                        ManagePlugins,
                        true,
                        false,
                    ),
                    action(
                        "edit",
                        "Change",
                        "Enable, disable, approval and default profile",
                        true,
                        ManagePlugins,
                        true,
                        false,
                    ),
                    action(
                        "delete",
                        "Remove",
                        "Stop listing the reseller",
                        true,
                        ManagePlugins,
                        false,
                        true,
                    ),
                ],
            ),
            collection(
                UPLOADS,
                "Uploads pending approval",
                "Devices resellers uploaded to KME, waiting for the tenant's approval",
                vec![
                    column("upload", "Upload"),
                    column("reseller", "Reseller"),
                    column("devices", "Devices"),
                    column("flag", "Flag"),
                ],
                vec![action(
                    "approve",
                    "Approve",
                    "Approve the upload's devices, and give them a profile",
                    true,
                    ManageConfigurations,
                    true,
                    false,
                )],
            ),
        ]
    }

    fn list_items(
        collection: String,
        search: Option<String>,
        page_token: Option<String>,
    ) -> Result<Page, PluginError> {
        let items = match collection.as_str() {
            CUSTOMER => vec![customer_item()],
            PROFILES => kme::profiles()?.iter().map(profiles::item).collect(),
            RESELLERS => resellers::all()?.iter().map(resellers::item).collect(),
            DEVICES => {
                let known = resellers::all()?;
                let wanted = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
                kme::devices(None)?
                    .iter()
                    .filter(|d| wanted.is_none_or(|w| matches(d, w)))
                    .map(|d| devices::item(d, &known))
                    .collect()
            }
            UPLOADS => {
                let known = resellers::all()?;
                devices::pending_uploads(&kme::devices(None)?)
                    .iter()
                    .map(|u| devices::upload_item(u, &known))
                    .collect()
            }
            other => return Err(PluginError::Unsupported(format!("collection {other}"))),
        };
        page_of(items, page_token.as_deref())
    }

    fn get_item(collection: String, id: String) -> Result<Option<Item>, PluginError> {
        let found = Self::list_items(collection.clone(), None, None)?;
        let mut token = found.next_page_token.clone();
        let mut items = found.items;
        while let Some(t) = token {
            let more = Self::list_items(collection.clone(), None, Some(t))?;
            items.extend(more.items);
            token = more.next_page_token;
        }
        Ok(items.into_iter().find(|i| i.id == id))
    }

    fn form(collection: String, item: Option<String>, action: String) -> Result<Json, PluginError> {
        let form = match (collection.as_str(), action.as_str()) {
            (PROFILES, "create") => profiles::form(None),
            (PROFILES, "edit") => {
                let id = item_id(item)?;
                let current = kme::profile(&id)?
                    .ok_or_else(|| PluginError::InvalidInput(format!("no profile {id}")))?;
                profiles::form(Some(&current))
            }
            (RESELLERS, "create") => resellers::form(None, &profile_ids()?),
            (RESELLERS, "edit") => {
                let id = item_id(item)?;
                let all = resellers::all()?;
                let current = all
                    .iter()
                    .find(|r| r["id"] == id.as_str())
                    .ok_or_else(|| PluginError::InvalidInput(format!("no reseller {id}")))?;
                resellers::form(Some(current), &profile_ids()?)
            }
            (DEVICES, "let-zero-touch-provision-many") => json!({
                "type": "object", "required": ["devices"],
                "properties": {"devices": {"type": "string", "title": "Devices (one KME id, IMEI or serial number per line)"}},
            }),
            (UPLOADS, "approve") => {
                let mut ids = vec![json!("")];
                ids.extend(profile_ids()?.into_iter().map(Value::from));
                json!({"type": "object", "properties": {"profile": {
                    "type": "string", "title": "Profile (id; empty: the reseller's default)", "enum": ids}}})
            }
            (c, a) => return Err(unknown_action(c, a)),
        };
        Ok(form.to_string())
    }

    fn act(
        collection: String,
        item: Option<String>,
        action: String,
        input: Json,
    ) -> Result<Outcome, PluginError> {
        let input: Value = if input.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&input)
                .map_err(|e| PluginError::InvalidInput(format!("input: {e}")))?
        };
        match (collection.as_str(), action.as_str()) {
            (PROFILES, "create") => match profiles::check(&input) {
                Err(problems) => Ok(Outcome::Invalid(problems)),
                Ok(body) => Ok(Outcome::Done(Some(profiles::item(&profiles::create(
                    body,
                )?)))),
            },
            (PROFILES, "edit") => {
                let id = item_id(item)?;
                match profiles::check(&input) {
                    Err(problems) => Ok(Outcome::Invalid(problems)),
                    Ok(body) => Ok(Outcome::Done(Some(profiles::item(&profiles::update(
                        &id, body,
                    )?)))),
                }
            }
            (PROFILES, "delete") => {
                profiles::delete(&item_id(item)?)?;
                Ok(Outcome::Done(None))
            }
            (RESELLERS, "create") | (RESELLERS, "edit") => {
                let id = if action == "edit" {
                    Some(item_id(item)?)
                } else {
                    None
                };
                match resellers::save_one(id.as_deref(), &input, &profile_ids()?)? {
                    Err(problems) => Ok(Outcome::Invalid(problems)),
                    Ok(r) => Ok(Outcome::Done(Some(resellers::item(&r)))),
                }
            }
            (RESELLERS, "delete") => {
                resellers::delete(&item_id(item)?)?;
                Ok(Outcome::Done(None))
            }
            (DEVICES, precedence::LET_ZERO_TOUCH) => {
                let id = item_id(item)?;
                let changed = kme::unassign(std::slice::from_ref(&id))?;
                if !changed.success.contains(&id) {
                    return Err(PluginError::InvalidInput(format!(
                        "Knox Mobile Enrollment has no device {id}"
                    )));
                }
                devices::sync()?;
                let known = resellers::all()?;
                let device = kme::devices(None)?
                    .into_iter()
                    .find(|d| kme::text(d, "id") == id)
                    .map(|d| devices::item(&d, &known));
                Ok(Outcome::Done(device))
            }
            (DEVICES, "let-zero-touch-provision-many") => {
                let ids: Vec<String> = input["devices"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect();
                if ids.is_empty() || ids.len() > 10_000 {
                    return Ok(invalid(
                        "/devices",
                        "give 1 to 10,000 devices, one per line",
                    ));
                }
                let_zero_touch(&ids)
            }
            (UPLOADS, "approve") => {
                let upload = item_id(item)?;
                let all = kme::devices(None)?;
                let uploads = devices::pending_uploads(&all);
                let Some(found) = uploads.iter().find(|(u, _, _)| *u == upload) else {
                    return Err(PluginError::InvalidInput(format!(
                        "no upload {upload} is pending approval"
                    )));
                };
                let known = resellers::all()?;
                let default = found
                    .2
                    .first()
                    .and_then(|d| resellers::of_device(&known, d))
                    .and_then(|r| r["defaultProfile"].as_str())
                    .unwrap_or_default()
                    .to_string();
                let profile = match input["profile"].as_str().map(str::trim) {
                    Some(p) if !p.is_empty() => p.to_string(),
                    _ => default,
                };
                if !profile.is_empty() && !profile_ids()?.contains(&profile) {
                    return Ok(invalid("/profile", "not one of the KME profiles"));
                }
                let ids: Vec<String> = found.2.iter().map(|d| kme::text(d, "id")).collect();
                let mut approved = kme::approve(&ids)?;
                if !profile.is_empty() && !approved.success.is_empty() {
                    let assigned = kme::assign(&approved.success, &profile)?;
                    approved.not_found.extend(assigned.not_found);
                    approved.invalid.extend(assigned.invalid);
                }
                devices::sync()?;
                // A report (no id): the upload is no longer pending.
                Ok(Outcome::Done(Some(Item {
                    id: String::new(),
                    title: format!("{} approved", approved.success.len()),
                    values: vec![],
                    details: devices::rows(&approved, "approved"),
                })))
            }
            (c, a) => Err(unknown_action(c, a)),
        }
    }

    fn sync_inventory() -> Result<u32, PluginError> {
        devices::sync()
    }
}

export_plugin!(Knox);
