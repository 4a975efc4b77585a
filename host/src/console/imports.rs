//! The imports pages (issue 22, SPEC F3): the tenant's import jobs with the administrator's
//! notifications; one job's page with its progress (bars for the rows read and the rows sent,
//! the counts, reloaded every few seconds while the job runs: no JavaScript); its failed rows
//! (line, fields, reason), paged, and the same as a CSV file to download.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use corral_console::{Block, Cell, Column, Link, Page, Table, Texts, Tone};

use super::{pager, when, Desk};
use crate::imports::{Job, JobState};
use crate::services::Services;

const MENU: &str = "imports";
const PER_PAGE: i64 = 100;
/// Seconds between reloads of a running job's page.
const RELOAD_SECS: u32 = 3;

fn state_badge(t: &Texts, state: JobState) -> Cell {
    let (text, tone) = match state {
        JobState::Queued => (t.import_queued, Tone::Neutral),
        JobState::Validating => (t.import_validating, Tone::Neutral),
        JobState::Applying => (t.import_applying, Tone::Neutral),
        JobState::Done => (t.import_done, Tone::Good),
        JobState::Failed => (t.import_failed, Tone::Bad),
    };
    Cell::Badge(text.to_string(), tone)
}

fn running(state: JobState) -> bool {
    matches!(
        state,
        JobState::Queued | JobState::Validating | JobState::Applying
    )
}

pub async fn list(State(services): State<Services>, desk: Desk) -> Response {
    let t = desk.texts();
    let act = desk.act(&services);
    let (jobs, notes) = match (act.import_jobs().await, act.notifications().await) {
        (Ok(jobs), Ok(notes)) => (jobs, notes),
        (Err(e), _) | (_, Err(e)) => return desk.refused_page(MENU, e),
    };
    let notes = Table {
        caption: t.notifications.to_string(),
        columns: vec![Column::new(t.when), Column::new(t.notification)],
        rows: notes
            .into_iter()
            .map(|n| {
                vec![
                    Cell::Text(when(n.created_at)),
                    Cell::Link(Link::new(n.link, n.text)),
                ]
            })
            .collect(),
        empty: t.no_notifications.to_string(),
        pager: None,
    };
    let jobs = Table {
        caption: t.imports_caption.to_string(),
        columns: vec![
            Column::new(t.file),
            Column::new(t.import_kind),
            Column::new(t.state),
            Column::new(t.rows_progress),
            Column::new(t.uploaded),
        ],
        rows: jobs
            .iter()
            .map(|j| {
                vec![
                    Cell::Link(Link::new(
                        format!("/console/imports/{}", j.id),
                        j.file_name.clone(),
                    )),
                    Cell::Code(j.import.clone()),
                    state_badge(t, j.state),
                    Cell::Text(t.import_counts(
                        j.rows_read,
                        j.total_rows,
                        j.rows_applied,
                        j.rows_invalid + j.rows_failed,
                    )),
                    Cell::Text(when(j.created_at)),
                ]
            })
            .collect(),
        empty: t.no_imports.to_string(),
        pager: None,
    };
    let page = Page::new(t.imports_title)
        .lead(t.imports_lead)
        .block(notes)
        .block(jobs);
    desk.page(MENU, page)
}

/// The progress bars and counts of a job.
fn progress(t: &Texts, job: &Job) -> Vec<Block> {
    let total = job.total_rows.max(0) as u64;
    let read = job.rows_read.max(0) as u64;
    let sent = (job.rows_applied + job.rows_failed).max(0) as u64;
    let valid = job.rows_valid.max(0) as u64;
    vec![
        Block::Progress {
            label: t.rows_checked.to_string(),
            value: read,
            max: total,
            text: format!("{read} / {total}"),
        },
        Block::Progress {
            label: t.rows_sent.to_string(),
            value: sent,
            max: valid,
            text: format!("{sent} / {valid}"),
        },
        Block::Facts(vec![
            (t.rows_total.to_string(), job.total_rows.to_string().into()),
            (t.rows_read.to_string(), job.rows_read.to_string().into()),
            (t.rows_valid.to_string(), job.rows_valid.to_string().into()),
            (
                t.rows_invalid.to_string(),
                job.rows_invalid.to_string().into(),
            ),
            (
                t.rows_applied.to_string(),
                job.rows_applied.to_string().into(),
            ),
            (
                t.rows_failed.to_string(),
                job.rows_failed.to_string().into(),
            ),
        ]),
    ]
}

