//! The apps pages (SPEC C2, E7): the tenant's catalogue; adding a store or business app by its
//! store id; uploading an in-house app (multipart, the services' file limit); one app's page
//! with its install options and whether unmanaged devices may get it (offered only while the
//! feature is on), its file to download, its history and its removal once confirmed. Every
//! action is an `AsAdmin` operation of `apps`.

use axum::extract::{Path, State};
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{history, refill, status_of, when, Again, Desk, Fields, Posted, Refused, Uploaded};
use crate::apps::{App, AppPlatform, AppSettings, Kind, NewApp};
use crate::services::Services;
use crate::unmanaged::State as Feature;

const MENU: &str = "apps";

fn kind_text(t: &Texts, kind: Kind) -> &'static str {
    match kind {
        Kind::Store => t.kind_store,
        Kind::Business => t.kind_business,
        Kind::InHouse => t.kind_in_house,
    }
}

fn platform_text(p: AppPlatform) -> &'static str {
    match p {
        AppPlatform::Android => "Android",
        AppPlatform::Ios => "iOS",
    }
}

fn platform_of(code: &str) -> Option<AppPlatform> {
    match code {
        "android" => Some(AppPlatform::Android),
        "ios" => Some(AppPlatform::Ios),
        _ => None,
    }
}

fn platform_select(t: &Texts) -> Field {
    Field::new(
        "platform",
        t.platform,
        Input::Select(vec![
            ("android".into(), "Android".into()),
            ("ios".into(), "iOS".into()),
        ]),
    )
}

fn check(name: &str, label: &str, on: bool) -> Field {
    Field::new(name, label, Input::Checkbox).value(if on { "on" } else { "" })
}

/// The install options; the unmanaged one only while the feature is on.
fn options(t: &Texts, unmanaged_on: bool, install: bool, silent: bool, allow: bool) -> Vec<Field> {
    let mut fields = vec![
        check("install_on_device", t.install_on_device, install),
        check("silent_install", t.silent_install, silent),
    ];
    if unmanaged_on {
        fields.push(check("allow_unmanaged", t.allow_unmanaged, allow));
    }
    fields
}

/// The settings a form sets: every switch explicit, the unmanaged one only where it was offered.
fn settings_of(fields: &Fields, unmanaged_on: bool, name: Option<String>) -> AppSettings {
    AppSettings {
        name,
        install_on_device: Some(fields.checked("install_on_device")),
        silent_install: Some(fields.checked("silent_install")),
        allow_unmanaged: unmanaged_on.then(|| fields.checked("allow_unmanaged")),
    }
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    render_list(&services, &desk, None).await
}

