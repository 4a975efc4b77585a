//! The Apple MDM endpoints devices talk to (SPEC D4): `PUT /mdm/{tenant}/checkin` and the
//! command channel `PUT /mdm/{tenant}/server`. Not part of the admin API (and not in its
//! OpenAPI document): the bodies are Apple's plists, and the caller is authenticated by its
//! device identity's `Mdm-Signature`, never by a session.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;

use super::error::ApiError;
use super::AppState;
use crate::apple::checkin::Refused;
use crate::tenants;

pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/mdm/{tenant}/checkin", put(check_in))
        .route("/mdm/{tenant}/server", put(server))
        .with_state(state)
}

async fn check_in(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let tenant = tenant_of(&state, &slug).await?;
    let signature = headers.get("mdm-signature").and_then(|v| v.to_str().ok());
    match state
        .check_ins()
        .handle(&tenant.id, signature, &body)
        .await?
    {
        Ok(_) => Ok(StatusCode::OK),
        Err(refused) => Err(refusal(&slug, refused)),
    }
}

/// The command channel: the device reports its status and gets its next command (a plist),
/// or an empty 200 answer, which devices read as "nothing to do".
async fn server(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let tenant = tenant_of(&state, &slug).await?;
    let signature = headers.get("mdm-signature").and_then(|v| v.to_str().ok());
    match state
        .command_channel()
        .handle(&tenant.id, signature, &body)
        .await?
    {
        Ok(Some(command)) => Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/xml")],
            command,
        )
            .into_response()),
        Ok(None) => Ok(StatusCode::OK.into_response()),
        Err(refused) => Err(refusal(&slug, refused)),
    }
}

async fn tenant_of(state: &AppState, slug: &str) -> Result<tenants::Tenant, ApiError> {
    tenants::find_by_slug(state.store(), slug)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "tenant_not_found", "no such tenant"))
}

/// A refused message changes nothing; the device gets the reason.
fn refusal(slug: &str, refused: Refused) -> ApiError {
    tracing::warn!(tenant = %slug, reason = %refused, "MDM message refused");
    let (status, code) = match refused {
        Refused::Unsigned => (StatusCode::UNAUTHORIZED, "unsigned"),
        Refused::BadSignature(_) | Refused::UnknownIdentity => {
            (StatusCode::FORBIDDEN, "identity_refused")
        }
        Refused::WrongTopic => (StatusCode::FORBIDDEN, "wrong_topic"),
        Refused::EnrolmentEnded => (StatusCode::FORBIDDEN, "enrolment_ended"),
        Refused::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_message"),
    };
    ApiError::new(status, code, refused.to_string())
}
