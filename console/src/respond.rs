//! The console's HTTP answers: every page with the same security headers, its cookies, and
//! CSRF tokens.
//!
//! Cookies are `HttpOnly`, `SameSite=Strict`, limited to `/console`, and `Secure` when the
//! server is reached over https: another site's page can neither read them nor make the
//! browser send them with a form it posts here. CSRF tokens are checked besides: before
//! sign-in, the double-submit token of the [`CSRF_COOKIE`]; once signed in, a token derived
//! from the session (see the host's `console` module), which a page of another site cannot
//! know.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    SET_COOKIE, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use cookie::{Cookie, SameSite};
use rand::RngCore;

/// The administrator's console session.
pub const SESSION_COOKIE: &str = "corral_console";
/// The CSRF token of the forms shown before sign-in.
pub const CSRF_COOKIE: &str = "corral_console_csrf";
/// The ticket of an administrator's authenticator set-up (first sign-in), for ten minutes.
pub const SETUP_COOKIE: &str = "corral_console_setup";
/// The language chosen with the switch.
pub const LANG_COOKIE: &str = "corral_console_lang";

/// No script at all, styles only from the binary's stylesheet, never framed, forms only to
/// this site.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A fresh random token (256 bits, URL-safe).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    B64URL.encode(bytes)
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A console cookie; `max_age` `None` lasts as long as the browser session, `Some(0)` removes.
pub fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_secs: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure);
    if let Some(secs) = max_age_secs {
        c = c.max_age(cookie::time::Duration::seconds(secs));
    }
    c.build()
}

/// What every console answer carries.
fn secure_headers(res: &mut Response, cookies: &[Cookie<'static>]) {
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            headers.append(SET_COOKIE, v);
        }
    }
}

/// An HTML page.
pub fn html(status: StatusCode, document: String, cookies: &[Cookie<'static>]) -> Response {
    let mut res = (status, document).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(&mut res, cookies);
    res
}

/// 303 to `location` (a path of this site).
pub fn see_other(location: &str, cookies: &[Cookie<'static>]) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(LOCATION, v);
    }
    secure_headers(&mut res, cookies);
    res
}

/// The stylesheet (revalidated on every use, so an upgrade shows at once).
pub fn stylesheet() -> Response {
    let mut res = crate::STYLESHEET.into_response();
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// A file to download (`attachment`), with the console's headers; `name` is reduced to
/// printable ASCII without quotes for the header.
pub fn attachment(name: &str, content: Vec<u8>) -> Response {
    let mut res = content.into_response();
    secure_headers(&mut res, &[]);
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    res
}
