//! The `access-rules` collection: every connector's access rules (`<connector>-<rule>`),
//! added, given another level and removed with the *modify connector policy* permission, and
//! the connectors' `access` action setting the default access level. Each change is kept,
//! then sent (module `enforce`).

use corral_plugin_sdk::collection_action as action;
use corral_plugin_sdk::column;
use corral_plugin_sdk::types::{
    CollectionInfo, FieldError, Item, Outcome, Page, Permission, PluginError, Property,
};
use serde_json::{Value, json};

use crate::access::{self, CHARACTERISTICS, LEVELS, Rule};
use crate::connectors::{self, Connector};
use crate::wording::{says, tr};
use crate::{RULES, enforce};

pub fn collection() -> CollectionInfo {
    use Permission::ModifyConnectorPolicy;
    CollectionInfo {
        name: RULES.into(),
        title: tr("Access rules").into(),
        description: tr("Allow, block or quarantine the devices whose type, model, OS or user agent is exactly a value").into(),
        columns: vec![
            column("connector", tr("Connector")),
            column("characteristic", tr("Characteristic")),
            column("query-string", tr("Value")),
            column("level", tr("Access")),
        ],
        searchable: false,
        actions: vec![
            action(
                "create",
                tr("Add a rule"),
                tr("Adds an access rule to a connector's organisation"),
                false,
                ModifyConnectorPolicy,
                true,
                false,
            ),
            action(
                "edit",
                tr("Change the access"),
                tr("Allows, blocks or quarantines what the rule matches"),
                true,
                ModifyConnectorPolicy,
                true,
                false,
            ),
            action(
                "remove",
                tr("Remove"),
                tr("Removes the rule from the organisation"),
                true,
                ModifyConnectorPolicy,
                false,
                true,
            ),
        ],
        imports: vec![],
    }
}

fn item(c: &Connector, r: &Rule) -> Item {
    let p = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    Item {
        id: format!("{}-{}", c.id, r.id),
        title: r.identity(),
        values: vec![
            p("connector", c.name.clone()),
            p("characteristic", r.characteristic.clone()),
            p("query-string", r.query_string.clone()),
            p("level", r.level.clone()),
        ],
        details: vec![
            p("exchange-identity", r.identity()),
            p("policy", enforce::state(c)),
        ],
    }
}

pub fn list() -> Result<Page, PluginError> {
    let mut items = Vec::new();
    for c in connectors::all()? {
        items.extend(c.rules.iter().map(|r| item(&c, r)));
    }
    Ok(Page {
        items,
        next_page_token: None,
    })
}

fn find(id: &str) -> Result<Option<(Connector, Rule)>, PluginError> {
    let Some((connector, rule)) = id.split_once('-') else {
        return Ok(None);
    };
    Ok(connectors::get(connector)?.and_then(|c| {
        let r = c.rules.iter().find(|r| r.id == rule).cloned();
        r.map(|r| (c, r))
    }))
}

fn found(id: &str) -> Result<(Connector, Rule), PluginError> {
    find(id)?.ok_or_else(|| PluginError::InvalidInput(format!("no access rule {id}")))
}

pub fn get(id: &str) -> Result<Option<Item>, PluginError> {
    Ok(find(id)?.map(|(c, r)| item(&c, &r)))
}

/// The form of `create` (a rule of any connector) and of `edit` (the level only).
pub fn form(id: Option<&str>, all: &[Connector]) -> Result<Value, PluginError> {
    let level = |current: Option<&str>| {
        let mut p = json!({"type": "string", "title": tr("Access"), "enum": LEVELS});
        if let Some(l) = current {
            p["default"] = json!(l);
        }
        p
    };
    Ok(match id {
        Some(id) => {
            let (_, r) = found(id)?;
            json!({"type": "object", "required": ["level"],
                   "properties": {"level": level(Some(&r.level))}})
        }
        None => {
            let organisations: Vec<&str> = all.iter().map(|c| c.organization.as_str()).collect();
            json!({"type": "object", "required": ["organization", "characteristic", "query_string", "level"],
            "properties": {
                "organization": {"type": "string", "title": tr("Organisation"), "enum": organisations},
                "characteristic": {"type": "string", "title": tr("Characteristic"), "enum": CHARACTERISTICS},
                "query_string": {"type": "string", "title": tr("Exact value (e.g. iPhone, or iOS 17.1 21B74)")},
                "level": level(None),
            }})
        }
    })
}

