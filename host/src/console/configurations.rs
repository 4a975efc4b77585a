//! The configurations pages (SPEC E4): the plugins that offer kinds of configuration and how
//! many each has; one plugin's configurations (kind, priority, distribution); a new one or a
//! stored one in a form made from the kind's JSON Schema (or one JSON area when the plugin
//! publishes none), where the plugin's own field errors land at their fields; the vendor
//! document the plugin renders from it; its delivery to the plugin; its deletion once
//! confirmed. Every action is an `AsAdmin` operation of `configurations`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{
    Block, Cell, Column, Field, Form, Input, Link, Notice, Page, SchemaForm, Table, Texts, Tone,
};
use serde_json::Value;

use super::{history, shown_again, when, Desk, Fields, Posted, Refused};
use crate::configurations::{ConfigurationView, Distribution, Draft, Rendered};
use crate::plugins::registry::PluginSummary;
use crate::services::Services;

const MENU: &str = "configurations";

/// A kind of configuration the plugin's active version offers.
struct Kind {
    id: String,
    name: String,
    description: String,
    schema: Option<Value>,
}

impl Kind {
    fn form(&self) -> Option<SchemaForm> {
        self.schema.as_ref().and_then(SchemaForm::of)
    }
}

/// The kinds of the plugin's active version (none while it is off).
fn kinds(plugin: &PluginSummary) -> Vec<Kind> {
    let Some(active) = plugin.versions.iter().find(|v| v.active) else {
        return Vec::new();
    };
    active.info["config_kinds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|k| Kind {
            id: k["id"].as_str().unwrap_or_default().to_string(),
            name: k["display_name"].as_str().unwrap_or_default().to_string(),
            description: k["description"].as_str().unwrap_or_default().to_string(),
            schema: k.get("json_schema").filter(|s| s.is_object()).cloned(),
        })
        .collect()
}

