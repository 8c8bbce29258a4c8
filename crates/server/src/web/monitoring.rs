//! Monitoring pages: the day's sector reports and incidents (with an upload form for
//! monitors), and one incident with its observations, the reasons they were joined, and the
//! split and merge forms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::access::Role;
use monitor::report::SectorReport;
use serde::Deserialize;

use super::{render, Chrome, WebForm, WebResult};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::monitoring::{IngestReport, MergeDecision, SplitDecision};
use crate::AppState;

fn may_monitor(caller: &Caller) -> bool {
    caller
        .user
        .as_ref()
        .is_some_and(|u| matches!(u.role, Role::Admin | Role::Planner | Role::Monitor))
}

pub struct Row {
    pub id: u64,
    pub when: String,
    pub kind: &'static str,
    pub sector: String,
    pub count: u32,
    pub observers: usize,
    pub against_coalition: bool,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
struct MonitoringPage {
    chrome: Chrome,
    date: String,
    reports: Vec<SectorReport>,
    incidents: Vec<Row>,
    may_monitor: bool,
    result: Option<IngestReport>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DateQuery {
    date: Option<String>,
}

async fn page(
    state: &AppState,
    caller: &Caller,
    date: Option<&str>,
    result: Option<IngestReport>,
    error: Option<String>,
) -> Result<MonitoringPage, ApiError> {
    caller.signed_in()?;
    let spec = &state.monitoring.period;
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d
            .parse()
            .map_err(|_| ApiError::BadRequest(format!("date: \"{d}\" is not YYYY-MM-DD")))?,
        None => spec
            .day_of(jiff::Timestamp::now())
            .map_err(ApiError::internal)?,
    };
    let viewer = caller.viewer();
    let st = state.monitoring.sync(&state.store).await?;
    // The 200 newest the caller may see: the rest are not written out.
    let visible: Vec<monitor::Incident> = st
        .correlator
        .incidents_newest_first(|h| crate::monitoring::visible(&viewer, h.releasability))
        .take(200)
        .collect();
    let reports = st
        .daily_reports(spec, day, &viewer, false)
        .map_err(ApiError::internal)?;
    let incidents: Vec<Row> = visible
        .iter()
        .map(|i| Row {
            id: i.id,
            when: monitor::dtg::format_dtg(i.from),
            kind: i.kind.as_str(),
            sector: st.sector(i).unwrap_or("—").to_owned(),
            count: i.count.best,
            observers: i.observers.len(),
            against_coalition: i.against_coalition,
        })
        .collect();
    Ok(MonitoringPage {
        chrome: Chrome::new(caller, "Ceasefire monitoring", "/monitoring"),
        date: day.to_string(),
        reports,
        incidents,
        may_monitor: may_monitor(caller),
        result,
        error,
    })
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<DateQuery>,
) -> WebResult {
    render(&page(&state, &caller, q.date.as_deref(), None, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct UploadForm {
    #[serde(default)]
    format: String,
    #[serde(default)]
    data: String,
}

pub async fn upload(State(state): State<AppState>, f: WebForm<UploadForm>) -> WebResult {
    let caller = f.caller;
    if !may_monitor(&caller) {
        return Err(ApiError::Forbidden(
            "only monitors and coalition HQ may record observations".into(),
        )
        .into());
    }
    let batch = match f.form.format.as_str() {
        "cot" => monitor::cot::read_cot(&f.form.data),
        _ => monitor::ingest::read_csv(&f.form.data),
    };
    match batch {
        Ok(batch) => {
            let report =
                crate::monitoring::ingest(&state.monitoring, &state.store, batch, &caller.actor())
                    .await?;
            render(&page(&state, &caller, None, Some(report), None).await?)
        }
        Err(e) => {
            let p = page(&state, &caller, None, None, Some(e)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    chrome: Chrome,
    incident: monitor::Incident,
    sector: String,
    releasability: &'static str,
    observations: Vec<monitor::Observation>,
    may_monitor: bool,
    error: Option<String>,
}

fn incident_id(id: &str) -> Result<u64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::NotFound(format!("there is no incident {id}")))
}

async fn incident_page(
    state: &AppState,
    caller: &Caller,
    id: u64,
    error: Option<String>,
) -> Result<IncidentPage, ApiError> {
    caller.signed_in()?;
    let st = state.monitoring.sync(&state.store).await?;
    let i = st
        .correlator
        .incident(id)
        .filter(|i| crate::monitoring::visible(&caller.viewer(), i.releasability))
        .ok_or_else(|| ApiError::NotFound(format!("there is no incident {id}")))?;
    Ok(IncidentPage {
        chrome: Chrome::new(
            caller,
            format!("Incident {id}: {}", i.kind.as_str()),
            "/monitoring",
        ),
        sector: st.sector(&i).unwrap_or("—").to_owned(),
        releasability: i.releasability.as_str(),
        observations: i
            .observations
            .iter()
            .filter_map(|o| st.observations.get(o))
            .map(|s| s.observation.clone())
            .collect(),
        incident: i.clone(),
        may_monitor: may_monitor(caller),
        error,
    })
}

pub async fn incident(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> WebResult {
    render(&incident_page(&state, &caller, incident_id(&id)?, None).await?)
}

/// The split and merge forms: `action` = split (with `observation` checkboxes) or merge (with
/// `from`).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct DecisionForm(Vec<(String, String)>);

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: WebForm<DecisionForm>,
) -> WebResult {
    let caller = f.caller;
    let n = incident_id(&id)?;
    if !may_monitor(&caller) {
        return Err(ApiError::Forbidden(
            "only monitors and coalition HQ may split or merge incidents".into(),
        )
        .into());
    }
    let get = |k: &str| {
        f.form
            .0
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let reason = get("reason");
    let store = state.store.as_ref();
    let outcome: Result<(), String> = async {
        if reason.is_empty() {
            return Err("give a reason".to_owned());
        }
        let (kind, key, body) = match get("action").as_str() {
            "split" => {
                let chosen: Vec<String> = f
                    .form
                    .0
                    .iter()
                    .filter(|(k, _)| k == "observation")
                    .map(|(_, v)| v.clone())
                    .collect();
                {
                    let st = state
                        .monitoring
                        .sync(&state.store)
                        .await
                        .map_err(|e| e.to_string())?;
                    st.correlator
                        .check_split(n, &chosen)
                        .map_err(|e| e.to_string())?;
                }
                let d = SplitDecision {
                    incident: n,
                    observations: chosen,
                    reason: reason.clone(),
                };
                (
                    "split",
                    format!("{n}:{}:{}", d.observations.join(","), crate::api::now()),
                    serde_json::to_string(&d).map_err(|e| e.to_string())?,
                )
            }
            "merge" => {
                let from: u64 = get("from")
                    .parse()
                    .map_err(|_| "give the number of the incident to merge".to_owned())?;
                {
                    let st = state
                        .monitoring
                        .sync(&state.store)
                        .await
                        .map_err(|e| e.to_string())?;
                    let viewer = caller.viewer();
                    if !st
                        .correlator
                        .incident(from)
                        .is_some_and(|i| crate::monitoring::visible(&viewer, i.releasability))
                        || from == n
                    {
                        return Err(format!("there is no other incident {from}"));
                    }
                    st.correlator
                        .check_merge(n, from)
                        .map_err(|e| e.to_string())?;
                }
                let d = MergeDecision {
                    into: n,
                    from,
                    reason: reason.clone(),
                };
                (
                    "merge",
                    format!("{n}<{from}:{}", crate::api::now()),
                    serde_json::to_string(&d).map_err(|e| e.to_string())?,
                )
            }
            other => return Err(format!("unknown action \"{other}\"")),
        };
        store
            .append_monitor_log(kind, &[(key, body)], &caller.actor())
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/incidents/{n}")).into_response()),
        Err(message) => {
            let p = incident_page(&state, &caller, n, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
    }
}

/// The acknowledge button beside an open alert.
#[derive(Debug, Deserialize)]
pub struct AckForm {
    alert: String,
}

/// Acknowledges an alert from the dashboard (as `POST /api/v1/alerts/ID/ack`), then back to it.
pub async fn acknowledge(State(state): State<AppState>, f: WebForm<AckForm>) -> WebResult {
    crate::api::monitoring::acknowledge_alert(&state, &f.caller, &f.form.alert).await?;
    Ok(Redirect::to("/#alerts").into_response())
}
