//! The directory page (SPEC B1), under users: the tenant's LDAP settings (the service
//! account's password write-only: it is never shown, and left empty it is kept), then a search
//! of the directory whose chosen entries are imported as users, all or none. Every action is
//! an `AsAdmin` operation of `directory`, which tries settings before storing them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Tone};

use super::{Desk, Posted, Refused};
use crate::directory::{NewSettings, Settings};
use crate::error::Error;
use crate::services::Services;

const MENU: &str = "users";
const PATH: &str = "/console/users/directory";

/// A form in error to show again instead of the blank one.
#[derive(Default)]
struct Again {
    settings: Option<Form>,
    import_error: Option<String>,
}

pub async fn show(State(services): State<Services>, desk: Desk) -> Response {
    render(&services, &desk, Again::default(), StatusCode::OK).await
}

fn settings_form(desk: &Desk, current: Option<&Settings>) -> Form {
    let t = desk.texts();
    let value = |f: fn(&Settings) -> &String| current.map(f).cloned().unwrap_or_default();
    let mut password = Field::new("bind_password", t.bind_password, Input::Password);
    if current.is_some() {
        password = password.hint(t.write_only_kept);
    } else {
        password = password.required();
    }
    Form::post("directory", PATH, t.save_and_try)
        .field(
            Field::new("url", t.ldap_url, Input::Text)
                .value(value(|s| &s.url))
                .hint("ldap://host:389, ldaps://host:636")
                .required(),
        )
        .field(
            Field::new("bind_dn", t.bind_dn, Input::Text)
                .value(value(|s| &s.bind_dn))
                .required(),
        )
        .field(password)
        .field(
            Field::new("base_dn", t.base_dn, Input::Text)
                .value(value(|s| &s.base_dn))
                .required(),
        )
        .field(
            Field::new("user_filter", t.user_filter, Input::Text)
                .value(value(|s| &s.user_filter))
                .hint("(objectClass=inetOrgPerson)"),
        )
        .field(
            Field::new("email_attribute", t.email_attribute, Input::Text)
                .value(value(|s| &s.email_attribute))
                .hint("mail"),
        )
        .field(
            Field::new("first_name_attribute", t.first_name_attribute, Input::Text)
                .value(value(|s| &s.first_name_attribute))
                .hint("givenName"),
        )
        .field(
            Field::new("last_name_attribute", t.last_name_attribute, Input::Text)
                .value(value(|s| &s.last_name_attribute))
                .hint("sn"),
        )
}

