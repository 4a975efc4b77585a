//! The administrators page (SPEC A2, A3): the tenant's administrators, which every
//! administrator may read; for owners, adding one (who sets up their authenticator app at
//! their first sign-in), changing a role or the Exchange permissions, removing one. Every
//! action is an `AsAdmin` operation of `admins`, which refuses anyone but an owner (a forged
//! post gets 403 here) and keeps the last owner.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{when, Desk, Fields, Posted, Refused};
use crate::admins::{Admin, AdminUpdate, ExchangePermission, NewAdmin, Role};
use crate::services::Services;

const MENU: &str = "admins";

fn permission_label(t: &Texts, p: ExchangePermission) -> &'static str {
    match p {
        ExchangePermission::ModifySite => t.perm_modify_site,
        ExchangePermission::ModifyConnectorPolicy => t.perm_modify_connector_policy,
        ExchangePermission::DeleteResource => t.perm_delete_resource,
        ExchangePermission::ModifyResource => t.perm_modify_resource,
    }
}

fn role_options(t: &Texts) -> Vec<(String, String)> {
    vec![
        (Role::Admin.as_str().into(), t.role(false).into()),
        (Role::Owner.as_str().into(), t.role(true).into()),
    ]
}

fn permission_choices(t: &Texts, granted: &[ExchangePermission]) -> Input {
    Input::Choices(
        ExchangePermission::ALL
            .into_iter()
            .map(|p| {
                let label = permission_label(t, p).to_string();
                (p.as_str().to_string(), label, granted.contains(&p))
            })
            .collect(),
    )
}

/// The role and permissions of a posted form (unknown values are the services' to refuse).
fn role_and_permissions(fields: &Fields) -> (Result<Role, String>, Vec<ExchangePermission>) {
    let role = fields.text("role").parse::<Role>();
    let permissions = fields
        .all("exchange_permissions")
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect();
    (role, permissions)
}

fn add_form(t: &Texts, fields: Option<&Fields>) -> Form {
    let value = |name: &str, default: &str| {
        fields
            .map(|f| f.text(name))
            .unwrap_or_else(|| default.to_string())
    };
    let granted = fields
        .map(|f| role_and_permissions(f).1)
        .unwrap_or_default();
    Form::post("add", "/console/admins", t.add_admin_submit)
        .tone(Tone::Primary)
        .field(
            Field::new("email", t.email, Input::Email)
                .value(value("email", ""))
                .required(),
        )
        .field(
            Field::new("role", t.role_label, Input::Select(role_options(t)))
                .value(value("role", "admin")),
        )
        .field(
            Field::new("password", t.initial_password, Input::NewPassword)
                .hint(t.admin_password_hint)
                .required(),
        )
        .field(Field::new(
            "exchange_permissions",
            t.exchange_permissions,
            permission_choices(t, &granted),
        ))
}

fn permissions_text(t: &Texts, admin: &Admin) -> String {
    if admin.role == Role::Owner {
        return t.all_permissions.to_string();
    }
    admin
        .exchange_permissions
        .iter()
        .map(|p| permission_label(t, *p))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    render(&services, &desk, None, StatusCode::OK).await
}

