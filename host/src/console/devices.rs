//! The devices pages (SPEC D7, E6): the tenant's devices filtered by platform, state, owner and
//! source (Apple, the portal, or the plugin managing them: AMAPI, zero-touch, Knox, Exchange),
//! paged on the server; and one device's page with its facts, its history and the actions it
//! allows. Commands (lock, restart, sync, vendor wipe) go through `AsAdmin::send_device_command`
//! to the plugin managing the device; retire, wipe and delete are `devices`' own operations.
//! A discovered device (SPEC G5) shows what its vendor reports, takes a wipe only (*delete
//! resource*) and is linked to its user by hand (*modify resource*).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{history, pager, when, Desk, Posted, Refused};
use crate::admins::ExchangePermission;
use crate::devices::commands::{Command, CommandRequest};
use crate::devices::{Action, Device, DeviceQuery, OwnerRequest, Platform, State as DeviceState};
use crate::history::Search;
use crate::services::Services;

const PER_PAGE: i64 = 50;
const MENU: &str = "devices";

/// The sources the filter offers: Apple, the portal, and the vendor plugins'.
const SOURCES: [&str; 6] = ["apple", "portal", "amapi", "zero-touch", "knox", "exchange"];

/// The filters as typed (kept in the form and the pager's links).
struct Filters {
    platform: String,
    state: String,
    owner: String,
    source: String,
    page: i64,
}

impl Filters {
    fn of(desk: &Desk) -> Filters {
        let q = |name| desk.visit.query(name).trim().to_string();
        Filters {
            platform: q("platform"),
            state: q("state"),
            owner: q("owner"),
            source: q("source"),
            page: q("page").parse::<i64>().unwrap_or(1).max(1),
        }
    }

    fn href(&self, page: i64) -> String {
        super::filtered_href(
            "/console/devices",
            &[
                ("platform", self.platform.as_str()),
                ("state", self.state.as_str()),
                ("owner", self.owner.as_str()),
                ("source", self.source.as_str()),
            ],
            page,
        )
    }
}

fn platform_name(t: &Texts, p: Platform) -> &'static str {
    match p {
        Platform::Ios => "iOS",
        Platform::Macos => "macOS",
        Platform::Android => "Android",
        Platform::Other => t.platform_other,
    }
}

fn state_badge(t: &Texts, s: DeviceState) -> Cell {
    let (text, tone) = match s {
        DeviceState::Active => (t.device_active, Tone::Good),
        DeviceState::Retired => (t.device_retired, Tone::Neutral),
        DeviceState::Wiped => (t.device_wiped, Tone::Warn),
        DeviceState::Reset => (t.device_reset, Tone::Bad),
        DeviceState::Awaiting => (t.device_awaiting, Tone::Neutral),
        DeviceState::Discovered => (t.device_discovered, Tone::Neutral),
    };
    Cell::Badge(text.to_string(), tone)
}

fn source_name(t: &Texts, source: &str) -> String {
    match source {
        "apple" => t.source_apple.to_string(),
        "portal" => t.source_portal.to_string(),
        plugin => plugin.to_string(),
    }
}

