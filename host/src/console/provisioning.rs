//! The provisioning page (SPEC F7): who provisions each device registered at zero-touch, Knox
//! Mobile Enrollment or both at its next factory reset, and why, filtered by the service, a
//! reason or a serial number / IMEI, paged on the server; each decision links to the device
//! and offers the deciding plugin's remedies (for Knox, "let zero-touch provision this
//! device"), which open the plugin's action page with its confirmation. The decisions come
//! from `AsAdmin::provisioning_decisions`, as the admin API's.

use axum::extract::State;
use axum::response::Response;
use corral_console::{Block, Cell, Column, Field, Form, Input, Link, Page, Table, Texts, Tone};

use super::{pager, Desk, Refused};
use crate::provisioning::{DecisionFilter, ProvisioningDecision};
use crate::services::Services;

const PER_PAGE: u32 = 50;
const MENU: &str = "provisioning";

/// The services a decision names, with their labels.
fn services(t: &Texts) -> [(&'static str, &'static str); 4] {
    [
        ("knox-mobile-enrollment", t.provisioning_kme),
        ("zero-touch", t.provisioning_zero_touch),
        ("none", t.provisioning_none),
        ("undecided", t.provisioning_undecided),
    ]
}

fn badge(t: &Texts, by: Option<&str>) -> Cell {
    let code = by.unwrap_or("undecided");
    let label = services(t)
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| code.to_string());
    let tone = match code {
        "none" => Tone::Warn,
        "undecided" => Tone::Neutral,
        _ => Tone::Good,
    };
    Cell::Badge(label, tone)
}

fn encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The remedies of a decision, as links to the plugin's action pages.
fn remedies(d: &ProvisioningDecision) -> Cell {
    match d.remedies.first() {
        None => Cell::Text("–".into()),
        Some(r) => Cell::Link(Link::new(
            format!(
                "/console/plugins/{}/collections/{}/actions/{}?item={}",
                encoded(&r.plugin_id),
                encoded(&r.collection),
                encoded(&r.action),
                encoded(&r.item)
            ),
            r.title.clone(),
        )),
    }
}

pub async fn list(State(services_): State<Services>, desk: Desk) -> Response {
    let t = desk.texts();
    let q = |name| desk.visit.query(name).trim().to_string();
    let (by, reason, search) = (q("provisioned_by"), q("reason"), q("search"));
    let page_number = q("page").parse::<u32>().unwrap_or(1).max(1);
    let mut choices = vec![(String::new(), t.any.to_string())];
    choices.extend(services(t).map(|(c, l)| (c.to_string(), l.to_string())));
    let form = Form::get("filter", "/console/provisioning", t.filter)
        .inline()
        .field(
            Field::new("provisioned_by", t.provisioning_by, Input::Select(choices))
                .value(by.clone()),
        )
        .field(Field::new("reason", t.provisioning_reason_code, Input::Text).value(reason.clone()))
        .field(Field::new("search", t.provisioning_search, Input::Search).value(search.clone()));
    let filter = DecisionFilter {
        provisioned_by: Some(by.clone()).filter(|s| !s.is_empty()),
        reason: Some(reason.clone()).filter(|s| !s.is_empty()),
        search: Some(search.clone()).filter(|s| !s.is_empty()),
        limit: Some(PER_PAGE),
        offset: Some((page_number - 1).saturating_mul(PER_PAGE)),
    };
    let found = match desk.act(&services_).provisioning_decisions(&filter).await {
        Ok(found) => found,
        Err(e) => {
            return match desk.refused_hook(e) {
                Refused::Page(response) => response,
                Refused::Field { message, .. } | Refused::Form(message) => desk.page_with(
                    axum::http::StatusCode::BAD_REQUEST,
                    MENU,
                    Page::new(t.provisioning_title)
                        .block(form)
                        .block(Block::Text(message)),
                ),
            };
        }
    };
    let rows = found
        .decisions
        .iter()
        .map(|d| {
            let name = d
                .serial_number
                .clone()
                .or_else(|| d.imeis.first().cloned())
                .unwrap_or_else(|| d.device_ids[0].clone());
            vec![
                Cell::Link(Link::new(
                    format!("/console/devices/{}", d.device_ids[0]),
                    name,
                )),
                Cell::Text(d.imeis.join(", ")),
                badge(t, d.provisioned_by.as_deref()),
                Cell::Text(
                    d.configuration
                        .as_ref()
                        .map(|c| c.title.clone())
                        .unwrap_or_else(|| "–".into()),
                ),
                Cell::Text(
                    d.reasons
                        .first()
                        .map(|r| format!("{} ({})", r.message, r.code))
                        .unwrap_or_else(|| "–".into()),
                ),
                remedies(d),
            ]
        })
        .collect();
    let href = |p: i64| {
        super::filtered_href(
            "/console/provisioning",
            &[
                ("provisioned_by", by.as_str()),
                ("reason", reason.as_str()),
                ("search", search.as_str()),
            ],
            p,
        )
    };
    let pager = pager(
        t,
        i64::from(filter.offset.unwrap_or(0)),
        found.decisions.len(),
        i64::from(found.total),
        i64::from(page_number),
        href,
    );
    let table = Table {
        caption: t.provisioning_caption.to_string(),
        columns: vec![
            Column::new(t.provisioning_device),
            Column::new(t.provisioning_imeis),
            Column::new(t.provisioning_by),
            Column::new(t.provisioning_configuration),
            Column::new(t.provisioning_reason),
            Column::new(t.provisioning_remedy),
        ],
        rows,
        empty: t.provisioning_empty.to_string(),
        pager,
    };
    let page = Page::new(t.provisioning_title)
        .lead(t.provisioning_lead)
        .block(form)
        .block(table);
    desk.page(MENU, page)
}

/// The section of a device's page saying who provisions it, if a plugin decides about it.
pub async fn section(services: &Services, desk: &Desk, device_id: &str) -> Option<Block> {
    let t = desk.texts();
    let d = desk
        .act(services)
        .device_provisioning(device_id)
        .await
        .ok()?;
    let mut facts = vec![
        (
            t.provisioning_by.to_string(),
            badge(t, d.provisioned_by.as_deref()),
        ),
        (
            t.provisioning_configuration.to_string(),
            Cell::Text(
                d.configuration
                    .as_ref()
                    .map(|c| c.title.clone())
                    .unwrap_or_else(|| "–".into()),
            ),
        ),
    ];
    for r in &d.reasons {
        facts.push((
            t.provisioning_reason.to_string(),
            Cell::Text(format!("{} ({})", r.message, r.code)),
        ));
    }
    if !d.remedies.is_empty() {
        facts.push((t.provisioning_remedy.to_string(), remedies(&d)));
    }
    Some(Block::Section {
        title: t.menu_provisioning.to_string(),
        blocks: vec![Block::Facts(facts)],
    })
}
