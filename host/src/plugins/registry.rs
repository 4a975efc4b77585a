//! The plugin registry of each tenant (SPEC H3): uploads become numbered versions of the plugin
//! they name (its `describe().name`); one version at most is active; activating an older
//! version is the roll-back. A tenant allows capabilities per plugin; a version is granted what
//! it requests and the tenant allows, and cannot be activated while it imports more.

use corral_plugin_runtime::{api, Capability, CapabilitySet, Grants, InstallOptions, WorldVersion};
use serde::Serialize;
use utoipa::ToSchema;

use super::{content_hash, runtime_error, Plugins};
use crate::admins::Permission;
use crate::error::Error;
use crate::history::{self, Actor, Change};
use crate::services::AsAdmin;
use crate::store::{new_id, now_ms, Scoped, Store};
use crate::tenants::TenantId;

/// One uploaded version of a plugin.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginVersion {
    /// Upload number within the plugin: 1, 2, 3, ...
    pub seq: i64,
    /// The plugin's own version string.
    pub version: String,
    /// The `corral:plugin` WIT version it was built against.
    pub world_version: String,
    pub sha256: String,
    pub size: i64,
    pub requested_capabilities: Vec<String>,
    /// What the plugin said about itself (name, vendor, hooks, configuration kinds, ...).
    pub info: serde_json::Value,
    pub uploaded_by: String,
    pub created_at: i64,
    pub active: bool,
}

/// A plugin of the tenant with all its versions.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginSummary {
    pub id: String,
    pub name: String,
    pub vendor: String,
    /// `seq` of the active version, if any.
    pub active_version: Option<i64>,
    /// Capabilities the tenant allows this plugin.
    pub allowed_capabilities: Vec<String>,
    pub http_allow_hosts: Vec<String>,
    pub versions: Vec<PluginVersion>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) fn parse_caps(stored: &str) -> CapabilitySet {
    let mut set = CapabilitySet::empty();
    for c in stored.split(',').filter_map(Capability::from_interface) {
        set.insert(c);
    }
    set
}

fn caps_text(set: CapabilitySet) -> String {
    set.iter()
        .map(|c| c.interface())
        .collect::<Vec<_>>()
        .join(",")
}

fn caps_list(set: CapabilitySet) -> Vec<String> {
    set.iter().map(|c| c.interface().to_string()).collect()
}

fn split_list(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn api_cap(c: &api::Capability) -> Capability {
    match c {
        api::Capability::Logging => Capability::Logging,
        api::Capability::Kv => Capability::Kv,
        api::Capability::Http => Capability::Http,
        api::Capability::Directory => Capability::Directory,
        api::Capability::Clock => Capability::Clock,
    }
}

fn hook_name(h: &api::Hook) -> &'static str {
    match h {
        api::Hook::ValidateConfig => "validate-config",
        api::Hook::RenderConfig => "render-config",
        api::Hook::DecideEnrolment => "decide-enrolment",
        api::Hook::MapImportRows => "map-import-rows",
        api::Hook::TranslateCommand => "translate-command",
        api::Hook::EvaluateAccess => "evaluate-access",
        api::Hook::OnEvent => "on-event",
    }
}

fn extension_json(ext: &api::ExtensionInfo) -> serde_json::Value {
    serde_json::json!({
        "settings": ext.settings.iter().map(|s| serde_json::json!({
            "name": s.name, "description": s.description, "required": s.required,
        })).collect::<Vec<_>>(),
        "oauth_scopes": ext.oauth_scopes,
        "actions": ext.actions.iter().map(|a| serde_json::json!({
            "name": a.name, "description": a.description,
        })).collect::<Vec<_>>(),
    })
}

