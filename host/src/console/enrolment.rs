//! The enrolment pages (SPEC B1 to B4, E2): the registration link with its QR code and the
//! replacement of its key; the registration settings (language, PIN requirement, PIN
//! validity); the outgoing mail and its delivery; for each active plugin that creates
//! enrolment tokens (world 0.3.0 and later), its enrolment profiles: created with their token at
//! the vendor, each shown with the token's QR code, its validity changed (which replaces the
//! token), deleted once confirmed. Every action is an `AsAdmin` operation of `registration`,
//! `mail`, `enrolment_profiles` or `apple::pki` (the tenant's Apple certificates, shown).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{history, refill, status_of, when, Again, Desk, Fields, Posted, Refused};
use crate::enrolment_profiles::{NewProfile, Profile};
use crate::mail::DeliveryQuery;
use crate::plugins::registry::PluginSummary;
use crate::registration::settings::{Language, UserSettingsUpdate};
use crate::services::Services;

const MENU: &str = "enrolment";

/// How many recent messages the page lists.
const MAIL_SHOWN: i64 = 20;

/// Whether a plugin's active version can create enrolment tokens (`enrolment-tokens`, added in
/// world 0.3.0).
fn creates_tokens(plugin: &PluginSummary) -> bool {
    let Some(active) = plugin.versions.iter().find(|v| v.active) else {
        return false;
    };
    let version: Vec<u64> = active
        .world_version
        .split('.')
        .map(|n| n.parse().unwrap_or(0))
        .collect();
    version.as_slice() >= [0, 3, 0].as_slice()
}

/// The page again with a refusal at form `form` (the profile's page when `profile` names
/// one), or the services' own answer (403, 404, sign-in).
async fn refused_at(
    services: &Services,
    desk: &Desk,
    form: &str,
    refused: Refused,
    typed: &Fields,
    profile: Option<(&str, &str)>,
) -> Response {
    let (field, message) = match refused {
        Refused::Page(res) => return res,
        Refused::Field { field, message } => (field, message),
        Refused::Form(message) => (String::new(), message),
    };
    let again = Some((form, field, message, typed));
    match profile {
        None => render(services, desk, again).await,
        Some((plugin_id, id)) => render_profile(services, desk, plugin_id, id, again).await,
    }
}

pub async fn show(State(services): State<Services>, desk: Desk) -> Response {
    render(&services, &desk, None).await
}