/// Options of a select: "any" first, then `(value, label)`.
fn options(t: &Texts, items: impl IntoIterator<Item = (String, String)>) -> Input {
    let mut all = vec![(String::new(), t.any.to_string())];
    all.extend(items);
    Input::Select(all)
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    let t = desk.texts();
    let filters = Filters::of(&desk);
    let platforms = [
        Platform::Ios,
        Platform::Macos,
        Platform::Android,
        Platform::Other,
    ];
    let states = [
        DeviceState::Active,
        DeviceState::Retired,
        DeviceState::Wiped,
        DeviceState::Reset,
        DeviceState::Awaiting,
        DeviceState::Discovered,
    ];
    let form = Form::get("filter", "/console/devices", t.filter)
        .inline()
        .field(
            Field::new(
                "platform",
                t.platform,
                options(
                    t,
                    platforms.map(|p| (p.code().to_string(), platform_name(t, p).to_string())),
                ),
            )
            .value(filters.platform.clone()),
        )
        .field(
            Field::new(
                "state",
                t.state,
                options(
                    t,
                    states.map(|s| {
                        let Cell::Badge(label, _) = state_badge(t, s) else {
                            unreachable!("a state is a badge")
                        };
                        (s.code().to_string(), label)
                    }),
                ),
            )
            .value(filters.state.clone()),
        )
        .field(
            Field::new(
                "source",
                t.source,
                options(t, SOURCES.map(|s| (s.to_string(), source_name(t, s)))),
            )
            .value(filters.source.clone()),
        )
        .field(Field::new("owner", t.owner_search, Input::Search).value(filters.owner.clone()));
    let platform = platforms.into_iter().find(|p| p.code() == filters.platform);
    let state = states.into_iter().find(|s| s.code() == filters.state);
    let query = DeviceQuery {
        owner: Some(filters.owner.clone()),
        platform,
        state,
        source: Some(filters.source.clone()),
        offset: (filters.page - 1) * PER_PAGE,
        limit: Some(PER_PAGE),
        ..DeviceQuery::default()
    };
    let found = match desk.act(&services).device_page(&query).await {
        Ok(found) => found,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let owners = match owner_emails(&services, &desk, found.devices.iter().map(|l| &l.device)).await
    {
        Ok(owners) => owners,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let rows = found
        .devices
        .iter()
        .map(|l| {
            let d = &l.device;
            let name = if d.name.is_empty() {
                d.hardware_id.clone()
            } else {
                d.name.clone()
            };
            vec![
                Cell::Link(Link::new(format!("/console/devices/{}", d.id), name)),
                Cell::Text(format!("{} {}", platform_name(t, d.platform), d.os_version)),
                Cell::Text(d.model.clone()),
                owner_cell(&owners, d),
                Cell::Text(source_name(t, &l.source)),
                state_badge(t, d.state),
                Cell::Text(when(d.registered_at)),
            ]
        })
        .collect();
    let pager = pager(
        t,
        query.offset,
        found.devices.len(),
        found.total,
        filters.page,
        |p| filters.href(p),
    );
    let table = Table {
        caption: t.devices_caption.to_string(),
        columns: vec![
            Column::new(t.device_name),
            Column::new(t.platform),
            Column::new(t.model),
            Column::new(t.owner),
            Column::new(t.source),
            Column::new(t.state),
            Column::new(t.registered),
        ],
        rows,
        empty: t.no_devices.to_string(),
        pager,
    };
    let page = Page::new(t.devices_title)
        .lead(t.devices_lead)
        .notice(desk.done(&[("deleted", t.device_deleted)]))
        .block(form)
        .block(table);
    desk.page(MENU, page)
}

/// The owners' e-mails of `devices`, by user id.
async fn owner_emails(
    services: &Services,
    desk: &Desk,
    devices: impl Iterator<Item = &Device>,
) -> Result<std::collections::HashMap<String, String>, crate::error::Error> {
    let ids: Vec<String> = devices.filter_map(|d| d.user_id.clone()).collect();
    let users = desk.act(services).users_by_ids(&ids).await?;
    Ok(users.into_iter().map(|u| (u.id, u.email)).collect())
}

fn owner_cell(owners: &std::collections::HashMap<String, String>, d: &Device) -> Cell {
    match d.user_id.as_ref().and_then(|id| owners.get(id)) {
        Some(email) => Cell::Link(Link::new(
            format!(
                "/console/devices?owner={}",
                form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>()
            ),
            email.clone(),
        )),
        None => Cell::Text("–".into()),
    }
}

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    render(&services, &desk, &id, None).await
}

pub(super) async fn render(
    services: &Services,
    desk: &Desk,
    id: &str,
    error: Option<(String, String)>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(services);
    let details = match act.get_device(id).await {
        Ok(details) => details,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let d = &details.device;
    let channel = match act.apple_channel(id).await {
        Ok(channel) => channel,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let owners = match owner_emails(services, desk, std::iter::once(d)).await {
        Ok(owners) => owners,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mut facts = vec![
        (t.state.to_string(), state_badge(t, d.state)),
        (
            t.platform.to_string(),
            format!("{} {}", platform_name(t, d.platform), d.os_version).into(),
        ),
        (t.model.to_string(), d.model.clone().into()),
        (t.hardware_id.to_string(), Cell::Code(d.hardware_id.clone())),
        (t.owner.to_string(), owner_cell(&owners, d)),
        (
            t.under_management.to_string(),
            if d.mdm_enabled { t.yes } else { t.no }.into(),
        ),
        (t.registered.to_string(), when(d.registered_at).into()),
        (
            t.registrations.to_string(),
            d.registrations.to_string().into(),
        ),
    ];
    if d.archived {
        facts.push((
            t.archived.to_string(),
            Cell::Badge(t.archived_entry.to_string(), Tone::Warn),
        ));
    }
    if let Some(m) = &details.management {
        let mut managed = m.plugin.clone();
        if !m.enabled {
            managed.push_str(&format!(" ({})", t.plugin_off));
        }
        facts.push((t.managed_by.to_string(), managed.into()));
        facts.push((t.vendor_name.to_string(), Cell::Code(m.vendor_name.clone())));
        if let Some(at) = m.compliant_at {
            facts.push((t.compliant_since.to_string(), when(at).into()));
        }
        if let Some(reset) = &m.reset {
            facts.push((t.reset_reason.to_string(), reset.message.clone().into()));
        }
    }
    let name = if d.name.is_empty() {
        d.hardware_id.clone()
    } else {
        d.name.clone()
    };
    let mut page = Page::new(name)
        .notice(desk.done(&[
            ("sent", t.command_sent),
            ("retired", t.device_retired_done),
            ("wiped", t.device_wiped_done),
            ("owner", t.owner_set_done),
            ("queued", t.command_queued),
        ]))
        .block(Block::Links(vec![Link::new(
            "/console/devices",
            t.back_to_list,
        )]))
        .block(Block::Facts(facts));
    if let Some(found) = &details.discovery {
        let reported = found
            .details
            .iter()
            .map(|f| (f.name.clone(), Cell::Text(f.value.clone())))
            .collect();
        page = page.block(Block::Section {
            title: t.reported_by_vendor.to_string(),
            blocks: vec![Block::Facts(reported)],
        });
    }

    let abilities = desk.me.admin.abilities();
    let live = !d.archived;
    let discovered = d.state == DeviceState::Discovered;
    let may_wipe = if discovered {
        abilities
            .exchange
            .contains(&ExchangePermission::DeleteResource)
    } else {
        abilities.delete_devices
    };
    let base = format!("/console/devices/{}/act", d.id);
    let mut buttons = Vec::new();
    if live
        && d.state == DeviceState::Active
        && details.management.is_some()
        && abilities.manage_configurations
    {
        for (command, label) in [
            ("lock", t.act_lock),
            ("reboot", t.act_reboot),
            ("sync", t.act_sync),
        ] {
            buttons.push(
                Form::post(format!("act-{command}"), base.clone(), label)
                    .inline()
                    .hidden("action", command),
            );
        }
    }
    if live && d.state == DeviceState::Active && abilities.delete_devices {
        buttons.push(
            Form::post("act-retire", base.clone(), t.act_retire)
                .inline()
                .hidden("action", "retire"),
        );
    }
    if !buttons.is_empty() {
        page = page.block(Block::Section {
            title: t.device_actions.to_string(),
            blocks: vec![Block::Actions(buttons)],
        });
    }
    let (field, message) = error.unwrap_or_default();
    let fail = |form: Form, id: &str| {
        if !message.is_empty() && field.starts_with(id) {
            form.fail(field.trim_start_matches(id), message.clone())
        } else {
            form
        }
    };
    if let Some(channel) = &channel {
        let refused = field
            .strip_prefix("command:")
            .map(|at| (at, message.as_str()));
        match super::apple::section(services, desk, d, channel, refused).await {
            Ok(section) => page = page.block(section),
            Err(res) => return res,
        }
    }
    if live && may_wipe {
        let mut wipe = Form::post("wipe", base.clone(), t.act_wipe)
            .tone(Tone::Bad)
            .hidden("action", "wipe")
            .field(Field::new("confirm", t.confirm_wipe, Input::Checkbox).hint(
                match (discovered, details.management.is_some(), &channel) {
                    (true, _, _) => t.wipe_discovered,
                    (false, true, _) => t.wipe_at_vendor,
                    (false, false, Some(_)) => t.wipe_apple,
                    (false, false, None) => t.wipe_state_only,
                },
            ));
        if details.management.is_some() && !discovered {
            wipe = wipe
                .field(Field::new("reason", t.wipe_reason, Input::Text))
                .field(Field::new(
                    "preserve_reset_protection",
                    t.preserve_reset_protection,
                    Input::Checkbox,
                ));
        }
        page = page.block(Block::Section {
            title: t.act_wipe.to_string(),
            blocks: vec![fail(wipe, "wipe:").into()],
        });
    }
    if abilities.delete_devices {
        let delete = Form::post("delete", base.clone(), t.act_delete)
            .tone(Tone::Bad)
            .hidden("action", "delete")
            .field(Field::new("confirm", t.confirm_delete, Input::Checkbox));
        page = page.block(Block::Section {
            title: t.act_delete.to_string(),
            blocks: vec![fail(delete, "delete:").into()],
        });
    }
    if live
        && discovered
        && abilities
            .exchange
            .contains(&ExchangePermission::ModifyResource)
    {
        let current = d
            .user_id
            .as_ref()
            .and_then(|u| owners.get(u))
            .cloned()
            .unwrap_or_default();
        let owner = Form::post(
            "owner",
            format!("/console/devices/{}/owner", d.id),
            t.owner_link_save,
        )
        .field(
            Field::new("email", t.owner_email, Input::Text)
                .value(current)
                .hint(t.owner_email_hint),
        );
        page = page.block(Block::Section {
            title: t.owner_link_title.to_string(),
            blocks: vec![fail(owner, "owner:").into()],
        });
    }
    let at_a_form = ["wipe:", "delete:", "owner:", "command:"]
        .iter()
        .any(|f| field.starts_with(f));
    if !message.is_empty() && !at_a_form {
        page = page.notice(Some(corral_console::Notice::Failed(message.clone())));
    }

    if let Some(section) = super::provisioning::section(services, desk, &d.id).await {
        page = page.block(section);
    }
    let search = Search {
        object_type: Some("device".into()),
        object_id: Some(d.id.clone()),
        actor: None,
        from: None,
        until: None,
        offset: 0,
        limit: 20,
    };
    let found = match act.search_history(&search).await {
        Ok(found) => found,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let all = history::of_object("device", &d.id);
    page = page.block(Block::Section {
        title: t.device_history.to_string(),
        blocks: vec![
            history::entries_table(t, &found.entries, None).into(),
            Block::Links(vec![Link::new(all, t.history_link)]),
        ],
    });
    let status = if message.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    desk.page_with(status, MENU, page)
}

pub async fn act(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let action = fields.text("action");
    let confirmed = fields.checked("confirm");
    let again = |field: &str, message: String| (field.to_string(), message);
    let act = desk.act(&services);
    let command = |command| CommandRequest {
        command,
        reason: Some(fields.text("reason")).filter(|r| !r.is_empty()),
        preserve_reset_protection: fields.checked("preserve_reset_protection"),
    };
    let outcome = match action.as_str() {
        "lock" | "reboot" | "sync" => {
            let c = match action.as_str() {
                "lock" => Command::Lock,
                "reboot" => Command::Reboot,
                _ => Command::Sync,
            };
            act.send_device_command(&id, &command(c))
                .await
                .map(|_| "sent")
                .map_err(|e| desk.refused_hook(e))
        }
        "wipe" | "delete" if !confirmed => {
            let t = desk.texts();
            let error = again(&format!("{action}:confirm"), t.confirm_required.to_string());
            return render(&services, &desk, &id, Some(error)).await;
        }
        "wipe" => {
            let managed = match act.get_device(&id).await {
                Ok(details) => details.management.is_some(),
                Err(e) => return desk.refused_page(MENU, e),
            };
            if managed {
                act.send_device_command(&id, &command(Command::Wipe))
                    .await
                    .map(|_| "sent")
                    .map_err(|e| desk.refused_hook(e))
            } else {
                act.act_on_device(&id, Action::Wipe)
                    .await
                    .map(|_| "wiped")
                    .map_err(|e| desk.refused(e))
            }
        }
        "retire" => act
            .act_on_device(&id, Action::Retire)
            .await
            .map(|_| "retired")
            .map_err(|e| desk.refused(e)),
        "delete" => match act.delete_device(&id).await {
            Ok(()) => return desk.redirect("/console/devices?done=deleted"),
            Err(e) => Err(desk.refused(e)),
        },
        _ => Err(Refused::Form(desk.texts().unknown_action.to_string())),
    };
    match outcome {
        Ok(done) => desk.redirect(&format!("/console/devices/{id}?done={done}")),
        Err(Refused::Page(res)) => res,
        Err(Refused::Field { field, message }) => {
            let prefix = if action == "wipe" { "wipe:" } else { "" };
            render(
                &services,
                &desk,
                &id,
                Some((format!("{prefix}{field}"), message)),
            )
            .await
        }
        Err(Refused::Form(message)) => {
            render(&services, &desk, &id, Some((String::new(), message))).await
        }
    }
}

/// Links a discovered device to the user with the e-mail address given (none when empty).
pub async fn owner(
    State(services): State<Services>,
    Path(id): Path<String>,
    post: Posted,
) -> Response {
    let Posted { desk, fields } = post;
    let act = desk.act(&services);
    let email = fields.text("email");
    let user_id = if email.trim().is_empty() {
        None
    } else {
        match act.find_user_by_email(email.trim()).await {
            Ok(Some(user)) => Some(user.id),
            Ok(None) => {
                let message = desk.texts().no_user_with_email.to_string();
                return render(&services, &desk, &id, Some(("owner:email".into(), message))).await;
            }
            Err(e) => return desk.refused_page(MENU, e),
        }
    };
    match act.set_device_owner(&id, &OwnerRequest { user_id }).await {
        Ok(_) => desk.redirect(&format!("/console/devices/{id}?done=owner")),
        Err(e) => match desk.refused(e) {
            Refused::Page(res) => res,
            Refused::Field { message, .. } => {
                render(&services, &desk, &id, Some(("owner:email".into(), message))).await
            }
            Refused::Form(message) => {
                render(&services, &desk, &id, Some((String::new(), message))).await
            }
        },
    }
}
