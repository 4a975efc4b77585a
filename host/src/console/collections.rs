//! A plugin's collections of vendor objects in the console (issue 22; zero-touch's
//! configurations, devices and customer): a collection's table, searched and paged with the
//! vendor's page tokens; one item's page; an action's page (its form made from the JSON Schema
//! the plugin answers, a confirmation for an irreversible one); and the CSV upload of the
//! collection's imports, which hands the file to the imports service and shows the job's page.
//! Every rule (who may act, what is valid) is the collections and imports services'; the
//! pages only show what they answer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{
    Block, Cell, Column, Field, Form, Input, Link, Notice, Page, SchemaForm, Table,
};
use serde_json::Value;

use super::{shown_again, Desk, Fields, Posted, Refused, Uploaded};
use crate::collections::{Collection, Outcome};
use crate::plugins::HookError;
use crate::services::Services;

const MENU: &str = "plugins";

fn base(plugin: &str, collection: &str) -> String {
    format!("/console/plugins/{plugin}/collections/{collection}")
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The page answering a refusal of the services to show something.
fn hook_page(desk: &Desk, e: HookError) -> Response {
    match desk.refused_hook(e) {
        Refused::Page(response) => response,
        Refused::Field { message, .. } | Refused::Form(message) => {
            let page = Page::new(desk.texts().error_title).block(Block::Text(message));
            desk.page_with(StatusCode::BAD_GATEWAY, MENU, page)
        }
    }
}

/// The message of a refusal to show on the page, or the page to answer instead.
fn refusal_text(refused: Refused) -> Result<String, Box<Response>> {
    match refused {
        Refused::Page(response) => Err(Box::new(response)),
        Refused::Field { message, .. } | Refused::Form(message) => Ok(message),
    }
}

/// Links to a plugin's collections (for its page); none when it has none or is off.
pub async fn links(services: &Services, desk: &Desk, plugin: &str) -> Vec<Link> {
    desk.act(services)
        .plugin_collections(plugin)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| Link::new(base(plugin, &c.name), c.title))
        .collect()
}

pub async fn list(
    State(services): State<Services>,
    desk: Desk,
    Path((plugin, collection)): Path<(String, String)>,
) -> Response {
    render_list(&services, &desk, &plugin, &collection, None).await
}

/// A collection's page; `upload` is the import whose upload failed, with why.
async fn render_list(
    services: &Services,
    desk: &Desk,
    plugin: &str,
    collection: &str,
    upload: Option<(String, String)>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let described = match act.plugin_collection(plugin, collection).await {
        Ok(described) => described,
        Err(e) => return hook_page(desk, e),
    };
    let here = base(plugin, collection);
    let search = desk.visit.query("search").trim().to_string();
    let token = desk.visit.query("page_token").trim().to_string();
    let mut page = Page::new(described.title.clone())
        .lead(described.description.clone())
        .block(Block::Links(vec![Link::new(
            format!("/console/plugins/{plugin}"),
            t.back_to_plugin,
        )]));
    if desk.visit.query("done") == "1" {
        page = page.notice(Some(Notice::Done(t.action_done.to_string())));
    }
    if described.searchable {
        page = page.block(
            Form::get("search", here.clone(), t.search)
                .inline()
                .field(Field::new("search", t.search_items, Input::Search).value(search.clone())),
        );
    }
    let found = act
        .collection_items(
            plugin,
            collection,
            Some(search.as_str()).filter(|s| !s.is_empty()),
            Some(token.as_str()).filter(|s| !s.is_empty()),
        )
        .await;
    match found {
        Ok(found) => {
            let rows = found
                .items
                .iter()
                .map(|item| {
                    let mut cells = vec![Cell::Link(Link::new(
                        format!("{here}/items/{}", encoded(&item.id)),
                        item.title.clone(),
                    ))];
                    cells.extend(described.columns.iter().map(|c| {
                        let value = item.values.iter().find(|v| v.name == c.name);
                        Cell::Text(value.map(|v| v.value.clone()).unwrap_or_default())
                    }));
                    cells
                })
                .collect();
            let mut columns = vec![Column::new(t.item)];
            columns.extend(
                described
                    .columns
                    .iter()
                    .map(|c| Column::new(c.title.clone())),
            );
            let mut moves = Vec::new();
            if !token.is_empty() {
                moves.push(Link::new(
                    super::filtered_href(&here, &[("search", &search)], 1),
                    t.first_page,
                ));
            }
            if let Some(next) = &found.next_page_token {
                moves.push(Link::new(
                    super::filtered_href(&here, &[("search", &search), ("page_token", next)], 1),
                    t.next,
                ));
            }
            page = page.block(Table {
                caption: described.title.clone(),
                columns,
                rows,
                empty: t.no_items.to_string(),
                pager: None,
            });
            if !moves.is_empty() {
                page = page.block(Block::Links(moves));
            }
        }
        Err(e) => match refusal_text(desk.refused_hook(e)) {
            Ok(message) => page = page.notice(Some(Notice::Failed(message))),
            Err(response) => return *response,
        },
    }
    let actions: Vec<Link> = described
        .actions
        .iter()
        .filter(|a| !a.on_item)
        .map(|a| Link::new(format!("{here}/actions/{}", a.name), a.title.clone()))
        .collect();
    if !actions.is_empty() {
        page = page.block(Block::Section {
            title: t.collection_actions.to_string(),
            blocks: vec![Block::Links(actions)],
        });
    }
    for import in &described.imports {
        let mut form = Form::post(
            format!("import-{}", import.name),
            format!("{here}/imports/{}", import.name),
            t.upload_and_start,
        )
        .multipart()
        .field(Field::new("file", t.csv_file, Input::File(".csv,text/csv")).required());
        if let Some((name, message)) = &upload {
            if *name == import.name {
                form = form.fail("file", message.clone());
            }
        }
        page = page.block(Block::Section {
            title: import.title.clone(),
            blocks: vec![
                Block::Text(import.description.clone()),
                Block::Facts(vec![(
                    t.csv_columns.to_string(),
                    Cell::Code(import.columns.join(",")),
                )]),
                Block::Form(form),
            ],
        });
    }
    desk.page(MENU, page)
}

