//! The registration walk-through (SPEC B3, B4, D5, I1): sign in with a password or a one-time
//! PIN, set a password when the user has none, then the home page with the user's devices and
//! the registration QR code. Every step checks where the session stands and sends the browser
//! to the right page, so a bookmarked or replayed URL never skips a step.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use qrcode::render::svg;
use qrcode::QrCode;

use crate::backend::{
    ActionOutcome, NewSession, OwnAction, PasswordOutcome, PinOutcome, ProfileDownload,
    ProfileKind, ProfileLinkOutcome, Session, SetPasswordOutcome, Stage, Weakness,
};
use crate::pages::{self, Home, PasswordForm, PinForm, SignInForm};
use crate::visit::Visit;
use crate::PortalState;

type Fields = HashMap<String, String>;

/// A form field; absent, or holding a control character such as NUL (which no e-mail address,
/// password or PIN has, and PostgreSQL cannot store), it reads as empty, and the page asks for
/// it again.
fn field<'a>(form: &'a Fields, name: &str) -> &'a str {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.chars().any(char::is_control))
        .unwrap_or("")
}

/// Where a session in `stage` belongs.
fn step(stage: Stage) -> &'static str {
    match stage {
        Stage::NeedsPin => "/pin",
        Stage::NeedsPassword => "/password",
        Stage::Active => "/home",
    }
}

/// `/r/<token>` and `/r/<token>/go`: the sign-in page, or the step the session is at.
pub async fn entry(State(state): State<PortalState>, visit: Visit) -> Response {
    match visit.session(&state).await {
        Err(res) => res,
        Ok(Some(session)) => visit.redirect(step(session.stage)),
        Ok(None) => visit.page(
            StatusCode::OK,
            pages::sign_in(&visit.frame, SignInForm::default()),
        ),
    }
}

pub async fn sign_in(
    State(state): State<PortalState>,
    mut visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    let t = visit.frame.texts();
    let email = field(&form, "email").trim().to_string();
    let password = field(&form, "password");
    let mut refused = SignInForm {
        email: email.clone(),
        ..Default::default()
    };
    if email.is_empty() {
        refused.email_error = Some(t.email_required.into());
    }
    if password.is_empty() {
        refused.password_error = Some(t.password_required.into());
    }
    if refused.email_error.is_some() || refused.password_error.is_some() {
        let html = pages::sign_in(&visit.frame, refused);
        return visit.page(StatusCode::UNPROCESSABLE_ENTITY, html);
    }
    match state
        .backend
        .sign_in_with_password(visit.tenant_id(), &email, password)
        .await
    {
        Err(e) => visit.failure(e),
        Ok(PasswordOutcome::SignedIn(NewSession { token, stage })) => {
            visit.start_session(token);
            visit.redirect(step(stage))
        }
        Ok(PasswordOutcome::Refused) => {
            refused.password_error = Some(t.wrong_credentials.into());
            let html = pages::sign_in(&visit.frame, refused);
            visit.page(StatusCode::UNAUTHORIZED, html)
        }
        Ok(PasswordOutcome::DirectoryUnavailable) => {
            refused.password_error = Some(t.directory_unavailable.into());
            let html = pages::sign_in(&visit.frame, refused);
            visit.page(StatusCode::SERVICE_UNAVAILABLE, html)
        }
        Ok(PasswordOutcome::AccountLocked { retry_after_secs }) => {
            refused.password_error = Some(t.account_locked(retry_after_secs));
            let html = pages::sign_in(&visit.frame, refused);
            retry_after(
                visit.page(StatusCode::TOO_MANY_REQUESTS, html),
                retry_after_secs,
            )
        }
    }
}

pub async fn pin_page(State(state): State<PortalState>, visit: Visit) -> Response {
    let ask_email = match visit.session(&state).await {
        Err(res) => return res,
        Ok(Some(Session {
            stage: Stage::NeedsPin,
            ..
        })) => false,
        Ok(Some(session)) => return visit.redirect(step(session.stage)),
        Ok(None) => true,
    };
    let form = PinForm {
        ask_email,
        ..Default::default()
    };
    visit.page(StatusCode::OK, pages::pin(&visit.frame, form))
}

