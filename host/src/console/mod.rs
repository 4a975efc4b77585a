//! The administrator console (SPEC A2 to A6, C1 to C4): every administrator task in the
//! browser, in the same binary as the API, calling the same service operations (`AsAdmin`).
//!
//! A page handler here parses the request, calls one service operation and describes the
//! answer with the page kit of `corral-console`; it holds no rule. What a role may do is asked
//! of the services ([`crate::admins::Abilities`]) only to leave out the controls it may not
//! use: a forged post still meets the service's own check and gets 403, changing nothing.
//!
//! Every request goes through [`Visit`] (language, cookies); a signed-in page through [`Desk`]
//! (the administrator behind the console's session cookie); every form post through
//! [`Posted`], which refuses a post from another site or without the session's CSRF token
//! before any handler runs. Adding a plugin's pages: a module with its handlers and a line in
//! [`router`] and [`menu`] (see `docs/architecture.md`).

mod admins;
mod apple;
mod apps;
mod collections;
mod configurations;
mod devices;
mod directory;
mod enrolment;
mod history;
mod imports;
mod plugins;
mod provisioning;
mod sign_in;
mod unmanaged;
mod user;
mod users;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use cookie::Cookie;
use corral_console::{
    self as kit, texts, Block, Form, Input, Lang, MenuItem, Notice, Page, Shell, Texts, Who,
    CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, SETUP_COOKIE,
};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::services::{AsAdmin, Services};
use crate::sessions::{self, Authenticated};

/// The console's routes, to merge into the server's router.
pub fn router(services: Services) -> Router {
    Router::new()
        .route("/console", get(home))
        .route(kit::STYLESHEET_PATH, get(|| async { kit::stylesheet() }))
        .route("/console/sign-in", get(sign_in::page).post(sign_in::submit))
        .route(
            "/console/sign-in/authenticator",
            get(sign_in::setup_page).post(sign_in::confirm),
        )
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/users", get(users::list).post(users::add))
        .route("/console/users/invite", post(users::invite))
        .route("/console/users/{id}", get(user::show).post(user::update))
        .route("/console/users/{id}/invite", post(user::invite))
        .route("/console/users/{id}/delete", post(user::delete))
        .route("/console/users/unmanaged", post(users::label))
        .route(
            "/console/users/directory",
            get(directory::show).post(directory::save),
        )
        .route("/console/users/directory/import", post(directory::import))
        .route("/console/unmanaged", get(unmanaged::show))
        .route("/console/unmanaged/enable", post(unmanaged::enable))
        .route("/console/unmanaged/default", post(unmanaged::set_default))
        .route("/console/unmanaged/deactivate", post(unmanaged::deactivate))
        .route("/console/admins", get(admins::list).post(admins::add))
        .route(
            "/console/admins/{id}",
            get(admins::show).post(admins::update),
        )
        .route("/console/admins/{id}/delete", post(admins::delete))
        .route("/console/devices", get(devices::list))
        .route("/console/provisioning", get(provisioning::list))
        .route("/console/devices/{id}", get(devices::show))
        .route("/console/devices/{id}/act", post(devices::act))
        .route("/console/devices/{id}/owner", post(devices::owner))
        .route("/console/devices/{id}/commands", post(apple::enqueue))
        .route(
            "/console/devices/{id}/commands/{command}",
            get(apple::command),
        )
        .route(
            "/console/devices/{id}/commands/{command}/cancel",
            post(apple::cancel),
        )
        .route(
            "/console/apple/push-certificate",
            get(apple::push_certificate).post(apple::upload_push_certificate),
        )
        .route("/console/plugins", get(plugins::list))
        .route("/console/plugins/{id}", get(plugins::show))
        .route("/console/plugins/{id}/activate", post(plugins::activate))
        .route(
            "/console/plugins/{id}/deactivate",
            post(plugins::deactivate),
        )
        .route(
            "/console/plugins/{id}/versions/delete",
            post(plugins::delete_version),
        )
        .route("/console/plugins/{id}/grants", post(plugins::grants))
        .route("/console/plugins/{id}/settings", post(plugins::settings))
        .route(
            "/console/plugins/{id}/credential",
            post(plugins::credential),
        )
        .route(
            "/console/plugins/{id}/client-credential",
            post(plugins::client_credential),
        )
        .route(
            "/console/plugins/{id}/credential/delete",
            post(plugins::delete_credential),
        )
        .route("/console/plugins/{id}/perform", post(plugins::perform))
        .route("/console/plugins/{id}/sync", post(plugins::sync))
        .route("/console/plugins/{id}/delete", post(plugins::delete))
        .route(
            "/console/plugins/{id}/collections/{collection}",
            get(collections::list),
        )
        .route(
            "/console/plugins/{id}/collections/{collection}/items/{item}",
            get(collections::item),
        )
        .route(
            "/console/plugins/{id}/collections/{collection}/actions/{action}",
            get(collections::action).post(collections::act),
        )
        .route("/console/imports", get(imports::list))
        .route("/console/imports/{id}", get(imports::show))
        .route("/console/imports/{id}/failures", get(imports::failures))
        .route(
            "/console/imports/{id}/failures.csv",
            get(imports::failures_csv),
        )
        .merge(uploads(&services))
        .route("/console/configurations", get(configurations::index))
        .route(
            "/console/configurations/{plugin}",
            get(configurations::list),
        )
        .route(
            "/console/configurations/{plugin}/new",
            get(configurations::new).post(configurations::create),
        )
        .route(
            "/console/configurations/{plugin}/{id}",
            get(configurations::show).post(configurations::update),
        )
        .route(
            "/console/configurations/{plugin}/{id}/preview",
            post(configurations::preview),
        )
        .route(
            "/console/configurations/{plugin}/{id}/delete",
            post(configurations::delete),
        )
        .route("/console/apps", get(apps::list).post(apps::add))
        .route("/console/apps/{id}", get(apps::show).post(apps::update))
        .route("/console/apps/{id}/delete", post(apps::delete))
        .route("/console/apps/{id}/file", get(apps::file))
        .route("/console/enrolment", get(enrolment::show))
        .route("/console/enrolment/rotate", post(enrolment::rotate))
        .route("/console/enrolment/settings", post(enrolment::settings))
        .route("/console/enrolment/{plugin}", post(enrolment::create))
        .route(
            "/console/enrolment/{plugin}/{id}",
            get(enrolment::profile).post(enrolment::update),
        )
        .route(
            "/console/enrolment/{plugin}/{id}/delete",
            post(enrolment::delete),
        )
        .route("/console/history", get(history::list))
        .with_state(services)
}

