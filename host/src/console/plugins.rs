//! The plugins pages (SPEC H1 to H4): the tenant's plugins and the upload of a component (a new
//! plugin or a new version); one plugin's page with its versions (activate one; an earlier one
//! rolls back; delete one not active), switching it off, the capabilities and HTTPS hosts the
//! tenant allows it, its settings (as the plugin declares them, checked by the plugin) and its
//! credential (write-only: only its account is shown), the actions it lists, and its removal.
//! Every action is an `AsAdmin` operation of `plugins`, `vendor_access` or `plugins::perform`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{
    Block, Cell, Column, Field, Form, Input, Link, Notice, Page, Table, Texts, Tone,
};
use corral_plugin_runtime::Capability;
use serde_json::Value;

use super::{history, when, Desk, Posted, Refused, Uploaded};
use crate::plugins::registry::PluginSummary;
use crate::services::Services;
use crate::vendor_access::{CredentialInput, ServiceAccountKey};

const MENU: &str = "plugins";

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    render_list(&services, &desk, None, StatusCode::OK).await
}

fn upload_form(t: &Texts, action: String, error: Option<String>) -> Form {
    Form::post("upload", action, t.upload)
        .multipart()
        .tone(Tone::Primary)
        .field(
            Field::new(
                "component",
                t.component_file,
                Input::File(".wasm,application/wasm"),
            )
            .hint(t.component_hint)
            .required()
            .error(error),
        )
}

