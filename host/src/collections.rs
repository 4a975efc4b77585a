//! A plugin's collections of vendor objects (`corral:plugin@0.5.0` `collections`): the
//! zero-touch configurations and devices, for example, which live at the vendor and which
//! administrators list, search and act on through the admin API and the console.
//!
//! The host stores none of these objects and knows none of their rules; it holds the rules
//! every vendor shares:
//! - reading (collections, pages, items) needs an administrator of the tenant; an action (and
//!   its form) needs the permission the plugin declares for it;
//! - an action names a collection and an action the plugin describes, on one item exactly when
//!   the action is taken on items (else 404 or 400, without calling the plugin's `act`);
//! - input refused by the plugin (`invalid`) changes nothing and answers every field problem;
//! - every action the plugin carried out is recorded in the history (object type
//!   `vendor_object`, id `{plugin}/{collection}/{item}`, action the plugin's, with the input
//!   and the item afterwards), after the vendor call, in its own transaction.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::{ExchangePermission, Permission};
use crate::configurations::FieldProblem;
use crate::error::Error;
use crate::history::{self, Change};
use crate::plugins::{hook, HookError};
use crate::services::AsAdmin;
use corral_plugin_runtime::api;

/// Most characters of a search text or page token handed to a plugin.
const MAX_QUERY: usize = 500;

/// What an administrator needs for an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionPermission {
    ManageConfigurations,
    ImportExport,
    DeleteDevices,
    ManagePlugins,
    /// Add, change or remove a connection to the vendor (SPEC A2's *modify site*).
    ModifySite,
    /// Change a connection's policy (*modify connector policy*).
    ModifyConnectorPolicy,
    /// Wipe a device (*delete resource*).
    DeleteResource,
    /// Cancel a wipe, allow or block a device (*modify resource*).
    ModifyResource,
}

impl ActionPermission {
    fn of(p: api::CollectionPermission) -> ActionPermission {
        match p {
            api::CollectionPermission::ManageConfigurations => Self::ManageConfigurations,
            api::CollectionPermission::ImportExport => Self::ImportExport,
            api::CollectionPermission::DeleteDevices => Self::DeleteDevices,
            api::CollectionPermission::ManagePlugins => Self::ManagePlugins,
            api::CollectionPermission::ModifySite => Self::ModifySite,
            api::CollectionPermission::ModifyConnectorPolicy => Self::ModifyConnectorPolicy,
            api::CollectionPermission::DeleteResource => Self::DeleteResource,
            api::CollectionPermission::ModifyResource => Self::ModifyResource,
        }
    }

    pub fn permission(self) -> Permission {
        match self {
            Self::ManageConfigurations => Permission::ManageConfigurations,
            Self::ImportExport => Permission::ImportExport,
            Self::DeleteDevices => Permission::DeleteDevices,
            Self::ManagePlugins => Permission::ManagePlugins,
            Self::ModifySite => Permission::Exchange(ExchangePermission::ModifySite),
            Self::ModifyConnectorPolicy => {
                Permission::Exchange(ExchangePermission::ModifyConnectorPolicy)
            }
            Self::DeleteResource => Permission::Exchange(ExchangePermission::DeleteResource),
            Self::ModifyResource => Permission::Exchange(ExchangePermission::ModifyResource),
        }
    }
}

/// What is kept of an action's input: each property its form marks `writeOnly` (a secret)
/// replaced, at any depth.
fn kept_input(form: &serde_json::Value, input: &serde_json::Value) -> serde_json::Value {
    let mut kept = input.clone();
    if let (Some(properties), Some(values)) = (form["properties"].as_object(), kept.as_object_mut())
    {
        for (name, schema) in properties {
            let Some(value) = values.get_mut(name) else {
                continue;
            };
            if schema["writeOnly"] == serde_json::Value::Bool(true) {
                *value = serde_json::Value::String(SECRET_KEPT.into());
            } else if value.is_object() {
                *value = kept_input(schema, value);
            }
        }
    }
    kept
}

