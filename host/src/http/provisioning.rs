//! `/api/v1/provisioning` and `/api/v1/devices/{id}/provisioning`: which provisioning service
//! provisions each device registered at one or several (zero-touch, Knox Mobile Enrollment...),
//! as the deciding plugins answer, with the reasons and the actions that would change it,
//! through the `provisioning` service.

use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiResult, ErrorBody};
use super::extract::ApiQuery;
use super::session::CurrentAdmin;
use super::AppState;
use crate::provisioning::{DecisionFilter, DecisionPage, ProvisioningDecision};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_decisions))
        .routes(routes!(device_decision))
}

/// Who provisions each device at its next factory reset, filtered and paged.
#[utoipa::path(get, path = "/api/v1/provisioning", tag = "provisioning",
    security(("session" = [])), params(DecisionFilter),
    responses((status = 200, body = DecisionPage), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 502, description = "A deciding plugin failed", body = ErrorBody)))]
async fn list_decisions(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    ApiQuery(filter): ApiQuery<DecisionFilter>,
) -> ApiResult<Json<DecisionPage>> {
    Ok(Json(
        state.as_admin(&me).provisioning_decisions(&filter).await?,
    ))
}

/// Who provisions one device at its next factory reset, and why.
#[utoipa::path(get, path = "/api/v1/devices/{id}/provisioning", tag = "provisioning",
    security(("session" = [])), params(("id" = String, Path, description = "Device id")),
    responses((status = 200, body = ProvisioningDecision), (status = 401, body = ErrorBody),
        (status = 404, description = "No such device, or no plugin decides about it", body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 502, description = "A deciding plugin failed", body = ErrorBody)))]
async fn device_decision(
    State(state): State<AppState>,
    CurrentAdmin(me): CurrentAdmin,
    Path(id): Path<String>,
) -> ApiResult<Json<ProvisioningDecision>> {
    Ok(Json(state.as_admin(&me).device_provisioning(&id).await?))
}