async fn render_list(
    services: &Services,
    desk: &Desk,
    upload_error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = desk.texts();
    let plugins = match desk.act(services).list_plugins().await {
        Ok(plugins) => plugins,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let rows = plugins
        .iter()
        .map(|p| {
            vec![
                Cell::Link(Link::new(
                    format!("/console/plugins/{}", p.id),
                    p.name.clone(),
                )),
                Cell::Text(p.vendor.clone()),
                active_cell(t, p),
                Cell::Text(p.versions.len().to_string()),
                Cell::Text(when(p.updated_at)),
            ]
        })
        .collect();
    let mut page = Page::new(t.plugins_title)
        .lead(t.plugins_lead)
        .notice(desk.done(&[("deleted", t.plugin_deleted)]))
        .block(Table {
            caption: t.plugins_title.to_string(),
            columns: vec![
                Column::new(t.plugin_name),
                Column::new(t.vendor),
                Column::new(t.active_version),
                Column::new(t.versions),
                Column::new(t.updated),
            ],
            rows,
            empty: t.no_plugins.to_string(),
            pager: None,
        });
    if desk.me.admin.abilities().manage_plugins {
        page = page.block(Block::Section {
            title: t.upload_plugin.to_string(),
            blocks: vec![upload_form(t, "/console/plugins".into(), upload_error).into()],
        });
    }
    desk.page_with(status, MENU, page)
}

fn active_cell(t: &Texts, p: &PluginSummary) -> Cell {
    let active = p.versions.iter().find(|v| v.active);
    match active {
        Some(v) => Cell::Badge(format!("{} (#{})", v.version, v.seq), Tone::Good),
        None => Cell::Badge(t.plugin_off.to_string(), Tone::Neutral),
    }
}

/// Uploads a component: a new plugin, or a new version of the plugin it names.
pub async fn upload(State(services): State<Services>, up: Uploaded) -> Response {
    let Uploaded { desk, file, .. } = up;
    let t = desk.texts();
    let Some(file) = file else {
        let error = Some(t.choose_file.to_string());
        return render_list(&services, &desk, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match desk.act(&services).upload_plugin(&file.bytes).await {
        Ok((plugin, seq)) => desk.redirect(&format!(
            "/console/plugins/{}?done=uploaded&seq={seq}",
            plugin.id
        )),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } | Refused::Form(message) => {
                render_list(
                    &services,
                    &desk,
                    Some(message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
        },
    }
}

/// A form of the plugin's page to show again with its error: (form id, field, message), and
/// what was typed in it (shown again, except the credential's key).
type Again = Option<(String, String, String, Vec<(String, String)>)>;

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    render(&services, &desk, &id, None, None).await
}

/// The plugin's page; `again` puts an error at a form, `result` shows an action's answer.
async fn render(
    services: &Services,
    desk: &Desk,
    id: &str,
    again: Again,
    result: Option<(String, Value)>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let plugin = match act.get_plugin(id).await {
        Ok(plugin) => plugin,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let access = match act.vendor_access(id).await {
        Ok(access) => access,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let manage = desk.me.admin.abilities().manage_plugins;
    let base = format!("/console/plugins/{}", plugin.id);
    let fail = |mut form: Form| match &again {
        Some((id, field, message, typed)) if *id == form.id => {
            for f in &mut form.fields {
                let text = matches!(f.input, Input::Text | Input::TextArea);
                if let Some((_, v)) = typed.iter().find(|(k, _)| *k == f.name) {
                    if text && f.name != "key" {
                        f.value = v.clone();
                    }
                }
            }
            if field.is_empty() {
                form.error(Some(message.clone()))
            } else {
                form.fail(field, message.clone())
            }
        }
        _ => form,
    };
    let uploaded = desk.visit.query("seq");
    let uploaded_text = format!("{} #{uploaded}", t.version_uploaded);
    let reported = format!("{} {}", t.devices_reported, desk.visit.query("reported"));
    let mut links = vec![
        Link::new("/console/plugins", t.back_to_list),
        Link::new(
            format!("/console/configurations/{}", plugin.id),
            t.plugin_configurations,
        ),
    ];
    links.extend(super::collections::links(services, desk, &plugin.id).await);
    links.push(Link::new(
        history::of_object("plugin", &plugin.id),
        t.history_link,
    ));
    let mut page = Page::new(plugin.name.clone())
        .lead(plugin.vendor.clone())
        .notice(desk.done(&[
            ("uploaded", uploaded_text.as_str()),
            ("activated", t.plugin_activated),
            ("deactivated", t.plugin_deactivated),
            ("version_deleted", t.version_deleted),
            ("grants", t.grants_saved),
            ("settings", t.settings_saved),
            ("credential", t.credential_saved),
            ("credential_deleted", t.credential_deleted),
            ("synced", reported.as_str()),
        ]))
        .block(Block::Links(links))
        .block(Block::Facts(vec![
            (t.active_version.to_string(), active_cell(t, &plugin)),
            (t.updated.to_string(), when(plugin.updated_at).into()),
        ]));

    // Versions, newest first: activate (or roll back to) one, delete one not active.
    let active_seq = plugin.active_version;
    let rows = plugin
        .versions
        .iter()
        .rev()
        .map(|v| {
            let mut actions = Vec::new();
            if manage && !v.active {
                let label = match active_seq {
                    Some(active) if v.seq < active => t.roll_back_to,
                    _ => t.activate,
                };
                actions.push(Cell::Action(Box::new(
                    Form::post(
                        format!("activate-{}", v.seq),
                        format!("{base}/activate"),
                        label,
                    )
                    .inline()
                    .hidden("seq", v.seq.to_string()),
                )));
                actions.push(Cell::Action(Box::new(
                    Form::post(
                        format!("delete-version-{}", v.seq),
                        format!("{base}/versions/delete"),
                        t.delete_version,
                    )
                    .inline()
                    .tone(Tone::Bad)
                    .hidden("seq", v.seq.to_string()),
                )));
            }
            let mut cells = vec![
                Cell::Text(format!("#{}", v.seq)),
                Cell::Text(v.version.clone()),
                Cell::Code(v.world_version.clone()),
                Cell::Code(v.sha256.chars().take(12).collect()),
                Cell::Text(format!("{} KiB", (v.size + 1023) / 1024)),
                Cell::Text(v.requested_capabilities.join(", ")),
                Cell::Text(v.uploaded_by.clone()),
                Cell::Text(when(v.created_at)),
                if v.active {
                    Cell::Badge(t.active.to_string(), Tone::Good)
                } else {
                    Cell::Empty
                },
            ];
            cells.extend(actions);
            cells
        })
        .collect();
    let mut columns: Vec<Column> = [
        "#",
        t.version,
        t.world_version,
        "SHA-256",
        t.size,
        t.requested_capabilities,
        t.uploaded_by,
        t.uploaded_at,
        t.state,
    ]
    .into_iter()
    .map(Column::new)
    .collect();
    if manage {
        columns.push(Column::new(t.device_actions));
        columns.push(Column::new(""));
    }
    let mut versions = vec![Block::Table(Table {
        caption: t.versions.to_string(),
        columns,
        rows,
        empty: String::new(),
        pager: None,
    })];
    if manage {
        if active_seq.is_some() {
            versions.push(
                Form::post(
                    "deactivate",
                    format!("{base}/deactivate"),
                    t.switch_plugin_off,
                )
                .inline()
                .into(),
            );
        }
        versions.push(fail(upload_form(t, format!("{base}/versions"), None)).into());
        if let Some((id, _, message, _)) = &again {
            if id == "activate" {
                page = page.notice(Some(Notice::Failed(message.clone())));
            }
        }
    }
    page = page.block(Block::Section {
        title: t.versions.to_string(),
        blocks: versions,
    });

    // What the tenant allows it.
    let latest = plugin
        .versions
        .iter()
        .find(|v| v.active)
        .or(plugin.versions.last());
    let choices = Capability::ALL
        .into_iter()
        .map(|c| {
            let name = c.interface().to_string();
            let asked = latest.is_some_and(|v| v.requested_capabilities.contains(&name));
            let label = if asked {
                format!("{name} ({})", t.requested)
            } else {
                name.clone()
            };
            let allowed = plugin.allowed_capabilities.contains(&name);
            (name, label, allowed)
        })
        .collect();
    let grants = if manage {
        Block::Form(fail(
            Form::post("grants", format!("{base}/grants"), t.save)
                .field(Field::new(
                    "capabilities",
                    t.allowed_capabilities,
                    Input::Choices(choices),
                ))
                .field(
                    Field::new("http_allow_hosts", t.http_allow_hosts, Input::TextArea)
                        .value(plugin.http_allow_hosts.join("\n"))
                        .hint(t.http_allow_hosts_hint),
                ),
        ))
    } else {
        Block::Facts(vec![
            (
                t.allowed_capabilities.to_string(),
                plugin.allowed_capabilities.join(", ").into(),
            ),
            (
                t.http_allow_hosts.to_string(),
                plugin.http_allow_hosts.join(", ").into(),
            ),
        ])
    };
    page = page.block(Block::Section {
        title: t.grants.to_string(),
        blocks: vec![grants],
    });

    // Settings and credential, as the latest version declares them.
    let extension = latest
        .and_then(|v| v.info.get("extension"))
        .filter(|e| !e.is_null());
    let declared: Vec<(String, String, bool)> = extension
        .and_then(|e| e["settings"].as_array())
        .map(|settings| {
            settings
                .iter()
                .map(|s| {
                    (
                        s["name"].as_str().unwrap_or_default().to_string(),
                        s["description"].as_str().unwrap_or_default().to_string(),
                        s["required"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !declared.is_empty() {
        let mut form = Form::post("settings", format!("{base}/settings"), t.save);
        for (name, description, required) in &declared {
            let mut field = Field::new(format!("setting-{name}"), name.clone(), Input::Text)
                .value(access.settings.get(name).cloned().unwrap_or_default())
                .hint(description.clone());
            if *required {
                field = field.required();
            }
            form = form.field(field);
        }
        let block = if manage {
            Block::Form(fail(form))
        } else {
            Block::Facts(
                access
                    .settings
                    .iter()
                    .map(|(k, v)| (k.clone(), Cell::Code(v.clone())))
                    .collect(),
            )
        };
        page = page.block(Block::Section {
            title: t.plugin_settings.to_string(),
            blocks: vec![block],
        });
    }
    let scopes = extension
        .and_then(|e| e["oauth_scopes"].as_array())
        .is_some_and(|s| !s.is_empty());
    if scopes || access.credential.is_some() {
        let mut blocks = vec![match &access.credential {
            Some(c) => Block::Facts(vec![
                (
                    t.credential_account.to_string(),
                    Cell::Code(
                        c.client_email
                            .clone()
                            .or_else(|| c.client_id.clone())
                            .unwrap_or_default(),
                    ),
                ),
                (t.token_uri.to_string(), Cell::Code(c.token_uri.clone())),
                (t.updated.to_string(), when(c.updated_at).into()),
            ]),
            None => Block::Text(t.no_credential.to_string()),
        }];
        if manage {
            blocks.push(
                fail(
                    Form::post("credential", format!("{base}/credential"), t.save).field(
                        Field::new("key", t.service_account_key, Input::TextArea)
                            .hint(t.service_account_key_hint)
                            .required(),
                    ),
                )
                .into(),
            );
            blocks.push(Block::Text(t.client_credentials.to_string()));
            blocks.push(
                fail(
                    Form::post(
                        "client-credential",
                        format!("{base}/client-credential"),
                        t.save,
                    )
                    .field(Field::new("client_id", t.client_id, Input::Text).required())
                    .field(
                        Field::new("client_secret", t.client_secret, Input::Password)
                            .hint(t.client_secret_hint)
                            .required(),
                    )
                    .field(Field::new("token_uri", t.token_uri, Input::Text).required()),
                )
                .into(),
            );
            if access.credential.is_some() {
                blocks.push(
                    Form::post(
                        "delete-credential",
                        format!("{base}/credential/delete"),
                        t.delete_credential,
                    )
                    .inline()
                    .tone(Tone::Bad)
                    .into(),
                );
            }
        }
        page = page.block(Block::Section {
            title: t.credential.to_string(),
            blocks,
        });
    }

    // The plugin's own actions.
    let actions: Vec<(String, String)> = extension
        .and_then(|e| e["actions"].as_array())
        .map(|a| {
            a.iter()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap_or_default().to_string(),
                        a["description"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if manage && !actions.is_empty() {
        let mut blocks = Vec::new();
        if let Some((name, answer)) = result {
            let text = serde_json::to_string_pretty(&answer).unwrap_or_default();
            blocks.push(Block::Facts(vec![(
                format!("{} {name}", t.action_result),
                Cell::Code(text),
            )]));
        }
        for (name, description) in actions {
            let form = Form::post(
                format!("action-{name}"),
                format!("{base}/perform"),
                name.clone(),
            )
            .hidden("action", name.clone())
            .field(
                Field::new("input", t.action_input, Input::TextArea)
                    .value("{}")
                    .hint(description),
            );
            blocks.push(fail(form).into());
        }
        page = page.block(Block::Section {
            title: t.plugin_actions.to_string(),
            blocks,
        });
    }

    // The device inventory, for a plugin that reports devices.
    let reports = plugin
        .versions
        .iter()
        .find(|v| v.active)
        .is_some_and(|v| v.requested_capabilities.iter().any(|c| c == "inventory"));
    if desk.me.admin.abilities().manage_configurations && reports {
        page = page.block(Block::Section {
            title: t.device_inventory.to_string(),
            blocks: vec![
                Block::Text(t.sync_devices_hint.to_string()),
                fail(Form::post("sync", format!("{base}/sync"), t.sync_devices)).into(),
            ],
        });
    }

    if manage {
        page = page.block(Block::Section {
            title: t.delete_plugin.to_string(),
            blocks: vec![fail(
                Form::post("delete", format!("{base}/delete"), t.delete_plugin)
                    .tone(Tone::Bad)
                    .field(Field::new(
                        "confirm",
                        t.confirm_delete_plugin,
                        Input::Checkbox,
                    )),
            )
            .into()],
        });
    }
    let status = if again.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    desk.page_with(status, MENU, page)
}

/// The answer to a post on the plugin's page: to the page with `done`, or the page again
/// with the refusal at form `form`.
async fn answer<T>(
    services: &Services,
    desk: &Desk,
    id: &str,
    form: &str,
    done: &str,
    typed: &[(String, String)],
    outcome: Result<T, Refused>,
) -> Response {
    let typed = typed.to_vec();
    match outcome {
        Ok(_) => desk.redirect(&format!("/console/plugins/{id}?done={done}")),
        Err(Refused::Page(res)) => res,
        Err(Refused::Field { field, message }) => {
            render(
                services,
                desk,
                id,
                Some((form.into(), field, message, typed)),
                None,
            )
            .await
        }
        Err(Refused::Form(message)) => {
            render(
                services,
                desk,
                id,
                Some((form.into(), String::new(), message, typed)),
                None,
            )
            .await
        }
    }
}

/// The `seq` field of a version's form.
fn seq(fields: &super::Fields) -> i64 {
    fields.text("seq").parse().unwrap_or(0)
}

pub async fn activate(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let outcome = desk.act(&services).activate_plugin(&id, seq(&fields)).await;
    let outcome = outcome.map_err(|e| desk.refused(e));
    answer(&services, &desk, &id, "activate", "activated", &[], outcome).await
}

pub async fn deactivate(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let desk = post.desk;
    let outcome = desk.act(&services).deactivate_plugin(&id).await;
    let outcome = outcome.map_err(|e| desk.refused(e));
    answer(
        &services,
        &desk,
        &id,
        "activate",
        "deactivated",
        &[],
        outcome,
    )
    .await
}

pub async fn upload_version(
    State(services): State<Services>,
    Path(id): Path<String>,
    up: Uploaded,
) -> Response {
    let Uploaded { desk, file, .. } = up;
    let outcome = match file {
        None => Err(Refused::Field {
            field: "component".into(),
            message: desk.texts().choose_file.into(),
        }),
        Some(file) => match desk.act(&services).upload_plugin(&file.bytes).await {
            Ok((plugin, seq)) if plugin.id == id => {
                return desk.redirect(&format!("/console/plugins/{id}?done=uploaded&seq={seq}"))
            }
            // A component naming another plugin is that plugin's new version (or a new one).
            Ok((plugin, seq)) => {
                return desk.redirect(&format!(
                    "/console/plugins/{}?done=uploaded&seq={seq}",
                    plugin.id
                ))
            }
            Err(e) => Err(match desk.refused(e) {
                Refused::Form(message) | Refused::Field { message, .. } => Refused::Field {
                    field: "component".into(),
                    message,
                },
                page => page,
            }),
        },
    };
    answer::<()>(&services, &desk, &id, "upload", "uploaded", &[], outcome).await
}

pub async fn delete_version(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let outcome = desk
        .act(&services)
        .delete_plugin_version(&id, seq(&fields))
        .await;
    let outcome = outcome.map_err(|e| desk.refused(e));
    answer(
        &services,
        &desk,
        &id,
        "activate",
        "version_deleted",
        &[],
        outcome,
    )
    .await
}

pub async fn grants(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let capabilities = fields.all("capabilities");
    let hosts: Vec<String> = fields
        .raw("http_allow_hosts")
        .split(['\n', ',', ' '])
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string)
        .collect();
    let outcome = desk
        .act(&services)
        .set_plugin_grants(&id, &capabilities, &hosts)
        .await;
    let outcome = outcome.map_err(|e| match desk.refused(e) {
        // `http_allow_hosts[2]`: the text area.
        Refused::Field { field, message } => Refused::Field {
            field: field.split('[').next().unwrap_or_default().to_string(),
            message: format!("{field}: {message}"),
        },
        other => other,
    });
    answer(
        &services, &desk, &id, "grants", "grants", &fields.0, outcome,
    )
    .await
}

pub async fn settings(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let settings: BTreeMap<String, String> = fields
        .0
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("setting-")?.to_string(),
                v.trim().to_string(),
            ))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let outcome = desk.act(&services).set_vendor_settings(&id, settings).await;
    let outcome = outcome.map_err(|e| match desk.refused_hook(e) {
        Refused::Field { field, message } => Refused::Field {
            field: format!("setting-{}", field.trim_start_matches("settings.")),
            message,
        },
        other => other,
    });
    answer(
        &services, &desk, &id, "settings", "settings", &fields.0, outcome,
    )
    .await
}

pub async fn credential(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let outcome = match serde_json::from_str::<ServiceAccountKey>(&fields.raw("key")) {
        Err(e) => Err(Refused::Field {
            field: "key".into(),
            message: format!("{}: {e}", desk.texts().service_account_key_invalid),
        }),
        Ok(key) => desk
            .act(&services)
            .set_vendor_credential(&id, CredentialInput::ServiceAccount { key })
            .await
            .map_err(|e| match desk.refused(e) {
                Refused::Field { message, .. } => Refused::Field {
                    field: "key".into(),
                    message,
                },
                other => other,
            }),
    };
    answer(
        &services,
        &desk,
        &id,
        "credential",
        "credential",
        &[],
        outcome,
    )
    .await
}

pub async fn client_credential(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let input = CredentialInput::ClientCredentials {
        client_id: fields.raw("client_id"),
        client_secret: fields.raw("client_secret"),
        token_uri: fields.raw("token_uri").trim().to_string(),
    };
    let outcome = desk
        .act(&services)
        .set_vendor_credential(&id, input)
        .await
        .map_err(|e| match desk.refused(e) {
            Refused::Field { field, message } => Refused::Field {
                field: field.trim_start_matches("credential.").to_string(),
                message,
            },
            other => other,
        });
    answer(
        &services,
        &desk,
        &id,
        "client-credential",
        "credential",
        &[],
        outcome,
    )
    .await
}

pub async fn delete_credential(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let desk = post.desk;
    let outcome = desk.act(&services).delete_vendor_credential(&id).await;
    let outcome = outcome.map_err(|e| desk.refused(e));
    answer(
        &services,
        &desk,
        &id,
        "credential",
        "credential_deleted",
        &[],
        outcome,
    )
    .await
}

pub async fn perform(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let action = fields.text("action");
    let input = match serde_json::from_str::<Value>(&fields.raw("input")) {
        Ok(input) => Ok(input),
        Err(e) => Err(Refused::Field {
            field: "input".into(),
            message: format!("{}: {e}", desk.texts().json_invalid),
        }),
    };
    let form = format!("action-{action}");
    let outcome = match input {
        Err(refused) => Err(refused),
        Ok(input) => desk
            .act(&services)
            .perform_plugin_action(&id, &action, &input)
            .await
            .map_err(|e| match desk.refused_hook(e) {
                Refused::Form(message) => Refused::Field {
                    field: "input".into(),
                    message,
                },
                other => other,
            }),
    };
    match outcome {
        Ok(answer) => render(&services, &desk, &id, None, Some((action, answer))).await,
        Err(refused) => {
            answer::<()>(&services, &desk, &id, &form, "", &fields.0, Err(refused)).await
        }
    }
}

pub async fn delete(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    if !fields.checked("confirm") {
        let message = desk.texts().confirm_required.to_string();
        let again = Some(("delete".into(), "confirm".into(), message, Vec::new()));
        return render(&services, &desk, &id, again, None).await;
    }
    match desk.act(&services).delete_plugin(&id).await {
        Ok(()) => desk.redirect("/console/plugins?done=deleted"),
        Err(e) => {
            let outcome: Result<(), Refused> = Err(desk.refused(e));
            answer(&services, &desk, &id, "delete", "", &[], outcome).await
        }
    }
}

/// Asks the plugin to report every device its vendor lists, now.
pub async fn sync(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    match desk.act(&services).sync_plugin_devices(&id).await {
        Ok(reported) => desk.redirect(&format!(
            "/console/plugins/{id}?done=synced&reported={reported}"
        )),
        Err(e) => {
            let outcome: Result<(), Refused> = Err(desk.refused_hook(e));
            answer(&services, &desk, &id, "sync", "synced", &fields.0, outcome).await
        }
    }
}