async fn render(services: &Services, desk: &Desk, again: Again, status: StatusCode) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let manage = desk.me.admin.abilities().manage_users;
    let current = match act.directory_settings().await {
        Ok(settings) => Some(settings),
        Err(Error::NotFound(_)) => None,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mut page = Page::new(t.directory_title)
        .lead(t.directory_lead)
        .notice(desk.done(&[("saved", t.directory_saved), ("imported", t.users_imported)]))
        .block(Block::Links(vec![Link::new(
            "/console/users",
            t.back_to_list,
        )]));
    let query = desk.visit.query("q").trim().to_string();
    if current.is_some() {
        let search = Form::get("search", PATH, t.search)
            .inline()
            .field(Field::new("q", t.directory_search, Input::Search).value(query.clone()));
        page = page.block(search);
    }
    let searched = current.is_some() && desk.visit.has_query("q");
    if searched {
        match act.search_directory(&query).await {
            Ok(found) => {
                let rows = found
                    .iter()
                    .map(|f| {
                        let mut cells = Vec::new();
                        if manage {
                            cells.push(match &f.user_id {
                                None => Cell::Select {
                                    form: "import".into(),
                                    name: "dn".into(),
                                    value: f.entry.dn.clone(),
                                    label: t.select_user(&f.entry.email),
                                },
                                Some(_) => Cell::Empty,
                            });
                        }
                        cells.push(Cell::Text(f.entry.email.clone()));
                        cells.push(Cell::Text(
                            format!("{} {}", f.entry.first_name, f.entry.last_name)
                                .trim()
                                .to_string(),
                        ));
                        cells.push(Cell::Code(f.entry.dn.clone()));
                        cells.push(match f.user_id {
                            Some(_) => Cell::Badge(t.already_imported.into(), Tone::Good),
                            None => Cell::Empty,
                        });
                        cells
                    })
                    .collect();
                let mut columns = Vec::new();
                if manage {
                    columns.push(Column::new(""));
                }
                columns.extend([
                    Column::new(t.email),
                    Column::new(t.last_name),
                    Column::new(t.dn),
                    Column::new(""),
                ]);
                page = page.block(Table {
                    caption: t.directory_entries.to_string(),
                    columns,
                    rows,
                    empty: t.no_entries.to_string(),
                    pager: None,
                });
                if manage && found.iter().any(|f| f.user_id.is_none()) {
                    page = page.block(
                        Form::post("import", format!("{PATH}/import"), t.import_selected)
                            .tone(Tone::Primary)
                            .hidden("q", query.clone())
                            .error(again.import_error),
                    );
                }
            }
            Err(e) => match desk.refused(e) {
                Refused::Page(res) => return res,
                Refused::Field { message, .. } | Refused::Form(message) => {
                    page = page.notice(Some(corral_console::Notice::Failed(message)));
                }
            },
        }
    }
    if manage {
        let form = again
            .settings
            .unwrap_or_else(|| settings_form(desk, current.as_ref()));
        page = page.block(Block::Section {
            title: t.directory_settings.to_string(),
            blocks: vec![form.into()],
        });
    }
    desk.page_with(status, MENU, page)
}

pub async fn save(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let optional = |name: &str| Some(fields.text(name)).filter(|v| !v.is_empty());
    let new = NewSettings {
        url: fields.text("url"),
        bind_dn: fields.text("bind_dn"),
        bind_password: Some(fields.raw("bind_password")).filter(|v| !v.is_empty()),
        base_dn: fields.text("base_dn"),
        user_filter: optional("user_filter"),
        email_attribute: optional("email_attribute"),
        first_name_attribute: optional("first_name_attribute"),
        last_name_attribute: optional("last_name_attribute"),
    };
    let act = desk.act(&services);
    match act.set_directory(new).await {
        Ok(_) => desk.redirect(&format!("{PATH}?done=saved")),
        Err(e) => {
            let current = act.directory_settings().await.ok();
            let mut form = settings_form(&desk, current.as_ref());
            for field in &mut form.fields {
                if field.name != "bind_password" {
                    field.value = fields.text(&field.name);
                }
            }
            let form = match desk.refused(e) {
                Refused::Page(res) => return res,
                Refused::Field { field, message } => form.fail(&field, message),
                Refused::Form(message) => form.error(Some(message)),
            };
            let again = Again {
                settings: Some(form),
                ..Again::default()
            };
            render(&services, &desk, again, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

pub async fn import(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let dns = fields.all("dn");
    let query = fields.text("q");
    let back: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", &query)
        .finish();
    if dns.is_empty() {
        let again = Again {
            import_error: Some(desk.texts().nothing_selected.to_string()),
            ..Again::default()
        };
        return render_at(&services, desk, &back, again).await;
    }
    match desk.act(&services).import_from_directory(&dns).await {
        Ok(_) => desk.redirect(&format!("{PATH}?{back}&done=imported")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                let again = Again {
                    import_error: Some(message),
                    ..Again::default()
                };
                render_at(&services, desk, &back, again).await
            }
        },
    }
}

/// Renders the page again for a refused import, with the search it came from.
async fn render_at(services: &Services, mut desk: Desk, query: &str, again: Again) -> Response {
    desk.visit.set_query(query);
    render(services, &desk, again, StatusCode::UNPROCESSABLE_ENTITY).await
}