fn info_json(info: &api::PluginInfo, extension: Option<&api::ExtensionInfo>) -> serde_json::Value {
    serde_json::json!({
        "extension": extension.map(extension_json),
        "name": info.name,
        "vendor": info.vendor,
        "version": info.version,
        "hooks": info.hooks.iter().map(hook_name).collect::<Vec<_>>(),
        "capabilities": info.capabilities.iter().map(|c| api_cap(c).interface()).collect::<Vec<_>>(),
        "http_hosts": info.http_hosts,
        "config_kinds": info.config_kinds.iter().map(|k| serde_json::json!({
            "id": k.id,
            "display_name": k.display_name,
            "description": k.description,
            "json_schema": k.json_schema.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()),
        })).collect::<Vec<_>>(),
    })
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Validates, compiles and describes `bytes`, then stores them as the next version of the plugin
/// they name (creating the plugin on its first upload). Nothing is stored when any step fails.
pub async fn upload(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    uploaded_by: &str,
    bytes: &[u8],
) -> Result<(PluginSummary, i64), Error> {
    let runtime = plugins.runtime();
    let compiled = runtime.compile(bytes).await.map_err(runtime_error)?;
    // Describe it in a sandbox granted exactly what it imports, with nothing to reach.
    let probe = runtime
        .install_with_prewarm(
            &compiled,
            InstallOptions {
                tenant_id: tenant.as_str().to_string(),
                plugin_id: "(upload)".into(),
                version: "(upload)".into(),
                grants: Grants::intersect(
                    compiled.shape.capabilities,
                    compiled.shape.capabilities,
                    Vec::new(),
                ),
                limits: None,
            },
            0,
        )
        .map_err(runtime_error)?;
    let info = probe
        .describe()
        .await
        .map_err(|e| Error::invalid("component", format!("describe() failed: {e}")))?;
    if !valid_name(&info.name) {
        return Err(Error::invalid(
            "component",
            format!(
                "describe() names the plugin {:?}: use 1 to 64 of a-z 0-9 - _",
                info.name
            ),
        ));
    }
    let extension = probe
        .describe_extension()
        .await
        .map_err(|e| Error::invalid("component", format!("describe-extension() failed: {e}")))?;
    let mut requested = CapabilitySet::empty();
    for c in &info.capabilities {
        requested.insert(api_cap(c));
    }
    // 0.2.0: declaring settings or OAuth scopes is the request for `vendor`.
    if extension
        .as_ref()
        .is_some_and(|e| !e.settings.is_empty() || !e.oauth_scopes.is_empty())
    {
        requested.insert(Capability::Vendor);
    }
    // 0.4.0: exporting `devices` is the request for `inventory` (the 0.1.0 capability list of
    // describe() cannot name it).
    if compiled.shape.version >= WorldVersion::V0_4 {
        requested.insert(Capability::Inventory);
    }
    let undeclared = compiled.shape.capabilities.difference(requested);
    if !undeclared.is_empty() {
        return Err(Error::invalid(
            "component",
            format!(
                "imports {} without requesting it in describe() (or, for vendor, \
                 describe-extension(); for inventory, the devices export)",
                caps_text(undeclared)
            ),
        ));
    }

    let mut tx = store.scoped(tenant).await?;
    tx.lock_tenant().await?;
    let now = now_ms();
    let tenant_id = tenant.as_str().to_string();
    let existing: Option<String> =
        sqlx::query_scalar("SELECT id FROM plugins WHERE tenant_id = $1 AND name = $2")
            .bind(&tenant_id)
            .bind(&info.name)
            .fetch_optional(tx.conn())
            .await?;
    let plugin_id = match existing {
        Some(id) => id,
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO plugins (id, tenant_id, name, vendor, allowed_capabilities, http_allow_hosts, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, '', '', $5, $5)",
            )
            .bind(&id)
            .bind(&tenant_id)
            .bind(&info.name)
            .bind(&info.vendor)
            .bind(now)
            .execute(tx.conn())
            .await?;
            let created = serde_json::json!({ "name": info.name, "vendor": info.vendor });
            history::record(&mut tx, actor, Change::created("plugin", &id, &created)).await?;
            id
        }
    };
    let seq: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM plugin_versions WHERE tenant_id = $1 AND plugin_id = $2",
    )
    .bind(&tenant_id)
    .bind(&plugin_id)
    .fetch_one(tx.conn())
    .await?;
    let info = info_json(&info, extension.as_ref());
    sqlx::query(
        "INSERT INTO plugin_versions (id, tenant_id, plugin_id, seq, version, world_version, sha256, size, \
         component, requested_capabilities, info_json, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new_id())
    .bind(&tenant_id)
    .bind(&plugin_id)
    .bind(seq)
    .bind(info["version"].as_str().unwrap_or_default())
    .bind(compiled.shape.version.as_str())
    .bind(content_hash(bytes))
    .bind(bytes.len() as i64)
    .bind(bytes.to_vec())
    .bind(caps_text(requested))
    .bind(info.to_string())
    .bind(uploaded_by)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let uploaded = serde_json::json!({ "seq": seq, "version": info["version"], "sha256": content_hash(bytes) });
    history::record(
        &mut tx,
        actor,
        Change::new::<(), _>(
            "plugin",
            &plugin_id,
            "version_uploaded",
            None,
            Some(&uploaded),
        ),
    )
    .await?;
    let summary = get(&mut tx, &plugin_id).await?;
    tx.commit().await?;
    Ok((summary, seq))
}