/// What the history shows in place of a secret.
pub const SECRET_KEPT: &str = "(secret, not kept)";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Column {
    pub name: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Action {
    pub name: String,
    pub title: String,
    pub description: String,
    /// Taken on one item, or on the collection.
    pub on_item: bool,
    pub permission: ActionPermission,
    /// Takes input, whose form (a JSON Schema) `GET .../forms/{action}` answers.
    pub takes_input: bool,
    /// Cannot be undone.
    pub irreversible: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Import {
    pub name: String,
    pub title: String,
    pub description: String,
    /// The CSV file's header, in order.
    pub columns: Vec<String>,
    pub permission: ActionPermission,
}

/// A collection of a plugin's vendor objects.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Collection {
    pub name: String,
    pub title: String,
    pub description: String,
    pub columns: Vec<Column>,
    pub searchable: bool,
    pub actions: Vec<Action>,
    pub imports: Vec<Import>,
}

impl Collection {
    fn of(c: api::CollectionInfo) -> Collection {
        Collection {
            name: c.name,
            title: c.title,
            description: c.description,
            columns: c
                .columns
                .into_iter()
                .map(|c| Column {
                    name: c.name,
                    title: c.title,
                })
                .collect(),
            searchable: c.searchable,
            actions: c
                .actions
                .into_iter()
                .map(|a| Action {
                    name: a.name,
                    title: a.title,
                    description: a.description,
                    on_item: a.on_item,
                    permission: ActionPermission::of(a.permission),
                    takes_input: a.takes_input,
                    irreversible: a.irreversible,
                })
                .collect(),
            imports: c
                .imports
                .into_iter()
                .map(|i| Import {
                    name: i.name,
                    title: i.title,
                    description: i.description,
                    columns: i.columns,
                    permission: ActionPermission::of(i.permission),
                })
                .collect(),
        }
    }

    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }
}

/// A name and a value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Value {
    pub name: String,
    pub value: String,
}

/// One vendor object.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: String,
    pub title: String,
    /// The collection's columns' values, by column name.
    pub values: Vec<Value>,
    /// Everything else worth showing, in order.
    pub details: Vec<Value>,
}

impl Item {
    fn of(i: api::Item) -> Item {
        let values = |v: Vec<api::Property>| {
            v.into_iter()
                .map(|p| Value {
                    name: p.name,
                    value: p.value,
                })
                .collect()
        };
        Item {
            id: i.id,
            title: i.title,
            values: values(i.values),
            details: values(i.details),
        }
    }

    /// The value of column `name` (empty when the plugin gave none).
    pub fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|v| v.name == name)
            .map_or("", |v| v.value.as_str())
    }
}

/// A page of a collection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// Give it as `page_token` for the next page; none on the last.
    pub next_page_token: Option<String>,
}

/// What an action did: the item it made or changed, if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Done {
    pub item: Option<Item>,
}

/// Why an action's input was refused: every problem, at its field (JSON Pointer).
#[derive(Debug, Serialize, ToSchema)]
pub struct Refusal {
    pub errors: Vec<FieldProblem>,
}

/// An action's answer: done, or its input refused (nothing changed).
#[derive(Debug)]
pub enum Outcome {
    Done(Done),
    Invalid(Refusal),
}

fn bounded<'a>(what: &'static str, text: Option<&'a str>) -> Result<Option<&'a str>, Error> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > MAX_QUERY => Err(Error::invalid(
            what,
            format!("at most {MAX_QUERY} characters"),
        )),
        other => Ok(other),
    }
}

