//! `/api/v1/plugins`: the tenant's plugins (SPEC H3). Upload a component (raw bytes,
//! `Content-Type: application/wasm`), list, allow capabilities, activate a version (an earlier
//! one rolls back), deactivate, remove; and call a plugin's configuration hooks.

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use corral_plugin_runtime::{api, CallError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, NoBody, PluginJson};
use super::session::CurrentAdmin;
use super::AppState;
use crate::configurations::{
    Configuration, ConfigurationView, Distribution, Draft, Rendered, Validation,
};
use crate::plugins::{HookError, PluginSummary};
use crate::vendor_access::{CredentialInput, VendorAccess};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_plugins, upload_plugin))
        .routes(routes!(get_plugin, delete_plugin))
        .routes(routes!(activate_plugin))
        .routes(routes!(deactivate_plugin))
        .routes(routes!(set_grants))
        .routes(routes!(delete_version))
        .routes(routes!(validate_configuration))
        .routes(routes!(render_configuration))
        .routes(routes!(list_configurations, create_configuration))
        .routes(routes!(
            get_configuration,
            update_configuration,
            delete_configuration
        ))
        .routes(routes!(applied_configurations))
        .routes(routes!(sync_devices))
        .routes(routes!(get_vendor_access))
        .routes(routes!(set_vendor_settings))
        .routes(routes!(set_vendor_credential, delete_vendor_credential))
        .routes(routes!(perform_action))
}

impl From<HookError> for ApiError {
    fn from(e: HookError) -> ApiError {
        match e {
            HookError::Setup(e) => e.into(),
            HookError::Refused { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "plugin_refused",
                e.to_string(),
            ),
            HookError::Failed(CallError::Busy(_, ref busy)) | HookError::Busy(_, ref busy) => {
                ApiError {
                    retry_after: Some(busy.retry_after.as_secs().max(1) as i64),
                    ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "plugin_busy", e.to_string())
                }
            }
            HookError::Failed(failure) => {
                tracing::warn!(error = %failure, "plugin call failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "plugin_failed",
                    failure.to_string(),
                )
            }
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    plugin: PluginSummary,
    /// `seq` of the version just stored (not active until activated).
    version: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// `seq` of the version to activate; an earlier one than the active version rolls back.
    version: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantsRequest {
    /// Capabilities the tenant allows: logging, kv, http, directory, clock, vendor, inventory. A version is
    /// granted those it requests among them.
    capabilities: Vec<String>,
    /// Hosts outbound HTTPS may reach (`api.example.com`, `*.example.com`).
    #[serde(default)]
    http_allow_hosts: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigurationRequest {
    /// One of the plugin's configuration kinds.
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    priority: i32,
    /// The configuration in the plugin's own schema.
    body: serde_json::Value,
}

impl From<ConfigurationRequest> for api::Configuration {
    fn from(r: ConfigurationRequest) -> api::Configuration {
        api::Configuration {
            kind: r.kind,
            id: r.id,
            name: r.name,
            priority: r.priority,
            body: r.body.to_string(),
        }
    }
}

/// Plugins of your tenant with their versions.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "plugins", security(("session" = [])),
    responses((status = 200, body = Vec<PluginSummary>), (status = 401, body = ErrorBody)))]
async fn list_plugins(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Vec<PluginSummary>>> {
    Ok(Json(state.as_admin(&me).list_plugins().await?))
}

/// Upload a component as a new version of the plugin it names. It is validated (a component,
/// a supported `corral:plugin` version, no import beyond the grantable capabilities) and
/// compiled before anything is stored; it is not active until activated.
#[utoipa::path(post, path = "/api/v1/plugins", tag = "plugins", security(("session" = [])),
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses((status = 201, body = Uploaded), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn upload_plugin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    request: Request,
) -> ApiResult<impl IntoResponse> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !["application/wasm", "application/octet-stream"].contains(&content_type) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the component's bytes with Content-Type: application/wasm",
        ));
    }
    let limit = state.plugins().runtime().config().max_upload_bytes;
    let bytes = to_bytes(request.into_body(), limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "plugin_too_large",
            format!("a plugin may be at most {limit} bytes"),
        )
        .with_field("component")
    })?;
    let (plugin, version) = state.as_admin(&me).upload_plugin(&bytes).await?;
    Ok((StatusCode::CREATED, Json(Uploaded { plugin, version })))
}

/// One plugin of your tenant.
#[utoipa::path(get, path = "/api/v1/plugins/{id}", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginSummary), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_plugin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<PluginSummary>> {
    Ok(Json(state.as_admin(&me).get_plugin(&id).await?))
}

