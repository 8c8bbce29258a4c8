//! Aid and finance pages: an entry with its stages in EUR (and the form for its next stage),
//! burden sharing with its charts, and the open-data page.

use std::borrow::Borrow;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::commitment::{Commitment, CommitmentStatus};
use domain::ids::CommitmentId;
use serde::Deserialize;

use super::charts::{self, Bar};
use super::records::AsOfQuery;
use super::{render, Chrome, WebForm, WebResult};
use crate::aid::{self, BurdenReport, StageView};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::AppState;

/// `1234567.8` → `1,234,568`.
pub fn eur(v: impl Borrow<f64>) -> String {
    let v = *v.borrow();
    if !v.is_finite() {
        return "—".into();
    }
    super::thousands(v.round().max(0.0) as u64)
}

/// A count with thousands separators.
pub fn count(n: impl Borrow<u64>) -> String {
    super::thousands(*n.borrow())
}

/// `x` with `places` decimals, or a dash.
pub fn num(v: &Option<f64>, places: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.places$}"),
        _ => "—".into(),
    }
}

#[derive(Template)]
#[template(path = "commitment.html")]
struct CommitmentPage {
    chrome: Chrome,
    c: Commitment,
    version: i64,
    stages: Vec<StageView>,
    next: Vec<&'static str>,
    sources: Vec<(String, String)>,
    may_edit: bool,
    error: Option<String>,
}

async fn commitment_page(
    state: &AppState,
    caller: &Caller,
    id: &CommitmentId,
    error: Option<String>,
) -> Result<CommitmentPage, ApiError> {
    let viewer = caller.viewer();
    let found = state.store.commitment(&viewer, id).await?;
    let rates = aid::rates(state.store.as_ref()).await?;
    let c = found.value;
    let may_edit = caller.may_manage_offers_of(&c.nation).is_ok();
    let current = c
        .kind
        .statuses()
        .iter()
        .position(|s| *s == c.status)
        .unwrap_or(0);
    let next = c
        .kind
        .statuses()
        .iter()
        .enumerate()
        .filter(|(i, s)| *i > current || (**s == CommitmentStatus::Delivered && *i == current))
        .map(|(_, s)| s.as_str())
        .collect();
    let sources = state
        .store
        .sources(&viewer)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), s.title))
        .collect();
    Ok(CommitmentPage {
        chrome: Chrome::new(caller, c.title.clone(), "/timeline"),
        stages: aid::stage_views(&c, &rates),
        c,
        version: found.version,
        next,
        sources,
        may_edit,
        error,
    })
}

fn entry_id(id: &str) -> Result<CommitmentId, ApiError> {
    CommitmentId::parse(id).map_err(|_| ApiError::NotFound(format!("there is no entry {id}")))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> WebResult {
    let id = entry_id(&id)?;
    render(&commitment_page(&state, &caller, &id, None).await?)
}

#[derive(Debug, Deserialize)]
pub struct StageForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    note: String,
}

pub async fn record_stage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: WebForm<StageForm>,
) -> WebResult {
    let caller = f.caller;
    let id = entry_id(&id)?;
    let current = state.store.commitment(&caller.viewer(), &id).await?;
    caller.may_manage_offers_of(&current.value.nation)?;
    let form = f.form;
    let outcome = match crate::api::aid::stage_from(
        &form.status,
        &form.date,
        &form.source,
        Some(form.note),
        None,
    ) {
        Ok(stage) => {
            let version = form.version.trim().parse().ok();
            state
                .store
                .record_stage(&id, stage, version, &caller.actor())
                .await
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/commitments/{id}")).into_response()),
        Err(e) => {
            let status = e.status_and_code().0;
            let page = commitment_page(&state, &caller, &id, Some(e.to_string())).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "burden.html")]
struct BurdenPage {
    chrome: Chrome,
    as_of: String,
    report: BurdenReport,
    forces_chart: String,
    money_chart: String,
}

pub async fn burden(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AsOfQuery>,
) -> WebResult {
    caller.signed_in()?;
    let day = crate::api::aid::as_of(q.as_of.as_deref())?;
    let report = aid::burden_report(state.store.as_ref(), &caller.viewer(), day).await?;
    let pct = |v: f64| v.round().max(0.0) as u64;
    let chart = |title: &str, share: &dyn Fn(&domain::burden::NationShare) -> f64| {
        let items: Vec<Bar> = report
            .burden
            .nations
            .iter()
            .filter(|n| share(n) > 0.0 || n.gdp_share_pct.is_some_and(|g| g >= 0.5))
            .map(|n| Bar {
                label: n.nation.to_string(),
                value: pct(share(n)),
                reference: n.gdp_share_pct.map(pct),
            })
            .collect();
        charts::bars(title, &items)
    };
    let forces_chart = chart(
        "Share of planned personnel-weeks (bar) against share of GDP (red mark), percent",
        &|n| n.forces_share_pct,
    );
    let money_chart = chart(
        "Share of aid and finance pledged (bar) against share of GDP (red mark), percent",
        &|n| n.money_share_pct,
    );
    render(&BurdenPage {
        chrome: Chrome::new(&caller, "Burden sharing", "/burden"),
        as_of: day.to_string(),
        report,
        forces_chart,
        money_chart,
    })
}

#[derive(Template)]
#[template(path = "open_data.html")]
struct OpenDataPage {
    chrome: Chrome,
    entries: Vec<(Commitment, Vec<StageView>)>,
}

pub async fn open_data(State(state): State<AppState>, caller: Caller) -> WebResult {
    let rates = aid::rates(state.store.as_ref()).await?;
    let entries = crate::api::aid::money_entries(&state, &store::Viewer::Public)
        .await?
        .into_iter()
        .map(|c| {
            let stages = aid::stage_views(&c, &rates);
            (c, stages)
        })
        .collect();
    let page = OpenDataPage {
        chrome: Chrome::new(&caller, "Open data: aid and finance", "/open-data"),
        entries,
    };
    Ok((StatusCode::OK, render(&page)?).into_response())
}

/// Personnel-weeks offered, all statuses together.
pub fn offered(n: &domain::burden::NationShare) -> u64 {
    n.personnel_weeks_offered.values().sum()
}
