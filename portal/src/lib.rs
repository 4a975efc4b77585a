//! Corral self-service portal (SPEC B, D5, I1, I2): end users sign in, enter a one-time PIN,
//! set a password, scan a registration QR code and download management profiles.
//!
//! Pages are Leptos components rendered on the server; there is no client JavaScript, and every
//! form is a plain HTML form posting to this crate's axum handlers, which answer with the next
//! page (303) or the same page with the errors next to their fields. The portal talks to the
//! host only through [`Backend`], which the host implements: it never touches the database, and
//! the dependency goes one way (host -> portal).
//!
//! Every route lives under the tenant's registration URL, `/r/<token>`, so the tenant is known
//! from the first request and a rotated or forged URL stops the visit at the door.

mod backend;
mod flow;
pub mod i18n;
mod pages;
mod visit;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

pub use backend::*;
pub use visit::{CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE};

/// What the portal's handlers share.
#[derive(Clone)]
pub struct PortalState {
    backend: Arc<dyn Backend>,
    secure_cookies: bool,
}

/// The portal's routes, to merge into the server's router.
pub fn router(backend: Arc<dyn Backend>, secure_cookies: bool) -> Router {
    Router::new()
        .route("/r/{token}", get(flow::entry))
        .route("/r/{token}/go", get(flow::entry))
        .route("/r/{token}/sign-in", post(flow::sign_in))
        .route("/r/{token}/pin", get(flow::pin_page).post(flow::pin))
        .route(
            "/r/{token}/password",
            get(flow::password_page).post(flow::set_password),
        )
        .route("/r/{token}/home", get(flow::home))
        .route("/r/{token}/apps", get(flow::apps))
        .route("/r/{token}/apps/{app}/file", get(flow::app_file))
        .route(
            "/r/{token}/profile",
            get(flow::profile).post(flow::request_profile),
        )
        .route("/r/{token}/profile/{link}", get(flow::download_profile))
        .route(
            "/r/{token}/devices/{device}/{action}",
            get(flow::device_action_page).post(flow::device_action),
        )
        .route("/r/{token}/sign-out", post(flow::sign_out))
        .with_state(PortalState {
            backend,
            secure_cookies,
        })
}
