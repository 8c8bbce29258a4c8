//! The whole scenario: exported as the caller may see it, imported by coalition HQ.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::Scenario;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Caller, Hq};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::AppState;

/// The stored scenario in `coalition.scenario/1`, holding only what the caller may see.
#[utoipa::path(get, path = "/scenario", tag = "scenario",
    responses((status = 200, description = "coalition.scenario/1", content_type = "application/json"),
        (status = 404, body = crate::ErrorBody)))]
pub async fn export(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let scenario = state
        .store
        .export_scenario(&caller.viewer())
        .await?
        .ok_or_else(|| ApiError::NotFound("no scenario has been imported yet".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        scenario.to_json_pretty(),
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `create` (the default: refuse if a scenario is stored) or `replace`.
    pub mode: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    pub name: String,
    pub records: usize,
}

/// Imports a `coalition.scenario/1` document. Every mistake is reported with its JSON path.
#[utoipa::path(put, path = "/scenario", tag = "scenario", params(ImportQuery),
    request_body(content = Object, description = "coalition.scenario/1", content_type = "application/json"),
    responses((status = 201, body = Imported), (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Query(q): Query<ImportQuery>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let mode = match q.mode.as_deref() {
        None | Some("create") => store::ImportMode::Create,
        Some("replace") => store::ImportMode::Replace,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "mode: \"{other}\" is neither create nor replace"
            )))
        }
    };
    let scenario = Scenario::from_value(&body)
        .map_err(|e| ApiError::invalid("invalid_scenario", e.to_string()))?;
    let records = state
        .store
        .import_scenario(&scenario, mode, &caller.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Imported {
            name: scenario.name().to_owned(),
            records,
        }),
    ))
}
