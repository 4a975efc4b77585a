//! The Exchange ActiveSync connector plugin (SPEC G1 to G8): everything of Exchange lives
//! here, behind the `corral:plugin` WIT contract; the host knows nothing of Exchange.
//!
//! - `connectors` (module `connectors`): one per Exchange organisation (online or
//!   on-premises), each with its own OAuth 2 client whose secret the host keeps sealed; added,
//!   changed and removed with the *modify site* permission; installed when Exchange answers,
//!   else tried again every 60 minutes at the host's inventory sync, each attempt logged;
//! - `settings` (module `settings`, rules in `policy`): each connector's five settings groups,
//!   changed with the *modify connector policy* permission;
//! - `access-rules` (module `rules`, rules in `access`): allow, block or quarantine by device
//!   type, model, OS or user agent, and each connector's default access level (*modify
//!   connector policy*); what Corral manages is sent by module `enforce`;
//! - `devices` (module `devices`): what each organisation reported, with the access each
//!   device has and why; wipes (*delete resource*) and their cancellation (*modify resource*),
//!   and a user's own wipe from the portal (`execute`);
//! - discovery (module `discovery`): the devices Exchange reports, in the host's inventory as
//!   `<user>_<devicetype>`, linked to their user for on-premises organisations.
//!
//! Exchange is reached through its admin REST endpoint (module `invoke`).

mod access;
mod connectors;
mod devices;
mod discovery;
mod enforce;
mod invoke;
mod policy;
mod rules;
mod settings;
mod wording;

use corral_plugin_sdk::types::*;
use corral_plugin_sdk::{Plugin, collection_action as action, column, export_plugin};
use serde_json::{Value, json};
use wording::tr;

const VERSION: &str = match option_env!("CORRAL_EXCHANGE_VERSION") {
    Some(v) => v,
    None => "0.1.0",
};

const CONNECTORS: &str = "connectors";
const SETTINGS: &str = "settings";
const RULES: &str = "access-rules";
/// The scope of Exchange Online's admin API (an on-premises gateway takes the same).
const SCOPE: &str = "https://outlook.office365.com/.default";

struct Exchange;

fn unknown_action(collection: &str, action: &str) -> PluginError {
    PluginError::Unsupported(format!("action {action} of {collection}"))
}

fn required(item: Option<String>) -> Result<String, PluginError> {
    item.ok_or_else(|| PluginError::InvalidInput("this action is taken on one item".into()))
}

fn connector(item: Option<String>) -> Result<connectors::Connector, PluginError> {
    let id =
        item.ok_or_else(|| PluginError::InvalidInput("this action is taken on one item".into()))?;
    connectors::get(&id)?.ok_or_else(|| PluginError::InvalidInput(format!("no connector {id}")))
}

impl Plugin for Exchange {
    fn describe() -> PluginInfo {
        let mut info = corral_plugin_sdk::info("exchange-activesync", "Corral", VERSION);
        info.capabilities = vec![
            Capability::Http,
            Capability::Kv,
            Capability::Clock,
            Capability::Directory,
            Capability::Logging,
        ];
        info.http_hosts = vec![
            "outlook.office365.com".into(),
            "login.microsoftonline.com".into(),
        ];
        info
    }

    fn describe_extension() -> ExtensionInfo {
        ExtensionInfo {
            settings: vec![],
            oauth_scopes: vec![SCOPE.into()],
            actions: vec![],
        }
    }

    fn describe_collections() -> Vec<CollectionInfo> {
        use Permission::{ModifyConnectorPolicy, ModifySite};
        vec![
            CollectionInfo {
                name: CONNECTORS.into(),
                title: tr("Connectors").into(),
                description: tr("One per Exchange organisation, online or on-premises").into(),
                columns: vec![
                    column("name", tr("Name")),
                    column("kind", tr("Kind")),
                    column("organization", tr("Organisation")),
                    column("status", tr("Status")),
                ],
                searchable: false,
                actions: vec![
                    action(
                        "create",
                        tr("Add a connector"),
                        tr("Connects an Exchange organisation"),
                        false,
                        ModifySite,
                        true,
                        false,
                    ),
                    action(
                        "edit",
                        tr("Change"),
                        tr("Changes the connector"),
                        true,
                        ModifySite,
                        true,
                        false,
                    ),
                    action(
                        "install",
                        tr("Install now"),
                        tr("Tries to reach Exchange again now"),
                        true,
                        ModifySite,
                        false,
                        false,
                    ),
                    action(
                        "access",
                        tr("Default access level"),
                        tr(
                            "Sets the organisation's default access level, or leaves it to Exchange",
                        ),
                        true,
                        ModifyConnectorPolicy,
                        true,
                        false,
                    ),
                    action(
                        "remove",
                        tr("Remove"),
                        tr("Removes the connector and forgets its client secret"),
                        true,
                        ModifySite,
                        false,
                        true,
                    ),
                ],
                imports: vec![],
            },
            settings::collection(),
            rules::collection(),
            devices::collection(),
        ]
    }