pub async fn pin(
    State(state): State<PortalState>,
    mut visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    let t = visit.frame.texts();
    let session = match visit.session(&state).await {
        Err(res) => return res,
        Ok(Some(s)) if s.stage != Stage::NeedsPin => return visit.redirect(step(s.stage)),
        Ok(s) => s,
    };
    let email = field(&form, "email").trim().to_string();
    let pin = field(&form, "pin").trim().to_string();
    let mut refused = PinForm {
        ask_email: session.is_none(),
        email: email.clone(),
        ..Default::default()
    };
    if refused.ask_email && email.is_empty() {
        refused.email_error = Some(t.email_required.into());
    }
    if pin.is_empty() {
        refused.pin_error = Some(t.pin_required.into());
    }
    if refused.email_error.is_some() || refused.pin_error.is_some() {
        let html = pages::pin(&visit.frame, refused);
        return visit.page(StatusCode::UNPROCESSABLE_ENTITY, html);
    }
    let outcome = match (session, visit.session_token()) {
        (Some(_), Some(token)) => {
            state
                .backend
                .confirm_pin(visit.tenant_id(), token, &pin)
                .await
        }
        _ => {
            state
                .backend
                .sign_in_with_pin(visit.tenant_id(), &email, &pin)
                .await
        }
    };
    let (status, message) = match outcome {
        Err(e) => return visit.failure(e),
        Ok(PinOutcome::Accepted(NewSession { token, stage })) => {
            visit.start_session(token);
            return visit.redirect(step(stage));
        }
        Ok(PinOutcome::Wrong { remaining }) => (StatusCode::UNAUTHORIZED, t.pin_wrong(remaining)),
        Ok(PinOutcome::Locked) => (StatusCode::UNAUTHORIZED, t.pin_locked.to_string()),
        Ok(PinOutcome::Expired) => (StatusCode::UNAUTHORIZED, t.pin_expired.to_string()),
        Ok(PinOutcome::NoPin) => (StatusCode::UNAUTHORIZED, t.pin_none.to_string()),
        Ok(PinOutcome::NotAccepted) => (StatusCode::UNAUTHORIZED, t.pin_not_accepted.to_string()),
        Ok(PinOutcome::AccountLocked { retry_after_secs }) => {
            refused.pin_error = Some(t.account_locked(retry_after_secs));
            let html = pages::pin(&visit.frame, refused);
            let res = visit.page(StatusCode::TOO_MANY_REQUESTS, html);
            return retry_after(res, retry_after_secs);
        }
    };
    refused.pin_error = Some(message);
    let html = pages::pin(&visit.frame, refused);
    visit.page(status, html)
}

/// Adds `Retry-After` to a 429 page.
fn retry_after(mut res: Response, secs: i64) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    res
}

pub async fn password_page(State(state): State<PortalState>, visit: Visit) -> Response {
    match visit.session(&state).await {
        Err(res) => res,
        Ok(Some(Session {
            stage: Stage::NeedsPassword,
            ..
        })) => {
            let min = state.backend.password_min_length();
            let html = pages::set_password(&visit.frame, min, PasswordForm::default());
            visit.page(StatusCode::OK, html)
        }
        Ok(Some(session)) => visit.redirect(step(session.stage)),
        Ok(None) => visit.redirect(""),
    }
}

pub async fn set_password(
    State(state): State<PortalState>,
    visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    let t = visit.frame.texts();
    let token = match visit.session(&state).await {
        Err(res) => return res,
        Ok(Some(Session {
            stage: Stage::NeedsPassword,
            ..
        })) => visit.session_token().unwrap_or_default().to_string(),
        Ok(Some(session)) => return visit.redirect(step(session.stage)),
        Ok(None) => return visit.redirect(""),
    };
    let password = field(&form, "password");
    let confirm = field(&form, "confirm");
    let mut refused = PasswordForm::default();
    if password != confirm {
        refused.confirm_error = Some(t.passwords_differ.into());
    } else {
        match state
            .backend
            .set_password(visit.tenant_id(), &token, password)
            .await
        {
            Err(e) => return visit.failure(e),
            Ok(SetPasswordOutcome::Done) => return visit.redirect("/home"),
            Ok(SetPasswordOutcome::Weak(weakness)) => {
                refused.password_error = Some(match weakness {
                    Weakness::TooShort { min } => t.too_short(min),
                    Weakness::TooLong { max } => t.too_long(max),
                    Weakness::TooSimple => t.too_simple.to_string(),
                })
            }
        }
    }
    let html = pages::set_password(&visit.frame, state.backend.password_min_length(), refused);
    visit.page(StatusCode::UNPROCESSABLE_ENTITY, html)
}

