//! `/api/v1/apps`: the tenant's app catalogue (SPEC C2, E7): store and business apps by store
//! id, in-house apps by upload, their install settings and the unmanaged-devices option.

use axum::body::to_bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery, NoBody};
use super::session::CurrentAdmin;
use super::AppState;
use crate::apps::{App, AppPlatform, AppSettings, NewApp, MAX_FILE_BYTES};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_apps, add_app))
        .routes(routes!(upload_app))
        .routes(routes!(get_app, update_app, delete_app))
        .routes(routes!(app_file))
}

/// The catalogue, by name.
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps", security(("session" = [])),
    responses((status = 200, body = Vec<App>), (status = 401, body = ErrorBody)))]
async fn list_apps(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
) -> ApiResult<Json<Vec<App>>> {
    Ok(Json(state.as_admin(&me).list_apps().await?))
}

/// Add a public store app or a business app by its store id.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps", security(("session" = [])),
    request_body = NewApp,
    responses((status = 201, body = App), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn add_app(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiJson(req): ApiJson<NewApp>,
) -> ApiResult<(StatusCode, Json<App>)> {
    let app = state.as_admin(&me).add_app(req).await?;
    Ok((StatusCode::CREATED, Json(app)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    platform: AppPlatform,
    /// The file's name (`.apk` for Android, `.ipa` for iOS).
    file_name: String,
    /// Shown name; default the file name.
    name: Option<String>,
    install_on_device: Option<bool>,
    silent_install: Option<bool>,
    allow_unmanaged: Option<bool>,
}

/// Upload an in-house app: the file's bytes as the body (`application/octet-stream`).
#[utoipa::path(post, path = "/api/v1/apps/in-house", tag = "apps", security(("session" = [])),
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = App), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn upload_app(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(q): ApiQuery<UploadQuery>,
    request: Request,
) -> ApiResult<(StatusCode, Json<App>)> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if content_type != "application/octet-stream" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the app file's bytes with Content-Type: application/octet-stream",
        ));
    }
    let bytes = to_bytes(request.into_body(), MAX_FILE_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "app_too_large",
                format!("an app file may be at most {MAX_FILE_BYTES} bytes"),
            )
            .with_field("file")
        })?;
    let settings = AppSettings {
        name: q.name,
        install_on_device: q.install_on_device,
        silent_install: q.silent_install,
        allow_unmanaged: q.allow_unmanaged,
    };
    let app = state
        .as_admin(&me)
        .upload_app(q.platform, &q.file_name, &bytes, &settings)
        .await?;
    Ok((StatusCode::CREATED, Json(app)))
}

/// One app.
#[utoipa::path(get, path = "/api/v1/apps/{id}", tag = "apps", security(("session" = [])),
    params(("id" = String, Path, description = "App id")),
    responses((status = 200, body = App), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_app(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<App>> {
    Ok(Json(state.as_admin(&me).get_app(&id).await?))
}

/// Change an app's name or settings ("allow distribution of this app to unmanaged devices"
/// needs unmanaged devices on).
#[utoipa::path(patch, path = "/api/v1/apps/{id}", tag = "apps", security(("session" = [])),
    params(("id" = String, Path, description = "App id")), request_body = AppSettings,
    responses((status = 200, body = App), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_app(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AppSettings>,
) -> ApiResult<Json<App>> {
    Ok(Json(state.as_admin(&me).update_app(&id, &req).await?))
}

/// Remove an app from the catalogue (devices keep what they installed).
#[utoipa::path(delete, path = "/api/v1/apps/{id}", tag = "apps", security(("session" = [])),
    params(("id" = String, Path, description = "App id")),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_app(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
    _body: NoBody,
) -> ApiResult<StatusCode> {
    state.as_admin(&me).delete_app(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An in-house app's file.
#[utoipa::path(get, path = "/api/v1/apps/{id}/file", tag = "apps", security(("session" = [])),
    params(("id" = String, Path, description = "App id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn app_file(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let (name, content) = state.as_admin(&me).app_file(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", name.replace('"', "")),
            ),
        ],
        content,
    ))
}
