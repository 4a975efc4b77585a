//! One request to the portal: the tenant its URL resolves to, the language, the CSRF token and
//! the session cookie, gathered by one extractor so that no handler can forget one of them.
//!
//! CSRF uses the double-submit pattern: a random token in an HttpOnly cookie and the same token
//! in a hidden field of every form; a post whose field does not match its cookie is refused.
//! Cookies are HttpOnly and SameSite=Lax, and Secure when the server is reached over https.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION,
    SET_COOKIE,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use cookie::{Cookie, SameSite};
use rand::RngCore;

use crate::backend::{Opened, PortalTenant, Session};
use crate::i18n::Lang;
use crate::pages::{self, Frame};
use crate::PortalState;

pub const SESSION_COOKIE: &str = "corral_portal";
pub const CSRF_COOKIE: &str = "corral_csrf";
pub const LANG_COOKIE: &str = "corral_lang";

/// Pages may carry one-time tokens: never cached, never framed, no script.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub struct Visit {
    pub tenant: PortalTenant,
    pub registration_token: String,
    pub frame: Frame,
    session_token: Option<String>,
    csrf_cookie: Option<String>,
    secure: bool,
    /// Cookies to set on whatever answer this visit gets.
    set_cookies: Vec<Cookie<'static>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    B64URL.encode(bytes)
}

fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_string(), c.value().to_string()))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<PortalState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &PortalState) -> Result<Visit, Response> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = params.get("token").cloned().unwrap_or_default();
        let query = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| q)
            .unwrap_or_default();
        let jar = cookies(&parts.headers);
        let switched = query.get("lang").and_then(|l| Lang::from_code(l));
        let browser = parts
            .headers
            .get("accept-language")
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language);
        let remembered = jar.get(LANG_COOKIE).and_then(|l| Lang::from_code(l));
        let secure = state.secure_cookies;
        let mut set_cookies = Vec::new();
        if let Some(lang) = switched {
            set_cookies.push(cookie(LANG_COOKIE, lang.code().to_string(), secure, true));
        }
        let csrf_cookie = jar.get(CSRF_COOKIE).filter(|c| c.len() >= 32).cloned();
        let csrf = match &csrf_cookie {
            Some(c) => c.clone(),
            None => {
                let fresh = random_token();
                set_cookies.push(cookie(CSRF_COOKIE, fresh.clone(), secure, true));
                fresh
            }
        };
        let provisional = |lang: Lang, tenant_name: Option<String>| Frame {
            lang,
            here: parts.uri.path().to_string(),
            base: format!("/r/{token}"),
            csrf: csrf.clone(),
            tenant_name,
        };
        let fallback = switched.or(remembered).or(browser).unwrap_or(Lang::En);
        let tenant = match state.backend.open(&token).await {
            Ok(Opened::Tenant(tenant)) => tenant,
            Ok(Opened::Rotated) => {
                let frame = provisional(fallback, None);
                let t = frame.texts();
                let html = pages::notice(&frame, t.rotated_title, t.rotated_text, None);
                return Err(page(StatusCode::GONE, html, &set_cookies));
            }
            Ok(Opened::Invalid) => {
                let frame = provisional(fallback, None);
                let t = frame.texts();
                let html = pages::notice(&frame, t.invalid_title, t.invalid_text, None);
                return Err(page(StatusCode::NOT_FOUND, html, &set_cookies));
            }
            Err(e) => return Err(backend_failure(&provisional(fallback, None), e)),
        };
        let lang = switched
            .or(remembered)
            .or(browser)
            .unwrap_or(tenant.language);
        Ok(Visit {
            frame: provisional(lang, Some(tenant.name.clone())),
            tenant,
            registration_token: token,
            session_token: jar.get(SESSION_COOKIE).cloned(),
            csrf_cookie,
            secure,
            set_cookies,
        })
    }
}

fn cookie(name: &'static str, value: String, secure: bool, long: bool) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if long {
        c = c.max_age(cookie::time::Duration::days(365));
    }
    c.build()
}

/// An HTML answer with the portal's headers.
fn page(status: StatusCode, html: String, set_cookies: &[Cookie<'static>]) -> Response {
    let mut res = (status, html).into_response();
    let headers = res.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    for c in set_cookies {
        if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
            headers.append(SET_COOKIE, v);
        }
    }
    res
}

pub fn backend_failure(frame: &Frame, err: crate::BackendError) -> Response {
    tracing::error!(error = %err, "portal: the server behind the portal failed");
    let t = frame.texts();
    let html = pages::notice(frame, t.error_title, t.error_text, None);
    page(StatusCode::SERVICE_UNAVAILABLE, html, &[])
}

impl Visit {
    pub fn tenant_id(&self) -> &str {
        &self.tenant.id
    }

    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The live session of this tenant behind the cookie, if any.
    pub async fn session(&self, state: &PortalState) -> Result<Option<Session>, Response> {
        let Some(token) = &self.session_token else {
            return Ok(None);
        };
        state
            .backend
            .session(&self.tenant.id, token)
            .await
            .map_err(|e| self.failure(e))
    }

    /// Whether a posted form carries this visitor's CSRF token.
    pub fn csrf_ok(&self, form: &HashMap<String, String>) -> bool {
        match (&self.csrf_cookie, form.get("csrf")) {
            (Some(cookie), Some(field)) => constant_time_eq(cookie.as_bytes(), field.as_bytes()),
            _ => false,
        }
    }

    /// The page refusing a post without a valid CSRF token.
    pub fn csrf_refused(&self) -> Response {
        let t = self.frame.texts();
        let html = pages::notice(
            &self.frame,
            t.csrf_title,
            t.csrf_text,
            Some((self.frame.base.clone(), t.try_again)),
        );
        self.page(StatusCode::FORBIDDEN, html)
    }

    pub fn page(&self, status: StatusCode, html: String) -> Response {
        page(status, html, &self.set_cookies)
    }

    /// A file to download (never cached).
    pub fn attachment(&self, content_type: &str, filename: &str, bytes: Vec<u8>) -> Response {
        let mut res = (StatusCode::OK, bytes).into_response();
        let headers = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, v);
        }
        let safe: String = filename
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            headers.insert(CONTENT_DISPOSITION, v);
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        res
    }

    pub fn failure(&self, err: crate::BackendError) -> Response {
        backend_failure(&self.frame, err)
    }

    /// 303 to another page of this tenant's portal (`to` is relative to `/r/<token>`).
    pub fn redirect(&self, to: &str) -> Response {
        let mut res = page(StatusCode::SEE_OTHER, String::new(), &self.set_cookies);
        if let Ok(v) = HeaderValue::from_str(&format!("{}{to}", self.frame.base)) {
            res.headers_mut().insert(LOCATION, v);
        }
        res
    }

    /// Remembers a new session (set on the next answer).
    pub fn start_session(&mut self, token: String) {
        self.set_cookies
            .push(cookie(SESSION_COOKIE, token.clone(), self.secure, false));
        self.session_token = Some(token);
    }

    pub fn end_session(&mut self) {
        let mut gone = cookie(SESSION_COOKIE, String::new(), self.secure, false);
        gone.make_removal();
        self.set_cookies.push(gone);
        self.session_token = None;
    }
}
