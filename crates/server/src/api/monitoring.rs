//! Ceasefire monitoring: observations in (JSON, CSV, Cursor-on-Target), incidents out, split
//! and merge, sectors, observation effort and daily sector reports.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use monitor::ingest::Batch;
use monitor::report::Effort;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::Viewer;
use utoipa::{IntoParams, ToSchema};

use crate::caller::{Hq, MonitorRole, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::monitoring::{self, IngestReport, MergeDecision, SplitDecision};
use crate::AppState;

/// A batch: a list of observations as JSON, or a CSV file (Coalition's columns or an ACLED
/// export), or a Cursor-on-Target XML document.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationBatch {
    #[schema(value_type = [Object])]
    pub observations: Option<Vec<Value>>,
    pub csv: Option<String>,
    pub cot: Option<String>,
}

/// Records observations. Good rows are kept and bad rows answered with their line (or
/// position) and reason; an id sent again with the same content changes nothing.
#[utoipa::path(post, path = "/observations", tag = "monitoring", request_body = ObservationBatch,
    responses((status = 200, body = IngestReport), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn ingest(
    State(state): State<AppState>,
    MonitorRole(caller): MonitorRole,
    Json(body): Json<ObservationBatch>,
) -> ApiResult<Json<IngestReport>> {
    let batch = match (body.observations, body.csv, body.cot) {
        (Some(items), None, None) => {
            let mut b = Batch::default();
            for (i, v) in items.into_iter().enumerate() {
                b.take(i + 1, v);
            }
            b
        }
        (None, Some(csv), None) => {
            monitor::ingest::read_csv(&csv).map_err(|e| ApiError::invalid("invalid_csv", e))?
        }
        (None, None, Some(xml)) => {
            monitor::cot::read_cot(&xml).map_err(|e| ApiError::invalid("invalid_cot", e))?
        }
        _ => {
            return Err(ApiError::invalid(
                "invalid_batch",
                "send one of observations, csv or cot",
            ))
        }
    };
    let report =
        monitoring::ingest(&state.monitoring, &state.store, batch, &caller.actor()).await?;
    Ok(Json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentQuery {
    /// An event kind, e.g. shelling.
    pub kind: Option<String>,
    pub sector: Option<String>,
    /// Incidents that began on or after (ISO 8601 or a date-time group).
    pub from: Option<String>,
    /// … and before.
    pub to: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// An incident with its sector and how it may be shared.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub incident: monitor::Incident,
    pub sector: Option<String>,
    #[schema(value_type = String)]
    pub releasability: domain::access::Releasability,
}

fn time(what: &str, s: &str) -> Result<jiff::Timestamp, ApiError> {
    monitor::dtg::parse_time(s).map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))
}

/// Incidents the caller may see (those whose every observation the caller may see), newest
/// first.
#[utoipa::path(get, path = "/incidents", tag = "monitoring", params(IncidentQuery),
    responses((status = 200, body = crate::api::Page), (status = 400, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn incidents(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<IncidentQuery>,
) -> ApiResult<Json<super::Page>> {
    let kind = q
        .kind
        .as_deref()
        .map(|k| monitor::EventKind::parse(k).map_err(ApiError::BadRequest))
        .transpose()?;
    let from = q.from.as_deref().map(|s| time("from", s)).transpose()?;
    let to = q.to.as_deref().map(|s| time("to", s)).transpose()?;
    let viewer = caller.viewer();
    let st = state.monitoring.sync(&state.store).await?;
    // Visibility, kind, times and sector are judged on heads; only the page is written out.
    let mut heads: Vec<monitor::correlate::Head> = st
        .correlator
        .heads()
        .filter(|h| {
            monitoring::visible(&viewer, h.releasability)
                && kind.is_none_or(|k| h.kind == k)
                && from.is_none_or(|f| h.from >= f)
                && to.is_none_or(|t| h.from < t)
                && q.sector
                    .as_deref()
                    .is_none_or(|s| st.sector_at(h.location) == Some(s))
        })
        .collect();
    heads.sort_by_key(|h| std::cmp::Reverse(h.from));
    let page = super::PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .apply_with(heads, |h| {
        let incident = st
            .correlator
            .incident(h.id)
            .ok_or_else(|| ApiError::internal(format!("incident {} vanished", h.id)))?;
        Ok(IncidentView {
            sector: st.sector_at(h.location).map(str::to_owned),
            releasability: incident.releasability,
            incident,
        })
    })?;
    drop(st);
    Ok(Json(page))
}

/// One incident with its observations and why each was joined.
#[utoipa::path(get, path = "/incidents/{id}", tag = "monitoring", params(("id" = u64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn incident(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let not_found = || ApiError::NotFound(format!("there is no incident {id}"));
    let n: u64 = id.parse().map_err(|_| not_found())?;
    let st = state.monitoring.sync(&state.store).await?;
    let i = st
        .correlator
        .incident(n)
        .filter(|i| monitoring::visible(&caller.viewer(), i.releasability))
        .ok_or_else(not_found)?;
    let observations: Vec<&monitor::Observation> = i
        .observations
        .iter()
        .filter_map(|o| st.observations.get(o))
        .map(|s| &s.observation)
        .collect();
    Ok(Json(serde_json::json!({
        "incident": i,
        "sector": st.sector(&i),
        "releasability": i.releasability,
        "observations": observations,
    })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    /// The observations to move into an incident of their own.
    pub observations: Vec<String>,
    /// Why (kept in the log and the audit log).
    pub reason: String,
}

fn reason(r: &str) -> Result<String, ApiError> {
    let r = r.trim();
    if r.is_empty() || r.len() > 1000 {
        Err(ApiError::invalid(
            "invalid_reason",
            "give a reason of 1 to 1,000 characters",
        ))
    } else {
        Ok(r.to_owned())
    }
}

/// Splits observations off an incident into a new one (a monitor's decision, logged and
/// audited).
#[utoipa::path(post, path = "/incidents/{id}/split", tag = "monitoring", params(("id" = u64, Path)),
    request_body = SplitRequest,
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn split(
    State(state): State<AppState>,
    MonitorRole(caller): MonitorRole,
    Path(id): Path<String>,
    Json(body): Json<SplitRequest>,
) -> ApiResult<Json<Value>> {
    let not_found = || ApiError::NotFound(format!("there is no incident {id}"));
    let n: u64 = id.parse().map_err(|_| not_found())?;
    let why = reason(&body.reason)?;
    let store = state.store.as_ref();
    {
        let st = state.monitoring.sync(&state.store).await?;
        if !st
            .correlator
            .incident(n)
            .is_some_and(|i| monitoring::visible(&caller.viewer(), i.releasability))
        {
            return Err(not_found());
        }
        st.correlator
            .check_split(n, &body.observations)
            .map_err(|e| ApiError::invalid("invalid_split", e.to_string()))?;
    }
    let decision = SplitDecision {
        incident: n,
        observations: body.observations,
        reason: why,
    };
    let key = format!(
        "{n}:{}:{}",
        decision.observations.join(","),
        crate::api::now()
    );
    let text = serde_json::to_string(&decision).map_err(ApiError::internal)?;
    store
        .append_monitor_log("split", &[(key, text)], &caller.actor())
        .await?;
    let st = state.monitoring.sync(&state.store).await?;
    let new = decision
        .observations
        .first()
        .and_then(|o| st.correlator.incident_of(o));
    Ok(Json(
        serde_json::json!({"incident": n, "new_incident": new}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The incident to fold into this one.
    pub from: u64,
    pub reason: String,
}

/// Merges another incident into this one (a monitor's decision, logged and audited).
#[utoipa::path(post, path = "/incidents/{id}/merge", tag = "monitoring", params(("id" = u64, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    MonitorRole(caller): MonitorRole,
    Path(id): Path<String>,
    Json(body): Json<MergeRequest>,
) -> ApiResult<Json<Value>> {
    let not_found = |x: &str| ApiError::NotFound(format!("there is no incident {x}"));
    let n: u64 = id.parse().map_err(|_| not_found(&id))?;
    let why = reason(&body.reason)?;
    let store = state.store.as_ref();
    {
        let st = state.monitoring.sync(&state.store).await?;
        let viewer = caller.viewer();
        for x in [n, body.from] {
            if !st
                .correlator
                .incident(x)
                .is_some_and(|i| monitoring::visible(&viewer, i.releasability))
            {
                return Err(not_found(&x.to_string()));
            }
        }
        if n == body.from {
            return Err(ApiError::invalid(
                "invalid_merge",
                "an incident cannot merge with itself",
            ));
        }
        st.correlator
            .check_merge(n, body.from)
            .map_err(|e| ApiError::invalid("invalid_merge", e.to_string()))?;
    }
    let decision = MergeDecision {
        into: n,
        from: body.from,
        reason: why,
    };
    let key = format!("{n}<{}:{}", body.from, crate::api::now());
    let text = serde_json::to_string(&decision).map_err(ApiError::internal)?;
    store
        .append_monitor_log("merge", &[(key, text)], &caller.actor())
        .await?;
    Ok(Json(
        serde_json::json!({"incident": n, "merged": body.from}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EffortBatch {
    /// Patrols, UAV sorties, cameras and sensors up: `{"observer": "patrol", "observer_id":
    /// "P1", "from": "…", "to": "…", "sector": "S-1"}` or with a `position`.
    #[schema(value_type = [Object])]
    pub effort: Vec<Value>,
}

/// Records observation effort, so reports can tell a quiet day from an unwatched one.
#[utoipa::path(post, path = "/effort", tag = "monitoring", request_body = EffortBatch,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn effort(
    State(state): State<AppState>,
    MonitorRole(caller): MonitorRole,
    Json(body): Json<EffortBatch>,
) -> ApiResult<Json<Value>> {
    let mut rows = Vec::new();
    for (i, v) in body.effort.into_iter().enumerate() {
        let e: Effort = serde_json::from_value(v)
            .map_err(|err| ApiError::invalid("invalid_effort", format!("effort[{i}]: {err}")))?;
        if e.to <= e.from || e.observer_id.trim().is_empty() {
            return Err(ApiError::invalid(
                "invalid_effort",
                format!("effort[{i}]: needs an observer_id and from before to"),
            ));
        }
        let key = format!("{}@{}", e.observer_id, e.from);
        rows.push((key, serde_json::to_string(&e).map_err(ApiError::internal)?));
    }
    let results = state
        .store
        .append_monitor_log("effort", &rows, &caller.actor())
        .await?;
    let new = results
        .iter()
        .filter(|r| matches!(r, store::Appended::New(_)))
        .count();
    Ok(Json(
        serde_json::json!({"recorded": new, "already_known": results.len() - new}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectorUpload {
    /// A GeoJSON FeatureCollection of Polygons and MultiPolygons with a `code` property.
    pub geojson: String,
}

/// Replaces the monitoring sectors; every observation is assigned to its sector again.
#[utoipa::path(put, path = "/sectors", tag = "monitoring", request_body = SectorUpload,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn put_sectors(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<SectorUpload>,
) -> ApiResult<Json<Value>> {
    let sectors = monitor::sectors::read_geojson(&body.geojson)
        .map_err(|e| ApiError::invalid("invalid_geojson", e))?;
    state
        .store
        .put_reference(monitoring::SECTORS, &body.geojson, &caller.actor())
        .await?;
    let codes: Vec<&str> = sectors.iter().map(|s| s.code.as_str()).collect();
    Ok(Json(serde_json::json!({"sectors": codes})))
}

/// The monitoring sectors.
#[utoipa::path(get, path = "/sectors", tag = "monitoring",
    responses((status = 200, body = [Object])),
    security(("session" = []), ("token" = [])))]
pub async fn sectors(
    State(state): State<AppState>,
    SignedIn(_caller): SignedIn,
) -> ApiResult<Json<Vec<monitor::sectors::Sector>>> {
    let st = state.monitoring.sync(&state.store).await?;
    Ok(Json(st.sectors.clone()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The reporting day (YYYY-MM-DD): the period ending at 19:30 Kyiv time that day; the
    /// current one when left out.
    pub date: Option<String>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

async fn report(state: &AppState, viewer: &Viewer, q: &ReportQuery) -> Result<Response, ApiError> {
    let spec = &state.monitoring.period;
    let day = match q.date.as_deref() {
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("date: \"{d}\" is not YYYY-MM-DD")))?,
        None => spec
            .day_of(jiff::Timestamp::now())
            .map_err(ApiError::internal)?,
    };
    let st = state.monitoring.sync(&state.store).await?;
    let public_only = *viewer == Viewer::Public;
    let reports = st
        .daily_reports(spec, day, viewer, public_only)
        .map_err(ApiError::internal)?;
    drop(st);
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(
            Json(serde_json::json!({"date": day, "period": spec, "sectors": reports}))
                .into_response(),
        ),
        "csv" => Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            monitor::report::to_csv(&reports),
        )
            .into_response()),
        other => Err(ApiError::BadRequest(format!(
            "format: \"{other}\" is not json or csv"
        ))),
    }
}

/// The daily report per sector: counts by kind against the previous period, notable incidents,
/// restrictions of movement and observation effort.
#[utoipa::path(get, path = "/reports/daily", tag = "monitoring", params(ReportQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn daily_report(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    report(&state, &caller.viewer(), &q).await
}

/// The public daily report: only incidents every observation of which is public.
#[utoipa::path(get, path = "/open-data/reports/daily", tag = "monitoring", params(ReportQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::ErrorBody)))]
pub async fn public_report(
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    report(&state, &Viewer::Public, &q).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Only alerts nobody has acknowledged yet.
    pub open: Option<bool>,
}

/// Alerts raised by the incidents the caller may see, each with its level on the escalation
/// ladder, when it is due and who acknowledged it.
#[utoipa::path(get, path = "/alerts", tag = "monitoring", params(AlertQuery),
    responses((status = 200, body = [Object])),
    security(("session" = []), ("token" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Vec<monitor::alerts::Standing>>> {
    let st = state.monitoring.sync(&state.store).await?;
    let mut list = st.standings(&caller.viewer(), jiff::Timestamp::now());
    if q.open == Some(true) {
        list.retain(|s| s.acknowledged.is_none());
    }
    Ok(Json(list))
}

/// Acknowledges an alert; it stops climbing the ladder. The first acknowledgement counts.
#[utoipa::path(post, path = "/alerts/{id}/ack", tag = "monitoring", params(("id" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn acknowledge(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = acknowledge_alert(&state, &caller, &id).await?;
    Ok(Json(serde_json::json!({"alert": now})))
}

/// Acknowledges alert `id` for `caller` (anyone signed in but observers): logged once, the
/// first acknowledgement counts. Where it stands after. Shared by the API and the web page.
pub(crate) async fn acknowledge_alert(
    state: &AppState,
    caller: &crate::caller::Caller,
    id: &str,
) -> ApiResult<Option<monitor::alerts::Standing>> {
    caller.may_acknowledge_alerts()?;
    let store = state.store.as_ref();
    {
        let st = state.monitoring.sync(&state.store).await?;
        let known = st
            .standings(&caller.viewer(), jiff::Timestamp::now())
            .into_iter()
            .find(|s| s.alert.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("there is no alert {id}")))?;
        if let Some(a) = known.acknowledged {
            return Err(ApiError::Conflict(format!(
                "alert {id} was acknowledged by {} at {}",
                a.by, a.at
            )));
        }
    }
    let result = store
        .append_monitor_log("ack", &[(id.to_owned(), "{}".to_owned())], &caller.actor())
        .await?;
    if !matches!(result.first(), Some(store::Appended::New(_))) {
        return Err(ApiError::Conflict(format!(
            "alert {id} was already acknowledged"
        )));
    }
    let st = state.monitoring.sync(&state.store).await?;
    Ok(st
        .standings(&caller.viewer(), jiff::Timestamp::now())
        .into_iter()
        .find(|s| s.alert.id == id))
}

/// The alert rules and escalation ladder in force.
#[utoipa::path(get, path = "/alert-rules", tag = "monitoring",
    responses((status = 200, body = Object)),
    security(("session" = []), ("token" = [])))]
pub async fn alert_rules(
    State(state): State<AppState>,
    SignedIn(_caller): SignedIn,
) -> ApiResult<Json<monitor::alerts::Config>> {
    let st = state.monitoring.sync(&state.store).await?;
    Ok(Json(st.alert_config.clone()))
}

/// Replaces the alert rules and escalation ladder.
#[utoipa::path(put, path = "/alert-rules", tag = "monitoring", request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn put_alert_rules(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<Value>,
) -> ApiResult<Json<monitor::alerts::Config>> {
    let config: monitor::alerts::Config = serde_json::from_value(body)
        .map_err(|e| ApiError::invalid("invalid_alert_rules", e.to_string()))?;
    config
        .check()
        .map_err(|e| ApiError::invalid("invalid_alert_rules", e))?;
    let text = serde_json::to_string(&config).map_err(ApiError::internal)?;
    state
        .store
        .put_reference(monitoring::ALERT_RULES, &text, &caller.actor())
        .await?;
    Ok(Json(config))
}