#[derive(sqlx::FromRow)]
struct PluginRow {
    id: String,
    name: String,
    vendor: String,
    active_version_id: Option<String>,
    allowed_capabilities: String,
    http_allow_hosts: String,
    created_at: i64,
    updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: String,
    seq: i64,
    version: String,
    world_version: String,
    sha256: String,
    size: i64,
    requested_capabilities: String,
    info_json: String,
    uploaded_by: String,
    created_at: i64,
}

async fn summary(scoped: &mut Scoped, row: PluginRow) -> Result<PluginSummary, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let versions = sqlx::query_as::<_, VersionRow>(
        "SELECT id, seq, version, world_version, sha256, size, requested_capabilities, info_json, \
         uploaded_by, created_at FROM plugin_versions WHERE tenant_id = $1 AND plugin_id = $2 ORDER BY seq",
    )
    .bind(tenant)
    .bind(&row.id)
    .fetch_all(scoped.conn())
    .await?;
    let active_version = versions
        .iter()
        .find(|v| Some(&v.id) == row.active_version_id.as_ref())
        .map(|v| v.seq);
    Ok(PluginSummary {
        id: row.id,
        name: row.name,
        vendor: row.vendor,
        active_version,
        allowed_capabilities: caps_list(parse_caps(&row.allowed_capabilities)),
        http_allow_hosts: split_list(&row.http_allow_hosts),
        versions: versions
            .into_iter()
            .map(|v| PluginVersion {
                active: Some(v.seq) == active_version,
                seq: v.seq,
                version: v.version,
                world_version: v.world_version,
                sha256: v.sha256,
                size: v.size,
                requested_capabilities: caps_list(parse_caps(&v.requested_capabilities)),
                info: serde_json::from_str(&v.info_json).unwrap_or_default(),
                uploaded_by: v.uploaded_by,
                created_at: v.created_at,
            })
            .collect(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

const PLUGIN_COLUMNS: &str =
    "id, name, vendor, active_version_id, allowed_capabilities, http_allow_hosts, created_at, updated_at";

pub async fn list(scoped: &mut Scoped) -> Result<Vec<PluginSummary>, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    let rows = sqlx::query_as::<_, PluginRow>(&format!(
        "SELECT {PLUGIN_COLUMNS} FROM plugins WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(tenant)
    .fetch_all(scoped.conn())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(summary(scoped, row).await?);
    }
    Ok(out)
}

pub async fn get(scoped: &mut Scoped, plugin_id: &str) -> Result<PluginSummary, Error> {
    let row = plugin_row(scoped, plugin_id).await?;
    summary(scoped, row).await
}

/// Not found unless the tenant has this plugin (without building its summary).
pub(crate) async fn require(scoped: &mut Scoped, plugin_id: &str) -> Result<(), Error> {
    plugin_row(scoped, plugin_id).await.map(|_| ())
}

async fn plugin_row(scoped: &mut Scoped, plugin_id: &str) -> Result<PluginRow, Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as::<_, PluginRow>(&format!(
        "SELECT {PLUGIN_COLUMNS} FROM plugins WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(plugin_id)
    .fetch_optional(scoped.conn())
    .await?
    .ok_or(Error::NotFound("plugin"))
}

/// What it takes to install a plugin's active version.
pub(crate) struct ActiveVersion {
    pub version_id: String,
    pub name: String,
    /// `<version>#<seq>`, for errors and logs.
    pub label: String,
    pub requested: CapabilitySet,
    pub allowed: CapabilitySet,
    pub http_allow_hosts: Vec<String>,
    /// What the version's `extension-info` declares (0.2.0).
    pub oauth_scopes: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    name: String,
    allowed_capabilities: String,
    version_id: Option<String>,
    seq: i64,
    version: Option<String>,
    requested: String,
    http_allow_hosts: String,
    info_json: Option<String>,
}

pub(crate) async fn active_version(
    store: &Store,
    tenant: &TenantId,
    plugin_id: &str,
) -> Result<ActiveVersion, Error> {
    let mut read = store.scoped_read(tenant).await?;
    let row = sqlx::query_as::<_, ActiveRow>(
        "SELECT p.name, p.allowed_capabilities, v.id AS version_id, COALESCE(v.seq, 0) AS seq, \
         v.version, COALESCE(v.requested_capabilities, '') AS requested, p.http_allow_hosts, \
         v.info_json \
         FROM plugins p LEFT JOIN plugin_versions v ON v.id = p.active_version_id \
         WHERE p.tenant_id = $1 AND p.id = $2",
    )
    .bind(tenant.as_str())
    .bind(plugin_id)
    .fetch_optional(read.conn())
    .await?;
    let ActiveRow {
        name,
        allowed_capabilities: allowed,
        version_id,
        seq,
        version,
        requested,
        http_allow_hosts: hosts,
        info_json,
    } = row.ok_or(Error::NotFound("plugin"))?;
    let oauth_scopes = info_json
        .and_then(|i| serde_json::from_str::<serde_json::Value>(&i).ok())
        .and_then(|i| serde_json::from_value(i["extension"]["oauth_scopes"].clone()).ok())
        .unwrap_or_default();
    let version_id = version_id.ok_or(Error::Conflict {
        code: "plugin_inactive",
        message: format!("plugin {name} has no active version"),
    })?;
    Ok(ActiveVersion {
        version_id,
        label: format!("{}#{seq}", version.unwrap_or_default()),
        name,
        requested: parse_caps(&requested),
        allowed: parse_caps(&allowed),
        http_allow_hosts: split_list(&hosts),
        oauth_scopes,
    })
}

pub(crate) async fn component_bytes(
    store: &Store,
    tenant: &TenantId,
    version_id: &str,
) -> Result<Vec<u8>, Error> {
    let mut read = store.scoped_read(tenant).await?;
    sqlx::query_scalar("SELECT component FROM plugin_versions WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(version_id)
        .fetch_optional(read.conn())
        .await?
        .ok_or(Error::NotFound("plugin version"))
}

async fn version_row(
    scoped: &mut Scoped,
    plugin_id: &str,
    seq: i64,
) -> Result<(String, Vec<u8>, String), Error> {
    let tenant = scoped.tenant().as_str().to_string();
    sqlx::query_as(
        "SELECT id, component, requested_capabilities FROM plugin_versions \
                    WHERE tenant_id = $1 AND plugin_id = $2 AND seq = $3",
    )
    .bind(tenant)
    .bind(plugin_id)
    .bind(seq)
    .fetch_optional(scoped.conn())
    .await?
    .ok_or(Error::NotFound("plugin version"))
}

/// Makes version `seq` the active one (an earlier one: roll-back). Refused when the version
/// imports a capability the tenant does not allow.
pub async fn activate(
    plugins: &Plugins,
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    seq: i64,
) -> Result<PluginSummary, Error> {
    // Compile (usually a cache hit) before taking the write transaction: on SQLite that
    // transaction holds the database's write lock.
    let (version_id, bytes, _requested) = {
        let mut read = store.scoped_read(tenant).await?;
        version_row(&mut read, plugin_id, seq).await?
    };
    let compiled = plugins
        .runtime()
        .compile(&bytes)
        .await
        .map_err(runtime_error)?;
    let mut tx = store.scoped(tenant).await?;
    let before = get(&mut tx, plugin_id).await?;
    if !before.versions.iter().any(|v| v.seq == seq) {
        return Err(Error::NotFound("plugin version")); // removed meanwhile
    }
    let allowed = parse_caps(&before.allowed_capabilities.join(","));
    let missing = compiled.shape.capabilities.difference(allowed);
    if !missing.is_empty() {
        return Err(Error::Conflict {
            code: "capability_not_allowed",
            message: format!(
                "version {seq} imports {} which this tenant does not allow the plugin; allow it first",
                caps_text(missing)
            ),
        });
    }
    let action = match before.active_version {
        Some(previous) if previous > seq => "rolled_back",
        _ => "activated",
    };
    set_active(tx, actor, &before, Some((&version_id, seq)), action).await
}

pub async fn deactivate(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
) -> Result<PluginSummary, Error> {
    let mut tx = store.scoped(tenant).await?;
    let before = get(&mut tx, plugin_id).await?;
    set_active(tx, actor, &before, None, "deactivated").await
}

/// Points the plugin at `version` (id, seq) or at none, records `action` with the active
/// version before and after, commits, and returns the plugin as it now is.
async fn set_active(
    mut tx: Scoped,
    actor: &Actor,
    before: &PluginSummary,
    version: Option<(&str, i64)>,
    action: &'static str,
) -> Result<PluginSummary, Error> {
    let tenant = tx.tenant().as_str().to_string();
    sqlx::query("UPDATE plugins SET active_version_id = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(version.map(|(id, _)| id))
        .bind(now_ms())
        .bind(&tenant)
        .bind(&before.id)
        .execute(tx.conn())
        .await?;
    history::record(
        &mut tx,
        actor,
        Change::new(
            "plugin",
            &before.id,
            action,
            Some(&serde_json::json!({ "active_version": before.active_version })),
            Some(&serde_json::json!({ "active_version": version.map(|(_, seq)| seq) })),
        ),
    )
    .await?;
    let after = get(&mut tx, &before.id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Sets the capabilities (and HTTPS hosts) the tenant allows the plugin. Refused when the
/// active version imports a capability that would no longer be allowed.
pub async fn set_grants(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    capabilities: &[String],
    http_allow_hosts: &[String],
) -> Result<PluginSummary, Error> {
    Error::refuse_repeats("capabilities", capabilities)?;
    Error::refuse_repeats("http_allow_hosts", http_allow_hosts)?;
    let mut allowed = CapabilitySet::empty();
    for (i, name) in capabilities.iter().enumerate() {
        let cap = Capability::from_interface(name).ok_or_else(|| {
            Error::invalid(
                format!("capabilities[{i}]"),
                "use logging, kv, http, directory, clock, vendor or inventory",
            )
        })?;
        allowed.insert(cap);
    }
    for (i, host) in http_allow_hosts.iter().enumerate() {
        let bare = host.strip_prefix("*.").unwrap_or(host);
        let ok = !bare.is_empty()
            && bare.len() <= 253
            && bare.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !ok {
            return Err(Error::invalid(
                format!("http_allow_hosts[{i}]"),
                "give a host name such as api.example.com or *.example.com (no scheme, port or path)",
            ));
        }
    }
    let mut tx = store.scoped(tenant).await?;
    let before = get(&mut tx, plugin_id).await?;
    if let Some(seq) = before.active_version {
        let active = before
            .versions
            .iter()
            .find(|v| v.seq == seq)
            .expect("active version listed");
        let imported = parse_caps(&active.requested_capabilities.join(","));
        let lost = imported.difference(allowed);
        if !lost.is_empty() {
            return Err(Error::Conflict {
                code: "capability_in_use",
                message: format!(
                    "the active version {seq} needs {}; deactivate it or activate another version first",
                    caps_text(lost)
                ),
            });
        }
    }
    sqlx::query(
        "UPDATE plugins SET allowed_capabilities = $1, http_allow_hosts = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND id = $5",
    )
    .bind(caps_text(allowed))
    .bind(http_allow_hosts.join(","))
    .bind(now_ms())
    .bind(tenant.as_str())
    .bind(plugin_id)
    .execute(tx.conn())
    .await?;
    let after = get(&mut tx, plugin_id).await?;
    history::record(
        &mut tx,
        actor,
        Change::new(
            "plugin",
            plugin_id,
            "grants_changed",
            Some(&serde_json::json!({ "capabilities": before.allowed_capabilities, "http_allow_hosts": before.http_allow_hosts })),
            Some(&serde_json::json!({ "capabilities": after.allowed_capabilities, "http_allow_hosts": after.http_allow_hosts })),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes one version; the active version cannot be removed.
pub async fn delete_version(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
    seq: i64,
) -> Result<PluginSummary, Error> {
    let mut tx = store.scoped(tenant).await?;
    let before = get(&mut tx, plugin_id).await?;
    if before.active_version == Some(seq) {
        return Err(Error::Conflict {
            code: "version_active",
            message: format!(
                "version {seq} is active; activate another version or deactivate first"
            ),
        });
    }
    let (version_id, _, _) = version_row(&mut tx, plugin_id, seq).await?;
    sqlx::query("DELETE FROM plugin_versions WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str())
        .bind(&version_id)
        .execute(tx.conn())
        .await?;
    history::record(
        &mut tx,
        actor,
        Change::new::<_, ()>(
            "plugin",
            plugin_id,
            "version_removed",
            Some(&serde_json::json!({ "seq": seq })),
            None,
        ),
    )
    .await?;
    let after = get(&mut tx, plugin_id).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes a plugin with all its versions and stored data.
pub async fn delete(
    store: &Store,
    tenant: &TenantId,
    actor: &Actor,
    plugin_id: &str,
) -> Result<(), Error> {
    let mut tx = store.scoped(tenant).await?;
    let before = get(&mut tx, plugin_id).await?;
    let tenant_id = tenant.as_str().to_string();
    sqlx::query("DELETE FROM plugin_kv WHERE tenant_id = $1 AND plugin = $2")
        .bind(&tenant_id)
        .bind(&before.name)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM plugin_versions WHERE tenant_id = $1 AND plugin_id = $2")
        .bind(&tenant_id)
        .bind(plugin_id)
        .execute(tx.conn())
        .await?;
    sqlx::query("DELETE FROM plugins WHERE tenant_id = $1 AND id = $2")
        .bind(&tenant_id)
        .bind(plugin_id)
        .execute(tx.conn())
        .await?;
    let gone = serde_json::json!({ "name": before.name, "versions": before.versions.len() });
    history::record(&mut tx, actor, Change::deleted("plugin", plugin_id, &gone)).await?;
    tx.commit().await?;
    Ok(())
}

/// What administrators do with the tenant's plugins (SPEC H3). Every administrator may read
/// them; changing them needs the permission to manage plugins.
impl AsAdmin<'_> {
    pub async fn list_plugins(&self) -> Result<Vec<PluginSummary>, Error> {
        list(&mut self.read().await?).await
    }

    pub async fn get_plugin(&self, plugin_id: &str) -> Result<PluginSummary, Error> {
        get(&mut self.read().await?, plugin_id).await
    }

    /// Stores an uploaded component as a new version (validated and compiled first); answers
    /// the plugin and the new version's `seq`.
    pub async fn upload_plugin(&self, bytes: &[u8]) -> Result<(PluginSummary, i64), Error> {
        self.require(Permission::ManagePlugins)?;
        let (plugins, store) = (self.services.plugins(), self.services.store());
        let email = &self.me.admin.email;
        upload(plugins, store, self.tenant(), &self.actor(), email, bytes).await
    }

    /// Activates version `seq` (an earlier one than the active version rolls back); the
    /// installation of the version it replaces is let go.
    pub async fn activate_plugin(&self, plugin_id: &str, seq: i64) -> Result<PluginSummary, Error> {
        self.require(Permission::ManagePlugins)?;
        let (plugins, store) = (self.services.plugins(), self.services.store());
        let summary =
            activate(plugins, store, self.tenant(), &self.actor(), plugin_id, seq).await?;
        plugins.forget(plugin_id);
        Ok(summary)
    }

    pub async fn deactivate_plugin(&self, plugin_id: &str) -> Result<PluginSummary, Error> {
        self.require(Permission::ManagePlugins)?;
        let store = self.services.store();
        let summary = deactivate(store, self.tenant(), &self.actor(), plugin_id).await?;
        self.services.plugins().forget(plugin_id);
        Ok(summary)
    }

    /// Sets the capabilities the tenant allows the plugin and the hosts its HTTPS may reach.
    pub async fn set_plugin_grants(
        &self,
        plugin_id: &str,
        capabilities: &[String],
        http_allow_hosts: &[String],
    ) -> Result<PluginSummary, Error> {
        self.require(Permission::ManagePlugins)?;
        let (store, actor) = (self.services.store(), self.actor());
        let tenant = self.tenant();
        set_grants(
            store,
            tenant,
            &actor,
            plugin_id,
            capabilities,
            http_allow_hosts,
        )
        .await
    }

    pub async fn delete_plugin_version(
        &self,
        plugin_id: &str,
        seq: i64,
    ) -> Result<PluginSummary, Error> {
        self.require(Permission::ManagePlugins)?;
        let store = self.services.store();
        let summary = delete_version(store, self.tenant(), &self.actor(), plugin_id, seq).await?;
        self.services.plugins().forget(plugin_id);
        Ok(summary)
    }

    /// Removes the plugin and lets go of its installation.
    pub async fn delete_plugin(&self, plugin_id: &str) -> Result<(), Error> {
        self.require(Permission::ManagePlugins)?;
        delete(
            self.services.store(),
            self.tenant(),
            &self.actor(),
            plugin_id,
        )
        .await?;
        self.services.plugins().forget(plugin_id);
        Ok(())
    }
}