pub async fn show(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    let t = desk.texts();
    let job = match desk.act(&services).import_job(&id).await {
        Ok(job) => job,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let mut facts = vec![
        (t.file.to_string(), Cell::Text(job.file_name.clone())),
        (t.import_kind.to_string(), Cell::Code(job.import.clone())),
        (t.state.to_string(), state_badge(t, job.state)),
        (t.uploaded.to_string(), Cell::Text(when(job.created_at))),
        (
            t.uploaded_by.to_string(),
            Cell::Text(job.uploaded_by.clone()),
        ),
    ];
    if let Some(error) = &job.error {
        facts.push((t.import_error.to_string(), Cell::Text(error.clone())));
    }
    let failures = job.rows_invalid + job.rows_failed;
    let links = vec![
        Link::new("/console/imports", t.back_to_list),
        Link::new(
            format!("/console/imports/{}/failures", job.id),
            format!("{} ({failures})", t.failed_rows),
        ),
        Link::new(
            format!("/console/imports/{}/failures.csv", job.id),
            t.failed_rows_csv,
        ),
    ];
    let page = Page::new(format!("{} · {}", t.import_title, job.file_name))
        .lead(if running(job.state) {
            t.import_running_lead
        } else {
            t.import_ended_lead
        })
        .refresh(running(job.state).then_some(RELOAD_SECS))
        .block(Block::Links(links))
        .block(Block::Facts(facts))
        .blocks(progress(t, &job));
    desk.page(MENU, page)
}

pub async fn failures(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    let t = desk.texts();
    let act = desk.act(&services);
    let job = match act.import_job(&id).await {
        Ok(job) => job,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let page_no = desk.visit.query("page").parse::<i64>().unwrap_or(1).max(1);
    let offset = (page_no - 1) * PER_PAGE;
    let found = match act.import_failures(&id, offset, PER_PAGE).await {
        Ok(found) => found,
        Err(e) => return desk.refused_page(MENU, e),
    };
    let here = format!("/console/imports/{id}/failures");
    let table = Table {
        caption: t.failed_rows.to_string(),
        columns: vec![
            Column::new(t.line),
            Column::new(t.row_fields),
            Column::new(t.reason),
        ],
        rows: found
            .failures
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.line.to_string()),
                    Cell::Code(f.fields.join(",")),
                    Cell::Text(f.reason.clone()),
                ]
            })
            .collect(),
        empty: t.no_failed_rows.to_string(),
        pager: pager(t, offset, found.failures.len(), found.total, page_no, |p| {
            super::filtered_href(&here, &[], p)
        }),
    };
    let page = Page::new(format!("{} · {}", t.failed_rows, job.file_name))
        .block(Block::Links(vec![
            Link::new(format!("/console/imports/{id}"), t.back_to_import),
            Link::new(format!("{here}.csv"), t.failed_rows_csv),
        ]))
        .block(table);
    desk.page(MENU, page)
}

pub async fn failures_csv(
    State(services): State<Services>,
    desk: Desk,
    Path(id): Path<String>,
) -> Response {
    match desk.act(&services).import_failures_csv(&id).await {
        Ok(csv) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"failed-rows-{id}.csv\""),
                ),
            ],
            csv,
        )
            .into_response(),
        Err(e) => desk.refused_page(MENU, e),
    }
}
