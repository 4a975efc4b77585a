//! `/api/v1/users`: end users of the signed-in tenant, one at a time and in bulk.

use axum::extract::{Path, State};
use axum::http::{header::LOCATION, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::onboarding::Addition;
use crate::users::{Naming, NewUser, User, UserUpdate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(create_users))
        .routes(routes!(delete_users))
        .routes(routes!(get_user, update_user, delete_user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Login name.
    #[schema(min_length = 3, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 100)]
    first_name: String,
    #[schema(min_length = 1, max_length = 100)]
    last_name: String,
    /// Optional; a user without one sets it in the portal after a one-time PIN. 12 to 1024
    /// characters, at least 4 different ones.
    #[schema(min_length = 12, max_length = 1024)]
    password: Option<String>,
    /// Send the invitation e-mail right away.
    #[serde(default)]
    send_invitation: bool,
    /// Add as an unmanaged-device (MAM-only) user; needs unmanaged devices on.
    #[serde(default)]
    unmanaged: bool,
}

impl From<CreateUserRequest> for Addition {
    fn from(r: CreateUserRequest) -> Addition {
        Addition {
            user: NewUser {
                email: r.email,
                first_name: r.first_name,
                last_name: r.last_name,
                password: r.password,
            },
            unmanaged: r.unmanaged,
            invite: r.send_invitation,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUsersRequest {
    /// 1 to 5000 users, created (and invited, where asked) all or none.
    #[schema(min_items = 1, max_items = 5000)]
    users: Vec<CreateUserRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUsersRequest {
    /// 1 to 1000 user ids, deleted all or none.
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(nullable = false, min_length = 3, max_length = 254)]
    email: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(nullable = false, min_length = 1, max_length = 100)]
    last_name: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Case-insensitive prefix of e-mail, first or last name (type-ahead).
    prefix: Option<String>,
    /// At most this many users (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// Users of your tenant, ordered by e-mail.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("session" = [])),
    params(ListUsersQuery),
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<ListUsersQuery>,
) -> ApiResult<Json<Vec<User>>> {
    let limit = q.limit.unwrap_or(100);
    Ok(Json(
        state
            .as_admin(&me)
            .list_users(q.prefix.as_deref(), limit)
            .await?,
    ))
}

/// Create one user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("session" = [])),
    request_body = CreateUserRequest,
    responses((status = 201, body = User), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> ApiResult<impl IntoResponse> {
    let user = state
        .as_admin(&me)
        .add_users(vec![req.into()], Naming::One)
        .await?
        .remove(0);
    let location = format!("/api/v1/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        AppendHeaders([(LOCATION, location)]),
        Json(user),
    ))
}

/// What invitations from this server are sent with.
/// Create many users at once: all or none; an error names the entry (`users[2].email`).
#[utoipa::path(post, path = "/api/v1/users/bulk", tag = "users", security(("session" = [])),
    request_body = CreateUsersRequest,
    responses((status = 201, body = Vec<User>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<CreateUsersRequest>,
) -> ApiResult<impl IntoResponse> {
    let additions = req.users.into_iter().map(Addition::from).collect();
    let created = state
        .as_admin(&me)
        .add_users(additions, Naming::Bulk)
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Delete many users at once: all or none.
#[utoipa::path(post, path = "/api/v1/users/bulk-delete", tag = "users", security(("session" = [])),
    request_body = DeleteUsersRequest,
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn delete_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<DeleteUsersRequest>,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_users(&req.ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One user of your tenant.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("session" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = User), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.as_admin(&me).get_user(&id).await?))
}

/// Change a user's e-mail or names.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("session" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses((status = 200, body = User), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<User>> {
    let changes = UserUpdate {
        email: req.email,
        first_name: req.first_name,
        last_name: req.last_name,
    };
    Ok(Json(state.as_admin(&me).update_user(&id, changes).await?))
}

/// Delete a user.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", security(("session" = [])),
    params(("id" = String, Path, description = "User id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The user owns enrolment profiles", body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_user(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
