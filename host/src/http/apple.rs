//! `/api/v1/apple`: the tenant's Apple PKI as administrators need to see it (SPEC D3): the
//! certificate authority that issues device identities and signs profiles (through its
//! profile-signing certificate). Made on first request when the tenant has none yet.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::apple::pki::Certificates;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(certificates))
}

/// Your tenant's certificate authority and profile-signing certificate.
#[utoipa::path(get, path = "/api/v1/apple/certificates", tag = "apple", security(("session" = [])),
    responses((status = 200, body = Certificates), (status = 401, body = ErrorBody)))]
async fn certificates(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Certificates>> {
    Ok(Json(state.as_admin(&me).apple_certificates().await?))
}