/// The routes taking files, each with the body limit of the largest file its service takes.
fn uploads(services: &Services) -> Router<Services> {
    use axum::extract::DefaultBodyLimit;
    let slack = 64 * 1024;
    let plugin = services.plugins().runtime().config().max_upload_bytes + slack;
    let app = crate::apps::MAX_FILE_BYTES + slack;
    let import = services.plugins().imports().max_bytes as usize + slack;
    Router::new()
        .route(
            "/console/plugins",
            post(plugins::upload).layer(DefaultBodyLimit::max(plugin)),
        )
        .route(
            "/console/plugins/{id}/versions",
            post(plugins::upload_version).layer(DefaultBodyLimit::max(plugin)),
        )
        .route(
            "/console/apps/upload",
            post(apps::upload).layer(DefaultBodyLimit::max(app)),
        )
        .route(
            "/console/plugins/{id}/collections/{collection}/imports/{import}",
            post(collections::upload).layer(DefaultBodyLimit::max(import)),
        )
}

/// The menu: the pages this administrator may open, in the order of their work.
fn menu(me: &Authenticated, t: &Texts) -> Vec<MenuItem> {
    let _ = me;
    let items = vec![
        ("users", "/console/users", t.menu_users),
        ("unmanaged", "/console/unmanaged", t.menu_unmanaged),
        ("apps", "/console/apps", t.menu_apps),
        ("devices", "/console/devices", t.menu_devices),
        ("provisioning", "/console/provisioning", t.menu_provisioning),
        ("enrolment", "/console/enrolment", t.menu_enrolment),
        (
            "configurations",
            "/console/configurations",
            t.menu_configurations,
        ),
        ("plugins", "/console/plugins", t.menu_plugins),
        ("imports", "/console/imports", t.menu_imports),
        ("admins", "/console/admins", t.menu_admins),
        ("history", "/console/history", t.menu_history),
    ];
    items
        .into_iter()
        .map(|(key, href, label)| MenuItem {
            key,
            href: href.to_string(),
            label: label.to_string(),
        })
        .collect()
}

async fn home(desk: Desk) -> Response {
    desk.visit.redirect("/console/users")
}

