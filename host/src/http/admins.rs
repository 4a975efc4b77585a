//! `/api/v1/admins`: administrators of the signed-in tenant. Any administrator may read them;
//! only owners create, change and delete (checked by the operations in `admins`).

use axum::extract::{Path, State};
use axum::http::{header::LOCATION, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::admins::{Admin, AdminUpdate, ExchangePermission, NewAdmin, Role};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_admins, create_admin))
        .routes(routes!(get_admin, update_admin, delete_admin))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdminRequest {
    email: String,
    role: Role,
    /// Initial password: 12 to 1024 characters, at least 4 different ones.
    #[schema(min_length = 12, max_length = 1024)]
    password: String,
    #[serde(default)]
    exchange_permissions: Vec<ExchangePermission>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedAdmin {
    admin: Admin,
    /// `otpauth://` URI for the new administrator's authenticator app; shown only once.
    totp_uri: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAdminRequest {
    #[schema(nullable = false)]
    role: Option<Role>,
    #[schema(nullable = false)]
    exchange_permissions: Option<Vec<ExchangePermission>>,
}

/// Administrators of your tenant.
#[utoipa::path(get, path = "/api/v1/admins", tag = "admins", security(("session" = [])),
    responses((status = 200, body = Vec<Admin>), (status = 401, body = ErrorBody)))]
async fn list_admins(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Vec<Admin>>> {
    Ok(Json(state.as_admin(&me).list_admins().await?))
}

/// Create an administrator (owners only).
#[utoipa::path(post, path = "/api/v1/admins", tag = "admins", security(("session" = [])),
    request_body = CreateAdminRequest,
    responses((status = 201, body = CreatedAdmin), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn create_admin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<CreateAdminRequest>,
) -> ApiResult<impl IntoResponse> {
    let created = state
        .as_admin(&me)
        .create_admin(NewAdmin {
            email: req.email,
            role: req.role,
            password: req.password,
            exchange_permissions: req.exchange_permissions,
        })
        .await?;
    let location = format!("/api/v1/admins/{}", created.admin.id);
    Ok((
        StatusCode::CREATED,
        AppendHeaders([(LOCATION, location)]),
        Json(CreatedAdmin {
            admin: created.admin,
            totp_uri: created.totp_uri,
        }),
    ))
}

/// One administrator of your tenant.
#[utoipa::path(get, path = "/api/v1/admins/{id}", tag = "admins", security(("session" = [])),
    params(("id" = String, Path, description = "Administrator id")),
    responses((status = 200, body = Admin), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_admin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<Admin>> {
    Ok(Json(state.as_admin(&me).get_admin(&id).await?))
}

/// Change an administrator's role or Exchange permissions (owners only). A tenant keeps at
/// least one owner.
#[utoipa::path(patch, path = "/api/v1/admins/{id}", tag = "admins", security(("session" = [])),
    params(("id" = String, Path, description = "Administrator id")),
    request_body = UpdateAdminRequest,
    responses((status = 200, body = Admin), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_admin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateAdminRequest>,
) -> ApiResult<Json<Admin>> {
    let changes = AdminUpdate {
        role: req.role,
        exchange_permissions: req.exchange_permissions,
    };
    Ok(Json(state.as_admin(&me).update_admin(&id, changes).await?))
}

/// Delete an administrator account and its sessions (owners only).
#[utoipa::path(delete, path = "/api/v1/admins/{id}", tag = "admins", security(("session" = [])),
    params(("id" = String, Path, description = "Administrator id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn delete_admin(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_admin(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