fn kind_name(kinds: &[Kind], id: &str) -> String {
    kinds
        .iter()
        .find(|k| k.id == id)
        .map(|k| k.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn distribution_text(t: &Texts, d: &Distribution) -> String {
    match d {
        Distribution::None => t.distribution_none.to_string(),
        Distribution::All => t.distribution_all.to_string(),
        Distribution::Custom { devices } => {
            format!("{} ({})", t.distribution_custom, devices.len())
        }
    }
}

/// Every plugin offering configurations, or holding some.
pub async fn index(State(services): State<Services>, desk: Desk) -> Response {
    let t = desk.texts();
    let act = desk.act(&services);
    let plugins = match act.list_plugins().await {
        Ok(plugins) => plugins,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mut rows = Vec::new();
    for plugin in &plugins {
        let kinds = kinds(plugin);
        let stored = match act.list_configurations(&plugin.id).await {
            Ok(stored) => stored.len(),
            Err(e) => return desk.refused_page(MENU, e),
        };
        if kinds.is_empty() && stored == 0 {
            continue;
        }
        let names: Vec<String> = kinds.iter().map(|k| k.name.clone()).collect();
        rows.push(vec![
            Cell::Link(Link::new(
                format!("/console/configurations/{}", plugin.id),
                plugin.name.clone(),
            )),
            if names.is_empty() {
                Cell::Badge(t.plugin_off.to_string(), Tone::Neutral)
            } else {
                Cell::Text(names.join(", "))
            },
            Cell::Text(stored.to_string()),
        ]);
    }
    let page = Page::new(t.configurations_title)
        .lead(t.configurations_lead)
        .block(Table {
            caption: t.configurations_title.to_string(),
            columns: vec![
                Column::new(t.plugin_name),
                Column::new(t.configuration_kinds),
                Column::new(t.configuration_count),
            ],
            rows,
            empty: t.no_configurable_plugins.to_string(),
            pager: None,
        });
    desk.page(MENU, page)
}

/// One plugin's configurations, by kind, highest priority first.
pub async fn list(
    State(services): State<Services>,
    desk: Desk,
    Path(plugin_id): Path<String>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(&services);
    let plugin = match act.get_plugin(&plugin_id).await {
        Ok(plugin) => plugin,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let stored = match act.list_configurations(&plugin_id).await {
        Ok(stored) => stored,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let kinds = kinds(&plugin);
    let base = format!("/console/configurations/{plugin_id}");
    let rows = stored
        .iter()
        .map(|c| {
            vec![
                Cell::Link(Link::new(format!("{base}/{}", c.id), c.name.clone())),
                Cell::Text(kind_name(&kinds, &c.kind)),
                Cell::Text(c.priority.to_string()),
                Cell::Text(distribution_text(t, &c.distribution)),
                Cell::Text(when(c.updated_at)),
            ]
        })
        .collect();
    let mut page = Page::new(format!("{} · {}", t.configurations_title, plugin.name))
        .lead(t.configurations_lead)
        .notice(desk.done(&[("deleted", t.configuration_deleted)]))
        .block(Block::Links(vec![
            Link::new("/console/configurations", t.all_configurations),
            Link::new(format!("/console/plugins/{plugin_id}"), plugin.name.clone()),
        ]));
    if kinds.is_empty() {
        page = page.notice(Some(Notice::Failed(
            t.plugin_off_configurations.to_string(),
        )));
    } else if desk.me.admin.abilities().manage_plugins {
        page = page.block(Block::Links(
            kinds
                .iter()
                .map(|k| {
                    let href = super::filtered_href(&format!("{base}/new"), &[("kind", &k.id)], 1);
                    Link::new(href, format!("{}: {}", t.new_configuration, k.name))
                })
                .collect(),
        ));
    }
    page = page.block(Table {
        caption: plugin.name.clone(),
        columns: vec![
            Column::new(t.configuration_name),
            Column::new(t.configuration_kind),
            Column::new(t.priority),
            Column::new(t.distribution),
            Column::new(t.updated),
        ],
        rows,
        empty: t.no_configurations.to_string(),
        pager: None,
    });
    desk.page(MENU, page)
}

/// What a configuration form shows: stored values, or what was typed with its refusal.
struct Shown<'a> {
    name: String,
    priority: String,
    distribution: Distribution,
    body: Value,
    /// The posted fields to show again (a refused post).
    typed: Option<&'a Fields>,
    /// (field, message); an empty field puts the message on the form.
    error: Option<(String, String)>,
}

/// The form of a configuration of `kind`, posting to `action`.
fn config_form(t: &Texts, kind: &Kind, action: String, label: &str, shown: Shown<'_>) -> Form {
    let distribution = match &shown.distribution {
        Distribution::None => "none",
        Distribution::All => "all",
        Distribution::Custom { .. } => "custom",
    };
    let devices = match &shown.distribution {
        Distribution::Custom { devices } => devices.join("\n"),
        _ => String::new(),
    };
    let mut form = Form::post("configuration", action, label)
        .tone(Tone::Primary)
        .hidden("kind", kind.id.clone())
        .field(
            Field::new("name", t.configuration_name, Input::Text)
                .value(shown.name)
                .required(),
        )
        .field(
            Field::new("priority", t.priority, Input::Number)
                .value(shown.priority)
                .hint(t.priority_hint)
                .required(),
        )
        .field(
            Field::new(
                "distribution",
                t.distribution,
                Input::Select(vec![
                    ("none".into(), t.distribution_none.into()),
                    ("all".into(), t.distribution_all.into()),
                    ("custom".into(), t.distribution_custom.into()),
                ]),
            )
            .value(distribution),
        )
        .field(
            Field::new("devices", t.distribution_devices, Input::TextArea)
                .value(devices)
                .hint(t.distribution_devices_hint),
        );
    match kind.form() {
        Some(schema) => form = form.fields(schema.fields(t, &shown.body)),
        None => {
            form = form.field(
                Field::new(corral_console::BODY, t.body_json, Input::TextArea)
                    .value(serde_json::to_string_pretty(&shown.body).unwrap_or_default())
                    .hint(t.body_json_hint)
                    .required(),
            )
        }
    }
    match (shown.typed, shown.error) {
        (Some(typed), Some((field, message))) => shown_again(form, typed, &field, &message),
        _ => form,
    }
}

/// Reads the posted form into a draft of `kind`, or (field, message).
fn draft_of(t: &Texts, kind: &Kind, fields: &Fields) -> Result<Draft, (String, String)> {
    let priority = fields
        .text("priority")
        .parse::<i32>()
        .map_err(|_| ("priority".to_string(), t.whole_number.to_string()))?;
    let distribution = match fields.text("distribution").as_str() {
        "all" => Distribution::All,
        "custom" => Distribution::Custom {
            devices: fields
                .raw("devices")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        },
        _ => Distribution::None,
    };
    let body = match kind.form() {
        Some(schema) => schema.body(t, |name| Some(fields.raw(name)))?,
        None => serde_json::from_str(fields.raw(corral_console::BODY).trim()).map_err(|e| {
            (
                corral_console::BODY.to_string(),
                format!("{}: {e}", t.json_invalid),
            )
        })?,
    };
    Ok(Draft {
        kind: kind.id.clone(),
        name: fields.text("name"),
        priority,
        distribution,
        body,
    })
}

/// Where a refusal of the services goes in the form of `kind`.
fn at_field(kind: &Kind, field: String) -> String {
    if field.starts_with("distribution") {
        return "devices".into();
    }
    if field == "kind" {
        return String::new();
    }
    match field.strip_prefix(corral_console::BODY) {
        Some(pointer) if pointer.is_empty() || pointer.starts_with('/') => kind
            .form()
            .and_then(|schema| schema.field_for(pointer))
            .unwrap_or_else(|| corral_console::BODY.to_string()),
        _ => field,
    }
}

/// The plugin and the kind named, or the page refusing them.
async fn plugin_and_kind(
    services: &Services,
    desk: &Desk,
    plugin_id: &str,
    kind: &str,
) -> Result<(PluginSummary, Kind), Response> {
    let t = desk.texts();
    let plugin = desk
        .act(services)
        .get_plugin(plugin_id)
        .await
        .map_err(|e| desk.refused_page(MENU, e))?;
    let found = kinds(&plugin).into_iter().find(|k| k.id == kind);
    match found {
        Some(kind) => Ok((plugin, kind)),
        None => {
            let text = if kinds(&plugin).is_empty() {
                t.plugin_off_configurations
            } else {
                t.unknown_kind
            };
            let page = Page::new(t.not_found_title).block(Block::Text(text.to_string()));
            Err(desk.page_with(StatusCode::NOT_FOUND, MENU, page))
        }
    }
}

fn new_page(desk: &Desk, plugin: &PluginSummary, kind: &Kind, form: Form) -> Response {
    let t = desk.texts();
    let status = if form.has_errors() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = Page::new(format!("{}: {}", t.new_configuration, kind.name))
        .lead(kind.description.clone())
        .block(Block::Links(vec![Link::new(
            format!("/console/configurations/{}", plugin.id),
            t.back_to_list,
        )]))
        .block(form);
    desk.page_with(status, MENU, page)
}

/// The form of a new configuration of `?kind=`, with the next free priority of that kind.
pub async fn new(
    State(services): State<Services>,
    desk: Desk,
    Path(plugin_id): Path<String>,
) -> Response {
    let t = desk.texts();
    let kind = desk.visit.query("kind").to_string();
    let (plugin, kind) = match plugin_and_kind(&services, &desk, &plugin_id, &kind).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let next = match desk
        .act(&services)
        .next_configuration_priority(&plugin_id, &kind.id)
        .await
    {
        Ok(next) => next,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let shown = Shown {
        name: String::new(),
        priority: next.to_string(),
        distribution: Distribution::None,
        body: Value::Object(Default::default()),
        typed: None,
        error: None,
    };
    let action = format!("/console/configurations/{plugin_id}/new");
    let form = config_form(t, &kind, action, t.save_and_try, shown);
    new_page(&desk, &plugin, &kind, form)
}

/// Creates a configuration the plugin accepts.
pub async fn create(
    State(services): State<Services>,
    Path(plugin_id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let (plugin, kind) =
        match plugin_and_kind(&services, &desk, &plugin_id, &fields.text("kind")).await {
            Ok(found) => found,
            Err(res) => return res,
        };
    let action = format!("/console/configurations/{plugin_id}/new");
    let again = |error: (String, String)| {
        let shown = Shown {
            name: String::new(),
            priority: String::new(),
            distribution: Distribution::None,
            body: Value::Null,
            typed: Some(&fields),
            error: Some(error),
        };
        let form = config_form(t, &kind, action.clone(), t.save_and_try, shown);
        new_page(&desk, &plugin, &kind, form)
    };
    let draft = match draft_of(t, &kind, &fields) {
        Ok(draft) => draft,
        Err(error) => return again(error),
    };
    match desk
        .act(&services)
        .create_configuration(&plugin_id, draft)
        .await
    {
        Ok(created) => desk.redirect(&format!(
            "/console/configurations/{plugin_id}/{}?done=created",
            created.configuration.id
        )),
        Err(e) => match desk.refused_hook(e) {
            Refused::Page(res) => res,
            Refused::Field { field, message } => again((at_field(&kind, field), message)),
            Refused::Form(message) => again((String::new(), message)),
        },
    }
}

/// What the page of a stored configuration shows besides it: a refused post, or the vendor
/// document the plugin rendered.
enum Extra<'a> {
    None,
    Refused {
        form: &'static str,
        fields: &'a Fields,
        field: String,
        message: String,
    },
    Rendered(Rendered),
}

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path((plugin_id, id)): Path<(String, String)>,
) -> Response {
    render(&services, &desk, &plugin_id, &id, Extra::None).await
}

async fn render(
    services: &Services,
    desk: &Desk,
    plugin_id: &str,
    id: &str,
    extra: Extra<'_>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let plugin = match act.get_plugin(plugin_id).await {
        Ok(plugin) => plugin,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let ConfigurationView {
        configuration: stored,
        delivery,
    } = match act.get_configuration(plugin_id, id).await {
        Ok(view) => view,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let kinds = kinds(&plugin);
    let manage = desk.me.admin.abilities().manage_plugins;
    let base = format!("/console/configurations/{plugin_id}/{id}");
    let mut page = Page::new(stored.name.clone())
        .lead(kind_name(&kinds, &stored.kind))
        .notice(desk.done(&[
            ("created", t.configuration_created),
            ("saved", t.configuration_saved),
        ]))
        .block(Block::Links(vec![
            Link::new(
                format!("/console/configurations/{plugin_id}"),
                t.back_to_list,
            ),
            Link::new(
                history::of_object("plugin_configuration", id),
                t.history_link,
            ),
        ]))
        .block(Block::Facts(vec![
            (t.plugin_name.to_string(), plugin.name.clone().into()),
            (
                t.configuration_kind.to_string(),
                Cell::Code(stored.kind.clone()),
            ),
            (
                t.distribution.to_string(),
                distribution_text(t, &stored.distribution).into(),
            ),
            (t.created.to_string(), when(stored.created_at).into()),
            (t.updated.to_string(), when(stored.updated_at).into()),
        ]));

    // Its delivery to the plugin.
    let delivery = match delivery {
        None => Block::Facts(vec![(
            t.delivery.to_string(),
            Cell::Badge(t.delivery_done.to_string(), Tone::Good),
        )]),
        Some(d) => {
            let mut facts = vec![
                (
                    t.delivery.to_string(),
                    Cell::Badge(format!("{} ({})", t.delivery_pending, d.event), Tone::Warn),
                ),
                (
                    t.delivery_attempts.to_string(),
                    d.attempts.to_string().into(),
                ),
                (t.delivery_next.to_string(), when(d.next_attempt_at).into()),
            ];
            if let Some(error) = d.last_error {
                facts.push((t.delivery_last_error.to_string(), Cell::Code(error)));
            }
            Block::Facts(facts)
        }
    };
    page = page.block(Block::Section {
        title: t.delivery.to_string(),
        blocks: vec![delivery],
    });

    // The configuration: a form while the plugin offers its kind, else what is stored.
    let refused = |name: &str| match &extra {
        Extra::Refused {
            form,
            fields,
            field,
            message,
        } if *form == name => Some((*fields, field.clone(), message.clone())),
        _ => None,
    };
    let kind = kinds.iter().find(|k| k.id == stored.kind);
    let mut settings = Vec::new();
    match kind {
        Some(kind) if manage => {
            let (typed, error) = match refused("configuration") {
                Some((fields, field, message)) => (Some(fields), Some((field, message))),
                None => (None, None),
            };
            let shown = Shown {
                name: stored.name.clone(),
                priority: stored.priority.to_string(),
                distribution: stored.distribution.clone(),
                body: stored.body.clone(),
                typed,
                error,
            };
            settings.push(config_form(t, kind, base.clone(), t.save_and_try, shown).into());
        }
        _ => {
            if kind.is_none() {
                settings.push(Block::Text(t.plugin_off_configurations.to_string()));
            }
            settings.push(Block::Facts(vec![
                (t.priority.to_string(), stored.priority.to_string().into()),
                (
                    t.body_json.to_string(),
                    Cell::Code(serde_json::to_string_pretty(&stored.body).unwrap_or_default()),
                ),
            ]));
        }
    }
    page = page.block(Block::Section {
        title: t.configuration_body.to_string(),
        blocks: settings,
    });

    // The vendor document, on demand.
    let mut preview = Vec::new();
    match &extra {
        Extra::Rendered(rendered) => preview.push(Block::Facts(vec![
            (
                t.media_type.to_string(),
                Cell::Code(rendered.media_type.clone()),
            ),
            (
                t.vendor_document.to_string(),
                Cell::Code(match &rendered.document {
                    Value::String(text) => text.clone(),
                    json => serde_json::to_string_pretty(json).unwrap_or_default(),
                }),
            ),
        ])),
        _ => {
            if let Some((_, _, message)) = refused("preview") {
                page = page.notice(Some(Notice::Failed(message)));
            }
        }
    }
    if kind.is_some() {
        preview.push(Form::post("preview", format!("{base}/preview"), t.preview).into());
        page = page.block(Block::Section {
            title: t.vendor_document.to_string(),
            blocks: preview,
        });
    }

    if manage {
        let mut form = Form::post("delete", format!("{base}/delete"), t.delete_configuration)
            .tone(Tone::Bad)
            .field(Field::new(
                "confirm",
                t.confirm_delete_configuration,
                Input::Checkbox,
            ));
        if let Some((_, field, message)) = refused("delete") {
            form = if field.is_empty() {
                form.error(Some(message))
            } else {
                form.fail(&field, message)
            };
        }
        page = page.block(Block::Section {
            title: t.delete_configuration.to_string(),
            blocks: vec![form.into()],
        });
    }
    let status = if matches!(extra, Extra::Refused { .. }) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    desk.page_with(status, MENU, page)
}

/// Replaces a configuration with what the plugin accepts.
pub async fn update(
    State(services): State<Services>,
    Path((plugin_id, id)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let (_, kind) = match plugin_and_kind(&services, &desk, &plugin_id, &fields.text("kind")).await
    {
        Ok(found) => found,
        Err(res) => return res,
    };
    let refused = |field: String, message: String| Extra::Refused {
        form: "configuration",
        fields: &fields,
        field,
        message,
    };
    let outcome = match draft_of(t, &kind, &fields) {
        Err((field, message)) => Err(refused(field, message)),
        Ok(draft) => match desk
            .act(&services)
            .update_configuration(&plugin_id, &id, draft)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match desk.refused_hook(e) {
                Refused::Page(res) => return res,
                Refused::Field { field, message } => Err(refused(at_field(&kind, field), message)),
                Refused::Form(message) => Err(refused(String::new(), message)),
            },
        },
    };
    match outcome {
        Ok(()) => desk.redirect(&format!(
            "/console/configurations/{plugin_id}/{id}?done=saved"
        )),
        Err(extra) => render(&services, &desk, &plugin_id, &id, extra).await,
    }
}

/// Shows the vendor document the plugin renders from the stored configuration.
pub async fn preview(
    State(services): State<Services>,
    Path((plugin_id, id)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let extra = match desk
        .act(&services)
        .preview_configuration(&plugin_id, &id)
        .await
    {
        Ok(rendered) => Extra::Rendered(rendered),
        Err(e) => match desk.refused_hook(e) {
            Refused::Page(res) => return res,
            Refused::Field { message, .. } | Refused::Form(message) => Extra::Refused {
                form: "preview",
                fields: &fields,
                field: String::new(),
                message,
            },
        },
    };
    render(&services, &desk, &plugin_id, &id, extra).await
}

/// Deletes a configuration once confirmed.
pub async fn delete(
    State(services): State<Services>,
    Path((plugin_id, id)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let refused = |field: &str, message: String| Extra::Refused {
        form: "delete",
        fields: &fields,
        field: field.to_string(),
        message,
    };
    if !fields.checked("confirm") {
        let extra = refused("confirm", t.confirm_required.to_string());
        return render(&services, &desk, &plugin_id, &id, extra).await;
    }
    match desk
        .act(&services)
        .delete_configuration(&plugin_id, &id)
        .await
    {
        Ok(()) => desk.redirect(&format!("/console/configurations/{plugin_id}?done=deleted")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                render(&services, &desk, &plugin_id, &id, refused("", message)).await
            }
        },
    }
}
