//! The zero-touch enrolment plugin (SPEC F1 to F5): everything of Google's zero-touch customer
//! API (`androiddeviceprovisioning.googleapis.com`) lives here, behind the `corral:plugin` WIT
//! contract; the host knows nothing of zero-touch.
//!
//! What administrators see is the `collections` export (0.5.0): the customer account
//! (`customer`, found with `customers.list`, its terms of service checked), the configurations
//! (`configurations`: create, change, delete, module `configurations`) and the registered
//! devices (`devices`: look-up by IMEI or serial number, apply a configuration, remove it,
//! unregister; module `devices`). The devices collection takes the CSV files of Google's portal
//! (imports `zero-touch-apply` and `zero-touch-unregister`), whose rows the host hands to
//! `map-import-rows` in batches (module `rows`); the customer and its configuration ids are
//! read once per import and kept in `kv` for its later batches. The inventory sync reports the
//! registered devices to the host (`registrations`) as awaiting enrolment.

mod configurations;
mod customer;
mod devices;
mod rows;

use std::collections::HashMap;

use corral_plugin_sdk::capabilities::{device_lookup, kv};
use corral_plugin_sdk::types::*;
use corral_plugin_sdk::{Plugin, collection_action as action, column, export_plugin};
use serde_json::{Value, json};