async fn render_list(services: &Services, desk: &Desk, again: Again<'_>) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let apps = match act.list_apps().await {
        Ok(apps) => apps,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let feature = match act.unmanaged_feature().await {
        Ok(feature) => feature,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let unmanaged_on = feature.state == Feature::On;
    let rows = apps
        .iter()
        .map(|app| {
            let source = app
                .store_id
                .clone()
                .or_else(|| app.file_name.clone())
                .unwrap_or_default();
            let mut options = Vec::new();
            if app.install_on_device {
                options.push(t.install_on_device);
            }
            if app.silent_install {
                options.push(t.silent_install);
            }
            vec![
                Cell::Link(Link::new(
                    format!("/console/apps/{}", app.id),
                    app.name.clone(),
                )),
                Cell::Text(kind_text(t, app.kind).into()),
                Cell::Text(platform_text(app.platform).into()),
                Cell::Code(source),
                Cell::Text(options.join(" · ")),
                if app.allow_unmanaged {
                    Cell::Badge(t.unmanaged_allowed.into(), Tone::Good)
                } else {
                    Cell::Empty
                },
                Cell::Text(when(app.updated_at)),
            ]
        })
        .collect();
    let mut page = Page::new(t.apps_title)
        .lead(t.apps_lead)
        .notice(desk.done(&[("deleted", t.app_deleted)]))
        .block(Table {
            caption: t.apps_title.to_string(),
            columns: vec![
                Column::new(t.app_name),
                Column::new(t.app_kind),
                Column::new(t.platform),
                Column::new(t.store_id),
                Column::new(t.app_settings),
                Column::new(t.allow_unmanaged),
                Column::new(t.updated),
            ],
            rows,
            empty: t.no_apps.to_string(),
            pager: None,
        });
    if desk.me.admin.abilities().manage_configurations {
        let default = unmanaged_on && feature.default_allow_new_apps;
        let add = Form::post("add", "/console/apps", t.add)
            .tone(Tone::Primary)
            .field(Field::new(
                "kind",
                t.app_kind,
                Input::Select(vec![
                    ("store".into(), t.kind_store.into()),
                    ("business".into(), t.kind_business.into()),
                ]),
            ))
            .field(platform_select(t))
            .field(Field::new("name", t.app_name, Input::Text).required())
            .field(
                Field::new("store_id", t.store_id, Input::Text)
                    .hint(t.store_id_hint)
                    .required(),
            )
            .fields(options(t, unmanaged_on, true, false, default));
        let upload = Form::post("upload", "/console/apps/upload", t.upload)
            .multipart()
            .field(platform_select(t))
            .field(
                Field::new("file", t.app_file, Input::File(".apk,.ipa"))
                    .hint(t.app_file_hint)
                    .required(),
            )
            .field(Field::new("name", t.app_name, Input::Text).hint(t.app_name_hint))
            .fields(options(t, unmanaged_on, true, false, default));
        let mut blocks = Vec::new();
        for form in [add, upload] {
            blocks.push(Block::Section {
                title: if form.id == "add" {
                    t.add_app.to_string()
                } else {
                    t.upload_app.to_string()
                },
                blocks: vec![refill(form, &again).into()],
            });
        }
        if !unmanaged_on {
            blocks.push(Block::Text(t.allow_unmanaged_off.to_string()));
        }
        page = page.blocks(blocks);
    }
    desk.page_with(status_of(&again), MENU, page)
}

/// `form` with what was typed in it and its error, when it is the refused one.
/// The refusal of a form of the list page, shown on it.
async fn refused_on_list(
    services: &Services,
    desk: &Desk,
    form: &'static str,
    fields: &Fields,
    refused: Refused,
) -> Response {
    let (field, message) = match refused {
        Refused::Page(res) => return res,
        Refused::Field { field, message } => (field, message),
        Refused::Form(message) => (String::new(), message),
    };
    render_list(services, desk, Some((form, field, message, fields))).await
}

async fn unmanaged_on(services: &Services, desk: &Desk) -> Result<bool, Response> {
    match desk.act(services).unmanaged_feature().await {
        Ok(feature) => Ok(feature.state == Feature::On),
        Err(e) => Err(desk.refused_page(MENU, e)),
    }
}

/// Adds a store or business app.
pub async fn add(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let on = match unmanaged_on(&services, &desk).await {
        Ok(on) => on,
        Err(res) => return res,
    };
    let kind = match fields.text("kind").as_str() {
        "business" => Kind::Business,
        _ => Kind::Store,
    };
    let Some(platform) = platform_of(&fields.text("platform")) else {
        let refused = Refused::Field {
            field: "platform".into(),
            message: "android or ios".into(),
        };
        return refused_on_list(&services, &desk, "add", &fields, refused).await;
    };
    let settings = settings_of(&fields, on, None);
    let new = NewApp {
        kind,
        platform,
        name: fields.text("name"),
        store_id: fields.text("store_id"),
        install_on_device: settings.install_on_device,
        silent_install: settings.silent_install,
        allow_unmanaged: settings.allow_unmanaged,
    };
    match desk.act(&services).add_app(new).await {
        Ok(app) => desk.redirect(&format!("/console/apps/{}?done=added", app.id)),
        Err(e) => refused_on_list(&services, &desk, "add", &fields, desk.refused(e)).await,
    }
}

/// Uploads an in-house app.
pub async fn upload(State(services): State<Services>, up: Uploaded) -> Response {
    let Uploaded { desk, fields, file } = up;
    let t = desk.texts();
    let on = match unmanaged_on(&services, &desk).await {
        Ok(on) => on,
        Err(res) => return res,
    };
    let refused = |field: &str, message: String| Refused::Field {
        field: field.into(),
        message,
    };
    let Some(file) = file else {
        let refused = refused("file", t.choose_file.into());
        return refused_on_list(&services, &desk, "upload", &fields, refused).await;
    };
    let Some(platform) = platform_of(&fields.text("platform")) else {
        let refused = refused("platform", "android or ios".into());
        return refused_on_list(&services, &desk, "upload", &fields, refused).await;
    };
    let name = Some(fields.text("name")).filter(|n| !n.is_empty());
    let settings = settings_of(&fields, on, name);
    match desk
        .act(&services)
        .upload_app(platform, &file.name, &file.bytes, &settings)
        .await
    {
        Ok(app) => desk.redirect(&format!("/console/apps/{}?done=added", app.id)),
        Err(e) => {
            // The file's name is the file's field here.
            let refused = match desk.refused(e) {
                Refused::Field { field, message } if field == "file_name" => Refused::Field {
                    field: "file".into(),
                    message,
                },
                other => other,
            };
            refused_on_list(&services, &desk, "upload", &fields, refused).await
        }
    }
}

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    render(&services, &desk, &id, None).await
}

