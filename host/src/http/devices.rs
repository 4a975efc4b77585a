//! `/api/v1/devices`: the tenant's devices and the administrator's actions on them (SPEC D7):
//! retire, wipe, delete. Each leaves the device free to register again. A device a plugin
//! manages at its vendor (AMAPI) says so in its details (SPEC E1) and takes commands through
//! that plugin (SPEC E6): lock, reboot, sync, wipe.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::extract::{ApiJson, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::devices::commands::{CommandOutcome, CommandRequest};
use crate::devices::{Action, Device, DeviceDetails, DeviceQuery, OwnerRequest};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(get_device, delete_device))
        .routes(routes!(retire_device))
        .routes(routes!(wipe_device))
        .routes(routes!(send_command))
        .routes(routes!(set_owner))
}

/// Devices of your tenant, newest registration first (archived entries on request).
#[utoipa::path(get, path = "/api/v1/devices", tag = "devices", security(("session" = [])),
    params(DeviceQuery),
    responses((status = 200, body = Vec<Device>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list_devices(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> ApiResult<Json<Vec<Device>>> {
    Ok(Json(state.as_admin(&me).list_devices(&q).await?))
}

/// One device.
#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "devices", security(("session" = [])),
    responses((status = 200, body = DeviceDetails), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_device(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<DeviceDetails>> {
    Ok(Json(state.as_admin(&me).get_device(&id).await?))
}

/// Send a command (lock, reboot, sync, wipe) to a device through the plugin that manages it.
/// Recorded in the history with its outcome, done or not.
#[utoipa::path(post, path = "/api/v1/devices/{id}/commands", tag = "devices",
    security(("session" = [])), request_body = CommandRequest,
    responses((status = 200, body = CommandOutcome), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn send_command(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<CommandRequest>,
) -> ApiResult<Json<CommandOutcome>> {
    let outcome = state.as_admin(&me).send_device_command(&id, &request).await;
    Ok(Json(outcome.map_err(ApiError::from)?))
}

/// Link a discovered device to its user by hand (`null` unlinks it): for devices the vendor
/// reports without saying whose they are (Exchange Online's). Needs the *modify resource*
/// permission; recorded in the history.
#[utoipa::path(put, path = "/api/v1/devices/{id}/owner", tag = "devices",
    security(("session" = [])), request_body = OwnerRequest,
    responses((status = 200, body = Device), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn set_owner(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<OwnerRequest>,
) -> ApiResult<Json<Device>> {
    Ok(Json(
        state.as_admin(&me).set_device_owner(&id, &request).await?,
    ))
}

async fn act(
    state: &AppState,
    me: &CurrentAdmin,
    id: &str,
    action: Action,
) -> ApiResult<Json<Device>> {
    Ok(Json(state.as_admin(&me.0).act_on_device(id, action).await?))
}

/// Retire a device: it is no longer managed and may register again.
#[utoipa::path(post, path = "/api/v1/devices/{id}/retire", tag = "devices", security(("session" = [])),
    responses((status = 200, body = Device), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn retire_device(
    State(state): State<AppState>,
    me: CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<Device>> {
    act(&state, &me, &id, Action::Retire).await
}

/// Wipe a device: it is erased and may register again.
#[utoipa::path(post, path = "/api/v1/devices/{id}/wipe", tag = "devices", security(("session" = [])),
    responses((status = 200, body = Device), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn wipe_device(
    State(state): State<AppState>,
    me: CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<Device>> {
    act(&state, &me, &id, Action::Wipe).await
}

/// Delete a device's entry (its history stays); the device may register again.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "devices", security(("session" = [])),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_device(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_device(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