/// The signed-in session, or the answer sending the browser where it belongs.
async fn active(state: &PortalState, visit: &Visit) -> Result<(Session, String), Response> {
    match visit.session(state).await? {
        Some(session) if session.stage == Stage::Active => Ok((
            session,
            visit.session_token().unwrap_or_default().to_string(),
        )),
        Some(session) => Err(visit.redirect(step(session.stage))),
        None => Err(visit.redirect("")),
    }
}

/// The QR code of `content` as an SVG element (without the XML declaration, for inlining).
fn qr_svg(content: &str) -> Result<String, qrcode::types::QrError> {
    let svg = QrCode::new(content.as_bytes())?
        .render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_string(),
        None => svg,
    })
}

pub async fn home(State(state): State<PortalState>, visit: Visit) -> Response {
    let (session, token) = match active(&state, &visit).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    // MAM-only users enrol no device: their portal is their app list.
    if session.user.unmanaged {
        return visit.redirect("/apps");
    }
    let tenant = visit.tenant_id();
    let devices = match state.backend.devices(tenant, &token).await {
        Ok(d) => d,
        Err(e) => return visit.failure(e),
    };
    let registration = match state
        .backend
        .device_registration(tenant, &token, &visit.registration_token)
        .await
    {
        Ok(r) => r,
        Err(e) => return visit.failure(e),
    };
    let qr_svg = match qr_svg(&registration.url) {
        Ok(svg) => svg,
        Err(e) => return visit.failure(crate::BackendError(format!("QR code: {e}"))),
    };
    let html = pages::home(
        &visit.frame,
        Home {
            user: session.user,
            devices,
            qr_svg,
            registration_url: registration.url,
            valid_minutes: registration.valid_minutes,
        },
    );
    visit.page(StatusCode::OK, html)
}

/// The apps the user may get, with their store links or files (SPEC C2, C5).
pub async fn apps(State(state): State<PortalState>, visit: Visit) -> Response {
    let (session, token) = match active(&state, &visit).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    match state.backend.apps(visit.tenant_id(), &token).await {
        Err(e) => visit.failure(e),
        Ok(apps) => {
            let html = pages::apps(&visit.frame, &session.user, apps);
            visit.page(StatusCode::OK, html)
        }
    }
}

/// An in-house app's file, for a user who may get it.
pub async fn app_file(
    State(state): State<PortalState>,
    Path(params): Path<HashMap<String, String>>,
    visit: Visit,
) -> Response {
    let (_, token) = match active(&state, &visit).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let app = params.get("app").map(String::as_str).unwrap_or_default();
    match state.backend.app_file(visit.tenant_id(), &token, app).await {
        Err(e) => visit.failure(e),
        Ok(Some((name, bytes))) => {
            let content_type = if name.to_lowercase().ends_with(".apk") {
                "application/vnd.android.package-archive"
            } else {
                "application/octet-stream"
            };
            visit.attachment(content_type, &name, bytes)
        }
        Ok(None) => {
            let t = visit.frame.texts();
            let html = pages::notice(&visit.frame, t.no_such_app, t.no_such_app_text, None);
            visit.page(StatusCode::NOT_FOUND, html)
        }
    }
}

pub async fn profile(State(state): State<PortalState>, visit: Visit) -> Response {
    if let Err(res) = active(&state, &visit).await {
        return res;
    }
    let html = pages::profile(&visit.frame, state.backend.profiles_available());
    visit.page(StatusCode::OK, html)
}

/// Asks for a profile: answered with a redirect to its one-time download link.
pub async fn request_profile(
    State(state): State<PortalState>,
    visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    let token = match active(&state, &visit).await {
        Ok((_, token)) => token,
        Err(res) => return res,
    };
    let Some(kind) = ProfileKind::from_code(field(&form, "kind")) else {
        let html = pages::profile(&visit.frame, state.backend.profiles_available());
        return visit.page(StatusCode::UNPROCESSABLE_ENTITY, html);
    };
    match state
        .backend
        .profile_link(visit.tenant_id(), &token, kind)
        .await
    {
        Err(e) => visit.failure(e),
        Ok(ProfileLinkOutcome::Link { token, .. }) => visit.redirect(&format!("/profile/{token}")),
        Ok(ProfileLinkOutcome::Unavailable) => {
            let html = pages::profile(&visit.frame, false);
            visit.page(StatusCode::SERVICE_UNAVAILABLE, html)
        }
    }
}