/// Remove a plugin, all its versions and its stored data.
#[utoipa::path(delete, path = "/api/v1/plugins/{id}", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_plugin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_plugin(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Activate a version (an earlier one than the active version rolls back).
#[utoipa::path(post, path = "/api/v1/plugins/{id}/activate", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")), request_body = ActivateRequest,
    responses((status = 200, body = PluginSummary), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn activate_plugin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ActivateRequest>,
) -> ApiResult<Json<PluginSummary>> {
    Ok(Json(
        state
            .as_admin(&me)
            .activate_plugin(&id, req.version)
            .await?,
    ))
}

/// Deactivate the plugin (no version runs).
#[utoipa::path(post, path = "/api/v1/plugins/{id}/deactivate", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = PluginSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn deactivate_plugin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<PluginSummary>> {
    Ok(Json(state.as_admin(&me).deactivate_plugin(&id).await?))
}

/// Set the capabilities (and HTTPS hosts) your tenant allows the plugin.
#[utoipa::path(put, path = "/api/v1/plugins/{id}/grants", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")), request_body = GrantsRequest,
    responses((status = 200, body = PluginSummary), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn set_grants(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<GrantsRequest>,
) -> ApiResult<Json<PluginSummary>> {
    let summary = state
        .as_admin(&me)
        .set_plugin_grants(&id, &req.capabilities, &req.http_allow_hosts)
        .await?;
    Ok(Json(summary))
}

/// Remove one version (not the active one).
#[utoipa::path(delete, path = "/api/v1/plugins/{id}/versions/{version}", tag = "plugins",
    security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"), ("version" = i64, Path, description = "Version seq")),
    responses((status = 200, body = PluginSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_version(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, version)): Path<(String, String)>,
    _body: NoBody,
) -> ApiResult<Json<PluginSummary>> {
    let seq = version.parse::<i64>().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "plugin version not found",
        )
    })?;
    Ok(Json(
        state.as_admin(&me).delete_plugin_version(&id, seq).await?,
    ))
}

/// Ask the active version to validate a configuration; returns field-level problems.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/validate", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")), request_body = ConfigurationRequest,
    responses((status = 200, body = Validation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn validate_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ConfigurationRequest>,
) -> ApiResult<Json<Validation>> {
    let config = req.into();
    Ok(Json(
        state
            .as_admin(&me)
            .validate_configuration(&id, &config)
            .await?,
    ))
}

/// Ask the active version to turn a configuration into its vendor document.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/render", tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id")), request_body = ConfigurationRequest,
    responses((status = 200, body = Rendered), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn render_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ConfigurationRequest>,
) -> ApiResult<Json<Rendered>> {
    let config = req.into();
    Ok(Json(
        state
            .as_admin(&me)
            .render_configuration(&id, &config)
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredConfigurationRequest {
    /// One of the plugin's configuration kinds (fixed once created).
    kind: String,
    name: String,
    /// Higher wins when several configurations of one kind apply to a device; distinct
    /// within a kind.
    priority: i32,
    /// Which devices it applies to; no device when omitted.
    #[serde(default)]
    distribution: Distribution,
    /// The configuration in the plugin's own schema.
    body: serde_json::Value,
}

impl From<StoredConfigurationRequest> for Draft {
    fn from(r: StoredConfigurationRequest) -> Draft {
        Draft {
            kind: r.kind,
            name: r.name,
            priority: r.priority,
            distribution: r.distribution,
            body: r.body,
        }
    }
}

/// The plugin's stored configurations, by kind, highest priority first.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/configurations", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = [Configuration]), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_configurations(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Configuration>>> {
    Ok(Json(state.as_admin(&me).list_configurations(&id).await?))
}

/// Store a configuration, once the plugin's active version finds it valid: its field problems
/// are refused as a 400 naming the first field (`body` + JSON Pointer) and listing all of them;
/// nothing is stored unless the plugin finds nothing wrong.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/configurations", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    request_body = StoredConfigurationRequest,
    responses((status = 201, body = ConfigurationView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn create_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StoredConfigurationRequest>,
) -> ApiResult<(StatusCode, Json<ConfigurationView>)> {
    let created = state
        .as_admin(&me)
        .create_configuration(&id, req.into())
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One stored configuration.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/configurations/{configuration}", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id"),
        ("configuration" = String, Path, description = "Configuration id")),
    responses((status = 200, body = ConfigurationView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, configuration)): Path<(String, String)>,
) -> ApiResult<Json<ConfigurationView>> {
    let me = state.as_admin(&me);
    Ok(Json(me.get_configuration(&id, &configuration).await?))
}

/// Replace a configuration's name, priority, distribution and body (validated by the plugin
/// first); its kind cannot change.
#[utoipa::path(put, path = "/api/v1/plugins/{id}/configurations/{configuration}", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id"),
        ("configuration" = String, Path, description = "Configuration id")),
    request_body = StoredConfigurationRequest,
    responses((status = 200, body = ConfigurationView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn update_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, configuration)): Path<(String, String)>,
    ApiJson(req): ApiJson<StoredConfigurationRequest>,
) -> ApiResult<Json<ConfigurationView>> {
    let me = state.as_admin(&me);
    let updated = me
        .update_configuration(&id, &configuration, req.into())
        .await?;
    Ok(Json(updated))
}

