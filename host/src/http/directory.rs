//! `/api/v1/directory`: the tenant's LDAP directory (SPEC B1): its settings, searching it and
//! importing chosen entries as directory users. Talking to the directory never happens inside
//! a database transaction; a directory that is down or refuses answers 502 with the cause,
//! and nothing changes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::session::CurrentAdmin;
use super::AppState;
use crate::directory::{Found, NewSettings, Settings};
use crate::users::User;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_directory, put_directory))
        .routes(routes!(search_directory))
        .routes(routes!(import_users))
}

/// The directory settings (never the service account's password).
#[utoipa::path(get, path = "/api/v1/directory", tag = "directory", security(("session" = [])),
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_directory(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.as_admin(&me).directory_settings().await?))
}

/// Configure the directory. The settings are tried first (the service account binds and
/// searches once); a directory that cannot be reached or refuses them answers 502 and nothing
/// is stored. Leave `bind_password` out to keep the stored one.
#[utoipa::path(put, path = "/api/v1/directory", tag = "directory", security(("session" = [])),
    request_body = NewSettings,
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn put_directory(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<NewSettings>,
) -> ApiResult<Json<Settings>> {
    Ok(Json(state.as_admin(&me).set_directory(req).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of an e-mail address, a name or a uid; empty lists the first entries.
    q: Option<String>,
}

/// Search the directory for users (at most 200, by e-mail address).
#[utoipa::path(get, path = "/api/v1/directory/users", tag = "directory",
    security(("session" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<Found>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn search_directory(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Vec<Found>>> {
    let query = q.q.as_deref().unwrap_or("");
    Ok(Json(state.as_admin(&me).search_directory(query).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Distinguished names of directory entries (from a search), 1 to 1000.
    #[schema(min_items = 1, max_items = 1000)]
    dns: Vec<String>,
}

/// Import directory entries as users ("invite from the LDAP server"): all or none; an error
/// names the entry (`dns[2]`). Directory users sign in to the portal with their directory
/// password; invite them with `POST /api/v1/users/invitations`.
#[utoipa::path(post, path = "/api/v1/directory/imports", tag = "directory",
    security(("session" = [])), request_body = ImportRequest,
    responses((status = 201, body = Vec<User>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
async fn import_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<ImportRequest>,
) -> ApiResult<(StatusCode, Json<Vec<User>>)> {
    let imported = state.as_admin(&me).import_from_directory(&req.dns).await?;
    Ok((StatusCode::CREATED, Json(imported)))
}
