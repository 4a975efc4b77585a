//! The users page (SPEC B1, C3): the tenant's users, searched, sorted and paged on the server;
//! adding one (local, optionally unmanaged, optionally invited at once); inviting a selection;
//! and labelling or unlabelling a selection as unmanaged-device users after a confirmation
//! listing them. Every action is an `AsAdmin` operation of `users`, `onboarding`,
//! `invitations` or `unmanaged`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Sort, Table, Tone};

use super::{pager, when, Desk, Fields, Posted, Refused};
use crate::onboarding::Addition;
use crate::services::Services;
use crate::users::{Naming, NewUser, User, UserQuery, UserSort};

const PER_PAGE: i64 = 50;
const MENU: &str = "users";

/// The table's state, from the query string.
struct View {
    search: String,
    sort: UserSort,
    descending: bool,
    page: i64,
}

impl View {
    fn of(desk: &Desk) -> View {
        let q = |name| desk.visit.query(name);
        View {
            search: q("q").trim().to_string(),
            sort: match q("sort") {
                "name" => UserSort::LastName,
                "created" => UserSort::Created,
                _ => UserSort::Email,
            },
            descending: q("dir") == "desc",
            page: q("page").parse::<i64>().unwrap_or(1).max(1),
        }
    }

    fn sort_key(sort: UserSort) -> &'static str {
        match sort {
            UserSort::Email => "email",
            UserSort::LastName => "name",
            UserSort::Created => "created",
        }
    }

    /// The link to this view with another sort or page.
    fn href(&self, sort: UserSort, descending: bool, page: i64) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        if !self.search.is_empty() {
            url.append_pair("q", &self.search);
        }
        url.append_pair("sort", Self::sort_key(sort));
        if descending {
            url.append_pair("dir", "desc");
        }
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        format!("/console/users?{}", url.finish())
    }

    fn column(&self, label: &str, sort: UserSort) -> Column {
        let active = (self.sort == sort).then_some(self.descending);
        // A click on the current column turns its order round.
        let descending = active == Some(false);
        Column {
            label: label.to_string(),
            sort: Some(Sort {
                href: self.href(sort, descending, 1),
                active,
            }),
        }
    }
}

/// What the page shows besides the table: a form in error, or a notice.
#[derive(Default)]
struct Extra {
    add: Option<Form>,
    bulk_error: Option<String>,
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    render(&services, &desk, Extra::default(), StatusCode::OK).await
}

