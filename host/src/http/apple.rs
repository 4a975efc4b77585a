//! `/api/v1/apple`: the tenant's Apple PKI as administrators need to see it (SPEC D3): the
//! certificate authority that issues device identities and signs profiles (through its
//! profile-signing certificate). Made on first request when the tenant has none yet.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::apple::pki::TenantPki;
use crate::tenants;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(certificates))
}

#[derive(Serialize, ToSchema)]
pub struct Certificates {
    /// The tenant CA (PEM): trust anchor of device identities and profile signatures.
    ca_certificate: String,
    /// The profile-signing certificate (PEM), issued by the CA.
    signing_certificate: String,
}

fn pem(cert: &openssl::x509::X509) -> Result<String, ApiError> {
    cert.to_pem()
        .ok()
        .and_then(|p| String::from_utf8(p).ok())
        .ok_or_else(|| crate::Error::Internal("certificate encoding failed".into()).into())
}

/// Your tenant's certificate authority and profile-signing certificate.
#[utoipa::path(get, path = "/api/v1/apple/certificates", tag = "apple", security(("session" = [])),
    responses((status = 200, body = Certificates), (status = 401, body = ErrorBody)))]
async fn certificates(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Certificates>> {
    let tenant = tenants::current(&mut state.store().reader(&me.tenant).await?).await?;
    let pki =
        TenantPki::load_or_create(state.store(), &me.tenant, state.secrets(), &tenant.name).await?;
    Ok(Json(Certificates {
        ca_certificate: pem(&pki.ca_cert)?,
        signing_certificate: pem(&pki.signer_cert)?,
    }))
}
