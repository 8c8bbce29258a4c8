//! Plans: kept plans (read by every signed-in user, other nations' restricted offers shown
//! only as restricted contributions) and planner runs as background jobs (coalition HQ).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::ids::{Assumption, NationCode, RequirementId};
use domain::offer::OfferStatus;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{parse, Page, PageQuery};
use crate::caller::{Hq, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::jobs::RunSpec;
use crate::AppState;

/// Kept plans, newest first (summaries; fetch one for its plan file).
#[utoipa::path(get, path = "/plans", tag = "plans", params(PageQuery),
    responses((status = 200, body = Page), (status = 401, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    let plans: Vec<_> = state
        .store
        .plans(&caller.viewer())
        .await?
        .into_iter()
        .map(|p| {
            serde_json::json!({"id": p.id, "created_at": p.created_at.to_string(),
                "scenario": p.scenario, "status": p.status, "unmet_weighted": p.unmet_weighted,
                "bound": p.bound, "options": serde_json::from_str::<serde_json::Value>(&p.options).unwrap_or_default()})
        })
        .collect();
    Ok(Json(page.apply(plans)?))
}

/// One kept plan's file (`coalition.plan/1`).
#[utoipa::path(get, path = "/plans/{id}", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, description = "coalition.plan/1", content_type = "application/json"),
        (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn get(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse("plan id", &id, |s| {
        s.parse::<i64>().map_err(|e| e.to_string())
    })?;
    let (_, body) = state.store.plan(&caller.viewer(), id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A planner run to start.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// Nations removed (ISO 3166-1 alpha-3).
    #[serde(default)]
    pub withdraw: Vec<String>,
    /// Assumptions overridden, e.g. `{"us_backstop": false}`.
    #[serde(default)]
    pub assume: BTreeMap<String, bool>,
    /// Offers below this status are ignored (default `indicated`).
    pub min_status: Option<String>,
    /// Requirements grown: extra units each week of the requirement's window, e.g.
    /// `{"LAND-KYIV-1": 2}`.
    #[serde(default)]
    pub grow: BTreeMap<String, u32>,
    /// Seconds to search (default 10).
    pub time_limit_seconds: Option<f64>,
    /// Random seed (default 1).
    pub seed: Option<u64>,
}

/// Starts a planner run on the stored scenario; poll the job for progress and its plan.
#[utoipa::path(post, path = "/plan-jobs", tag = "plans", request_body = PlanRequest,
    responses((status = 202, body = Object), (status = 404, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn start_job(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<PlanRequest>,
) -> ApiResult<(StatusCode, Json<store::Job>)> {
    let job = launch(&state, &caller, body).await?;
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Checks a run's options against the stored scenario (as the caller may see it) and starts it.
pub(crate) async fn launch(
    state: &AppState,
    caller: &crate::caller::Caller,
    body: PlanRequest,
) -> ApiResult<store::Job> {
    if state.jobs.is_stopping() {
        return Err(ApiError::Unavailable);
    }
    let invalid = |m: String| ApiError::invalid("invalid_plan_options", m);
    let withdraw = body
        .withdraw
        .iter()
        .map(|n| NationCode::parse(n).map_err(|e| invalid(format!("withdraw: {e}"))))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let assume = body
        .assume
        .iter()
        .map(|(k, v)| {
            Assumption::parse(k)
                .map(|a| (a, *v))
                .map_err(|e| invalid(format!("assume: {e}")))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let min_status = match body.min_status.as_deref() {
        None => OfferStatus::Indicated,
        Some(s) => OfferStatus::parse(s).map_err(|e| invalid(format!("min_status: {e}")))?,
    };
    let grow = body
        .grow
        .iter()
        .map(|(k, v)| {
            RequirementId::parse(k)
                .map(|id| (id, *v))
                .map_err(|e| invalid(format!("grow: {e}")))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let seconds = body.time_limit_seconds.unwrap_or(10.0);
    let max = state.settings.max_plan_seconds;
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= max) {
        return Err(invalid(format!(
            "time_limit_seconds must be more than 0 and at most {max}"
        )));
    }
    let options = planner::Options {
        withdraw,
        assume,
        min_status,
        grow,
    };
    // The planner sees what the caller may see (everything, for coalition HQ).
    let scenario = state
        .store
        .export_scenario(&caller.viewer())
        .await?
        .ok_or_else(|| ApiError::NotFound("no scenario has been imported yet".into()))?;
    options
        .check(&scenario)
        .map_err(|e| invalid(e.to_string()))?;
    let options_json = serde_json::to_string(&options).map_err(ApiError::internal)?;
    let actor = caller.actor();
    let job = state.store.create_job(&options_json, &actor).await?;
    state.jobs.start(
        state.store.clone(),
        job.id,
        scenario,
        RunSpec {
            options,
            time_limit: Duration::from_secs_f64(seconds),
            seed: body.seed.unwrap_or(1),
        },
        actor,
    );
    Ok(job)
}

/// Planner runs, newest first.
#[utoipa::path(get, path = "/plan-jobs", tag = "plans", params(PageQuery),
    responses((status = 200, body = Page)),
    security(("session" = []), ("token" = [])))]
pub async fn jobs(
    State(state): State<AppState>,
    Hq(_hq): Hq,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    Ok(Json(page.apply(state.store.jobs().await?)?))
}

/// One planner run: its state (queued, running, done, failed), progress and plan id.
#[utoipa::path(get, path = "/plan-jobs/{id}", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn job(
    State(state): State<AppState>,
    Hq(_hq): Hq,
    Path(id): Path<String>,
) -> ApiResult<Json<store::Job>> {
    let id = parse("job id", &id, |s| {
        s.parse::<i64>().map_err(|e| e.to_string())
    })?;
    Ok(Json(state.store.job(id).await?))
}
