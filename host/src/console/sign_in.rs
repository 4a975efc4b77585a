//! Signing in to the console (SPEC A3): organisation, e-mail, password and the authenticator
//! code, with the lockout and replay rules of the API (both call `sessions`). An administrator
//! who never confirmed an authenticator app leaves the code empty, is shown the QR code of
//! their secret (and the secret as text), and is signed in by its first code.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{self as kit, Block, Field, Form, Input, Page, Tone, SETUP_COOKIE};

use super::{Fields, Posted, SignedOutPost, Visit};
use crate::error::Error;
use crate::services::Services;
use crate::sessions::{self, Credentials, SignedIn};

/// Where to go after sign-in: the `next` page asked for, if it is a console page.
fn next_page(next: &str) -> String {
    let safe = next.starts_with("/console")
        && !next.starts_with("/console/sign-")
        && !next.contains("//")
        && !next.contains('\\');
    if safe {
        next.to_string()
    } else {
        "/console/users".to_string()
    }
}

fn sign_in_form(visit: &Visit, fields: Option<&Fields>) -> Form {
    let t = visit.texts();
    let value = |name: &str, default: &str| match fields {
        Some(f) => f.text(name),
        None => default.to_string(),
    };
    Form::post("sign-in", "/console/sign-in", t.sign_in)
        .tone(Tone::Primary)
        .hidden("next", value("next", visit.query("next")))
        .field(
            Field::new("tenant", t.tenant, Input::Text)
                .value(value("tenant", visit.query("tenant")))
                .autocomplete("organization")
                .required(),
        )
        .field(
            Field::new("email", t.email, Input::Email)
                .value(value("email", ""))
                .autocomplete("username")
                .required(),
        )
        .field(
            Field::new("password", t.password, Input::Password)
                .autocomplete("current-password")
                .required(),
        )
        .field(Field::new("code", t.totp_code, Input::Code).hint(t.totp_code_hint))
}

fn sign_in_page(visit: &mut Visit, status: StatusCode, form: Form) -> Response {
    let t = visit.texts();
    let shell = visit.signed_out_shell();
    let page = Page::new(t.sign_in_title).lead(t.sign_in_intro).block(form);
    visit.html(status, &shell, page)
}

pub async fn page(mut visit: Visit) -> Response {
    let form = sign_in_form(&visit, None);
    sign_in_page(&mut visit, StatusCode::OK, form)
}

pub async fn submit(State(services): State<Services>, post: SignedOutPost) -> Response {
    let SignedOutPost { mut visit, fields } = post;
    let t = visit.texts();
    let mut form = sign_in_form(&visit, Some(&fields));
    for (name, missing) in [
        ("tenant", t.tenant_required),
        ("email", t.email_required),
        ("password", t.password_required),
    ] {
        if fields.raw(name).trim().is_empty() {
            form = form.fail(name, missing.to_string());
        }
    }
    if form.has_errors() {
        return sign_in_page(&mut visit, StatusCode::UNPROCESSABLE_ENTITY, form);
    }
    let credentials = Credentials {
        tenant: fields.text("tenant"),
        email: fields.text("email"),
        password: fields.raw("password"),
        totp: fields.text("code"),
    };
    let answer = sessions::sign_in_or_set_up(
        services.store(),
        services.secrets(),
        services.policy(),
        services.guesses(),
        credentials,
        visit.session.as_deref(),
    )
    .await;
    match answer {
        Ok(SignedIn::Session(_, token)) => {
            visit.start_session(token);
            visit.redirect(&next_page(&fields.text("next")))
        }
        Ok(SignedIn::SetUpAuthenticator { ticket }) => {
            let ttl = Some(sessions::SETUP_TTL_MS / 1000);
            visit
                .cookies
                .push(kit::cookie(SETUP_COOKIE, ticket, visit.secure, ttl));
            visit.redirect("/console/sign-in/authenticator")
        }
        Err(Error::Unauthenticated(_)) => {
            let form = form.error(Some(t.sign_in_refused.to_string()));
            sign_in_page(&mut visit, StatusCode::UNAUTHORIZED, form)
        }
        Err(Error::Locked { retry_after_secs } | Error::TooManyAttempts { retry_after_secs }) => {
            let form = form.error(Some(t.locked(retry_after_secs)));
            sign_in_page(&mut visit, StatusCode::TOO_MANY_REQUESTS, form)
        }
        Err(e) => super::failure(&visit, e),
    }
}

