//! `/api/v1/session`: sign in (password + TOTP), sign out, who am I; and the [`CurrentAdmin`]
//! extractor every other route uses to learn the administrator and their tenant.

use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, NoBody};
use super::{AppState, SESSION_COOKIE};
use crate::admins::Admin;
use crate::error::Error;
use crate::sessions::{self, Authenticated, Credentials};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, sign_out, current))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// Tenant slug.
    tenant: String,
    email: String,
    password: String,
    /// Current 6-digit code of the authenticator app.
    totp: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    tenant: TenantRef,
    admin: Admin,
}

#[derive(Serialize, ToSchema)]
pub struct TenantRef {
    id: String,
    slug: String,
}

impl From<Authenticated> for SessionInfo {
    fn from(a: Authenticated) -> SessionInfo {
        SessionInfo {
            tenant: TenantRef {
                id: a.tenant.as_str().to_string(),
                slug: a.tenant_slug,
            },
            admin: a.admin,
        }
    }
}

/// Sign in with password and TOTP code. Sets the session cookie (a new one at every sign-in).
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignInRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SessionInfo),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, description = "Too many attempts: the account is locked after repeated \
            failures, or this address tried too often (`too_many_attempts`, with Retry-After)",
            body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SignInRequest>,
) -> ApiResult<impl IntoResponse> {
    let previous = session_token(&headers);
    let (authenticated, token) = sessions::sign_in(
        state.store(),
        state.secrets(),
        state.policy(),
        state.guesses(),
        Credentials {
            tenant: req.tenant,
            email: req.email,
            password: req.password,
            totp: req.totp,
        },
        previous.as_deref(),
    )
    .await?;
    let max_age = state.policy().session_ttl.as_secs() as i64;
    let cookie = session_cookie(&state, token, max_age);
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(SessionInfo::from(authenticated)),
    ))
}

/// Sign out: ends the session and clears the cookie. Succeeds when not signed in.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out")))]
async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _body: NoBody,
) -> ApiResult<impl IntoResponse> {
    if let Some(token) = session_token(&headers) {
        sessions::sign_out(state.store(), &token).await?;
    }
    let cookie = session_cookie(&state, String::new(), 0);
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(SET_COOKIE, cookie)]),
    ))
}

/// The signed-in administrator and their tenant.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", security(("session" = [])),
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
async fn current(CurrentAdmin(me): CurrentAdmin) -> Json<SessionInfo> {
    Json(SessionInfo::from(me))
}

fn session_cookie(state: &AppState, value: String, max_age_secs: i64) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies())
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("cookie made of URL-safe characters")
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// The signed-in administrator; routes that take it answer 401 to anyone else.
pub struct CurrentAdmin(pub Authenticated);

impl FromRequestParts<AppState> for CurrentAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = session_token(&parts.headers).ok_or(Error::Unauthenticated("sign in first"))?;
        Ok(CurrentAdmin(
            sessions::authenticate(state.store(), &token).await?,
        ))
    }
}
