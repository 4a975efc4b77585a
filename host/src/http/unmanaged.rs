//! `/api/v1/unmanaged-devices` and `/api/v1/users/unmanaged`: the tenant's unmanaged (MAM-only)
//! devices feature (SPEC C1, C3, C4).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::unmanaged::{Deactivation, Feature};
use crate::users::User;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_feature, update_feature))
        .routes(routes!(enable))
        .routes(routes!(deactivate))
        .routes(routes!(label_users))
}

/// The feature's state (`off` until switched on; `deactivated` is final).
#[utoipa::path(get, path = "/api/v1/unmanaged-devices", tag = "unmanaged devices",
    security(("session" = [])),
    responses((status = 200, body = Feature), (status = 401, body = ErrorBody)))]
async fn get_feature(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Feature>> {
    Ok(Json(state.as_admin(&me).unmanaged_feature().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFeature {
    /// Whether new catalogue apps are allowed on unmanaged devices by default.
    default_allow_new_apps: bool,
}

/// Change the catalogue default for new apps (while the feature is on).
#[utoipa::path(patch, path = "/api/v1/unmanaged-devices", tag = "unmanaged devices",
    security(("session" = [])), request_body = UpdateFeature,
    responses((status = 200, body = Feature), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn update_feature(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<UpdateFeature>,
) -> ApiResult<Json<Feature>> {
    let allow = req.default_allow_new_apps;
    Ok(Json(
        state.as_admin(&me).set_unmanaged_default(allow).await?,
    ))
}

/// Switch unmanaged devices on. Refused (409) once they were deactivated.
#[utoipa::path(post, path = "/api/v1/unmanaged-devices/enable", tag = "unmanaged devices",
    security(("session" = [])),
    responses((status = 200, body = Feature), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn enable(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    _body: NoBody,
) -> ApiResult<Json<Feature>> {
    Ok(Json(state.as_admin(&me).enable_unmanaged().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivateRequest {
    /// Exactly "I understand that deactivating unmanaged devices is permanent".
    confirmation: String,
}

/// Switch unmanaged devices off, for good: every unmanaged user becomes an MDM user, every
/// app's unmanaged flag is reset and the catalogue default restored, in one transaction.
/// Users keep the apps already on their devices.
#[utoipa::path(post, path = "/api/v1/unmanaged-devices/deactivate", tag = "unmanaged devices",
    security(("session" = [])), request_body = DeactivateRequest,
    responses((status = 200, body = Deactivation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn deactivate(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<DeactivateRequest>,
) -> ApiResult<Json<Deactivation>> {
    let sentence = &req.confirmation;
    Ok(Json(
        state.as_admin(&me).deactivate_unmanaged(sentence).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelRequest {
    /// 1 to 1000 users (local or directory), changed all or none.
    #[schema(min_items = 1, max_items = 1000)]
    user_ids: Vec<String>,
    /// true: assign as unmanaged; false: remove the unmanaged state.
    unmanaged: bool,
    /// The administrator's confirmation of the bulk change; must be true.
    #[serde(default)]
    confirm: bool,
}

/// Label or unlabel users as unmanaged-device users (needs unmanaged devices on;
/// administrators cannot be unmanaged-device users).
#[utoipa::path(post, path = "/api/v1/users/unmanaged", tag = "unmanaged devices",
    security(("session" = [])), request_body = LabelRequest,
    responses((status = 200, body = Vec<User>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn label_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<LabelRequest>,
) -> ApiResult<Json<Vec<User>>> {
    let users = state
        .as_admin(&me)
        .label_unmanaged(&req.user_ids, req.unmanaged, req.confirm)
        .await?;
    Ok(Json(users))
}