async fn render(services: &Services, desk: &Desk, again: Again<'_>) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let abilities = desk.me.admin.abilities();
    let url = match act.registration_url().await {
        Ok(url) => url,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let settings = match act.user_settings().await {
        Ok(settings) => settings,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mail_query = DeliveryQuery {
        object_id: None,
        status: None,
        limit: Some(MAIL_SHOWN),
    };
    let mail = match act.mail_deliveries(&mail_query).await {
        Ok(mail) => mail,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let plugins = match act.list_plugins().await {
        Ok(plugins) => plugins,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mut page = Page::new(t.enrolment_title)
        .lead(t.enrolment_lead)
        .notice(desk.done(&[
            ("rotated", t.key_rotated),
            ("settings", t.registration_saved),
            ("profile_deleted", t.profile_deleted),
        ]));

    // The registration link.
    let mut link = vec![Block::Text(t.registration_link_text.to_string())];
    link.extend(Block::qr_code(
        &url,
        t.registration_qr_alt,
        t.registration_link,
        &url,
    ));
    if abilities.manage_users {
        let rotate = Form::post("rotate", "/console/enrolment/rotate", t.rotate_key)
            .tone(Tone::Bad)
            .field(Field::new("confirm", t.confirm_rotate_key, Input::Checkbox));
        link.push(refill(rotate, &again).into());
    }
    page = page.block(Block::Section {
        title: t.registration_link.to_string(),
        blocks: link,
    });

    // The registration settings.
    let languages = vec![
        ("en".to_string(), "English".to_string()),
        ("fr".to_string(), "Français".to_string()),
    ];
    let settings_block = if abilities.manage_users {
        let form = Form::post("settings", "/console/enrolment/settings", t.save)
            .field(
                Field::new("language", t.language, Input::Select(languages))
                    .value(settings.language.code()),
            )
            .field(
                Field::new(
                    "require_registration_pin",
                    t.require_registration_pin,
                    Input::Checkbox,
                )
                .value(if settings.require_registration_pin {
                    "on"
                } else {
                    ""
                }),
            )
            .field(
                Field::new("pin_validity_hours", t.pin_validity_hours, Input::Number)
                    .value(settings.pin_validity_hours.to_string())
                    .hint(t.pin_validity_hint)
                    .required(),
            );
        Block::Form(refill(form, &again))
    } else {
        Block::Facts(vec![
            (t.language.to_string(), settings.language.code().into()),
            (
                t.require_registration_pin.to_string(),
                if settings.require_registration_pin {
                    t.yes
                } else {
                    t.no
                }
                .into(),
            ),
            (
                t.pin_validity_hours.to_string(),
                settings.pin_validity_hours.to_string().into(),
            ),
        ])
    };
    page = page.block(Block::Section {
        title: t.registration_settings.to_string(),
        blocks: vec![settings_block],
    });

    // The enrolment profiles of each plugin creating tokens.
    let token_plugins: Vec<&PluginSummary> = plugins.iter().filter(|p| creates_tokens(p)).collect();
    let mut blocks = Vec::new();
    if token_plugins.is_empty() {
        blocks.push(Block::Text(t.no_token_plugins.to_string()));
    }
    for plugin in token_plugins {
        let profiles = match act.list_enrolment_profiles(&plugin.id).await {
            Ok(profiles) => profiles,
            Err(e) => return desk.refused_page(MENU, e),
        };
        blocks.push(Block::Table(profiles_table(t, plugin, &profiles)));
        if abilities.manage_configurations {
            let form = new_profile_form(t, &plugin.id);
            blocks.push(Block::Section {
                title: format!("{} ({})", t.new_profile, plugin.name),
                blocks: vec![refill(form, &again).into()],
            });
        }
    }
    page = page.block(Block::Section {
        title: t.enrolment_profiles.to_string(),
        blocks,
    });

    // The Apple certificates (made on first request).
    let certificates = match act.apple_certificates().await {
        Ok(certificates) => certificates,
        Err(e) => return desk.refused_page(MENU, e),
    };
    page = page.block(Block::Section {
        title: t.apple_certificates.to_string(),
        blocks: vec![
            Block::Text(t.apple_certificates_lead.to_string()),
            Block::Facts(vec![
                (
                    t.ca_certificate.to_string(),
                    Cell::Code(certificates.ca_certificate),
                ),
                (
                    t.signing_certificate.to_string(),
                    Cell::Code(certificates.signing_certificate),
                ),
            ]),
            Block::Links(vec![Link::new(
                super::apple::PUSH_CERTIFICATE,
                t.push_certificate_link,
            )]),
        ],
    });

    // Outgoing mail, newest first.
    let rows = mail
        .iter()
        .map(|m| {
            let tone = match m.status.as_str() {
                "sent" => Tone::Good,
                "failed" => Tone::Bad,
                _ => Tone::Warn,
            };
            vec![
                Cell::Text(when(m.created_at)),
                Cell::Text(m.recipient.clone()),
                Cell::Text(m.subject.clone()),
                Cell::Badge(m.status.clone(), tone),
                Cell::Text(m.attempts.to_string()),
                m.last_error.clone().map(Cell::Code).unwrap_or(Cell::Empty),
            ]
        })
        .collect();
    page = page.block(Block::Section {
        title: t.outgoing_mail.to_string(),
        blocks: vec![Block::Table(Table {
            caption: t.outgoing_mail.to_string(),
            columns: vec![
                Column::new(t.created),
                Column::new(t.mail_recipient),
                Column::new(t.mail_subject),
                Column::new(t.mail_status),
                Column::new(t.mail_attempts),
                Column::new(t.delivery_last_error),
            ],
            rows,
            empty: t.no_mail.to_string(),
            pager: None,
        })],
    });
    desk.page_with(status_of(&again), MENU, page)
}

fn profiles_table(t: &Texts, plugin: &PluginSummary, profiles: &[Profile]) -> Table {
    let rows = profiles
        .iter()
        .map(|p| {
            vec![
                Cell::Link(Link::new(
                    format!("/console/enrolment/{}/{}", plugin.id, p.id),
                    p.name.clone(),
                )),
                Cell::Text(p.owner_email.clone()),
                Cell::Text(p.validity_days.to_string()),
                Cell::Text(when(p.token.expires_at)),
            ]
        })
        .collect();
    Table {
        caption: format!("{} {}", t.enrolment_profiles_of, plugin.name),
        columns: vec![
            Column::new(t.profile_name),
            Column::new(t.profile_owner),
            Column::new(t.validity_days),
            Column::new(t.token_expires),
        ],
        rows,
        empty: t.no_profiles.to_string(),
        pager: None,
    }
}

fn new_profile_form(t: &Texts, plugin_id: &str) -> Form {
    Form::post(
        format!("profile-{plugin_id}"),
        format!("/console/enrolment/{plugin_id}"),
        t.create_profile,
    )
    .tone(Tone::Primary)
    .field(Field::new("name", t.profile_name, Input::Text).required())
    .field(Field::new(
        "description",
        t.profile_description,
        Input::TextArea,
    ))
    .field(
        Field::new("owner", t.profile_owner, Input::Email)
            .hint(t.profile_owner_hint)
            .required(),
    )
    .field(
        Field::new("validity_days", t.validity_days, Input::Number)
            .value("30")
            .hint(t.validity_days_hint)
            .required(),
    )
    .field(
        Field::new("attributes", t.profile_attributes, Input::TextArea)
            .hint(t.profile_attributes_hint),
    )
}

/// Replaces the registration key once confirmed.
pub async fn rotate(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    if !fields.checked("confirm") {
        let refused = Refused::Field {
            field: "confirm".into(),
            message: t.confirm_required.into(),
        };
        return refused_at(&services, &desk, "rotate", refused, &fields, None).await;
    }
    match desk.act(&services).rotate_registration_key().await {
        Ok(_) => desk.redirect("/console/enrolment?done=rotated"),
        Err(e) => refused_at(&services, &desk, "rotate", desk.refused(e), &fields, None).await,
    }
}

/// Saves the registration settings.
pub async fn settings(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let hours = match fields.text("pin_validity_hours").parse::<i64>() {
        Ok(hours) => hours,
        Err(_) => {
            let refused = Refused::Field {
                field: "pin_validity_hours".into(),
                message: t.whole_number.into(),
            };
            return refused_at(&services, &desk, "settings", refused, &fields, None).await;
        }
    };
    let changes = UserSettingsUpdate {
        language: Some(Language::from_code(&fields.text("language"))),
        require_registration_pin: Some(fields.checked("require_registration_pin")),
        pin_validity_hours: Some(hours),
    };
    match desk.act(&services).update_user_settings(changes).await {
        Ok(_) => desk.redirect("/console/enrolment?done=settings"),
        Err(e) => refused_at(&services, &desk, "settings", desk.refused(e), &fields, None).await,
    }
}

/// `name=value` lines as attributes, or the message for a line that is not one.
fn attributes(t: &Texts, text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!("{} ({line})", t.attribute_line_invalid));
        };
        out.insert(name.trim().to_string(), value.trim().to_string());
    }
    Ok(out)
}

/// Creates a profile and its token at the plugin's vendor.
pub async fn create(
    State(services): State<Services>,
    Path(plugin_id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let form = format!("profile-{plugin_id}");
    let refuse = |field: &str, message: String| Refused::Field {
        field: field.into(),
        message,
    };
    let refused = 'checked: {
        let Ok(validity_days) = fields.text("validity_days").parse::<i64>() else {
            break 'checked refuse("validity_days", t.whole_number.into());
        };
        let attributes = match attributes(t, &fields.raw("attributes")) {
            Ok(attributes) => attributes,
            Err(message) => break 'checked refuse("attributes", message),
        };
        let owner = match desk
            .act(&services)
            .find_user_by_email(&fields.text("owner"))
            .await
        {
            Ok(Some(owner)) => owner,
            Ok(None) => break 'checked refuse("owner", t.no_such_owner.into()),
            Err(e) => break 'checked desk.refused(e),
        };
        let new = NewProfile {
            name: fields.text("name"),
            description: fields.text("description"),
            owner_user_id: owner.id,
            validity_days,
            attributes,
        };
        match desk
            .act(&services)
            .create_enrolment_profile(&plugin_id, new)
            .await
        {
            Ok(profile) => {
                return desk.redirect(&format!(
                    "/console/enrolment/{plugin_id}/{}?done=created",
                    profile.id
                ))
            }
            Err(e) => match desk.refused_hook(e) {
                Refused::Field { field, message } => {
                    let field = match field.as_str() {
                        "owner_user_id" => "owner".to_string(),
                        f if f.starts_with("attributes") => "attributes".to_string(),
                        _ => field,
                    };
                    refuse(&field, message)
                }
                other => other,
            },
        }
    };
    refused_at(&services, &desk, &form, refused, &fields, None).await
}

pub async fn profile(
    State(services): State<Services>,
    desk: Desk,
    Path((plugin_id, id)): Path<(String, String)>,
) -> Response {
    render_profile(&services, &desk, &plugin_id, &id, None).await
}

async fn render_profile(
    services: &Services,
    desk: &Desk,
    plugin_id: &str,
    id: &str,
    again: Again<'_>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let profile = match act.get_enrolment_profile(plugin_id, id).await {
        Ok(profile) => profile,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let base = format!("/console/enrolment/{plugin_id}/{id}");
    let mut facts = vec![
        (
            t.profile_owner.to_string(),
            profile.owner_email.clone().into(),
        ),
        (
            t.validity_days.to_string(),
            profile.validity_days.to_string().into(),
        ),
        (t.token.to_string(), Cell::Code(profile.token.name.clone())),
        (
            t.token_expires.to_string(),
            when(profile.token.expires_at).into(),
        ),
    ];
    if !profile.description.is_empty() {
        facts.insert(
            0,
            (
                t.profile_description.to_string(),
                profile.description.clone().into(),
            ),
        );
    }
    for (name, value) in &profile.attributes {
        facts.push((
            format!("{} · {name}", t.profile_attributes),
            value.clone().into(),
        ));
    }
    let mut page = Page::new(profile.name.clone())
        .lead(t.enrolment_profiles)
        .notice(desk.done(&[("created", t.profile_created), ("saved", t.profile_saved)]))
        .block(Block::Links(vec![
            Link::new("/console/enrolment", t.back_to_list),
            Link::new(history::of_object("enrolment_profile", id), t.history_link),
        ]))
        .block(Block::Facts(facts));
    if let Some(payload) = &profile.token.qr_payload {
        page = page.blocks(Block::qr_code(
            payload,
            t.token_qr_alt,
            t.token_qr_text,
            payload,
        ));
    }
    if desk.me.admin.abilities().manage_configurations {
        let change = Form::post("validity", base.clone(), t.change_validity).field(
            Field::new("validity_days", t.validity_days, Input::Number)
                .value(profile.validity_days.to_string())
                .hint(t.validity_days_hint)
                .required(),
        );
        let delete = Form::post("delete", format!("{base}/delete"), t.delete_profile)
            .tone(Tone::Bad)
            .field(Field::new(
                "confirm",
                t.confirm_delete_profile,
                Input::Checkbox,
            ));
        page = page
            .block(Block::Section {
                title: t.change_validity.to_string(),
                blocks: vec![refill(change, &again).into()],
            })
            .block(Block::Section {
                title: t.delete_profile.to_string(),
                blocks: vec![refill(delete, &again).into()],
            });
    }
    desk.page_with(status_of(&again), MENU, page)
}

/// Changes a profile's validity (the plugin replaces its token).
pub async fn update(
    State(services): State<Services>,
    Path((plugin_id, id)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let refused = match fields.text("validity_days").parse::<i64>() {
        Err(_) => Refused::Field {
            field: "validity_days".into(),
            message: t.whole_number.into(),
        },
        Ok(days) => {
            let mut changes = serde_json::Map::new();
            changes.insert("validity_days".into(), days.into());
            match desk
                .act(&services)
                .update_enrolment_profile(&plugin_id, &id, changes)
                .await
            {
                Ok(_) => {
                    return desk
                        .redirect(&format!("/console/enrolment/{plugin_id}/{id}?done=saved"))
                }
                Err(e) => desk.refused_hook(e),
            }
        }
    };
    let profile = Some((plugin_id.as_str(), id.as_str()));
    refused_at(&services, &desk, "validity", refused, &fields, profile).await
}

/// Deletes a profile and its token once confirmed.
pub async fn delete(
    State(services): State<Services>,
    Path((plugin_id, id)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let t = desk.texts();
    let refused = if !fields.checked("confirm") {
        Refused::Field {
            field: "confirm".into(),
            message: t.confirm_required.into(),
        }
    } else {
        match desk
            .act(&services)
            .delete_enrolment_profile(&plugin_id, &id)
            .await
        {
            Ok(()) => return desk.redirect("/console/enrolment?done=profile_deleted"),
            Err(e) => desk.refused(e),
        }
    };
    let profile = Some((plugin_id.as_str(), id.as_str()));
    refused_at(&services, &desk, "delete", refused, &fields, profile).await
}