async fn render(services: &Services, desk: &Desk, extra: Extra, status: StatusCode) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let view = View::of(desk);
    let query = UserQuery {
        search: Some(view.search.clone()),
        sort: view.sort,
        descending: view.descending,
        offset: (view.page - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let found = match act.user_page(&query).await {
        Ok(found) => found,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let feature_on = match act.unmanaged_feature().await {
        Ok(feature) => feature.is_on(),
        Err(e) => return desk.refused_page(MENU, e),
    };
    let manage = desk.me.admin.abilities().manage_users;

    let search = Form::get("search", "/console/users", t.search)
        .inline()
        .field(Field::new("q", t.search_label, Input::Search).value(view.search.clone()));

    let mut columns = Vec::new();
    if manage {
        columns.push(Column::new(""));
    }
    columns.push(view.column(t.email, UserSort::Email));
    columns.push(view.column(t.last_name, UserSort::LastName));
    columns.push(Column::new(t.source));
    columns.push(Column::new(t.password_set));
    columns.push(Column::new(t.unmanaged));
    columns.push(view.column(t.created, UserSort::Created));
    let rows = found.users.iter().map(|u| row(desk, u, manage)).collect();
    let pager = pager(
        t,
        query.offset,
        found.users.len(),
        found.total,
        view.page,
        |p| view.href(view.sort, view.descending, p),
    );
    let table = Table {
        caption: t.users_caption.to_string(),
        columns,
        rows,
        empty: t.no_users.to_string(),
        pager,
    };

    let mut page = Page::new(t.users_title)
        .lead(t.users_lead)
        .notice(desk.done(&[
            ("added", t.user_added),
            ("invited", t.invitations_sent),
            ("labelled", t.labels_changed),
            ("deleted", t.user_deleted),
        ]))
        .block(search)
        .block(table);
    if manage {
        page = page.block(Block::Links(vec![Link::new(
            "/console/users/directory",
            t.directory_link,
        )]));
    }
    if manage {
        let mut actions = vec![("invite".to_string(), t.invite_selected.to_string())];
        if feature_on {
            actions.push(("label".into(), t.label_selected.into()));
            actions.push(("unlabel".into(), t.unlabel_selected.into()));
        }
        let bulk = Form::post("bulk", "/console/users/invite", t.confirm)
            .inline()
            .field(Field::new(
                "action",
                t.selection_action,
                Input::Select(actions),
            ))
            .error(extra.bulk_error);
        page = page.block(bulk);
        page = page.block(Block::Section {
            title: t.add_user.to_string(),
            blocks: vec![extra
                .add
                .unwrap_or_else(|| add_form(desk, feature_on, None))
                .into()],
        });
    }
    desk.page_with(status, MENU, page)
}

fn row(desk: &Desk, u: &User, manage: bool) -> Vec<Cell> {
    let t = desk.texts();
    let mut cells = Vec::new();
    if manage {
        cells.push(Cell::Select {
            form: "bulk".into(),
            name: "user".into(),
            value: u.id.clone(),
            label: t.select_user(&u.email),
        });
    }
    let name = format!("{} {}", u.first_name, u.last_name)
        .trim()
        .to_string();
    cells.push(Cell::Link(Link::new(
        format!("/console/users/{}", u.id),
        u.email.clone(),
    )));
    cells.push(Cell::Text(name));
    cells.push(Cell::Text(u.source.clone()));
    cells.push(Cell::Text(if u.has_password { t.yes } else { t.no }.into()));
    cells.push(if u.unmanaged {
        Cell::Badge(t.unmanaged.into(), Tone::Warn)
    } else {
        Cell::Empty
    });
    cells.push(Cell::Text(when(u.created_at)));
    cells
}

fn add_form(desk: &Desk, feature_on: bool, fields: Option<&Fields>) -> Form {
    let t = desk.texts();
    let value = |name: &str| fields.map(|f| f.text(name)).unwrap_or_default();
    let checked = |name: &str| {
        if fields.is_some_and(|f| f.checked(name)) {
            "on"
        } else {
            ""
        }
    };
    let mut form = Form::post("add", "/console/users", t.add_user_submit)
        .tone(Tone::Primary)
        .field(
            Field::new("email", t.email, Input::Email)
                .value(value("email"))
                .required(),
        )
        .field(Field::new("first_name", t.first_name, Input::Text).value(value("first_name")))
        .field(Field::new("last_name", t.last_name, Input::Text).value(value("last_name")))
        .field(
            Field::new("password", t.initial_password, Input::NewPassword)
                .hint(t.initial_password_hint),
        );
    if feature_on {
        form = form.field(
            Field::new("unmanaged", t.unmanaged_label, Input::Checkbox).value(checked("unmanaged")),
        );
    }
    form.field(Field::new("invite", t.invite_now, Input::Checkbox).value(checked("invite")))
}

pub async fn add(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let password = fields.raw("password");
    let addition = Addition {
        user: NewUser {
            email: fields.text("email"),
            first_name: fields.text("first_name"),
            last_name: fields.text("last_name"),
            password: (!password.is_empty()).then_some(password),
        },
        unmanaged: fields.checked("unmanaged"),
        invite: fields.checked("invite"),
    };
    match desk
        .act(&services)
        .add_users(vec![addition], Naming::One)
        .await
    {
        Ok(_) => desk.redirect("/console/users?done=added"),
        Err(e) => {
            let feature_on = fields.checked("unmanaged")
                || matches!(desk.act(&services).unmanaged_feature().await, Ok(f) if f.is_on());
            let form = add_form(&desk, feature_on, Some(&fields));
            let form = match desk.refused(e) {
                Refused::Page(res) => return res,
                Refused::Field { field, message } => form.fail(&field, message),
                Refused::Form(message) => form.error(Some(message)),
            };
            let extra = Extra {
                add: Some(form),
                ..Extra::default()
            };
            render(&services, &desk, extra, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The selection's action: invitations at once; a label change after a confirmation page.
pub async fn invite(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let ids = fields.all("user");
    if ids.is_empty() {
        let extra = Extra {
            bulk_error: Some(t.nothing_selected.to_string()),
            ..Extra::default()
        };
        return render(&services, &desk, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match fields.text("action").as_str() {
        "label" | "unlabel" => {
            confirm_label(&services, &desk, &ids, fields.text("action") == "label").await
        }
        _ => match desk.act(&services).invite_users(&ids).await {
            Ok(_) => desk.redirect("/console/users?done=invited"),
            Err(e) => bulk_refused(&services, &desk, e).await,
        },
    }
}

async fn bulk_refused(services: &Services, desk: &Desk, e: crate::error::Error) -> Response {
    let message = match desk.refused(e) {
        Refused::Page(res) => return res,
        Refused::Field { message, .. } | Refused::Form(message) => message,
    };
    let extra = Extra {
        bulk_error: Some(message),
        ..Extra::default()
    };
    render(services, desk, extra, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// Lists the users whose label will change, with a form that confirms it.
async fn confirm_label(
    services: &Services,
    desk: &Desk,
    ids: &[String],
    unmanaged: bool,
) -> Response {
    let t = desk.texts();
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        match desk.act(services).get_user(id).await {
            Ok(user) => users.push(user),
            Err(e) => return bulk_refused(services, desk, e).await,
        }
    }
    let mut form = Form::post("confirm", "/console/users/unmanaged", t.confirm)
        .tone(Tone::Primary)
        .hidden("unmanaged", if unmanaged { "on" } else { "" });
    for id in ids {
        form = form.hidden("user", id.clone());
    }
    let action = if unmanaged {
        t.label_selected
    } else {
        t.unlabel_selected
    };
    let page = Page::new(t.confirm_label_title)
        .lead(format!("{action}: {}", t.selected(users.len())))
        .block(Block::Warning {
            title: t.confirm_label_intro.to_string(),
            items: users
                .iter()
                .map(|u| {
                    format!("{} {} <{}>", u.first_name, u.last_name, u.email)
                        .trim()
                        .to_string()
                })
                .collect(),
        })
        .block(form)
        .block(Block::Links(vec![Link::new("/console/users", t.cancel)]));
    desk.page(MENU, page)
}

pub async fn label(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let ids = fields.all("user");
    let unmanaged = fields.checked("unmanaged");
    match desk
        .act(&services)
        .label_unmanaged(&ids, unmanaged, true)
        .await
    {
        Ok(_) => desk.redirect("/console/users?done=labelled"),
        Err(e) => bulk_refused(&services, &desk, e).await,
    }
}