const VERSION: &str = match option_env!("CORRAL_ZERO_TOUCH_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

const CUSTOMER: &str = "customer";
const CONFIGURATIONS: &str = "configurations";
const DEVICES: &str = "devices";

struct ZeroTouch;

fn unknown(collection: &str) -> PluginError {
    PluginError::Unsupported(format!(
        "collection {collection} (this plugin has {CUSTOMER}, {CONFIGURATIONS} and {DEVICES})"
    ))
}

fn unknown_action(collection: &str, action: &str) -> PluginError {
    PluginError::Unsupported(format!("action {action} of {collection}"))
}

fn item_id(item: Option<String>) -> Result<String, PluginError> {
    item.ok_or_else(|| PluginError::InvalidInput("this action is taken on one item".into()))
}

fn parse(input: &str) -> Result<Value, PluginError> {
    serde_json::from_str(input).map_err(|e| PluginError::InvalidInput(format!("input: {e}")))
}

fn customer_item(c: &customer::Customer) -> Item {
    let value = |name: &str, value: &str| Property {
        name: name.into(),
        value: value.into(),
    };
    let emails = |field: &str| {
        c.company[field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let terms = c.company["termsStatus"].as_str().unwrap_or_default();
    Item {
        id: c.id.clone(),
        title: c.name.clone(),
        values: vec![
            value("id", &c.id),
            value("name", &c.name),
            value("terms", terms),
        ],
        details: vec![
            value("Customer id", &c.id),
            value("Name", &c.name),
            value("Terms of service", terms),
            value("Owners", &emails("ownerEmails")),
            value("Admins", &emails("adminEmails")),
        ],
    }
}

/// What the batches of one import share: the customer and its configuration ids, read from
/// Google for the first batch and kept in `kv` for the others.
fn import_context(kind: &str, job_id: &str) -> Result<(String, Vec<String>), PluginError> {
    if kind != rows::APPLY && kind != rows::UNREGISTER {
        return Err(PluginError::Unsupported(format!("import {kind}")));
    }
    let key = format!("import/{job_id}");
    let kv_error = |e: kv::KvError| PluginError::Internal(format!("kv: {e:?}"));
    if let Some(bytes) = kv::get(&key).map_err(kv_error)? {
        let kept: Value = serde_json::from_slice(&bytes)
            .map_err(|e| PluginError::Internal(format!("kv {key}: {e}")))?;
        let ids = kept["configurations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        return Ok((
            kept["customer"].as_str().unwrap_or_default().to_string(),
            ids,
        ));
    }
    let customer = customer::current()?;
    let ids: Vec<String> = configurations::list(&customer)?
        .iter()
        .filter_map(|c| c["configurationId"].as_str().map(str::to_string))
        .collect();
    let kept = json!({"customer": customer.resource(), "configurations": ids});
    kv::set(&key, kept.to_string().as_bytes()).map_err(kv_error)?;
    Ok((customer.resource(), ids))
}

/// The devices the host knows by one of the rows' IMEIs, by that IMEI: every IMEI of each (to
/// find a dual-SIM device named by its higher IMEI), asked in one look-up for the batch.
fn dual_sim_devices(rows: &[rows::Fields]) -> Result<HashMap<String, Vec<String>>, PluginError> {
    let imeis: Vec<String> = rows
        .iter()
        .filter_map(rows::Fields::imei)
        .filter(|i| rows::is_imei(i))
        .map(str::to_string)
        .collect();
    if imeis.is_empty() {
        return Ok(HashMap::new());
    }
    let found = device_lookup::find_devices(&imeis)
        .map_err(|e| PluginError::Internal(format!("device look-up: {e:?}")))?;
    Ok(imeis
        .into_iter()
        .zip(found)
        .filter_map(|(imei, device)| Some((imei, device?.imeis)))
        .collect())
}

impl Plugin for ZeroTouch {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("zero-touch", "Corral", VERSION);
        info.hooks = vec![Hook::MapImportRows];
        // `vendor` and `inventory` (with `registrations`) are derived from the component's
        // imports and OAuth scopes; `kv` keeps an import's customer and configurations between
        // its batches, `directory` (with `device-lookup`) finds dual-SIM devices.
        info.capabilities = vec![
            Capability::Http,
            Capability::Kv,
            Capability::Directory,
            Capability::Clock,
        ];
        info.http_hosts = vec![
            "androiddeviceprovisioning.googleapis.com".into(),
            "oauth2.googleapis.com".into(),
        ];
        info
    }

    fn describe_extension() -> ExtensionInfo {
        ExtensionInfo {
            settings: vec![
                SettingInfo {
                    name: customer::CUSTOMER_ID.into(),
                    description: "The zero-touch customer id (needed only when the service \
                                  account is a member of several customer accounts)"
                        .into(),
                    required: false,
                },
                SettingInfo {
                    name: customer::API_BASE_URL.into(),
                    description: format!(
                        "Base URL of the zero-touch customer API (default {})",
                        customer::DEFAULT_BASE_URL
                    ),
                    required: false,
                },
            ],
            oauth_scopes: vec![customer::SCOPE.into()],
            actions: vec![],
        }
    }

    fn validate_settings(settings: Vec<Property>) -> Result<Vec<FieldError>, PluginError> {
        Ok(settings
            .into_iter()
            .filter_map(|Property { name, value }| {
                let value = value.trim().trim_start_matches("customers/");
                let problem = match name.as_str() {
                    customer::CUSTOMER_ID
                        if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) =>
                    {
                        "expected a customer id (a number)"
                    }
                    customer::API_BASE_URL if !value.starts_with("https://") => {
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

    fn describe_collections() -> Vec<CollectionInfo> {
        use Permission::*;
        vec![
            CollectionInfo {
                name: CUSTOMER.into(),
                title: "Zero-touch customer account".into(),
                description: "The customer account the service account works in, and whether \
                              its terms of service are accepted"
                    .into(),
                columns: vec![
                    column("id", "Customer id"),
                    column("name", "Name"),
                    column("terms", "Terms of service"),
                ],
                searchable: false,
                actions: vec![],
                imports: vec![],
            },
            CollectionInfo {
                name: CONFIGURATIONS.into(),
                title: "Zero-touch configurations".into(),
                description: "What a device installs and shows when zero-touch provisions it"
                    .into(),
                columns: vec![
                    column("name", "Name"),
                    column("id", "Id (profileid)"),
                    column("company", "Company"),
                    column("dpc", "EMM DPC"),
                    column("default", "Default"),
                ],
                searchable: false,
                actions: vec![
                    action(
                        "create",
                        "Add a configuration",
                        "A new zero-touch configuration",
                        false,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                    action(
                        "edit",
                        "Change",
                        "Change the configuration at Google",
                        true,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                    action(
                        "delete",
                        "Delete",
                        "Delete the configuration at Google (refused while devices have it)",
                        true,
                        ManageConfigurations,
                        false,
                        true,
                    ),
                ],
                imports: vec![],
            },
            CollectionInfo {
                name: DEVICES.into(),
                title: "Zero-touch devices".into(),
                description: "The devices registered for zero-touch, with their configuration"
                    .into(),
                columns: vec![
                    column("imei", "IMEI"),
                    column("serial", "Serial number"),
                    column("model", "Model"),
                    column("manufacturer", "Manufacturer"),
                    column("configuration", "Configuration"),
                ],
                searchable: true,
                actions: vec![
                    action(
                        "apply-configuration",
                        "Apply a configuration",
                        "Apply one of the configurations to the device",
                        true,
                        ManageConfigurations,
                        true,
                        false,
                    ),
                    action(
                        "remove-configuration",
                        "Remove its configuration (None)",
                        "The device gets no configuration at its next reset",
                        true,
                        ManageConfigurations,
                        false,
                        false,
                    ),
                    action(
                        "unregister",
                        "Unregister",
                        "Remove the device from zero-touch (devices:unclaim)",
                        true,
                        ManageConfigurations,
                        false,
                        true,
                    ),
                ],
                imports: vec![
                    ImportInfo {
                        name: rows::APPLY.into(),
                        title: "Apply configurations from a CSV file".into(),
                        description: "The columns of Google's portal: IMEI rows or serial and \
                                      model rows, profileid the configuration's id"
                            .into(),
                        columns: rows::APPLY_COLUMNS.iter().map(|c| c.to_string()).collect(),
                        permission: ImportExport,
                    },
                    ImportInfo {
                        name: rows::UNREGISTER.into(),
                        title: "Unregister devices from a CSV file".into(),
                        description: "The same file with owner = 0 instead of profileid".into(),
                        columns: rows::UNREGISTER_COLUMNS
                            .iter()
                            .map(|c| c.to_string())
                            .collect(),
                        permission: ImportExport,
                    },
                ],
            },
        ]
    }

    fn list_items(
        collection: String,
        search: Option<String>,
        page_token: Option<String>,
    ) -> Result<Page, PluginError> {
        if collection == CUSTOMER {
            return Ok(Page {
                items: vec![customer_item(&customer::account()?)],
                next_page_token: None,
            });
        }
        let customer = customer::current()?;
        match collection.as_str() {
            CUSTOMER => Ok(Page {
                items: vec![customer_item(&customer)],
                next_page_token: None,
            }),
            CONFIGURATIONS => Ok(Page {
                items: configurations::list(&customer)?
                    .iter()
                    .map(configurations::item)
                    .collect(),
                next_page_token: None,
            }),
            DEVICES => {
                let known = configurations::list(&customer)?;
                let (found, next) = match search.as_deref().map(str::trim).filter(|s| !s.is_empty())
                {
                    Some(wanted) => (devices::search(&devices::all(&customer)?, wanted)?, None),
                    None => devices::page(&customer, devices::SHOWN_PAGE, page_token.as_deref())?,
                };
                Ok(Page {
                    items: found.iter().map(|d| devices::item(d, &known)).collect(),
                    next_page_token: next,
                })
            }
            other => Err(unknown(other)),
        }
    }

    fn get_item(collection: String, id: String) -> Result<Option<Item>, PluginError> {
        let customer = customer::current()?;
        match collection.as_str() {
            CUSTOMER => {
                let account = customer::account()?;
                Ok((id == account.id).then(|| customer_item(&account)))
            }
            CONFIGURATIONS => {
                Ok(configurations::get(&customer, &id)?.map(|c| configurations::item(&c)))
            }
            DEVICES => {
                let known = configurations::list(&customer)?;
                Ok(devices::get(&customer, &id)?.map(|d| devices::item(&d, &known)))
            }
            other => Err(unknown(other)),
        }
    }

    fn form(collection: String, item: Option<String>, action: String) -> Result<Json, PluginError> {
        let customer = customer::current()?;
        let form = match (collection.as_str(), action.as_str()) {
            (CONFIGURATIONS, "create") => {
                configurations::form(&configurations::dpcs(&customer)?, None)
            }
            (CONFIGURATIONS, "edit") => {
                let id = item_id(item)?;
                let current = configurations::get(&customer, &id)?
                    .ok_or_else(|| PluginError::InvalidInput(format!("no configuration {id}")))?;
                configurations::form(&configurations::dpcs(&customer)?, Some(&current))
            }
            (DEVICES, "apply-configuration") => {
                let ids: Vec<String> = configurations::list(&customer)?
                    .iter()
                    .filter_map(|c| c["configurationId"].as_str().map(str::to_string))
                    .collect();
                json!({
                    "type": "object",
                    "required": ["configuration"],
                    "properties": {"configuration": {"type": "string", "title": "Configuration id", "enum": ids}},
                })
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
        let customer = customer::current()?;
        let input = parse(&input)?;
        match (collection.as_str(), action.as_str()) {
            (CONFIGURATIONS, "create") => {
                match configurations::check(&input, &configurations::dpcs(&customer)?) {
                    Err(problems) => Ok(Outcome::Invalid(problems)),
                    Ok(fields) => {
                        let made = configurations::create(&customer, fields)?;
                        Ok(Outcome::Done(Some(configurations::item(&made))))
                    }
                }
            }
            (CONFIGURATIONS, "edit") => {
                let id = item_id(item)?;
                let current = configurations::get(&customer, &id)?
                    .ok_or_else(|| PluginError::InvalidInput(format!("no configuration {id}")))?;
                match configurations::check(&input, &configurations::dpcs(&customer)?) {
                    Err(problems) => Ok(Outcome::Invalid(problems)),
                    Ok(fields) => {
                        let changed = configurations::update(&current, fields)?;
                        Ok(Outcome::Done(Some(configurations::item(&changed))))
                    }
                }
            }
            (CONFIGURATIONS, "delete") => {
                configurations::delete(&customer, &item_id(item)?)?;
                Ok(Outcome::Done(None))
            }
            (DEVICES, "apply-configuration") => {
                let id = item_id(item)?;
                let Some(configuration) = input["configuration"].as_str() else {
                    return Ok(Outcome::Invalid(vec![FieldError {
                        path: "/configuration".into(),
                        code: "required".into(),
                        message: "choose a configuration".into(),
                    }]));
                };
                devices::apply(&customer, &id, configuration)?;
                Ok(Outcome::Done(None))
            }
            (DEVICES, "remove-configuration") => {
                devices::remove(&customer, &item_id(item)?)?;
                Ok(Outcome::Done(None))
            }
            (DEVICES, "unregister") => {
                devices::unclaim(&customer, &item_id(item)?)?;
                Ok(Outcome::Done(None))
            }
            (c, a) => Err(unknown_action(c, a)),
        }
    }

    fn map_import_rows(batch: ImportBatch) -> Result<Vec<RowResult>, PluginError> {
        let (customer, configuration_ids) = import_context(&batch.import_kind, &batch.job_id)?;
        let fields: Vec<rows::Fields> = batch.rows.iter().map(rows::Fields::of_row).collect();
        let known = dual_sim_devices(&fields)?;
        let dual_sim = |imei: &str| rows::lower_imei(imei, known.get(imei)?);
        let api = customer::api();
        let ctx = rows::Context::new(&batch.import_kind, &customer, &configuration_ids, |path| {
            api.url(path, &[])
        });
        Ok(batch
            .rows
            .iter()
            .map(|row| rows::check(row, &ctx, &dual_sim))
            .collect())
    }

    fn check_import_rows(
        import_name: String,
        job_id: String,
        columns: Vec<String>,
        batch: Vec<ImportValues>,
    ) -> Result<Vec<RefusedRow>, PluginError> {
        let (customer, configuration_ids) = import_context(&import_name, &job_id)?;
        let columns = rows::Columns::of(columns.iter().map(String::as_str));
        let fields: Vec<rows::Fields> = batch.iter().map(|r| columns.fields(&r.values)).collect();
        let known = dual_sim_devices(&fields)?;
        let dual_sim = |imei: &str| rows::lower_imei(imei, known.get(imei)?);
        // No URLs needed: nothing is prepared.
        let ctx = rows::Context::new(&import_name, &customer, &configuration_ids, |_| {
            String::new()
        });
        Ok(batch
            .iter()
            .zip(&fields)
            .filter_map(|(row, fields)| {
                let problems = rows::problems(fields, &ctx, &dual_sim);
                (!problems.is_empty()).then_some(RefusedRow {
                    line: row.line,
                    problems,
                })
            })
            .collect())
    }

    fn sync_inventory() -> Result<u32, PluginError> {
        let started = corral_plugin_sdk::capabilities::clock::now_ms();
        devices::sync(&customer::current()?, started)
    }
}

export_plugin!(ZeroTouch);
