//! The device app's side of QR registration (SPEC D5): the app scans the portal's QR code,
//! which holds `<base>/r/<registration token>?device_token=<one-time token>`, and presents both
//! tokens here. The device token is the credential: it works once, for a few minutes, and only
//! with a current registration URL of its own tenant. The answer names the user the device is
//! registering for; Apple and Android enrolment build on it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::AppState;
use crate::registration::{device_tokens, keys};
use crate::users;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(redeem))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The token of the registration URL (`/r/<registration_token>`).
    registration_token: String,
    /// The `device_token` query parameter of the QR code's URL.
    device_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegistrationGrant {
    /// Slug of the tenant the device registers with.
    tenant: String,
    user_id: String,
    email: String,
    first_name: String,
    last_name: String,
}

fn refused() -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "device_token_refused",
        "this registration code is unknown, expired or already used: show a new QR code in \
         the portal",
    )
}

/// Redeem a QR code's one-time device token (the device app calls this after scanning).
#[utoipa::path(post, path = "/api/v1/device-registrations", tag = "registration",
    request_body = RedeemRequest,
    responses((status = 200, body = RegistrationGrant), (status = 400, body = ErrorBody),
        (status = 410, body = ErrorBody),
        (status = 429, description = "This address tried too often (`too_many_attempts`, with \
            Retry-After)", body = ErrorBody)))]
async fn redeem(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RedeemRequest>,
) -> ApiResult<Json<RegistrationGrant>> {
    let tenant = match keys::verify(state.store(), state.secrets(), &req.registration_token).await?
    {
        Ok(tenant) => tenant,
        Err(keys::Refusal::Rotated) => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "registration_url_rotated",
                "this registration URL is no longer valid: ask your administrator for a new \
                 invitation",
            ))
        }
        Err(keys::Refusal::Invalid) => return Err(refused()),
    };
    let mut tx = state.store().scoped(&tenant.id).await?;
    let Some(user_id) = device_tokens::redeem(&mut tx, &req.device_token).await? else {
        return Err(refused());
    };
    let user = users::get(&mut tx, &user_id).await?;
    tx.commit().await?;
    Ok(Json(RegistrationGrant {
        tenant: tenant.slug,
        user_id: user.id,
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
    }))
}