pub async fn item(
    State(services): State<Services>,
    desk: Desk,
    Path((plugin, collection, item)): Path<(String, String, String)>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(&services);
    let described = match act.plugin_collection(&plugin, &collection).await {
        Ok(described) => described,
        Err(e) => return hook_page(&desk, e),
    };
    let found = match act.collection_item(&plugin, &collection, &item).await {
        Ok(found) => found,
        Err(e) => return hook_page(&desk, e),
    };
    let here = base(&plugin, &collection);
    let mut facts: Vec<(String, Cell)> = described
        .columns
        .iter()
        .map(|c| {
            let value = found.values.iter().find(|v| v.name == c.name);
            (
                c.title.clone(),
                Cell::Text(value.map(|v| v.value.clone()).unwrap_or_default()),
            )
        })
        .collect();
    facts.extend(
        found
            .details
            .iter()
            .map(|d| (d.name.clone(), Cell::Text(d.value.clone()))),
    );
    let actions: Vec<Link> = described
        .actions
        .iter()
        .filter(|a| a.on_item)
        .map(|a| {
            Link::new(
                format!("{here}/actions/{}?item={}", a.name, encoded(&found.id)),
                a.title.clone(),
            )
        })
        .collect();
    let mut page = Page::new(found.title.clone())
        .lead(described.title.clone())
        .block(Block::Links(vec![Link::new(here.clone(), t.back_to_list)]))
        .block(Block::Facts(facts));
    if desk.visit.query("done") == "1" {
        page = page.notice(Some(Notice::Done(t.action_done.to_string())));
    }
    if !actions.is_empty() {
        page = page.block(Block::Section {
            title: t.item_actions.to_string(),
            blocks: vec![Block::Links(actions)],
        });
    }
    desk.page(MENU, page)
}

/// What an action page shows again after a refused post.
struct Again<'a> {
    typed: &'a Fields,
    /// (field or "" for the whole form, message).
    problems: Vec<(String, String)>,
}

pub async fn action(
    State(services): State<Services>,
    desk: Desk,
    Path((plugin, collection, action)): Path<(String, String, String)>,
) -> Response {
    let item = desk.visit.query("item").to_string();
    render_action(&services, &desk, &plugin, &collection, &action, &item, None).await
}

async fn render_action(
    services: &Services,
    desk: &Desk,
    plugin: &str,
    collection: &str,
    action: &str,
    item: &str,
    again: Option<Again<'_>>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let described = match act.plugin_collection(plugin, collection).await {
        Ok(described) => described,
        Err(e) => return hook_page(desk, e),
    };
    let Some(info) = described.actions.iter().find(|a| a.name == action) else {
        return desk.refused_page(MENU, crate::error::Error::NotFound("action"));
    };
    let item = Some(item).filter(|i| !i.is_empty());
    let schema = if info.takes_input {
        match act.action_form(plugin, collection, item, action).await {
            Ok(schema) => Some(schema),
            Err(e) => return hook_page(desk, e),
        }
    } else {
        None
    };
    let here = base(plugin, collection);
    let back = match item {
        Some(item) => format!("{here}/items/{}", encoded(item)),
        None => here.clone(),
    };
    let mut form = Form::post(
        "action",
        format!("{here}/actions/{action}"),
        info.title.clone(),
    );
    if let Some(item) = item {
        form = form.hidden("item", item);
    }
    let schema_form = schema.as_ref().and_then(SchemaForm::of);
    if let Some(schema_form) = &schema_form {
        form = form.fields(schema_form.fields(t, &Value::Null));
    }
    if info.irreversible {
        form = form
            .field(Field::new("confirm", t.confirm_irreversible, Input::Checkbox).required())
            .tone(corral_console::Tone::Bad);
    }
    if let Some(again) = again {
        for (field, message) in again.problems {
            form = shown_again(form, again.typed, &field, &message);
        }
    }
    let mut page = Page::new(info.title.clone())
        .lead(info.description.clone())
        .block(Block::Links(vec![Link::new(back, t.back)]));
    if info.irreversible {
        page = page.block(Block::Warning {
            title: t.irreversible_title.to_string(),
            items: vec![info.description.clone()],
        });
    }
    desk.page(MENU, page.block(form))
}