/// A time (unix milliseconds) as the console shows it: `2026-12-04 09:30 UTC`.
pub fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `path` with the non-empty `filters` and the page (when past the first) as its query: the
/// links of a filtered table.
pub fn filtered_href(path: &str, filters: &[(&str, &str)], page: i64) -> String {
    let mut url = form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        if !value.is_empty() {
            url.append_pair(name, value);
        }
    }
    if page > 1 {
        url.append_pair("page", &page.to_string());
    }
    format!("{path}?{}", url.finish())
}

/// The pager of a table showing `shown` rows from `offset` of `total`, on page `page` (from
/// 1); `href` makes the link to another page.
pub fn pager(
    t: &Texts,
    offset: i64,
    shown: usize,
    total: i64,
    page: i64,
    href: impl Fn(i64) -> String,
) -> Option<kit::Pager> {
    let last = offset + shown as i64;
    (total > 0).then(|| kit::Pager {
        summary: t.rows_of(offset + 1, last, total),
        previous: (page > 1).then(|| kit::Link::new(href(page - 1), t.previous)),
        next: (last < total).then(|| kit::Link::new(href(page + 1), t.next)),
    })
}

/// One request to the console: language, cookies, where it is.
pub struct Visit {
    pub lang: Lang,
    /// Path and query (of the page to come back to, for an answer to a post).
    here: String,
    /// Whether the request is a form post (its answer's language switch cannot repeat it).
    posted: bool,
    query: HashMap<String, String>,
    session: Option<String>,
    csrf_cookie: Option<String>,
    /// The ticket of an authenticator set-up under way.
    setup_ticket: Option<String>,
    secure: bool,
    /// Cookies to set on whatever answer this visit gets.
    cookies: Vec<Cookie<'static>>,
}

fn cookie_jar(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_string(), c.value().to_string()))
        .collect()
}

impl FromRequestParts<Services> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Services) -> Result<Visit, Response> {
        let query: HashMap<String, String> = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let jar = cookie_jar(&parts.headers);
        let secure = state.secure_cookies();
        let mut cookies = Vec::new();
        let switched = query.get("lang").and_then(|l| Lang::from_code(l));
        if let Some(lang) = switched {
            let year = Some(365 * 24 * 3600);
            cookies.push(kit::cookie(LANG_COOKIE, lang.code().into(), secure, year));
        }
        let lang = switched
            .or_else(|| jar.get(LANG_COOKIE).and_then(|l| Lang::from_code(l)))
            .or_else(|| {
                parts
                    .headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::from_accept_language)
            })
            .unwrap_or(Lang::En);
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/console".into());
        Ok(Visit {
            lang,
            here,
            posted: parts.method != axum::http::Method::GET,
            query,
            session: jar.get(SESSION_COOKIE).filter(|v| !v.is_empty()).cloned(),
            csrf_cookie: jar.get(CSRF_COOKIE).filter(|v| v.len() >= 32).cloned(),
            setup_ticket: jar.get(SETUP_COOKIE).filter(|v| !v.is_empty()).cloned(),
            secure,
            cookies,
        })
    }
}

impl Visit {
    pub fn texts(&self) -> &'static Texts {
        texts(self.lang)
    }

    /// A query parameter (empty when absent).
    pub fn query(&self, name: &str) -> &str {
        self.query.get(name).map(String::as_str).unwrap_or_default()
    }

    /// Whether the query has parameter `name` (even empty).
    pub fn has_query(&self, name: &str) -> bool {
        self.query.contains_key(name)
    }

    /// Replaces the query (a page shown again after a post, as the search it came from).
    pub fn set_query(&mut self, query: &str) {
        self.query = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    }

    /// The CSRF token of the forms shown before sign-in (the double-submit cookie's, made on
    /// first use).
    fn signed_out_csrf(&mut self) -> String {
        if let Some(token) = &self.csrf_cookie {
            return token.clone();
        }
        let token = kit::random_token();
        self.cookies
            .push(kit::cookie(CSRF_COOKIE, token.clone(), self.secure, None));
        self.csrf_cookie = Some(token.clone());
        token
    }

    /// The shell of a page shown before sign-in.
    fn signed_out_shell(&mut self) -> Shell {
        let here = if self.posted {
            "/console/sign-in".to_string()
        } else {
            self.here.clone()
        };
        Shell {
            lang: self.lang,
            here,
            csrf: self.signed_out_csrf(),
            who: None,
            menu: Vec::new(),
            current: None,
        }
    }

    pub fn html(&self, status: StatusCode, shell: &Shell, page: Page) -> Response {
        kit::html(status, kit::render(shell, page), &self.cookies)
    }

    pub fn redirect(&self, to: &str) -> Response {
        kit::see_other(to, &self.cookies)
    }

    /// Starts the console session (the cookie is set on the next answer).
    fn start_session(&mut self, token: String) {
        self.cookies
            .push(kit::cookie(SESSION_COOKIE, token, self.secure, None));
    }

    fn end_session(&mut self) {
        self.cookies.push(kit::cookie(
            SESSION_COOKIE,
            String::new(),
            self.secure,
            Some(0),
        ));
    }

    /// A page saying why nothing was done (403 for a forged or expired form).
    fn refusal(&mut self, status: StatusCode, title: &str, text: &str) -> Response {
        let shell = self.signed_out_shell();
        let page = Page::new(title).block(Block::Text(text.to_string()));
        self.html(status, &shell, page)
    }
}

