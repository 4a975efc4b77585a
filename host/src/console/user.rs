//! One user's page (SPEC A5, B1): their details, changed where the services allow it (a
//! directory user's come from the directory), an invitation sent again, links to their devices
//! and their history, and their deletion once confirmed. Every action is an `AsAdmin`
//! operation of `users` or `invitations`.

use axum::extract::{Path, State};
use axum::response::Response;
use corral_console::{Block, Cell, Field, Form, Input, Link, Page, Tone};

use super::{
    filtered_href, history, refill, status_of, when, Again, Desk, Fields, Posted, Refused,
};
use crate::services::Services;
use crate::users::UserUpdate;

const MENU: &str = "users";

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    render(&services, &desk, &id, None).await
}

async fn render(services: &Services, desk: &Desk, id: &str, again: Again<'_>) -> Response {
    let t = desk.texts();
    let user = match desk.act(services).get_user(id).await {
        Ok(user) => user,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let manage = desk.me.admin.abilities().manage_users;
    let base = format!("/console/users/{id}");
    let fail = |form: Form| refill(form, &again);
    let mut page = Page::new(user.email.clone())
        .lead(format!("{} {}", user.first_name, user.last_name))
        .notice(desk.done(&[("saved", t.user_saved), ("invited", t.invitations_sent)]))
        .block(Block::Links(vec![
            Link::new("/console/users", t.back_to_list),
            Link::new(
                filtered_href("/console/devices", &[("owner", id)], 1),
                t.user_devices,
            ),
            Link::new(history::of_object("user", id), t.history_link),
        ]))
        .block(Block::Facts(vec![
            (t.source.to_string(), Cell::Text(user.source.clone())),
            (
                t.password_set.to_string(),
                if user.has_password { t.yes } else { t.no }.into(),
            ),
            (
                t.unmanaged.to_string(),
                if user.unmanaged {
                    Cell::Badge(t.unmanaged.into(), Tone::Warn)
                } else {
                    t.no.into()
                },
            ),
            (t.created.to_string(), when(user.created_at).into()),
            (t.updated.to_string(), when(user.updated_at).into()),
        ]));
    if manage {
        let details = Form::post("details", base.clone(), t.save)
            .field(
                Field::new("email", t.email, Input::Email)
                    .value(user.email.clone())
                    .required(),
            )
            .field(
                Field::new("first_name", t.first_name, Input::Text)
                    .value(user.first_name.clone())
                    .required(),
            )
            .field(
                Field::new("last_name", t.last_name, Input::Text)
                    .value(user.last_name.clone())
                    .required(),
            );
        let invite = Form::post("invite", format!("{base}/invite"), t.invite_one);
        let delete = Form::post("delete", format!("{base}/delete"), t.delete_user)
            .tone(Tone::Bad)
            .field(Field::new(
                "confirm",
                t.confirm_delete_user,
                Input::Checkbox,
            ));
        page = page
            .block(Block::Section {
                title: t.user_details.to_string(),
                blocks: vec![fail(details).into(), fail(invite).into()],
            })
            .block(Block::Section {
                title: t.delete_user.to_string(),
                blocks: vec![fail(delete).into()],
            });
    }
    desk.page_with(status_of(&again), MENU, page)
}

/// The page again with a refusal at form `form`, or the services' own answer.
async fn refused_at(
    services: &Services,
    desk: &Desk,
    id: &str,
    form: &'static str,
    refused: Refused,
    typed: &Fields,
) -> Response {
    match refused {
        Refused::Page(res) => res,
        Refused::Field { field, message } => {
            render(services, desk, id, Some((form, field, message, typed))).await
        }
        Refused::Form(message) => {
            render(
                services,
                desk,
                id,
                Some((form, String::new(), message, typed)),
            )
            .await
        }
    }
}

/// Changes the user's e-mail and names.
pub async fn update(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let changes = UserUpdate {
        email: Some(fields.text("email")),
        first_name: Some(fields.text("first_name")),
        last_name: Some(fields.text("last_name")),
    };
    match desk.act(&services).update_user(&id, changes).await {
        Ok(_) => desk.redirect(&format!("/console/users/{id}?done=saved")),
        Err(e) => refused_at(&services, &desk, &id, "details", desk.refused(e), &fields).await,
    }
}

/// Sends the user an invitation (again).
pub async fn invite(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    match desk
        .act(&services)
        .invite_users(std::slice::from_ref(&id))
        .await
    {
        Ok(_) => desk.redirect(&format!("/console/users/{id}?done=invited")),
        Err(e) => refused_at(&services, &desk, &id, "invite", desk.refused(e), &fields).await,
    }
}

/// Deletes the user once confirmed.
pub async fn delete(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let refused = if fields.checked("confirm") {
        match desk.act(&services).delete_user(&id).await {
            Ok(()) => return desk.redirect("/console/users?done=deleted"),
            Err(e) => desk.refused(e),
        }
    } else {
        Refused::Field {
            field: "confirm".into(),
            message: t.confirm_required.into(),
        }
    };
    refused_at(&services, &desk, &id, "delete", refused, &fields).await
}
