//! The `settings` collection: one item per connector and settings group (`<connector>-<group>`),
//! showing each setting's value, Corral's default or that Exchange keeps it; `edit` (the
//! *modify connector policy* permission) gives the group's values, all at once (a field left
//! empty is not given), then sends them.

use corral_plugin_sdk::collection_action as action;
use corral_plugin_sdk::column;
use corral_plugin_sdk::types::{
    CollectionInfo, Item, Outcome, Page, Permission, PluginError, Property,
};
use serde_json::Value;

use crate::connectors::{self, Connector};
use crate::policy::{self, GROUPS, Group};
use crate::wording::{says, tr};
use crate::{SETTINGS, enforce};

pub fn collection() -> CollectionInfo {
    CollectionInfo {
        name: SETTINGS.into(),
        title: tr("Settings groups").into(),
        description: tr("Each connector's mobile device mailbox policy settings, by group: a group with one setting given is managed by Corral as a whole, one with none is left to Exchange").into(),
        columns: vec![
            column("connector", tr("Connector")),
            column("group", tr("Group")),
            column("managed-by", tr("Managed by")),
            column("given", tr("Settings given")),
        ],
        searchable: false,
        actions: vec![action(
            "edit",
            tr("Change"),
            tr("Gives the group's settings (empty: not given); with none given the group is left to Exchange"),
            true,
            Permission::ModifyConnectorPolicy,
            true,
            false,
        )],
        imports: vec![],
    }
}

fn item(c: &Connector, group: Group) -> Item {
    let p = |name: &str, value: String| Property {
        name: name.into(),
        value,
    };
    let managed = policy::managed(&c.settings).contains(&group);
    let mut details = vec![p("policy", enforce::state(c))];
    let mut given = 0;
    for s in group.settings() {
        let value = match c.settings.get(s.name) {
            Some(v) => {
                given += 1;
                policy::shown(v)
            }
            None if managed => says(
                format!("{} (Corral's default)", policy::shown(&s.default())),
                format!(
                    "{} (valeur par défaut de Corral)",
                    policy::shown(&s.default())
                ),
            ),
            None => tr("left to Exchange").into(),
        };
        details.push(p(s.name, value));
    }
    Item {
        id: format!("{}-{}", c.id, group.code()),
        title: format!("{}: {}", c.name, group.title()),
        values: vec![
            p("connector", c.name.clone()),
            p("group", group.title().into()),
            p(
                "managed-by",
                if managed { "Corral" } else { "Exchange" }.into(),
            ),
            p("given", given.to_string()),
        ],
        details,
    }
}

pub fn list() -> Result<Page, PluginError> {
    let mut items = Vec::new();
    for c in connectors::all()? {
        items.extend(GROUPS.into_iter().map(|g| item(&c, g)));
    }
    Ok(Page {
        items,
        next_page_token: None,
    })
}

fn find(id: &str) -> Result<Option<(Connector, Group)>, PluginError> {
    let Some((connector, group)) = id.split_once('-') else {
        return Ok(None);
    };
    let Some(group) = Group::from_code(group) else {
        return Ok(None);
    };
    Ok(connectors::get(connector)?.map(|c| (c, group)))
}

fn found(id: &str) -> Result<(Connector, Group), PluginError> {
    find(id)?.ok_or_else(|| PluginError::InvalidInput(format!("no settings group {id}")))
}

pub fn get(id: &str) -> Result<Option<Item>, PluginError> {
    Ok(find(id)?.map(|(c, g)| item(&c, g)))
}

pub fn form(id: &str) -> Result<Value, PluginError> {
    let (c, group) = found(id)?;
    Ok(policy::form(group, &c.settings))
}

/// Keeps the group's values (replacing what it had), then sends them.
pub fn edit(id: &str, input: &Value) -> Result<Outcome, PluginError> {
    let (mut c, group) = found(id)?;
    let given = match policy::check_group(group, input) {
        Ok(given) => given,
        Err(problems) => return Ok(Outcome::Invalid(problems)),
    };
    let before = policy::parameters(&c.settings);
    for s in group.settings() {
        c.settings.remove(s.name);
    }
    c.settings.extend(given);
    // A group left to Exchange again sends nothing: only a change to what is sent is sent.
    if policy::parameters(&c.settings).is_some() && policy::parameters(&c.settings) != before {
        c.unsent = true;
    }
    connectors::save(&c)?;
    if c.unsent {
        enforce::send(&mut c);
        connectors::save(&c)?;
    }
    Ok(Outcome::Done(Some(item(&c, group))))
}