/// The CSRF token of a signed-in administrator's forms: derived from the session token, which
/// only their browser holds (in an HttpOnly cookie), so no other page can know it.
fn session_csrf(session_token: &str) -> String {
    let digest = Sha256::digest(format!("corral-console-csrf:{session_token}").as_bytes());
    B64URL.encode(digest)
}

/// A signed-in administrator's visit. Pages taking it send anyone else to the sign-in page.
pub struct Desk {
    pub visit: Visit,
    pub me: Authenticated,
    csrf: String,
}

impl FromRequestParts<Services> for Desk {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Services) -> Result<Desk, Response> {
        let visit = Visit::from_request_parts(parts, state).await?;
        let Some(token) = visit.session.clone() else {
            return Err(to_sign_in(&visit));
        };
        match sessions::authenticate(state.store(), &token).await {
            Ok(me) => Ok(Desk {
                csrf: session_csrf(&token),
                visit,
                me,
            }),
            Err(Error::Unauthenticated(_)) => Err(to_sign_in(&visit)),
            Err(e) => Err(failure(&visit, e)),
        }
    }
}

fn to_sign_in(visit: &Visit) -> Response {
    let next: String = form_urlencoded::byte_serialize(visit.here.as_bytes()).collect();
    visit.redirect(&format!("/console/sign-in?next={next}"))
}

/// The page for a failure of the server itself (database down...): logged, nothing shown.
fn failure(visit: &Visit, e: Error) -> Response {
    tracing::error!(error = %e, "console: the services failed");
    let t = visit.texts();
    let shell = Shell {
        lang: visit.lang,
        here: visit.here.clone(),
        csrf: String::new(),
        who: None,
        menu: Vec::new(),
        current: None,
    };
    let page = Page::new(t.error_title).block(Block::Text(t.error_text.to_string()));
    visit.html(StatusCode::SERVICE_UNAVAILABLE, &shell, page)
}

/// What a refused operation means for the page that asked for it.
pub enum Refused {
    /// Show the form again with this message at this field.
    Field { field: String, message: String },
    /// Show the form again with this message on the whole form.
    Form(String),
    /// Answer this instead (403, 404, sign-in, server failure).
    Page(Response),
}

