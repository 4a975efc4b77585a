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
use crate::admins::Permission;
use crate::invitations;
use crate::users::{self, NewUser, User, UserUpdate};

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
    email: String,
    first_name: String,
    last_name: String,
    /// Optional; a user without one sets it in the portal after a one-time PIN.
    password: Option<String>,
    /// Send the invitation e-mail right away.
    #[serde(default)]
    send_invitation: bool,
    /// Add as an unmanaged-device (MAM-only) user; needs unmanaged devices on.
    #[serde(default)]
    unmanaged: bool,
}

impl From<CreateUserRequest> for NewUser {
    fn from(r: CreateUserRequest) -> NewUser {
        NewUser {
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            password: r.password,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUsersRequest {
    /// 1 to 1000 users, created (and invited, where asked) all or none.
    users: Vec<CreateUserRequest>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteUsersRequest {
    /// 1 to 1000 user ids, deleted all or none.
    ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Case-insensitive prefix of e-mail, first or last name (type-ahead).
    prefix: Option<String>,
    /// At most this many users (1 to 1000, default 100).
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
    let mut scoped = state.store().scoped_read(&me.tenant).await?;
    Ok(Json(
        users::list(&mut scoped, q.prefix.as_deref(), q.limit.unwrap_or(100)).await?,
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
    me.admin.require(Permission::ManageUsers)?;
    let (send_invitation, unmanaged) = (req.send_invitation, req.unmanaged);
    let mut scoped = state.store().scoped(&me.tenant).await?;
    let mut user = users::create(&mut scoped, &me.admin.actor(), req.into()).await?;
    if unmanaged {
        let ids = [user.id.clone()];
        user = crate::unmanaged::label(&mut scoped, &me.admin.actor(), &ids, true, true)
            .await?
            .remove(0);
    }
    if send_invitation {
        invitations::invite(
            &mut scoped,
            &me.admin.actor(),
            state.secrets(),
            state.base_url(),
            &me.tenant_slug,
            std::slice::from_ref(&user.id),
        )
        .await?;
    }
    scoped.commit().await?;
    let location = format!("/api/v1/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        AppendHeaders([(LOCATION, location)]),
        Json(user),
    ))
}

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
    me.admin.require(Permission::ManageUsers)?;
    let invite: Vec<bool> = req.users.iter().map(|u| u.send_invitation).collect();
    let unmanaged: Vec<bool> = req.users.iter().map(|u| u.unmanaged).collect();
    let mut scoped = state.store().scoped(&me.tenant).await?;
    let new = req.users.into_iter().map(NewUser::from).collect();
    let mut created = users::create_many(&mut scoped, &me.admin.actor(), new).await?;
    for (user, unmanaged) in created.iter_mut().zip(unmanaged) {
        if unmanaged {
            let ids = [user.id.clone()];
            *user = crate::unmanaged::label(&mut scoped, &me.admin.actor(), &ids, true, true)
                .await?
                .remove(0);
        }
    }
    let to_invite: Vec<String> = created
        .iter()
        .zip(invite)
        .filter(|(_, invite)| *invite)
        .map(|(user, _)| user.id.clone())
        .collect();
    if !to_invite.is_empty() {
        invitations::invite(
            &mut scoped,
            &me.admin.actor(),
            state.secrets(),
            state.base_url(),
            &me.tenant_slug,
            &to_invite,
        )
        .await?;
    }
    scoped.commit().await?;
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
    me.admin.require(Permission::ManageUsers)?;
    let mut scoped = state.store().scoped(&me.tenant).await?;
    users::delete_many(&mut scoped, &me.admin.actor(), &req.ids).await?;
    scoped.commit().await?;
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
    let mut scoped = state.store().scoped_read(&me.tenant).await?;
    Ok(Json(users::get(&mut scoped, &id).await?))
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
    me.admin.require(Permission::ManageUsers)?;
    let mut scoped = state.store().scoped(&me.tenant).await?;
    let changes = UserUpdate {
        email: req.email,
        first_name: req.first_name,
        last_name: req.last_name,
    };
    let user = users::update(&mut scoped, &me.admin.actor(), &id, changes).await?;
    scoped.commit().await?;
    Ok(Json(user))
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
    me.admin.require(Permission::ManageUsers)?;
    let mut scoped = state.store().scoped(&me.tenant).await?;
    users::delete(&mut scoped, &me.admin.actor(), &id).await?;
    scoped.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
