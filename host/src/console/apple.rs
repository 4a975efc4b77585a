//! The Apple pages of the console (issue 25, SPEC D4): on an enrolled Apple device's page, its
//! MDM command channel (topic, last contact, last push), its commands with their status, and
//! the forms to send one and to cancel one not yet answered; a command's own page with the
//! device's answer and error chain; and the tenant's APNs push certificate with its expiry and
//! its upload (a topic change refused unless confirmed). Everything goes through the services
//! the admin API uses (`AsAdmin::enqueue_apple_commands`, `cancel_apple_command`,
//! `upload_push_certificate`), so the console and the API share every rule.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{devices, when, Desk, Posted, Refused};
use crate::apple::commands::Status;
use crate::apple::commands::{self, Channel, CommandQuery, EnqueueRequest, QueuedCommand, Request};
use crate::apple::push_certificate::{PushCertificate, PushCertificateUpload};
use crate::devices::{Device, Platform};
use crate::error::Error;
use crate::services::Services;

const DEVICES: &str = "devices";
const ENROLMENT: &str = "enrolment";
/// The page of the push certificate.
pub const PUSH_CERTIFICATE: &str = "/console/apple/push-certificate";
/// The commands a device's page lists (newest first).
const SHOWN: i64 = 50;

fn status_badge(t: &Texts, s: Status) -> Cell {
    let (text, tone) = match s {
        Status::Pending => (t.command_pending, Tone::Neutral),
        Status::NotNow => (t.command_not_now, Tone::Warn),
        Status::Acknowledged => (t.command_acknowledged, Tone::Good),
        Status::Error => (t.command_error, Tone::Bad),
        Status::CommandFormatError => (t.command_format_error, Tone::Bad),
        Status::Cancelled => (t.command_cancelled_status, Tone::Neutral),
    };
    Cell::Badge(text.to_string(), tone)
}

/// The commands the console sends (an erase is the device's wipe; a profile's installation
/// goes through the API, with the profile's bytes).
/// The commands the console's form offers, in its order (their arguments come from the form).
const OFFERED: [Request; 7] = [
    Request::DeviceInformation,
    Request::SecurityInfo,
    Request::InstalledApplicationList,
    Request::ProfileList,
    Request::DeviceLock {
        pin: None,
        message: None,
        phone_number: None,
    },
    Request::RestartDevice,
    Request::RemoveProfile {
        identifier: String::new(),
    },
];

/// The form's options: each offered command's request type and its name in the page's language.
fn kinds(t: &Texts) -> Vec<(String, String)> {
    OFFERED
        .iter()
        .map(|request| {
            let label = match request {
                Request::DeviceInformation => t.cmd_device_information,
                Request::SecurityInfo => t.cmd_security_info,
                Request::InstalledApplicationList => t.cmd_installed_applications,
                Request::ProfileList => t.cmd_profile_list,
                Request::DeviceLock { .. } => t.cmd_device_lock,
                Request::RestartDevice => t.cmd_restart_device,
                Request::RemoveProfile { .. } => t.cmd_remove_profile,
                other => other.request_type(),
            };
            (request.request_type().to_string(), label.to_string())
        })
        .collect()
}

