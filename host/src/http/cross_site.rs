//! Cross-site request forgery guard for the admin API. The session cookie is sent by the
//! browser with any request to this host, including a plain HTML form posted from another site,
//! from a sibling subdomain (which `SameSite=Lax` counts as the same site) or from another port
//! of the same host. So every API write that carries the session cookie must:
//!
//! - come from this application when the browser says where it comes from: `Sec-Fetch-Site`
//!   `same-origin` or `none`, and an `Origin`, when there is one, equal to the public base URL's;
//! - carry a `Content-Type` that an HTML form cannot send and a script of another origin cannot
//!   send without a CORS preflight, which Corral never grants: `application/json` (with an empty
//!   body for the routes that take none) or the binary types of the upload routes.
//!
//! Requests without the cookie (sign-in, the device app's registration) are left to the routes:
//! their JSON-only bodies already refuse form posts. The portal has its own CSRF tokens.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::{AppState, SESSION_COOKIE};

/// Content types a cross-site form or a preflight-free cross-origin request can carry
/// (the CORS "safelisted" request content types).
const FORM_CONTENT_TYPES: [&str; 3] = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
];

/// Middleware on the API router: refuses cookie-authenticated writes that do not come from the
/// application itself.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match check(req.method(), req.headers(), state.base_url()) {
        Ok(()) => next.run(req).await,
        Err(refusal) => refusal.into_response(),
    }
}

fn check(method: &Method, headers: &HeaderMap, base_url: &str) -> Result<(), ApiError> {
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !writes || !has_session_cookie(headers) {
        return Ok(());
    }
    if let Some(source) = from_elsewhere(headers, base_url) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            format!("{source}: a write signed in by the session cookie must come from this site"),
        ));
    }
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let content_type = header(header::CONTENT_TYPE).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if essence.is_empty() || FORM_CONTENT_TYPES.contains(&essence) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "a write signed in by the session cookie needs Content-Type: application/json \
             (an empty body is fine for routes that take none)",
        ));
    }
    Ok(())
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .any(|c| c.name() == SESSION_COOKIE)
}

/// Where a request comes from when the browser says it is another site (`Sec-Fetch-Site`
/// other than `same-origin` or `none`, or an `Origin` other than the public base URL's), in
/// words; `None` when it comes from this site or the client does not say. Also the console's
/// first check on every form it receives.
pub(crate) fn from_elsewhere(headers: &HeaderMap, base_url: &str) -> Option<String> {
    let header = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(site) = header(header::HeaderName::from_static("sec-fetch-site")) {
        if site != "same-origin" && site != "none" {
            return Some(format!("the request comes from a {site} page"));
        }
    }
    match header(header::ORIGIN) {
        Some(origin) if origin != origin_of(base_url) => {
            Some(format!("the request comes from {origin}"))
        }
        _ => None,
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, as browsers send it in `Origin`.
fn origin_of(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").unwrap_or(("http", &lower));
    let authority = rest.split('/').next().unwrap_or_default();
    let default_port = match scheme {
        "https" => ":443",
        _ => ":80",
    };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const BASE: &str = "https://mdm.acme.example/";

    #[test]
    fn cookie_writes_need_json_and_this_site() {
        let cookie = ("cookie", "corral_session=abc");
        let json = ("content-type", "application/json");
        let ok = |h: &[(&'static str, &str)]| check(&Method::POST, &headers(h), BASE).is_ok();
        assert!(ok(&[cookie, json]));
        assert!(ok(&[cookie, ("content-type", "application/wasm")]));
        assert!(ok(&[
            cookie,
            json,
            ("origin", "https://MDM.acme.example"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(!ok(&[cookie]));
        assert!(!ok(&[
            cookie,
            ("content-type", "application/x-www-form-urlencoded")
        ]));
        assert!(!ok(&[
            cookie,
            ("content-type", "multipart/form-data; boundary=x")
        ]));
        assert!(!ok(&[cookie, ("content-type", "text/plain;charset=UTF-8")]));
        assert!(!ok(&[
            cookie,
            json,
            ("origin", "https://evil.acme.example")
        ]));
        assert!(!ok(&[
            cookie,
            json,
            ("origin", "https://mdm.acme.example:8443")
        ]));
        assert!(!ok(&[cookie, json, ("sec-fetch-site", "same-site")]));
        assert!(!ok(&[cookie, json, ("sec-fetch-site", "cross-site")]));
        // Reads and cookie-less requests are the routes' business.
        assert!(check(&Method::GET, &headers(&[cookie]), BASE).is_ok());
        assert!(check(&Method::POST, &headers(&[]), BASE).is_ok());
    }

    #[test]
    fn origins_drop_default_ports_and_paths() {
        assert_eq!(origin_of("https://a.example:443/x"), "https://a.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