impl Desk {
    pub fn texts(&self) -> &'static Texts {
        self.visit.texts()
    }

    /// The services, acting as this administrator.
    pub fn act<'a>(&'a self, services: &'a Services) -> AsAdmin<'a> {
        services
            .as_admin(&self.me)
            .in_language(self.visit.lang.code())
    }

    pub fn shell(&self, current: &'static str) -> Shell {
        let t = self.texts();
        let menu = menu(&self.me, t);
        let here = match menu.iter().find(|m| m.key == current) {
            Some(item) if self.visit.posted => item.href.clone(),
            _ => self.visit.here.clone(),
        };
        Shell {
            lang: self.visit.lang,
            here,
            csrf: self.csrf.clone(),
            who: Some(Who {
                email: self.me.admin.email.clone(),
                role: t
                    .role(self.me.admin.role == crate::admins::Role::Owner)
                    .to_string(),
                tenant: self.me.tenant_slug.clone(),
            }),
            menu,
            current: Some(current),
        }
    }

    /// A page of the console, under the menu entry `current`.
    pub fn page(&self, current: &'static str, page: Page) -> Response {
        self.page_with(StatusCode::OK, current, page)
    }

    pub fn page_with(&self, status: StatusCode, current: &'static str, page: Page) -> Response {
        self.visit.html(status, &self.shell(current), page)
    }

    pub fn redirect(&self, to: &str) -> Response {
        self.visit.redirect(to)
    }

    /// Sorts a refusal of the services: what the form shows again, or the page to answer.
    pub fn refused(&self, e: Error) -> Refused {
        let t = self.texts();
        let page = |status: StatusCode, title: &str, text: String| {
            let page = Page::new(title).block(Block::Text(text));
            Refused::Page(self.page_with(status, "", page))
        };
        match e {
            Error::Invalid { field, message }
            | Error::Rejected { field, message, .. }
            | Error::TooLarge { field, message } => Refused::Field { field, message },
            Error::Conflict { message, .. }
            | Error::Gone { message, .. }
            | Error::Upstream { message, .. } => Refused::Form(message),
            Error::Locked { retry_after_secs } | Error::TooManyAttempts { retry_after_secs } => {
                Refused::Form(t.locked(retry_after_secs))
            }
            Error::Forbidden(why) => page(StatusCode::FORBIDDEN, t.forbidden_title, why.into()),
            Error::NotFound(what) => page(
                StatusCode::NOT_FOUND,
                t.not_found_title,
                format!("{what} not found"),
            ),
            Error::Unauthenticated(_) => Refused::Page(to_sign_in(&self.visit)),
            other => Refused::Page(failure(&self.visit, other)),
        }
    }

    /// Sorts a plugin call's failure: the setup's as [`Desk::refused`], the plugin's refusal
    /// or failure (busy, timed out, trapped) as a message on the form.
    pub fn refused_hook(&self, e: crate::plugins::HookError) -> Refused {
        match e {
            crate::plugins::HookError::Setup(e) => self.refused(e),
            other => Refused::Form(other.to_string()),
        }
    }

    /// The answer when the services refuse to show a page: theirs (403, 404, sign-in), or
    /// their message.
    pub fn refused_page(&self, current: &'static str, e: Error) -> Response {
        match self.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                let page = Page::new(self.texts().error_title).block(Block::Text(message));
                self.page_with(StatusCode::BAD_REQUEST, current, page)
            }
        }
    }

    /// The notice named by `?done=` after a post (only the keys the page knows).
    pub fn done(&self, known: &[(&str, &str)]) -> Option<Notice> {
        let key = self.visit.query("done");
        known
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, text)| Notice::Done(text.to_string()))
    }
}

/// A posted form's fields, in order (a name may come several times: check boxes).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        Fields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, trimmed (empty when absent).
    pub fn text(&self, name: &str) -> String {
        self.raw(name).trim().to_string()
    }

    /// The first value of `name` as sent (passwords keep their spaces).
    pub fn raw(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether the check box `name` is ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == "on")
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// `form` shown again after a refusal: what was typed in it (check boxes as ticked; never
/// files, passwords or hidden fields), and `message` at `field`, or on the whole form when
/// `field` is empty or not one of its fields.
pub fn shown_again(mut form: Form, typed: &Fields, field: &str, message: &str) -> Form {
    for f in &mut form.fields {
        match f.input {
            Input::Hidden | Input::File(_) | Input::Password | Input::NewPassword => {}
            Input::Checkbox => f.value = if typed.checked(&f.name) { "on" } else { "" }.into(),
            _ => f.value = typed.raw(&f.name),
        }
    }
    if field.is_empty() {
        form.error(Some(message.to_string()))
    } else {
        form.fail(field, message.to_string())
    }
}

/// A refused form to show again on its page: (form id, field, message, what was typed).
pub type Again<'a> = Option<(&'a str, String, String, &'a Fields)>;

/// `form`, shown again with the refusal in `again` when it is that form's.
pub fn refill(form: Form, again: &Again<'_>) -> Form {
    match again {
        Some((id, field, message, typed)) if *id == form.id => {
            shown_again(form, typed, field, message)
        }
        _ => form,
    }
}