fn optional(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

/// The command the enqueue form asks for. A Mac's lock gets a new PIN (shown with the command).
fn request_of(fields: &super::Fields, platform: Platform) -> Result<Request, Error> {
    let asked = fields.text("request_type");
    let offered = OFFERED
        .into_iter()
        .find(|request| request.request_type() == asked)
        .ok_or_else(|| Error::invalid("request_type", "one of the commands offered"))?;
    Ok(match offered {
        Request::DeviceLock { .. } => Request::DeviceLock {
            pin: (platform == Platform::Macos).then(commands::new_pin),
            message: optional(fields.text("message")),
            phone_number: optional(fields.text("phone_number")),
        },
        Request::RemoveProfile { .. } => Request::RemoveProfile {
            identifier: fields.text("identifier"),
        },
        other => other,
    })
}

fn priority_of(fields: &super::Fields) -> Result<i64, Error> {
    match fields.text("priority").as_str() {
        "" => Ok(0),
        typed => typed
            .parse()
            .map_err(|_| Error::invalid("priority", "a whole number from -100 to 100")),
    }
}

/// The MDM section of an enrolled Apple device's page: its channel, its commands (each
/// cancellable while not answered) and the form that sends one (`error`: a refusal of that
/// form, by field).
pub async fn section(
    services: &Services,
    desk: &Desk,
    device: &Device,
    channel: &Channel,
    error: Option<(&str, &str)>,
) -> Result<Block, Response> {
    let t = desk.texts();
    let query = CommandQuery {
        device_id: Some(device.id.clone()),
        status: None,
        limit: Some(SHOWN),
    };
    let queued = match desk.act(services).apple_commands(&query).await {
        Ok(queued) => queued,
        Err(e) => return Err(desk.refused_page(DEVICES, e)),
    };
    let may_send = desk.me.admin.abilities().manage_configurations;
    let never = || Cell::Text(t.never.to_string());
    let mut facts = vec![
        (t.push_topic.to_string(), Cell::Code(channel.topic.clone())),
        (
            t.last_contact.to_string(),
            channel
                .checked_in_at
                .map(|at| when(at).into())
                .unwrap_or_else(never),
        ),
        (
            t.last_push.to_string(),
            channel
                .pushed_at
                .map(|at| when(at).into())
                .unwrap_or_else(never),
        ),
    ];
    if let Some(refused) = &channel.push_error {
        facts.push((
            t.push_refused.to_string(),
            Cell::Badge(refused.clone(), Tone::Bad),
        ));
    }
    let base = format!("/console/devices/{}/commands", device.id);
    let rows = queued
        .iter()
        .map(|c| {
            let cancel = if may_send && c.status.open() {
                let form = Form::post(
                    format!("cancel-{}", c.id),
                    format!("{base}/{}/cancel", c.id),
                    t.cancel,
                )
                .inline();
                Cell::Action(Box::new(form))
            } else {
                Cell::Empty
            };
            vec![
                Cell::Link(Link::new(
                    format!("{base}/{}", c.id),
                    c.request_type.clone(),
                )),
                status_badge(t, c.status),
                Cell::Text(c.requested_by.clone()),
                Cell::Text(when(c.created_at)),
                Cell::Text(c.sends.to_string()),
                c.answered_at
                    .map(|at| when(at).into())
                    .unwrap_or(Cell::Empty),
                c.pin.clone().map(Cell::Code).unwrap_or(Cell::Empty),
                cancel,
            ]
        })
        .collect();
    let table = Table {
        caption: t.apple_commands.to_string(),
        columns: vec![
            Column::new(t.command),
            Column::new(t.state),
            Column::new(t.requested_by),
            Column::new(t.created),
            Column::new(t.command_sends),
            Column::new(t.answered),
            Column::new(t.command_pin),
            Column::new(t.cancel),
        ],
        rows,
        empty: t.no_commands.to_string(),
        pager: None,
    };
    let mut blocks = vec![
        Block::Text(t.apple_commands_lead.to_string()),
        Block::Facts(facts),
        Block::Table(table),
    ];
    if may_send {
        let kinds = self::kinds(t);
        let mut form = Form::post("command", base, t.send_command)
            .field(
                Field::new("request_type", t.command, Input::Select(kinds)).hint(
                    if channel.platform == Platform::Macos {
                        t.command_mac_hint
                    } else {
                        t.command_hint
                    },
                ),
            )
            .field(Field::new("message", t.lock_message, Input::Text))
            .field(Field::new("phone_number", t.lock_phone, Input::Text))
            .field(Field::new("identifier", t.profile_identifier, Input::Text))
            .field(
                Field::new("priority", t.command_priority, Input::Number)
                    .value("0")
                    .hint(t.command_priority_hint),
            );
        if let Some((field, message)) = error {
            form = form.fail(field, message.to_string());
        }
        blocks.push(Block::Section {
            title: t.send_command.to_string(),
            blocks: vec![form.into()],
        });
    }
    Ok(Block::Section {
        title: t.apple_commands.to_string(),
        blocks,
    })
}

/// Sends a command to the device (its page again with the refusal at the field).
pub async fn enqueue(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let act = desk.act(&services);
    let channel = match act.apple_channel(&id).await {
        Ok(Some(channel)) => channel,
        Ok(None) => return desk.refused_page(DEVICES, Error::NotFound("enrolled Apple device")),
        Err(e) => return desk.refused_page(DEVICES, e),
    };
    let request = request_of(&fields, channel.platform).and_then(|command| {
        Ok(EnqueueRequest {
            device_ids: vec![id.clone()],
            command,
            priority: priority_of(&fields)?,
        })
    });
    let outcome = match request {
        Ok(request) => act.enqueue_apple_commands(&request).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => desk.redirect(&format!("/console/devices/{id}?done=queued")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { field, message } => {
                let error = (format!("command:{field}"), message);
                devices::render(&services, &desk, &id, Some(error)).await
            }
            Refused::Form(message) => {
                let error = ("command:".to_string(), message);
                devices::render(&services, &desk, &id, Some(error)).await
            }
        },
    }
}

/// The command `command` of the device `id` (404 when it is another device's).
async fn command_of(
    services: &Services,
    desk: &Desk,
    id: &str,
    command: &str,
) -> Result<QueuedCommand, Response> {
    match desk.act(services).apple_command(command).await {
        Ok(c) if c.device_id == id => Ok(c),
        Ok(_) => Err(desk.refused_page(DEVICES, Error::NotFound("command"))),
        Err(e) => Err(desk.refused_page(DEVICES, e)),
    }
}

/// One command: what it asked, where it stands, the device's answer and error chain.
pub async fn command(
    State(services): State<Services>,
    desk: Desk,
    Path((id, command)): Path<(String, String)>,
) -> Response {
    let t = desk.texts();
    let c = match command_of(&services, &desk, &id, &command).await {
        Ok(c) => c,
        Err(res) => return res,
    };
    let mut facts = vec![
        ("CommandUUID".to_string(), Cell::Code(c.id.clone())),
        (t.state.to_string(), status_badge(t, c.status)),
        (t.priority.to_string(), c.priority.to_string().into()),
        (t.requested_by.to_string(), c.requested_by.clone().into()),
        (t.created.to_string(), when(c.created_at).into()),
        (t.command_sends.to_string(), c.sends.to_string().into()),
    ];
    if let Some(at) = c.sent_at {
        facts.push((t.last_sent.to_string(), when(at).into()));
    }
    if let Some(at) = c.answered_at {
        facts.push((t.answered.to_string(), when(at).into()));
    }
    if let Some(pin) = &c.pin {
        facts.push((t.command_pin.to_string(), Cell::Code(pin.clone())));
    }
    let mut page = Page::new(c.request_type.clone())
        .notice(desk.done(&[("cancelled", t.command_cancelled)]))
        .block(Block::Links(vec![Link::new(
            format!("/console/devices/{id}"),
            t.back_to_device,
        )]))
        .block(Block::Facts(facts));
    if let Some(chain) = &c.error_chain {
        let pretty = serde_json::to_string_pretty(chain).unwrap_or_default();
        page = page.block(Block::Section {
            title: t.error_chain.to_string(),
            blocks: vec![Block::Facts(vec![(
                t.error_chain.to_string(),
                Cell::Code(pretty),
            )])],
        });
    }
    if let Some(result) = &c.result {
        page = page.block(Block::Section {
            title: t.device_answer.to_string(),
            blocks: vec![Block::Facts(vec![(
                t.device_answer.to_string(),
                Cell::Code(result.clone()),
            )])],
        });
    }
    if c.status.open() && desk.me.admin.abilities().manage_configurations {
        let cancel = Form::post(
            "cancel",
            format!("/console/devices/{id}/commands/{}/cancel", c.id),
            t.cancel_command,
        )
        .tone(Tone::Bad);
        page = page.block(Block::Actions(vec![cancel]));
    }
    desk.page(DEVICES, page)
}

/// Cancels a command the device has not answered.
pub async fn cancel(
    State(services): State<Services>,
    Path((id, command)): Path<(String, String)>,
    post: Posted,
) -> Response {
    let Posted { desk, .. } = post;
    if let Err(res) = command_of(&services, &desk, &id, &command).await {
        return res;
    }
    match desk.act(&services).cancel_apple_command(&command).await {
        Ok(_) => desk.redirect(&format!(
            "/console/devices/{id}/commands/{command}?done=cancelled"
        )),
        Err(e) => desk.refused_page(DEVICES, e),
    }
}

fn certificate_facts(t: &Texts, c: &PushCertificate) -> Vec<(String, Cell)> {
    let expiry = if c.expired {
        Cell::Badge(t.push_expired.to_string(), Tone::Bad)
    } else if c.expires_soon {
        Cell::Badge(t.push_expires_soon(c.days_left), Tone::Warn)
    } else {
        Cell::Badge(t.push_valid(c.days_left), Tone::Good)
    };
    let mut facts = vec![
        (t.push_topic.to_string(), Cell::Code(c.topic.clone())),
        (t.expiry.to_string(), expiry),
        (t.valid_from.to_string(), when(c.not_before).into()),
        (t.valid_until.to_string(), when(c.not_after).into()),
        (t.serial_number.to_string(), Cell::Code(c.serial.clone())),
        (t.uploaded_by.to_string(), c.uploaded_by.clone().into()),
        (t.uploaded_at.to_string(), when(c.uploaded_at).into()),
    ];
    if let Some(at) = c.expiry_warned_at {
        facts.push((t.owners_warned.to_string(), when(at).into()));
    }
    let other = Cell::Text(c.devices_on_other_topics.to_string());
    let other = if c.devices_on_other_topics > 0 {
        Cell::Badge(c.devices_on_other_topics.to_string(), Tone::Warn)
    } else {
        other
    };
    facts.push((t.devices_on_other_topics.to_string(), other));
    facts
}

/// The push certificate page (`error`: a refused upload, by field; empty field: the form's).
async fn render_certificate(
    services: &Services,
    desk: &Desk,
    error: Option<(String, String)>,
) -> Response {
    let t = desk.texts();
    let current = match desk.act(services).push_certificate().await {
        Ok(c) => Some(c),
        Err(Error::NotFound(_)) => None,
        Err(e) => return desk.refused_page(ENROLMENT, e),
    };
    let mut page = Page::new(t.push_certificate_title)
        .lead(t.push_certificate_lead)
        .notice(desk.done(&[("installed", t.push_certificate_installed)]))
        .block(Block::Links(vec![Link::new(
            "/console/enrolment",
            t.back_to_enrolment,
        )]));
    page = match &current {
        Some(c) => {
            if c.expired || c.expires_soon {
                page = page.block(Block::Warning {
                    title: t.push_renew_title.to_string(),
                    items: vec![t.push_renew.to_string()],
                });
            }
            page.block(Block::Facts(certificate_facts(t, c)))
        }
        None => page.block(Block::Text(t.no_push_certificate.to_string())),
    };
    if desk.me.admin.abilities().manage_configurations {
        let mut form = Form::post("push-certificate", PUSH_CERTIFICATE, t.upload)
            .field(Field::new("certificate", t.push_certificate_pem, Input::TextArea).required())
            .field(Field::new("private_key", t.push_key_pem, Input::TextArea).required())
            .field(Field::new(
                "confirm_topic_change",
                t.confirm_topic_change,
                Input::Checkbox,
            ));
        if let Some((field, message)) = &error {
            form = form.fail(field, message.clone());
        }
        page = page.block(Block::Section {
            title: t.upload_push_certificate.to_string(),
            blocks: vec![form.into()],
        });
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    desk.page_with(status, ENROLMENT, page)
}

pub async fn push_certificate(State(services): State<Services>, desk: Desk) -> Response {
    render_certificate(&services, &desk, None).await
}

/// Installs the push certificate pasted in the form (the key is never shown again).
pub async fn upload_push_certificate(State(services): State<Services>, post: Posted) -> Response {
    let Posted { desk, fields } = post;
    let upload = PushCertificateUpload {
        certificate: fields.text("certificate"),
        private_key: fields.text("private_key"),
        confirm_topic_change: fields.checked("confirm_topic_change"),
    };
    match desk.act(&services).upload_push_certificate(&upload).await {
        Ok(_) => desk.redirect(&format!("{PUSH_CERTIFICATE}?done=installed")),
        Err(e) => {
            let error = match desk.refused(e) {
                Refused::Page(res) => return res,
                Refused::Field { field, message } => (field, message),
                Refused::Form(message) => (String::new(), message),
            };
            render_certificate(&services, &desk, Some(error)).await
        }
    }
}