async fn render(services: &Services, desk: &Desk, id: &str, again: Again<'_>) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let app: App = match act.get_app(id).await {
        Ok(app) => app,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let on = match unmanaged_on(services, desk).await {
        Ok(on) => on,
        Err(res) => return res,
    };
    let base = format!("/console/apps/{id}");
    let mut facts = vec![
        (t.app_kind.to_string(), kind_text(t, app.kind).into()),
        (t.platform.to_string(), platform_text(app.platform).into()),
    ];
    if let (Some(store_id), Some(url)) = (&app.store_id, &app.store_url) {
        facts.push((t.store_id.to_string(), Cell::Code(store_id.clone())));
        facts.push((
            t.app_store_page.to_string(),
            Cell::Link(Link::new(url.clone(), url.clone())),
        ));
    }
    if let Some(file) = &app.file_name {
        facts.push((
            t.app_file_name.to_string(),
            Cell::Link(Link::new(format!("{base}/file"), file.clone())),
        ));
        let size = app.file_size.unwrap_or(0);
        facts.push((
            t.size.to_string(),
            format!("{} KiB", (size + 1023) / 1024).into(),
        ));
        facts.push((
            "SHA-256".to_string(),
            Cell::Code(app.file_sha256.clone().unwrap_or_default()),
        ));
    }
    facts.push((t.created.to_string(), when(app.created_at).into()));
    facts.push((t.updated.to_string(), when(app.updated_at).into()));
    let mut page = Page::new(app.name.clone())
        .lead(kind_text(t, app.kind))
        .notice(desk.done(&[("added", t.app_added), ("saved", t.app_saved)]))
        .block(Block::Links(vec![
            Link::new("/console/apps", t.back_to_list),
            Link::new(history::of_object("app", id), t.history_link),
        ]))
        .block(Block::Facts(facts));
    let yes_no = |b: bool| if b { t.yes } else { t.no };
    let settings = if desk.me.admin.abilities().manage_configurations {
        let form = Form::post("settings", base.clone(), t.save)
            .field(
                Field::new("name", t.app_name, Input::Text)
                    .value(app.name.clone())
                    .required(),
            )
            .fields(options(
                t,
                on,
                app.install_on_device,
                app.silent_install,
                app.allow_unmanaged,
            ));
        let mut blocks = vec![refill(form, &again).into()];
        if !on {
            blocks.push(Block::Text(t.allow_unmanaged_off.to_string()));
        }
        blocks
    } else {
        vec![Block::Facts(vec![
            (
                t.install_on_device.to_string(),
                yes_no(app.install_on_device).into(),
            ),
            (
                t.silent_install.to_string(),
                yes_no(app.silent_install).into(),
            ),
            (
                t.allow_unmanaged.to_string(),
                yes_no(app.allow_unmanaged).into(),
            ),
        ])]
    };
    page = page.block(Block::Section {
        title: t.app_settings.to_string(),
        blocks: settings,
    });
    if desk.me.admin.abilities().manage_configurations {
        let delete = Form::post("delete", format!("{base}/delete"), t.delete_app)
            .tone(Tone::Bad)
            .field(Field::new("confirm", t.confirm_delete_app, Input::Checkbox));
        page = page.block(Block::Section {
            title: t.delete_app.to_string(),
            blocks: vec![refill(delete, &again).into()],
        });
    }
    desk.page_with(status_of(&again), MENU, page)
}

/// Saves an app's name and install options.
pub async fn update(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    // The unmanaged switch counts where the form offers it: while the feature is on.
    let offered = match unmanaged_on(&services, &desk).await {
        Ok(on) => on,
        Err(res) => return res,
    };
    let settings = settings_of(&fields, offered, Some(fields.text("name")));
    match desk.act(&services).update_app(&id, &settings).await {
        Ok(_) => desk.redirect(&format!("/console/apps/{id}?done=saved")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { field, message } => {
                render(
                    &services,
                    &desk,
                    &id,
                    Some(("settings", field, message, &fields)),
                )
                .await
            }
            Refused::Form(message) => {
                let again = Some(("settings", String::new(), message, &fields));
                render(&services, &desk, &id, again).await
            }
        },
    }
}

/// Removes an app once confirmed.
pub async fn delete(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    if !fields.checked("confirm") {
        let again = Some((
            "delete",
            "confirm".into(),
            t.confirm_required.into(),
            &fields,
        ));
        return render(&services, &desk, &id, again).await;
    }
    match desk.act(&services).delete_app(&id).await {
        Ok(()) => desk.redirect("/console/apps?done=deleted"),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                let again = Some(("delete", String::new(), message, &fields));
                render(&services, &desk, &id, again).await
            }
        },
    }
}

/// An in-house app's file, as an attachment.
pub async fn file(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    match desk.act(&services).app_file(&id).await {
        Ok((name, content)) => corral_console::attachment(&name, content),
        Err(e) => desk.refused_page(MENU, e),
    }
}
