//! `/api/v1/history`: the change history of your tenant's objects, newest first.

use axum::extract::State;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::session::CurrentAdmin;
use super::AppState;
use crate::history::{Entry, Query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(query_history))
}

/// Change history of one object (`object_type` + `object_id`) or of every object of a type.
/// An object id with no history in your tenant is 404, like any object you cannot see.
#[utoipa::path(get, path = "/api/v1/history", tag = "history", security(("session" = [])),
    params(Query),
    responses((status = 200, body = Vec<Entry>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn query_history(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(query): ApiQuery<Query>,
) -> ApiResult<Json<Vec<Entry>>> {
    Ok(Json(state.as_admin(&me).history(&query).await?))
}
