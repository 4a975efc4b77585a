//! `/api/v1/plugins/{id}/enrolment-profiles` (SPEC E2): enrolment profiles whose token the
//! plugin creates at its vendor (`enrolment-tokens`, corral:plugin@0.3.0), and their QR codes.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::enrolment_profiles::{NewProfile, Profile};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_profiles, create_profile))
        .routes(routes!(get_profile, update_profile, delete_profile))
        .routes(routes!(profile_qr))
}

/// The plugin's enrolment profiles (SPEC E2), by name.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/enrolment-profiles", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = [Profile]), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_profiles(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Profile>>> {
    Ok(Json(
        state.as_admin(&me).list_enrolment_profiles(&id).await?,
    ))
}

/// Create an enrolment profile: the plugin's active version creates its token at the vendor
/// (`enrolment-tokens`, corral:plugin@0.3.0) before anything is stored.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/enrolment-profiles", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    request_body = NewProfile,
    responses((status = 201, body = Profile), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn create_profile(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewProfile>,
) -> ApiResult<(StatusCode, Json<Profile>)> {
    let me = state.as_admin(&me);
    let created = me.create_enrolment_profile(&id, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One enrolment profile, with its token.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/enrolment-profiles/{profile}", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id"),
        ("profile" = String, Path, description = "Profile id")),
    responses((status = 200, body = Profile), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_profile(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, profile)): Path<(String, String)>,
) -> ApiResult<Json<Profile>> {
    let me = state.as_admin(&me);
    Ok(Json(me.get_enrolment_profile(&id, &profile).await?))
}

/// Change a profile's validity (`{"validity_days": 1..30}`); a new token replaces the old one.
/// Every other field is fixed at creation (400 naming it).
#[utoipa::path(patch, path = "/api/v1/plugins/{id}/enrolment-profiles/{profile}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("profile" = String, Path, description = "Profile id")),
    request_body = Object,
    responses((status = 200, body = Profile), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn update_profile(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, profile)): Path<(String, String)>,
    ApiJson(changes): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<Json<Profile>> {
    let me = state.as_admin(&me);
    Ok(Json(
        me.update_enrolment_profile(&id, &profile, changes).await?,
    ))
}

/// Delete a profile (and its token at the vendor).
#[utoipa::path(delete, path = "/api/v1/plugins/{id}/enrolment-profiles/{profile}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("profile" = String, Path, description = "Profile id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_profile(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, profile)): Path<(String, String)>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    let me = state.as_admin(&me);
    me.delete_enrolment_profile(&id, &profile).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The profile's QR code (SVG): what a device scans to enrol (for Android, the provisioning
/// JSON as the vendor returned it).
#[utoipa::path(get, path = "/api/v1/plugins/{id}/enrolment-profiles/{profile}/qr",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("profile" = String, Path, description = "Profile id")),
    responses((status = 200, content_type = "image/svg+xml", body = String),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn profile_qr(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, profile)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let svg = state
        .as_admin(&me)
        .enrolment_profile_qr(&id, &profile)
        .await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}
