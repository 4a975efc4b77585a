//! `/api/v1/directory`: the tenant's LDAP directory (SPEC B1): its settings, searching it and
//! importing chosen entries as directory users. Talking to the directory never happens inside
//! a database transaction; a directory that is down or refuses answers 502 with the cause,
//! and nothing changes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::session::CurrentAdmin;
use super::AppState;
use crate::admins::Permission;
use crate::directory::{self, Entry, NewSettings, Settings};
use crate::error::Error;
use crate::users::{self, User};

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
    let mut scoped = state.store().scoped_read(&me.tenant).await?;
    let directory = directory::get(&mut scoped, state.secrets())
        .await?
        .ok_or(Error::NotFound("directory"))?;
    Ok(Json(directory.settings))
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
    me.admin.require(Permission::ManageUsers)?;
    let current = {
        let mut read = state.store().scoped_read(&me.tenant).await?;
        directory::get(&mut read, state.secrets()).await?
    };
    let directory = directory::check(req, current.as_ref())?;
    directory.search("").await?;
    let mut scoped = state.store().scoped(&me.tenant).await?;
    let settings =
        directory::save(&mut scoped, state.secrets(), &me.admin.actor(), &directory).await?;
    scoped.commit().await?;
    Ok(Json(settings))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of an e-mail address, a name or a uid; empty lists the first entries.
    q: Option<String>,
}

/// A directory entry and, when it was imported, its user.
#[derive(Serialize, ToSchema)]
pub struct Found {
    #[serde(flatten)]
    entry: Entry,
    /// The user imported from this entry (same e-mail address), if any.
    user_id: Option<String>,
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
    let directory = configured(&state, &me.tenant).await?;
    let entries = directory.search(q.q.as_deref().unwrap_or("")).await?;
    let mut read = state.store().scoped_read(&me.tenant).await?;
    let mut found = Vec::with_capacity(entries.len());
    for entry in entries {
        let user_id = users::find_by_email(&mut read, &entry.email)
            .await?
            .map(|u| u.id);
        found.push(Found { entry, user_id });
    }
    Ok(Json(found))
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
    me.admin.require(Permission::ManageUsers)?;
    if req.dns.is_empty() || req.dns.len() > 1000 {
        return Err(Error::invalid("dns", "give 1 to 1000 distinguished names").into());
    }
    Error::refuse_repeats("dns", &req.dns)?;
    let directory = configured(&state, &me.tenant).await?;
    let entries = directory.entries_named(&req.dns).await?;
    let mut scoped = state.store().scoped(&me.tenant).await?;
    let mut imported = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let field = format!("dns[{i}]");
        let Some(entry) = entry else {
            return Err(Error::invalid(
                field,
                "not a user entry of the directory (or it has no e-mail address)",
            )
            .into());
        };
        let user = users::create_from_directory(
            &mut scoped,
            &me.admin.actor(),
            &entry.email,
            &entry.first_name,
            &entry.last_name,
        )
        .await
        .map_err(|e| match e {
            Error::Invalid { message, .. } => Error::invalid(field.clone(), message),
            Error::Conflict { code, message } => Error::Conflict {
                code,
                message: format!("{field}: {message}"),
            },
            other => other,
        })?;
        imported.push(user);
    }
    scoped.commit().await?;
    Ok((StatusCode::CREATED, Json(imported)))
}

async fn configured(
    state: &AppState,
    tenant: &crate::tenants::TenantId,
) -> Result<directory::Directory, Error> {
    let mut read = state.store().scoped_read(tenant).await?;
    directory::get(&mut read, state.secrets())
        .await?
        .ok_or(Error::NotFound("directory"))
}
