//! The history page (SPEC A4): the tenant's change history, newest first, filtered by object
//! (type, and id for one object's history), actor and dates, paged on the server. Detail pages
//! link here with the object's type and id. Reads `AsAdmin::search_history`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime};
use corral_console::{Cell, Column, Field, Form, Input, Link, Page, Pager, Table, Texts};
use serde_json::Value;

use super::{pager, when, Desk};
use crate::history::{Entry, Search};
use crate::services::Services;

const PER_PAGE: i64 = 50;
const MENU: &str = "history";

/// The filters as typed (kept in the form and the pager's links).
struct Filters {
    object_type: String,
    object_id: String,
    actor: String,
    from: String,
    to: String,
    page: i64,
}

impl Filters {
    fn of(desk: &Desk) -> Filters {
        let q = |name| desk.visit.query(name).trim().to_string();
        Filters {
            object_type: q("type"),
            object_id: q("id"),
            actor: q("actor"),
            from: q("from"),
            to: q("to"),
            page: q("page").parse::<i64>().unwrap_or(1).max(1),
        }
    }

    fn href(&self, page: i64) -> String {
        super::filtered_href(
            "/console/history",
            &[
                ("type", self.object_type.as_str()),
                ("id", self.object_id.as_str()),
                ("actor", self.actor.as_str()),
                ("from", self.from.as_str()),
                ("to", self.to.as_str()),
            ],
            page,
        )
    }
}

/// Unix milliseconds of the start of a `yyyy-mm-dd` day (UTC), or of the next day's (`to` is
/// inclusive of its day).
fn day_start(text: &str, next_day: bool) -> Option<Result<i64, ()>> {
    if text.is_empty() {
        return None;
    }
    let parsed = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| ());
    Some(parsed.map(|day| {
        let day = if next_day {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        day.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
    }))
}

/// What changed, in a line: the top-level fields whose values differ.
fn summary(entry: &Entry) -> String {
    let short = |v: Option<&Value>| {
        let text = match v {
            None | Some(Value::Null) => "–".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if text.chars().count() > 40 {
            format!("{}…", text.chars().take(40).collect::<String>())
        } else {
            text
        }
    };
    match (&entry.before, &entry.after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| !matches!(k.as_str(), "updated_at" | "created_at"))
                .filter(|k| before.get(*k) != after.get(*k))
                .map(|k| format!("{k}: {} → {}", short(before.get(k)), short(after.get(k))))
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => String::new(),
    }
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    let t = desk.texts();
    let filters = Filters::of(&desk);
    let mut form = Form::get("filter", "/console/history", t.filter)
        .inline()
        .field(Field::new("type", t.object_type, Input::Text).value(filters.object_type.clone()))
        .field(Field::new("id", t.object_id, Input::Text).value(filters.object_id.clone()))
        .field(Field::new("actor", t.actor, Input::Search).value(filters.actor.clone()))
        .field(Field::new("from", t.from_date, Input::Date).value(filters.from.clone()))
        .field(Field::new("to", t.to_date, Input::Date).value(filters.to.clone()));
    let from = day_start(&filters.from, false);
    let until = day_start(&filters.to, true);
    if let Some(Err(())) = from {
        form = form.fail("from", t.date_format.to_string());
    }
    if let Some(Err(())) = until {
        form = form.fail("to", t.date_format.to_string());
    }
    let page = Page::new(t.history_title).lead(t.history_lead);
    if form.has_errors() {
        return desk.page_with(StatusCode::UNPROCESSABLE_ENTITY, MENU, page.block(form));
    }
    let search = Search {
        object_type: Some(filters.object_type.clone()),
        object_id: Some(filters.object_id.clone()),
        actor: Some(filters.actor.clone()),
        from: from.and_then(Result::ok),
        until: until.and_then(Result::ok),
        offset: (filters.page - 1) * PER_PAGE,
        limit: PER_PAGE,
    };
    let found = match desk.act(&services).search_history(&search).await {
        Ok(found) => found,
        Err(e) => {
            return match desk.refused(e) {
                super::Refused::Field { field, message } => {
                    let field = if field == "until" {
                        "to".to_string()
                    } else {
                        field
                    };
                    let form = form.fail(&field, message);
                    desk.page_with(StatusCode::UNPROCESSABLE_ENTITY, MENU, page.block(form))
                }
                super::Refused::Form(message) => {
                    let form = form.error(Some(message));
                    desk.page_with(StatusCode::UNPROCESSABLE_ENTITY, MENU, page.block(form))
                }
                super::Refused::Page(res) => res,
            }
        }
    };
    let pager = pager(
        t,
        search.offset,
        found.entries.len(),
        found.total,
        filters.page,
        |p| filters.href(p),
    );
    let table = entries_table(t, &found.entries, pager);
    desk.page(MENU, page.block(form).block(table))
}

/// The link to the history of one object.
pub fn of_object(object_type: &str, object_id: &str) -> String {
    let object = Filters {
        object_type: object_type.to_string(),
        object_id: object_id.to_string(),
        actor: String::new(),
        from: String::new(),
        to: String::new(),
        page: 1,
    };
    object.href(1)
}

/// A table of history entries (this page's, and an object's own on its page).
pub fn entries_table(t: &Texts, entries: &[Entry], pager: Option<Pager>) -> Table {
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                Cell::Text(when(e.at)),
                Cell::Text(e.actor_label.clone()),
                Cell::Link(Link::new(
                    of_object(&e.object_type, &e.object_id),
                    format!("{} {}", e.object_type, e.object_id),
                )),
                Cell::Code(e.action.clone()),
                Cell::Text(summary(e)),
            ]
        })
        .collect();
    Table {
        caption: t.history_caption.to_string(),
        columns: vec![
            Column::new(t.when),
            Column::new(t.actor),
            Column::new(t.object),
            Column::new(t.action),
            Column::new(t.change),
        ],
        rows,
        empty: t.no_history.to_string(),
        pager,
    }
}
