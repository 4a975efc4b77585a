//! The unmanaged-devices page (SPEC C1 to C4): the feature's state; switching it on; the
//! catalogue default for new apps; and switching it off for good, behind the exact
//! confirmation sentence, with what it will change listed first. Every action is an `AsAdmin`
//! operation of `unmanaged`, which holds the rules (the sentence, the order of states).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Field, Form, Input, Page, Tone};

use super::{when, Desk, Posted, Refused};
use crate::services::Services;
use crate::unmanaged::{State as FeatureState, CONFIRMATION};

const MENU: &str = "unmanaged";

/// The form errors to show again: the default's, the deactivation's.
#[derive(Default)]
struct Errors {
    default: Option<String>,
    deactivate: Option<(String, String)>,
}

pub async fn show(State(services): State<Services>, desk: Desk) -> Response {
    render(&services, &desk, Errors::default()).await
}

async fn render(services: &Services, desk: &Desk, errors: Errors) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let feature = match act.unmanaged_feature().await {
        Ok(feature) => feature,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let manage = desk.me.admin.abilities().manage_users;
    let (state, tone) = match feature.state {
        FeatureState::Off => (t.state_off, Tone::Neutral),
        FeatureState::On => (t.state_on, Tone::Good),
        FeatureState::Deactivated => (t.state_deactivated, Tone::Bad),
    };
    let mut facts = vec![(t.state.to_string(), Cell::Badge(state.into(), tone))];
    if let Some(at) = feature.changed_at {
        facts.push((t.changed_at.to_string(), when(at).into()));
    }
    facts.push((
        t.default_allow_new_apps.to_string(),
        if feature.default_allow_new_apps {
            t.yes
        } else {
            t.no
        }
        .into(),
    ));
    let failed = errors.default.is_some() || errors.deactivate.is_some();
    let mut page = Page::new(t.unmanaged_title)
        .lead(t.unmanaged_lead)
        .notice(desk.done(&[
            ("enabled", t.unmanaged_enabled),
            ("saved", t.admin_saved),
            ("deactivated", t.unmanaged_deactivated),
        ]))
        .block(Block::Facts(facts));
    if manage && feature.state == FeatureState::Off {
        page = page.block(
            Form::post("enable", "/console/unmanaged/enable", t.unmanaged_enable)
                .tone(Tone::Primary),
        );
    }
    if manage && feature.state == FeatureState::On {
        let checked = if feature.default_allow_new_apps {
            "on"
        } else {
            ""
        };
        let default = Form::post("default", "/console/unmanaged/default", t.save)
            .field(
                Field::new("allow_new_apps", t.default_allow_new_apps, Input::Checkbox)
                    .value(checked),
            )
            .error(errors.default);
        let preview = match act.preview_unmanaged_deactivation().await {
            Ok(preview) => preview,
            Err(e) => return desk.refused_page(MENU, e),
        };
        let mut items = vec![t.users_converted(preview.users.len())];
        items.extend(preview.users.iter().take(20).map(|e| format!("– {e}")));
        if preview.users.len() > 20 {
            items.push(format!("– … (+{})", preview.users.len() - 20));
        }
        items.push(t.apps_reset(preview.apps.len()));
        items.extend(preview.apps.iter().take(20).map(|n| format!("– {n}")));
        items.push(t.default_restored.to_string());
        items.push(t.apps_stay.to_string());
        items.push(t.no_way_back.to_string());
        let mut deactivate = Form::post(
            "deactivate",
            "/console/unmanaged/deactivate",
            t.unmanaged_deactivate,
        )
        .tone(Tone::Bad)
        .field(
            Field::new("confirmation", t.confirmation, Input::Text)
                .hint(t.confirmation_hint(CONFIRMATION))
                .required(),
        );
        if let Some((field, message)) = errors.deactivate {
            deactivate = deactivate.fail(&field, message);
        }
        page = page.block(default).block(Block::Section {
            title: t.unmanaged_deactivate.to_string(),
            blocks: vec![
                Block::Warning {
                    title: t.deactivation_will.to_string(),
                    items,
                },
                deactivate.into(),
            ],
        });
    }
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    desk.page_with(status, MENU, page)
}

pub async fn enable(State(services): State<Services>, post: Posted) -> Response {
    let desk = post.desk;
    match desk.act(&services).enable_unmanaged().await {
        Ok(_) => desk.redirect("/console/unmanaged?done=enabled"),
        Err(e) => desk.refused_page(MENU, e),
    }
}

pub async fn set_default(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let allow = fields.checked("allow_new_apps");
    match desk.act(&services).set_unmanaged_default(allow).await {
        Ok(_) => desk.redirect("/console/unmanaged?done=saved"),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                let errors = Errors {
                    default: Some(message),
                    ..Errors::default()
                };
                render(&services, &desk, errors).await
            }
        },
    }
}

pub async fn deactivate(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let sentence = fields.text("confirmation");
    match desk.act(&services).deactivate_unmanaged(&sentence).await {
        Ok(_) => desk.redirect("/console/unmanaged?done=deactivated"),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { field, message } => {
                let errors = Errors {
                    deactivate: Some((field, message)),
                    ..Errors::default()
                };
                render(&services, &desk, errors).await
            }
            Refused::Form(message) => {
                let errors = Errors {
                    deactivate: Some((String::new(), message)),
                    ..Errors::default()
                };
                render(&services, &desk, errors).await
            }
        },
    }
}
