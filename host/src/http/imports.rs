//! Bulk imports through a plugin (`/api/v1/plugins/{id}/collections/{collection}/imports/...`
//! to start one with a CSV file, `/api/v1/imports` to follow them): the `imports` service; and
//! the administrator's notifications (`/api/v1/notifications`), which tell how they ended.

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::session::CurrentAdmin;
use super::AppState;
use crate::imports::{FailurePage, Job};
use crate::notifications::Notification;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_import))
        .routes(routes!(list_imports))
        .routes(routes!(get_import))
        .routes(routes!(import_failures))
        .routes(routes!(import_failures_csv))
        .routes(routes!(list_notifications))
}

/// Your notifications (an import's summary, ...), newest first (at most 50).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "imports", security(("session" = [])),
    responses((status = 200, body = Vec<Notification>), (status = 401, body = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(state.as_admin(&me).notifications().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StartQuery {
    /// The file's name, as the administrator knows it.
    file_name: String,
}

/// Start an import with a CSV file (`Content-Type: text/csv`, at most the server's limit, 50
/// MiB by default: larger is 413). Answers at once with the job, queued; its header must have
/// the import's columns. The job goes on after the client leaves.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/collections/{collection}/imports/{import}",
    tag = "imports", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("collection" = String, Path, description = "Collection name"),
        ("import" = String, Path, description = "Import name"), StartQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 202, body = Job), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn start_import(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path((id, collection, import)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<StartQuery>,
    request: Request,
) -> ApiResult<impl IntoResponse> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the CSV file's bytes with Content-Type: text/csv",
        ));
    }
    let body = request.into_body().into_data_stream();
    let job = state
        .as_admin(&me)
        .start_import(&id, &collection, &import, &q.file_name, body)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Your tenant's import jobs, newest first (at most 100).
#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", security(("session" = [])),
    responses((status = 200, body = Vec<Job>), (status = 401, body = ErrorBody)))]
async fn list_imports(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Vec<Job>>> {
    Ok(Json(state.as_admin(&me).import_jobs().await?))
}

/// One import job: where it is, rows read, valid, refused, applied and failed of the total.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports", security(("session" = [])),
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = Job), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_import(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<Job>> {
    Ok(Json(state.as_admin(&me).import_job(&id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FailuresQuery {
    /// Failed rows to skip. Default 0.
    #[serde(default)]
    offset: i64,
    /// 1 to 10000. Default 1000.
    limit: Option<i64>,
}

/// A job's rows that did not go through (refused by the plugin or failed at the vendor), by
/// line: each with its line number, its fields and why.
#[utoipa::path(get, path = "/api/v1/imports/{id}/failures", tag = "imports",
    security(("session" = [])), params(("id" = String, Path, description = "Job id"), FailuresQuery),
    responses((status = 200, body = FailurePage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn import_failures(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FailuresQuery>,
) -> ApiResult<Json<FailurePage>> {
    let me = state.as_admin(&me);
    Ok(Json(
        me.import_failures(&id, q.offset, q.limit.unwrap_or(1000))
            .await?,
    ))
}

/// The same rows as a CSV file: `line`, the file's columns, `reason`.
#[utoipa::path(get, path = "/api/v1/imports/{id}/failures.csv", tag = "imports",
    security(("session" = [])), params(("id" = String, Path, description = "Job id")),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn import_failures_csv(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let csv = state.as_admin(&me).import_failures_csv(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-{id}-failures.csv\""),
            ),
        ],
        csv,
    ))
}