impl AsAdmin<'_> {
    /// The collections of the plugin's active version (none before 0.5.0).
    pub async fn plugin_collections(&self, plugin_id: &str) -> Result<Vec<Collection>, HookError> {
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?
            .in_language(self.language);
        let described = installation
            .describe_collections()
            .await
            .map_err(HookError::Failed)?;
        Ok(described.into_iter().map(Collection::of).collect())
    }

    /// One collection of the plugin (404 when it has none of that name).
    pub async fn plugin_collection(
        &self,
        plugin_id: &str,
        collection: &str,
    ) -> Result<Collection, HookError> {
        self.plugin_collections(plugin_id)
            .await?
            .into_iter()
            .find(|c| c.name == collection)
            .ok_or(HookError::Setup(Error::NotFound("collection")))
    }

    /// A page of a collection, searched when `search` is given (and the collection allows it).
    pub async fn collection_items(
        &self,
        plugin_id: &str,
        collection: &str,
        search: Option<&str>,
        page_token: Option<&str>,
    ) -> Result<ItemPage, HookError> {
        let search = bounded("search", search)?;
        let page_token = bounded("page_token", page_token)?;
        let described = self.plugin_collection(plugin_id, collection).await?;
        if search.is_some() && !described.searchable {
            return Err(Error::invalid("search", "this collection cannot be searched").into());
        }
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?
            .in_language(self.language);
        let answer = installation
            .list_items(collection, search, page_token)
            .await;
        let page = hook(&installation, answer)?;
        Ok(ItemPage {
            items: page.items.into_iter().map(Item::of).collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// One item of a collection (404 when the vendor does not have it).
    pub async fn collection_item(
        &self,
        plugin_id: &str,
        collection: &str,
        id: &str,
    ) -> Result<Item, HookError> {
        self.plugin_collection(plugin_id, collection).await?;
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?
            .in_language(self.language);
        let answer = installation.get_item(collection, id).await;
        hook(&installation, answer)?
            .map(Item::of)
            .ok_or(HookError::Setup(Error::NotFound("item")))
    }

    /// The described action, checked against the administrator's permissions and the item.
    async fn allowed_action(
        &self,
        plugin_id: &str,
        collection: &str,
        item: Option<&str>,
        action: &str,
    ) -> Result<Action, HookError> {
        let described = self.plugin_collection(plugin_id, collection).await?;
        let Some(found) = described.action(action).cloned() else {
            return Err(Error::NotFound("action").into());
        };
        self.require(found.permission.permission())?;
        match (found.on_item, item) {
            (true, None) => Err(Error::invalid("item", "this action is taken on one item").into()),
            (false, Some(_)) => {
                Err(Error::invalid("item", "this action is taken on the collection").into())
            }
            _ => Ok(found),
        }
    }

    /// The JSON Schema of an action's input, with the item's current values as defaults.
    pub async fn action_form(
        &self,
        plugin_id: &str,
        collection: &str,
        item: Option<&str>,
        action: &str,
    ) -> Result<serde_json::Value, HookError> {
        let found = self
            .allowed_action(plugin_id, collection, item, action)
            .await?;
        if !found.takes_input {
            return Ok(serde_json::json!({"type": "object", "properties": {}}));
        }
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?
            .in_language(self.language);
        let answer = installation.action_form(collection, item, action).await;
        let form = hook(&installation, answer)?;
        serde_json::from_str(&form).map_err(|e| HookError::Refused {
            plugin: installation.plugin().to_string(),
            message: format!("the plugin's form is not JSON: {e}"),
        })
    }

    /// Takes an action through the plugin and records it in the history.
    pub async fn take_action(
        &self,
        plugin_id: &str,
        collection: &str,
        item: Option<&str>,
        action: &str,
        input: &serde_json::Value,
    ) -> Result<Outcome, HookError> {
        let allowed = self
            .allowed_action(plugin_id, collection, item, action)
            .await?;
        if !input.is_object() {
            return Err(Error::invalid("input", "expected a JSON object").into());
        }
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?
            .in_language(self.language);
        // The form says which input is secret, never to be kept.
        let form = if allowed.takes_input {
            let answer = installation.action_form(collection, item, action).await;
            serde_json::from_str(&hook(&installation, answer)?).unwrap_or_default()
        } else {
            serde_json::Value::Null
        };
        let answer = installation
            .act(collection, item, action, &input.to_string())
            .await;
        let done = match hook(&installation, answer)? {
            api::Outcome::Invalid(errors) => {
                return Ok(Outcome::Invalid(Refusal {
                    errors: errors
                        .into_iter()
                        .map(|e| FieldProblem {
                            path: e.path,
                            code: e.code,
                            message: e.message,
                        })
                        .collect(),
                }));
            }
            api::Outcome::Done(item) => Done {
                item: item.map(Item::of),
            },
        };
        let object = item
            .map(str::to_string)
            .or_else(|| done.item.as_ref().map(|i| i.id.clone()))
            .unwrap_or_default();
        let mut scoped = self.write(allowed.permission.permission()).await?;
        history::record(
            &mut scoped,
            &self.actor(),
            Change::new::<(), _>(
                "vendor_object",
                &format!("{plugin_id}/{collection}/{object}"),
                action.to_string(),
                None,
                Some(&serde_json::json!({"input": kept_input(&form, input), "item": done.item})),
            ),
        )
        .await?;
        scoped.commit().await?;
        Ok(Outcome::Done(done))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_never_kept_at_any_depth() {
        let form = json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "client_secret": {"type": "string", "writeOnly": true},
            "gateway": {"type": "object", "properties": {
                "password": {"type": "string", "writeOnly": true},
                "user": {"type": "string"}
            }}
        }});
        let input = json!({"name": "Contoso", "client_secret": "s3cret",
            "gateway": {"password": "hunter2", "user": "svc"}});
        let kept = kept_input(&form, &input);
        assert_eq!(
            kept,
            json!({"name": "Contoso", "client_secret": SECRET_KEPT,
                "gateway": {"password": SECRET_KEPT, "user": "svc"}})
        );
        assert!(!kept.to_string().contains("s3cret") && !kept.to_string().contains("hunter2"));
    }
}