async fn render(
    services: &Services,
    desk: &Desk,
    add: Option<Form>,
    status: StatusCode,
) -> Response {
    let t = desk.texts();
    let admins = match desk.act(services).list_admins().await {
        Ok(admins) => admins,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let rows = admins
        .iter()
        .map(|a| {
            vec![
                Cell::Link(Link::new(
                    format!("/console/admins/{}", a.id),
                    a.email.clone(),
                )),
                Cell::Badge(t.role(a.role == Role::Owner).into(), Tone::Primary),
                Cell::Text(permissions_text(t, a)),
                Cell::Text(when(a.created_at)),
            ]
        })
        .collect();
    let table = Table {
        caption: t.admins_caption.to_string(),
        columns: vec![
            Column::new(t.email),
            Column::new(t.role_label),
            Column::new(t.exchange_permissions),
            Column::new(t.created),
        ],
        rows,
        empty: String::new(),
        pager: None,
    };
    let mut page = Page::new(t.admins_title)
        .lead(t.admins_lead)
        .notice(desk.done(&[("added", t.admin_added), ("deleted", t.admin_deleted)]))
        .block(table);
    if desk.me.admin.abilities().manage_administrators {
        page = page.block(Block::Section {
            title: t.add_admin.to_string(),
            blocks: vec![add.unwrap_or_else(|| add_form(t, None)).into()],
        });
    }
    desk.page_with(status, MENU, page)
}

pub async fn add(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let (role, exchange_permissions) = role_and_permissions(&fields);
    let form = add_form(t, Some(&fields));
    let role = match role {
        Ok(role) => role,
        Err(message) => {
            let form = form.fail("role", message);
            return render(
                &services,
                &desk,
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let new = NewAdmin {
        email: fields.text("email"),
        role,
        password: fields.raw("password"),
        exchange_permissions,
    };
    match desk.act(&services).create_admin(new).await {
        Ok(_) => desk.redirect("/console/admins?done=added"),
        Err(e) => {
            let form = match desk.refused(e) {
                Refused::Page(res) => return res,
                Refused::Field { field, message } => form.fail(&field, message),
                Refused::Form(message) => form.error(Some(message)),
            };
            render(
                &services,
                &desk,
                Some(form),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn edit_form(t: &Texts, admin: &Admin) -> Form {
    Form::post("edit", format!("/console/admins/{}", admin.id), t.save)
        .tone(Tone::Primary)
        .field(
            Field::new("role", t.role_label, Input::Select(role_options(t)))
                .value(admin.role.as_str()),
        )
        .field(Field::new(
            "exchange_permissions",
            t.exchange_permissions,
            permission_choices(t, &admin.exchange_permissions),
        ))
}

async fn detail(
    services: &Services,
    desk: &Desk,
    id: &str,
    edit: Option<Form>,
    delete_error: Option<String>,
) -> Response {
    let t = desk.texts();
    let admin = match desk.act(services).get_admin(id).await {
        Ok(admin) => admin,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let status = if edit.is_some() || delete_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let delete = Form::post(
        "delete",
        format!("/console/admins/{}/delete", admin.id),
        t.delete_admin,
    )
    .tone(Tone::Bad)
    .error(delete_error);
    let mut page = Page::new(admin.email.clone())
        .notice(desk.done(&[("saved", t.admin_saved)]))
        .block(Block::Facts(vec![
            (
                t.role_label.into(),
                Cell::Badge(t.role(admin.role == Role::Owner).into(), Tone::Primary),
            ),
            (
                t.exchange_permissions.into(),
                permissions_text(t, &admin).into(),
            ),
            (t.created.into(), when(admin.created_at).into()),
            (
                t.history_link.into(),
                Cell::Link(Link::new(
                    format!("/console/history?type=admin&id={}", admin.id),
                    t.history_link,
                )),
            ),
        ]));
    if desk.me.admin.abilities().manage_administrators {
        page = page
            .block(Block::Section {
                title: t.edit_admin.into(),
                blocks: vec![edit.unwrap_or_else(|| edit_form(t, &admin)).into()],
            })
            .block(Block::Section {
                title: t.delete_admin.into(),
                blocks: vec![Block::Text(t.delete_admin_warning.into()), delete.into()],
            });
    }
    let page = page.block(Block::Links(vec![Link::new(
        "/console/admins",
        t.back_to_list,
    )]));
    desk.page_with(status, MENU, page)
}

pub async fn show(
    State(services): State<Services>,
    Path(id): Path<String>,
    desk: Desk,
) -> Response {
    detail(&services, &desk, &id, None, None).await
}

pub async fn update(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let (role, exchange_permissions) = role_and_permissions(&fields);
    let role = match role {
        Ok(role) => role,
        Err(message) => {
            let form =
                Form::post("edit", format!("/console/admins/{id}"), t.save).error(Some(message));
            return detail(&services, &desk, &id, Some(form), None).await;
        }
    };
    let changes = AdminUpdate {
        role: Some(role),
        exchange_permissions: Some(exchange_permissions),
    };
    match desk.act(&services).update_admin(&id, changes).await {
        Ok(_) => desk.redirect(&format!("/console/admins/{id}?done=saved")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                let form = match desk.act(&services).get_admin(&id).await {
                    Ok(admin) => edit_form(t, &admin).error(Some(message)),
                    Err(e) => return desk.refused_page(MENU, e),
                };
                detail(&services, &desk, &id, Some(form), None).await
            }
        },
    }
}

pub async fn delete(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, .. } = post;
    match desk.act(&services).delete_admin(&id).await {
        Ok(()) => desk.redirect("/console/admins?done=deleted"),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                detail(&services, &desk, &id, None, Some(message)).await
            }
        },
    }
}
