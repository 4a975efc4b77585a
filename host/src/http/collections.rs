//! `/api/v1/plugins/{id}/collections`: a plugin's collections of vendor objects (zero-touch
//! configurations and devices, ...): described, listed (searched, paged with the vendor's
//! token), read, and acted on (each action's form, then the action), through the
//! `collections` service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::Language;
use super::extract::{ApiQuery, PluginJson};
use super::session::CurrentAdmin;
use super::AppState;
use crate::collections::{Collection, Done, Item, ItemPage, Outcome};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_collections))
        .routes(routes!(list_items))
        .routes(routes!(get_item))
        .routes(routes!(get_form))
        .routes(routes!(take_action))
}

/// The plugin's collections (none for plugins before `corral:plugin@0.5.0`).
#[utoipa::path(get, path = "/api/v1/plugins/{id}/collections", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id")),
    responses((status = 200, body = Vec<Collection>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn list_collections(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Language(lang): Language,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Collection>>> {
    Ok(Json(
        state
            .as_admin(&me)
            .in_language(lang)
            .plugin_collections(&id)
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ItemsQuery {
    /// A search text (an IMEI, a serial number...), for a searchable collection.
    search: Option<String>,
    /// `next_page_token` of the previous page.
    page_token: Option<String>,
}

/// A page of a collection, from the vendor, optionally searched.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/collections/{collection}/items", tag = "plugins",
    security(("session" = [])), params(("id" = String, Path, description = "Plugin id"),
        ("collection" = String, Path, description = "Collection name"), ItemsQuery),
    responses((status = 200, body = ItemPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, description = "The plugin or its vendor refused", body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn list_items(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Language(lang): Language,
    Path((id, collection)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ItemsQuery>,
) -> ApiResult<Json<ItemPage>> {
    let me = state.as_admin(&me).in_language(lang);
    Ok(Json(
        me.collection_items(
            &id,
            &collection,
            q.search.as_deref(),
            q.page_token.as_deref(),
        )
        .await?,
    ))
}

/// One item of a collection, from the vendor.
#[utoipa::path(get, path = "/api/v1/plugins/{id}/collections/{collection}/items/{item}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("collection" = String, Path, description = "Collection name"),
        ("item" = String, Path, description = "Item id")),
    responses((status = 200, body = Item), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "The plugin or its vendor refused", body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn get_item(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Language(lang): Language,
    Path((id, collection, item)): Path<(String, String, String)>,
) -> ApiResult<Json<Item>> {
    let me = state.as_admin(&me).in_language(lang);
    Ok(Json(me.collection_item(&id, &collection, &item).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FormQuery {
    /// The item, for an action taken on one.
    item: Option<String>,
}

/// The JSON Schema of an action's input, with the item's current values as defaults (needs the
/// action's permission).
#[utoipa::path(get, path = "/api/v1/plugins/{id}/collections/{collection}/forms/{action}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("collection" = String, Path, description = "Collection name"),
        ("action" = String, Path, description = "Action name"), FormQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "The plugin or its vendor refused", body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn get_form(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Language(lang): Language,
    Path((id, collection, action)): Path<(String, String, String)>,
    ApiQuery(q): ApiQuery<FormQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let me = state.as_admin(&me).in_language(lang);
    Ok(Json(
        me.action_form(&id, &collection, q.item.as_deref(), &action)
            .await?,
    ))
}

/// An action on a collection (`item` left out) or on one of its items.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The item, for an action taken on one.
    item: Option<String>,
    /// The input, in the shape of the action's form (`{}` when it takes none).
    #[serde(default = "empty")]
    #[schema(value_type = Object)]
    input: serde_json::Value,
}

fn empty() -> serde_json::Value {
    serde_json::json!({})
}

/// Take an action through the plugin (recorded in the history). Input the plugin refuses
/// answers 422 `invalid_input`, naming the first field (`input/...`) and listing every problem.
#[utoipa::path(post, path = "/api/v1/plugins/{id}/collections/{collection}/actions/{action}",
    tag = "plugins", security(("session" = [])),
    params(("id" = String, Path, description = "Plugin id"),
        ("collection" = String, Path, description = "Collection name"),
        ("action" = String, Path, description = "Action name")),
    request_body = ActionRequest,
    responses((status = 200, body = Done), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "The input, the plugin or its vendor refused", body = ErrorBody),
        (status = 502, description = "The plugin failed (trap, deadline, memory)", body = ErrorBody)))]
async fn take_action(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Language(lang): Language,
    Path((id, collection, action)): Path<(String, String, String)>,
    PluginJson(request): PluginJson<ActionRequest>,
) -> ApiResult<Json<Done>> {
    let me = state.as_admin(&me).in_language(lang);
    let outcome = me
        .take_action(
            &id,
            &collection,
            request.item.as_deref(),
            &action,
            &request.input,
        )
        .await?;
    match outcome {
        Outcome::Done(done) => Ok(Json(done)),
        Outcome::Invalid(refusal) => {
            let field = refusal
                .errors
                .first()
                .map(|e| format!("input{}", e.path))
                .unwrap_or_else(|| "input".into());
            let message = refusal
                .errors
                .iter()
                .map(|e| format!("{} ({}): {}", e.path, e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
                    .with_field(field),
            )
        }
    }
}