/// The set-up page: the QR code and key of the administrator's secret, and a field for the
/// first code.
async fn setup(
    services: &Services,
    visit: &mut Visit,
    ticket: Option<String>,
    code_error: Option<String>,
) -> Response {
    let t = visit.texts();
    let found = match ticket {
        Some(ticket) => {
            sessions::authenticator_setup(services.store(), services.secrets(), &ticket).await
        }
        None => Err(Error::Unauthenticated("no set-up under way")),
    };
    let setup = match found {
        Ok(setup) => setup,
        Err(Error::Unauthenticated(_)) => {
            let form = sign_in_form(visit, None).error(Some(t.enrol_expired.to_string()));
            return sign_in_page(visit, StatusCode::UNAUTHORIZED, form);
        }
        Err(e) => return super::failure(visit, e),
    };
    let shell = visit.signed_out_shell();
    let form = Form::post("set-up", "/console/sign-in/authenticator", t.enrol_confirm)
        .tone(Tone::Primary)
        .field(
            Field::new("code", t.totp_code, Input::Code)
                .hint(t.enrol_code_hint)
                .required()
                .error(code_error.clone()),
        );
    let mut page = Page::new(t.enrol_title)
        .lead(t.enrol_intro)
        .block(Block::Facts(vec![
            (t.tenant.to_string(), setup.tenant_slug.into()),
            (t.email.to_string(), setup.email.into()),
        ]));
    if let Some(qr) = Block::qr_code(
        &setup.uri,
        t.enrol_qr_alt,
        t.enrol_key,
        &setup.secret_base32,
    ) {
        page = page.block(qr);
    }
    let status = if code_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    visit.html(status, &shell, page.block(form))
}

pub async fn setup_page(State(services): State<Services>, mut visit: Visit) -> Response {
    let ticket = visit.setup_ticket.clone();
    setup(&services, &mut visit, ticket, None).await
}

pub async fn confirm(State(services): State<Services>, post: SignedOutPost) -> Response {
    let SignedOutPost { mut visit, fields } = post;
    let t = visit.texts();
    let ticket = visit.setup_ticket.clone();
    let code = fields.text("code");
    if code.is_empty() {
        return setup(&services, &mut visit, ticket, Some(t.totp_required.into())).await;
    }
    let Some(ticket_value) = ticket.clone() else {
        return setup(&services, &mut visit, None, None).await;
    };
    let answer = sessions::confirm_authenticator(
        services.store(),
        services.secrets(),
        services.policy(),
        services.guesses(),
        &ticket_value,
        &code,
        visit.session.as_deref(),
    )
    .await;
    match answer {
        Ok((_, token)) => {
            let secure = visit.secure;
            visit
                .cookies
                .push(kit::cookie(SETUP_COOKIE, String::new(), secure, Some(0)));
            visit.start_session(token);
            visit.redirect("/console/users")
        }
        Err(Error::Invalid { .. }) => {
            setup(&services, &mut visit, ticket, Some(t.totp_refused.into())).await
        }
        Err(Error::Locked { retry_after_secs } | Error::TooManyAttempts { retry_after_secs }) => {
            setup(
                &services,
                &mut visit,
                ticket,
                Some(t.locked(retry_after_secs)),
            )
            .await
        }
        Err(Error::Unauthenticated(_)) => setup(&services, &mut visit, None, None).await,
        Err(e) => super::failure(&visit, e),
    }
}

pub async fn sign_out(State(services): State<Services>, post: Posted) -> Response {
    let Posted { mut desk, .. } = post;
    if let Some(token) = desk.visit.session.clone() {
        if let Err(e) = sessions::sign_out(services.store(), &token).await {
            return super::failure(&desk.visit, e);
        }
    }
    desk.visit.end_session();
    desk.redirect("/console/sign-in")
}
