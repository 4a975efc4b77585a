//! The device app's side of QR registration (SPEC D5): the app scans the portal's QR code,
//! which holds `<base>/r/<registration token>?device_token=<one-time token>`, and presents both
//! tokens here. The device token is the credential: it works once, for a few minutes, and only
//! with a current registration URL of its own tenant. The answer names the user the device is
//! registering for; Apple and Android enrolment build on it.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiJson;
use super::AppState;
use crate::registration::device_tokens::{self, RegistrationGrant};

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
    let grant = device_tokens::redeem_with_url(&state, &req.registration_token, &req.device_token);
    Ok(Json(grant.await?))
}
