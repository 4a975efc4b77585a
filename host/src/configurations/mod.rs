//! Stored plugin configurations (SPEC E4), for any plugin: the plugin says what a body means
//! (its `validate-config` hook is asked before anything is stored); the host keeps the body,
//! its priority and the devices it is distributed to, and answers which configuration applies
//! to a device.
//!
//! Rules:
//! - distribution is `none` (the default: no device), `all`, or `custom` (listed devices of
//!   the tenant);
//! - for each kind of a plugin, the applicable configuration of a device is the one with the
//!   highest priority among those distributed to it; two configurations of one kind never share
//!   a priority, so the answer is never a tie;
//! - a configuration's kind is fixed at creation; every change writes its history entry.

pub mod deliveries;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::plugins::{hook, HookError};
use crate::services::AsAdmin;
use crate::store::{new_id, now_ms, unique_as_conflict, Scoped};
use corral_plugin_runtime::api;
use deliveries::Delivery;

/// Which devices a configuration is distributed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Distribution {
    /// No device (the default).
    #[default]
    None,
    /// Every device of the tenant.
    All,
    /// The listed devices (ids).
    Custom { devices: Vec<String> },
}

impl Distribution {
    fn code(&self) -> &'static str {
        match self {
            Distribution::None => "none",
            Distribution::All => "all",
            Distribution::Custom { .. } => "custom",
        }
    }
}

/// A stored configuration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Configuration {
    pub id: String,
    pub plugin_id: String,
    /// One of the plugin's configuration kinds.
    pub kind: String,
    pub name: String,
    /// Higher wins when several configurations of one kind apply to a device.
    pub priority: i32,
    pub distribution: Distribution,
    /// The configuration in the plugin's own schema.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Configuration {
    /// The configuration as its plugin's hooks take it.
    pub fn to_plugin(&self) -> corral_plugin_runtime::api::Configuration {
        corral_plugin_runtime::api::Configuration {
            kind: self.kind.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            priority: self.priority,
            body: self.body.to_string(),
        }
    }
}

/// A configuration as an administrator writes it (already validated by its plugin).
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: String,
    pub name: String,
    pub priority: i32,
    pub distribution: Distribution,
    pub body: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    plugin_id: String,
    kind: String,
    name: String,
    priority: i64,
    distribution: String,
    body_json: String,
    created_at: i64,
    updated_at: i64,
}

const COLUMNS: &str =
    "id, plugin_id, kind, name, priority, distribution, body_json, created_at, updated_at";

fn check_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "give 1 to 200 characters"));
    }
    Ok(name.to_string())
}