/// The status of a page: 422 when it shows a refused form again, else 200.
pub fn status_of(again: &Again<'_>) -> StatusCode {
    if again.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// The largest form body the console reads (uploads come later, as multipart).
const FORM_LIMIT: usize = 256 * 1024;

/// Reads a form post after the checks every post passes: it comes from this site, and its
/// `csrf` field is `expected` (or the sign-in CSRF cookie's when `expected` is `None`).
async fn read_form(
    req: Request,
    state: &Services,
    visit: &mut Visit,
    expected: Option<&str>,
) -> Result<Fields, Response> {
    let t = visit.texts();
    if crate::http::cross_site::from_elsewhere(req.headers(), state.base_url()).is_some() {
        return Err(visit.refusal(StatusCode::FORBIDDEN, t.csrf_title, t.csrf_text));
    }
    let body = match Bytes::from_request(req, state).await {
        Ok(body) if body.len() <= FORM_LIMIT => body,
        _ => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return Err(visit.refusal(status, t.error_title, t.error_text));
        }
    };
    let fields = Fields::parse(&body);
    let expected = match expected {
        Some(token) => Some(token.to_string()),
        None => visit.csrf_cookie.clone(),
    };
    let sent = fields.raw("csrf");
    match expected {
        Some(token) if kit::same_secret(&token, &sent) => Ok(fields),
        _ => Err(visit.refusal(StatusCode::FORBIDDEN, t.csrf_title, t.csrf_text)),
    }
}

/// A signed-in administrator's form post, checked (this site, the session's CSRF token).
pub struct Posted {
    pub desk: Desk,
    pub fields: Fields,
}

impl FromRequest<Services> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Services) -> Result<Posted, Response> {
        let (mut parts, body) = req.into_parts();
        let mut desk = Desk::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let csrf = desk.csrf.clone();
        let fields = read_form(req, state, &mut desk.visit, Some(&csrf)).await?;
        Ok(Posted { desk, fields })
    }
}

/// A file sent with a form (`multipart/form-data`).
pub struct File {
    /// The name the browser gave (may be empty).
    pub name: String,
    pub bytes: Bytes,
}

/// A signed-in administrator's upload form, checked like [`Posted`] (this site, the session's
/// CSRF token): its text fields, and the file of its one file field if one was chosen. The
/// body's limit is the route's (`DefaultBodyLimit`), set to the largest file the services take.
pub struct Uploaded {
    pub desk: Desk,
    pub fields: Fields,
    pub file: Option<File>,
}

impl FromRequest<Services> for Uploaded {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Services) -> Result<Uploaded, Response> {
        let (mut parts, body) = req.into_parts();
        let mut desk = Desk::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let t = desk.texts();
        if crate::http::cross_site::from_elsewhere(req.headers(), state.base_url()).is_some() {
            return Err(desk
                .visit
                .refusal(StatusCode::FORBIDDEN, t.csrf_title, t.csrf_text));
        }
        let too_large = |desk: &mut Desk| {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            desk.visit
                .refusal(status, t.error_title, t.upload_too_large)
        };
        let mut multipart = match axum::extract::Multipart::from_request(req, state).await {
            Ok(multipart) => multipart,
            Err(_) => {
                return Err(desk.visit.refusal(
                    StatusCode::BAD_REQUEST,
                    t.error_title,
                    t.error_text,
                ))
            }
        };
        let mut fields = Vec::new();
        let mut file = None;
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(&mut desk))
                }
                Err(_) => {
                    let status = StatusCode::BAD_REQUEST;
                    return Err(desk.visit.refusal(status, t.error_title, t.error_text));
                }
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let bytes = match field.bytes().await {
                Ok(bytes) => bytes,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(&mut desk))
                }
                Err(_) => {
                    let status = StatusCode::BAD_REQUEST;
                    return Err(desk.visit.refusal(status, t.error_title, t.error_text));
                }
            };
            match file_name {
                // A file field left empty comes with an empty name and no bytes.
                Some(file_name) if !(file_name.is_empty() && bytes.is_empty()) => {
                    file = Some(File {
                        name: file_name,
                        bytes,
                    })
                }
                Some(_) => {}
                None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        let fields = Fields(fields);
        if !kit::same_secret(&desk.csrf, &fields.raw("csrf")) {
            return Err(desk
                .visit
                .refusal(StatusCode::FORBIDDEN, t.csrf_title, t.csrf_text));
        }
        Ok(Uploaded { desk, fields, file })
    }
}

/// A form post before sign-in, checked (this site, the CSRF cookie's token).
pub struct SignedOutPost {
    pub visit: Visit,
    pub fields: Fields,
}

impl FromRequest<Services> for SignedOutPost {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Services) -> Result<SignedOutPost, Response> {
        let (mut parts, body) = req.into_parts();
        let mut visit = Visit::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let fields = read_form(req, state, &mut visit, None).await?;
        Ok(SignedOutPost { visit, fields })
    }
}