    fn list_items(
        collection: String,
        _search: Option<String>,
        page_token: Option<String>,
    ) -> Result<Page, PluginError> {
        match collection.as_str() {
            CONNECTORS => Ok(Page {
                items: connectors::all()?.iter().map(connectors::item).collect(),
                next_page_token: None,
            }),
            SETTINGS => settings::list(),
            RULES => rules::list(),
            devices::DEVICES => devices::list(page_token.as_deref()),
            other => Err(PluginError::InvalidInput(format!("no collection {other}"))),
        }
    }

    fn get_item(collection: String, id: String) -> Result<Option<Item>, PluginError> {
        match collection.as_str() {
            CONNECTORS => Ok(connectors::get(&id)?.as_ref().map(connectors::item)),
            SETTINGS => settings::get(&id),
            RULES => rules::get(&id),
            devices::DEVICES => devices::get(&id),
            other => Err(PluginError::InvalidInput(format!("no collection {other}"))),
        }
    }

    fn form(collection: String, item: Option<String>, action: String) -> Result<Json, PluginError> {
        let form = match (collection.as_str(), action.as_str()) {
            (CONNECTORS, "create") => connectors::form(None),
            (CONNECTORS, "edit") => connectors::form(Some(&connector(item)?)),
            (CONNECTORS, "access") => rules::default_form(&connector(item)?),
            (SETTINGS, "edit") => settings::form(&required(item)?)?,
            (RULES, "create") => rules::form(None, &connectors::all()?)?,
            (RULES, "edit") => rules::form(Some(&required(item)?), &connectors::all()?)?,
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
            (CONNECTORS, "create" | "edit") => {
                let current = match action.as_str() {
                    "edit" => Some(connector(item)?),
                    _ => None,
                };
                let others = connectors::all()?;
                let (changed, secret) = match connectors::check(&input, current.as_ref(), &others) {
                    Ok(checked) => checked,
                    Err(problems) => return Ok(Outcome::Invalid(problems)),
                };
                let mut stored = match connectors::store(changed, secret.as_deref())? {
                    Ok(stored) => stored,
                    Err(problems) => return Ok(Outcome::Invalid(problems)),
                };
                connectors::attempt(&mut stored)?;
                Ok(Outcome::Done(Some(connectors::item(&stored))))
            }
            (CONNECTORS, "install") => {
                let mut c = connector(item)?;
                connectors::attempt(&mut c)?;
                Ok(Outcome::Done(Some(connectors::item(&c))))
            }
            (CONNECTORS, "access") => rules::set_default(connector(item)?, &input),
            (SETTINGS, "edit") => settings::edit(&required(item)?, &input),
            (RULES, "create") => rules::create(&input),
            (RULES, "edit") => rules::edit(&required(item)?, &input),
            (RULES, "remove") => rules::remove(&required(item)?),
            (devices::DEVICES, "wipe" | "cancel-wipe") => devices::act(&required(item)?, &action),
            (CONNECTORS, "remove") => {
                let c = connector(item)?;
                connectors::remove(&c.id)?;
                devices::forget(&c.id)?;
                Ok(Outcome::Done(None))
            }
            (c, a) => Err(unknown_action(c, a)),
        }
    }

    /// A user's wipe of their own device (from the portal): the only command Exchange's
    /// devices take from the host.
    fn execute(device: ManagedDevice, command: DeviceCommand) -> Result<(), PluginError> {
        match command {
            DeviceCommand::Wipe(_) => devices::wipe_discovered(&device.vendor_name),
            _ => Err(PluginError::Unsupported(
                "Exchange's devices take a wipe only".into(),
            )),
        }
    }

    /// Tries again the connectors whose retry is due, then lists every organisation's devices.
    fn sync_inventory() -> Result<u32, PluginError> {
        connectors::retry_due()?;
        discovery::sync()
    }
}

export_plugin!(Exchange);
