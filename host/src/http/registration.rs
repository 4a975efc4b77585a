//! Registration administration: tenant user settings, the tenant's registration URL and its key
//! rotation, invitations, and the delivery status of outgoing mail.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::invitations::Invitation;
use crate::mail::{Delivery, DeliveryQuery};
use crate::registration::settings::{Language, UserSettings, UserSettingsUpdate};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_user_settings, update_user_settings))
        .routes(routes!(registration_url))
        .routes(routes!(rotate_key))
        .routes(routes!(invite_users))
        .routes(routes!(list_mail))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSettingsRequest {
    #[schema(nullable = false)]
    language: Option<Language>,
    #[schema(nullable = false)]
    require_registration_pin: Option<bool>,
    /// How long an invitation PIN stays valid, in hours (1 to 2160).
    #[schema(nullable = false, minimum = 1, maximum = 2160)]
    pin_validity_hours: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationUrl {
    /// The tenant's registration URL (also valid with `/go` appended).
    url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// 1 to 5000 user ids; all are invited or none.
    #[schema(min_items = 1, max_items = 5000)]
    user_ids: Vec<String>,
}

/// Tenant user settings.
#[utoipa::path(get, path = "/api/v1/settings/users", tag = "registration", security(("session" = [])),
    responses((status = 200, body = UserSettings), (status = 401, body = ErrorBody)))]
async fn get_user_settings(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<UserSettings>> {
    Ok(Json(state.as_admin(&me).user_settings().await?))
}

/// Change tenant user settings (language, registration PIN requirement, PIN validity).
#[utoipa::path(patch, path = "/api/v1/settings/users", tag = "registration", security(("session" = [])),
    request_body = UserSettingsRequest,
    responses((status = 200, body = UserSettings), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn update_user_settings(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<UserSettingsRequest>,
) -> ApiResult<Json<UserSettings>> {
    let changes = UserSettingsUpdate {
        language: req.language,
        require_registration_pin: req.require_registration_pin,
        pin_validity_hours: req.pin_validity_hours,
    };
    Ok(Json(
        state.as_admin(&me).update_user_settings(changes).await?,
    ))
}

/// The tenant's current registration URL (generated on first use).
#[utoipa::path(get, path = "/api/v1/registration", tag = "registration", security(("session" = [])),
    responses((status = 200, body = RegistrationUrl), (status = 401, body = ErrorBody)))]
async fn registration_url(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<RegistrationUrl>> {
    Ok(Json(RegistrationUrl {
        url: state.as_admin(&me).registration_url().await?,
    }))
}

/// Rotate the tenant's enrolment key: every registration URL handed out before stops working.
/// Returns the regenerated URL.
#[utoipa::path(post, path = "/api/v1/registration/rotate-key", tag = "registration", security(("session" = [])),
    responses((status = 200, body = RegistrationUrl), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn rotate_key(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    _body: NoBody,
) -> ApiResult<Json<RegistrationUrl>> {
    Ok(Json(RegistrationUrl {
        url: state.as_admin(&me).rotate_registration_key().await?,
    }))
}

/// Send (or send again) invitations to users: the registration link, a new one-time PIN when
/// the tenant requires it or the user has no password, and instructions.
#[utoipa::path(post, path = "/api/v1/users/invitations", tag = "registration", security(("session" = [])),
    request_body = InviteRequest,
    responses((status = 200, body = Vec<Invitation>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn invite_users(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<InviteRequest>,
) -> ApiResult<Json<Vec<Invitation>>> {
    Ok(Json(state.as_admin(&me).invite_users(&req.user_ids).await?))
}

/// Outgoing mail of your tenant and its delivery status, newest first.
#[utoipa::path(get, path = "/api/v1/mail", tag = "registration", security(("session" = [])),
    params(DeliveryQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
async fn list_mail(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<Delivery>>> {
    Ok(Json(state.as_admin(&me).mail_deliveries(&q).await?))
}