/// Remove a configuration.
#[utoipa::path(delete, path = "/api/v1/plugins/{id}/configurations/{configuration}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("configuration" = String, Path, description = "Configuration id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_configuration(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, configuration)): Path<(String, String)>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    let me = state.as_admin(&me);
    me.delete_configuration(&id, &configuration).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The configurations of this plugin that apply to a device: per kind, the highest-priority
/// one distributed to it.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/devices/{device}/configurations",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("device" = String, Path, description = "Device id")),
    responses((status = 200, body = [Configuration]), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn applied_configurations(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, device)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Configuration>>> {
    let me = state.as_admin(&me);
    Ok(Json(me.applied_configurations(&id, &device).await?))
}

/// How many devices the plugin reported.
#[derive(Serialize, ToSchema)]
pub struct Synced {
    reported: u32,
}

/// Bring the device inventory up to date now: the plugin reports every device its vendor lists
/// (the scheduled job does the same every `CORRAL_PLUGIN_INVENTORY_SECS`).
#[utoipa::path(post, path = "/api/v1/plugins/{id}/devices/sync", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = Synced), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn sync_devices(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<Synced>> {
    let reported = state.as_admin(&me).sync_plugin_devices(&id).await?;
    Ok(Json(Synced { reported }))
}

/// The plugin's settings and credential summary in this tenant (never the credential itself).
#[utoipa::path(get, path = "/api/v1/plugins/{id}/vendor", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = VendorAccess), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_vendor_access(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<VendorAccess>> {
    Ok(Json(state.as_admin(&me).vendor_access(&id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    /// Every setting, by name (replaces the stored ones). Only names the plugin declares.
    settings: std::collections::BTreeMap<String, String>,
}

/// Replace the plugin's settings (the names its latest version declares).
#[utoipa::path(put, path = "/api/v1/plugins/{id}/vendor/settings", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    request_body = SettingsRequest,
    responses((status = 200, body = VendorAccess), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn set_vendor_settings(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SettingsRequest>,
) -> ApiResult<Json<VendorAccess>> {
    let me = state.as_admin(&me);
    Ok(Json(me.set_vendor_settings(&id, req.settings).await?))
}

/// Set (or replace) the credential the host uses for the plugin's vendor calls. It is stored
/// encrypted and never returned.
#[utoipa::path(put, path = "/api/v1/plugins/{id}/vendor/credential", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    request_body = CredentialInput,
    responses((status = 200, body = VendorAccess), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn set_vendor_credential(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CredentialInput>,
) -> ApiResult<Json<VendorAccess>> {
    Ok(Json(
        state.as_admin(&me).set_vendor_credential(&id, req).await?,
    ))
}

/// Remove the plugin's credential.
#[utoipa::path(delete, path = "/api/v1/plugins/{id}/vendor/credential", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = VendorAccess), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_vendor_credential(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<VendorAccess>> {
    Ok(Json(
        state.as_admin(&me).delete_vendor_credential(&id).await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ActionResult {
    /// The plugin's answer, in its own schema.
    result: serde_json::Value,
}

/// Ask the active version to perform one of its administrator actions (`corral:plugin@0.2.0`
/// `extension.perform`); input and answer are JSON in the plugin's own schema.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/actions/{action}", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id"),
        ("action" = String, Path, description = "Action name, as the plugin lists it")),
    request_body = Object,
    responses((status = 200, body = ActionResult), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn perform_action(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, action)): Path<(String, String)>,
    PluginJson(input): PluginJson<serde_json::Value>,
) -> ApiResult<Json<ActionResult>> {
    let me = state.as_admin(&me);
    let result = me.perform_plugin_action(&id, &action, &input).await?;
    Ok(Json(ActionResult { result }))
}
