//! The per-address limit of [`crate::guesses`] in front of every route where a secret is
//! guessed: administrator sign-in (password and TOTP) in the API and the console, the
//! console's authenticator set-up, the device app's registration (a registration token and a
//! one-time device token), and the portal's forms (password, PIN, new password). Portal pages
//! that are only read are not counted: the tokens in their URLs carry a MAC or 256 random bits,
//! which no rate of guessing reaches. Over the limit, the API answers its JSON 429 and the
//! portal and console a small page in both of their languages, each with `Retry-After`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;
use super::AppState;
use crate::error::Error;

/// Whether a request makes an attempt at a secret.
fn guesses_a_secret(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && (path.starts_with("/r/")
            || matches!(
                path,
                "/api/v1/session"
                    | "/api/v1/device-registrations"
                    | "/console/sign-in"
                    | "/console/sign-in/authenticator"
            ))
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !guesses_a_secret(req.method(), req.uri().path()) {
        return next.run(req).await;
    }
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    match state.guesses().admit(address) {
        Ok(()) => next.run(req).await,
        Err(err @ Error::TooManyAttempts { retry_after_secs }) => {
            if !req.uri().path().starts_with("/api/") {
                portal_page(retry_after_secs)
            } else {
                ApiError::from(err).into_response()
            }
        }
        Err(other) => ApiError::from(other).into_response(),
    }
}

fn portal_page(retry_after_secs: i64) -> Response {
    let minutes = (retry_after_secs + 59) / 60;
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Too many attempts</title></head><body>\
         <h1>Too many attempts</h1><p>Too many attempts from your network. Try again in \
         {minutes} minute(s).</p>\
         <h1 lang=\"fr\">Trop de tentatives</h1><p lang=\"fr\">Trop de tentatives depuis votre \
         réseau. Réessayez dans {minutes} minute(s).</p></body></html>"
    );
    let mut res = (StatusCode::TOO_MANY_REQUESTS, Html(html)).into_response();
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        headers.insert(header::RETRY_AFTER, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    res
}