pub async fn act(
    State(services): State<Services>,
    Path((plugin, collection, action)): Path<(String, String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let item = fields.text("item");
    let target = (plugin.as_str(), collection.as_str(), action.as_str());
    match attempt(&services, &desk, target, &item, &fields).await {
        Ok(answer) => answer,
        Err(problems) => {
            let again = Some(Again {
                typed: &fields,
                problems,
            });
            render_action(
                &services,
                &desk,
                &plugin,
                &collection,
                &action,
                &item,
                again,
            )
            .await
        }
    }
}

/// Takes the action posted on `target` (plugin, collection, action): the page to answer, or
/// the problems to show with the form again (field, or "" for the whole form, and message).
async fn attempt(
    services: &Services,
    desk: &Desk,
    (plugin, collection, action): (&str, &str, &str),
    item: &str,
    fields: &Fields,
) -> Result<Response, Vec<(String, String)>> {
    let t = desk.texts();
    let act = desk.act(services);
    let item = Some(item).filter(|i| !i.is_empty());
    let described: Collection = match act.plugin_collection(plugin, collection).await {
        Ok(described) => described,
        Err(e) => return Ok(hook_page(desk, e)),
    };
    let Some(info) = described.actions.iter().find(|a| a.name == action) else {
        return Ok(desk.refused_page(MENU, crate::error::Error::NotFound("action")));
    };
    if info.irreversible && !fields.checked("confirm") {
        return Err(vec![("confirm".into(), t.confirm_required.into())]);
    }
    // The input from the form the plugin's schema made (none for an action without input).
    let mut schema_form = None;
    if info.takes_input {
        match act.action_form(plugin, collection, item, action).await {
            Ok(schema) => schema_form = SchemaForm::of(&schema),
            Err(e) => return Ok(hook_page(desk, e)),
        }
    }
    let input = match &schema_form {
        Some(form) => form
            .body(t, |name| Some(fields.raw(name)))
            .map_err(|problem| vec![problem])?,
        None => Value::Object(Default::default()),
    };
    match act
        .take_action(plugin, collection, item, action, &input)
        .await
    {
        Ok(Outcome::Done(done)) => {
            let here = base(plugin, collection);
            let to = match &done.item {
                // A report (an item without id, e.g. each row of a change): shown here.
                Some(report) if report.id.is_empty() => {
                    let t = desk.texts();
                    let facts = report
                        .details
                        .iter()
                        .map(|d| (d.name.clone(), Cell::Text(d.value.clone())))
                        .collect();
                    let page = Page::new(report.title.clone())
                        .notice(Some(Notice::Done(t.action_done.to_string())))
                        .block(Block::Facts(facts))
                        .block(Block::Links(vec![Link::new(here, t.back)]));
                    return Ok(desk.page(MENU, page));
                }
                Some(changed) => format!("{here}/items/{}?done=1", encoded(&changed.id)),
                None => format!("{here}?done=1"),
            };
            Ok(desk.redirect(&to))
        }
        Ok(Outcome::Invalid(refusal)) => Err(refusal
            .errors
            .into_iter()
            .map(|p| {
                let field = schema_form
                    .as_ref()
                    .and_then(|f| f.field_for(&p.path))
                    .unwrap_or_default();
                (field, p.message)
            })
            .collect()),
        Err(e) => match refusal_text(desk.refused_hook(e)) {
            Ok(message) => Err(vec![(String::new(), message)]),
            Err(response) => Ok(*response),
        },
    }
}

/// An import's file uploaded from a collection's page: the job's page once it is queued.
pub async fn upload(
    State(services): State<Services>,
    Path((plugin, collection, import)): Path<(String, String, String)>,
    uploaded: Uploaded,
) -> Response {
    let Uploaded { desk, file, .. } = uploaded;
    let t = desk.texts();
    let Some(file) = file else {
        let again = Some((import, t.csv_file_required.to_string()));
        return render_list(&services, &desk, &plugin, &collection, again).await;
    };
    let name = if file.name.trim().is_empty() {
        "upload.csv".to_string()
    } else {
        file.name.clone()
    };
    let body = futures::stream::iter([Ok::<_, std::convert::Infallible>(file.bytes)]);
    let started = desk
        .act(&services)
        .start_import(&plugin, &collection, &import, &name, body)
        .await;
    match started {
        Ok(job) => desk.redirect(&format!("/console/imports/{}", job.id)),
        Err(e) => match refusal_text(desk.refused_hook(e)) {
            Ok(message) => {
                render_list(
                    &services,
                    &desk,
                    &plugin,
                    &collection,
                    Some((import, message)),
                )
                .await
            }
            Err(response) => *response,
        },
    }
}