/// The listed devices must be the tenant's own, each once.
async fn check_devices(scoped: &mut Scoped, distribution: &Distribution) -> Result<(), Error> {
    let Distribution::Custom { devices } = distribution else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    for (i, id) in devices.iter().enumerate() {
        let field = format!("distribution.devices[{i}]");
        if !seen.insert(id.as_str()) {
            return Err(Error::invalid(field, "this device is listed twice"));
        }
        match crate::devices::get(scoped, id).await {
            Ok(_) => {}
            Err(Error::NotFound(_)) => {
                return Err(Error::invalid(field, "no such device in this tenant"))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn load(scoped: &mut Scoped, row: Row) -> Result<Configuration, Error> {
    let distribution = match row.distribution.as_str() {
        "all" => Distribution::All,
        "custom" => {
            let tenant = scoped.tenant().as_str().to_string();
            let devices: Vec<String> = sqlx::query_scalar(
                "SELECT device_id FROM plugin_configuration_devices \
                 WHERE tenant_id = $1 AND configuration_id = $2 ORDER BY device_id",
            )
            .bind(tenant)
            .bind(&row.id)
            .fetch_all(scoped.conn())
            .await?;
            Distribution::Custom { devices }
        }
        _ => Distribution::None,
    };
    Ok(Configuration {
        body: serde_json::from_str(&row.body_json)
            .map_err(|e| Error::Internal(format!("stored configuration body: {e}")))?,
        id: row.id,
        plugin_id: row.plugin_id,
        kind: row.kind,
        name: row.name,
        priority: row.priority as i32,
        distribution,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn taken(result: Result<sqlx::any::AnyQueryResult, sqlx::Error>) -> Result<(), Error> {
    unique_as_conflict(result, "configuration_conflict", || {
        "another configuration of this kind has this name or this priority (the highest \
         applicable one wins, so priorities within a kind are distinct)"
            .into()
    })?;
    Ok(())
}

async fn write_devices(
    scoped: &mut Scoped,
    id: &str,
    distribution: &Distribution,
) -> Result<(), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query(
        "DELETE FROM plugin_configuration_devices WHERE tenant_id = $1 AND configuration_id = $2",
    )
    .bind(&tenant)
    .bind(id)
    .execute(scoped.conn())
    .await?;
    if let Distribution::Custom { devices } = distribution {
        for device in devices {
            sqlx::query(
                "INSERT INTO plugin_configuration_devices (configuration_id, tenant_id, \
                 device_id) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(&tenant)
            .bind(device)
            .execute(scoped.conn())
            .await?;
        }
    }
    Ok(())
}

/// Stores a new configuration of `plugin_id`.
pub async fn create(
    scoped: &mut Scoped,
    actor: &Actor,
    plugin_id: &str,
    draft: Draft,
) -> Result<Configuration, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let name = check_name(&draft.name)?;
    check_devices(scoped, &draft.distribution).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let (id, now) = (new_id(), now_ms());
    taken(
        sqlx::query(
            "INSERT INTO plugin_configurations (id, tenant_id, plugin_id, kind, name, priority, \
             distribution, body_json, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(&tenant)
        .bind(plugin_id)
        .bind(&draft.kind)
        .bind(&name)
        .bind(i64::from(draft.priority))
        .bind(draft.distribution.code())
        .bind(draft.body.to_string())
        .bind(now)
        .execute(scoped.conn())
        .await,
    )?;
    write_devices(scoped, &id, &draft.distribution).await?;
    deliveries::enqueue(scoped, plugin_id, &id, None, Some(&draft.distribution)).await?;
    let created = get(scoped, plugin_id, &id).await?;
    history::record(
        scoped,
        actor,
        Change::created("plugin_configuration", &id, &created),
    )
    .await?;
    Ok(created)
}

/// Replaces a configuration's name, priority, distribution and body (its kind stays).
pub async fn update(
    scoped: &mut Scoped,
    actor: &Actor,
    plugin_id: &str,
    id: &str,
    draft: Draft,
) -> Result<Configuration, Error> {
    let before = get(scoped, plugin_id, id).await?;
    if draft.kind != before.kind {
        return Err(Error::invalid(
            "kind",
            format!(
                "a configuration keeps its kind ({}); create a new one instead",
                before.kind
            ),
        ));
    }
    let name = check_name(&draft.name)?;
    check_devices(scoped, &draft.distribution).await?;
    let tenant = scoped.tenant().as_str().to_string();
    taken(
        sqlx::query(
            "UPDATE plugin_configurations SET name = $1, priority = $2, distribution = $3, \
             body_json = $4, updated_at = $5 WHERE tenant_id = $6 AND plugin_id = $7 AND id = $8",
        )
        .bind(&name)
        .bind(i64::from(draft.priority))
        .bind(draft.distribution.code())
        .bind(draft.body.to_string())
        .bind(now_ms())
        .bind(&tenant)
        .bind(plugin_id)
        .bind(id)
        .execute(scoped.conn())
        .await,
    )?;
    write_devices(scoped, id, &draft.distribution).await?;
    deliveries::enqueue(
        scoped,
        plugin_id,
        id,
        Some(&before.distribution),
        Some(&draft.distribution),
    )
    .await?;
    let after = get(scoped, plugin_id, id).await?;
    history::record(
        scoped,
        actor,
        Change::new(
            "plugin_configuration",
            id,
            "updated",
            Some(&before),
            Some(&after),
        ),
    )
    .await?;
    Ok(after)
}

/// Removes a configuration.
pub async fn delete(
    scoped: &mut Scoped,
    actor: &Actor,
    plugin_id: &str,
    id: &str,
) -> Result<(), Error> {
    let before = get(scoped, plugin_id, id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query("DELETE FROM plugin_configurations WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(scoped.conn())
        .await?;
    deliveries::enqueue(scoped, plugin_id, id, Some(&before.distribution), None).await?;
    history::record(
        scoped,
        actor,
        Change::deleted("plugin_configuration", id, &before),
    )
    .await
}

pub async fn get(scoped: &mut Scoped, plugin_id: &str, id: &str) -> Result<Configuration, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let row = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM plugin_configurations \
         WHERE tenant_id = $1 AND plugin_id = $2 AND id = $3"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .bind(id)
    .fetch_optional(scoped.conn())
    .await?
    .ok_or(Error::NotFound("configuration"))?;
    load(scoped, row).await
}

/// The plugin's configurations, by kind, highest priority first.
pub async fn list(scoped: &mut Scoped, plugin_id: &str) -> Result<Vec<Configuration>, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM plugin_configurations WHERE tenant_id = $1 AND plugin_id = $2 \
         ORDER BY kind, priority DESC"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .fetch_all(scoped.conn())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(load(scoped, row).await?);
    }
    Ok(out)
}

/// The configurations that apply to `device_id`: for each kind, the highest-priority one
/// distributed to the device (kinds with none are absent).
pub async fn applied(
    scoped: &mut Scoped,
    plugin_id: &str,
    device_id: &str,
) -> Result<Vec<Configuration>, Error> {
    crate::plugins::registry::require(scoped, plugin_id).await?;
    crate::devices::get(scoped, device_id).await?;
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM plugin_configurations c WHERE c.tenant_id = $1 \
         AND c.plugin_id = $2 AND (c.distribution = 'all' OR (c.distribution = 'custom' \
         AND EXISTS (SELECT 1 FROM plugin_configuration_devices d \
         WHERE d.configuration_id = c.id AND d.device_id = $3))) \
         ORDER BY c.kind, c.priority DESC"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .bind(device_id)
    .fetch_all(scoped.conn())
    .await?;
    let mut kinds = HashSet::new();
    let mut out = Vec::new();
    for row in rows {
        if kinds.insert(row.kind.clone()) {
            out.push(load(scoped, row).await?);
        }
    }
    Ok(out)
}

/// One problem the plugin found in a configuration body (or an action's input).
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// JSON Pointer into the configuration body.
    pub path: String,
    pub code: String,
    pub message: String,
}

/// The plugin's verdict on a configuration.
#[derive(Serialize, ToSchema)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<FieldProblem>,
}

/// A configuration rendered by its plugin into the vendor's document.
#[derive(Serialize, ToSchema)]
pub struct Rendered {
    pub media_type: String,
    /// The vendor document as the plugin produced it: JSON for `application/json` media
    /// types, a string otherwise.
    pub document: serde_json::Value,
}

/// A stored configuration and the change still on its way to the plugin, if any.
#[derive(Serialize, ToSchema)]
pub struct ConfigurationView {
    #[serde(flatten)]
    pub configuration: Configuration,
    pub delivery: Option<Delivery>,
}

/// What administrators do with plugins' configurations (SPEC E4): the plugin validates every
/// body before it is stored, and every change is delivered to it at once (or by the retrying
/// job).
impl AsAdmin<'_> {
    /// Asks the plugin whether a configuration is valid (nothing is stored).
    pub async fn validate_configuration(
        &self,
        plugin_id: &str,
        config: &api::Configuration,
    ) -> Result<Validation, HookError> {
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?;
        let result = installation.validate_config(config).await;
        let errors = hook(&installation, result)?;
        Ok(Validation {
            valid: errors.is_empty(),
            errors: errors
                .into_iter()
                .map(|e| FieldProblem {
                    path: e.path,
                    code: e.code,
                    message: e.message,
                })
                .collect(),
        })
    }

    /// Asks the plugin for the vendor document of a configuration (nothing is stored).
    pub async fn render_configuration(
        &self,
        plugin_id: &str,
        config: &api::Configuration,
    ) -> Result<Rendered, HookError> {
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?;
        let result = installation.render_config(config).await;
        let rendered = hook(&installation, result)?;
        // JSON documents are passed as JSON, anything else as a string.
        let document = if rendered.media_type.starts_with("application/json") {
            serde_json::from_str(&rendered.document).map_err(|e| HookError::Refused {
                plugin: installation.plugin().to_string(),
                message: format!("returned a document that is not the JSON it announced: {e}"),
            })?
        } else {
            serde_json::Value::String(rendered.document)
        };
        Ok(Rendered {
            media_type: rendered.media_type,
            document,
        })
    }

    /// The vendor document of a stored configuration, as the plugin renders it now (nothing
    /// is stored or delivered).
    pub async fn preview_configuration(
        &self,
        plugin_id: &str,
        id: &str,
    ) -> Result<Rendered, HookError> {
        let stored = get(&mut self.read().await?, plugin_id, id).await?;
        self.render_configuration(plugin_id, &stored.to_plugin())
            .await
    }

    pub async fn list_configurations(&self, plugin_id: &str) -> Result<Vec<Configuration>, Error> {
        list(&mut self.read().await?, plugin_id).await
    }

    pub async fn get_configuration(
        &self,
        plugin_id: &str,
        id: &str,
    ) -> Result<ConfigurationView, Error> {
        let found = get(&mut self.read().await?, plugin_id, id).await?;
        self.view(found).await
    }

    /// The configurations distributed to a device, of every kind of the plugin.
    pub async fn applied_configurations(
        &self,
        plugin_id: &str,
        device_id: &str,
    ) -> Result<Vec<Configuration>, Error> {
        applied(&mut self.read().await?, plugin_id, device_id).await
    }

    /// The priority a new configuration of `kind` gets by default: one above the highest of
    /// that kind (1 for the first). Asked by whoever may create one.
    pub async fn next_configuration_priority(
        &self,
        plugin_id: &str,
        kind: &str,
    ) -> Result<i32, Error> {
        self.require(Permission::ManagePlugins)?;
        let stored = list(&mut self.read().await?, plugin_id).await?;
        Ok(stored
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.priority.saturating_add(1))
            .max()
            .unwrap_or(1))
    }

    /// Stores a configuration the plugin accepts, then delivers it.
    pub async fn create_configuration(
        &self,
        plugin_id: &str,
        draft: Draft,
    ) -> Result<ConfigurationView, HookError> {
        self.require(Permission::ManagePlugins)?;
        let draft = self.accepted(plugin_id, "", draft).await?;
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        let created = create(&mut scoped, &self.actor(), plugin_id, draft).await?;
        scoped.commit().await?;
        self.deliver_now(&created.id).await;
        Ok(self.view(created).await?)
    }

    /// Replaces a configuration with one the plugin accepts, then delivers the change.
    pub async fn update_configuration(
        &self,
        plugin_id: &str,
        id: &str,
        draft: Draft,
    ) -> Result<ConfigurationView, HookError> {
        self.require(Permission::ManagePlugins)?;
        let draft = self.accepted(plugin_id, id, draft).await?;
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        let updated = update(&mut scoped, &self.actor(), plugin_id, id, draft).await?;
        scoped.commit().await?;
        self.deliver_now(&updated.id).await;
        Ok(self.view(updated).await?)
    }

    /// Deletes a configuration, then delivers its removal.
    pub async fn delete_configuration(&self, plugin_id: &str, id: &str) -> Result<(), Error> {
        let mut scoped = self.write(Permission::ManagePlugins).await?;
        delete(&mut scoped, &self.actor(), plugin_id, id).await?;
        scoped.commit().await?;
        self.deliver_now(id).await;
        Ok(())
    }

    /// The draft, once the plugin's `validate-config` found nothing wrong with it; otherwise
    /// 400 `invalid_configuration` naming the first field.
    async fn accepted(&self, plugin_id: &str, id: &str, draft: Draft) -> Result<Draft, HookError> {
        let installation = self
            .services
            .plugins()
            .for_call(self.tenant(), plugin_id)
            .await?;
        let config = api::Configuration {
            kind: draft.kind.clone(),
            id: id.to_string(),
            name: draft.name.clone(),
            priority: draft.priority,
            body: draft.body.to_string(),
        };
        let result = installation.validate_config(&config).await;
        let errors = hook(&installation, result)?;
        if let Some(first) = errors.first() {
            let message = errors
                .iter()
                .map(|e| format!("{} ({}): {}", e.path, e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(HookError::Setup(Error::Rejected {
                code: "invalid_configuration",
                field: format!("body{}", first.path),
                message,
            }));
        }
        Ok(draft)
    }

    async fn view(&self, configuration: Configuration) -> Result<ConfigurationView, Error> {
        let delivery = deliveries::pending(&mut self.read().await?, &configuration.id).await?;
        Ok(ConfigurationView {
            configuration,
            delivery,
        })
    }

    /// Delivers a change at once; when that fails the delivery job retries it.
    async fn deliver_now(&self, configuration: &str) {
        let (plugins, store) = (self.services.plugins(), self.services.store());
        if let Err(e) =
            deliveries::deliver(plugins, store, self.tenant(), Some(configuration)).await
        {
            tracing::warn!(error = %e, "configuration delivery could not run; the job will retry");
        }
    }
}