fn keep_and_send(mut c: Connector) -> Result<Connector, PluginError> {
    c.unsent = true;
    connectors::save(&c)?;
    enforce::send(&mut c);
    connectors::save(&c)?;
    Ok(c)
}

pub fn create(input: &Value) -> Result<Outcome, PluginError> {
    let organisation = input["organization"].as_str().unwrap_or_default();
    let Some(mut c) = connectors::all()?
        .into_iter()
        .find(|c| c.organization.eq_ignore_ascii_case(organisation.trim()))
    else {
        return Ok(Outcome::Invalid(vec![FieldError {
            path: "/organization".into(),
            code: "invalid".into(),
            message: tr("the organisation of one of the connectors").into(),
        }]));
    };
    let id = format!("r{}", c.next_rule + 1);
    let rule = match access::check(input, id, &c.rules) {
        Ok(rule) => rule,
        Err(problems) => return Ok(Outcome::Invalid(problems)),
    };
    c.next_rule += 1;
    c.rules.push(rule.clone());
    let c = keep_and_send(c)?;
    Ok(Outcome::Done(Some(item(&c, &rule))))
}

pub fn edit(id: &str, input: &Value) -> Result<Outcome, PluginError> {
    let (mut c, rule) = found(id)?;
    let Some(level) = access::level(input["level"].as_str().unwrap_or_default()) else {
        return Ok(Outcome::Invalid(vec![FieldError {
            path: "/level".into(),
            code: "invalid".into(),
            message: says(
                format!("one of {}", LEVELS.join(", ")),
                format!("un de {}", LEVELS.join(", ")),
            ),
        }]));
    };
    for r in c.rules.iter_mut().filter(|r| r.id == rule.id) {
        r.level = level.into();
    }
    let c = keep_and_send(c)?;
    let rule = c
        .rules
        .iter()
        .find(|r| r.id == rule.id)
        .cloned()
        .unwrap_or(rule);
    Ok(Outcome::Done(Some(item(&c, &rule))))
}

pub fn remove(id: &str) -> Result<Outcome, PluginError> {
    let (mut c, rule) = found(id)?;
    c.rules.retain(|r| r.id != rule.id);
    keep_and_send(c)?;
    Ok(Outcome::Done(None))
}

/// The form of a connector's `access` action.
pub fn default_form(c: &Connector) -> Value {
    let mut level = json!({"type": "string", "title": tr("Default access level (empty: left to Exchange)"),
                           "enum": LEVELS});
    if let Some(l) = &c.default_access {
        level["default"] = json!(l);
    }
    json!({"type": "object", "properties": {"level": level}})
}

/// Sets (or leaves to Exchange, when empty) the connector's default access level.
pub fn set_default(mut c: Connector, input: &Value) -> Result<Outcome, PluginError> {
    let text = input["level"].as_str().unwrap_or_default().trim();
    c.default_access = if text.is_empty() {
        None
    } else {
        match access::level(text) {
            Some(l) => Some(l.into()),
            None => {
                return Ok(Outcome::Invalid(vec![FieldError {
                    path: "/level".into(),
                    code: "invalid".into(),
                    message: says(
                        format!(
                            "one of {}, or empty to leave it to Exchange",
                            LEVELS.join(", ")
                        ),
                        format!(
                            "un de {}, ou vide pour le laisser à Exchange",
                            LEVELS.join(", ")
                        ),
                    ),
                }]));
            }
        }
    };
    let c = if c.default_access.is_some() {
        keep_and_send(c)?
    } else {
        connectors::save(&c)?;
        c
    };
    Ok(Outcome::Done(Some(connectors::item(&c))))
}