/// The one-time download link: the signed profile, or a page offering a fresh one.
pub async fn download_profile(
    State(state): State<PortalState>,
    Path(params): Path<HashMap<String, String>>,
    visit: Visit,
) -> Response {
    let link = params.get("link").map(String::as_str).unwrap_or_default();
    match state
        .backend
        .download_profile(visit.tenant_id(), link)
        .await
    {
        Err(e) => visit.failure(e),
        Ok(ProfileDownload::Profile { bytes, filename }) => {
            visit.attachment("application/x-apple-aspen-config", &filename, bytes)
        }
        Ok(ProfileDownload::Stale) => {
            let t = visit.frame.texts();
            let html = pages::notice(
                &visit.frame,
                t.stale_title,
                t.stale_text,
                Some((format!("{}/profile", visit.frame.base), t.fresh_download)),
            );
            visit.page(StatusCode::GONE, html)
        }
    }
}

/// The action and device of the path, if the signed-in user may do that to that device.
async fn offered(
    state: &PortalState,
    visit: &Visit,
    token: &str,
    params: &HashMap<String, String>,
) -> Result<Option<(crate::backend::Device, OwnAction)>, Response> {
    let device = params.get("device").map(String::as_str).unwrap_or_default();
    let Some(action) = params.get("action").and_then(|a| OwnAction::from_code(a)) else {
        return Ok(None);
    };
    match state.backend.devices(visit.tenant_id(), token).await {
        Err(e) => Err(visit.failure(e)),
        Ok(all) => Ok(all
            .into_iter()
            .find(|d| d.id == device && d.actions.contains(&action))
            .map(|d| (d, action))),
    }
}

fn action_not_found(visit: &Visit) -> Response {
    let t = visit.frame.texts();
    let html = pages::notice(
        &visit.frame,
        t.device_action_title,
        t.device_action_not_found_text,
        Some((format!("{}/home", visit.frame.base), t.back_home)),
    );
    visit.page(StatusCode::NOT_FOUND, html)
}

/// The confirmation page of a user's action on their own device (SPEC G4, I1): lock, wipe
/// or retire.
pub async fn device_action_page(
    State(state): State<PortalState>,
    Path(params): Path<HashMap<String, String>>,
    visit: Visit,
) -> Response {
    let (_, token) = match active(&state, &visit).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    match offered(&state, &visit, &token, &params).await {
        Err(res) => res,
        Ok(None) => action_not_found(&visit),
        Ok(Some((d, action))) => visit.page(
            StatusCode::OK,
            pages::device_action(&visit.frame, &d, action),
        ),
    }
}

/// The confirmed action: asked of the server, which records it as the user's.
pub async fn device_action(
    State(state): State<PortalState>,
    Path(params): Path<HashMap<String, String>>,
    visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    let (_, token) = match active(&state, &visit).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let device = params.get("device").map(String::as_str).unwrap_or_default();
    let Some(action) = params.get("action").and_then(|a| OwnAction::from_code(a)) else {
        return action_not_found(&visit);
    };
    let t = visit.frame.texts();
    let home = Some((format!("{}/home", visit.frame.base), t.back_home));
    match state
        .backend
        .act_on_device(visit.tenant_id(), &token, device, action)
        .await
    {
        Err(e) => visit.failure(e),
        Ok(ActionOutcome::NotFound) => action_not_found(&visit),
        Ok(ActionOutcome::Requested { pin }) => visit.page(
            StatusCode::OK,
            pages::device_action_requested(&visit.frame, action, pin.as_deref()),
        ),
        Ok(ActionOutcome::Failed) => {
            let html = pages::notice(
                &visit.frame,
                t.device_action_title,
                t.device_action_failed_text,
                home,
            );
            visit.page(StatusCode::BAD_GATEWAY, html)
        }
    }
}

pub async fn sign_out(
    State(state): State<PortalState>,
    mut visit: Visit,
    Form(form): Form<Fields>,
) -> Response {
    if !visit.csrf_ok(&form) {
        return visit.csrf_refused();
    }
    if let Some(token) = visit.session_token().map(str::to_string) {
        if let Err(e) = state.backend.sign_out(visit.tenant_id(), &token).await {
            return visit.failure(e);
        }
    }
    visit.end_session();
    visit.redirect("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_is_an_inline_svg() {
        let svg = qr_svg("https://corral.example/r/acme.1.abc?device_token=xyz").unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<path"), "{svg}");
    }
}
