//! `/api/v1/apple`: the tenant's Apple PKI as administrators need to see it (SPEC D3): the
//! certificate authority that issues device identities and signs profiles (through its
//! profile-signing certificate). Made on first request when the tenant has none yet. And the
//! queue of MDM commands to enrolled Apple devices and the APNs push certificate that wakes
//! them (issue 25).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::apple::commands::{CommandQuery, EnqueueRequest, QueuedCommand};
use crate::apple::pki::Certificates;
use crate::apple::push_certificate::{PushCertificate, PushCertificateUpload};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(certificates))
        .routes(routes!(list_commands, enqueue_commands))
        .routes(routes!(get_command))
        .routes(routes!(cancel_command))
        .routes(routes!(push_certificate, upload_push_certificate))
}

/// Your tenant's APNs push certificate: its topic and expiry (404 before the first upload).
#[utoipa::path(get, path = "/api/v1/apple/push-certificate", tag = "apple",
    security(("session" = [])),
    responses((status = 200, body = PushCertificate), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn push_certificate(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<PushCertificate>> {
    Ok(Json(state.as_admin(&me).push_certificate().await?))
}

/// Upload your tenant's APNs push certificate and its key (the key is sealed, never shown).
/// Its topic becomes the one new profiles name; a certificate whose topic is not the one
/// enrolled devices listen on is refused (409 `topic_change`) unless `confirm_topic_change`.
#[utoipa::path(put, path = "/api/v1/apple/push-certificate", tag = "apple",
    security(("session" = [])),
    request_body = PushCertificateUpload,
    responses((status = 200, body = PushCertificate), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn upload_push_certificate(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(upload): ApiJson<PushCertificateUpload>,
) -> ApiResult<Json<PushCertificate>> {
    Ok(Json(
        state.as_admin(&me).upload_push_certificate(&upload).await?,
    ))
}

/// Your tenant's certificate authority and profile-signing certificate.
#[utoipa::path(get, path = "/api/v1/apple/certificates", tag = "apple", security(("session" = [])),
    responses((status = 200, body = Certificates), (status = 401, body = ErrorBody)))]
async fn certificates(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Certificates>> {
    Ok(Json(state.as_admin(&me).apple_certificates().await?))
}

/// Enqueue an MDM command for enrolled Apple devices (one or many); each device gets it at its
/// next poll of the command channel. An erase needs the permission to delete devices.
#[utoipa::path(post, path = "/api/v1/apple/commands", tag = "apple", security(("session" = [])),
    request_body = EnqueueRequest,
    responses((status = 201, body = Vec<QueuedCommand>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn enqueue_commands(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(request): ApiJson<EnqueueRequest>,
) -> ApiResult<(StatusCode, Json<Vec<QueuedCommand>>)> {
    let queued = state.as_admin(&me).enqueue_apple_commands(&request).await?;
    Ok((StatusCode::CREATED, Json(queued)))
}

/// The tenant's MDM commands, newest first, with their status and the devices' answers.
#[utoipa::path(get, path = "/api/v1/apple/commands", tag = "apple", security(("session" = [])),
    params(CommandQuery),
    responses((status = 200, body = Vec<QueuedCommand>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list_commands(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<CommandQuery>,
) -> ApiResult<Json<Vec<QueuedCommand>>> {
    Ok(Json(state.as_admin(&me).apple_commands(&q).await?))
}

/// One MDM command (its `CommandUUID`).
#[utoipa::path(get, path = "/api/v1/apple/commands/{id}", tag = "apple",
    security(("session" = [])),
    responses((status = 200, body = QueuedCommand), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_command(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<QueuedCommand>> {
    Ok(Json(state.as_admin(&me).apple_command(&id).await?))
}

/// Cancel a command the device has not answered: it is not sent any more (409 once answered).
#[utoipa::path(post, path = "/api/v1/apple/commands/{id}/cancel", tag = "apple",
    security(("session" = [])),
    responses((status = 200, body = QueuedCommand), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn cancel_command(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<Json<QueuedCommand>> {
    Ok(Json(state.as_admin(&me).cancel_apple_command(&id).await?))
}
